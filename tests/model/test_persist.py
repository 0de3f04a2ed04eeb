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


def _set(path: str, value):
    """An edit that replaces one field (a dotted path, list indexes as numbers) of the model file."""

    def edit(d):
        *parents, last = path.split(".")
        node = d
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


# Each hand-edited file, and what the error must name. JSON allows NaN and 1e999 (= inf) as numbers.
BAD_FILES = {
    "nan centre": (_set("centers.0.0", float("nan")), r"centers\[0\]\[0\] is nan"),
    "infinite centre 1e999": (_set("centers.1.0", 1e999), r"centers\[1\]\[0\] is inf"),
    "centre as text": (_set("centers.0.1", "1e999"), r"centers\[0\]\[1\] is '1e999'"),
    "centres empty": (_set("centers", []), "centers is empty"),
    "a centre too short": (_set("centers.0", [0.0]), r"centers\[0\] has 1 values"),
    "centres not a list": (_set("centers", "oops"), "centers must be a list"),
    "scale zero": (_set("transform.scale.0", 0), r"transform.scale\[0\] is 0.*above 0"),
    "scale negative": (_set("transform.scale.1", -1.5), r"transform.scale\[1\] is -1.5"),
    "scale nan": (_set("transform.scale.0", float("nan")), r"transform.scale\[0\] is nan"),
    "centre of transform infinite": (_set("transform.center.0", float("inf")), r"transform.center\[0\] is inf"),
    "scale of wrong length": (_set("transform.scale", [1.0]), "transform.scale must be a list of"),
    "unknown transform": (_set("transform.kinds.0", "sqrt"), "transform.kinds must list one of"),
    "duplicate segment names": (_set("segment_names.1", "Sleepers 'quoted'"), "segment_names repeats"),
    "too few segment names": (lambda d: d["segment_names"].pop(), "segment_names has 3 entries; expected 4"),
    "duplicate feature names": (lambda d: d["feature_names"].__setitem__(1, d["feature_names"][0]),
                                "feature_names repeats"),
    "profiles as text": (_set("profiles", "oops"), "profiles must be a list of 4 objects"),
    "profile id repeated": (_set("profiles.1.segment_id", 0), "segment ids"),
    "profile size negative": (_set("profiles.0.size", -3), "profile 0: size"),
    "engagement nan": (_set("engagement.2", float("nan")), r"engagement\[2\] is nan"),
    "metrics not an object": (_set("metrics", 3), "metrics must be an object"),
    "params unknown": (_set("params.colour", "red"), "params are not Segmenter parameters"),
    "selection a list": (_set("selection", []), "selection must be an object"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_hand_edited_model_fails_naming_the_file_and_the_field(fitted, tmp_path, case):
    edit, expected = BAD_FILES[case]
    path = _write(tmp_path, fitted, edit)
    with pytest.raises(ModelFileError, match=expected) as err:
        Segmenter.load(path)
    assert str(path) in err.value.message
    assert "save the model again" in err.value.hint
    assert err.value.exit_code == 2


def test_deeply_nested_json_is_a_model_file_error_not_a_crash(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFileError, match="nested too deeply"):
        Segmenter.load(path)


def test_a_folder_is_not_a_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        Segmenter.load(tmp_path)


def test_a_valid_file_still_loads_after_validation(fitted, behaviour, tmp_path):
    # the checks accept what save writes, including integer-valued numbers written as ints
    path = _write(tmp_path, fitted, _set("transform.scale.0", int(round(fitted.transform_.scale[0])) or 1))
    assert Segmenter.load(path).predict(behaviour).shape == (len(behaviour),)
