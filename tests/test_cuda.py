"""The main job on GPUs: a few steps on one GPU, FSDP under NCCL on one, eval.py's analyses on one, the
sampler's attention backend and its direct decode step, DDP and FSDP on two (skipped without).

    python -m pytest -q tests/test_cuda.py          # on a machine with one or more GPUs

tests/test_device.py catches misplaced tensors on CPU-only machines; these run the real thing:
rollouts, judge, hybrid update, checkpoint and the closing evaluation with the model on CUDA,
and the cross-rank reductions under NCCL (which refuses CPU tensors).
"""
import pytest
import torch

import train
from test_train import ROOT, records, small, torchrun

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
two_gpus = pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA GPUs")

CHECKED = ("lambda", "reward_mean", "sft_loss", "grpo_loss", "kl_text", "kl_speech", "grad_norm")


def finite(rows):
    for r in rows:
        for key in CHECKED:
            assert r[key] is not None, (r["step"], key)
        assert r["skipped_updates"] == 0


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_the_main_job_runs_on_one_gpu(name, toy_dir, micro_ckpts, judge_url, tmp_path):
    """Bug: a tensor built on the CPU meets the CUDA model (prompts, attention mask, sampling
    randomness, rollout masks in the update, eval's analyses)."""
    out = tmp_path / "gpu"
    train.run(train.get_args(small(toy_dir, micro_ckpts[name], out, "--device", "cuda", "--steps", "3",
                                   "--judge-url", judge_url, "--beta-text", "0.05", "--top-k", "20",
                                   "--repetition-penalty", "1.1", "--grad-diag-every", "2", "--eval-prompts", "2")))
    rows = records(out)
    assert [r["step"] for r in rows] == [1, 2, 3]
    finite(rows)
    assert all(r["gpu_peak_gib"] >= r["gpu_held_gib"] > 0 for r in rows)    # the step's memory, read on the GPU
    assert (out / "summary.json").exists() and (out / "final" / "spoken.json").exists()


def test_greedy_and_resume_on_one_gpu(toy_dir, micro_ckpts, judge_url, tmp_path):
    """Bug: greedy decoding NaN on GPU, or resume not exact when sampling runs on the GPU."""
    common = ["--device", "cuda", "--steps", "4", "--judge-url", judge_url, "--eval-prompts", "0",
              "--temperature", "0", "--beta-text", "0.05"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], straight, *common)))
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--stop-after", "2")))
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--resume")))
    a, b = records(straight), records(split)
    finite(a)
    for ra, rb in zip(a, b):
        for key in CHECKED:
            assert ra[key] == pytest.approx(rb[key], rel=1e-5, abs=1e-6), (ra["step"], key)


def test_eval_scores_and_analyses_run_on_the_gpu(toy_dir, micro_ckpts, judge_url, tmp_path):
    """eval.py with --device auto on a GPU machine: the checkpoint on CUDA, the held-out scores, the
    blind side-by-side and the probability shift against another checkpoint on it too. Bug: a
    tensor built on the CPU meeting the model in an analysis, or eval.py sampling on the CPU."""
    import eval as ev
    out = tmp_path / "eval"
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--vs", micro_ckpts["tiny-vita"], "--base",
                        micro_ckpts["tiny-vita"], "--data", str(toy_dir / "eval.jsonl"), "--prompts", "4",
                        "--judge-url", judge_url, "--out", str(out), "--analysis", "scores", "sbs", "shift",
                        "gradients", "--events", "1"])
    assert args.device == "cuda"
    assert next(ev.load(args.ckpt, args).parameters()).is_cuda
    ev.run(args)
    assert all((out / f"{name}.json").exists() for name in ("scores", "sbs", "shift", "gradients"))


def test_torchrun_nccl_fsdp_on_one_gpu(toy_dir, micro_ckpts, judge_url, tmp_path):
    """`torchrun --nproc_per_node 1 train.py --fsdp`: FSDP2 under NCCL on one GPU (bf16 compute),
    a checkpoint, and the held-out summary from the reloaded final model. NCCL refuses CPU tensors
    even in a group of one, so this runs every collective a multi-GPU run does. Bug: a CPU tensor in
    a collective (step metrics, the gate's reward groups, the checkpoint's gathers), or --fsdp
    without a process group on one GPU."""
    out = tmp_path / "one"
    torchrun(1, f"{ROOT}/train.py", *small(toy_dir, micro_ckpts["tiny-vita"], out, "--device", "cuda", "--steps", "3",
                                          "--judge-url", judge_url, "--fsdp", "--beta-text", "0.05"))
    rows = records(out)
    assert [r["step"] for r in rows] == [1, 2, 3]
    finite(rows)
    assert (out / "ckpt" / "train_state.pt").exists() and (out / "summary.json").exists()


