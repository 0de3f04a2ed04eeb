"""Shared machinery of the blind generators (saas, marketplace): personas as parameter tables, vectorised sampling.

A persona is a dict of scalars and probability vectors. ``separation`` pulls every parameter toward the
share-weighted average persona (geometric mean for positive scalars, arithmetic for vectors and probabilities).
Written without knowledge of how intentseg builds features or segments users.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

LOG_SCALARS = ("sessions", "pages", "dwell", "searches", "articles", "read")
LIN_SCALARS = ("burst", "burst_len", "page_sigma")
VECTORS = ("hours", "week", "device", "ref", "sections", "queries", "acats")
DEVICE_LABELS = (
    (("desktop", 30), ("Desktop", 25), ("Windows PC", 12), ("Mac", 10), ("desktop (linux)", 3), ("DESKTOP", 2)),
    (("mobile", 25), ("Mobile", 15), ("iPhone", 20), ("Android", 20), ("mobile-android", 5), ("Mobile Safari", 5)),
    (("tablet", 40), ("iPad", 45), ("Android Tablet", 15)),
)
BASE = np.datetime64("2026-03-02T00:00:00", "s")  # a Monday


def hours(*bumps: tuple[float, float, float], floor: float = 0.01) -> np.ndarray:
    """24-hour profile from circular Gaussian bumps (peak hour, width in hours, weight)."""
    h = np.arange(24.0); v = np.full(24, floor)
    for peak, width, w in bumps:
        d = np.minimum(np.abs(h - peak), 24 - np.abs(h - peak)); v += w * np.exp(-0.5 * (d / width) ** 2)
    return v / v.sum()


def norm(v: Any) -> np.ndarray:
    a = np.asarray(v, dtype=float); return a / a.sum()


def zipf_cdf(n: int, a: float = 1.1) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** a; return np.cumsum(p) / p.sum()


def pick(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def blend(personas: dict[str, dict[str, Any]], shares: np.ndarray, separation: float,
          log_scalars: tuple[str, ...] = LOG_SCALARS, lin_scalars: tuple[str, ...] = LIN_SCALARS,
          vectors: tuple[str, ...] = VECTORS) -> list[dict[str, Any]]:
    """Parameters of each persona pulled toward the share-weighted average by (1 - separation): geometrically for
    ``log_scalars``, linearly for ``lin_scalars``, and as normalised mixtures for ``vectors``."""
    s = float(np.clip(separation, 0.0, 1.0)); out = []; ps = list(personas.values())
    avg: dict[str, Any] = {}
    for k in log_scalars:
        avg[k] = float(np.exp(sum(w * np.log(p[k]) for w, p in zip(shares, ps))))
    for k in lin_scalars:
        avg[k] = float(sum(w * p[k] for w, p in zip(shares, ps)))
    for k in vectors:
        avg[k] = sum(w * norm(p[k]) for w, p in zip(shares, ps))
    for p in ps:
        q: dict[str, Any] = {}
        for k in log_scalars:
            q[k] = float(np.exp(s * np.log(p[k]) + (1 - s) * np.log(avg[k])))
        for k in lin_scalars:
            q[k] = s * p[k] + (1 - s) * avg[k]
        for k in vectors:
            q[k] = norm(s * norm(p[k]) + (1 - s) * avg[k])
        out.append(q)
    return out


def persona_shares(personas: dict[str, dict[str, Any]], shares: dict[str, float] | None) -> np.ndarray:
    """Each persona's share (its own, or as ``shares`` overrides them: a persona left out gets none), summing to 1."""
    names = list(personas)
    sh = np.array([personas[n]["share"] for n in names], float)
    if shares is not None:
        unknown = set(shares) - set(names)
        if unknown:
            raise ValueError(f"unknown personas {sorted(unknown)}; known: {names}")
        sh = np.array([max(float(shares.get(n, 0.0)), 0.0) for n in names])
    if sh.sum() <= 0:
        raise ValueError("shares must have a positive total")
    return sh / sh.sum()


