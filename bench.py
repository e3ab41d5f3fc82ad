"""Speed and memory figures, each measured side by side in one run.

    python bench.py                  # all sections but default, memory-gpu, sampler-paths: 4-6 min on 2 cores
    python bench.py --only rollout judge

  rollout  constrained sampling (rollout.generate: schedule grammar, KV cache, top-p) of
           B prompts x G replies vs the model's plain Hugging Face `generate` with a KV
           cache, same batch, same number of new tokens; the same sampler with a copy of the
           prompt's states per row, and without a KV cache. Then a study's scoring chunk
           (--scoring-rows, G replies a prompt): the sampler with its cache written in place
           (a prompt held once, or a copy per row), with transformers' growing cache, and HF
           generate.
  judge    B*G judge calls through the local judge: concurrent (ours) vs one at a time
           (the official client's order).
  bill     the default job's judge calls per run under --log-axes-every (arithmetic).
  reader   the local judge's request reader on long one-form rubrics (20,000 characters of blanks,
           spaces, keys, ladder lines, ...): the slowest, per request; a regex that backtracks over
           a long run shows here (a blank of 20,000 "_" took 7 s before 2026-12-07).
  latency  the judge phase against an emulated remote API (--latency, default 2 s per call):
           G = 4 replies and B*G = 32 replies, over one call's latency.
  overlap  train.py's own loop, 5 steps of tiny-vita with the judge at --latency: the step's
           wall with --overlap-judge on and off, over max(judge phase, compute); with the local
           judge and with a remote-like one that only waits (no CPU here, as a real API); and
           --async-rollout (the next step's rollouts sampled while the judge is out).
  trl      TRL's GRPOTrainer on tiny-vita's exact Qwen2 config, same B, G, reply length, beta
           and lr, against our full step: --trl-rounds alternating rounds of 8 steps of TRL as it
           comes (its GRPOConfig turns gradient checkpointing on), of TRL without checkpointing
           (as train.py runs here: the same work) and of ours (the fastest and the median of
           steps 2-8 of every round, pooled), and both ratios; only where `trl` is importable
           (never a requirement).
  step     one default hybrid step of tiny-vita split into rollout / judge / update; the update
           again with each row running its own copy of the prompt (no shared KV cache).
  default  the README's first command, timed: `python train.py` from nothing (toy data, the base,
           the hybrid, the closing summary) in a scratch copy of the project's code, its wall time
           and the peak RSS of its largest process (train.py; the local judges run apart). About
           15 minutes on 2 CPU cores, so it runs only when named: `python bench.py --only default`.
  memory   per-GPU memory of post-training VITA-Audio-Boost (10.3B, 7.7B of it trained)
           under FSDP on 4 and 8 80 GB GPUs, bf16 or fp32 state, activations at
           --max-len 2048 with and without --grad-checkpoint: memory.py's arithmetic, stated
           with its assumptions.
  memory-gpu, sampler-paths  need a GPU and run only when named; they live in bench_gpu.py, whose
           docstring says what each measures (that arithmetic against train.py on a CUDA GPU; the
           sampler per token on each way of holding `--model vita`'s weights and each SDPA backend).

Figures depend on the machine; the ratios are the point. Nothing here asserts a target;
each figure the project sets a speed target for is printed beside that target.
"""
import contextlib
import os
import statistics
import time

import torch

import cli
import codec
import dataset
import memory
import model as models
import objective
import reward
import rollout
from bench_gpu import bench_memory_gpu, bench_sampler_paths

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(fn, repeat=3):
    """Best wall time of `repeat` calls (the first call also warms up)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@torch.no_grad()
def hf_generate(m, prompts, mask, tokens):
    """The model's plain Hugging Face `generate`: top-p sampling with a KV cache, `tokens` new tokens a row."""
    m.net.generate(input_ids=prompts[..., 0], attention_mask=mask, do_sample=True, temperature=0.9, top_p=0.9,
                   max_new_tokens=tokens, min_new_tokens=tokens, pad_token_id=m.vocab.pad, eos_token_id=None,
                   use_cache=True)


