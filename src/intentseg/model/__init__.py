"""The segmenter: feature transforms, k selection, ordered and named segments, JSON models, SQL scoring."""

from .segmenter import Segmenter
from .transform import DEFAULT_FEATURES, RULES, rule_for

__all__ = ["Segmenter", "DEFAULT_FEATURES", "RULES", "rule_for"]
