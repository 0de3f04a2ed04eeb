"""A run's report, from what the pipeline has or from the output tables (``intentseg report``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Settings
from ..errors import InputError
from ..features import feature_sql, read_features
from ..model import Segmenter
from ..model.results import assignments_of
from ..presets import rows_sql
from ..warehouse import Warehouse
from ..writeback import Tables
from .data import ReportData
from .html import render_report

TOP_QUERIES = 5


def top_queries(wh: Warehouse, settings: Settings, members_table: str) -> pd.DataFrame | None:
    """The most frequent search queries of each segment, counted inside the warehouse."""
    mapping = settings.mapping("search_queries")
    if not mapping.enabled or not wh.table_exists(mapping.table):
        return None
    if mapping.defined:  # rows of a shared events table, read through its definition (intentseg.presets)
        relation, q, uid = f"({rows_sql(wh, mapping, ['user_id', 'query'])})", wh.quote("query"), wh.quote("user_id")
    else:
        relation = wh.quote_table(mapping.table)
        q, uid = wh.quote(mapping.physical("query")), wh.quote(mapping.physical("user_id"))
    sql = (
        "SELECT segment_id, query, searches FROM ("
        f" SELECT m.segment_id AS segment_id, s.{q} AS query, COUNT(*) AS searches,"
        f" ROW_NUMBER() OVER (PARTITION BY m.segment_id ORDER BY COUNT(*) DESC, s.{q}) AS rn"
        f" FROM {relation} s JOIN {wh.quote_table(members_table)} m ON m.user_id = s.{uid}"
        f" GROUP BY m.segment_id, s.{q}) ranked WHERE rn <= :n ORDER BY segment_id, searches DESC"
    )
    df = wh.query(sql, {"n": TOP_QUERIES})
    df["searches"] = df["searches"].astype("int64")
    return df


def run_info(
    wh: Warehouse, run_id: str, model: Segmenter, features: pd.DataFrame, *, started: Any, finished: Any,
    metrics: dict[str, Any],
) -> dict[str, Any]:
    per_source = {
        name: int(features[col].sum())
        for name, col in (("clickstream", "clicks"), ("search_queries", "searches"), ("article_views", "article_views"))
        if col in features
    }
    return {
        "run_id": run_id,
        "engine": wh.engine,
        "warehouse": wh.display_url,
        "started_at": started,
        "finished_at": finished,
        "n_users": int(len(features)),
        "n_events": int(sum(per_source.values())),
        "events_per_source": per_source,
        "first_event": features["first_seen"].min() if "first_seen" in features else None,
        "last_event": features["last_seen"].max() if "last_seen" in features else None,
        "k": len(model.segment_names_),
        "why_k": model.selection_.get("rule"),
        "metrics": metrics,
        # section labels of the content-interest columns (the feature build's), for the interest mix
        "interests": (features.attrs.get("run") or {}).get("interests") or {},
    }


def render_for_run(
    wh: Warehouse,
    settings: Settings,
    run_id: str,
    model: Segmenter,
    features: pd.DataFrame,
    assignments: pd.DataFrame,
    previous: pd.DataFrame | None,
    out_dir: str | Path,
    *,
    started: Any,
    metrics: dict[str, Any] | None = None,
    finished: Any = None,
) -> Path:
    """Render ``out_dir/index.html`` and the PNG charts for one run."""
    users = features.merge(assignments[["user_id", "segment_id", "segment_name", "distance"]], on="user_id")
    data = ReportData(
        model=model,
        users=users,
        run=run_info(wh, run_id, model, features, started=started, finished=finished or dt.datetime.now(dt.UTC),
                     metrics=metrics or {}),
        previous=previous,
        top_queries=top_queries(wh, settings, settings.output.user_segments),
        feature_sql=feature_sql(wh.dialect, settings, warehouse=wh),  # with the data's interest sections
        settings=settings.model_dump(mode="json", exclude={"warehouse"}),
    )
    return render_report(data, out_dir)


def render_from_warehouse(wh: Warehouse, settings: Settings, out_dir: str | Path, run_id: str | None = None) -> Path:
    """The report of a stored run (default: the latest successful one), rebuilt from the output tables.

    Users are the rows of the feature table scored with the run's model (the same ids the run wrote,
    when the features have not been rebuilt since).
    """
    tables = Tables(wh, settings.output)
    row = tables.run(run_id)
    if not row or row.get("status") != "ok" or not row.get("model"):
        raise InputError(
            f"No successful run {run_id or ''} in {wh.display_url}.".replace("  ", " "),
            hint="Run `intentseg run` first; `intentseg runs` lists the runs.",
        )
    model = Segmenter.from_dict(row["model"], where=f"run {row['run_id']}")
    table = settings.features.output_table
    if not wh.table_exists(table):
        raise InputError(
            f"The feature table {table!r} is not in {wh.display_url}.",
            hint="Run `intentseg run` (it writes the table) or `intentseg features --output-table user_features`.",
        )
    features = read_features(wh, table)
    previous = None
    earlier = tables.runs()
    earlier = earlier[(earlier["status"] == "ok") & (earlier["started_at"] < row["started_at"])]
    hist = settings.output.user_segment_history
    if len(earlier) and wh.table_exists(hist):
        at = earlier.iloc[0]["finished_at"]
        previous = wh.query(
            f"SELECT user_id, segment_id, segment_name FROM {wh.quote_table(hist)} "
            "WHERE valid_from <= :at AND (valid_to IS NULL OR valid_to > :at)",
            {"at": pd.Timestamp(at).to_pydatetime()},
        )
    return render_for_run(
        wh, settings, row["run_id"], model, features, assignments_of(model, features), previous, out_dir,
        started=row["started_at"], finished=row["finished_at"], metrics=row.get("metrics") or {},
    )
