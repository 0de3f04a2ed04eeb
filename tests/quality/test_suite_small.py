"""A small version of the quality suite (``python -m bench quality``): the k rule's outcomes on a few
generated datasets, through the real pipeline (``intentseg.run`` over a Parquet events folder on DuckDB).
No timing here: speed is measured in ``bench/``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.quality.datasets import OURS, load_truth, materialise
from bench.quality.suite import ari, centre_ceiling, run_pipeline, separability, tiers_follow

N_USERS = 2_000
BY_NAME = {d.name: d for d in OURS}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("quality")


def test_three_planted_personas_give_three_tiers_in_engagement_order(data_root, tmp_path):
    folder, facts = materialise(BY_NAME["ours-3-personas"], data_root, N_USERS, seed=0)
    assignments, sel, _ = run_pipeline(folder, "auto", tmp_path)
    truth = load_truth(folder)
    assert facts["true_k"] == 3
    assert sel["k"] == 3 and not sel["fallback"]
    assert ari(assignments, truth) >= 0.9
    follows, ranks = tiers_follow(assignments, truth)
    assert follows, ranks
    bound = separability(sel["user_ids"], sel["Z"], truth, seed=0)
    assert bound["separable"] and bound["forest_accuracy"] >= 0.95, bound


def test_four_planted_personas_are_not_two(data_root, tmp_path):
    folder, facts = materialise(BY_NAME["ours-4-personas"], data_root, N_USERS, seed=0)
    assignments, sel, _ = run_pipeline(folder, "auto", tmp_path)
    assert facts["true_k"] == 4
    assert sel["k"] == 4 and not sel["fallback"], sel["reason"]
    assert ari(assignments, load_truth(folder)) >= 0.9


def test_weakly_separated_personas_fall_back_to_three_tiers_and_say_so(data_root, tmp_path):
    folder, _ = materialise(BY_NAME["ours-weak-0.5"], data_root, N_USERS, seed=0)
    assignments, sel, _ = run_pipeline(folder, "auto", tmp_path)
    assert sel["k"] == 3 and sel["fallback"]
    assert "classic three engagement tiers" in sel["reason"]
    assert assignments["segment_id"].nunique() == 3
    # the fallback is honest: even a classifier that sees the personas cannot tell them apart
    bound = separability(sel["user_ids"], sel["Z"], load_truth(folder), seed=0)
    assert not bound["separable"] and bound["accuracy"] < 0.9, bound


def _truth(labels: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """centre_ceiling's user ids, features and truth for points ``Z`` of planted groups ``labels``."""
    ids = np.arange(len(labels))
    return ids, Z, pd.DataFrame({"user_id": ids, "persona": [f"p{v}" for v in labels]})


def test_centre_ceiling_of_separated_blobs_is_reached_by_k_means():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 300)
    Z = rng.normal(0, 0.3, (len(labels), 4)) + 4 * np.eye(5, 4)[labels]
    c = centre_ceiling(*_truth(labels, Z), seed=0)
    assert c["ari_persona_centres"] >= 0.99 and c["centre_separable"]
    assert not c["objective_prefers_other"] and c["ari_from_personas"] >= 0.99


def test_centre_ceiling_finds_groups_that_only_a_classifier_tells_apart():
    """Two bars, long in x and 0.6 apart in y: the persona means tell them apart, but K-Means at k = 2 cuts
    the long axis (a smaller sum of squares). A tight blob inside a wide ring: the same mean, no centre
    tells them apart."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 1000)
    bars = np.c_[rng.uniform(-5, 5, 2000), np.where(labels == 0, -0.3, 0.3) + rng.normal(0, 0.05, 2000)]
    c = centre_ceiling(*_truth(labels, bars), seed=0)
    assert c["ari_persona_centres"] >= 0.9 and c["centre_separable"]
    assert c["objective_prefers_other"] and c["ari_from_personas"] < 0.2

    angle = rng.uniform(0, 2 * np.pi, 2000)
    radius = np.where(labels == 0, rng.uniform(0, 1, 2000), rng.uniform(3, 4, 2000))
    ring = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    c = centre_ceiling(*_truth(labels, ring), seed=0)
    assert c["ari_persona_centres"] < 0.2 and not c["centre_separable"]
    assert c["ari_oracle_cells"] >= 0.9  # many centres do carve a ring


def test_named_traits_are_checked_against_the_data(tmp_path):
    from bench.quality.suite import named_traits

    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1, 2], 200)
    features = ["clicks", "searches", "article_views"]
    Z = rng.normal(0, 1, (600, 3))
    Z[labels == 1, 2] += 2.0  # segment 1 reads far more than the others; segment 2 searches no more
    names = ["Low engagement", "Moderate engagement · readers", "Highly engaged · searchers"]
    for source in ("clickstream", "search_queries", "article_views"):
        (tmp_path / f"{source}.parquet").touch()
    t = named_traits(names, labels, Z, features, tmp_path)
    assert (t["named"], t["supported"]) == (2, 1)
    assert len(t["unsupported"]) == 1 and t["unsupported"][0].startswith("Highly engaged · searchers: largest effect size")

    (tmp_path / "article_views.parquet").unlink()  # readers claimed on data without article views
    t = named_traits(names, labels, Z, features, tmp_path)
    assert t["supported"] == 0 and "Moderate engagement · readers: no article_views in the data" in t["unsupported"]
