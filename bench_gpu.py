"""Speed and memory figures that need a GPU to mean anything; each runs only when named, through
bench.py (its --only and flags; bench.py's SECTIONS maps the two names to the functions here).

    python bench.py --only memory-gpu            # on a CUDA GPU; without one it says so and skips
    python bench.py --only sampler-paths         # on a GPU; on the CPU, the code path only

Their flags, with bench.py's defaults: --memory-layers 8 28 (sampler-paths takes the first),
--memory-prompts 2 (--batch-size), --memory-reply 768 (--max-len), --memory-dir (where the
stand-ins are written; $TMPDIR).

  memory-gpu  memory.py's arithmetic against train.py on a CUDA GPU: stand-ins with Boost's widths
           and vocabulary and --memory-layers of its layers (random weights), two hybrid steps of
           `--model vita` in bf16 and under --fsdp where each fits, every step's measured peak and held
           memory beside the arithmetic for the shape it ran.
  sampler-paths  the sampler per token with `--model vita`'s weights held plain (bf16 on a GPU:
           every run without --fsdp, and eval.py) and as --fsdp gathers them, then plain under
           each SDPA backend forced in turn, with the backend torch picks for the decode steps
           (at Boost's widths and --memory-layers[0] of its layers on a GPU, on real.py's small
           stand-in on the CPU). On an H200 the plain path sampled 4-5x slower, read from torch's
           source as cuDNN attention building a plan per decode step; the sampler now turns cuDNN
           off (kvcache.without_cudnn_attention), and the cuDNN-forced row checks the reading.

Both train or sample on the directory of bench.py's --data where it holds a train.jsonl, else on a
small toy set written in their temporary folder (data_flags_or_toy). The helpers bench.py's own
sections share with these (run_steps, RemoteLike, data_dir_flags) stay there and are imported
inside the functions that use them, as bench.py imports this module for its SECTIONS.

Limits:
  1. The stand-ins have random weights (real.boost_standin): Boost's widths and 168,072-row
     vocabulary, but --memory-layers of its 28 main layers, and replies sampled from an untrained
     distribution, so the shapes a step runs are not those a trained checkpoint would give.
  2. One process: --fsdp runs as a process group of one, so each rank's shard is the whole model;
     memory-gpu checks the float32-master arithmetic at one GPU, not memory.py's 4 or 8.
  3. memory-gpu skips the checkpoint writes (runtime.save; disk and time) and scores with
     bench.RemoteLike at no latency (fixed scores): the steps' memory and times, not their rewards.
  4. sampler-paths on the CPU times the small stand-in, not a GPU's path; the backend named for
     each SDPA call is torch's private _fused_sdp_choice (None where another torch lacks it).
  5. Nothing here asserts a target; both print their figures (tests/test_perf.py checks both
     reports on the CPU, tests/test_cuda.py the sampler's SDPA backend on a GPU).
"""
import collections
import contextlib
import os
import time

import torch

import dataset
import memory
import real
import rollout