def bench_rollout(samples, args):
    # --rollout-model: a trained checkpoint, whose peaked distributions let top-p rank only the head
    m = (models.load_model(args.rollout_model) if args.rollout_model else models.build_model("tiny-vita")).eval()
    prompts, mask = m.sample_prompt_batch(samples[:args.prompts])
    prompts, mask = prompts.repeat_interleave(args.group, 0), mask.repeat_interleave(args.group, 0)
    n, L = prompts.shape[0], args.new_tokens
    # an untrained model rarely closes its reply early, so every row runs the full length; HF generate is
    # held to the same number of tokens either way (a trained model's closed rows sample <pad>)
    draw = (lambda: rollout.draw_uniforms(n, L, 1, generator=torch.Generator().manual_seed(0)))  # noqa: E731
    ours = timed(lambda: rollout.generate(m, prompts, mask, 0.9, 0.9, L, draw()))
    own = timed(lambda: rollout.generate(m, prompts, mask, 0.9, 0.9, L, draw(), share=False))
    through = timed(lambda: rollout.generate(m, prompts, mask, 0.9, 0.9, L, draw(), direct=False))
    tokens = rollout.generate(m, prompts, mask, 0.9, 0.9, L, draw())[0].shape[1]

    hf = timed(lambda: hf_generate(m, prompts, mask, tokens))

    def no_cache():   # the same constrained sampler, re-encoding the whole prefix every token
        with torch.no_grad():
            seq, att, state = prompts, mask, m.grammar.init(n)
            for _ in range(tokens):
                logits, _ = m(seq, att)
                z = logits[:, -1].masked_fill(~m.allowed[m.grammar.slots(state)], float("-inf"))
                tok = torch.multinomial(torch.softmax(z[:, 0] / 0.9, -1), 1)[:, None, :].view(n, 1, 1)
                state = m.grammar.step(state, tok[:, 0])
                seq, att = torch.cat([seq, tok], 1), torch.cat([att, torch.ones(n, 1, dtype=att.dtype)], 1)
    slow = timed(no_cache, repeat=1)
    rate = n * tokens
    print(f"rollout: {n} sequences x {tokens} new tokens, prompt {prompts.shape[1]} tokens, "
          f"{args.rollout_model or 'tiny-vita, untrained'} ({models.n_params(m) / 1e6:.1f}M params)")
    print(f"  constrained sampler, KV cache   {ours:7.3f} s  {rate / ours:8.0f} tok/s  (a group's prompt held once)")
    print(f"  the same, a prompt copy per row {own:7.3f} s  {rate / own:8.0f} tok/s  (held once: {own / ours:.2f}x)")
    print(f"  the same, each step a forward   {through:7.3f} s  {rate / through:8.0f} tok/s  (the layers run directly: "
          f"{through / ours:.2f}x)")
    print(f"  HF generate, KV cache           {hf:7.3f} s  {rate / hf:8.0f} tok/s")
    print(f"  constrained sampler, no cache   {slow:7.3f} s  {rate / slow:8.0f} tok/s")
    print(f"  ratio ours / HF generate: {ours / hf:.2f}x the time; no cache / ours: {slow / ours:.1f}x")
    print(f"  ours / HF generate tok/s: {hf / ours:.2f}x  (target >= 1.2x)")
    if args.scoring_rows:
        bench_rollout_large(samples[:args.scoring_rows // args.group], args.group, m, tokens)


def bench_rollout_large(samples, group, m, tokens):
    """A study's scoring chunk: many rows (prompts x `group` replies), where transformers'
    growing cache copies itself every step. The same sampler with its cache written in place
    and a group's prompt held once (SharedPrefixLayer), in place with a prompt copy per row
    (ReservedLayer), growing, and HF generate, on one batch. Dropping finished rows is off, so
    the ratios are the cache's alone (the untrained model closes few replies early)."""
    prompts, mask = m.sample_prompt_batch(samples)
    prompts, mask = prompts.repeat_interleave(group, 0), mask.repeat_interleave(group, 0)
    n = prompts.shape[0]
    u = rollout.draw_uniforms(n, tokens, 1, generator=torch.Generator().manual_seed(0))
    shared = timed(lambda: rollout.generate(m, prompts, mask, 0.9, 0.9, tokens, u, drop_finished=0), repeat=1)
    reserved = timed(lambda: rollout.generate(m, prompts, mask, 0.9, 0.9, tokens, u, drop_finished=0, share=False),
                     repeat=1)
    grown = timed(lambda: rollout.generate(m, prompts, mask, 0.9, 0.9, tokens, u, reserve=False, drop_finished=0),
                  repeat=1)
    hf = timed(lambda: hf_generate(m, prompts, mask, tokens), repeat=1)
    print(f"rollout, a scoring chunk: {n} sequences ({len(samples)} prompts x {group}) x {tokens} new tokens")
    print(f"  constrained sampler, in place, prompt held once  {shared:7.3f} s  {n * tokens / shared:8.0f} tok/s")
    print(f"  constrained sampler, in place, a copy per row    {reserved:7.3f} s  {n * tokens / reserved:8.0f} tok/s")
    print(f"  constrained sampler, growing cache (torch.cat)   {grown:7.3f} s  {n * tokens / grown:8.0f} tok/s")
    print(f"  HF generate, KV cache                            {hf:7.3f} s  {n * tokens / hf:8.0f} tok/s")
    print(f"  held once / a copy per row: {reserved / shared:.2f}x;  in place / growing: {grown / reserved:.2f}x;  "
          f"ours / HF generate tok/s: {hf / shared:.2f}x")


def bench_judge(samples, args):
    import judge
    m = models.build_model("tiny-vita").eval()
    batch = rollout.sample(m, samples[:args.prompts], args.group, 0.9, 0.9, 48, torch.Generator().manual_seed(0))
    items = reward.rollout_items(batch)
    with judge.LocalJudge() as local:
        wide = reward.JudgeClient(local.url, concurrency=len(items))
        one = reward.JudgeClient(local.url, concurrency=1)
        t_wide = timed(lambda: wide.score(items, mode="holistic"), repeat=2)
        t_one = timed(lambda: one.score(items, mode="holistic"), repeat=2)
        wide.close(), one.close()
    print(f"judge: {len(items)} holistic calls to the local judge")
    print(f"  concurrent ({len(items)} in flight)   {t_wide:7.3f} s   {len(items) / t_wide:6.1f} calls/s")
    print(f"  one at a time                 {t_one:7.3f} s   {len(items) / t_one:6.1f} calls/s")
    print(f"  ratio sequential / concurrent: {t_one / t_wide:.1f}x (a remote judge's latency widens this)")


def bench_bill(_samples, _args):
    """The default job's judge calls per run, from train.py's axis schedule (arithmetic, no run)."""
    import train
    targs = train.get_args([])
    replies = targs.batch_size * targs.group_size
    axes = {"all": 3, "holistic": 1, "split": 2}
    now = sum(axes[reward.judge_mode(s, targs)] * replies for s in range(1, targs.steps + 1))
    before = 3 * replies * targs.steps          # every axis of every reply, every step
    print(f"bill: the default job's judge calls ({targs.steps} steps x {replies} replies, holistic reward, "
          f"--log-axes-every {targs.log_axes_every}), training only")
    print(f"  every axis every step {before:7d}   this schedule {now:7d}   {before / now:.2f}x fewer  (target >= 2.5x)")


def bench_reader(_samples, _args):
    """The judge's request reader (parse and answer) on long rubrics of one repeated form each."""
    import judge, judge_request
    forms = {"blank": "Score: " + "_" * 20000, "boxed blank": "[X: " + "_" * 20000 + "]", "spaces": "Score:" + " " * 20000 + "x",
             "one word": "a" * 20000, "words": "a " * 10000, "keys": "KEY: A\n" * 3000, "ladder": "WORD - good\n" * 2000,
             "anchors": "1 = a\n" * 3000, "options": "A or " * 4000, "lines": "a\n" * 10000, "question marks": "?" * 20000}
    clip = reward.wav_base64(*codec.decode(codec.speak("3 plus 4 is 7")))
    times = {}
    for name, text in forms.items():
        body = {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": text}, {
            "type": "input_audio", "input_audio": {"data": clip, "format": "wav"}}]}]}
        start = time.perf_counter()
        try:
            judge.ToyJudge().answer(judge_request.parse_judge_request(body))
        except judge_request.BadRequest:
            pass
        times[name] = time.perf_counter() - start
    worst = max(times, key=times.get)
    print(f"reader: {len(forms)} one-form rubrics of about 20,000 characters, parsed and answered by the local judge")
    print(f"  median {statistics.median(times.values()):6.3f} s   slowest {times[worst]:6.3f} s ({worst})")


