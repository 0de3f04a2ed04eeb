"""The report: one function per chart (matplotlib Figures) and one self-contained HTML file.

>>> fig = plot_classic(data)            # shows inline in a notebook
>>> render_report(data, "report/")      # report/index.html + report/*.png
"""

from .charts import (
    plot_classic,
    plot_intent_mix,
    plot_k_selection,
    plot_profiles,
    plot_projection,
    plot_sizes,
    plot_transitions,
    segment_colors,
)
from .data import ReportData
from .html import render_report

__all__ = [
    "ReportData",
    "plot_classic",
    "plot_intent_mix",
    "plot_k_selection",
    "plot_profiles",
    "plot_projection",
    "plot_sizes",
    "plot_transitions",
    "render_report",
    "segment_colors",
]