def bench_memory_gpu(_samples, args):
    """The memory arithmetic against train.py on a GPU: a stand-in with VITA-Audio-Boost's widths
    and 168,072-row vocabulary (random weights, real.boost_standin) and --memory-layers of its 28
    main layers; `train.py --model vita` for two hybrid steps in this process, bf16 without FSDP
    and --fsdp (float32 master weights, one process), each where the arithmetic says it fits the
    device; each step's peak and held memory beside memory.plan's for the shape the step ran
    (its padded prompt and reply widths). The checkpoint writes are skipped (disk and time)."""
    if not torch.cuda.is_available():
        print("memory-gpu: needs a CUDA GPU; skipped")
        return
    import gc
    import shutil
    import tempfile
    from unittest import mock
    import runtime
    from bench import RemoteLike, run_steps       # here, not above: bench.py imports this module
    gib, device_gib = 2 ** 30, torch.cuda.get_device_properties(0).total_memory / 2 ** 30
    B, G, reply = args.memory_prompts, 4, args.memory_reply
    print(f"memory-gpu: {torch.cuda.get_device_name(0)} ({device_gib:.0f} GiB), one process; stand-in with Boost's "
          f"widths and vocabulary; train.py --model vita, --batch-size {B}, G={G}, --max-len {reply}, "
          f"--grad-checkpoint (vita's default); GiB as torch's allocator counts them")
    with tempfile.TemporaryDirectory(dir=args.memory_dir) as tmp:
        data = data_flags_or_toy(args.data, tmp)
        for layers in args.memory_layers:
            c = {**memory.BOOST, "main_layers": layers}
            t0 = time.perf_counter()
            standin = real.boost_standin(os.path.join(tmp, f"standin-{layers}"), layers, device="cuda")
            torch.cuda.empty_cache()
            print(f"  {layers} main layers ({memory.boost_params(c)['main'] / 1e9:.2f}B trained): stand-in written in "
                  f"{time.perf_counter() - t0:.0f} s")
            for (_, bytes_per_param), fsdp in zip(memory.STATE_BYTES, (False, True)):
                name = "--fsdp, float32 master weights" if fsdp else "bf16, no FSDP"
                plan = memory.plan(c, 1, B, G, 256, reply, bytes_per_param, True, fsdp)
                if plan["total"] > 0.9 * device_gib * gib:
                    print(f"    {name}: skipped, the arithmetic says {plan['total'] / gib:.1f} GiB")
                    continue
                out, t0 = os.path.join(tmp, "run"), time.perf_counter()
                flags = ["--model", "vita", "--device", "cuda", "--batch-size", str(B), "--group-size", str(G),
                         "--max-len", str(reply), "--stop-after", "2", "--judge-url", "http://127.0.0.1:9/unused",
                         *(["--fsdp"] if fsdp else []), *data]
                try:
                    with mock.patch.object(runtime, "save", lambda *a, **k: None):
                        rows = run_steps(standin, out, flags, judge=RemoteLike(0.0), steps=3)
                except torch.OutOfMemoryError as e:
                    print(f"    {name}: out of memory ({str(e).splitlines()[0]})")
                    rows = []
                finally:
                    runtime.teardown_distributed()
                    shutil.rmtree(out, ignore_errors=True)
                    gc.collect()                    # the run's policy and reference, before the next
                    torch.cuda.empty_cache()
                for r in rows:
                    m = memory.plan(c, 1, B, G, r["prompt_width"], r["reply_width"], bytes_per_param, True, fsdp)
                    top = max(("rollout gather", "gathered"), ("activations", "activations"),
                              ("AdamW's step", "optimizer"), key=lambda term: m[term[1]])
                    print(f"    {name}, step {r['step']} (prompt {r['prompt_width']}, "
                          f"reply {r['reply_width']} tokens): "
                          f"peak {r['gpu_peak_gib']:.1f} GiB measured vs {m['total'] / gib:.1f} by arithmetic "
                          f"({r['gpu_peak_gib'] * gib / m['total']:.2f}x; its largest term {top[0]} "
                          f"{m[top[1]] / gib:.1f}); held after it {r['gpu_held_gib']:.1f} vs "
                          f"state + reference {(m['state'] + m['reference']) / gib:.1f}; rollout "
                          f"{r['time_rollout']:.1f} s + update {r['time_update']:.1f} s")
                if rows:
                    print(f"      ({time.perf_counter() - t0:.0f} s)")
            shutil.rmtree(standin)


def data_flags_or_toy(data, tmp):
    """--data-dir for train.py: bench's --data (data_dir_flags), else a small toy set written
    in tmp (the GPU sections' prompts only matter by their length)."""
    from bench import data_dir_flags             # here, not above: bench.py imports this module
    flags = data_dir_flags(data)
    if not flags:
        from data.prepare import prepare
        prepare(os.path.join(tmp, "toy"), n_train=32, n_eval=4, seed=0, n_eval_extra=0)
        flags = ["--data-dir", os.path.join(tmp, "toy")]
    return flags