def bench_step(samples, args):
    import gate as gates
    import judge
    import losses
    import train
    targs = train.get_args(["--init", "unused", "--batch-size", str(args.prompts), "--group-size", str(args.group)])
    policy = models.build_model("tiny-vita")
    ref = models.build_model("tiny-vita").eval().requires_grad_(False)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-4)
    chosen = [s for s in samples if s.target_codes is not None][:args.prompts]
    times = {"rollout": [], "judge": [], "update": [], "unshared": []}
    with judge.LocalJudge() as local:
        client = reward.JudgeClient(local.url)
        gate = gates.make_gate("adaptive")
        for step in range(3):
            t0 = time.perf_counter()
            batch = rollout.sample(policy, chosen, args.group, 0.9, 0.9, 96, torch.Generator().manual_seed(step))
            t1 = time.perf_counter()
            res = client.score(reward.rollout_items(batch), mode=reward.judge_mode(2, targs))  # a non-logging step
            t2 = time.perf_counter()
            R = losses.nan_rewards(reward.pick_rewards(res, targs), (len(chosen), args.group))
            adv, usable = losses.advantages(R)
            lam = gate.step(R).lam
            group = torch.arange(len(chosen)).repeat_interleave(args.group)
            update = []
            for share in (False, True):     # the same update, each row with its own prompt, then shared
                t3 = time.perf_counter()
                policy.share_prompts = ref.share_prompts = share
                ub = objective.build_update_batch(policy, ref, batch, chosen, targs, torch.device("cpu"))
                loss = objective.hybrid_objective(policy, ub, adv.flatten(), usable.flatten(), group, lam, targs)[0]
                opt.zero_grad()
                loss.backward()
                update.append(time.perf_counter() - t3)
            opt.step()
            for k, v in zip(times, (t1 - t0, t2 - t1, update[1], update[0])):
                times[k].append(v)
        client.close()
    best = {k: min(v) for k, v in times.items()}
    unshared = best.pop("unshared")
    total = sum(best.values())
    print(f"step: one hybrid step, tiny-vita, {len(chosen)} prompts x G={args.group} (best of 3), sequential; "
          f"the judge asks the reward's axis only (steps 1, 11, ... also ask the two logging axes)")
    for k, v in best.items():
        print(f"  {k:8s} {v:6.3f} s  {v / total:5.1%}")
    print(f"  update with each row's own prompt {unshared:6.3f} s: a shared prompt (the G rollouts and the SFT row "
          f"read one KV cache) is {unshared / best['update']:.2f}x faster")


