"""Post-train a spoken dialogue model: SFT, the paper's adaptive hybrid (Eq. 8), DPO.

    python train.py                                   # the main job on the embedded default
    python train.py --stage sft --model tiny-kimi     # build a tiny base checkpoint
    python train.py --gate fixed --lam 1.0 --rl-tokens all    # a baseline: full-token GRPO
    torchrun --nproc_per_node 2 train.py --steps 20   # CPU (gloo) or GPU (nccl)
    torchrun --nproc_per_node 4 train.py --model vita --init /ckpt/VITA-Audio-Boost --fsdp \\
        --audio-tokenizer /ckpt/glm-4-voice-tokenizer --audio-decoder /ckpt/glm-4-voice-decoder \\
        --data-dir /data/my-spoken-set \\
        --judge-url https://.../v1/chat/completions --judge-model gemini-2.5-pro     # see README

Stages (--stage):
  sft     teacher forcing on the SFT targets (Eq. 2). With no --init it trains a tiny
          model from scratch: that is how the deliberately imperfect base is made.
  hybrid  (default) one loop per step: each rank samples G replies for each of its
          prompts and sends them all to the judge at once; while the calls are in
          flight it takes the reference log-probs, the SFT targets' forward and
          backward and the rollouts' forward (--overlap-judge); with the rewards it
          computes advantages (Eq. 3)
          and lambda_t from every rank's reward groups (Eq. 9-12), and steps AdamW on
          L = (1 - lambda_t) L_SFT + lambda_t L_GRPO (Eq. 8). `--gate fixed --lam 1`
          is pure GRPO; `--lam 0` pure SFT.
  dpo     the offline baselines: sample n replies per prompt, judge, pick pairs by
          Eq. 13-16, then minimise Eq. 5 on masked scores (Eq. 6).

`python train.py` with no flags prepares the toy data if missing, builds the
tiny-vita base if missing (out/base-tiny-vita), starts the local judge, post-trains
with the adaptive gate into out/hybrid-tiny-vita, and prints a base-vs-trained
summary on held-out prompts and lambda's mean and range. Two local judges run: the training judge is the
unreliable "LLM judge" (`--judge-noise llm`, calibrated to the paper's Table 5),
the summary is scored by the noise-free "human" (`--judge-noise none` trains on it). Outputs: metrics.jsonl (one record per step),
metrics.png, ckpt/ (atomic; `--resume` continues exactly), final/ (the model).
The console shows a step line every --log-every steps under the tqdm bar and the
run's wall time at the end; a bad flag, data file or real checkpoint ends with one
line naming it (the flag, the file:line, or the directory and what it lacks) and exit status 2.

Deviations from the paper and the official release:
  1. The judge runs on a background thread while the reward-independent work does
     (reference log-probs; the SFT rows' backward, unscaled, DDP-local, then scaled by
     1 - lambda_t once the gate is known: gradients are linear, so the update is the
     same), and the GRPO rows' forward; only their backward waits for the rewards. The official
     trainer holds the whole batch's activations while it waits on the judge. Under
     --fsdp only the reference overlaps; --ppo-epochs > 1 runs later epochs whole;
     --overlap-judge auto leaves it off for the local judge on CPU (same cores).
  2. lambda_t is all-reduced over ranks and checkpointed (gate.py).
  3. Every flag does what it says: beta > 0 builds the frozen reference; top_p is applied.
  4. Per-axis judge scores are requested beside the reward for logging (--log-axes), on
     step 1 and every --log-axes-every-th step (default 10): in holistic mode that costs
     1.2x the reward's calls, not 3x; metrics say which steps carry them (`logged_axes`).
  5. --batch-size is the global number of prompts per step, and each reply samples from
     its own stream keyed by (seed, step, prompt, reply): N processes run the same
     experiment as one. An update whose loss or gradient norm is non-finite is skipped
     (weights and optimiser state kept, counted in `skipped_updates`);
     --max-skipped-updates in a row stop the run with an error.
  6. --async-rollout (off by default) samples step t+1's rollouts while step t's judge calls
     are out, with the weights before step t's update: each step trains on replies one
     update old, clipped against their sampling log-probs. The paper and the official
     trainer are on-policy; this hides the rollout behind a slow judge. The rollout sampled
     ahead is checkpointed per rank, so --resume stays exact.
  7. With --ppo-epochs > 1 every epoch's update is the whole Eq. 8, so the SFT term is
     applied once per epoch on the rollout batch's prompts, as the GRPO term is.
"""
import contextlib
import copy
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

