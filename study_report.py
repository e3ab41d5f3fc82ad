"""What a study says: study.md, study.json and study.png from its rows' per-prompt results.

    import study_report
    summary = study_report.summarise(results, seeds)   # results: row -> per-seed records
    text = study_report.report(summary, rows, args)     # study.md
    study_report.plot(summary, results, path)           # study.png

It has no command of its own: study.py runs the rows x seeds, saves each run's per-prompt
results (OUT/ROW/seed-S/study-eval.json) and writes the report with these functions: study.md
is report's text, study.json {"rows": rows, "summary": summarise's dict}, study.png plot's
figure. Pure functions on those records, no training or scoring; the statistics primitives
are stats.py's.

summarise pools each row's per-prompt values (METRICS: accuracy, semantic, acoustic,
intelligibility and the share of replies stopped before the answer, derived from a toy reply's
text in records that predate the field) over seeds x prompts, the mean lambda over runs, the
spread of the per-seed means, and every row against `ours`. report writes them as study.md's
two tables; plot draws semantic vs acoustic per row and lambda per step of the gated runs.

Statistics (pure functions in stats.py, tested by hand-worked numbers in tests/test_study.py):
  * CI: mean +- t_{0.975, n-1} * sd / sqrt(n), sd the sample sd, n the seeds x prompts values
    (each a prompt's mean over its replies).
  * Paired test: rows are paired with `ours` on (seed, prompt): the same base, seed, sampling
    seed and prompt. d = row - ours per pair; H0: each d is symmetric about 0. The statistic is
    |sum d|; its null distribution flips the sign of every d independently: exact enumeration
    of all 2^m patterns of the m non-zero d when m <= 16, else 20,000 seeded random flips with
    p = (1 + hits) / (1 + flips). Chosen over a paired t test because accuracy is 0/1 and the
    judge's scores are integers 1-5, far from normal at a few prompts.
  * Paired test over seeds: each seed's mean difference over its paired prompts, then a two-sided
    paired t test on those means (seeds - 1 degrees of freedom; stats.paired_t_p). Each seed's
    mean is over hundreds of prompts, so near normal; this treats the seed as the unit.

Deviations and honest limits:
  1. Seeds x prompts are treated as independent draws, by the CI and by the sign-flip test
     alike. Seeds share the base and prompts share the model, so the CI understates the
     spread between seeds and the pairs' p-values are too small when training noise
     dominates; `sd(seeds)` is printed beside the CI so a reader can see whether it does, and
     each comparison also gets the p-value over seeds (above), the honest one then. With 3
     seeds (2 degrees of freedom) it takes a difference 4.3 times its standard error over the
     seeds to reach p < 0.05.
  2. The p-values are per comparison, not corrected for the number of rows compared.
"""
import numpy as np

import dataset
import stats

METRICS = ("accuracy", "semantic", "acoustic", "intelligibility", "stopped")
LABELS = {"semantic": "semantic (IQ)", "acoustic": "acoustic (EQ)", "stopped": "stopped early"}


# ---------------------------------------------------------------- pairing


def paired_differences(row_items, ref_items, key: str) -> list:
    """row - ref for every (seed, prompt id) both have a value for. items: dicts with seed, id, key."""
    ref = {(r["seed"], r["id"]): r.get(key) for r in ref_items}
    return [r[key] - ref[(r["seed"], r["id"])] for r in row_items
            if r.get(key) is not None and ref.get((r["seed"], r["id"])) is not None]


def with_stopped(item: dict) -> dict:
    """The item with its `stopped` flag, derived from its text where a record predates the field
    (toy replies only: an item without intelligibility is not from the toy codec)."""
    if "stopped" not in item and "text" in item and "intelligibility" in item:
        item["stopped"] = float(dataset.stops_before_answer(item["text"]))
    return item


def summarise(results: dict, seeds: int) -> dict:
    """results: row -> list of per-seed records ({"seed", "status", "items", "lambda"}).
    -> row -> {"ok", "failed", "missing", metric: (mean, ci, n), "lambda": (mean, ci, n),
    "seed_sd": {metric: sd of the per-seed means}, "vs_ours": {metric: (mean d, p, n, p over seeds)}}."""
    items = {row: [with_stopped(dict(it, seed=r["seed"])) for r in recs if r["status"] == "ok" for it in r["items"]]
             for row, recs in results.items()}
    out = {}
    for row, recs in results.items():
        ok = [r for r in recs if r["status"] == "ok"]
        s = {"ok": len(ok), "failed": sum(r["status"] == "failed" for r in recs)}
        s["missing"] = seeds - s["ok"] - s["failed"]
        for m in METRICS:
            s[m] = stats.mean_ci([it.get(m) for it in items[row]])
        lams = [r["lambda"] for r in ok if r.get("lambda") is not None]
        s["lambda"] = stats.mean_ci([float(np.mean(lam)) for lam in lams]) if lams else (float("nan"),) * 2 + (0,)
        per_seed = {m: [[it[m] for it in items[row] if it["seed"] == r["seed"] and it.get(m) is not None] for r in ok]
                    for m in METRICS}
        s["seed_sd"] = {m: float(np.std([np.mean(v) for v in per_seed[m]], ddof=1))
                        if len(ok) > 1 and all(per_seed[m]) else float("nan") for m in METRICS}
        if "ours" in items and row != "ours":
            s["vs_ours"] = {}
            seed_items = [[it for it in items[row] if it["seed"] == r["seed"]] for r in ok]
            for m in METRICS:
                d = paired_differences(items[row], items["ours"], m)
                by_seed = [paired_differences(its, items["ours"], m) for its in seed_items]
                s["vs_ours"][m] = (float(np.mean(d)) if d else float("nan"),
                                   stats.sign_flip_p(d) if d else float("nan"),
                                   len(d), stats.paired_t_p([float(np.mean(v)) for v in by_seed if v]))
        out[row] = s
    return out