def bench_memory(_samples, args):
    """Per-GPU bytes for post-training VITA-Audio-Boost under FSDP (--fsdp), by arithmetic (memory.py)."""
    memory.print_plan(args.max_len_memory)


def bench_latency(samples, args):
    """The judge phase over one call's latency: all calls in flight at once cost about one call."""
    import judge
    m = models.build_model("tiny-vita").eval()
    batch = rollout.sample(m, samples[:args.prompts], args.group, 0.9, 0.9, 48, torch.Generator().manual_seed(0))
    items = reward.rollout_items(batch)
    with judge.LocalJudge(latency=args.latency) as local:
        client = reward.JudgeClient(local.url, concurrency=len(items))
        print(f"latency: the judge phase against an emulated API, {args.latency:g} s +-25% per call (holistic)")
        for n in (args.group, len(items)):
            t = timed(lambda: client.score(items[:n], mode="holistic"), repeat=1)
            print(f"  {n:3d} replies  {t:6.2f} s  = {t / args.latency:4.2f} x one call's latency "
                  f"(no target; about 1x expected: the slowest call of the batch, up to 1.25x under the jitter, "
                  f"plus the client's overhead)")
        client.close()


class RemoteLike:
    """A judge that only waits (no CPU here, as a remote API): latency +-25% per batch, fixed scores."""

    def __init__(self, latency):
        self.latency = latency

    def score(self, items, mode="holistic", semantic_weight=0.7):
        import judge
        t0 = time.perf_counter()
        time.sleep(judge.emulated_latency(self.latency, 0.25, str(len(items)).encode()))
        axes = {"holistic": ["holistic"], "split": ["semantic", "acoustic"], "all": list(reward.AXES)}[mode]
        scores = {a: [1 + i % 5 for i in range(len(items))] for a in axes}
        return reward.JudgeResult(rewards=[float(1 + i % 5) for i in range(len(items))], scores=scores,
                                  stats={"calls": len(items) * len(axes), "failures": 0, "retries": 0,
                                         "errors": {}, "seconds": time.perf_counter() - t0})