import analyses
import dataset
import dpo
import eval as evaluate
import flags
import gate as gates
import losses
import model as models
import objective
import reward
import rollout
import runtime
import weights
from flags import get_args
from rollout import flat

HERE = os.path.dirname(os.path.abspath(__file__))


def per_rank_batch(args, world):
    """--batch-size is the global number of prompts per step, split evenly over the ranks."""
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size}: the global batch must split evenly over {world} ranks")
    return args.batch_size // world


def ensure_toy_data(args, rank):
    """Generate data/toy if the default data is missing (rank 0; others wait); refuse one an
    earlier data/prepare.py made (dataset.check_toy_world)."""
    toy = os.path.join(HERE, "data", "toy")
    default = os.path.abspath(args.data_dir) == toy
    if os.path.exists(args.train_file) and os.path.exists(args.eval_file):
        if any(os.path.dirname(os.path.abspath(f)) == toy for f in (args.train_file, args.eval_file)):
            dataset.check_toy_world(toy)
        return
    if not default:
        raise SystemExit(f"data not found: {args.train_file} / {args.eval_file}")
    if rank == 0:
        print("toy data missing: running data/prepare.py", flush=True)
        prepare = [sys.executable, os.path.join(HERE, "data", "prepare.py"), "--out", args.data_dir]
        if subprocess.run(prepare).returncode:
            raise SystemExit(f"data/prepare.py could not write the toy data to {args.data_dir} (its error above)")
    runtime.barrier()


def check_init(args):
    """A tiny model's --init that holds no checkpoint fails at once, before the toy data (1.4 GB,
    a minute) is generated for it; only the default base of a post-training stage is built."""
    if not args.init or not args.model.startswith("tiny") or os.path.exists(os.path.join(args.init, "spoken.json")):
        return
    if args.stage == "sft" or args.init != os.path.join("out", f"base-{args.model}"):
        raw = os.path.exists(os.path.join(args.init, "config.json"))
        raise SystemExit(f"--init {args.init}: no checkpoint there (no spoken.json)"
                         + ("; a raw VITA-Audio checkpoint needs --model vita" if raw else ""))


def ensure_base(args, rank, world):
    """Build the tiny base checkpoint with the SFT stage if --init is the default and missing."""
    if not args.init or os.path.exists(os.path.join(args.init, "spoken.json")) or not args.model.startswith("tiny"):
        return
    if rank == 0:
        print(f"base checkpoint {args.init} missing: building it with the SFT stage", flush=True)
    # --overwrite: what is there is a base whose build stopped before its final model; the run's own data
    # files (--train-file / --eval-file may name others than --data-dir's) and --skip-bad reach the build
    sft_args = get_args(["--stage", "sft", "--model", args.model, "--out", args.init, "--overwrite", "--data-dir",
                         args.data_dir, "--train-file", args.train_file, "--eval-file", args.eval_file,
                         "--seed", str(args.seed), "--device", args.device, "--eval-prompts", str(args.eval_prompts)]
                        + (["--quiet"] if args.quiet else []) + (["--skip-bad"] if args.skip_bad else []))
    run(sft_args)


# ---------------------------------------------------------------- the stages

_LOADED = {}


def load_split(path, encode, need_target, skip_bad, limit, rank=0, world=1):
    """dataset.load_samples, remembered for this process: the default job builds the base and
    then post-trains in one process, and encoding 5,000 WAVs twice would cost 15 s. Under
    torchrun the WAVs not yet in the codes cache are first encoded once over the ranks
    (dataset.encode_shared), not once on each."""
    key = (os.path.abspath(path), os.path.getmtime(path) if os.path.exists(path) else None, encode,
           need_target, skip_bad, limit)
    if key not in _LOADED:
        mine, missing = dataset.encode_shared(path, encode, rank, world, runtime.barrier, limit)
        if missing and rank == 0:
            print(f"encoded {plural(missing, 'WAV')} of {path} over {world} ranks ({mine} here)", flush=True)
        _LOADED[key] = dataset.load_samples(path, encode, need_target=need_target, skip_bad=skip_bad, limit=limit)
    return _LOADED[key]


def print_config(args, world, device, policy):
    """The effective configuration, grouped as the flags are (the API key is never printed)."""
    print(f"nanoWavAlign {args.stage}: {policy.spec.get('model', args.model)} "
          f"({models.n_params(policy) / 1e6:.2f}M params), world {world}, device {device}")
    if "schedule_source" in policy.spec:      # a real checkpoint: its layout is read, not built
        print(f"  interleave schedule {' '.join(map(str, policy.spec['schedule']))} from "
              f"{policy.spec['schedule_source']} (VITA-Audio-Boost trains with 1 10 4 10, Balance with "
              "1 4 3 8 4 10; --schedule overrides a raw checkpoint's)")
    items = sorted(vars(args).items())
    for i in range(0, len(items), 4):
        print("  " + "  ".join(f"{k}={v}" for k, v in items[i:i + 4]))
    sys.stdout.flush()


