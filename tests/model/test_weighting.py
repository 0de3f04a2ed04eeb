"""Feature weights (``Segmenter(weighting="dispersion")``): still a K-Means model, scored alike everywhere."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlglot
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from intentseg.errors import ModelFileError
from intentseg.model import Segmenter
from intentseg.model.selection import MIN_DISPERSION, WEIGHT_BETA, dispersion_weights, weighted_kmeans

#: the largest ratio of two weights (selection.MIN_DISPERSION)
MOST = (1 / MIN_DISPERSION) ** (WEIGHT_BETA / (WEIGHT_BETA - 1))


@parametrize_with_checks(
    [Segmenter(n_segments=3, random_state=0, weighting="dispersion"),
     Segmenter(random_state=0, k_range=(2, 4), n_init=2, weighting="dispersion")],
    expected_failed_checks=lambda est: {
        "check_dataframe_column_names_consistency": "columns are selected by name; extra or reordered columns are fine",
    },
)
def test_sklearn_contract_with_weights(estimator, check):
    check(estimator)


def test_weights_have_mean_one_and_favour_the_feature_the_segments_explain():
    """Column 0 splits the two groups, column 1 is noise within both, column 2 is constant."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 100)
    Z = np.column_stack([labels * 4.0 + rng.normal(size=200), rng.normal(size=200), np.zeros(200)])
    w = dispersion_weights(Z, labels)
    assert w.shape == (3,) and np.all(np.isfinite(w)) and np.all(w > 0)
    assert w.mean() == pytest.approx(1.0)
    assert w[0] == pytest.approx(MOST * w[1], rel=0.05)  # explained far better than the bound allows
    assert w[2] == pytest.approx(w[1], rel=0.05)  # no variance counts as no structure, like pure noise


