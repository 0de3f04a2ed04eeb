"""intentseg: intent-based user segmentation."""

__version__ = "0.1.0"
