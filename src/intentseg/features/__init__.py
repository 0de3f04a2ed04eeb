"""Per-user features, computed inside the warehouse from the three sources (docs/features.md)."""

from .build import (
    DIALECTS,
    FEATURE_COLUMNS,
    FeatureRun,
    build_features,
    feature_sql,
    read_features,
    refresh_query_intents,
    write_features,
)
from .intents import INTENTS, IntentClassifier, RuleIntentClassifier

__all__ = [
    "DIALECTS",
    "FEATURE_COLUMNS",
    "INTENTS",
    "FeatureRun",
    "IntentClassifier",
    "RuleIntentClassifier",
    "build_features",
    "feature_sql",
    "read_features",
    "refresh_query_intents",
    "write_features",
]
