"""to_sql(dialect="spark") run by a local Spark session: same ids as predict."""

from __future__ import annotations

import numpy as np
import pytest

from intentseg.model import Segmenter

pytestmark = pytest.mark.spark


def test_spark_sql_assigns_the_same_segments_as_predict(spark, behaviour):
    model = Segmenter(n_segments=5, random_state=0).fit(behaviour).rename({4: "Top 'fans'"})
    df = behaviour[["user_id", *model.feature_names_]]
    spark.createDataFrame(df.astype({c: float for c in model.feature_names_})).createOrReplaceTempView("user_features")
    got = spark.sql(model.to_sql(dialect="spark")).toPandas().sort_values("user_id")
    assert list(got.columns) == ["user_id", "segment_id", "segment_name", "distance"]
    np.testing.assert_array_equal(got["segment_id"].to_numpy(), model.predict(df))
    assert list(got["segment_name"]) == [model.segment_names_[s] for s in model.predict(df)]
    np.testing.assert_allclose(got["distance"], model.transform(df).min(axis=1), rtol=1e-9)
