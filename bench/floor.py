"""The floor of one run, in its own process: bare DuckDB per-source aggregates + a bare KMeans fit.

    python -m bench.floor EVENTS_DIR --k 5 --n-fit 500000 --n-init 10 [--memory-limit 4GB]

1. the per-source GROUP BYs of ``bench.bench_features.FLOOR_SQL`` over the Parquet files, fetched (timed);
2. the fit matrix assembled from them, untimed: 16 columns per user (the 12 click aggregates, searches,
   distinct queries, article views, article time; log1p), ``--n-fit`` users drawn at random — the shape
   the segmenter fits on (16 features; every user below the scale threshold, the sample above it);
3. ``KMeans(k, n_init)`` fitted on it (timed).
Prints one JSON object: seconds per timed step.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb
import numpy as np
from sklearn.cluster import KMeans

from bench.bench_features import FLOOR_SQL


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("events", type=Path)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--n-fit", type=int, required=True)
    p.add_argument("--n-init", type=int, default=10)
    p.add_argument("--memory-limit", default=None)
    args = p.parse_args(argv)
    con = duckdb.connect(config={"memory_limit": args.memory_limit} if args.memory_limit else {})
    for name in FLOOR_SQL:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{args.events / (name + '.parquet')}')")
    started = time.perf_counter()
    frames = {name: con.execute(sql).df() for name, sql in FLOOR_SQL.items()}
    aggregates_s = time.perf_counter() - started

    c, s, a = frames["clickstream"], frames["search_queries"], frames["article_views"]
    m = (c.iloc[:, :13].set_axis(["user_id", *(f"c{j}" for j in range(12))], axis=1)
         .merge(s.iloc[:, [0, 1, 2]].set_axis(["user_id", "searches", "queries"], axis=1), on="user_id", how="outer")
         .merge(a.iloc[:, [0, 1, 4]].set_axis(["user_id", "articles", "article_time_avg"], axis=1), on="user_id", how="outer"))
    X = np.log1p(m.drop(columns="user_id").fillna(0).to_numpy(dtype=float))
    rng = np.random.default_rng(0)
    if args.n_fit < len(X):
        X = X[rng.choice(len(X), args.n_fit, replace=False)]
    del frames, c, s, a, m

    started = time.perf_counter()
    KMeans(n_clusters=args.k, n_init=args.n_init, random_state=0).fit(X)
    kmeans_s = time.perf_counter() - started
    print(json.dumps({"aggregates_s": aggregates_s, "kmeans_s": kmeans_s, "fit_rows": len(X),
                      "fit_columns": X.shape[1]}))


if __name__ == "__main__":
    main()
