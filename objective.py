"""Eq. 8 on one rollout batch: which rows, which tokens, which terms, and the overlapped backward.

    ub = build_update_batch(policy, ref, rollout_batch, samples, args, device)
    loss, sft, grpo, stats = hybrid_objective(policy, ub, adv, usable, group, lam, args)
    # or, with the judge still out (--overlap-judge):
    sft = sft_backward_early(policy, ub, forward)          # grad L_SFT, unscaled, DDP-local
    logp = grpo_forward_early(policy, ub, forward)         # the rollout rows' log-probs, graph kept
    loss, sft, grpo, stats = grpo_after_rewards(policy, ub, sft, adv, usable, group, lam, args, forward, logp)

An UpdateBatch stacks the B*G rollout rows and the same B prompts' SFT rows for one forward,
with the masks that decide what each term reaches: the GRPO scope (--rl-tokens, Eq. 6), the
per-modality KL positions (--kl-tokens), the SFT scope (--sft-tokens), each intersected with
the positions the policy actually chose. The maths is losses.py's; this file is where
train.py's flags meet it, so tests/test_wiring.py tests the gradients that arrive here.

Deviations from the paper and the official release:
  1. The SFT rows' backward and the rollout rows' forward can run before the rewards and
     lambda_t are known; the SFT gradient is scaled by 1 - lambda_t afterwards (gradients are
     linear: the same update as Eq. 8's backward), and only the GRPO backward waits for the
     rewards. The official trainer computes the whole loss after the judge answers.
"""
import contextlib
from dataclasses import dataclass

import torch

import losses
import model as models
import rollout
import runtime
from rollout import flat


def to_device(tensors, device):
    return [t.to(device) for t in tensors]


@dataclass
class UpdateBatch:
    """One training forward: B*G rollout rows, then the same B prompts' SFT rows.
    Masks are flat (rows, L*K) bool on the device; `old`/`ref` are (B*G, L*K)."""
    prompts: torch.Tensor
    prompt_mask: torch.Tensor
    replies: torch.Tensor
    slots: torch.Tensor
    temperatures: torch.Tensor
    n_roll: int
    old: torch.Tensor
    ref: torch.Tensor | None
    rl_scope: torch.Tensor
    kl_text: torch.Tensor
    kl_speech: torch.Tensor
    sft_scope: torch.Tensor
    modality: dict        # "text"/"speech" -> (rollout rows mask, SFT rows mask), for Appendix C


def build_update_batch(policy, ref, batch, samples, args, device) -> UpdateBatch:
    """The rollout rows (on any device) and the samples' SFT rows, stacked on `device`. Rollout
    rows are scored at the rollout's temperature (1 for greedy), SFT rows at 1."""
    boundaries = not args.no_audio_boundaries
    *sft, sft_masks = rollout.teacher_forced(policy, samples, boundaries, args.max_len)
    sft = to_device(sft, device)
    rolled = to_device([batch.prompts, batch.prompt_mask, batch.replies, batch.slots], device)
    prompts, pmask, replies, slots = rollout.stack_for_forward(policy.vocab.pad, rolled, sft)
    n_roll, length = len(batch.replies), replies.shape[1]
    masks = {k: v.to(device) for k, v in batch.masks.items()}
    sft_masks = {k: v.to(device) for k, v in sft_masks.items()}
    rm, sm = rollout.pad_masks(masks, length), rollout.pad_masks(sft_masks, length)
    logprobs = batch.logprobs.to(device)
    old = flat(torch.nn.functional.pad(logprobs, (0, 0, 0, length - logprobs.shape[1])))
    ref_lp = None
    if ref is not None:
        with torch.no_grad():
            ref_lp = flat(models.reply_logprobs(ref, prompts[:n_roll], pmask[:n_roll], replies[:n_roll],
                                                slots[:n_roll], batch.temperature))
    kl_text, kl_speech = rollout.kl_masks(rm, args.kl_tokens)
    dev = (lambda m: flat(m).to(device))
    return UpdateBatch(
        prompts=prompts, prompt_mask=pmask, replies=replies, slots=slots,
        temperatures=torch.tensor([batch.temperature] * n_roll + [1.0] * len(samples), device=device),
        n_roll=n_roll, old=old, ref=ref_lp,
        rl_scope=dev(losses.scope_mask(rm, args.rl_tokens) & rm["sampled"]),
        kl_text=dev(kl_text & rm["sampled"]), kl_speech=dev(kl_speech & rm["sampled"]),
        sft_scope=dev(losses.scope_mask(sm, args.sft_tokens) & sm["sampled"]),
        modality={m: (dev(rm[m]), dev(sm[m])) for m in ("text", "speech")})


def hybrid_objective(policy, ub, adv, usable, group, lam, args, forward=None, modality=None):
    """Eq. 8 on an UpdateBatch -> (loss, sft, grpo, grpo stats). `modality` ('text' or
    'speech'): the gradient reaches the parameters only through that modality's positions,
    Appendix C's L_text / L_speech, whose gradients add up to the whole loss's (Eq. 7)."""
    logp = row_logprobs(policy, ub, slice(None), forward)
    if modality:
        logp = losses.eq7_part(logp, torch.cat(ub.modality[modality]))
    grpo, stats = grpo_term(logp[:ub.n_roll], ub, adv, usable, group, args)
    sft = sft_term(logp[ub.n_roll:], ub)
    return losses.hybrid_loss(sft, grpo, lam), sft, grpo, stats


