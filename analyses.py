"""The paper's analyses of a checkpoint, a pair of them or a run: eval.py's --analysis.

    python eval.py --ckpt A --vs B                           # Appendix G: blind side-by-side, sign test
    python eval.py --ckpt BASE --analysis agreement          # Appendix A: judge vs human rater
    python eval.py --ckpt BASE --analysis diversity          # Appendix B: score variance per prompt
    python eval.py --ckpt BASE --analysis gradients          # Appendix C: text vs speech gradients
    python eval.py --ckpt TUNED --base BASE --analysis shift  # Appendix D: probability shift
    python eval.py --run RUN --analysis lambda               # Appendix H.2: the lambda trajectory
    python eval.py --ckpt BASE --analysis reach              # H.2: how high lambda can go on this reward

Each analysis is a function returning a JSON-able dict and a plot_* function drawing it;
eval.py's command line runs them, writes NAME.json / NAME.png and prints their headlines.
plot_metrics draws a run's metrics.jsonl (train.py calls it at the end of a run).

Deviations from the paper:
  1. Human raters are emulated by the noise-free toy judge; with --judge-url the agreement
     analysis compares that judge with the toy "human", which only knows the toy world.
  2. Appendix C's Mann-Whitney tests are left out; the distributions are plotted.
  3. Appendix H.2 publishes no curve, only a shape (0.1-0.2 at the start, 0.35-0.55 at the
     end); h2_band is our reading of it, drawn beside the run's lambda.
"""
import dataclasses
import math
import os
import random

import numpy as np
import torch

import dataset
import gate as gates
import losses
import model as models
import reward
import rollout
import runtime
import stats
from stats import mean_of


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)


# ---------------------------------------------------------------- votes


def majority(votes) -> str:
    """Appendix G.3: the outcome with a strict majority of the votes, else 'tie'."""
    votes = list(votes)
    for outcome in set(votes):
        if votes.count(outcome) * 2 > len(votes):
            return outcome
    return "tie"


# ---------------------------------------------------------------- the side-by-side (Appendix G)


def sample_in_chunks(model, samples, args, seed, rows) -> list:
    """One reply per sample, `rows` at a time (memory: a 7B model's KV cache at 2,048 new tokens
    is about 130 MB a row); one generator runs through the chunks in order, so the replies are
    those of one batch. -> [Rollout per chunk]."""
    gen = torch.Generator().manual_seed(seed)
    return [rollout.sample(model, samples[lo:lo + rows], 1, generator=gen, **rollout.sampling_kwargs(args))
            for lo in range(0, len(samples), rows)]


@torch.no_grad()
def side_by_side(model, other, samples, judge, args, seed=1234, rows=512) -> dict:
    """Blind pairwise comparison of `model` vs `other`, one reply each per item: for each
    axis, --raters judge samples choose A / B / tie (order shuffled per item), the item's
    outcome is the strict majority of its valid votes (else tie; failed calls are counted,
    not voted: sbs_axis), then Eq. 17's sign test over items. Replies are sampled `rows` at a time."""
    mine, theirs = ([(t, w, r) for b in sample_in_chunks(m, samples, args, seed, rows)
                     for t, w, r in zip(b.texts, b.waves, b.rates)] for m in (model, other))
    rng = random.Random(seed)
    flips, pairs = [], []
    for i, s in enumerate(samples):
        a, b = mine[i], theirs[i]                    # (transcript, wave, rate)
        flip = rng.random() < 0.5
        flips.append(flip)
        for r in range(args.raters):
            pairs.append((s.question_text, s.reference, *((b, a) if flip else (a, b)), seed + 1000 * r + i))
    choices = judge.compare(pairs)
    out = {"items": len(samples), "raters": args.raters, "axes": {}}
    for axis, picked in choices.items():
        out["axes"][axis] = sbs_axis(picked, flips, args.raters)
    return out