def data_dir_flags(data):
    """--data-dir for train.py from bench's --data: the directory of that eval file when it also
    holds a train.jsonl, so the sections that run train.py's loop read the data the others read
    (not data/toy, which train.py would otherwise build in the project: 40 s on 2 cores)."""
    folder = os.path.dirname(os.path.abspath(data))
    return ["--data-dir", folder] if os.path.exists(os.path.join(folder, "train.jsonl")) else []


def run_steps(init, out, extra, judge=None, steps=4, data=None):
    """train.py's hybrid loop for a few steps, quietly -> its metrics.jsonl records; `data`:
    bench's --data (see data_dir_flags)."""
    import io
    import json
    from unittest import mock
    import train
    argv = ["--init", init, "--out", out, "--steps", str(steps), "--eval-prompts", "0", "--quiet",
            *(data_dir_flags(data) if data else []), *extra]
    swap = mock.patch.object(reward, "open_judge", lambda *_: judge) if judge else contextlib.nullcontext()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), swap:
        train.run(train.get_args(argv))
    with open(os.path.join(out, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f]


def bench_overlap(_samples, args):
    """Step wall with and without --overlap-judge (and with --async-rollout), the judge at
    --latency. Steps 2-4 of 5 count: the first warms up (under --async-rollout it also samples
    the second's rollouts), the last has no next rollout to sample."""
    import tempfile
    cases = (("overlapped", ["--overlap-judge", "on"], None), ("sequential", ["--overlap-judge", "off"], None),
             ("overlapped, remote-like judge", ["--overlap-judge", "on"], RemoteLike(args.latency)),
             ("sequential, remote-like judge", ["--overlap-judge", "off"], RemoteLike(args.latency)),
             ("overlapped + async rollout, remote-like judge", ["--overlap-judge", "on", "--async-rollout"],
              RemoteLike(args.latency)))
    with tempfile.TemporaryDirectory() as tmp:
        init = f"{tmp}/init"
        models.build_model("tiny-vita").save(init)
        common = ["--batch-size", str(args.prompts), "--group-size", str(args.group), "--judge-latency", str(args.latency)]
        rows = {name: run_steps(init, f"{tmp}/{i}", common + flags, judge, steps=5, data=args.data)[1:-1]
                for i, (name, flags, judge) in enumerate(cases)}
    print(f"overlap: train.py's hybrid step, tiny-vita, {args.prompts} prompts x G={args.group}, "
          f"judge latency {args.latency:g} s (the fastest of steps 2-4); the local judge scores on this "
          f"machine's cores, a remote-like one only waits; async rollout: the next step's rollouts are "
          f"sampled while the judge is out (one update stale)")
    walls = {}
    for name, rs in rows.items():
        wall_of = (lambda r: r["time_rollout"] + r["time_judge_wait"] + r["time_update"])   # noqa: E731
        r = min(rs, key=wall_of)
        wall, judge_s, compute = wall_of(r), r["time_judge"], r["time_rollout"] + r["time_update"]
        walls[name] = wall
        print(f"  {name}")
        print(f"  {'':10s} wall {wall:5.2f} s: rollout {r['time_rollout']:5.2f} + update {r['time_update']:5.2f} + "
              f"waiting on the judge {r['time_judge_wait']:5.2f} (judge phase {judge_s:4.2f})")
        print(f"  {'':10s} wall / max(judge {judge_s:.2f}, compute {compute:.2f}) = "
              f"{wall / max(judge_s, compute):4.2f}  (target <= 1.3)")
    remote = walls["sequential, remote-like judge"]
    print(f"  overlapped / sequential: {walls['overlapped'] / walls['sequential']:.2f}x the wall (local judge), "
          f"{walls['overlapped, remote-like judge'] / remote:.2f}x (remote-like), "
          f"{walls['overlapped + async rollout, remote-like judge'] / remote:.2f}x with the async rollout")


def bench_default(_samples, args):
    """`python train.py` from nothing in a scratch copy of the code: wall time and peak RSS."""
    import glob
    import resource
    import shutil
    import subprocess
    import sys
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for path in glob.glob(os.path.join(HERE, "*.py")) + [os.path.join(HERE, "data", "prepare.py")]:
            dest = os.path.join(tmp, os.path.relpath(path, HERE))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(path, dest)
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "train.py", "--threads", str(args.threads)], cwd=tmp, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 20     # KiB on Linux -> GiB
    lines = [line for line in done.stdout.splitlines() if "wall time" in line or line.startswith("lambda")]
    print(f"default: `python train.py` from nothing (data, base, hybrid, summary), {args.threads} threads")
    if done.returncode:
        print(f"  FAILED with exit status {done.returncode}; its last lines:")
        print("\n".join("    " + line for line in done.stdout.splitlines()[-10:]))
        return
    for line in lines:
        print(f"  train.py: {line.strip()}")
    print(f"  wall {wall / 60:.1f} min (target: under 15 min with the install), peak RSS {peak:.2f} GiB "
          f"(the largest process)")


