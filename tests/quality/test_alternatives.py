"""The other partitioners of ``python -m bench alternatives``: each finds well-separated blobs, so a low ARI in
bench/results/alternatives.md is the data's doing, not a broken method."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from bench.quality.alternatives import METHODS


@pytest.mark.parametrize("method", sorted(METHODS))
def test_method_finds_separated_blobs(method: str) -> None:
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(4), [400, 300, 200, 100])
    Z = rng.normal(0, 0.3, (len(labels), 5)) + 3 * np.eye(4, 5)[labels]
    found = METHODS[method](Z, 4, 0)
    assert found.shape == labels.shape
    # quantiles spread each blob over its share of [0, 1], so tight blobs become wide ones: a lower bar
    assert adjusted_rand_score(labels, found) >= (0.7 if method == "kmeans, quantiles" else 0.9)
