"""Benchmark of ingest's de-duplication (run on demand; not a test): issue 10, item 13.

Loads a generated clickstream CSV into a new DuckDB file, then loads a copy of it with one extra line
(another file, so the ledger does not skip it: every event is looked up). Reports both times and what
the re-load did (it must add exactly one row).

    .venv/bin/python bench/bench_ingest_dedupe.py                       # this checkout
    .venv/bin/python bench/bench_ingest_dedupe.py --src /tmp/old/src --label before --timeout 1200

``--src`` runs another intentseg source tree (e.g. ``git archive <commit> src | tar -x -C /tmp/old``)
on the same files, to compare before and after. Results are merged into bench/results/ingest_dedupe.json
under ``--label``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "ingest_dedupe.json"

# Runs in a child process so that --src can point at another intentseg; prints one JSON object.
_CHILD = """
import json, sys, time
from intentseg.ingest import ingest
first, copy, url = sys.argv[1:4]
out = {}
for key, path in (("first_load", first), ("reload_copy_plus_one", copy)):
    t = time.perf_counter()
    r = ingest(path, url)
    out[key] = {"seconds": round(time.perf_counter() - t, 2), "rows_read": r.rows_read, "accepted": r.accepted,
                "quarantined": r.quarantined, "already_loaded": getattr(r, "already_loaded", None)}
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000, help="users to generate (20,000 -> about 240k clicks)")
    parser.add_argument("--src", type=Path, default=HERE.parent / "src", help="intentseg source tree to run")
    parser.add_argument("--label", default="after", help="name of this result in the JSON file")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before the run is given up")
    parser.add_argument("--data", type=Path, default=None, help="folder with clickstream.csv (default: generate)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="intentseg-bench-ingest-") as tmp:
        work = Path(tmp)
        data = args.data
        if data is None:
            data = work / "events"
            subprocess.run([sys.executable, "-m", "intentseg", "generate", "--users", str(args.users),
                            "--out", str(data), "--format", "csv"], check=True, capture_output=True)
        first = work / "a" / "clickstream.csv"
        copy = work / "b" / "clickstream.csv"
        first.parent.mkdir()
        copy.parent.mkdir()
        shutil.copy(data / "clickstream.csv", first)
        text = first.read_text()
        lines = text.rstrip("\n").splitlines()
        header, last = next(csv.reader([lines[0]])), next(csv.reader([lines[-1]]))
        last[header.index("timestamp")] = "2030-01-01T00:00:00Z"  # one new event: the last row, later
        extra = io.StringIO()
        csv.writer(extra, lineterminator="\n").writerow(last)
        copy.write_text(text + extra.getvalue())
        env = os.environ | {"PYTHONPATH": str(args.src.resolve())}
        started = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(first), str(copy), f"duckdb:///{work / 'b.duckdb'}"],
                                  capture_output=True, text=True, env=env, timeout=args.timeout)
            result = json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-2000:]}
        except subprocess.TimeoutExpired:
            result = {"error": f"gave up after {args.timeout:.0f} s", "seconds_waited": round(time.perf_counter() - started)}
        rows = text.count("\n") - 1

    record = {
        "src": str(args.src), "rows": rows, "engine": "duckdb", **result,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}", "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged[args.label] = record
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps({args.label: record}, indent=2))


if __name__ == "__main__":
    main()