def bench_trl(samples, args):
    """TRL's GRPO step on the same policy shape, beside ours; skipped without `trl`."""
    import importlib.util
    if importlib.util.find_spec("trl") is None:
        print("trl: not installed, skipped (optional: `pip install trl` in another environment and run "
              "`python bench.py --only trl` there)")
        return
    import io
    import tempfile

    from tokenizers import Tokenizer, models as tok_models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer
    import datasets
    import trl
    import uuid
    # some datasets / pyarrow pairs cannot pickle pyarrow's types to fingerprint a dataset; the
    # fingerprint only names cache files, which this benchmark does not reuse
    datasets.fingerprint.Hasher.hash = classmethod(lambda cls, value: uuid.uuid4().hex)
    ours = models.build_model("tiny-vita")
    vocab = ours.net.config.vocab_size
    # a word-level tokenizer over the same ids ("t17" is id 17), so TRL samples from the same vocabulary
    tok = Tokenizer(tok_models.WordLevel({f"t{i}": i for i in range(vocab)}, unk_token="t0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=f"t{ours.vocab.pad}",
                                        eos_token=f"t{vocab - 1}", unk_token="t0")
    prompts, mask = ours.sample_prompt_batch(samples[:args.prompts])
    texts = [" ".join(f"t{int(t)}" for t, m in zip(row[:, 0], keep) if m) for row, keep in zip(prompts, mask)]
    steps = 8       # per round; the first warms up, steps 2-8 count
    theirs, plain, mine = [], [], []

    class Clock(TrainerCallback):
        def __init__(self):
            self.times = []

        def on_step_begin(self, *a, **k):
            self.t0 = time.perf_counter()

        def on_step_end(self, *a, **k):
            self.times.append(time.perf_counter() - self.t0)

    def trl_round(tmp, checkpointing):
        config = GRPOConfig(output_dir=f"{tmp}/out", per_device_train_batch_size=args.prompts * args.group,
                            num_generations=args.group, steps_per_generation=1, gradient_accumulation_steps=1,
                            max_completion_length=96, beta=0.01, temperature=0.9, top_p=0.9, max_steps=steps,
                            learning_rate=1e-4, use_cpu=True, report_to="none", save_strategy="no",
                            logging_steps=steps, bf16=False, disable_dropout=True,
                            gradient_checkpointing=checkpointing)
        data = datasets.Dataset.from_dict({"prompt": texts * steps})
        clock = Clock()
        trainer = GRPOTrainer(model=f"{tmp}/policy", reward_funcs=lambda completions, **_: [float(len(c) % 5)
                              for c in completions], args=config, train_dataset=data, processing_class=tokenizer,
                              callbacks=[clock])
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            trainer.train()
        return clock.times[1:]

    def our_round(tmp, i):
        rows = run_steps(f"{tmp}/init", f"{tmp}/run{i}", ["--batch-size", str(args.prompts), "--group-size",
                                                           str(args.group), "--beta-text", "0.01", "--beta-speech",
                                                           "0.01", "--max-len", "96", "--lr", "1e-4"],   # TRL's lr too
                         steps=steps, data=args.data)[1:]
        return [r["time_rollout"] + r["time_judge_wait"] + r["time_update"] for r in rows]

    with tempfile.TemporaryDirectory() as tmp:
        ours.net.save_pretrained(f"{tmp}/policy")
        tokenizer.save_pretrained(f"{tmp}/policy")
        ours.save(f"{tmp}/init")
        # they alternate, so a machine that slows down for a while slows all (this VM's speed
        # drifted by a fifth within minutes, which one block of each turned into the ratio). TRL
        # twice: as it comes (GRPOConfig turns gradient checkpointing on: each layer's forward runs
        # again in the backward), and without it, as train.py runs here (--grad-checkpoint is off)
        for i in range(args.trl_rounds):
            theirs += trl_round(tmp, True)
            plain += trl_round(tmp, False)
            mine += our_round(tmp, i)
    print(f"trl: TRL {trl.__version__} GRPOTrainer vs train.py's hybrid step, tiny-vita's Qwen2 config "
          f"({models.n_params(ours) / 1e6:.1f}M), {args.prompts} prompts x G={args.group}, 96-token replies, "
          f"beta 0.01 ({args.trl_rounds} alternating rounds of {steps} steps each, steps 2-{steps} of every round: "
          f"the fastest, and the median)")
    rows = (("TRL GRPOTrainer step, its defaults (gradient checkpointing on)", theirs),
            ("TRL GRPOTrainer step, gradient checkpointing off, as ours", plain),
            ("ours (rollout + local judge + hybrid update, --overlap-judge auto)", mine))
    for name, times in rows:
        print(f"  {name:68s} {min(times):5.2f} s, median {statistics.median(times):.2f} s")
    for against, times, target in ((" (its defaults)", theirs, "  (target <= 0.8)"),
                                   (" without checkpointing", plain, "  (the same work: no target set)")):
        print(f"  ratio ours / TRL{against}: {min(mine) / min(times):.2f}x fastest, "
              f"{statistics.median(mine) / statistics.median(times):.2f}x median{target}")


SECTIONS = {"rollout": bench_rollout, "judge": bench_judge, "reader": bench_reader, "step": bench_step, "bill": bench_bill,
            "latency": bench_latency, "overlap": bench_overlap, "trl": bench_trl, "memory": bench_memory,
            "default": bench_default, "memory-gpu": bench_memory_gpu, "sampler-paths": bench_sampler_paths}
ON_REQUEST = ("default", "memory-gpu", "sampler-paths")   # too long for a plain `python bench.py`, or a GPU's


def main(argv=None):
    ap = cli.Parser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", choices=list(SECTIONS),
                    default=[name for name in SECTIONS if name not in ON_REQUEST],
                    help=f"sections to run (default: all but {', '.join(ON_REQUEST)})")
    ap.add_argument("--data", default=os.path.join(HERE, "data", "toy", "eval.jsonl"),
                    help="prompts (default: the project's data/toy/eval.jsonl; run data/prepare.py first); the "
                         "overlap and trl sections train on the train.jsonl beside it")
    ap.add_argument("--prompts", type=int, default=8, help="prompts per batch (B)")
    ap.add_argument("--group", type=int, default=4, help="replies per prompt (G)")
    ap.add_argument("--latency", type=float, default=2.0, help="emulated judge API latency (s) for latency/overlap")
    ap.add_argument("--new-tokens", type=int, default=64, help="sampled tokens per reply in the rollout section")
    ap.add_argument("--scoring-rows", type=int, default=512,
                    help="rows of the rollout section's large batch (a study's scoring chunk; 0: skip it)")
    ap.add_argument("--rollout-model", default=None,
                    help="a saved model (e.g. out/base-tiny-vita) for the rollout section instead of an untrained "
                         "tiny-vita, whose flat distributions make top-p sort every row")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--trl-rounds", type=int, default=3,
                    help="trl section: alternating rounds of TRL's steps (with its default gradient checkpointing, "
                         "then without) and ours (each one's steps pooled)")
    ap.add_argument("--max-len-memory", type=int, default=2048, help="reply length (--max-len) in the memory table")
    ap.add_argument("--memory-layers", type=int, nargs="+", default=[8, 28],
                    help="memory-gpu: stand-ins with these many of Boost's 28 main layers (28: 15 GiB on disk)")
    ap.add_argument("--memory-prompts", type=int, default=2, help="memory-gpu: --batch-size (prompts, one process)")
    ap.add_argument("--memory-reply", type=int, default=768, help="memory-gpu: --max-len")
    ap.add_argument("--memory-dir", default=None, help="memory-gpu: where the stand-ins are written (default: $TMPDIR)")
    args = ap.parse_args(argv)
    for flag, ok in (("--prompts", args.prompts >= 1), ("--group", args.group >= 2), ("--latency", args.latency >= 0),
                     ("--new-tokens", args.new_tokens >= 1), ("--scoring-rows", args.scoring_rows >= 0),
                     ("--threads", args.threads >= 1), ("--trl-rounds", args.trl_rounds >= 1),
                     ("--max-len-memory", args.max_len_memory >= 1), ("--memory-prompts", args.memory_prompts >= 1),
                     ("--memory-layers", min(args.memory_layers) >= 1), ("--memory-reply", args.memory_reply >= 1)):
        if not ok:
            value = getattr(args, flag[2:].replace('-', '_'))
            ap.error(f"{flag} {' '.join(map(str, value)) if isinstance(value, list) else value}: out of range")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    need_data = any(name not in ("memory", "reader", "bill", *ON_REQUEST) for name in args.only)
    rows = max(args.prompts, 8, args.scoring_rows if "rollout" in args.only else 0)
    try:
        samples = dataset.load_samples(args.data, codec.encode, limit=rows) if need_data else None
    except dataset.DataError as e:          # names the file (and line): one line, status 2
        ap.error(f"--data {e}")
    for name in args.only:
        SECTIONS[name](samples, args)
        print()


if __name__ == "__main__":
    main()
