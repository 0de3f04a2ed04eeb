"""Versioned JSON model files: round trip, exact predictions, clear errors for bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from intentseg.errors import ModelFileError
from intentseg.model import Segmenter


@pytest.fixture
def fitted(behaviour):
    return Segmenter(n_segments=4, random_state=0).fit(behaviour).rename({0: "Sleepers 'quoted'"})


def test_round_trip_predicts_exactly_the_same(fitted, behaviour, tmp_path):
    path = tmp_path / "model.json"
    fitted.save(path)
    loaded = Segmenter.load(path)
    np.testing.assert_array_equal(loaded.predict(behaviour), fitted.predict(behaviour))
    np.testing.assert_array_equal(loaded.transform(behaviour), fitted.transform(behaviour))
    np.testing.assert_array_equal(loaded.cluster_centers_, fitted.cluster_centers_)
    assert loaded.segment_names_ == fitted.segment_names_
    assert loaded.profiles_ == fitted.profiles_
    assert loaded.selection_ == fitted.selection_
    assert loaded.get_params() == fitted.get_params()
    assert list(loaded.feature_names_in_) == list(fitted.feature_names_in_)


def test_file_is_plain_versioned_json(fitted, tmp_path):
    path = tmp_path / "model.json"
    fitted.save(path)
    d = json.loads(path.read_text())
    assert d["format"] == "intentseg.segmenter" and d["format_version"] == 1
    assert d["feature_names"] == fitted.feature_names_
    assert d["metadata"]["n_users"] == 600 and "fitted_at" in d["metadata"]


def _write(tmp_path, fitted, edit):
    path = tmp_path / "model.json"
    fitted.save(path)
    d = json.loads(path.read_text())
    edit(d)
    path.write_text(json.dumps(d))
    return path


def test_unknown_version_fails_with_a_hint(fitted, tmp_path):
    path = _write(tmp_path, fitted, lambda d: d.update(format_version=99))
    with pytest.raises(ModelFileError, match="version 99") as err:
        Segmenter.load(path)
    assert "Upgrade intentseg" in err.value.hint


def test_missing_field_fails_naming_it(fitted, tmp_path):
    path = _write(tmp_path, fitted, lambda d: d.pop("centers"))
    with pytest.raises(ModelFileError, match="centers") as err:
        Segmenter.load(path)
    assert err.value.hint


def test_not_a_model_file(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ModelFileError, match="not an intentseg model"):
        Segmenter.load(tmp_path / "x.json")
    (tmp_path / "x.pkl").write_bytes(b"\x80\x04\x95")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        Segmenter.load(tmp_path / "x.pkl")
    with pytest.raises(ModelFileError, match="not found"):
        Segmenter.load(tmp_path / "missing.json")


def test_numpy_fitted_model_round_trips(blobs, tmp_path):
    X, _ = blobs
    seg = Segmenter(n_segments=3, random_state=0).fit(X)
    seg.save(tmp_path / "m.json")
    loaded = Segmenter.load(tmp_path / "m.json")
    assert not hasattr(loaded, "feature_names_in_")
    np.testing.assert_array_equal(loaded.predict(X), seg.labels_)
