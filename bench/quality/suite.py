"""The quality suite: ``python -m bench quality`` → ``bench/results/quality.{json,md}``.

Every dataset goes through the real pipeline: ``intentseg.run(duckdb_url, events=folder, k=..., previous=False)``
on a new DuckDB file, reading the Parquet files in place (the ``--events DIR`` path). Per dataset:

* k chosen by the default rule (``k = "auto"``), whether it was the fallback, and the seconds the run took;
* with a truth: the adjusted Rand index (ARI) against the planted personas at the chosen k and at the
  true k, and whether the three tiers follow true engagement (k = 3: the mean engagement_rank of the
  users of segment 0, 1, 2 strictly increases);
* with a truth, a **supervised upper bound** (:func:`separability`): 5-fold cross-validated accuracy of
  two simple classifiers (linear discriminant analysis; a random forest of 200 trees, leaves of >= 3
  users) trained on the same transformed model features to predict the persona. A dataset is
  *separable* (the ARI target applies) when the better of the two reaches ``SEPARABLE_ACCURACY``:
  a measurement, not a label; where it disagrees with the dataset's hand-written flag, both are shown;
* with a truth, the **ceiling of a centre model** (:func:`centre_ceiling`): what any segmentation that
  gives each user the nearest of k centres (K-Means, and every scorer of intentseg: Python, SQL, Spark)
  can be expected to reach in the same space (a reference, not a proof of a bound). Three measurements:
  the ARI with the personas' own means as the centres; whether K-Means' objective prefers another
  partition (Lloyd's algorithm started at the persona means walks away from them, or ends at a higher
  within-segment sum of squares than K-Means' own fit at the true k: then no better start or more
  restarts of K-Means finds the personas); and the ARI of 30 K-Means cells each given, by an oracle, to
  its majority persona (many centres, ideally merged). A dataset is *centre-separable* when the first
  reaches 0.90;
* without a truth (real data): segments fitted on the events before a cut must order each user's
  activity after it: Spearman correlation between segment id (0 = least engaged) and future events,
  and the mean future events per tier, at the chosen k and at k = 3.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score

from bench.quality.datasets import HELD_OUT, OURS, REAL, Dataset, load_truth, materialise

#: A classifier that sees the personas must reach this 5-fold accuracy on the model features for the
#: personas to count as separable in them (the bar named in issue 12's brief, not fitted to the results).
SEPARABLE_ACCURACY = 0.90
#: The ARI target of issue 12; also the bar of the centre ceiling (:func:`centre_ceiling`).
ARI_TARGET = 0.90
#: Cells of the oracle-merged ceiling: many more centres than any dataset has personas (at most 8).
ORACLE_CELLS = 30

HERE = Path(__file__).resolve().parents[1]
DATA = HERE / "data" / "quality"
RESULTS = HERE / "results"


def run_pipeline(folder: Path, k: int | str, work: Path, seed: int = 0) -> tuple[pd.DataFrame, dict, float]:
    """One ``intentseg run`` over the folder's events: assignments, selection facts, wall seconds.

    The facts hold ``Z`` (the transformed model features, one row per user of ``user_ids``) for
    :func:`separability`."""
    import intentseg
    from intentseg.config import load_settings

    db = work / f"run-{k}.duckdb"
    db.unlink(missing_ok=True)
    settings = load_settings(None, overrides={"warehouse": f"duckdb:///{db}"})
    settings.segment.random_state = seed
    started = time.perf_counter()
    result = intentseg.run(settings=settings, events=folder, k=k, previous=False)
    seconds = time.perf_counter() - started
    sel = result.model.selection_
    facts = {"k": result.k, "fallback": bool(sel.get("fallback", False)), "reason": sel.get("reason") or sel.get("rule"),
             "names": list(result.model.segment_names_),
             "user_ids": result.features["user_id"].to_numpy(),
             "Z": result.model.transform_.apply(result.features[list(result.model.feature_names_)].to_numpy(float)),
             "feature_names": list(result.model.feature_names_),
             "labels": result.assignments.set_index("user_id").loc[result.features["user_id"], "segment_id"].to_numpy()}
    assignments = result.assignments[["user_id", "segment_id"]].copy()
    db.unlink(missing_ok=True)
    return assignments, facts, seconds


def tiers_follow(assignments: pd.DataFrame, truth: pd.DataFrame) -> tuple[bool, list[float]]:
    m = assignments.merge(truth, on="user_id")
    means = m.groupby("segment_id")["engagement_rank"].mean().sort_index()
    return bool(len(means) == 3 and np.all(np.diff(means.to_numpy()) > 0)), [round(float(v), 2) for v in means]


def labelled(user_ids: np.ndarray, Z: np.ndarray, truth: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``Z`` (one per user of ``user_ids``) whose user has a persona, and the persona as 0..k-1."""
    persona = pd.Series(user_ids).map(truth.set_index("user_id")["persona"])
    keep = persona.notna().to_numpy()
    return Z[keep], pd.factorize(persona[keep])[0]


