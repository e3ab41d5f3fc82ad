"""The objectives of paper §3.2-3.4 as small pure functions over per-token tensors.

Every function takes flat per-token tensors: log-probs (N, T) and boolean masks
(N, T), where N is the number of sequences (B prompts x G replies for GRPO) and T
the token positions of a reply (a model with K parallel streams flattens L x K).
Which tokens a loss sees is entirely the mask: Eq. 6's token subset M(y) is
`scope_mask(masks, "text" | "speech" | "all")`, intersected with the positions the
policy actually chose (`sampled`).

    advantages  Eq. 3   group-relative advantage, None rewards excluded
    sft_loss    Eq. 2   masked teacher-forcing cross-entropy
    grpo_loss   Eq. 3   clipped ratio + k3 KL with separate text / speech beta
    dpo_loss    Eq. 4-5 on masked scores (Eq. 6)
    hybrid_loss Eq. 8   (1 - lambda) SFT + lambda GRPO
    dpo_pair    Eq. 13-16 chosen / rejected selection for the offline baselines

Deviations from the paper and the official release:
  1. A failed judge call is a missing reward (NaN here), excluded from the group's
     statistics; a group with fewer than two valid rewards gives no GRPO loss. The
     official code scores failures 2.5 and lets them into the advantage.
  2. KL is applied on each modality's own mask, whatever the GRPO scope. The official
     code multiplies the KL by the GRPO mask, so text-only GRPO drops the speech KL.
     Inside the scope the KL is normalised as officially (summed over the scope's tokens,
     divided by the scope's count: `kl_term`); a modality outside it is averaged over its own.
  3. An empty mask gives zero loss and is counted; the official code silently falls
     back to all tokens when a group has no text token.
  4. Advantages use the population std (as the masked official trainer does; its
     other trainers use the sample std).
  5. L_SFT averages each sequence's log-probs over its allowed positions, then over
     sequences (the official trainer's masked mean); Eq. 2 sums over a sequence.
  6. The GRPO aggregation defaults to the official per-sequence mean (`--loss-agg
     seq-mean`); Eq. 3's literal 1/G sum over tokens is `token-sum`.
  7. A row whose group is unusable (fewer than two valid rewards) gets no KL either,
     although the KL needs no reward: the row is left out of the step (deviation 1).
"""
import math

import torch
import torch.nn.functional as F

AGGREGATIONS = ("seq-mean", "token-mean", "token-sum")


def scope_mask(masks: dict, scope: str) -> torch.Tensor:
    """Eq. 6's index set M(y) as a bool mask: `text`, `speech` or `all` reply tokens."""
    if scope == "text":
        return masks["text"]
    if scope == "speech":
        return masks["speech"]
    if scope == "all":
        return masks["completion"]
    raise ValueError(f"token scope must be text, speech or all; got {scope!r}")


def advantages(rewards: torch.Tensor, eps: float = 1e-4):
    """Eq. 3: A_i = (R_i - mean R) / (std R + eps) within each prompt group.

    rewards (B, G) float, NaN where the judge gave no score.
    Returns adv (B, G) (0 where the reward is missing or the group is unusable) and
    usable (B, G) bool: the reward is valid and its group has >= 2 valid rewards.
    Population std over the valid rewards only."""
    valid = ~torch.isnan(rewards)
    n = valid.sum(1, keepdim=True)                                        # (B, 1)
    r = torch.where(valid, rewards, torch.zeros_like(rewards))
    mean = r.sum(1, keepdim=True) / n.clamp(min=1)
    var = (torch.where(valid, (r - mean) ** 2, torch.zeros_like(r))).sum(1, keepdim=True) / n.clamp(min=1)
    usable = valid & (n >= 2)
    adv = torch.where(usable, (r - mean) / (var.sqrt() + eps), torch.zeros_like(r))
    return adv, usable


