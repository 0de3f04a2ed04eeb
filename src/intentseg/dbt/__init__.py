"""Segmentation as dbt models: the feature SQL and a saved model's scoring SQL as a dbt package (docs/dbt.md)."""

from .package import DbtPackage, build_package, load_model, write_package

__all__ = ["DbtPackage", "build_package", "load_model", "write_package"]