def test_a_bf16_rollout_on_the_gpu_never_picks_cudnn_attention(micro_ckpts, samples):
    """On sm90/sm100 with cuDNN 9.15+ torch puts cuDNN attention first for bf16, and cuDNN builds a
    plan for every new key length: one per decoded token (the H200's 65-76 ms a token). Every
    SDPA call of a bf16 rollout on this GPU picks another backend; printed beside it, what a
    decode step's call picks outside the sampler (CUDNN_ATTENTION where this GPU prefers it,
    which is where this test can fail). Bug: rollout.generate not keeping cuDNN off."""
    import model as M
    import rollout
    from bench_gpu import sdpa_calls
    m = M.load_model(micro_ckpts["tiny-vita"], dtype=torch.bfloat16, device=torch.device("cuda"))
    prompts, mask = m.sample_prompt_batch(samples[:4])
    seen = []
    with sdpa_calls(seen):
        rollout.generate(m, prompts.cuda(), mask.cuda(), temperature=0.0, max_len=8)
    from torch.nn.attention import SDPBackend
    q = torch.randn(4, 2, 1, 32, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(4, 2, 40, 32, device="cuda", dtype=torch.bfloat16)
    outside = SDPBackend(torch._fused_sdp_choice(q, k, k, torch.ones(4, 1, 1, 40, dtype=torch.bool, device="cuda"))).name
    print(f"sampler's SDPA backends {sorted({c[0] for c in seen})}; outside it torch picks {outside}")
    assert seen and all(c[0] not in (None, "CUDNN_ATTENTION") for c in seen)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_the_direct_decode_step_samples_what_the_forward_does_on_the_gpu(name, dtype, samples):
    """kvcache.decode_layers against the model's forward on CUDA (tests/test_rollout.py checks it bit for
    bit on the CPU): the same tokens, slots and truncation, log-probs to bf16's rounding (both call the
    same SDPA with the same arguments, so the same kernel is expected, but GPU kernels need not be
    deterministic). Bug: a step that differs on the GPU only (a kernel picked for one path's mask and
    not the other's), or the direct path not taken on CUDA."""
    import kvcache
    import model as M
    import rollout
    from conftest import MICRO
    m = M.build_model(name, seed=1, config_overrides={**MICRO, "num_key_value_heads": 1}).to("cuda", dtype).eval()
    assert m.decodes_directly()
    prompts, mask = m.sample_prompt_batch(samples[:4])
    prompts, mask = prompts.repeat_interleave(2, 0).cuda(), mask.repeat_interleave(2, 0).cuda()
    uniforms = torch.rand(8, 16, m.n_streams, generator=torch.Generator().manual_seed(0))
    calls, layers = [], kvcache.decode_layers
    kvcache.decode_layers = lambda *a: calls.append(1) or layers(*a)
    try:
        direct = rollout.generate(m, prompts, mask, 1.0, max_len=16, uniforms=uniforms)
    finally:
        kvcache.decode_layers = layers
    through = rollout.generate(m, prompts, mask, 1.0, max_len=16, uniforms=uniforms, direct=False)
    assert calls
    for i in (0, 1, 3):
        assert torch.equal(direct[i], through[i]), i
    tol = 1e-5 if dtype == torch.float32 else 2e-2
    torch.testing.assert_close(direct[2], through[2], atol=tol, rtol=tol)


@two_gpus
def test_torchrun_nccl_on_two_gpus_matches_one_gpu(toy_dir, micro_ckpts, judge_url, tmp_path):
    """2 GPUs under NCCL (DDP) vs 1 GPU, same global batch. Bug: a reduction handed a CPU tensor
    to NCCL (step metrics, the skip decision), or ranks sampling other replies than one process."""
    a, b = two_runs(toy_dir, micro_ckpts, judge_url, tmp_path, [], [])
    for ra, rb in zip(a, b):
        assert ra["usable_groups"] == rb["usable_groups"]
        for key in ("lambda", "reward_mean", "sft_loss"):    # GPU kernels differ more than CPU ones
            assert ra[key] == pytest.approx(rb[key], rel=1e-3, abs=1e-4), (ra["step"], key)


@two_gpus
def test_torchrun_nccl_fsdp_on_two_gpus(toy_dir, micro_ckpts, judge_url, tmp_path):
    """FSDP2 under NCCL (bf16 compute, so no equality with one GPU): finite steps, a checkpoint.
    Bug: a CPU tensor in a collective, or a rollout on sharded weights."""
    _, b = two_runs(toy_dir, micro_ckpts, judge_url, tmp_path, [], ["--fsdp"])
    assert (tmp_path / "two" / "ckpt" / "train_state.pt").exists()


def two_runs(toy_dir, micro_ckpts, judge_url, tmp_path, one_flags, two_flags):
    """torchrun 1 then 2 processes of the same short job -> both runs' metric records."""
    script = f"{ROOT}/train.py"
    common = small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "x", "--device", "cuda", "--steps", "3",
                   "--batch-size", "4", "--group-size", "2", "--eval-prompts", "0", "--judge-url", judge_url,
                   "--rl-tokens", "all")
    common = common[:common.index("--out")] + common[common.index("--out") + 2:]
    torchrun(1, script, *common, *one_flags, "--out", str(tmp_path / "one"))
    torchrun(2, script, *common, *two_flags, "--out", str(tmp_path / "two"))
    a, b = records(tmp_path / "one"), records(tmp_path / "two")
    finite(a)
    finite(b)
    assert [r["step"] for r in b] == [1, 2, 3]
    return a, b
