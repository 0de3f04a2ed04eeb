"""MLlib at scale and scikit-learn below it give the same segments, in the same JSON model."""

from __future__ import annotations

import pytest
from sklearn.metrics import adjusted_rand_score

from intentseg.features import build_features
from intentseg.generate import generate_events
from intentseg.model import Segmenter
from intentseg.model.mllib import fit_mllib
from intentseg.model.persist import to_dict
from intentseg.warehouse import connect
from intentseg.warehouse.spark import SparkWarehouse

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def features():
    """5,000 generated users with five planted personas; features built by DuckDB (fast, and already proven equal)."""
    events = generate_events(5000, seed=1)
    duck = connect("duckdb:///:memory:")
    for name in ("clickstream", "search_queries", "article_views"):
        duck.write_table(name, getattr(events, name))
    return build_features(duck)


def test_mllib_and_sklearn_agree(spark, features):
    sw = SparkWarehouse.from_session(spark)
    sw.write_table("user_features", features)
    make = lambda: Segmenter(n_segments=5, random_state=0)  # noqa: E731
    sk = make().fit(features)
    ml = fit_mllib(sw.spark_frame("user_features"), make())
    assert ml.metadata_["fitted_with"] == "spark-mllib" and ml.metadata_["n_users"] == 5000

    labels = ml.predict(features)
    ari = adjusted_rand_score(sk.predict(features), labels)
    print(f"ARI scikit-learn vs MLlib: {ari:.3f}")
    assert ari >= 0.9
    assert ml.segment_names_ == sk.segment_names_
    assert sum(p["size"] for p in ml.profiles_) == 5000

    # the same JSON model and SQL scoring as the scikit-learn path
    assert (Segmenter.from_dict(to_dict(ml)).predict(features) == labels).all()
    scored = sw.query(ml.to_sql("spark")).sort_values("user_id")
    assert (scored["segment_id"].to_numpy() == labels).all()

    sw.close()
