"""Simulation engine of the third held-out round (podcasts, civic), written blind.

Written from persona descriptions only, without knowledge of how intentseg builds features or segments
users. A persona is a table of scalars and probability vectors; ``separation`` pulls every parameter toward
the share-weighted average persona (geometric mean for positive volume scalars, arithmetic otherwise).

Mechanisms, all deterministic from the seed:

* visits: a number of active days per user (1 + Poisson around the persona's mean, scaled by a lognormal
  per-user activity and a few heavy users), chosen by the persona's weekly cycle times a site calendar
  (spike days); bursty users squeeze them into a short window; 1 + Poisson sessions per active day;
* hour of day from the persona's daily profile, shifted by a per-user offset;
* pages per session lognormal with a Pareto tail; sections from a per-user Dirichlet draw around the
  persona's mix; inside a section, items are grouped (a show's episodes, a permit's pages): a loyal user
  returns to a few favourite groups, everyone else follows Zipf popularity;
* dwell lognormal per persona, section and user; some exit pages unmeasured (null); rare absurd values;
* referrers: a persona-specific external source on a session's first page (null when direct), the
  previous page afterwards;
* searches and article reads per session (Poisson), a few users with only searches or only articles,
  and bot-like crawlers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from bench.quality.generators import _blind

LOG = ("visit_days", "per_day", "pages", "dwell", "n_fav", "searches", "articles", "read")
LIN = ("burst", "burst_len", "page_sigma", "dwell_sigma", "loyalty", "stick", "search_only", "article_only",
       "hour_jitter", "read_sigma")
VEC = ("week", "hours", "device", "ref", "sections", "queries", "acats")
BASE = np.datetime64("2026-04-06T00:00:00", "s")  # a Monday
BOT_LABELS = ("python-requests/2.31.0", "Mozilla/5.0 (compatible; crawler)", "HeadlessChrome/121.0", "curl/8.4.0")


def hours(*bumps: tuple[float, float, float], floor: float = 0.02) -> list[float]:
    """A 24-hour profile: circular Gaussian bumps (peak hour, width, weight) over a floor."""
    h = np.arange(24.0); v = np.full(24, floor)
    for peak, width, w in bumps:
        d = np.minimum(np.abs(h - peak), 24 - np.abs(h - peak)); v += w * np.exp(-0.5 * (d / width) ** 2)
    return list(v / v.sum())


def _zipf(n: int, a: float) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** a; return np.cumsum(p) / p.sum()


def _pick(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def _rows_pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a (rows, k) probability matrix."""
    c = np.cumsum(probs, axis=1); r = rng.random(len(probs)) * c[:, -1]
    return np.minimum((c < r[:, None]).sum(axis=1), probs.shape[1] - 1)


def blend(personas: dict[str, dict[str, Any]], shares: np.ndarray, separation: float) -> list[dict[str, Any]]:
    """The personas pulled together by (1 - separation), as _blind.blend pulls them, over this engine's parameters."""
    return _blind.blend(personas, shares, separation, LOG, LIN, VEC)


def messy(rng: np.random.Generator, pools: dict[str, list[str]]) -> dict[str, list[str]]:
    """Typed-by-people variants: capitals, a question mark, a swapped pair of letters."""
    out = {}
    for k, v in pools.items():
        res = []
        for s in v:
            f = rng.random()
            if f < 0.12:
                s = s.capitalize()
            elif f < 0.17 and len(s) > 5:
                i = int(rng.integers(1, len(s) - 2)); s = s[:i] + s[i + 1] + s[i] + s[i + 2:]
            elif f > 0.94:
                s = s + "?"
            res.append(s)
        out[k] = res
    return out


def _strings(idx: np.ndarray, vocab: list[str], null: np.ndarray | None = None) -> pa.Array:
    arr = pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32), mask=null), pa.array(vocab, pa.string()))
    return arr.cast(pa.string())


def _ts(secs: np.ndarray) -> pa.Array:
    return pa.array((BASE + secs.astype("timedelta64[s]")).astype("datetime64[us]"), pa.timestamp("us"))