def persona_centres(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The personas' means in ``X`` (labels ``y`` = 0..k-1) and each row's nearest of them."""
    means = np.stack([X[y == c].mean(axis=0) for c in range(int(y.max()) + 1)])
    return means, ((X[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)


def separability(user_ids: np.ndarray, Z: np.ndarray, truth: pd.DataFrame, seed: int) -> dict:
    """Supervised upper bound: 5-fold accuracy (and ARI of the predictions) of LDA and a random forest
    predicting the persona from the transformed model features ``Z`` (rows = ``user_ids``)."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    X, y = labelled(user_ids, Z, truth)
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    out: dict[str, Any] = {}
    with threadpool_limits(1):
        for name, clf in (("lda", LinearDiscriminantAnalysis()),
                          ("forest", RandomForestClassifier(200, min_samples_leaf=3, n_jobs=1, random_state=seed))):
            pred = cross_val_predict(clf, X, y, cv=cv)
            out[f"{name}_accuracy"] = round(float(accuracy_score(y, pred)), 3)
            out[f"{name}_ari"] = round(float(adjusted_rand_score(y, pred)), 3)
    out["accuracy"] = max(out["lda_accuracy"], out["forest_accuracy"])
    out["separable"] = out["accuracy"] >= SEPARABLE_ACCURACY
    return out


def centre_ceiling(user_ids: np.ndarray, Z: np.ndarray, truth: pd.DataFrame, seed: int) -> dict:
    """What a nearest-centre segmentation can reach in the transformed model features ``Z``.

    * ``ari_persona_centres``: ARI of giving each user the nearest persona mean (the truth's own centres);
    * ``inertia_kmeans`` / ``inertia_from_personas`` / ``ari_from_personas``: the within-segment sum of
      squares of K-Means' fit at the true k (10 starts), and the sum of squares and ARI of Lloyd's algorithm
      started at the persona means (where K-Means goes from the truth). ``objective_prefers_other`` when
      that Lloyd fit ends more than 0.1% above K-Means' fit, or walks away from the personas (its ARI more
      than 0.1 below ``ari_persona_centres``): K-Means' objective ranks another partition above the
      personas, so no better start or more restarts recovers them;
    * ``ari_oracle_cells``: ARI of :data:`ORACLE_CELLS` K-Means cells, each given to its majority persona.
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    X, y = labelled(user_ids, Z, truth)
    k = int(y.max()) + 1
    means, nearest = persona_centres(X, y)
    with threadpool_limits(1):
        own = KMeans(k, n_init=10, random_state=seed).fit(X)
        from_personas = KMeans(k, init=means, n_init=1).fit(X)
        cells = KMeans(min(ORACLE_CELLS, len(X)), n_init=3, random_state=seed).fit(X).labels_
    majority = np.array([np.bincount(y[cells == c], minlength=k).argmax() if (cells == c).any() else 0
                         for c in range(cells.max() + 1)])
    out = {"ari_persona_centres": round(float(adjusted_rand_score(y, nearest)), 3),
           "inertia_kmeans": round(float(own.inertia_), 1),
           "inertia_from_personas": round(float(from_personas.inertia_), 1),
           "ari_from_personas": round(float(adjusted_rand_score(y, from_personas.labels_)), 3),
           "ari_oracle_cells": round(float(adjusted_rand_score(y, majority[cells])), 3)}
    out["objective_prefers_other"] = (out["inertia_from_personas"] > 1.001 * out["inertia_kmeans"]
                                      or out["ari_from_personas"] < out["ari_persona_centres"] - 0.1)
    out["centre_separable"] = out["ari_persona_centres"] >= ARI_TARGET
    return out


#: Which source a trait noun claims (the vocabulary of ``intentseg.model.naming.TRAIT_NOUNS``); nouns not
#: listed ("regulars", "lapsed users") are cross-source.
NOUN_SOURCE = {"readers": "article_views", "searchers": "search_queries", "shoppers": "search_queries",
               "comparers": "search_queries", "researchers": "search_queries", "navigators": "search_queries",
               "browsers": "clickstream", "mobile users": "clickstream", "desktop users": "clickstream",
               "tablet users": "clickstream", "search visitors": "clickstream", "social visitors": "clickstream",
               "direct visitors": "clickstream"}


def named_traits(names: list[str], labels: np.ndarray, Z: np.ndarray, feature_names: list[str], folder: Path) -> dict:
    """Check every trait a segment name claims (``"Highly engaged · readers"``), independently of the naming
    code: the noun's source must be in the dataset's folder, and one of the model features that noun stands
    for must put the segment's users above the others by a standardized mean difference of at least 0.5
    (pooled standard deviation, transformed features: ADR 0002's bar, computed here on its own)."""
    from intentseg.model.naming import TRAIT_NOUNS

    named, supported, unsupported = 0, 0, []
    for segment, name in enumerate(names):
        if " · " not in name:
            continue
        noun = name.split(" · ", 1)[1]
        named += 1
        source = NOUN_SOURCE.get(noun)
        if source and not (folder / f"{source}.parquet").exists():
            unsupported.append(f"{name}: no {source} in the data")
            continue
        inside = labels == segment
        best = -np.inf
        for j, feature in enumerate(feature_names):
            if TRAIT_NOUNS.get(feature) != noun or inside.all() or not inside.any():
                continue
            a, b = Z[inside, j], Z[~inside, j]
            pooled = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
            best = max(best, (a.mean() - b.mean()) / pooled if pooled > 0 else -np.inf)
        if best >= 0.5:
            supported += 1
        else:
            unsupported.append(f"{name}: largest effect size {best:.2f}" if np.isfinite(best)
                               else f"{name}: no model feature stands for '{noun}'")
    return {"named": named, "supported": supported, "unsupported": unsupported}


def ari(assignments: pd.DataFrame, truth: pd.DataFrame) -> float:
    m = assignments.merge(truth, on="user_id")
    return round(float(adjusted_rand_score(m["persona"], m["segment_id"])), 3)


def predictive(assignments: pd.DataFrame, future: pd.DataFrame) -> dict:
    m = assignments.merge(future, on="user_id")
    rho = spearmanr(m["segment_id"], m["future_events"]).statistic
    per_tier = m.groupby("segment_id")["future_events"].mean().sort_index()
    return {"spearman": round(float(rho), 3), "mean_future_events": [round(float(v), 1) for v in per_tier],
            "tiers_ordered": bool(np.all(np.diff(per_tier.to_numpy()) > 0))}


def evaluate(ds: Dataset, n_users: int, seed: int) -> dict[str, Any]:
    folder, facts = materialise(ds, DATA, n_users, seed)
    work = DATA / "runs" / ds.name
    work.mkdir(parents=True, exist_ok=True)
    row: dict[str, Any] = {"dataset": ds.name, "origin": ds.origin, "description": ds.description,
                           "separable": ds.separable, "why_not_separable": ds.why_not_separable or None,
                           "true_k": facts.get("true_k"), "personas": facts.get("personas")}
    auto, sel, seconds = run_pipeline(folder, "auto", work, seed)
    row.update(chosen_k=sel["k"], fallback=sel["fallback"], reason=sel["reason"], seconds=round(seconds, 1),
               names=sel["names"], traits=named_traits(sel["names"], sel["labels"], sel["Z"], sel["feature_names"], folder))
    at_3 = auto if sel["k"] == 3 else run_pipeline(folder, 3, work, seed)[0]
    if facts.get("true_k"):
        truth = load_truth(folder)
        row["users"] = int(auto["user_id"].nunique())
        true_k = int(facts["true_k"])
        row["k_correct"] = sel["k"] == true_k
        row["upper_bound"] = separability(sel["user_ids"], sel["Z"], truth, seed)
        row["separable_labelled"] = ds.separable
        row["separable"] = row["upper_bound"]["separable"]
        row["centre_ceiling"] = centre_ceiling(sel["user_ids"], sel["Z"], truth, seed)
        row["ari_chosen"] = ari(auto, truth)
        row["ari_true_k"] = row["ari_chosen"] if sel["k"] == true_k else ari(run_pipeline(folder, true_k, work, seed)[0], truth)
        row["tiers_follow_engagement"], row["tier_engagement_rank"] = tiers_follow(at_3, truth)
    else:
        future = pd.read_parquet(folder / "future.parquet")
        row.update(users=int(auto["user_id"].nunique()), cut=facts.get("cut"))
        row["predictive_chosen"] = predictive(auto, future)
        row["predictive_k3"] = predictive(at_3, future)
    print(json.dumps({k: v for k, v in row.items() if k not in ("description", "names", "personas")}), flush=True)
    return row


def summary(rows: list[dict]) -> dict:
    synth = [r for r in rows if r.get("true_k")]
    sep = [r for r in synth if r["separable"]]
    many = [r for r in sep if r["true_k"] >= 4]
    return {
        "synthetic": len(synth),
        "k_correct": sum(r["k_correct"] for r in synth),
        "k_correct_share": round(sum(r["k_correct"] for r in synth) / len(synth), 3) if synth else None,
        "separable": len(sep),
        "k_correct_separable": sum(r["k_correct"] for r in sep),
        "chose_2_with_4_or_more_separable": [r["dataset"] for r in many if r["chosen_k"] == 2],
        "separable_with_ari_true_k_below_0.90": [r["dataset"] for r in sep if r["ari_true_k"] < 0.90],
        "tiers_follow_engagement": sum(bool(r["tiers_follow_engagement"]) for r in synth),
        "traits_named": sum(r["traits"]["named"] for r in rows if "traits" in r),
        "traits_supported": sum(r["traits"]["supported"] for r in rows if "traits" in r),
        **_ceiling_summary(synth, sep),
    }


def _traits(row: dict) -> str:
    t = row.get("traits")
    return f"{t['supported']} of {t['named']}" if t else "–"


def _ceiling_summary(synth: list[dict], sep: list[dict]) -> dict:
    """The centre ceiling's counts (rows of older result files have no ``centre_ceiling``)."""
    rows = [r for r in synth if "centre_ceiling" in r]
    if not rows:
        return {}
    centre = [r for r in rows if r["centre_ceiling"]["centre_separable"]]
    optimum = [r for r in centre if not r["centre_ceiling"]["objective_prefers_other"]]
    return {
        "centre_separable": len(centre),
        "k_correct_centre_separable": sum(r["k_correct"] for r in centre),
        "centre_separable_with_ari_true_k_below_0.90": [r["dataset"] for r in centre if r["ari_true_k"] < ARI_TARGET],
        "separable_not_centre_separable": [r["dataset"] for r in sep if r in rows and r not in centre],
        "objective_prefers_other_separable": [r["dataset"] for r in sep if r in rows
                                              and r["centre_ceiling"]["objective_prefers_other"]],
        "oracle_cells_below_0.90_separable": [r["dataset"] for r in sep if r in rows
                                              and r["centre_ceiling"]["ari_oracle_cells"] < ARI_TARGET],
        # where the personas are K-Means' own optimum: the part of the targets the partitioner can meet
        "kmeans_optimum": [r["dataset"] for r in optimum],
        "k_correct_kmeans_optimum": sum(r["k_correct"] for r in optimum),
        "kmeans_optimum_with_ari_true_k_below_0.90": [r["dataset"] for r in optimum if r["ari_true_k"] < ARI_TARGET],
    }


def markdown(result: dict) -> str:
    s = result["summary"]
    lines = [
        "# Quality suite", "",
        "`python -m bench quality` (`--quick` for 3,000 users per dataset; `--only NAME,...`). Every dataset runs",
        "through `intentseg.run(..., events=FOLDER)` on a new DuckDB file with the default settings; k = auto is",
        "the default rule of `intentseg.model.selection` (ADR 0004). ARI = adjusted Rand index against the planted",
        "personas. *Tiers follow* = at k = 3, the mean engagement rank of the personas (0 = least engaged) of",
        "segments 0, 1, 2 strictly increases. Seconds: the k = auto run, on a shared, noisy machine.",
        "*Classifier* = the supervised upper bound: 5-fold accuracy of LDA / a random forest predicting the persona",
        f"from the same transformed model features; *separable* = the better one >= {SEPARABLE_ACCURACY:.2f} (measured).", "",
        f"Run: {result['when']}, {result['users']:,} users per synthetic dataset, seed {result['seed']}, "
        f"arm {result.get('arm', 'default')}. Rule frozen: {result['rule_frozen']}.", "",
        "## Datasets with a planted truth", "",
        "| dataset | origin | true k | chosen k | fallback | ARI chosen | ARI true k | classifier acc. LDA / forest "
        "(forest ARI) | separable | tiers follow (rank by tier) | traits supported | s |",
        "|---|---|---:|---:|---|---:|---:|---|---|---|---:|---:|",
    ]
    for r in result["datasets"]:
        if not r.get("true_k"):
            continue
        ub = r["upper_bound"]
        sep = "yes" if r["separable"] else "**no**"
        if r["separable"] != r.get("separable_labelled", r["separable"]):
            sep += f" (labelled {'yes' if r['separable_labelled'] else 'no'})"
        lines.append(
            f"| {r['dataset']} | {r['origin']} | {r['true_k']} | {r['chosen_k']}{'' if r['k_correct'] else ' ✗'} | "
            f"{'yes' if r['fallback'] else 'no'} | {r['ari_chosen']:.3f} | {r['ari_true_k']:.3f} | "
            f"{ub['lda_accuracy']:.3f} / {ub['forest_accuracy']:.3f} ({ub['forest_ari']:.3f}) | {sep} | "
            f"{'yes' if r['tiers_follow_engagement'] else 'no'} {r['tier_engagement_rank']} | {_traits(r)} | "
            f"{r['seconds']} |")
    lines += [
        "",
        f"Chosen k = true k on **{s['k_correct']} of {s['synthetic']}** synthetic datasets ({s['k_correct_share']:.0%}). "
        f"On the {s['separable']} measured separable: {s['k_correct_separable']} of {s['separable']}. "
        f"k = 2 with >= 4 separable groups: {', '.join(s['chose_2_with_4_or_more_separable']) or 'never'}. "
        f"Separable datasets with ARI < 0.90 at the true k: {', '.join(s['separable_with_ari_true_k_below_0.90']) or 'none'}. "
        f"Tiers follow engagement on {s['tiers_follow_engagement']} of {s['synthetic']}.", "",
        "Not separable, and why:", "",
    ]
    for r in result["datasets"]:
        if r.get("true_k") and not r["separable"]:
            why = r.get("why_not_separable") or "no reason was written down for it"
            lines.append(f"- {r['dataset']}: a classifier that sees the personas reaches only "
                         f"{r['upper_bound']['accuracy']:.3f} accuracy on the model features; {why}")
    disagree = [r for r in result["datasets"] if r.get("true_k") and r["separable"] != r["separable_labelled"]]
    if disagree:
        lines += ["", "Measured separability disagrees with the hand-written flag (the measurement is used):", ""]
        lines += [f"- {r['dataset']}: labelled {'separable' if r['separable_labelled'] else 'not separable'}"
                  + (f" ({r['why_not_separable']})" if r.get("why_not_separable") else "")
                  + f", measured {'separable' if r['separable'] else 'not separable'} "
                  f"(accuracy {r['upper_bound']['accuracy']:.3f})" for r in disagree]
    lines += _ceiling_markdown(result)
    real = [r for r in result["datasets"] if not r.get("true_k")]
    if real:
        lines += ["", "## Real data without a truth (predictive check)", "",
                  "Ratings loaded as article views (no time spent, no clicks or searches), fitted on the ratings before",
                  "the cut (the time by which 70% were given); future = each user's ratings after it.", "",
                  "| dataset | users | chosen k | fallback | Spearman(tier, future), chosen k | mean future per tier, chosen k "
                  "| Spearman, k = 3 | mean future per tier, k = 3 | traits supported | s |",
                  "|---|---:|---:|---|---:|---|---:|---|---:|---:|"]
        for r in real:
            pc, p3 = r["predictive_chosen"], r["predictive_k3"]
            lines.append(f"| {r['dataset']} | {r['users']:,} | {r['chosen_k']} | {'yes' if r['fallback'] else 'no'} | "
                         f"{pc['spearman']:.3f} | {pc['mean_future_events']} | {p3['spearman']:.3f} | "
                         f"{p3['mean_future_events']} | {_traits(r)} | {r['seconds']} |")
    lines += ["", "## Named traits", "",
              "*Traits supported* = of the traits the chosen model's names claim (`Highly engaged · readers`), how",
              "many pass a check written apart from the naming code (`named_traits`): the noun's source is in the data",
              "and a model feature of that noun puts the segment above the other users by an effect size >= 0.5.",
              "Names without a trait (the three tiers; `Moderate engagement (2 of 3)`) claim none.", "",
              f"Traits named: {s.get('traits_named', 0)}; supported: {s.get('traits_supported', 0)}."]
    lines += [f"- not supported: {r['dataset']}: {u}" for r in result["datasets"] for u in r.get("traits", {}).get("unsupported", [])]
    lines += ["", "## Why k (the rule's own words)", ""]
    lines += [f"- {r['dataset']}: {r['reason']}" for r in result["datasets"]]
    if result.get("notes"):
        lines += ["", "## Notes", "", *[f"- {n}" for n in result["notes"]]]
    return "\n".join(lines) + "\n"


def _ceiling_markdown(result: dict) -> list[str]:
    rows = [r for r in result["datasets"] if r.get("true_k") and "centre_ceiling" in r]
    if not rows:
        return []
    s = result["summary"]
    lines = ["", "## The ceiling of a centre model", "",
             "Every intentseg scorer gives a user the nearest of k centres. *Persona centres* = ARI when the centres",
             "are the personas' own means in the model's space; *from personas* = ARI of Lloyd's algorithm (K-Means)",
             "started there; *objective prefers other* = that fit walks away from the personas (ARI 0.1 lower) or ends",
             "at a higher sum of squares than K-Means' own fit at the true k (10 starts): no better start or more",
             "restarts recovers the personas;",
             f"*{ORACLE_CELLS} oracle cells* = ARI of {ORACLE_CELLS} K-Means cells each given to its majority persona by an",
             f"oracle. *Centre-separable* = persona centres >= {ARI_TARGET:.2f}.", "",
             "| dataset | separable (classifier) | ARI true k | persona centres | from personas (objective prefers other) "
             f"| {ORACLE_CELLS} oracle cells | centre-separable |",
             "|---|---|---:|---:|---|---:|---|"]
    for r in rows:
        c = r["centre_ceiling"]
        lines.append(f"| {r['dataset']} | {'yes' if r['separable'] else 'no'} | {r['ari_true_k']:.3f} | "
                     f"{c['ari_persona_centres']:.3f} | {c['ari_from_personas']:.3f} "
                     f"({'yes' if c['objective_prefers_other'] else 'no'}: {c['inertia_from_personas']:,.0f} vs "
                     f"{c['inertia_kmeans']:,.0f}) | {c['ari_oracle_cells']:.3f} | "
                     f"{'yes' if c['centre_separable'] else '**no**'} |")
    lines += ["", f"Separable by a classifier but not by centres: "
              f"{', '.join(s['separable_not_centre_separable']) or 'none'}. Separable, and K-Means' objective prefers "
              f"another partition: {', '.join(s['objective_prefers_other_separable']) or 'none'}. Separable, and even "
              f"{ORACLE_CELLS} oracle-merged cells stay below {ARI_TARGET:.2f}: "
              f"{', '.join(s['oracle_cells_below_0.90_separable']) or 'none'}.",
              f"On the {s['centre_separable']} centre-separable datasets: chosen k = true k on "
              f"{s['k_correct_centre_separable']}; ARI < {ARI_TARGET:.2f} at the true k on "
              f"{', '.join(s['centre_separable_with_ari_true_k_below_0.90']) or 'none'}.",
              f"Where the personas are K-Means' own optimum (centre-separable, objective prefers no other): "
              f"{', '.join(s['kmeans_optimum']) or 'none'}; chosen k = true k on {s['k_correct_kmeans_optimum']} of "
              f"{len(s['kmeans_optimum'])}; ARI < {ARI_TARGET:.2f} at the true k on "
              f"{', '.join(s['kmeans_optimum_with_ari_true_k_below_0.90']) or 'none'}."]
    return lines


#: ``QUALITY_ARM=pooled-averages`` runs the suite with the average durations pooled too
#: (``transform.POOLED_AVERAGES``, not the default): the second arm of the second held-out round.
#: ``QUALITY_ARM=weighted``: every fit with ``Segmenter(weighting="dispersion")`` (feature-weighted
#: K-Means, not the default): the second arm of the third held-out round.
ARMS = ("default", "pooled-averages", "weighted")


def _set_arm(arm: str) -> None:
    import intentseg.pipeline
    from intentseg.fit import segmenter_for
    from intentseg.model import transform

    if arm not in ARMS:
        raise SystemExit(f"QUALITY_ARM must be one of {ARMS}, got {arm!r}")
    transform.POOLED = transform.POOLED_SHARES + (transform.POOLED_AVERAGES if arm == "pooled-averages" else ())
    weighting = "dispersion" if arm == "weighted" else "none"
    intentseg.pipeline.segmenter_for = lambda *a, **kw: segmenter_for(*a, **kw).set_params(weighting=weighting)


def main(names: list[str] | None, n_users: int, seed: int, out: str, rule_frozen: str, notes: list[str]) -> dict:
    arm = os.environ.get("QUALITY_ARM", "default")
    _set_arm(arm)
    datasets = [*OURS, *HELD_OUT, *REAL]
    if names:
        unknown = set(names) - {d.name for d in datasets}
        if unknown:
            raise SystemExit(f"unknown dataset(s) {sorted(unknown)}; known: {[d.name for d in datasets]}")
        datasets = [d for d in datasets if d.name in names]
    RESULTS.mkdir(exist_ok=True)
    rows = []
    for ds in datasets:
        if ds.origin not in ("intentseg", "real") and not (HERE / "quality" / "generators" / f"{ds.origin}.py").exists():
            print(f"skip {ds.name}: bench/quality/generators/{ds.origin}.py is not there yet", flush=True)
            continue
        rows.append(evaluate(ds, n_users, seed))
    result = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "users": n_users, "seed": seed,
              "platform": platform.platform(), "rule_frozen": rule_frozen, "arm": arm, "notes": notes,
              "summary": summary(rows), "datasets": rows}
    (RESULTS / f"{out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{out}.md").write_text(markdown(result))
    return result