def assign(rng: np.random.Generator, n: int, shares: np.ndarray) -> np.ndarray:
    """Persona index per user: exact largest-remainder counts, shuffled."""
    raw = shares * n; cnt = np.floor(raw).astype(int); rest = n - cnt.sum()
    cnt[np.argsort(-(raw - cnt), kind="stable")[:rest]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), cnt))


def seg_offsets(counts: np.ndarray) -> np.ndarray:
    """Position of each event inside its group (0, 1, 2 … per group) for np.repeat-expanded groups."""
    starts = np.cumsum(counts) - counts; return np.arange(counts.sum()) - np.repeat(starts, counts)


def ts(secs: np.ndarray) -> pa.Array:
    return pa.array((BASE + secs.astype("timedelta64[s]")).astype("datetime64[us]"), pa.timestamp("us"))


def dict_strings(idx: np.ndarray, vocab: list[str], mask: np.ndarray | None = None) -> pa.Array:
    arr = pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32), mask=mask), pa.array(vocab, pa.string()))
    return arr.cast(pa.string())


def simulate(out_dir: Path, n_users: int, seed: int, separation: float, shares: dict[str, float] | None,
             days: int, default_days: int, world: dict[str, Any]) -> dict[str, Any]:
    """Generate the four Parquet files for a world (personas, catalog, referrers, query pools, article categories)."""
    personas: dict[str, dict[str, Any]] = world["personas"]; names = list(personas)
    rng = np.random.default_rng(seed)
    sh = persona_shares(personas, shares); P = blend(personas, sh, separation); n_p = len(names)
    persona = assign(rng, n_users, sh)
    # ---- per-user heterogeneity and sessions
    act = rng.lognormal(0.0, 0.55, n_users); act[rng.random(n_users) < 0.002] *= 15  # a few absurd heavy users
    dwell_mult = rng.lognormal(0.0, 0.35, n_users); srch_mult = rng.lognormal(0.0, 0.5, n_users)
    col = lambda k: np.array([P[i][k] for i in range(n_p)])[persona]  # noqa: E731
    scale = (1 - col("burst")) * days / default_days + col("burst")
    mean_s = col("sessions") * scale * act
    n_sess = 1 + rng.negative_binomial(1.5, 1.5 / (1.5 + np.maximum(mean_s - 1, 1e-6)))
    suser = np.repeat(np.arange(n_users), n_sess); sp = persona[suser]; ns = len(suser)
    # day: bursty users squeeze their sessions into a short window, the others follow the persona's week
    bursty = rng.random(n_users) < col("burst"); blen = np.maximum(1, np.rint(col("burst_len"))).astype(int)
    bstart = rng.integers(0, np.maximum(1, days - blen + 1))
    day = np.empty(ns, np.int64); hour = np.empty(ns, np.int64); dow = np.arange(days) % 7
    for i in range(n_p):
        m = sp == i
        day[m] = pick(rng, np.cumsum(norm(P[i]["week"][dow])), int(m.sum()))
        hour[m] = pick(rng, np.cumsum(P[i]["hours"]), int(m.sum()))
    sb = bursty[suser]; day[sb] = (bstart[suser] + rng.integers(0, blen[suser]))[sb]
    day = np.clip(day, 0, days - 1)
    sstart = day * 86400 + hour * 3600 + rng.integers(0, 3600, ns)
    # ---- pages
    npg = 1 + np.floor(rng.lognormal(np.log(np.array([p["pages"] for p in P])[sp]), np.array([p["page_sigma"] for p in P])[sp])).astype(np.int64)
    npg = np.minimum(npg, 600); pe_s = np.repeat(np.arange(ns), npg); pe_u = suser[pe_s]; pe_p = persona[pe_u]; npe = len(pe_s)
    med = np.array([p["dwell"] for p in P])[pe_p] * dwell_mult[pe_u]
    dwell = np.maximum(1, rng.lognormal(np.log(med), 0.9)).astype(np.int64)
    out = rng.random(npe) < 0.0006; dwell[out] = rng.integers(3 * 3600, 10 * 3600, int(out.sum()))  # tabs left open
    pos = seg_offsets(npg); cs = np.cumsum(dwell) - dwell; first = np.cumsum(npg) - npg
    page_t = sstart[pe_s] + cs - cs[first][pe_s] + rng.integers(0, 4, npe)
    sess_len = np.bincount(pe_s, weights=dwell, minlength=ns).astype(np.int64)
    # url: section by persona, page inside section by Zipf popularity
    cat = world["catalog"]; sec_names = list(cat); offs = np.cumsum([0] + [len(cat[s]) for s in sec_names])
    vocab = [u for s in sec_names for u in cat[s]]; cdfs = [zipf_cdf(len(cat[s]), 1.05) for s in sec_names]
    sec = np.empty(npe, np.int64)
    for i in range(n_p):
        m = pe_p == i; sec[m] = pick(rng, np.cumsum(P[i]["sections"]), int(m.sum()))
    url = np.empty(npe, np.int64)
    for j in range(len(sec_names)):
        m = sec == j; url[m] = offs[j] + pick(rng, cdfs[j], int(m.sum()))
    # referrer: external on a session's first page (by persona), else the previous page (sometimes stripped)
    refs = world["referrers"]; rcat = list(refs); rvocab = [r for c in rcat for r in refs[c]]
    roffs = np.cumsum([0] + [len(refs[c]) for c in rcat]); rcdfs = [zipf_cdf(max(1, len(refs[c])), 1.3) for c in rcat]
    rc = np.empty(ns, np.int64)
    for i in range(n_p):
        m = sp == i; rc[m] = pick(rng, np.cumsum(P[i]["ref"]), int(m.sum()))
    sref = np.full(ns, -1, np.int64)
    for j, c in enumerate(rcat):
        m = rc == j
        if refs[c]:
            sref[m] = len(vocab) + roffs[j] + pick(rng, rcdfs[j], int(m.sum()))
    ref = np.where(pos == 0, sref[pe_s], np.r_[-1, url[:-1]])
    ref[(pos > 0) & (rng.random(npe) < 0.04)] = -1
    # device: one primary device per user, sometimes another one for a session
    dev_u = np.empty(n_users, np.int64)
    for i in range(n_p):
        m = persona == i; dev_u[m] = pick(rng, np.cumsum(P[i]["device"]), int(m.sum()))
    sdev = np.where(rng.random(ns) < 0.1, rng.integers(0, 3, ns), dev_u[suser])
    labels = [lab for grp in DEVICE_LABELS for lab, _ in grp] + ["unknown"]
    lab_cdfs = [np.cumsum(norm([w for _, w in grp])) for grp in DEVICE_LABELS]; loffs = np.cumsum([0] + [len(g) for g in DEVICE_LABELS])
    user_lab = np.stack([loffs[d] + pick(rng, lab_cdfs[d], n_users) for d in range(3)])  # a user's tracker label per device class
    lab_s = user_lab[sdev, suser]
    lab_s[rng.random(ns) < 0.005] = len(labels) - 1
    o = np.lexsort((pe_u, page_t)); ref = ref[o]
    clicks = pa.table({"user_id": pa.array(pe_u[o], pa.int64()), "timestamp": ts(page_t[o]),
                       "url": dict_strings(url[o], vocab), "referrer": dict_strings(np.maximum(ref, 0), vocab + rvocab, ref < 0),
                       "device": dict_strings(lab_s[pe_s[o]], labels), "time_spent": pa.array(dwell[o], pa.int64())})
    # ---- searches
    lam = np.array([p["searches"] for p in P])[sp] * srch_mult[suser]
    nq = rng.poisson(lam); q_s = np.repeat(np.arange(ns), nq); q_p = sp[q_s]; nqe = len(q_s)
    pools = world["queries"]; qnames = list(pools); qoffs = np.cumsum([0] + [len(pools[c]) for c in qnames])
    qvocab = [q for c in qnames for q in pools[c]]; qcdfs = [zipf_cdf(len(pools[c]), 0.9) for c in qnames]
    qc = np.empty(nqe, np.int64)
    for i in range(n_p):
        m = q_p == i; qc[m] = pick(rng, np.cumsum(P[i]["queries"]), int(m.sum()))
    qi = np.empty(nqe, np.int64)
    for j in range(len(qnames)):
        m = qc == j; qi[m] = qoffs[j] + pick(rng, qcdfs[j], int(m.sum()))
    q_t = sstart[q_s] + (rng.random(nqe) * np.minimum(sess_len[q_s], 4 * 3600)).astype(np.int64)
    o = np.lexsort((suser[q_s], q_t))
    queries = pa.table({"user_id": pa.array(suser[q_s][o], pa.int64()), "timestamp": ts(q_t[o]), "query": dict_strings(qi[o], qvocab)})
    # ---- article reads
    na = rng.poisson(np.array([p["articles"] for p in P])[sp] * np.sqrt(act[suser]))
    a_s = np.repeat(np.arange(ns), na); a_u = suser[a_s]; a_p = persona[a_u]; nae = len(a_s)
    acats = world["article_categories"]; ac = np.empty(nae, np.int64)
    for i in range(n_p):
        m = a_p == i; ac[m] = pick(rng, np.cumsum(P[i]["acats"]), int(m.sum()))
    aid = np.empty(nae, np.int64)
    for j, (base, size) in enumerate(acats):
        m = ac == j; aid[m] = base + pick(rng, zipf_cdf(size, 1.0), int(m.sum()))
    rmed = np.array([p["read"] for p in P])[a_p] * dwell_mult[a_u]
    read = np.maximum(2, rng.lognormal(np.log(rmed), 0.8)).astype(np.int64)
    out = rng.random(nae) < 0.0008; read[out] = rng.integers(2 * 3600, 9 * 3600, int(out.sum()))
    a_t = sstart[a_s] + (rng.random(nae) * np.minimum(sess_len[a_s], 4 * 3600)).astype(np.int64)
    o = np.lexsort((a_u, a_t))
    articles = pa.table({"user_id": pa.array(a_u[o], pa.int64()), "timestamp": ts(a_t[o]),
                         "article_id": pa.array(aid[o], pa.int64()), "time_spent": pa.array(read[o], pa.int64())})
    return write_dataset(out_dir, clicks, queries, articles, persona, names, world["engagement_rank"])


def write_dataset(out_dir: Path, clicks: pa.Table, queries: pa.Table, articles: pa.Table, persona: np.ndarray,
                  names: list[str], engagement_rank: dict[str, int]) -> dict[str, Any]:
    """The three sources and truth.parquet (persona and engagement rank per user) into ``out_dir``; the facts."""
    rank = np.array([engagement_rank[n] for n in names], np.int64)
    truth = pa.table({"user_id": pa.array(np.arange(len(persona)), pa.int64()),
                      "persona": pa.array([names[i] for i in persona], pa.string()),
                      "engagement_rank": pa.array(rank[persona], pa.int64())})
    out_dir = Path(out_dir); out_dir.mkdir(parents=True, exist_ok=True); events = {}
    for fname, t in (("clickstream", clicks), ("search_queries", queries), ("article_views", articles)):
        pq.write_table(t, out_dir / f"{fname}.parquet"); events[f"{fname}.parquet"] = t.num_rows
    pq.write_table(truth, out_dir / "truth.parquet")
    order = sorted(names, key=lambda n: engagement_rank[n])
    true_k = int((np.bincount(persona, minlength=len(names)) > 0).sum())
    return {"n_users": len(persona), "personas": order, "true_k": true_k, "events": events}