@contextlib.contextmanager
def sdpa_calls(seen: list):
    """While inside, each call of torch's scaled_dot_product_attention appends (the backend torch
    picks for it, or None where it cannot say; its query, key and mask as (shape, dtype, stride))."""
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def spy(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
        try:
            from torch.nn.attention import SDPBackend
            backend = SDPBackend(torch._fused_sdp_choice(q, k, v, attn_mask, dropout_p, is_causal, scale=scale,
                                                         enable_gqa=enable_gqa)).name
        except Exception:                   # a private function: another torch may lack it
            backend = None
        seen.append((backend, *((tuple(t.shape), str(t.dtype).replace("torch.", ""), t.stride())
                                for t in (q, k, attn_mask) if t is not None)))
        return sdpa(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal, scale=scale,
                    enable_gqa=enable_gqa)
    torch.nn.functional.scaled_dot_product_attention = spy
    try:
        yield seen
    finally:
        torch.nn.functional.scaled_dot_product_attention = sdpa


def bench_sampler_paths(_samples, args):
    """The sampler per token with train.py's two ways of holding `--model vita`'s weights, side by
    side in one process: plain (bf16 on a GPU; every run without --fsdp, and eval.py) and --fsdp's
    (float32 shards gathered to bf16 for the rollout, a process group of one), then the plain
    weights under each SDPA backend forced in turn. On a GPU the stand-in has Boost's widths and
    vocabulary and --memory-layers[0] of its layers; on the CPU, real.py's small stand-in (the
    code path only). Why: on an H200 the plain path took 65-76 ms a token and --fsdp's 15 (run
    after it), all of the difference inside scaled_dot_product_attention. The sampler now keeps
    SDPA off cuDNN (a plan per new key length) unless cuDNN alone is enabled: expected, the plain
    rows near --fsdp's and the cuDNN-forced row slow on its first rollout, faster on its second.
    Also the plain weights with each decode step through the model's forward, not
    kvcache.decode_layers: on a GPU, what running the layers directly saves per token."""
    import shutil
    import tempfile
    from unittest import mock
    import kvcache
    import runtime
    import train
    import weights
    from torch.nn.attention import SDPBackend, sdpa_kernel
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    B, G, reply = args.memory_prompts, 4, args.memory_reply
    with tempfile.TemporaryDirectory(dir=args.memory_dir) as tmp:
        path = os.path.join(tmp, "standin")
        if cuda:
            real.boost_standin(path, args.memory_layers[0], device="cuda")
        else:
            real.make_standin(path)
        flags = ["--model", "vita", "--init", path, "--device", device.type, "--judge-url", "http://127.0.0.1:9/unused",
                 *data_flags_or_toy(args.data, tmp)]
        print(f"sampler-paths: "
              f"{torch.cuda.get_device_name(0) if cuda else 'CPU (the small stand-in: the code path only)'}"
              f"; {B} prompts x G={G}, {reply} tokens a reply; two rollouts of each, the first's SDPA calls recorded")

        def per_token(policy, label):
            """Two rollouts of the same replies: the first with every SDPA call recorded, the second
            timed alone (a backend that builds a plan per new shape, cached, is faster there)."""
            samples = dataset.load_samples(train.get_args(flags).eval_file, policy.codec.encode, limit=B)
            ms, seen, direct, layers = [], [], [], kvcache.decode_layers
            counted = mock.patch.object(kvcache, "decode_layers", lambda *a: direct.append(1) or layers(*a))
            for spy in (contextlib.ExitStack(), contextlib.nullcontext()):
                with spy:
                    if ms == []:                # the first rollout: SDPA's calls and the decode path recorded
                        spy.enter_context(sdpa_calls(seen))
                        spy.enter_context(counted)
                    t0 = time.perf_counter()
                    batch = rollout.sample(policy, samples, G, max_len=reply, keys=list(range(B * G)))
                    ms.append((time.perf_counter() - t0) / batch.replies.shape[1] * 1e3)
            times = f"{ms[0]:7.2f} then {ms[1]:7.2f} ms a token, {'layers run directly' if direct else 'forward'}"
            decode = [call for call in seen if call[1][0][0] == B * G]     # every row's query (the prefill: B)
            if not decode:
                print(f"  {label:34s} {times}  no SDPA call in the decode steps")
                return
            backends = ", ".join(f"{name} {n}" for name, n in collections.Counter(c[0] for c in decode).items())
            print(f"  {label:34s} {times}  decode steps' SDPA calls: {backends}; the last one's q, k, mask: "
                  f"{decode[-1][1:]}")

        policy = weights.load_policy(train.get_args(flags), device)
        per_token(policy, f"plain ({next(policy.parameters()).dtype})")
        with mock.patch.object(policy, "decodes_directly", lambda: False):   # each decode step the model's forward
            per_token(policy, "plain, each step a forward")
        for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                        SDPBackend.MATH):
            try:
                with sdpa_kernel(backend):
                    per_token(policy, f"plain, {backend.name} forced")
            except RuntimeError as e:
                print(f"  {'plain, ' + backend.name + ' forced':34s} not available ({str(e).splitlines()[0][:90]})")
        del policy
        fsdp_args = train.get_args([*flags, "--fsdp"])
        runtime.setup_distributed(device.type, fsdp=True)
        try:
            policy = weights.load_policy(fsdp_args, device)
            runtime.wrap_parallel(policy, True, 1, device)
            with runtime.gathered(policy):
                per_token(policy, "--fsdp, gathered")
        finally:
            runtime.teardown_distributed()
        shutil.rmtree(path)
