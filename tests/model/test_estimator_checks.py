"""scikit-learn's own estimator contract (parametrize_with_checks), and use inside a Pipeline."""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from intentseg.model import Segmenter

# Checks skipped on purpose, with the reason (scikit-learn's expected_failed_checks mechanism).
EXPECTED_FAILED = {
    # The segmenter selects its model columns *by name* and ignores the rest (user_id, timestamps), so
    # a frame whose columns are reordered is valid input, not an error; a frame missing a model column
    # raises intentseg's MissingColumnError naming the column, not sklearn's ValueError text.
    "check_dataframe_column_names_consistency": "columns are selected by name; extra or reordered columns are fine",
}


@parametrize_with_checks(
    [Segmenter(n_segments=3, random_state=0), Segmenter(random_state=0, k_range=(2, 4), n_init=2)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_works_inside_a_pipeline(blobs):
    X, truth = blobs
    pipe = make_pipeline(FunctionTransformer(lambda a: a * 2.0), Segmenter(n_segments=3, random_state=0))
    labels = pipe.fit_predict(X)
    assert labels.shape == (len(X),)
    assert set(labels) == {0, 1, 2}
    assert pipe.transform(X).shape == (len(X), 3)
    np.testing.assert_array_equal(pipe.predict(X), labels)