def sbs_axis(picked, flips, raters) -> dict:
    """One axis of the side-by-side. picked: the --raters choices of item 0, then item 1, ...
    ('A', 'B', 'tie', or None for a failed call); flips[i]: item i showed the other model as A.
    A failed call is no vote: it is left out of its item's majority and counted; an item left
    with no vote at all is unjudged, outside the rates and the sign test."""
    outcomes, failed = [], 0
    for i, flip in enumerate(flips):
        votes = []
        for c in picked[i * raters:(i + 1) * raters]:
            if c is None:
                failed += 1
            else:
                votes.append("tie" if c == "tie" else "win" if (c == "A") != flip else "loss")
        if votes:
            outcomes.append(majority(votes))
    n = len(outcomes)
    w, t, l_ = (outcomes.count(k) for k in ("win", "tie", "loss"))
    return {"win": w, "tie": t, "loss": l_, "judged_items": n, "unjudged_items": len(flips) - n,
            "win_rate": w / n if n else None, "tie_rate": t / n if n else None, "loss_rate": l_ / n if n else None,
            "p_value": stats.sign_test(w, l_), "failed_calls": failed}


def plot_side_by_side(result, path, names):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.4))
    axes = list(result["axes"])
    left = np.zeros(len(axes))
    for key, colour in (("win_rate", "tab:green"), ("tie_rate", "tab:gray"), ("loss_rate", "tab:red")):
        vals = np.array([result["axes"][a][key] or 0.0 for a in axes])     # None: no item judged
        ax.barh(axes, vals, left=left, color=colour, label=key.split("_")[0])
        left += vals
    for i, a in enumerate(axes):
        ax.text(1.01, i, f"p={result['axes'][a]['p_value']:.3g}", va="center", fontsize=8)
    ax.set_xlim(0, 1.15)
    ax.set_title(f"{names[0]} vs {names[1]}: {result['items']} items, {result['raters']} raters", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    _save(fig, path)


# ---------------------------------------------------------------- repeated sampling (Appendix A, B, E)


@torch.no_grad()
def repeated_sampling(model, samples, judge, n, args, seed=0, prompts_per_batch=8) -> list:
    """Appendix A/B/E's pool: n replies per prompt, each scored on every axis.
    -> per prompt {"sample", "prompt" (P, K), "replies" [(L_i, K)], "texts", "codes",
    "waves", "rates", "semantic", "acoustic", "holistic" (lists of int | None)}."""
    gen = torch.Generator().manual_seed(seed)
    pool = []
    for lo in range(0, len(samples), prompts_per_batch):
        chunk = samples[lo:lo + prompts_per_batch]
        batch = rollout.sample(model, chunk, n, generator=gen, **rollout.sampling_kwargs(args))
        res = judge.score(reward.rollout_items(batch, seeds=range(lo * n, (lo + len(chunk)) * n)), mode="all")
        lengths = batch.masks["completion"][..., 0].sum(1).cpu()
        prompts, prompt_mask, replies = batch.prompts.cpu(), batch.prompt_mask.cpu(), batch.replies.cpu()
        for j, sample in enumerate(chunk):
            rows = range(j * n, (j + 1) * n)
            prompt = prompts[j * n][prompt_mask[j * n].bool()]                  # the pool lives on the host
            pool.append({"sample": sample, "prompt": prompt,
                         "replies": [replies[i, :int(lengths[i])] for i in rows],
                         "texts": [batch.texts[i] for i in rows], "codes": [batch.codes[i] for i in rows],
                         "waves": [batch.waves[i] for i in rows], "rates": [batch.rates[i] for i in rows],
                         **{axis: [res.scores[axis][i] for i in rows] for axis in reward.AXES}})
    return pool


def rescore(pool, judge, seed=None) -> list:
    """The same replies scored by another judge, or asked again of a stochastic one (reply k of
    the pool sent with request seed `seed` + k; None: no seed): per prompt {axis: scores}."""
    items = [reward.JudgeItem(e["sample"].question_text, t, w, r, e["sample"].reference)
             for e in pool for t, w, r in zip(e["texts"], e["waves"], e["rates"])]
    if seed is not None:
        items = [dataclasses.replace(item, seed=seed + k) for k, item in enumerate(items)]
    res = judge.score(items, mode="all")
    out, k = [], 0
    for e in pool:
        n = len(e["texts"])
        out.append({axis: res.scores[axis][k:k + n] for axis in reward.AXES})
        k += n
    return out


def agreement(pool, human) -> dict:
    """Appendix A: the pool's judge scores against the reference rater's, per axis."""
    out = {}
    for axis in ("semantic", "acoustic"):
        j, h, g = [], [], []
        for i, (e, hs) in enumerate(zip(pool, human)):
            for a, b in zip(e[axis], hs[axis]):
                if a is not None and b is not None:
                    j.append(a), h.append(b), g.append(i)
        out[axis] = stats.agreement_metrics(j, h, g)
    return out


def agreement_over_draws(pool, raters, human, draws) -> dict:
    """Appendix A's metrics over `draws` answers of the (stochastic) judge on the same replies:
    draw 0 is the pool's own scores (request seeds 0 .. N-1), draw d asks again with seeds
    d*N .. d*N + N-1. One draw of a 512-reply pool moves the intra-prompt Spearman by about
    0.05 (README, condition 1); the mean is what a calibration can be checked against.
    -> {axis: {metric: [mean, sd over draws]}}"""
    size = sum(len(e["texts"]) for e in pool)
    runs = [agreement(pool, human)]
    for d in range(1, draws):
        again = rescore(pool, raters, seed=d * size)
        runs.append(agreement([{**e, **a} for e, a in zip(pool, again)], human))
    return {axis: {m: [float(np.mean([r[axis][m] for r in runs])), float(np.std([r[axis][m] for r in runs]))]
                   for m in ("pearson", "intra_spearman", "mae")} for axis in runs[0]}


def plot_agreement(result, path):
    plt = _pyplot()
    keys = ["pearson", "intra_spearman", "mae", "within_1", "bias"]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    x = np.arange(len(keys))
    for k, (axis, colour) in enumerate((("semantic", "tab:blue"), ("acoustic", "tab:orange"))):
        ax.bar(x + (k - 0.5) * 0.38, [result[axis][m] for m in keys], 0.38, label=axis, color=colour)
    ax.set_xticks(x, keys)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_title("judge vs human agreement (Appendix A)", fontsize=9)
    ax.legend(fontsize=8)
    _save(fig, path)


def diversity(pool, human) -> dict:
    """Appendix B: per-prompt population variance of semantic vs acoustic scores, averaged,
    for the judge and the human rater."""
    out = {}
    for name, scores in (("judge", [{a: e[a] for a in reward.AXES} for e in pool]), ("human", human)):
        per = {axis: [float(np.var([s for s in sc[axis] if s is not None])) for sc in scores
                      if sum(s is not None for s in sc[axis]) >= 2] for axis in ("semantic", "acoustic")}
        out[name] = {"semantic_var": float(np.mean(per["semantic"])), "acoustic_var": float(np.mean(per["acoustic"])),
                     "per_prompt": per}
    return out


def plot_diversity(result, path):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    for name, marker in (("judge", "o"), ("human", "s")):
        r = result[name]
        ax.scatter(r["per_prompt"]["semantic"], r["per_prompt"]["acoustic"], s=12, alpha=0.5, marker=marker, label=name)
        ax.scatter([r["semantic_var"]], [r["acoustic_var"]], s=90, marker=marker, edgecolor="k", label=f"{name} mean")
    top = max(1e-3, *(max(result[n]["per_prompt"][a] or [0]) for n in result for a in ("semantic", "acoustic")))
    ax.plot([0, top], [0, top], "k--", lw=0.7)
    ax.set_xlabel("semantic variance per prompt")
    ax.set_ylabel("acoustic variance per prompt")
    ax.set_title("score diversity under repeated sampling (Appendix B)", fontsize=9)
    ax.legend(fontsize=7)
    _save(fig, path)


# ---------------------------------------------------------------- gradient geometry (Appendix C)


def gradient_events(model, samples, judge, args, events=6, prompts=4, group=4, seed=0) -> list:
    """Per event (one batch), for the SFT, GRPO and DPO objectives over all reply tokens (the
    single unified objective of Fig. 1): the text-token and speech-token parts of its gradient
    (Eq. 7, `losses.eq7_part`: they add up to the whole), back-propagated separately ->
    losses.grad_geometry."""
    gen, out = torch.Generator().manual_seed(seed), []
    device = rollout.model_device(model)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    for e in range(events):
        chunk = [samples[(e * prompts + i) % len(samples)] for i in range(prompts)]
        batch = rollout.sample(model, chunk, group, generator=gen, **rollout.sampling_kwargs(args))
        scores = judge.score(reward.rollout_items(batch), mode="holistic").rewards
        R = losses.nan_rewards(scores, (prompts, group))
        adv, usable = (x.flatten().to(device) for x in losses.advantages(R))
        model.train()
        logp = rollout.flat(models.reply_logprobs(model, batch.prompts, batch.prompt_mask, batch.replies, batch.slots,
                                                  batch.temperature))          # 1 when greedy: never / 0
        m = {k: rollout.flat(v & batch.masks["sampled"]) for k, v in batch.masks.items()}
        grp = torch.arange(prompts, device=device).repeat_interleave(group)
        tp, tm, tr, ts, tmask = rollout.teacher_forced(model, chunk, True, args.max_len)    # cut as train.py's
        sft_lp = rollout.flat(models.reply_logprobs(model, tp, tm, tr, ts))
        sft_m = {k: rollout.flat(tmask[k] & tmask["sampled"]) for k in ("completion", "text", "speech")}

        def grpo(lp):
            return losses.grpo_loss(lp, logp.detach(), None, adv, m["completion"], m["text"], m["speech"], grp,
                                    usable)[0]
        objectives = {"GRPO": tuple(grpo(losses.eq7_part(logp, m[k])) for k in ("text", "speech")),
                      "SFT": tuple(losses.sft_loss(losses.eq7_part(sft_lp, sft_m[k]), sft_m["completion"])
                                   for k in ("text", "speech"))}
        pairs = []       # DPO: the best and the worst reply of each group whose rewards differ
        for g in range(prompts):
            valid = ~torch.isnan(R[g])
            if valid.sum() >= 2 and R[g][valid].max() > R[g][valid].min():
                pairs.append((g * group + int(torch.nan_to_num(R[g], nan=-1e9).argmax()),
                              g * group + int(torch.nan_to_num(R[g], nan=1e9).argmin())))
        if pairs:
            best, worst = (torch.tensor(x, device=device) for x in zip(*pairs))

            def dpo(lp):
                s = losses.masked_score(lp, m["completion"])
                return losses.dpo_loss(s[best], s[worst], s[best].detach(), s[worst].detach())[0]
            objectives["DPO"] = tuple(dpo(losses.eq7_part(logp, m[k])) for k in ("text", "speech"))
        for name, (lt, ls) in objectives.items():
            geo = losses.grad_geometry(params, lt, ls)
            out.append({"event": e, "objective": name, **{k: v for k, v in geo.items() if k != "layers"},
                        "layers": geo["layers"]})
        model.zero_grad(set_to_none=True)
    model.eval()
    return out


def summarise_gradients(records) -> dict:
    out = {}
    for name in sorted({r["objective"] for r in records}):
        rs = [r for r in records if r["objective"] == name and math.isfinite(r["ratio"])]
        layers = sorted({k for r in rs for k in r["layers"]}, key=_layer_order)
        out[name] = {"events": len(rs), "ratio_median": float(np.median([r["ratio"] for r in rs])) if rs else float("nan"),
                     "cos_mean": float(np.mean([r["cos"] for r in rs])) if rs else float("nan"),
                     "cos_std": float(np.std([r["cos"] for r in rs])) if rs else float("nan"),
                     "layers": {k: {"ratio_median": float(np.median([r["layers"][k]["ratio"] for r in rs if k in r["layers"]])),
                                    "cos_mean": float(np.mean([r["layers"][k]["cos"] for r in rs if k in r["layers"]]))}
                                for k in layers}}
    return out


def _layer_order(name):
    import re
    m = re.search(r"(\d+)", name)
    return (0 if name == "embed" else 3 if name == "head" else 4 if name.startswith("norm") else
            2 if name.startswith("branch") else 1, int(m.group(1)) if m else 0)


def plot_gradients(records, summary, path):
    plt = _pyplot()
    names = list(summary)
    fig, axes = plt.subplots(2, 2, figsize=(10, 6))
    for k, name in enumerate(names):
        rs = [r for r in records if r["objective"] == name and math.isfinite(r["ratio"]) and r["ratio"] > 0]
        axes[0, 0].scatter([k] * len(rs), [math.log10(r["ratio"]) for r in rs], alpha=0.6)
        axes[0, 1].scatter([k] * len(rs), [r["cos"] for r in rs], alpha=0.6)
        layers = list(summary[name]["layers"])
        axes[1, 0].plot(layers, [math.log10(max(1e-12, summary[name]["layers"][x]["ratio_median"])) for x in layers],
                        marker="o", label=name)
        axes[1, 1].plot(layers, [summary[name]["layers"][x]["cos_mean"] for x in layers], marker="o", label=name)
    for ax, title in zip(axes.flat, ["log10 |g_text| / |g_speech| per event", "cos(g_text, g_speech) per event",
                                      "per layer: median log10 ratio", "per layer: mean cosine"]):
        ax.set_title(title, fontsize=9)
        ax.axhline(0, color="k", lw=0.5)
    for ax in axes[0]:
        ax.set_xticks(range(len(names)), names)
    for ax in axes[1]:
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        ax.legend(fontsize=7)
    _save(fig, path)


# ---------------------------------------------------------------- probability shift (Appendix D)


@torch.no_grad()
def probability_shift(tuned, base, samples, args, seed=0, rows=512) -> dict:
    """Appendix D: on replies sampled from the fine-tuned model, teacher-forced
    delta_t = log p_ft(y_t) - log p_base(y_t) per position, text and speech marked. Sampled
    `rows` at a time and scored an eighth of that at a time (full-vocabulary logits)."""
    batches = sample_in_chunks(tuned, samples, args, seed, rows)
    score_rows = max(1, rows // 8)

    def delta_of(part):          # (n, L, K) log p_ft - log p_base on a few rows
        lp_ft = models.reply_logprobs(tuned, *part)
        lp_base = models.reply_logprobs(base, *[t.to(rollout.model_device(base)) for t in part])
        return (lp_ft - lp_base.to(lp_ft.device)).cpu()

    items, kinds = [], {"text": [], "speech": []}
    for batch in batches:
        tensors = (batch.prompts, batch.prompt_mask, batch.replies, batch.slots)
        delta = torch.cat([delta_of([t[lo:lo + score_rows] for t in tensors])
                           for lo in range(0, len(batch.replies), score_rows)])
        masks = {k: v.cpu() for k, v in batch.masks.items()}
        chosen = masks["sampled"]
        for i, s in enumerate(batch.samples):
            keep = chosen[i].flatten()
            kind = np.where(masks["text"][i].flatten()[keep].numpy(), "text", "speech")
            items.append({"id": s.id, "delta": delta[i].flatten()[keep].tolist(), "kind": kind.tolist()})
        for k in kinds:
            kinds[k].append(delta[chosen & masks[k]])
    stats = {}
    for kind in ("text", "speech"):
        d = torch.cat(kinds[kind])
        stats[kind] = {"mean": float(d.mean()) if d.numel() else float("nan"),
                       "mean_abs": float(d.abs().mean()) if d.numel() else float("nan"), "tokens": int(d.numel())}
    return {"summary": stats, "items": items}


def plot_shift(result, path, n=4):
    plt = _pyplot()
    items = result["items"][:n]
    fig, axes = plt.subplots(len(items), 1, figsize=(9, 1.9 * len(items)), squeeze=False)
    for ax, it in zip(axes[:, 0], items):
        colours = ["tab:blue" if k == "text" else "tab:orange" for k in it["kind"]]
        ax.bar(range(len(it["delta"])), it["delta"], color=colours)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylabel(it["id"], fontsize=7)
    s = result["summary"]
    axes[0, 0].set_title(f"delta log p (fine-tuned - base): text (blue) mean|d| {s['text']['mean_abs']:.3f}, "
                         f"speech (orange) mean|d| {s['speech']['mean_abs']:.3f}", fontsize=9)
    axes[-1, 0].set_xlabel("reply position (sampled tokens)")
    _save(fig, path)


# ---------------------------------------------------------------- lambda trajectory (Appendix H.2)


# Appendix H.2's reported shape of lambda_t (qualitative, no curve is published): it starts
# around 0.1-0.2, rises in mid-to-late training, and stabilises in [0.35, 0.55].
H2_REFERENCE = {"start": (0.1, 0.2), "end": (0.35, 0.55)}


def h2_band(fraction):
    """H.2's band (low, high) at a fraction of training in [0, 1]: the start band over the
    first fifth, the end band over the last 30%, a straight rise in between (our reading)."""
    (a_lo, a_hi), (b_lo, b_hi) = H2_REFERENCE["start"], H2_REFERENCE["end"]
    w = min(1.0, max(0.0, (fraction - 0.2) / 0.5))
    return a_lo + w * (b_lo - a_lo), a_hi + w * (b_hi - a_hi)


def lambda_trajectory(run_dir) -> dict:
    """Appendix H.2 from a run's metrics.jsonl: lambda and the gates early vs late, lambda's
    range, and H.2's reported shape beside it."""
    path = os.path.join(run_dir, "metrics.jsonl")
    rows = runtime.read_metrics(path)
    if not rows or "lambda" not in rows[0]:
        raise SystemExit(f"{path}: no lambda in these metrics (not a hybrid run)")
    fifth = max(1, len(rows) // 5)
    span = {"first_fifth": rows[:fifth], "last_fifth": rows[-fifth:]}
    keys = ("lambda", "lambda_raw", "reward_gate", "info_gate", "reward_mean", "semantic_mean", "acoustic_mean")
    lam = [r["lambda"] for r in rows if r.get("lambda") is not None]
    return {"steps": len(rows), **{name: {k: mean_of(rs, k) for k in keys} for name, rs in span.items()},
            "lambda_mean": float(np.mean(lam)) if lam else float("nan"),
            "lambda_min": float(min(lam)) if lam else float("nan"), "lambda_max": float(max(lam)) if lam else float("nan"),
            "h2_reference": {k: list(v) for k, v in H2_REFERENCE.items()}}


def lambda_lines(r) -> list:
    """The printout of the lambda analysis, H.2's shape beside the run's."""
    (a_lo, a_hi), (b_lo, b_hi) = H2_REFERENCE["start"], H2_REFERENCE["end"]
    return [f"lambda: first fifth {r['first_fifth']['lambda']:.3f}, last fifth {r['last_fifth']['lambda']:.3f}, "
            f"mean {r['lambda_mean']:.3f}, range [{r['lambda_min']:.3f}, {r['lambda_max']:.3f}] over {r['steps']} steps",
            f"  paper (App. H.2): starts {a_lo:.2f}-{a_hi:.2f}, rises, settles in [{b_lo:.2f}, {b_hi:.2f}]",
            f"  gates, first -> last fifth: reward {r['first_fifth']['reward_gate']:.3f} -> "
            f"{r['last_fifth']['reward_gate']:.3f}, info {r['first_fifth']['info_gate']:.3f} -> "
            f"{r['last_fifth']['info_gate']:.3f}"]


def plot_lambda(path_jsonl, path_png):
    """lambda_t, lambda_raw and the two gates against step, over H.2's reported band."""
    rows = runtime.read_metrics(path_jsonl)
    plt = _pyplot()
    step = np.array([r["step"] for r in rows], float)
    frac = np.linspace(0, 1, 101)
    band = np.array([h2_band(x) for x in frac])
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.fill_between(frac * step.max(), band[:, 0], band[:, 1], color="tab:gray", alpha=0.25,
                    label="paper App. H.2 (reported shape)")
    for k, style in (("lambda", dict(lw=2, color="tab:blue")), ("lambda_raw", dict(lw=0.6, color="tab:blue", alpha=0.4)),
                     ("reward_gate", dict(lw=0.8, color="tab:green")), ("info_gate", dict(lw=0.8, color="tab:orange"))):
        ax.plot(step, [float("nan") if r.get(k) is None else r[k] for r in rows], label=k, **style)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("step")
    ax.set_title("lambda_t trajectory (Appendix H.2)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    _save(fig, path_png)


REACH_SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def lambda_reach(right, wrong, gate, group_size=4, shares=REACH_SHARES, pool_share=None, draws=4000, seed=0) -> dict:
    """How high a gate's lambda_raw can go on this reward: its expectation for a group of
    `group_size` replies each right with probability p, for p in `shares` (and `pool_share`).
    right, wrong: the training judge's rewards (1-5) for the pool's right and other replies.
    Exact over k ~ Binomial(G, p) right replies; Monte Carlo (`draws` groups per k, seeded)
    over which of the pool's rewards they get; the gate's own group_weights and diagnostics.
    -> {"per_right": [k: means], "by_share": [{share, lambda_raw, reward_gate, info_gate}],
    "peak": the share with the highest lambda_raw, "at_pool": the same at pool_share}."""
    gen = torch.Generator().manual_seed(seed)
    pools = {"right": torch.tensor(right, dtype=torch.float64), "wrong": torch.tensor(wrong, dtype=torch.float64)}
    per_right = []
    for k in range(group_size + 1):
        need = {"right": k, "wrong": group_size - k}
        if any(n and not len(pools[c]) for c, n in need.items()):
            per_right.append({"right": k, "lambda_raw": float("nan"), "reward_gate": float("nan"), "info_gate": float("nan")})
            continue
        cols = [pools[c][torch.randint(len(pools[c]), (draws, n), generator=gen)] for c, n in need.items() if n]
        st = gates.group_stats(torch.cat(cols, 1))
        diag = gate.diagnostics(st)
        per_right.append({"right": k, "lambda_raw": float(gate.group_weights(st).mean()),
                          **{name: float(diag[name].mean()) if name in diag else float("nan")
                             for name in ("reward_gate", "info_gate")}})

    def expect(p):
        out = {"share": float(p)}
        for key in ("lambda_raw", "reward_gate", "info_gate"):
            terms = [(math.comb(group_size, r["right"]) * p ** r["right"] * (1 - p) ** (group_size - r["right"]), r[key])
                     for r in per_right]
            out[key] = float(sum(w * v for w, v in terms if w > 0))       # p = 0 or 1 needs one class only
        return out

    by_share = [expect(p) for p in shares]
    known = [r for r in by_share if not math.isnan(r["lambda_raw"])]
    return {"gate": gate.name, "group_size": group_size, "draws": draws, "n_right": len(right), "n_wrong": len(wrong),
            "per_right": per_right, "by_share": by_share,
            "peak": max(known, key=lambda r: r["lambda_raw"]) if known else None,
            "at_pool": expect(pool_share) if pool_share is not None else None,
            "h2_reference": {k: list(v) for k, v in H2_REFERENCE.items()}}


def reach_pool(pool, reward_mode="holistic", semantic_weight=0.7) -> tuple:
    """The pool's training rewards, as train.py computes them under --reward-mode / --semantic-weight
    (reward.axis_rewards), split by whether the reply's text ends with the reference answer:
    (right, wrong, share right). Prompts without a reference, or unscored replies, are left out."""
    right, wrong = [], []
    for e in pool:
        ref = e["sample"].reference
        if not ref:
            continue
        for text, r in zip(e["texts"], reward.axis_rewards(e, reward_mode, semantic_weight)):   # e: {axis: scores}
            if r is not None:
                (right if dataset.answer_matches(text, ref) else wrong).append(float(r))
    total = len(right) + len(wrong)
    return right, wrong, (len(right) / total if total else None)


def reach_lines(r) -> list:
    """The printout of the reach analysis."""
    b_lo, b_hi = H2_REFERENCE["end"]
    head = (f"reach ({r['gate']}, G={r['group_size']}, the pool's {r.get('reward', 'holistic')} rewards): "
            f"expected lambda_raw by share p of right replies: " + ", ".join(f"p {x['share']:.1f} {x['lambda_raw']:.3f}" for x in r["by_share"]))
    if r["peak"] is None:
        return [head, f"  the pool has {r['n_right']} right and {r['n_wrong']} other replies: no estimate"]
    pool = r["at_pool"]
    return [head, f"  highest {r['peak']['lambda_raw']:.3f} at p {r['peak']['share']:.1f}"
            + (f"; at the pool's own share right ({pool['share']:.3f}) {pool['lambda_raw']:.3f}" if pool else "")
            + f"; H.2 settles in [{b_lo:.2f}, {b_hi:.2f}]"]


def plot_reach(result, path):
    """Expected lambda_raw and the two gates against the share of right replies, H.2's bands beside."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    xs = [r["share"] for r in result["by_share"]]
    for (lo, hi), label in ((H2_REFERENCE["start"], "H.2 start"), (H2_REFERENCE["end"], "H.2 end")):
        ax.axhspan(lo, hi, color="tab:gray", alpha=0.18 if label == "H.2 end" else 0.08, label=f"paper {label}")
    for key, style in (("lambda_raw", dict(lw=2, color="tab:blue")), ("reward_gate", dict(lw=0.8, color="tab:green")),
                       ("info_gate", dict(lw=0.8, color="tab:orange"))):
        ax.plot(xs, [r[key] for r in result["by_share"]], marker=".", label=key, **style)
    if result["at_pool"]:
        ax.axvline(result["at_pool"]["share"], color="k", ls="--", lw=0.8, label="the pool's share right")
    ax.set_xlabel("share of right replies in a group (p)")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"how high lambda can go on this reward ({result['gate']}, G={result['group_size']})", fontsize=9)
    ax.legend(fontsize=6, loc="upper right")
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_metrics(path_jsonl, path_png):
    """Reward, lambda and losses of a run's metrics.jsonl against step, one panel each."""
    rows = runtime.read_metrics(path_jsonl)
    if not rows:
        return
    panels = [("reward", ["reward_mean", "reward_max", "semantic_mean", "acoustic_mean"]),
              ("lambda", ["lambda", "lambda_raw", "reward_gate", "info_gate"]),
              ("loss", ["sft_loss", "grpo_loss", "dpo_loss"])]
    panels = [(t, [k for k in keys if k in rows[0]]) for t, keys in panels]
    panels = [(t, keys) for t, keys in panels if keys]
    plt = _pyplot()
    step = [r["step"] for r in rows]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.6 * len(panels)), sharex=True, squeeze=False)
    for ax, (title, keys) in zip(axes[:, 0], panels):
        for k in keys:
            ax.plot(step, [float("nan") if r.get(k) is None else r[k] for r in rows], label=k, lw=1)
        ax.set_ylabel(title)
        ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    _save(fig, path_png)
