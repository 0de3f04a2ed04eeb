"""The default path's price: ``intentseg run`` with k = auto against the same run with k given and the floor.

    .venv/bin/python -m bench kauto                     # 300k and 1M users
    .venv/bin/python -m bench kauto --sizes 100k       # a quick look

Per size, each in its own process under /usr/bin/time, on the same Parquet events (``bench/data/``):

1. ``intentseg run --events DIR --fresh --json`` with the default k (auto: the scan of
   ``intentseg.model.selection`` on a sample, then the chosen k fitted on every user);
2. the same with ``--k 5`` (the planted personas: no scan);
3. the floor (``bench/floor.py``: bare DuckDB per-source GROUP BYs + one ``KMeans(k=5, n_init=10)``).

Targets (issue 12): auto / given <= 1.5 at 300k and 1M users; auto / floor <= 2.5 at 1M users. The
machine is shared: the 1-minute load average before and after each size is recorded; quote ratios
from one run, not absolute times. Results: ``bench/results/kauto.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.__main__ import DATA, N_INIT, RESULTS, generate, label, parse_size, run_floor, timed

K_GIVEN = 5


def run_cli(events: Path, url: str, k: str | None) -> dict:
    cmd = [sys.executable, "-m", "intentseg", "run", "--warehouse", url, "--events", str(events), "--fresh", "--json"]
    out = timed(cmd + (["--k", k] if k else []))
    result = json.loads(out.pop("stdout"))
    return {**out, "k": result["k"], "k_rule": result.get("k_rule"), "k_fallback": result.get("k_fallback"),
            "steps_s": result["seconds"], "n_users": result["n_users"],
            "fit_rows": result["metrics"].get("profiles_from_sample") or result["n_users"]}


def bench_size(n_users: int, memory_limit: str | None) -> dict:
    events, rows = generate(n_users)
    db = DATA / f"kauto-{n_users}.duckdb"
    url = f"duckdb:///{db}" + (f"?memory_limit={memory_limit}" if memory_limit else "")
    load_before = os.getloadavg()[0]
    out: dict = {"users": n_users, "events_total": sum(rows.values())}
    for name, k in (("auto", None), ("given", str(K_GIVEN))):
        db.unlink(missing_ok=True)
        out[name] = run_cli(events, url, k)
        print(json.dumps({label(n_users): {name: out[name]}}), flush=True)
    db.unlink(missing_ok=True)
    out["floor"] = run_floor(events, out["given"]["fit_rows"], memory_limit)
    out["load_avg_1m"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    out["auto_over_given"] = round(out["auto"]["wall_s"] / out["given"]["wall_s"], 2)
    out["auto_over_floor"] = round(out["auto"]["wall_s"] / out["floor"]["wall_s"], 2)
    out["given_over_floor"] = round(out["given"]["wall_s"] / out["floor"]["wall_s"], 2)
    print(json.dumps({label(n_users): {k: out[k] for k in ("auto_over_given", "auto_over_floor", "load_avg_1m")}}),
          flush=True)
    return out


def markdown(result: dict) -> str:
    lines = [
        "# k = auto: the default path's price", "",
        "`python -m bench kauto`: `intentseg run --events DIR --fresh --json` on embedded DuckDB with the default",
        f"k (auto) and with `--k {K_GIVEN}`, and the floor (bare per-source GROUP BYs + one KMeans(k={K_GIVEN}, "
        f"n_init={N_INIT})), each in its own process. Targets: auto/given <= 1.5x; auto/floor <= 2.5x at 1M users.",
        "The machine is shared with other engineers' test runs: quote the ratios of one run, with the load average.", "",
        f"Run: {result['when']}.", "",
        "| users | k auto (chosen) s | k given s | floor s | auto / given | auto / floor | given / floor | peak auto | "
        "load avg 1m (before, after) | auto steps (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in result["sizes"]:
        a, g, f = r["auto"], r["given"], r["floor"]
        steps = ", ".join(f"{k} {v:.1f}" for k, v in a["steps_s"].items())
        lines.append(
            f"| {r['users']:,} | {a['wall_s']:.1f} (k = {a['k']}) | {g['wall_s']:.1f} | {f['wall_s']:.1f} | "
            f"**{r['auto_over_given']}x** | **{r['auto_over_floor']}x** | {r['given_over_floor']}x | {a['peak_rss_mb']:,} MB | "
            f"{r['load_avg_1m']['before']}, {r['load_avg_1m']['after']} | {steps} |")
    lines += ["", "Why k (auto): " + "; ".join(f"{label(r['users'])}: {r['auto']['k_rule']}" for r in result["sizes"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench kauto", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="300k,1m")
    p.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit for every run ('' for the default)")
    p.add_argument("--out", default="kauto")
    args = p.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "k_given": K_GIVEN, "sizes": []}
    for size in args.sizes.split(","):
        result["sizes"].append(bench_size(parse_size(size), args.memory_limit or None))
        (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (RESULTS / f"{args.out}.md").write_text(text)
    print(text)
