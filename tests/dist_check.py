"""One hybrid update on a fixed global batch, for test_train's DDP / FSDP comparisons.

    torchrun --nproc_per_node N tests/dist_check.py OUT CKPT DATA [--fsdp] [--overlap]

Every rank samples the same global batch (same seed), keeps its own prompts' rows,
scores them with fixed synthetic rewards, runs the gate with the cross-rank
all-reduce and one backward through the parallel wrapper (--overlap: the overlapped
step's two, the SFT rows' under no_sync first, then the rollout rows' forward); rank r writes OUT/rank{r}.pt with lambda
and the full gradients.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(1)
import codec      # noqa: E402
import dataset    # noqa: E402
import gate as gates  # noqa: E402
import losses     # noqa: E402
import objective
import rollout    # noqa: E402
import runtime    # noqa: E402
import train      # noqa: E402
import weights    # noqa: E402


def take(batch, prompts, G):
    """The rows of a Rollout that answer the given prompt indices."""
    rows = [p * G + g for p in prompts for g in range(G)]
    keep = lambda t: t[rows]   # noqa: E731
    return rollout.Rollout(samples=[batch.samples[p] for p in prompts], group_size=G,
                           prompts=keep(batch.prompts), prompt_mask=keep(batch.prompt_mask),
                           replies=keep(batch.replies), slots=keep(batch.slots), logprobs=keep(batch.logprobs),
                           masks={k: keep(v) for k, v in batch.masks.items()}, truncated=keep(batch.truncated),
                           texts=[batch.texts[i] for i in rows], codes=[batch.codes[i] for i in rows])


def main(out, ckpt, data, fsdp, overlap=False):
    rank, world, device = runtime.setup_distributed("cpu")
    args = train.get_args(["--init", ckpt, "--data-dir", data, "--rl-tokens", "all", "--beta-text", "0",
                           "--beta-speech", "0", "--group-size", "3", "--max-len", "40"] + (["--fsdp"] if fsdp else []))
    policy = weights.load_policy(args, device)
    samples = dataset.load_samples(args.train_file, codec.encode, need_target=True, limit=4)
    G, per_rank = args.group_size, len(samples) // world
    full = rollout.sample(policy, samples, G, 1.0, 1.0, args.max_len, torch.Generator().manual_seed(0))
    forward = runtime.wrap_parallel(policy, args.fsdp, world, device)
    mine = list(range(rank * per_rank, (rank + 1) * per_rank))
    batch = take(full, mine, G)
    R = torch.tensor([[float((7 * (p * G + g)) % 5 + 1) for g in range(G)] for p in mine])   # fixed rewards
    adv, usable = losses.advantages(R)
    out_gate = gates.make_gate("adaptive").step(R, runtime.all_reduce_sum)
    ub = objective.build_update_batch(policy, None, batch, batch.samples, args, device)
    group = torch.arange(per_rank).repeat_interleave(G)
    if overlap:
        sft = objective.sft_backward_early(policy, ub, forward)
        logp = objective.grpo_forward_early(policy, ub, forward)
        loss = objective.grpo_after_rewards(policy, ub, sft, adv.flatten(), usable.flatten(), group, out_gate.lam,
                                        args, forward, logp)[0]
    else:
        loss = objective.hybrid_objective(policy, ub, adv.flatten(), usable.flatten(), group, out_gate.lam, args,
                                      forward)[0]
    loss.backward()
    grads = {n: (p.grad.full_tensor() if hasattr(p.grad, "full_tensor") else p.grad).clone()
             for n, p in policy.named_parameters()}
    torch.save({"lam": out_gate.lam, "grads": grads}, os.path.join(out, f"rank{rank}.pt"))
    if world > 1:
        torch.distributed.barrier()     # both ranks done before either tears down: gloo's teardown
        torch.distributed.destroy_process_group()   # with its peer gone hung a rank once (never exited)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--fsdp" in sys.argv, "--overlap" in sys.argv)
