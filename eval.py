"""Scoring checkpoints through the judge, and the paper's analyses.

    python eval.py --ckpt out/hybrid-tiny-vita/final               # IQ / EQ table + JSON
"""
import json

import numpy as np
import torch

import dataset
import reward
import rollout


def intelligibility(codes, text) -> float:
    """How much of its own text the speech says: analyser transcript vs written text (0-1)."""
    import difflib
    import codec
    heard = codec.hear(codes).replace(" ", "")
    said = "".join(c for c in text.lower() if c in codec.SYMBOLS)
    if not heard and not said:
        return 1.0
    return difflib.SequenceMatcher(None, heard, said).ratio()


@torch.no_grad()
def score_samples(model, samples, judge, args, seed=1234) -> dict:
    """One sampled reply per prompt: exact-answer accuracy, intelligibility (toy codec)
    and the judge's mean score per axis."""
    batch = rollout.sample(model, samples, 1, args.temperature, args.top_p, args.max_len,
                           torch.Generator().manual_seed(seed))
    out = {"accuracy": float(np.mean([dataset.answer_matches(t, s.reference or "")
                                      for t, s in zip(batch.texts, samples)]))}
    if model.spec.get("codec") == "toy":
        out["intelligibility"] = float(np.mean([intelligibility(c, t) for c, t in zip(batch.codes, batch.texts)]))
    if judge is not None:
        res = judge.score(reward.rollout_items(batch), mode="all")
        for axis, scores in res.scores.items():
            valid = [s for s in scores if s is not None]
            out[axis] = float(np.mean(valid)) if valid else float("nan")
    return out


@torch.no_grad()
def repeated_sampling(model, samples, judge, n, args, seed=0, prompts_per_batch=8) -> list:
    """Appendix A/B/E's pool: n replies per prompt, each scored on every axis.
    -> per prompt {"sample", "prompt" (P, K), "replies" [(L_i, K)], "texts", "codes",
    "waves", "rates", "semantic", "acoustic", "holistic" (lists of int | None)}."""
    gen = torch.Generator().manual_seed(seed)
    pool = []
    for lo in range(0, len(samples), prompts_per_batch):
        chunk = samples[lo:lo + prompts_per_batch]
        batch = rollout.sample(model, chunk, n, args.temperature, args.top_p, args.max_len, gen)
        res = judge.score(reward.rollout_items(batch), mode="all")
        lengths = batch.masks["completion"][..., 0].sum(1)
        for j, sample in enumerate(chunk):
            rows = range(j * n, (j + 1) * n)
            prompt = batch.prompts[j * n][batch.prompt_mask[j * n].bool()]
            pool.append({"sample": sample, "prompt": prompt,
                         "replies": [batch.replies[i, :int(lengths[i])] for i in rows],
                         "texts": [batch.texts[i] for i in rows], "codes": [batch.codes[i] for i in rows],
                         "waves": [batch.waves[i] for i in rows], "rates": [batch.rates[i] for i in rows],
                         **{axis: [res.scores[axis][i] for i in rows] for axis in reward.AXES}})
    return pool


def plot_metrics(path_jsonl, path_png):
    """Reward, lambda and losses of a run's metrics.jsonl against step, one panel each."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with open(path_jsonl) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        return
    panels = [("reward", ["reward_mean", "reward_max", "semantic_mean", "acoustic_mean"]),
              ("lambda", ["lambda", "lambda_raw"]), ("loss", ["sft_loss", "grpo_loss", "dpo_loss"])]
    panels = [(t, [k for k in keys if k in rows[0]]) for t, keys in panels]
    panels = [(t, keys) for t, keys in panels if keys]
    step = [r["step"] for r in rows]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.6 * len(panels)), sharex=True, squeeze=False)
    for ax, (title, keys) in zip(axes[:, 0], panels):
        for k in keys:
            ax.plot(step, [r.get(k, float("nan")) for r in rows], label=k)
        ax.set_ylabel(title)
        ax.legend(fontsize=8, loc="best")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(path_png, dpi=110)
    plt.close(fig)