def check_targets(args, policy, train_set, rank):
    """Lay out every SFT target once, before the first step -> the samples to train on. A target
    that cannot be laid out is a one-line error (with --skip-bad: left out, counted); rank 0 says
    how many run past --max-len, which cuts them (rollout.teacher_forced). Every rank checks, so
    every rank keeps the same samples, or stops."""
    kept, lengths, bad = [], [], []
    with rollout.on_host():
        for s in train_set:
            try:
                lengths.append(rollout.lay_out_target(policy, s).shape[0])
                kept.append(s)
            except ValueError as e:
                if not args.skip_bad:
                    raise dataset.DataError(f"{args.train_file}: {e}") from None
                bad.append(s.id)
    if not kept:
        raise dataset.DataError(f"{args.train_file}: no SFT target can be laid out")
    long = [n for n in lengths if n > args.max_len]
    if rank == 0 and bad:
        print(f"{args.train_file}: skipped {plural(len(bad), 'sample')} whose SFT target cannot be laid out "
              f"({', '.join(map(str, bad[:5]))}{', ...' if len(bad) > 5 else ''}), kept {len(kept)}", flush=True)
    if rank == 0 and long:
        print(f"{args.train_file}: {len(long)} of {len(kept)} SFT targets are longer than --max-len {args.max_len} "
              f"(the longest: {max(long)} positions); each is trained on its first {args.max_len}, as a rollout "
              "stops there", flush=True)
    return kept