def simulate(out_dir: Path, n_users: int, seed: int, separation: float, shares: dict[str, float] | None,
             days: int, default_days: int, world: dict[str, Any]) -> dict[str, Any]:
    personas: dict[str, dict[str, Any]] = world["personas"]; names = list(personas); n_p = len(names)
    rng = np.random.default_rng(seed)
    sh = _blind.persona_shares(personas, shares); P = blend(personas, sh, separation)
    persona = _blind.assign(rng, n_users, sh); n = n_users
    tab = {k: np.array([P[i][k] for i in range(n_p)]) for k in LOG + LIN}

    def col(k: str) -> np.ndarray:
        return tab[k][persona]

    # ---- users
    act = rng.lognormal(0.0, 0.5, n); heavy = rng.random(n) < 0.003; act[heavy] *= rng.uniform(5, 14, int(heavy.sum()))
    dmul = rng.lognormal(0.0, 0.35, n); smul = rng.lognormal(0.0, 0.6, n); amul = rng.lognormal(0.0, 0.5, n)
    shift = np.rint(rng.normal(0.0, 1.0, n) * col("hour_jitter")).astype(np.int64)
    loyal = np.clip(col("loyalty") + rng.normal(0, 0.08, n), 0, 0.98)
    # ---- active days and sessions
    dow = np.arange(days) % 7; cal = np.asarray(world["calendar"](days), float)
    n_days = np.clip(1 + rng.poisson(np.maximum(col("visit_days") - 1, 0) * act * days / default_days), 1, days)
    bursty = rng.random(n) < col("burst"); blen = np.maximum(1, np.rint(col("burst_len"))).astype(int)
    wk = [np.asarray(P[i]["week"])[dow] * cal for i in range(n_p)]
    du, dd = [], []
    for u in range(n):
        w = wk[persona[u]]
        if bursty[u]:
            st = int(rng.integers(0, max(1, days - blen[u] + 1))); w = w.copy(); w[:st] = 0; w[st + blen[u]:] = 0
        k = int(min(n_days[u], np.count_nonzero(w)))
        dd.append(np.sort(rng.choice(days, k, replace=False, p=w / w.sum()))); du.append(np.full(k, u))
    day_u = np.concatenate(du); day_d = np.concatenate(dd)
    nsd = 1 + rng.poisson(np.maximum(col("per_day")[day_u] - 1, 0) * np.minimum(act[day_u], 3) ** 0.3)
    suser = np.repeat(day_u, nsd); sday = np.repeat(day_d, nsd); sp = persona[suser]; ns = len(suser)
    hr = np.empty(ns, np.int64)
    for i in range(n_p):
        m = sp == i; hr[m] = _pick(rng, np.cumsum(P[i]["hours"]), int(m.sum()))
    hr = (hr + shift[suser]) % 24
    sstart = sday * 86400 + hr * 3600 + rng.integers(0, 3600, ns)
    # ---- pages
    npg = np.rint(tab["pages"][sp] * np.exp(rng.normal(0, 1, ns) * tab["page_sigma"][sp])).astype(np.int64)
    tail = rng.random(ns) < 0.03; npg[tail] = (npg[tail] * (1 + rng.pareto(1.4, int(tail.sum())))).astype(np.int64)
    npg = np.clip(npg, 1, 400)
    pe_s = np.repeat(np.arange(ns), npg); pe_u = suser[pe_s]; pe_p = persona[pe_u]; npe = len(pe_s)
    first = np.cumsum(npg) - npg; pos = np.arange(npe) - np.repeat(first, npg)
    sections = world["sections"]; sec_names = list(sections); n_sec = len(sec_names)
    usec = np.empty((n, n_sec))
    for i in range(n_p):
        m = persona == i; usec[m] = rng.dirichlet(np.asarray(P[i]["sections"]) * 30 + 0.02, int(m.sum()))
    sec = _rows_pick(rng, usec[pe_u])
    F = 12; n_fav = np.clip(np.rint(col("n_fav") * rng.lognormal(0, 0.4, n)), 1, F).astype(np.int64)
    vocab: list[str] = []; offs = []; sdwell = np.empty(n_sec); item = np.empty(npe, np.int64)
    fav = np.empty((n, n_sec, F), np.int64)
    use_fav = rng.random(npe) < loyal[pe_u]; fav_slot = (rng.random(npe) * n_fav[pe_u]).astype(np.int64)
    for j, s in enumerate(sec_names):
        urls, g, dw = sections[s]; ng = len(urls) // g; offs.append(len(vocab)); vocab += urls[: ng * g]; sdwell[j] = dw
        gcdf = _zipf(ng, 1.05); fav[:, j, :] = _pick(rng, gcdf, n * F).reshape(n, F)
        m = sec == j; k = int(m.sum())
        grp = np.where(use_fav[m], fav[pe_u[m], j, fav_slot[m]], _pick(rng, gcdf, k))
        item[m] = offs[j] + grp * g + _pick(rng, _zipf(g, 1.2), k)
    url = item
    # dwell: persona x section x user, lognormal; unmeasured exits; absurd values
    med = tab["dwell"][pe_p] * sdwell[sec] * dmul[pe_u]
    dwell = np.maximum(1.0, rng.lognormal(np.log(med), tab["dwell_sigma"][pe_p]))
    odd = rng.random(npe); dwell[odd < 0.0005] = rng.uniform(5 * 3600, 40 * 3600, int((odd < 0.0005).sum()))
    dwell[(odd >= 0.0005) & (odd < 0.0015)] = 0.0
    gap = rng.lognormal(np.log(3), 0.8, npe)
    step = np.minimum(dwell, 3 * 3600) + gap; cs = np.cumsum(step) - step
    page_t = sstart[pe_s] + (cs - cs[first][pe_s]).astype(np.int64)
    last = pos == np.repeat(npg - 1, npg)
    null_dwell = (last & (rng.random(npe) < world["null_exit"])) | (rng.random(npe) < 0.004)
    sess_len = np.bincount(pe_s, weights=np.minimum(dwell, 4 * 3600), minlength=ns)
    # referrers
    refs = world["referrers"]; rcat = list(refs); rvocab = [r for c in rcat for r in refs[c]]
    roff = np.cumsum([0] + [len(refs[c]) for c in rcat]); rc = np.empty(ns, np.int64)
    for i in range(n_p):
        m = sp == i; rc[m] = _pick(rng, np.cumsum(P[i]["ref"]), int(m.sum()))
    sref = np.full(ns, -1, np.int64)
    for j, c in enumerate(rcat):
        m = rc == j
        if refs[c]:
            sref[m] = len(vocab) + roff[j] + _pick(rng, _zipf(len(refs[c]), 1.2), int(m.sum()))
    ref = np.where(pos == 0, sref[pe_s], np.r_[-1, url[:-1]])
    ref[(pos > 0) & (rng.random(npe) < 0.05)] = -1
    # devices: a primary class per user, a tracker label per user and class
    labels = world["device_labels"]; lvocab = [lab for grp in labels for lab, _ in grp] + ["unknown", ""] + list(BOT_LABELS)
    loff = np.cumsum([0] + [len(g) for g in labels])
    ulab = np.stack([loff[c] + _pick(rng, np.cumsum(_blind.norm([w for _, w in labels[c]])), n) for c in range(len(labels))])
    prim = np.empty(n, np.int64)
    for i in range(n_p):
        m = persona == i; prim[m] = _pick(rng, np.cumsum(P[i]["device"]), int(m.sum()))
    sdev = np.where(rng.random(ns) < tab["stick"][sp], prim[suser], rng.integers(0, len(labels), ns))
    slab = ulab[sdev, suser]; r = rng.random(ns); slab[r < 0.004] = loff[-1]; slab[(r >= 0.004) & (r < 0.006)] = loff[-1] + 1
    # searches and article reads
    lam = tab["searches"][sp] * smul[suser]; nq = rng.poisson(lam)
    lam_a = tab["articles"][sp] * amul[suser] * np.sqrt(np.minimum(act[suser], 4)); na = rng.poisson(lam_a)
    mode = np.zeros(n, np.int64); r = rng.random(n)
    mode[r < col("search_only")] = 1; mode[(r >= col("search_only")) & (r < col("search_only") + col("article_only"))] = 2
    sm = mode[suser]; nq[sm == 1] = np.maximum(nq[sm == 1], 1); na[sm == 1] = 0
    na[sm == 2] = np.maximum(na[sm == 2], 1); nq[sm == 2] = 0
    bots = rng.choice(np.flatnonzero(mode == 0), size=min(int(np.count_nonzero(mode == 0)), max(1, n // 1000)), replace=False)
    is_bot = np.zeros(n, bool); is_bot[bots] = True
    nq[is_bot[suser]] = 0; na[is_bot[suser]] = 0
    pools = world["queries"]; qn = list(pools); qvocab = [q for c in qn for q in pools[c]]
    qoff = np.cumsum([0] + [len(pools[c]) for c in qn])
    q_s = np.repeat(np.arange(ns), nq); q_p = sp[q_s]; qc = np.empty(len(q_s), np.int64)
    for i in range(n_p):
        m = q_p == i; qc[m] = _pick(rng, np.cumsum(P[i]["queries"]), int(m.sum()))
    qi = np.empty(len(q_s), np.int64)
    for j, c in enumerate(qn):
        m = qc == j; qi[m] = qoff[j] + _pick(rng, _zipf(len(pools[c]), 0.95), int(m.sum()))
    q_t = sstart[q_s] + (rng.random(len(q_s)) * np.maximum(sess_len[q_s], 30)).astype(np.int64)
    a_s = np.repeat(np.arange(ns), na); a_p = sp[a_s]; a_u = suser[a_s]; ac = np.empty(len(a_s), np.int64)
    for i in range(n_p):
        m = a_p == i; ac[m] = _pick(rng, np.cumsum(P[i]["acats"]), int(m.sum()))
    aid = np.empty(len(a_s), np.int64)
    for j, (base, size) in enumerate(world["article_categories"]):
        m = ac == j; aid[m] = base + _pick(rng, _zipf(size, 1.0), int(m.sum()))
    read = np.maximum(2.0, rng.lognormal(np.log(tab["read"][a_p] * dmul[a_u]), tab["read_sigma"][a_p]))
    ro = rng.random(len(a_s)) < 0.0007; read[ro] = rng.uniform(3 * 3600, 30 * 3600, int(ro.sum()))
    a_t = sstart[a_s] + (rng.random(len(a_s)) * np.maximum(sess_len[a_s], 60)).astype(np.int64)
    # ---- clickstream: drop search-only, article-only and bot users' normal pages, add the crawlers
    keep = (mode[pe_u] == 0) & ~is_bot[pe_u]
    c_u, c_t, c_url, c_ref, c_lab = pe_u[keep], page_t[keep], url[keep], ref[keep], slab[pe_s][keep]
    c_dw, c_null = dwell[keep], null_dwell[keep]
    bu, bt, burl, blab, bdw = [], [], [], [], []
    for b in bots:
        k = int(rng.integers(300, 2500)); t0 = int(rng.integers(0, max(1, days - 2))) * 86400 + int(rng.integers(0, 86400))
        bu.append(np.full(k, b)); bt.append(t0 + np.cumsum(rng.integers(1, 5, k))); burl.append(rng.integers(0, len(vocab), k))
        blab.append(np.full(k, len(lvocab) - len(BOT_LABELS) + int(rng.integers(0, len(BOT_LABELS)))))
        bdw.append(rng.integers(0, 2, k).astype(float))
    if bots.size:
        c_u = np.r_[c_u, np.concatenate(bu)]; c_t = np.r_[c_t, np.concatenate(bt)]; c_url = np.r_[c_url, np.concatenate(burl)]
        c_ref = np.r_[c_ref, np.full(sum(len(x) for x in bu), -1)]; c_lab = np.r_[c_lab, np.concatenate(blab)]
        c_dw = np.r_[c_dw, np.concatenate(bdw)]; c_null = np.r_[c_null, np.zeros(sum(len(x) for x in bu), bool)]
    horizon = days * 86400 + 2 * 86400; ok = c_t < horizon  # a visit may run past midnight of the last day, not further
    c_u, c_t, c_url, c_ref, c_lab, c_dw, c_null = (a[ok] for a in (c_u, c_t, c_url, c_ref, c_lab, c_dw, c_null))
    o = np.lexsort((c_u, c_t))
    if world.get("float_time"):
        tcol = pa.array(np.round(c_dw[o], 1), pa.float64(), mask=c_null[o])
    else:
        tcol = pa.array(np.rint(c_dw[o]).astype(np.int64), pa.int64(), mask=c_null[o])
    clicks = pa.table({"user_id": pa.array(c_u[o], pa.int64()), "timestamp": _ts(c_t[o]), "url": _strings(c_url[o], vocab),
                       "referrer": _strings(np.maximum(c_ref[o], 0), vocab + rvocab, c_ref[o] < 0),
                       "device": _strings(c_lab[o], lvocab), "time_spent": tcol})
    o = np.lexsort((suser[q_s], q_t))
    queries = pa.table({"user_id": pa.array(suser[q_s][o], pa.int64()), "timestamp": _ts(q_t[o]), "query": _strings(qi[o], qvocab)})
    o = np.lexsort((a_u, a_t))
    articles = pa.table({"user_id": pa.array(a_u[o], pa.int64()), "timestamp": _ts(a_t[o]),
                         "article_id": pa.array(aid[o], pa.int64()), "time_spent": pa.array(np.rint(read[o]).astype(np.int64), pa.int64())})
    return _blind.write_dataset(out_dir, clicks, queries, articles, persona, names, world["engagement_rank"])
