"""A small version of the quality suite (``python -m bench quality``): the k rule's outcomes on a few
generated datasets, through the real pipeline (``intentseg.run`` over a Parquet events folder on DuckDB).
No timing here: speed is measured in ``bench/``."""

from __future__ import annotations

import pytest

from bench.quality.datasets import OURS, load_truth, materialise
from bench.quality.suite import ari, run_pipeline, separability, tiers_follow

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