def run(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = runtime.setup_distributed(args.device, args.fsdp, args.dist_timeout)
    torch.manual_seed(args.seed + rank)
    random.seed(args.seed + rank)
    np.random.seed(args.seed + rank)
    check_init(args)
    runtime.check_out(args)
    ensure_toy_data(args, rank)
    if args.stage != "sft":
        ensure_base(args, rank, world)
    policy = weights.load_policy(args, device)
    if rank == 0:
        print_config(args, world, device, policy)
    need_target = args.stage in ("sft", "hybrid")
    train_set = load_split(args.train_file, policy.codec.encode, need_target, args.skip_bad, args.max_train_samples,
                           rank, world)
    eval_set = load_split(args.eval_file, policy.codec.encode, False, args.skip_bad, max(1, args.eval_prompts),
                          rank, world)
    if hasattr(policy.codec, "release_encoder"):    # GLM-4-Voice's encoder: no step encodes, so no step holds it
        policy.codec.release_encoder()
    if need_target:
        train_set = check_targets(args, policy, train_set, rank)
    runtime.clear_out(args, rank)
    with contextlib.ExitStack() as stack:
        # two raters: the (noisy) training judge, and the noise-free "human" for the held-out summary
        judge = reward.open_judge(args, stack) if args.stage != "sft" else None
        human = reward.open_judge(args, stack, human=True) if args.eval_prompts and rank == 0 else None
        stage = {"sft": run_sft, "hybrid": run_hybrid, "dpo": run_dpo}[args.stage]
        stage(args, policy, train_set, eval_set, judge, rank, world, device, human)
    if args.stage == "hybrid":
        report_judge_bill(args.out, rank)
    return args.out


def common_loop_state(args, policy, rank, world, device, shards):
    """Parallel wrapper, optimiser, schedule and a seeded generator (checkpointed with every
    rank's RNG states; hybrid rollouts key their own streams instead); under --resume, the
    checkpoint's weights go in before wrapping (FSDP shards them) and the rest after. Also returns
    the checkpoint's state (or None), which maps its file: a caller drops it once read."""
    ckpt, state, start = os.path.join(args.out, "ckpt"), None, 0
    if args.resume:
        state = runtime.read_state(ckpt)
        policy.load_weights(ckpt)
    forward = runtime.wrap_parallel(policy, args.fsdp, world, device)
    opt, sched = weights.make_optimizer(policy, args)
    gen = torch.Generator().manual_seed(args.seed * 1000 + rank)
    if state is not None:
        runtime.restore(state, policy, opt, sched, shards, gen, rank)
        start = state["step"]
        if rank == 0:
            print(f"resumed from {ckpt} at step {start}", flush=True)
    return forward, opt, sched, gen, start, state


def in_a_row(state, counter):
    """--resume: a stop rule's count of bad steps in a row (skipped updates, judge outages) as the
    checkpoint saved it, so a resumed run stops where the uninterrupted one would; 0 when starting
    (or from a checkpoint written before the counts were saved)."""
    return int(((state or {}).get("in_a_row") or {}).get(counter, 0))


def finish(args, policy, rank, eval_set, judge, base=None, opt=None):
    """Save the final model, plot, and print the held-out summary (base vs trained), scored
    by `judge`: the noise-free human rater (the training judge is noisy by default).
    base: a model, or "init" to load --init here, after `opt`'s state is freed (10B: the
    AdamW moments and gradients are gone before a second copy of the weights arrives).
    Under --fsdp rank 0 alone scores, so it reloads the saved final model unsharded (a
    sharded forward on one rank would wait forever for the others' all-gathers), in the dtype
    the rollouts ran in (bf16 on GPUs, not the float32 of the master weights: 15 GB at 7.7B,
    not 31, and the numbers the training sampled with); the base is read in that dtype too."""
    final = os.path.join(args.out, "final") if args.stage != "sft" else args.out
    full = runtime.full_state_dict(policy)
    if rank == 0:
        policy.save(final, state_dict=full)
        metrics = os.path.join(args.out, "metrics.jsonl")
        if os.path.exists(metrics):
            analyses.plot_metrics(metrics, os.path.join(args.out, "metrics.png"))
        print(f"saved {final}", flush=True)
    if opt is not None:
        opt.state.clear()
    policy.zero_grad(set_to_none=True)
    if rank == 0 and args.eval_prompts:
        scorer, device = policy, policy.allowed.device
        if runtime.is_sharded(policy):      # a sharded forward needs every rank: score a plain copy from disk
            scorer = weights.load_init(final, args, device, weights.rollout_dtype(args, device)).eval()
        chunk = flags.sampling_rows(args.model)
        trained = evaluate.score_samples(scorer, eval_set, judge, args, rows=chunk)
        del scorer
        if isinstance(base, str):
            base = weights.load_init(args.init, args, device, weights.rollout_dtype(args, device)).eval()
        rows = [("trained", trained)] + ([("base", evaluate.score_samples(base, eval_set, judge, args, rows=chunk))]
                                         if base else [])
        keys = [k for k in ("accuracy", "stopped", "intelligibility", "semantic", "acoustic", "holistic") if k in trained]
        print(f"held-out ({len(eval_set)} prompts, one sampled reply each):")
        print("  " + " ".join(f"{k:>15s}" for k in ["model"] + keys))
        for name, r in reversed(rows):
            print("  " + f"{name:>15s}" + "".join(f"{r[k]:15.3f}" for k in keys))
        runtime.write_json(os.path.join(args.out, "summary.json"), dict(rows))
    metrics = os.path.join(args.out, "metrics.jsonl")
    if rank == 0 and args.stage == "hybrid" and os.path.exists(metrics) and os.path.getsize(metrics):
        print(analyses.lambda_lines(analyses.lambda_trajectory(args.out))[0])   # the gate at work (App. H.2)
    runtime.barrier()


def run_sft(args, policy, train_set, eval_set, judge, rank, world, device, human=None):
    """Teacher forcing on SFT targets (Eq. 2), scope --sft-tokens."""
    shards = runtime.Shards(len(train_set), per_rank_batch(args, world), rank, world, args.seed)
    forward, opt, sched, gen, start, state = common_loop_state(args, policy, rank, world, device, shards)
    guard = weights.SkipGuard(args.max_skipped_updates, in_a_row(state, "skipped"))
    del state
    log = runtime.Logger(args.out, rank, start, args.quiet, args.log_every)
    bar = tqdm(range(start, args.steps), desc="sft", disable=rank != 0, initial=start, total=args.steps)
    policy.train()
    for step in bar:
        t0 = time.perf_counter()
        samples = [train_set[i] for i in shards.next()]
        prompts, pmask, replies, slots, masks = rollout.teacher_forced(policy, samples, not args.no_audio_boundaries,
                                                                       args.max_len)
        prompts, pmask, replies, slots = (t.to(device) for t in (prompts, pmask, replies, slots))
        logp = models.reply_logprobs(policy, prompts, pmask, replies, slots, forward=forward)
        scope = (losses.scope_mask(masks, args.sft_tokens) & masks["sampled"]).to(device)
        loss = losses.sft_loss(flat(logp), flat(scope))
        norm, skipped = weights.optimiser_step(policy, opt, sched, loss, args)
        loss_all = float(runtime.all_reduce_sum(loss.detach().cpu().view(1))[0]) / world
        rec = {"step": step + 1, "sft_loss": loss_all, "lr": sched.get_last_lr()[0], "grad_norm": norm,
               "skipped_updates": guard.update(skipped, step + 1), "time_update": time.perf_counter() - t0}
        log.log(rec, f"step {step + 1:5d}/{args.steps} | sft {loss_all:.4f} | lr {rec['lr']:.2e} | "
                     f"gnorm {norm:.2f} | {rec['time_update']:.2f}s")
        bar.set_postfix(loss=f"{loss_all:.3f}")
        if should_stop(args, policy, opt, sched, shards, gen, step, start, rank, world,
                       {"in_a_row": {"skipped": guard.in_row}}):
            return
    finish(args, policy, rank, eval_set, human)


def run_hybrid(args, policy, train_set, eval_set, judge, rank, world, device, human=None):
    """The paper's loop (Eq. 3, 8-12): rollouts -> judge -> advantages and gate -> update.
    With --async-rollout the next step's rollouts are sampled while this step's judge calls are
    out, with the weights before this step's update (one update stale; the clipped ratio to the
    sampling log-probs corrects for it, as with --ppo-epochs > 1)."""
    shards = runtime.Shards(len(train_set), per_rank_batch(args, world), rank, world, args.seed)
    forward, opt, sched, gen, start, state = common_loop_state(args, policy, rank, world, device, shards)
    gate = gates.make_gate(args.gate, lam=args.lam, lambda_max=args.lambda_max, slope=args.gate_slope,
                           threshold=args.gate_threshold, ema_alpha=args.ema_alpha)
    if state is not None:
        gate.load_state_dict(state["gate"])
    ref = weights.frozen_copy(args, device) if args.beta_text > 0 or args.beta_speech > 0 else None
    base = "init" if rank == 0 and args.eval_prompts else None     # loaded by finish, after the optimiser
    log = runtime.Logger(args.out, rank, start, args.quiet, args.log_every)
    bar = tqdm(range(start, args.steps), desc="hybrid", disable=rank != 0, initial=start, total=args.steps)
    G, warned_judge = args.group_size, False
    guard = weights.SkipGuard(args.max_skipped_updates, in_a_row(state, "skipped"))
    outage = reward.JudgeOutage(args.max_judge_outage, in_a_row(state, "judge_outage"))
    overlap = reward.overlap_judge(args, device)
    ahead = rollout_ahead_from(state, rank, args)        # --async-rollout: sampled before the checkpoint
    del state                                            # unmaps the checkpoint read (runtime.read_state)

    def checkpoint_extra():         # only when a checkpoint is due: the gather is collective
        return {"gate": gate.state_dict(), "in_a_row": {"skipped": guard.in_row, "judge_outage": outage.in_row},
                "rollout_ahead": runtime.gather_objects(ahead and (ahead[0].to("cpu"), ahead[1]), world)}

    for step in bar:
        t_rollout = time.perf_counter()
        # 1. rollouts: G replies per prompt, speech decoded to audio (sampled last step under --async-rollout)
        batch, keys = ahead or sample_step(args, policy, train_set, shards, step)
        samples = batch.samples
        # 2. the judge scores all B*G replies concurrently, on a background thread (the calls are I/O)
        pending = runtime.in_background(judge.score, reward.rollout_items(batch, seeds=keys),
                                        mode=reward.judge_mode(step + 1, args),
                                        semantic_weight=args.semantic_weight)
        ahead = None
        if args.async_rollout and step + 1 < args.steps:    # next step's replies, before this update
            ahead = sample_step(args, policy, train_set, shards, step + 1)
        t_rollout = time.perf_counter() - t_rollout         # this step's sampling on its critical path
        t_update = time.perf_counter()
        t_wait = 0.0 if overlap else runtime.waited(pending)    # sequential: nothing runs meanwhile
        # 3. while it is out: what does not need the rewards (reference log-probs, the SFT rows'
        #    forward and backward, unscaled, the rollout rows' forward); the GRPO backward waits
        ub = objective.build_update_batch(policy, ref, batch, samples, args, device)
        policy.train()
        opt.zero_grad(set_to_none=True)
        early_sft = early_logp = None
        if overlap and not args.fsdp:
            early_sft = objective.sft_backward_early(policy, ub, forward)
            early_logp = objective.grpo_forward_early(policy, ub, forward)
        t_wait += runtime.waited(pending)
        res = pending.result()
        R = losses.nan_rewards(reward.pick_rewards(res, args), (len(samples), G))   # (B, G), NaN = no score
        if rank == 0 and res.stats["failures"] == res.stats["calls"] and not warned_judge:
            warned_judge = True    # every call failed: likely a wrong --judge-url or key; say so once
            tqdm.write(f"warning: all {res.stats['calls']} judge calls failed at step {step + 1} "
                       f"({res.stats['errors']}); GRPO gets no signal until the judge answers")
        adv, usable = losses.advantages(R)
        adv, usable = adv.flatten().to(device), usable.flatten().to(device)
        group = torch.arange(len(samples), device=device).repeat_interleave(G)
        # 4. lambda_t from every rank's groups (Eq. 9-12)
        g_out = gate.step(R, runtime.all_reduce_sum)
        geometry, t_diag = None, time.perf_counter()    # Appendix C: the two parts' gradients at the weights
        if args.grad_diag_every and (step + 1) % args.grad_diag_every == 0:     # this update starts from
            geometry = objective.grad_geometry_at_step(policy, ub, adv, usable, group, g_out.lam, args, forward)
        t_diag = time.perf_counter() - t_diag                                    # not the update's time
        # 5. (1 - lambda) SFT + lambda GRPO, --ppo-epochs updates on this rollout batch; the first
        #    adds the GRPO gradient to the early SFT one, later epochs run whole (new weights)
        skipped = 0
        for epoch in range(args.ppo_epochs):
            if epoch == 0 and early_sft is not None:
                loss, sft, grpo, gstats = objective.grpo_after_rewards(policy, ub, early_sft, adv, usable, group,
                                                                       g_out.lam, args, forward, early_logp)
            else:
                loss, sft, grpo, gstats = objective.hybrid_objective(policy, ub, adv, usable, group, g_out.lam,
                                                                     args, forward)
            norm, bad = weights.optimiser_step(policy, opt, sched, loss, args, accumulate=epoch == 0 and early_sft is not None)
            skipped += guard.update(bad, step + 1)
        t_update = time.perf_counter() - t_update - t_wait - t_diag
        rec = step_record(step + 1, g_out, R, res, batch, sft.detach(), grpo.detach(), gstats, norm, sched,
                          t_rollout, t_update, t_wait, world)
        rec.update(skipped_updates=skipped, logged_axes=reward.judge_mode(step + 1, args) != "holistic",
                   **runtime.gpu_memory(device, batch.prompts.shape[1], batch.replies.shape[1]))
        if geometry is not None:
            rec.update(grad_ratio=geometry["ratio"], grad_cos=geometry["cos"])
        log.log(rec, step_line(rec, args.steps))
        outage.update(rec["judge_calls"], rec["judge_failures"], step + 1, args.judge_url or "(the local judge)",
                      res.stats["errors"])
        bar.set_postfix(lam=f"{rec['lambda']:.2f}", R=f"{rec['reward_mean']:.2f}")
        if should_stop(args, policy, opt, sched, shards, gen, step, start, rank, world, checkpoint_extra):
            return
    finish(args, policy, rank, eval_set, human, base, opt)


def sample_step(args, policy, train_set, shards, step):
    """Step `step`'s prompts (the next in the data order) and G replies each -> (Rollout, stream
    keys). Each reply samples from its own stream, keyed by (seed, step, dataset index, reply
    index), so the rollouts do not depend on the number of ranks, nor on resuming."""
    indices = shards.next()
    samples = [train_set[i] for i in indices]
    keys = [rollout.stream_seed(args.seed, step, i, g) for i in indices for g in range(args.group_size)]
    with runtime.gathered(policy):
        batch = rollout.sample(policy, samples, args.group_size, include_audio_boundaries=not args.no_audio_boundaries,
                               keys=keys, **rollout.sampling_kwargs(args))
    return batch, keys


def rollout_ahead_from(state, rank, args):
    """--resume: the rollout --async-rollout sampled for the next step before the checkpoint's
    last update (the data order is already past it), or None."""
    saved = (state or {}).get("rollout_ahead")
    if not saved or saved[rank] is None:
        return None
    if not args.async_rollout:
        raise SystemExit("--resume: this checkpoint was written with --async-rollout (it holds the next step's "
                         "rollouts, sampled ahead); resume with --async-rollout")
    return copy.deepcopy(saved[rank])       # its own memory, not the checkpoint file's mapping


def report_judge_bill(out, rank):
    """Print the run's judge calls so far and add them to summary.json as {"judge": {...}}
    (rank 0; after the stage, --stop-after included)."""
    bill = reward.judge_bill(os.path.join(out, "metrics.jsonl")) if rank == 0 else None
    if not bill:
        return
    print(f"judge: {plural(bill['calls'], 'call')} in {plural(bill['steps'], 'step')} ({bill['calls_per_step']:.1f} "
          f"per step; semantic and acoustic logged on {plural(bill['logged_steps'], 'step')})", flush=True)
    path = os.path.join(out, "summary.json")
    summary = {}
    if os.path.exists(path):
        with open(path) as f:
            summary = json.load(f)
    runtime.write_json(path, {**summary, "judge": bill})


def step_record(step, g_out, R, res, batch, sft, grpo, gstats, norm, sched, t_rollout, t_update, t_wait, world):
    """Metrics of one step, reduced over ranks: sums and counts travel in one all-reduce
    (times are means over ranks)."""
    valid = ~torch.isnan(R)
    r = torch.where(valid, R, torch.zeros_like(R))
    axis = {a: [s for s in res.scores.get(a, []) if s is not None] for a in ("semantic", "acoustic")}
    text_len = batch.masks["text"].flatten(1).sum(1).float()
    speech_len = batch.masks["speech"].flatten(1).sum(1).float()
    names = ["r_sum", "r_sq", "r_n", "sem_sum", "sem_n", "ac_sum", "ac_n", "calls", "failures", "retries", "sft", "grpo",
             "kl_text", "kl_speech", "clip_frac", "text_len", "speech_len", "rows", "truncated", "empty_rows",
             "time_rollout", "time_judge", "time_judge_wait", "time_update"]
    values = [r.sum(), (r ** 2).sum(), valid.sum(), sum(axis["semantic"]), len(axis["semantic"]),
              sum(axis["acoustic"]), len(axis["acoustic"]), res.stats["calls"], res.stats["failures"], res.stats["retries"],
              float(sft), float(grpo), gstats["kl_text"], gstats["kl_speech"], gstats["clip_frac"],
              text_len.sum(), speech_len.sum(), len(text_len), batch.truncated.sum(), gstats["empty_scope_rows"],
              t_rollout, res.stats["seconds"], t_wait, t_update]
    t = dict(zip(names, runtime.all_reduce_sum(torch.tensor([float(v) for v in values], dtype=torch.float64,
                                                            device="cpu")).tolist()))
    r_max = runtime.all_reduce_max(torch.where(valid, R, torch.full_like(R, -math.inf)).max().view(1).double())
    ratio = (lambda a, b: t[a] / t[b] if t[b] else float("nan"))   # NaN (null in the JSONL) when nothing counted
    mean = ratio("r_sum", "r_n")
    return {"step": step, "lambda": g_out.lam, "lambda_raw": g_out.lam_raw, "reward_gate": g_out.reward_gate,
            "info_gate": g_out.info_gate, "usable_groups": g_out.groups, "reward_mean": mean,
            "reward_std": math.sqrt(max(0.0, ratio("r_sq", "r_n") - mean ** 2)) if t["r_n"] else float("nan"), "reward_max": float(r_max[0]),
            "semantic_mean": ratio("sem_sum", "sem_n"), "acoustic_mean": ratio("ac_sum", "ac_n"),
            "judge_calls": int(t["calls"]), "judge_failures": int(t["failures"]), "judge_retries": int(t["retries"]),
            "sft_loss": t["sft"] / world, "grpo_loss": t["grpo"] / world, "kl_text": t["kl_text"] / world,
            "kl_speech": t["kl_speech"] / world, "clip_frac": t["clip_frac"] / world,
            "text_len": ratio("text_len", "rows"), "speech_len": ratio("speech_len", "rows"),
            "truncated": int(t["truncated"]), "empty_scope_rows": int(t["empty_rows"]), "grad_norm": norm,
            "lr": sched.get_last_lr()[0], "time_rollout": t["time_rollout"] / world,
            "time_judge": t["time_judge"] / world, "time_judge_wait": t["time_judge_wait"] / world,
            "time_update": t["time_update"] / world}


def step_line(r, total):
    """The console line of a hybrid step. `t rollout+wait+update` adds up to the step's wall; the
    judge phase is shown apart because with --overlap-judge it runs under the update."""
    axis = (lambda v: "  - " if math.isnan(v) else f"{v:.2f}")   # noqa: E731  (axes not asked this step)
    return (f"step {r['step']:4d}/{total} | lam {r['lambda']:.3f} raw {r['lambda_raw']:.3f} | "
            f"R {r['reward_mean']:.2f}+-{r['reward_std']:.2f} max {r['reward_max']:.1f} | "
            f"sem {axis(r['semantic_mean'])} ac {axis(r['acoustic_mean'])} | sft {r['sft_loss']:.4f} "
            f"grpo {r['grpo_loss']:+.4f} kl {r['kl_text']:.4f}/{r['kl_speech']:.4f} | fail {r['judge_failures']} | "
            f"t {r['time_rollout']:.1f}+{r['time_judge_wait']:.1f}+{r['time_update']:.1f}s (judge {r['time_judge']:.1f}s)"
            + (f" | mem {r['gpu_peak_gib']:.1f}/{r['gpu_held_gib']:.1f} GiB" if "gpu_peak_gib" in r else ""))


def run_dpo(args, policy, train_set, eval_set, judge, rank, world, device, human=None):
    """The offline DPO baselines (dpo.py): pairs by repeated sampling, then Eq. 5."""
    pairs = dpo.build_pairs(policy, train_set, judge, args, rank, world, runtime.all_reduce_sum)
    shards = runtime.Shards(len(pairs), min(per_rank_batch(args, world), len(pairs)), 0, 1, args.seed + rank)  # rank-local
    forward, opt, sched, gen, start, state = common_loop_state(args, policy, rank, world, device, shards)
    guard = weights.SkipGuard(args.max_skipped_updates, in_a_row(state, "skipped"))
    del state
    ref = weights.frozen_copy(args, device)
    log = runtime.Logger(args.out, rank, start, args.quiet, args.log_every)
    policy.train()
    for step in tqdm(range(start, args.steps), desc="dpo", disable=rank != 0, initial=start, total=args.steps):
        t0 = time.perf_counter()
        loss, stats = dpo.pair_loss(policy, ref, [pairs[i] for i in shards.next()], args, device, forward)
        norm, skipped = weights.optimiser_step(policy, opt, sched, loss, args)
        stats["skipped_updates"] = guard.update(skipped, step + 1)
        reduced = runtime.all_reduce_sum(torch.tensor(list(stats.values()), dtype=torch.float64, device="cpu")) / world
        rec = {"step": step + 1, **dict(zip(stats, reduced.tolist())), "grad_norm": norm,
               "lr": sched.get_last_lr()[0], "time_update": time.perf_counter() - t0}
        log.log(rec, f"step {step + 1:5d}/{args.steps} | dpo {rec['dpo_loss']:.4f} | acc {rec['dpo_accuracy']:.2f} "
                     f"| margin {rec['dpo_margin']:+.3f} | {rec['time_update']:.2f}s")
        if should_stop(args, policy, opt, sched, shards, gen, step, start, rank, world,
                       {"in_a_row": {"skipped": guard.in_row}}):
            return
    finish(args, policy, rank, eval_set, human, "init" if rank == 0 else None, opt)


def should_stop(args, policy, opt, sched, shards, gen, step, start, rank, world, extra=None):
    """Checkpoint when due; True when --stop-after ends this invocation early."""
    done = step + 1
    stopping = bool(args.stop_after) and done - start >= args.stop_after and done < args.steps
    if done % args.save_every == 0 or done == args.steps or stopping:
        extra = extra() if callable(extra) else extra     # a callable may gather over ranks: only when saving
        runtime.save(os.path.join(args.out, "ckpt"), policy, opt, sched, shards, gen, done, rank, world,
                     {"config": vars(args), **(extra or {})})
    if stopping and rank == 0:
        print(f"stopped after step {done} of {args.steps} (--stop-after {args.stop_after}); --resume continues "
              f"from {os.path.join(args.out, 'ckpt')}", flush=True)
    return stopping


def main(argv=None):
    """The command line: a bad flag, data file or checkpoint ends with one line and exit status 2."""
    t0 = time.time()
    args = get_args(argv)                    # a bad flag: argparse's one line, status 2
    try:
        out = run(args)
    except (dataset.DataError, models.CheckpointError) as e:   # names the file:line, the checkpoint or the flag
        print(f"train.py: error: {e}", file=sys.stderr, flush=True)
        sys.exit(2)
    except SystemExit as e:                  # our own one-line refusals (missing data, --init)
        if isinstance(e.code, str):
            print(f"train.py: error: {e.code}", file=sys.stderr, flush=True)
            sys.exit(2)
        raise
    runtime.teardown_distributed()
    if int(os.environ.get("RANK", 0)) == 0:
        print(f"{out}: done in {wall_time(time.time() - t0)} wall time", flush=True)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def wall_time(seconds: float) -> str:
    """119.7 -> "2 m 0 s": whole seconds first, so a minute's last half second is not "60 s"."""
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} m {seconds} s"


if __name__ == "__main__":
    main()
