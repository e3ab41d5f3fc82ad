"""The weights a run trains: the policy and its frozen reference, AdamW and the guarded step.

    policy = weights.load_policy(args, device)          # --init (a checkpoint or raw VITA-Audio), or built
    ref = weights.frozen_copy(args, device)             # the starting checkpoint, frozen, in the policy's compute dtype
    opt, sched = weights.make_optimizer(policy, args)   # AdamW, linear warmup then cosine to 10 %
    norm, skipped = weights.optimiser_step(policy, opt, sched, loss, args)

train.py's stages call these; every argument is one of its flags (args). An update whose loss
or gradient norm is non-finite on any rank is skipped on every rank (weights and optimiser
state kept), and SkipGuard stops the run after --max-skipped-updates of them in a row.

Deviations from the paper and the official release: none of their own; train.py's list covers
this file's (3: beta > 0 builds the reference, a fresh load of the starting checkpoint, never
the resumed policy; 5: a non-finite update is skipped on every rank).
"""
import math
import os
import warnings

import torch

import model as models
import runtime


def load_init(path, args, device, dtype=None):
    """A saved checkpoint (spoken.json), or a raw VITA-Audio directory for --model vita, in
    `dtype` (default --dtype)."""
    dtype = dtype or getattr(torch, args.dtype)
    if os.path.exists(os.path.join(path, "spoken.json")):     # a real one read straight into dtype: no fp32 copy of 10B
        return models.load_model(path, dtype=dtype, device=device)
    if args.model == "vita":
        import real
        return real.load_vita(path, args.schedule, args.audio_tokenizer, args.audio_decoder, dtype,
                              device).to(device)
    raise SystemExit(f"--init {path}: not a checkpoint (no spoken.json)")


def rollout_dtype(args, device):
    """The dtype the policy samples in: --dtype, except under --fsdp on a GPU, where the float32
    shards are gathered to bfloat16 for every forward (runtime.wrap_parallel's mixed precision).
    A model reloaded to be sampled as the policy was (the closing summary) is read in it."""
    return torch.bfloat16 if args.fsdp and device.type == "cuda" else getattr(torch, args.dtype)


def load_policy(args, device):
    if args.init:
        policy = load_init(args.init, args, device)
    else:
        policy = models.build_model(args.model, seed=args.seed, schedule=args.schedule)
        policy = models.place(policy, getattr(torch, args.dtype), device)
    if args.grad_checkpoint:
        enable_grad_checkpoint(policy)
    return policy


def enable_grad_checkpoint(policy):
    """Recompute every decoder layer's activations in the backward pass (transformers' own
    checkpointing, non-reentrant so it composes with FSDP2); active in train mode only, so
    rollouts keep their KV cache. Memory: one layer's activations instead of all of them."""
    nets = [policy.net] if hasattr(policy.net, "gradient_checkpointing_enable") else \
        [policy.net.trunk, policy.net.branch]
    for net in nets:
        enable = getattr(net, "activation_checkpointing_enable", None) or net.gradient_checkpointing_enable
        enable({"use_reentrant": False})
    return policy


def frozen_copy(args, device):
    """The frozen reference: a fresh load of the starting checkpoint (never the resumed policy),
    in the policy's compute dtype (rollout_dtype: bf16 for --model vita on GPUs), and sharded like
    the policy under --fsdp."""
    # in the dtype the policy samples and scores in, read straight into it: under --fsdp on GPUs
    # bf16, not the float32 masters (a transient float32 copy of 31 GB at 7.7B on every GPU just to
    # cast it down); a tiny model trained in float32 keeps a float32 reference (KL 0 at step 0)
    ref = load_init(args.init, args, device, rollout_dtype(args, device))
    ref.eval().requires_grad_(False)
    if args.fsdp:
        from torch.distributed.fsdp import fully_shard
        for layer in ref.decoder_layers():
            fully_shard(layer)
        fully_shard(ref.net)
        # FSDP2 leaves the root's weights (embeddings, norm, lm_head) gathered after a forward for
        # the backward to reshard; the reference has none, so reshard them here (2.24 GiB at 7.7B)
        ref.net.register_forward_hook(lambda module, inputs, output: module.reshard())
    return ref


def make_optimizer(policy, args):
    opt = torch.optim.AdamW(policy.parameters(), lr=args.lr, weight_decay=args.weight_decay, betas=(0.9, 0.95))
    updates = args.steps * (args.ppo_epochs if args.stage == "hybrid" else 1)
    warmup = min(args.warmup, max(1, updates // 2))

    def schedule(i):  # linear warmup, cosine decay to 10% of the peak
        if i < warmup:
            return (i + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, (i - warmup) / max(1, updates - warmup))))
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, schedule)


def optimiser_step(policy, opt, sched, loss, args, accumulate=False):
    """Backward, clip, AdamW step -> (gradient norm, skipped). When the loss or the gradient
    norm is non-finite on any rank, the gradients are dropped and the weights and optimiser
    state stay as they were (skipped = True; the learning-rate schedule still advances).
    accumulate=True adds the loss's gradients to those already in .grad (the overlapped step)."""
    if not accumulate:
        opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(policy.parameters(), args.grad_clip)
    norm = float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)
    bad = torch.tensor([0.0 if math.isfinite(float(loss.detach())) and math.isfinite(norm) else 1.0],
                       dtype=torch.float64, device="cpu")
    skipped = bool(runtime.all_reduce_max(bad)[0] > 0)           # every rank skips together
    if skipped:
        opt.zero_grad(set_to_none=True)
    else:
        opt.step()
    with warnings.catch_warnings():     # a skipped first update is not the misuse torch warns about
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step", category=UserWarning)
        sched.step()
    return norm, skipped


class SkipGuard:
    """Counts skipped (non-finite) updates; --max-skipped-updates in a row stop the run."""

    def __init__(self, limit, in_row=0):
        self.limit, self.in_row = limit, in_row

    def update(self, skipped, step):
        self.in_row = self.in_row + 1 if skipped else 0
        if self.limit and self.in_row >= self.limit:
            raise SystemExit(f"step {step}: {self.in_row} updates in a row had a non-finite loss or gradient "
                             f"norm and were skipped (--max-skipped-updates {self.limit}); lower --lr or check "
                             f"the data and the checkpoint")
        return int(skipped)
