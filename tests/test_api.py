"""The public façade: every exported name resolves, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import intentseg


def test_every_export_resolves():
    for name in intentseg.__all__:
        assert getattr(intentseg, name) is not None, name


def test_import_does_not_load_the_heavy_libraries():
    code = "import sys, intentseg; print(sorted(m for m in ('sklearn', 'matplotlib', 'pyspark') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_unknown_names_fail_clearly():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        intentseg.nope  # noqa: B018