def _groups_and_noise(noise_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Two tight groups on column 0 (3 apart, sd 0.3); column 1 is group-free noise of ``noise_sd``."""
    rng = np.random.default_rng(1)
    truth = np.repeat([0, 1], 150)
    return np.column_stack([truth * 3.0 + rng.normal(scale=0.3, size=300),
                            rng.normal(scale=noise_sd, size=300)]), truth


def test_weights_go_to_the_feature_that_holds_the_groups():
    Z, truth = _groups_and_noise(1.5)
    km, w = weighted_kmeans(Z, 2, n_init=10, max_iter=300, seed=0)
    assert w[0] == pytest.approx(MOST * w[1], rel=0.01)
    assert adjusted_rand_score(truth, km.labels_) == 1.0


def test_weights_confirm_the_first_partition_right_or_wrong():
    """The limit measured in ADR 0004: when the first K-Means cuts the noise (wide enough here), the
    weights learned from that cut favour the noise, and the alternation keeps the cut."""
    Z, truth = _groups_and_noise(3.0)
    km, w = weighted_kmeans(Z, 2, n_init=10, max_iter=300, seed=0)
    assert w[1] > w[0]
    assert adjusted_rand_score(truth, km.labels_) < 0.1


def test_weights_are_folded_into_the_scale(behaviour):
    plain = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    model = Segmenter(n_segments=3, random_state=0, weighting="dispersion").fit(behaviour)
    t = model.transform_
    assert t.weight is not None and t.weight.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(t.scale, plain.transform_.scale / np.sqrt(t.weight))
    np.testing.assert_allclose(t.center, plain.transform_.center)
    assert plain.transform_.weight is None
    # the unweighted space is the plain model's: an intent share (not pooled) is the share itself again
    raw = behaviour[model.feature_names_].to_numpy(float)
    np.testing.assert_allclose(t.unweighted(t.apply(raw)), plain.transform_.apply(raw), atol=1e-12)
    np.testing.assert_array_equal(model.labels_, model.predict(behaviour))
    assert adjusted_rand_score(behaviour["group"], model.labels_) > 0.95


def test_sql_assigns_the_same_segments_as_predict_with_weights(warehouse, behaviour):
    model = Segmenter(n_segments=4, random_state=0, weighting="dispersion").fit(behaviour)
    df = behaviour.drop(columns=["first_seen"])
    warehouse.write_table("user_features", df)
    got = warehouse.query(model.to_sql(dialect=warehouse.dialect, features_table="user_features"))
    got = got.sort_values("user_id").reset_index(drop=True)
    order = np.argsort(df["user_id"].to_numpy(), kind="stable")
    np.testing.assert_array_equal(got["segment_id"].astype(int).to_numpy(), model.predict(df)[order])
    np.testing.assert_allclose(got["distance"].astype(float), model.transform(df).min(axis=1)[order],
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dialect", ["duckdb", "mysql", "postgres", "spark"])
def test_weighted_query_parses_in_every_dialect(behaviour, dialect):
    model = Segmenter(n_segments=3, random_state=0, weighting="dispersion").fit(behaviour)
    sqlglot.parse_one(model.to_sql(dialect=dialect), read=dialect)


def test_model_file_keeps_the_weights_and_the_option(tmp_path, behaviour):
    model = Segmenter(random_state=0, k_range=(2, 4), weighting="dispersion").fit(behaviour)
    path = tmp_path / "model.json"
    model.save(path)
    d = json.loads(path.read_text())
    assert d["params"]["weighting"] == "dispersion"
    assert d["transform"]["weight"] == pytest.approx(list(model.transform_.weight))
    loaded = Segmenter.load(path)
    np.testing.assert_array_equal(loaded.transform_.weight, model.transform_.weight)
    np.testing.assert_array_equal(loaded.predict(behaviour), model.predict(behaviour))
    d["transform"]["weight"][0] = 0.0
    path.write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match=r"transform.weight\[0\]"):
        Segmenter.load(path)


def test_an_unweighted_model_file_names_no_weighting(tmp_path, behaviour):
    # the default is left out of the file, so a reader from before weighting (which refuses unknown parameters)
    # still loads every unweighted model; loading it back gives the default
    model = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    model.save(tmp_path / "model.json")
    d = json.loads((tmp_path / "model.json").read_text())
    assert "weighting" not in d["params"] and "weight" not in d["transform"]
    assert Segmenter.load(tmp_path / "model.json").weighting == "none"


def test_scan_scores_each_k_in_its_own_weighted_space(behaviour):
    model = Segmenter(random_state=0, k_range=(2, 4), weighting="dispersion").fit(behaviour)
    rows = model.selection_["scores"]
    assert [r["k"] for r in rows] == [2, 3, 4]
    for r in rows:
        assert len(r["weights"]) == len(model.feature_names_) and np.mean(r["weights"]) == pytest.approx(1.0)
        assert np.isfinite(r["excess"])


def test_unknown_weighting_is_refused(behaviour):
    with pytest.raises(ValueError, match="weighting must be one of"):
        Segmenter(weighting="entropy").fit(behaviour)


@pytest.mark.spark
def test_spark_sql_and_mllib_use_the_weighted_space(spark, behaviour):
    """to_sql("spark") scores a weighted model as predict does; MLlib fits its centres in the weighted
    space whose weights the sample fit learned (the same transform columns)."""
    from intentseg.model.mllib import fit_mllib

    df = behaviour[["user_id", *Segmenter().fit(behaviour).feature_names_]]
    df = df.astype({c: float for c in df.columns if c != "user_id"})
    frame = spark.createDataFrame(df)
    frame.createOrReplaceTempView("user_features")
    model = Segmenter(n_segments=3, random_state=0, weighting="dispersion").fit(df)
    got = spark.sql(model.to_sql(dialect="spark")).toPandas().sort_values("user_id")
    np.testing.assert_array_equal(got["segment_id"].to_numpy(), model.predict(df))

    ml = fit_mllib(frame, Segmenter(n_segments=3, random_state=0, weighting="dispersion"), sample=df)
    np.testing.assert_array_equal(ml.transform_.weight, model.transform_.weight)
    assert adjusted_rand_score(ml.predict(df), model.predict(df)) > 0.95
    scored = spark.sql(ml.to_sql(dialect="spark")).toPandas().sort_values("user_id")
    np.testing.assert_array_equal(scored["segment_id"].to_numpy(), ml.predict(df))