def masked_score(logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. 6: s_M(x, y) = sum over t in M(y) of log p(y_t | .). (N, T) -> (N,)."""
    return (logp * mask).sum(-1)


def _seq_means(x, mask):
    """Per-sequence mean of x (N, T) over mask; (means (N,), has_any (N,))."""
    count = mask.sum(-1)
    return (x * mask).sum(-1) / count.clamp(min=1), count > 0


def sft_loss(logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. 2 with Eq. 6's scope: -mean over sequences that have any allowed position of
    (mean log-prob over that sequence's allowed positions). logp, mask (N, T) -> scalar.
    No allowed position anywhere gives exactly 0 (with a zero gradient)."""
    means, has = _seq_means(logp, mask)
    if not has.any():
        return logp.sum() * 0.0
    return -(means[has]).mean()


def kl_k3(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimator of KL(pi || pi_ref): exp(ref - logp) - (ref - logp) - 1 >= 0."""
    d = ref_logp - logp
    return torch.exp(d) - d - 1.0


def aggregate(x, mask, group, weight, how: str, denom=None):
    """Reduce per-token values x (N, T) over mask (N, T) to a scalar, counting only rows
    with weight (N,) True; group (N,) long names each row's prompt group. `denom` (N, T),
    default `mask`: the positions whose count divides a row's sum (seq-mean) or the total
    (token-mean), so a term can be normalised by another mask's length (official KL, below).

    seq-mean   per-sequence sum / count, then mean over a group's rows, then over groups
               (the official release's choice); rows with an empty `denom` are left out.
    token-mean one global sum over every counted token / the count of `denom`.
    token-sum  Eq. 3 literally: sum over a group's tokens / its row count, mean over groups.
    """
    mask = mask & weight[:, None]
    denom = mask if denom is None else denom & weight[:, None]
    if not mask.any():
        return x.sum() * 0.0
    if how == "token-mean":
        return (x * mask).sum() / denom.sum()
    if how == "seq-mean":
        count = denom.sum(-1)
        per_row, has = (x * mask).sum(-1) / count.clamp(min=1), count > 0
    elif how == "token-sum":
        per_row, has = (x * mask).sum(-1), weight
    else:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}; got {how!r}")
    n_groups = int(group.max()) + 1
    sums = torch.zeros(n_groups, dtype=x.dtype, device=x.device).index_add(0, group, per_row * has)
    counts = torch.zeros(n_groups, device=x.device).index_add(0, group, has.float())
    present = counts > 0
    return (sums[present] / counts[present]).mean()


def kl_term(kl, mask, scope, group, weight, how, norm="scope"):
    """One modality's KL penalty (before beta): kl (N, T) per-token k3, mask (N, T) the
    modality's KL positions, scope (N, T) the GRPO scope.

    norm="scope" (default, the official trainer): the positions inside the GRPO scope are
    summed and divided by the scope's count, so under --rl-tokens all a row's KL is
    sum_t beta(t) k3_t / |scope| over all its tokens; positions outside the scope (kept
    here, dropped officially: deviation 2) are averaged over their own count.
    norm="modality": every position is averaged over its own modality's count, so under
    --rl-tokens all the text KL weighs |all| / |text| times more than officially."""
    if norm == "modality":
        return aggregate(kl, mask, group, weight, how)
    if norm != "scope":
        raise ValueError(f"KL normalisation must be scope or modality; got {norm!r}")
    return aggregate(kl, mask & scope, group, weight, how, denom=scope) + aggregate(kl, mask & ~scope, group, weight, how)


def grpo_loss(logp, old_logp, ref_logp, adv, scope, text_mask, speech_mask, group, usable,
              beta_text=0.01, beta_speech=0.01, clip_eps=0.2, how="seq-mean", kl_norm="scope"):
    """Eq. 3 with Eq. 6's scope, for one update on a rollout batch.

    logp (N, T)       log pi_theta of the sampled tokens (carries the gradient)
    old_logp (N, T)   log pi_old recorded at sampling; rho = exp(logp - old_logp)
    ref_logp (N, T)   frozen reference, or None when both betas are 0
    adv (N,)          A_i, shared by every token of reply i
    scope (N, T)      tokens that receive the policy-gradient term
    text_mask, speech_mask (N, T)  where the per-modality KL applies (beta_text, beta_speech)
    group (N,) long   prompt group of each row; usable (N,) rows with a valid advantage
    -> (loss scalar, stats dict of floats)

    Per token: -min(rho A, clip(rho, 1 - eps, 1 + eps) A), aggregated over `scope`; the KL
    terms are added as beta * kl_term(k3) (normalised as `kl_norm` says, see kl_term). The
    logged kl_text / kl_speech are each modality's own mean k3, whatever the normalisation."""
    ratio = torch.exp(logp - old_logp)
    a = adv[:, None]
    surrogate = torch.minimum(ratio * a, ratio.clamp(1 - clip_eps, 1 + clip_eps) * a)
    pg = aggregate(-surrogate, scope, group, usable, how)
    loss, stats = pg, {"pg_loss": float(pg.detach())}
    if ref_logp is not None and (beta_text > 0 or beta_speech > 0):
        kl = kl_k3(logp, ref_logp)
        loss = loss + beta_text * kl_term(kl, text_mask, scope, group, usable, how, kl_norm) \
            + beta_speech * kl_term(kl, speech_mask, scope, group, usable, how, kl_norm)
        with torch.no_grad():
            stats.update(kl_text=float(aggregate(kl, text_mask, group, usable, how)),
                         kl_speech=float(aggregate(kl, speech_mask, group, usable, how)))
    else:
        stats.update(kl_text=0.0, kl_speech=0.0)
    counted = scope & usable[:, None]
    clipped = ((ratio < 1 - clip_eps) | (ratio > 1 + clip_eps)) & counted
    stats["clip_frac"] = float(clipped.sum() / counted.sum().clamp(min=1))
    stats["empty_scope_rows"] = int((usable & ~scope.any(-1)).sum())
    return loss, stats


def dpo_loss(chosen, rejected, ref_chosen, ref_rejected, gamma=0.1):
    """Eq. 4-5: -log sigmoid(gamma * [(s(y+) - s(y-)) - (s_ref(y+) - s_ref(y-))]).
    Scores (P,) are masked sums (Eq. 6) of the policy and the reference. -> (loss, margin (P,))."""
    margin = (chosen - rejected) - (ref_chosen - ref_rejected)
    return -F.logsigmoid(gamma * margin).mean(), margin.detach()


def hybrid_loss(sft, grpo, lam):
    """Eq. 8: L = (1 - lambda_t) L_SFT + lambda_t L_GRPO^(T)."""
    return (1.0 - lam) * sft + lam * grpo


def dpo_pair(semantic, acoustic, weight=0.5, margin=0.5):
    """Eq. 13-16: pick (chosen, rejected) indices among n scored replies of one prompt.

    u = w s_sem + (1 - w) s_acous; chosen = argmax u, rejected = argmin u, ties broken
    by higher (chosen) / lower (rejected) semantic score, then acoustic score. Replies
    with a missing score (None) are skipped. Returns None unless u+ - u- >= margin."""
    scored = [(weight * s + (1 - weight) * a, s, a, i)
              for i, (s, a) in enumerate(zip(semantic, acoustic)) if s is not None and a is not None]
    if len(scored) < 2:
        return None
    best = max(scored, key=lambda r: (r[0], r[1], r[2], -r[3]))
    worst = min(scored, key=lambda r: (r[0], r[1], r[2], r[3]))
    if best[3] == worst[3] or best[0] - worst[0] < margin - 1e-9:
        return None
    return best[3], worst[3]


def nan_rewards(rewards, shape):
    """List of floats / None (row-major B*G) -> (B, G) float tensor with NaN for None."""
    return torch.tensor([math.nan if r is None else float(r) for r in rewards], device="cpu").view(shape)


def _layer_of(name: str) -> str:
    """Parameter name -> its layer for Appendix C's per-layer view ('layer 3', 'embed', 'head')."""
    import re
    m = re.search(r"layers\.(\d+)\.", name)
    if m:
        prefix = "branch " if "branch." in name else ""
        return f"{prefix}layer {int(m.group(1))}"
    if "embed" in name:
        return "embed"
    return "head" if "head" in name else "norm/other"


def eq7_part(logp: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Eq. 7's split: logp (N, T) with the positions outside keep (N, T) detached. A loss on
    it back-propagates only through `keep`'s log-probs, with the whole loss's weights
    (normalisers, advantages, DPO's sigmoid at the whole margin), so the parts' gradients over
    disjoint masks that cover the loss's positions add up to the whole loss's gradient, for
    any loss. Its value is the whole loss's."""
    return torch.where(keep, logp, logp.detach())


def grad_geometry(named_params, loss_text, loss_speech, average=None) -> dict:
    """Appendix C: gradients of L_text and L_speech from two separate backward passes.

    named_params: list of (name, parameter); losses: scalars on one graph. `average`: under DDP,
    a function that replaces each of a list of gradients by its mean over ranks, so the geometry
    is the global batch's, as the update's gradient is (each rank's losses cover its own rows).
    -> {"ratio": ||g_text|| / ||g_speech||, "cos": <g_text, g_speech> / (||g_text|| ||g_speech||),
        "norm_text", "norm_speech", "layers": {layer: {"ratio", "cos", "norm_text", "norm_speech"}}}
    Parameters that a loss does not reach count as zero gradient."""
    params = [p for _, p in named_params if p.requires_grad]
    names = [n for n, p in named_params if p.requires_grad]

    def grads(loss):
        out = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        return [torch.zeros_like(p) if g is None else g.detach() for g, p in zip(out, params)]
    g_text, g_speech = grads(loss_text), grads(loss_speech)
    if average is not None:
        average(g_text + g_speech)
    return geometry(names, g_text, g_speech)


GEOMETRY_SLICE = 2 ** 24        # elements a float64 copy holds at once in geometry (128 MB)


def geometry(names, g_text, g_speech, all_reduce=None) -> dict:
    """grad_geometry's figures from two gradients, one tensor per parameter (names[i]'s). Under
    FSDP each rank holds a shard of every gradient: `all_reduce` (a sum over ranks) adds up the
    shards' dot products and squared norms, per layer, before the ratios are taken."""
    layers = list(dict.fromkeys(_layer_of(n) for n in names))      # in the parameters' order
    sums = torch.zeros(len(layers), 3, dtype=torch.float64, device="cpu")     # per layer: <a, b>, |a|^2, |b|^2
    for name, a, b in zip(names, g_text, g_speech):     # three sums on the gradient's device, not its copy here
        row = torch.zeros(3, dtype=torch.float64, device=a.device)
        # float64 a slice at a time: a whole 168k x 3,584 embedding's gradient would be 4.8 GB a copy
        for x, y in zip(a.detach().flatten().split(GEOMETRY_SLICE), b.detach().flatten().split(GEOMETRY_SLICE)):
            x, y = x.double(), y.double()
            row += torch.stack([x @ y, x @ x, y @ y])
        sums[layers.index(_layer_of(name))] += row.cpu()
    if all_reduce is not None:
        sums = all_reduce(sums)

    def summary(dot, sq_text, sq_speech):
        nt, ns = math.sqrt(sq_text), math.sqrt(sq_speech)
        return {"ratio": nt / ns if ns > 0 else float("inf"), "cos": dot / (nt * ns) if nt > 0 and ns > 0 else 0.0,
                "norm_text": nt, "norm_speech": ns}
    return {**summary(*sums.sum(0).tolist()), "layers": {k: summary(*v) for k, v in zip(layers, sums.tolist())}}