def grad_geometry_at_step(policy, ub, adv, usable, group, lam, args, forward):
    """Appendix C on a training step's global batch at the weights its update starts from (train.py's
    --grad-diag-every): losses.grad_geometry of the text and speech parts (Eq. 7), each rank's
    gradients averaged over ranks as DDP averages the update's; under FSDP, whose sharded parameters
    autograd.grad cannot reach, from the shards of backward passes through it."""
    if args.fsdp:
        return losses.geometry(*sharded_part_gradients(policy, ub, adv, usable, group, lam, args, forward),
                               all_reduce=runtime.all_reduce_sum)
    parts = [hybrid_objective(policy, ub, adv, usable, group, lam, args, modality=m)[0] for m in ("text", "speech")]
    return losses.grad_geometry(list(policy.named_parameters()), *parts, average=runtime.average_over_ranks)


def sharded_part_gradients(policy, ub, adv, usable, group, lam, args, forward):
    """Appendix C's two gradients (Eq. 7's L_text, L_speech) under FSDP, where autograd.grad cannot
    reach the sharded parameters: each part's backward runs through FSDP, which reduce-scatters its
    mean over ranks into every rank's shard of .grad. Called before the update's backward, with
    .grad empty (FSDP runs no early SFT backward), and leaves it empty. -> (names, this rank's text
    shards, speech shards), for losses.geometry with a sum over ranks."""
    named = [(n, p) for n, p in policy.named_parameters() if p.requires_grad]
    parts = []
    for modality in ("text", "speech"):
        hybrid_objective(policy, ub, adv, usable, group, lam, args, forward, modality=modality)[0].backward()
        grads = [torch.zeros_like(p) if p.grad is None else p.grad for _, p in named]
        parts.append([g.to_local() if hasattr(g, "to_local") else g for g in grads])     # a DTensor's shard
        for _, p in named:
            p.grad = None
    return [n for n, _ in named], parts[0], parts[1]


def row_logprobs(policy, ub, rows, forward=None):
    """Flat (rows, L*K) log-probs of some of an UpdateBatch's rows (a slice), same padding."""
    return flat(models.reply_logprobs(policy, ub.prompts[rows], ub.prompt_mask[rows], ub.replies[rows],
                                      ub.slots[rows], ub.temperatures[rows], forward))


def grpo_term(logp_roll, ub, adv, usable, group, args):
    """L_GRPO (Eq. 3-4, scope Eq. 6) on the rollout rows' log-probs -> (loss, stats)."""
    return losses.grpo_loss(logp_roll, ub.old, ub.ref, adv, ub.rl_scope, ub.kl_text, ub.kl_speech, group, usable,
                            args.beta_text, args.beta_speech, args.clip_eps, args.loss_agg, args.kl_norm)


def sft_term(logp_sft, ub):
    """L_SFT (Eq. 2, scope Eq. 6) on the SFT rows' log-probs."""
    return losses.sft_loss(logp_sft, ub.sft_scope)


def local_gradients(forward):
    """DDP: backward passes inside keep their gradients on this rank (summed into .grad); the
    next backward outside all-reduces the accumulated sum: one all-reduce per step, not two
    (averaging twice would give the same mean). A no-op for one process."""
    return forward.no_sync() if hasattr(forward, "no_sync") else contextlib.nullcontext()


def sft_backward_early(policy, ub, forward):
    """The SFT rows' forward and backward while the judge is still out: .grad = grad L_SFT,
    unscaled (lambda_t is not known yet) and not yet synced over ranks. -> L_SFT (detached)."""
    with local_gradients(forward):
        sft = sft_term(row_logprobs(policy, ub, slice(ub.n_roll, None), forward), ub)
        sft.backward()
    return sft.detach()


def grpo_forward_early(policy, ub, forward):
    """The rollout rows' forward while the judge is still out: their log-probs (B*G, L*K) with
    the graph kept; only the backward needs the advantages. Called after sft_backward_early,
    outside no_sync, so under DDP the backward that consumes it is the one that syncs."""
    return row_logprobs(policy, ub, slice(0, ub.n_roll), forward)


def grpo_after_rewards(policy, ub, sft, adv, usable, group, lam, args, forward, logp_roll=None):
    """The rest of Eq. 8 once the rewards and lambda_t are in: gradients are linear, so the SFT
    gradient already in .grad is scaled by (1 - lambda_t) and the returned loss's backward adds
    lambda_t grad L_GRPO (DDP syncs the sum there). `logp_roll`: grpo_forward_early's output,
    else the rollout rows' forward runs now. Its value is the whole L, for the non-finite
    guard; the SFT term enters it detached. -> (loss, sft, grpo, grpo stats)."""
    for p in policy.parameters():
        if p.grad is not None:
            p.grad.mul_(1.0 - lam)
    if logp_roll is None:
        logp_roll = row_logprobs(policy, ub, slice(0, ub.n_roll), forward)
    grpo, stats = grpo_term(logp_roll, ub, adv, usable, group, args)
    return losses.hybrid_loss(sft, grpo, lam), sft, grpo, stats