# ---------------------------------------------------------------- the report


def _cell(mean, ci, digits=3):
    if mean != mean:
        return ""
    return f"{mean:.{digits}f}" + ("" if ci != ci else f" ± {ci:.{digits}f}")


def report(summary: dict, rows: dict, args) -> str:
    """study.md: the rows table, then every row against ours."""
    lines = [f"# study: {len(rows)} rows x {args.seeds} seeds", "",
             f"Each row: `python train.py FLAGS --init {args.base} --seed S` (S = 0..{args.seeds - 1})"
             + (f" with `{args.train_args}`" if args.train_args else "")
             + f"; scored by the noise-free judge on the first {args.prompts} held-out prompts, "
             + ("one sampled reply each" if args.replies == 1
                else f"{args.replies} sampled replies each, averaged per prompt")
             + " (sampling seed S). Mean ± 95% CI over seeds x prompts; λ: mean over runs ± CI over runs.",
             "", "| row | flags | runs | " + " | ".join(LABELS.get(m, m) for m in METRICS) + " | mean λ |",
             "|---|---|---|" + "---|" * len(METRICS) + "---|"]
    for row, flags in rows.items():
        s = summary[row]
        runs = f"{s['ok']}/{args.seeds}" + (f" ({s['failed']} failed)" if s["failed"] else "") \
            + (f" ({s['missing']} not run)" if s["missing"] else "")
        lines.append(f"| {row} | `{flags}` | {runs} | " + " | ".join(_cell(*s[m][:2]) for m in METRICS)
                     + f" | {_cell(*s['lambda'][:2])} |")
    if args.seeds > 1:
        lines += ["", "Spread of the per-seed means (sd over seeds): " + "; ".join(
            f"{row} " + ", ".join(f"{m[:3]} {summary[row]['seed_sd'][m]:.3f}" for m in METRICS)
            for row in rows if summary[row]["ok"] > 1)]
    if "ours" in rows:
        lines += ["", "Against `ours`, paired on (seed, prompt): mean difference (row − ours), the two-sided "
                  "p-value of a sign-flip permutation test over the n pairs, then that of a paired t test over the "
                  "seeds' mean differences (the seed as the unit; none below 2 seeds). Not corrected for multiple "
                  "comparisons.", "",
                  "| row | n | " + " | ".join(f"Δ {m} (p pairs; p seeds)" for m in METRICS) + " |",
                  "|---|---|" + "---|" * len(METRICS)]
        for row in rows:
            if row == "ours":
                continue
            v = summary[row].get("vs_ours", {})
            n = max((v[m][2] for m in METRICS if m in v), default=0)
            lines.append(f"| {row} | {n} | " + " | ".join(
                f"{v[m][0]:+.3f} ({v[m][1]:.3g}" + ("" if v[m][3] != v[m][3] else f"; {v[m][3]:.3g}") + ")"
                if m in v and v[m][2] else "" for m in METRICS) + " |")
    return "\n".join(lines) + "\n"


def plot(summary: dict, results: dict, path: str):
    """IQ vs EQ per row with CI error bars; lambda per step of every run whose lambda moves."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (row, s) in enumerate(summary.items()):
        (x, dx, _), (y, dy, _) = s["semantic"], s["acoustic"]
        if x == x and y == y:
            c = colours[i % len(colours)]
            ax.errorbar(x, y, xerr=0 if dx != dx else dx, yerr=0 if dy != dy else dy, fmt="o", color=c, capsize=3)
            ax.annotate(row, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8, color=c)
        for k, rec in enumerate(r for r in results[row] if r["status"] == "ok" and r.get("lambda")):
            if max(rec["lambda"]) - min(rec["lambda"]) > 1e-9:
                bx.plot(range(1, len(rec["lambda"]) + 1), rec["lambda"], color=colours[i % len(colours)], lw=1,
                        alpha=0.8, label=row if k == 0 else None)
    ax.set_xlabel("semantic (IQ), noise-free judge")
    ax.set_ylabel("acoustic (EQ), noise-free judge")
    ax.set_title("rows: mean ± 95% CI")
    ax.grid(alpha=0.3)
    bx.set_xlabel("step")
    bx.set_ylabel("λ_t")
    bx.set_title("λ of the gated rows (one line per seed)")
    bx.grid(alpha=0.3)
    if bx.lines:
        bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
