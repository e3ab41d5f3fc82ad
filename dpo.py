"""The offline DPO baselines of Tables 1-2: preference pairs and their loss.

    python train.py --stage dpo                      # full-token DPO from the tiny base
    python train.py --stage dpo --dpo-tokens text    # text-token DPO

Pairs are built as in Appendix E: n replies sampled per prompt (`analyses.repeated_sampling`,
the same pool the agreement and diversity analyses use), each judged on the semantic
and acoustic axes; Eq. 13 mixes them into a utility, Eq. 14-15 take the best and the
worst reply, and Eq. 16 keeps the pair only when the utility gap reaches the margin.
Training minimises Eq. 5 on masked scores (Eq. 6) against the frozen starting
checkpoint; the loop itself (optimiser, checkpoints, logging) is train.py's.

Deviations from the paper:
  1. Pairs come from the checkpoint being trained, sampled once before training;
     with --resume they are reloaded from the run directory, not resampled.
  2. Replies with a missing judge score can be neither chosen nor rejected.
"""
import os

import torch

import analyses
import losses
import model as models
from rollout import flat


def build_pairs(policy, train_set, judge, args, rank, world, reduce_sum=None):
    """Appendix E pairs from this rank's share of --dpo-prompts, cached in the run directory.
    Each pair: {"id", "prompt" (P, K), "chosen" (L, K), "rejected" (L, K)}."""
    path = os.path.join(args.out, f"dpo-pairs-rank{rank}.pt")
    if args.resume and os.path.exists(path):
        return torch.load(path, weights_only=False)
    order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(args.seed)).tolist()
    mine = [train_set[i] for i in order[:args.dpo_prompts][rank::world]]
    pool = analyses.repeated_sampling(policy, mine, judge, args.dpo_samples, args, seed=args.seed * 1000 + rank)
    pairs = []
    for entry in pool:
        pick = losses.dpo_pair(entry["semantic"], entry["acoustic"], args.dpo_weight, args.dpo_margin)
        if pick:
            pairs.append({"id": entry["sample"].id, "prompt": entry["prompt"],
                          "chosen": entry["replies"][pick[0]], "rejected": entry["replies"][pick[1]]})
    kept = torch.tensor([float(len(pairs))])
    kept = int((reduce_sum(kept) if reduce_sum else kept)[0])
    if rank == 0:
        print(f"dpo: kept {kept} pairs from {min(args.dpo_prompts, len(train_set))} prompts "
              f"(utility margin {args.dpo_margin})", flush=True)
    if not pairs:
        raise SystemExit(f"dpo: rank {rank} kept no pairs; lower --dpo-margin or raise --dpo-prompts")
    os.makedirs(args.out, exist_ok=True)
    torch.save(pairs, path)
    return pairs


def pair_loss(policy, ref, pairs, args, device, forward=None):
    """Eq. 5 over a batch of pairs, scores masked to --dpo-tokens (Eq. 6).
    -> (loss, {dpo_loss, dpo_accuracy: share with a positive margin, dpo_margin})."""
    b = len(pairs)
    prompts, pmask = models.pad_left([p["prompt"] for p in pairs] * 2, policy.vocab.pad)
    replies = models.pad_right([p["chosen"] for p in pairs] + [p["rejected"] for p in pairs], policy.vocab.pad)
    slots = policy.slots_for(replies)
    prompts, pmask, replies, slots = (t.to(device) for t in (prompts, pmask, replies, slots))
    masks = policy.masks(replies, slots, not args.no_audio_boundaries)      # on the model's device
    scope = flat(losses.scope_mask(masks, args.dpo_tokens) & masks["sampled"])
    scores = losses.masked_score(flat(models.reply_logprobs(policy, prompts, pmask, replies, slots,
                                                            forward=forward)), scope)        # (2b,)
    with torch.no_grad():
        ref_scores = losses.masked_score(flat(models.reply_logprobs(ref, prompts, pmask, replies, slots)), scope)
    loss, margin = losses.dpo_loss(scores[:b], scores[b:], ref_scores[:b], ref_scores[b:], args.dpo_gamma)
    return loss, {"dpo_loss": float(loss.detach()), "dpo_accuracy": float((margin > 0).float().mean()),
                  "dpo_margin": float(margin.mean())}
