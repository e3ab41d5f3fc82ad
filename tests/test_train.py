"""train.py end to end: the default loop, metrics, resume, DDP / FSDP, the base, DPO."""
import json
import math
import os
import signal
import subprocess
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch

import analyses
import dataset
import dpo
import flags
import objective
import reward
import rollout
import runtime
import train
import weights
from conftest import ROOT, descendants, micro_model

REQUIRED = ["step", "lambda", "lambda_raw", "reward_gate", "info_gate", "reward_mean", "reward_std", "reward_max",
            "semantic_mean", "acoustic_mean", "judge_failures", "sft_loss", "grpo_loss", "kl_text", "kl_speech",
            "text_len", "speech_len", "time_rollout", "time_judge", "time_update"]


def small(toy_dir, init, out, *extra):
    return ["--init", init, "--data-dir", str(toy_dir), "--out", str(out), "--batch-size", "2", "--group-size", "3",
            "--max-len", "40", "--eval-prompts", "2", "--quiet", *extra]


def strict(constant):
    raise AssertionError(f"{constant} in metrics.jsonl: not strict JSON")


def records(out):
    with open(os.path.join(out, "metrics.jsonl")) as f:
        return [json.loads(line, parse_constant=strict) for line in f]


def assert_same_steps(a, b, keys, rel=1e-6, abs=1e-7):
    """Two runs' metrics.jsonl records agree, step by step, on `keys`."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        for key in keys:
            assert ra[key] == pytest.approx(rb[key], rel=rel, abs=abs), (ra["step"], key)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_a_short_hybrid_run_writes_every_metric(toy_dir, micro_ckpts, judge_url, tmp_path, name):
    out = tmp_path / "run"
    train.run(train.get_args(small(toy_dir, micro_ckpts[name], out, "--steps", "3", "--judge-url", judge_url,
                                   "--grad-diag-every", "2")))
    rows = records(out)
    assert [r["step"] for r in rows] == [1, 2, 3]
    for r in rows:
        missing = [k for k in REQUIRED if k not in r]
        assert not missing, missing
        assert 0.0 <= r["lambda"] <= 0.8 and r["judge_failures"] == 0
    assert "grad_ratio" in rows[1] and "grad_cos" in rows[1]
    for f in ("metrics.png", "summary.json", "final/spoken.json", "ckpt/train_state.pt"):
        assert (out / f).exists(), f
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"base", "trained", "judge"} and "semantic" in summary["trained"]


def test_resume_continues_exactly(toy_dir, micro_ckpts, judge_url, tmp_path):
    common = ["--steps", "6", "--judge-url", judge_url, "--beta-text", "0.05", "--ema-alpha", "0.5", "--eval-prompts", "0"]
    straight = tmp_path / "straight"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], straight, *common)))
    split = tmp_path / "split"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--stop-after", "3")))
    assert [r["step"] for r in records(split)] == [1, 2, 3]
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--resume")))
    a, b = records(straight), records(split)
    assert [r["step"] for r in b] == list(range(1, 7))
    assert_same_steps(a, b, ("lambda", "lambda_raw", "reward_mean", "sft_loss", "grpo_loss", "kl_text", "text_len"))


def torchrun(n, *cmd, cwd=ROOT, timeout=300):
    """Run under torchrun; a hang is killed whole (the launcher and every rank) after `timeout` s. A launch that hangs
    having printed nothing at all is run once more: on the CI image a two-rank gloo launch of tests/dist_check.py hung
    so, one rank gone and none printing, twice in about 40 launches (2026-12-06; the cause was not found). A second
    hang, or one after any output (train.py prints its configuration first), fails."""
    # ROOT first, the caller's path kept (packages put on PYTHONPATH, e.g. GLM-4-Voice's per requirements-vita.txt)
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n)]
    for attempt in (1, 2):
        proc = subprocess.Popen(launcher + list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            # the ranks first: they hold our pipes open, and once the launcher dies they are no longer its children
            for pid in [*descendants(proc.pid), proc.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            out, err = proc.communicate(timeout=60)
            if attempt == 2 or out.strip() or err.strip():
                pytest.fail(f"torchrun timed out after {timeout}s (attempt {attempt}):\n{out[-2000:]}{err[-2000:]}")
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    return out


@pytest.mark.parametrize("fsdp", [False, True], ids=["ddp", "fsdp"])
def test_two_ranks_give_the_gradients_of_one_process(toy_dir, micro_ckpts, tmp_path, fsdp):
    """Same global batch: 2 ranks x 2 prompts vs 1 rank x 4 prompts. (Equality is exact when every
    rank's groups have scope tokens, as here with --rl-tokens all; see README on mean-of-means.)"""
    script = os.path.join(ROOT, "tests", "dist_check.py")
    flag = ["--fsdp"] if fsdp else []
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    torchrun(1, script, str(one), micro_ckpts["tiny-vita"], str(toy_dir), *flag)
    torchrun(2, script, str(two), micro_ckpts["tiny-vita"], str(toy_dir), *flag)
    single = torch.load(one / "rank0.pt")
    r0, r1 = torch.load(two / "rank0.pt"), torch.load(two / "rank1.pt")
    assert r0["lam"] == r1["lam"] == pytest.approx(single["lam"], abs=1e-12)
    for name, g in single["grads"].items():
        torch.testing.assert_close(r0["grads"][name], g, atol=1e-6, rtol=1e-4, msg=name)
        torch.testing.assert_close(r1["grads"][name], g, atol=1e-6, rtol=1e-4, msg=name)


def test_torchrun_train_py_end_to_end(toy_dir, micro_ckpts, tmp_path):
    """Two ranks, from data no run has encoded yet: the ranks share the encoding (dataset.encode_shared)
    and leave the cache whole. Bug caught (besides the run failing): train.py not passing its rank and
    world to the loader, so each rank encodes every WAV."""
    import shutil
    data = tmp_path / "toy"
    shutil.copytree(toy_dir, data, ignore=shutil.ignore_patterns(".codes"))
    out = tmp_path / "ddp"
    said = torchrun(2, os.path.join(ROOT, "train.py"), *small(data, micro_ckpts["tiny-kimi"], out, "--steps", "2"))
    assert f"encoded 96 WAVs of {data / 'train.jsonl'} over 2 ranks (48 here)" in said
    assert sorted(os.listdir(data / ".codes")) == ["eval.jsonl.npz", "train.jsonl.npz"]
    rows = records(out)
    assert [r["step"] for r in rows] == [1, 2] and rows[0]["usable_groups"] <= 4
    state = torch.load(out / "ckpt" / "train_state.pt", weights_only=False)
    assert len(state["rng"]) == 2                            # every rank's sampling state is saved
    assert (out / "final" / "model.safetensors").exists()


def test_grad_diagnostics_under_ddp_and_fsdp_are_the_global_batchs(toy_dir, micro_ckpts, judge_url, tmp_path):
    """--grad-diag-every 1 on 2 ranks (DDP, and FSDP) logs the text/speech gradient ratio and cosine of
    one process on the same global batch, and every other field of the step records (rewards, gate,
    losses, lengths, counts, grad_norm, lr) is that process's too.
    Bugs caught: under DDP, rank 0's gradients of its own rows only (a ratio of 0.54 where the batch's is
    0.63 on this data); under FSDP, autograd.grad on the sharded parameters (nothing reached: ratio null,
    cosine 0), the shards' sums not added over ranks, or the diagnostic's gradients left in .grad for the
    update to add to its own."""
    common = ["--steps", "2", "--eval-prompts", "0", "--grad-diag-every", "1", "--judge-url", judge_url]
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "one", *common)))
    torchrun(2, os.path.join(ROOT, "train.py"), *small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "ddp", *common))
    torchrun(2, os.path.join(ROOT, "train.py"), *small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "fsdp", *common,
                                                        "--fsdp"))
    one = records(tmp_path / "one")
    # a retried call (a connection the busy shared judge dropped) scores the same: transport, not training
    same = [k for k in one[0] if not k.startswith("time_") and k not in ("grad_ratio", "grad_cos", "judge_retries")]
    for run in ("ddp", "fsdp"):
        two = records(tmp_path / run)
        assert [r["step"] for r in two] == [1, 2]
        for a, b in zip(two, one):
            assert a["grad_ratio"] == pytest.approx(b["grad_ratio"], rel=1e-5), (run, a["step"])
            assert a["grad_cos"] == pytest.approx(b["grad_cos"], rel=1e-4, abs=1e-6), (run, a["step"])
        for a, b in zip(two, one):                               # every other field: the global batch's too
            for k in same:
                assert a[k] == (b[k] if b[k] is None else pytest.approx(b[k], rel=1e-5, abs=1e-6)), (run, a["step"], k)


def test_missing_base_is_built_with_the_sft_stage(toy_dir, tmp_path, monkeypatch, judge_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(flags.STAGE_DEFAULTS["sft"], "steps", 2)
    args = train.get_args(["--data-dir", str(toy_dir), "--steps", "1", "--batch-size", "2", "--group-size", "2",
                           "--max-len", "32", "--eval-prompts", "0", "--judge-url", judge_url, "--quiet"])
    assert args.init == os.path.join("out", "base-tiny-vita")
    train.run(args)
    assert (tmp_path / "out" / "base-tiny-vita" / "spoken.json").exists()
    assert [r["step"] for r in records(tmp_path / "out" / "base-tiny-vita")] == [1, 2]
    assert (tmp_path / "out" / "hybrid-tiny-vita" / "final" / "spoken.json").exists()


class HashJudge(BaseHTTPRequestHandler):
    """Scores replies by a hash of the request: varied, deterministic, and any judge will do."""

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        score = 1 + hash(body) % 5
        data = json.dumps({"choices": [{"message": {"content": f"<score>{score}</score>"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_dpo_stage_builds_pairs_and_trains(toy_dir, micro_ckpts, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), HashJudge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = tmp_path / "dpo"
    try:
        train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--stage", "dpo", "--steps", "2",
                                       "--dpo-prompts", "6", "--dpo-samples", "4", "--eval-prompts", "0",
                                       "--judge-url", f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions")))
    finally:
        server.shutdown()
        server.server_close()
    rows = records(out)
    assert [r["step"] for r in rows] == [1, 2]
    assert rows[0]["dpo_loss"] == pytest.approx(0.6931, abs=1e-3)   # policy == reference: -log sigmoid(0)
    pairs = torch.load(out / "dpo-pairs-rank0.pt", weights_only=False)
    assert pairs                                    # chosen and rejected differ in utility, so in content
    assert all(p["chosen"].shape != p["rejected"].shape or not torch.equal(p["chosen"], p["rejected"]) for p in pairs)


def test_fsdp_resume_continues_exactly(toy_dir, micro_ckpts, judge_url, tmp_path):
    """Under FSDP the optimiser state is sharded: checkpoints gather it, resume re-shards it."""
    script = os.path.join(ROOT, "train.py")
    common = small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "x", "--steps", "4", "--fsdp", "--eval-prompts", "0",
                   "--judge-url", judge_url, "--beta-text", "0.05")
    common = common[:common.index("--out")] + common[common.index("--out") + 2:]
    torchrun(2, script, *common, "--out", str(tmp_path / "straight"))
    torchrun(2, script, *common, "--out", str(tmp_path / "split"), "--stop-after", "2")
    torchrun(2, script, *common, "--out", str(tmp_path / "split"), "--resume")
    a, b = records(tmp_path / "straight"), records(tmp_path / "split")
    assert [r["step"] for r in b] == [1, 2, 3, 4]
    assert_same_steps(a, b, ("lambda", "sft_loss", "grpo_loss", "kl_text"))


def test_fsdp_run_scores_its_held_out_summary(toy_dir, micro_ckpts, judge_url, tmp_path):
    """Bug caught: under --fsdp rank 0 alone ran the closing evaluation on the sharded policy, so
    its forward waited for all-gathers the other rank never joined: the run hung after training
    (every other FSDP test passes --eval-prompts 0)."""
    out = tmp_path / "fsdp-eval"
    torchrun(2, os.path.join(ROOT, "train.py"), *small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "1",
                                                      "--fsdp", "--judge-url", judge_url), timeout=150)
    summary = json.load(open(out / "summary.json"))
    assert set(summary) == {"trained", "base", "judge"} and 0 <= summary["trained"]["accuracy"] <= 1


def test_fsdp_in_one_plain_process_trains_as_without_it(toy_dir, micro_ckpts, judge_url, tmp_path):
    """`python train.py --fsdp` (one process, no torchrun): FSDP2 shards over a group of one, so on
    the CPU (no mixed precision) it trains as the unsharded run does, step for step, saves its final
    model, and leaves no process group behind. Bug caught: --fsdp with no process group ended in a
    traceback ("environment variable RANK expected"), so a one-GPU trial of the headline command
    failed before its first step; or the group left open for whatever runs next in the process."""
    flags = ["--steps", "3", "--judge-url", judge_url, "--beta-text", "0.05", "--eval-prompts", "0"]
    train.main(small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "plain", *flags))
    train.main(small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "fsdp", *flags, "--fsdp"))
    assert not torch.distributed.is_initialized()
    a, b = records(tmp_path / "plain"), records(tmp_path / "fsdp")
    assert [r["step"] for r in b] == [1, 2, 3]
    assert_same_steps(a, b, ("lambda", "reward_mean", "sft_loss", "grpo_loss", "kl_text", "grad_norm"), rel=1e-4, abs=1e-6)
    assert (tmp_path / "fsdp" / "final" / "spoken.json").exists()


def test_the_speech_encoder_is_given_back_once_both_splits_are_encoded(toy_dir, micro_ckpts, judge_url, tmp_path,
                                                                      monkeypatch):
    """A codec with a model to encode (GLM-4-Voice's 1.36 GiB Whisper-VQ encoder) is released after
    the training and held-out splits are loaded and before the first rollout, so no step holds it
    (memory.py counts only its decoder in a step). The toy codec stands in, given a release_encoder
    that records when it runs. Bug caught: the release left out (every GPU holding the encoder
    through the run), or made between the two splits (the held-out split loading it again)."""
    import codec
    events = []
    load_split, sample = train.load_split, rollout.sample
    monkeypatch.setattr(train, "load_split", lambda path, *a: events.append(os.path.basename(path)) or load_split(path, *a))
    monkeypatch.setattr(codec, "release_encoder", lambda: events.append("release"), raising=False)
    monkeypatch.setattr(rollout, "sample", lambda *a, **k: events.append("rollout") or sample(*a, **k))
    train.main(small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "run", "--steps", "1", "--judge-url", judge_url,
                     "--eval-prompts", "0"))
    assert events[:4] == ["train.jsonl", "eval.jsonl", "release", "rollout"] and events.count("release") == 1


def test_setup_distributed_starts_a_group_of_one_for_fsdp(monkeypatch):
    """FSDP2 needs a process group even in one process: under `torchrun --nproc_per_node 1` from
    torchrun's environment, under plain python over an in-process store (without --fsdp none:
    test_a_plain_python_process_starts_no_process_group_and_gathers_alone). The process group is
    a stand-in that records the calls. Bug caught: plain python sent to the env:// rendezvous,
    which has no MASTER_ADDR there, or torchrun's group of one built over a private store."""
    calls = []
    monkeypatch.setattr(runtime.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(runtime.dist, "init_process_group",
                        lambda backend, **kw: calls.append((backend, kw.get("world_size"), "store" in kw,
                                                            kw["timeout"].total_seconds())))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR"):
        monkeypatch.delenv(key, raising=False)
    assert runtime.setup_distributed("cpu", fsdp=True) == (0, 1, torch.device("cpu"))
    assert calls == [("gloo", 1, True, 3600.0)]        # train.py's --dist-timeout default: 60 minutes
    calls.clear()
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("WORLD_SIZE", "1")
    runtime.setup_distributed("cpu", fsdp=True, timeout_minutes=90)
    assert calls == [("gloo", None, False, 5400.0)]


def test_gpu_memory_is_each_steps_peak_in_gib_and_the_step_line_shows_it(monkeypatch):
    """The allocator is a stand-in: 30 GiB peak, 12 GiB held. Bug caught: bytes reported as GiB,
    the peak never restarted (every step would show the run's high-water mark, so a one-off load
    and a leak look alike), or GPU keys on a CPU run."""
    gib = 2 ** 30
    allocator = {"peak": 30 * gib, "now": 12 * gib}
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda d: allocator["peak"])
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda d: allocator["now"])
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda d: allocator.update(peak=allocator["now"]))
    cuda = torch.device("cuda", 0)
    first = runtime.gpu_memory(cuda, 17, 40)
    assert first == {"gpu_peak_gib": 30.0, "gpu_held_gib": 12.0, "prompt_width": 17, "reply_width": 40}
    assert runtime.gpu_memory(cuda, 17, 40)["gpu_peak_gib"] == 12.0      # the next step starts from what is held
    assert runtime.gpu_memory(torch.device("cpu"), 17, 40) == {}
    rec = {"step": 1, "lambda": 0.2, "lambda_raw": 0.2, "reward_mean": 3.0, "reward_std": 1.0, "reward_max": 5.0,
           "semantic_mean": math.nan, "acoustic_mean": math.nan, "sft_loss": 1.0, "grpo_loss": 0.0, "kl_text": 0.0,
           "kl_speech": 0.0, "judge_failures": 0, "time_rollout": 1.0, "time_judge_wait": 0.0, "time_update": 1.0,
           "time_judge": 1.0}
    assert "mem" not in train.step_line(rec, 5)
    assert train.step_line({**rec, **first}, 5).endswith("| mem 30.0/12.0 GiB")


def test_an_unreachable_judge_is_reported_and_training_goes_on(toy_dir, micro_ckpts, tmp_path, capsys):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1/chat/completions"   # nothing listens once closed
    out = tmp_path / "dead"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--judge-url", dead,
                                   "--judge-retries", "0", "--eval-prompts", "0")))
    rows = records(out)
    assert [r["judge_failures"] for r in rows] == [18, 6]   # 2 prompts x G=3 x 3 axes, then the reward's only
    assert all(r["usable_groups"] == 0 and r["lambda"] == 0.0 for r in rows)
    assert all(r[k] is None for r in rows for k in ("reward_mean", "reward_std", "reward_max", "semantic_mean"))
    said = capsys.readouterr()
    assert (said.out + said.err).count("judge calls failed") == 1


def test_greedy_decoding_trains_with_finite_losses(toy_dir, micro_ckpts, judge_url, tmp_path):
    """--temperature 0 is greedy; its log-probs are scored at temperature 1. Bug: the update
    divides log-probs by the temperature 0, so the loss and the weights become NaN."""
    out = tmp_path / "greedy"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--judge-url", judge_url,
                                   "--temperature", "0", "--beta-text", "0.05", "--eval-prompts", "0")))
    for r in records(out):
        for key in ("sft_loss", "grpo_loss", "kl_text", "grad_norm"):
            assert r[key] is not None and abs(r[key]) < 1e6, (r["step"], key, r[key])
        assert r["skipped_updates"] == 0


def test_greedy_gradient_analysis_is_finite(micro_ckpts, samples):
    """Bug: eval's gradient analysis divides log-probs by temperature 0 (NaN norms, cosines)."""
    import eval as ev
    import model as M

    class Scores:
        def score(self, items, mode="holistic"):
            from types import SimpleNamespace
            return SimpleNamespace(rewards=[1 + i % 5 for i in range(len(items))])
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--temperature", "0", "--max-len", "24"])
    rows = analyses.gradient_events(M.load_model(micro_ckpts["tiny-vita"]), samples[:2], Scores(), args, events=1,
                              prompts=2, group=2)
    for r in rows:
        assert all(math.isfinite(r[k]) for k in ("norm_text", "norm_speech", "cos")), r["objective"]


def test_the_gradient_analysis_splits_the_whole_objective_over_all_tokens(micro_ckpts, samples, monkeypatch):
    """Appendix C (Eq. 7): for GRPO, SFT and DPO over every reply token, the text part's gradient
    plus the speech part's is the whole objective's, recomputed here from the same rollouts with the
    plain losses. Bug caught: each part as the objective on its own modality's tokens (the old
    analysis: per-modality means, so the ratio came out about |speech| / |text| times too high)."""
    import losses
    import model as M
    from conftest import gradient_parts
    model, params, b, summed = gradient_parts(micro_ckpts["tiny-vita"], samples[:2], [1, 4, 2, 5, 3], monkeypatch,
                                              prompts=2, group=2)
    flat = rollout.flat
    model.train()
    logp = flat(M.reply_logprobs(model, b.prompts, b.prompt_mask, b.replies, b.slots, b.temperature))
    every = flat(b.masks["completion"] & b.masks["sampled"])
    adv, usable = (x.flatten() for x in losses.advantages(torch.tensor([[1.0, 4.0], [2.0, 5.0]])))
    grpo = losses.grpo_loss(logp, logp.detach(), None, adv, every, every, every, torch.tensor([0, 0, 1, 1]), usable)[0]
    tp, tm, tr, ts, tmask = rollout.teacher_forced(model, samples[:2], True, 24)    # the analysis's --max-len
    sft = losses.sft_loss(flat(M.reply_logprobs(model, tp, tm, tr, ts)), flat(tmask["completion"] & tmask["sampled"]))
    scores = losses.masked_score(logp, every)                  # DPO: each group's best (1, 3) over its worst (0, 2)
    dpo = losses.dpo_loss(scores[[1, 3]], scores[[0, 2]], scores[[1, 3]].detach(), scores[[0, 2]].detach())[0]
    assert len(summed) == 3
    for whole, parts in zip((grpo, sft, dpo), summed):
        for w, p in zip(torch.autograd.grad(whole, params, retain_graph=True), parts):
            assert torch.allclose(p, w, atol=1e-6, rtol=1e-4)


def saved_weights(path):
    from safetensors.torch import load_file
    return load_file(os.path.join(path, "model.safetensors"))


def test_a_non_finite_loss_skips_the_update_and_is_counted(toy_dir, micro_ckpts, judge_url, tmp_path, monkeypatch):
    """Every loss NaN (injected): no update may change the weights or the optimiser state, and
    each step reports its skipped update. Bug: AdamW steps on NaN gradients (NaN weights)."""
    monkeypatch.setattr(train.losses, "hybrid_loss", lambda sft, grpo, lam: (sft + grpo) * float("nan"))
    out = tmp_path / "nan"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--judge-url", judge_url,
                                   "--eval-prompts", "0", "--max-skipped-updates", "5")))
    assert [r["skipped_updates"] for r in records(out)] == [1, 1]
    before, after = saved_weights(micro_ckpts["tiny-vita"]), saved_weights(out / "final")
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    state = torch.load(out / "ckpt" / "train_state.pt", weights_only=False)
    assert state["optimizer"]["state"] == {}                      # AdamW never stepped


def test_non_finite_updates_in_a_row_stop_the_run(toy_dir, micro_ckpts, judge_url, tmp_path, monkeypatch):
    """K skipped updates in a row end the run with a one-line error and a non-zero exit.
    Bug: the run carries on to the end with NaN weights and exits 0."""
    monkeypatch.setattr(train.losses, "sft_loss", lambda logp, mask: logp.sum() * float("nan"))
    out = tmp_path / "stop"
    with pytest.raises(SystemExit) as e:
        train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "6", "--judge-url",
                                       judge_url, "--eval-prompts", "0", "--max-skipped-updates", "2")))
    assert e.value.code not in (0, None) and "2 updates in a row" in str(e.value.code)
    assert "\n" not in str(e.value.code)
    assert [r["step"] for r in records(out)] == [1]              # step 2 stopped the run before logging


def test_resume_keeps_the_stop_rules_counts_of_bad_steps_in_a_row(toy_dir, micro_ckpts, judge_url, tmp_path,
                                                                   monkeypatch):
    """A run stopped (--stop-after) after two bad steps in a row and resumed stops at the third, as the
    uninterrupted run would: the counts of --max-skipped-updates and --max-judge-outage are saved in the
    checkpoint. Bug caught: the counts start at 0 on --resume, so a run killed and resumed every few
    steps never stops, and ends with exit 0 and a model trained on NaN updates or without a reward."""
    dead = ["--judge-url", "http://127.0.0.1:9/v1/chat/completions", "--judge-retries", "0", "--eval-prompts", "0"]
    out = tmp_path / "outage"
    flags = small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "4", "--max-judge-outage", "3", *dead)
    train.run(train.get_args(flags + ["--stop-after", "2"]))
    assert torch.load(out / "ckpt" / "train_state.pt", weights_only=False)["in_a_row"]["judge_outage"] == 2
    with pytest.raises(SystemExit, match="every judge call failed on 3 steps"):
        train.run(train.get_args(flags + ["--resume"]))
    assert [r["step"] for r in records(out)] == [1, 2, 3]

    monkeypatch.setattr(train.losses, "sft_loss", lambda logp, mask: logp.sum() * float("nan"))
    out = tmp_path / "skipped"
    flags = small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "4", "--judge-url", judge_url,
                  "--eval-prompts", "0", "--max-skipped-updates", "3")
    train.run(train.get_args(flags + ["--stop-after", "2"]))
    with pytest.raises(SystemExit, match="3 updates in a row"):
        train.run(train.get_args(flags + ["--resume"]))
    assert [r["step"] for r in records(out)] == [1, 2]              # step 3 stopped the run before logging
    out = tmp_path / "sft"                                          # the SFT stage's count too
    flags = small(toy_dir, micro_ckpts["tiny-vita"], out, "--stage", "sft", "--steps", "4", "--eval-prompts", "0",
                  "--max-skipped-updates", "3")
    train.run(train.get_args(flags + ["--stop-after", "2"]))
    with pytest.raises(SystemExit, match="3 updates in a row"):
        train.run(train.get_args(flags + ["--resume"]))


def test_batch_size_is_global_and_must_split_over_ranks():
    """Bug: --batch-size read per rank, so N ranks take N times the prompts of one process."""
    args = train.get_args(["--batch-size", "8"])
    assert train.per_rank_batch(args, 2) == 4 and train.per_rank_batch(args, 1) == 8
    with pytest.raises(SystemExit, match="--batch-size 8"):
        train.per_rank_batch(args, 3)


def test_one_process_and_two_run_the_same_experiment(toy_dir, micro_ckpts, judge_url, tmp_path):
    """torchrun 1 vs 2 processes, same flags: the same prompts and replies each step, so the same
    rewards, lambda, losses and gradient norms (to float reduction order). Bug: --batch-size per
    rank (2 ranks take twice the prompts), or sampling streams that depend on the rank."""
    script = os.path.join(ROOT, "train.py")
    common = small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "x", "--steps", "3", "--batch-size", "4",
                   "--group-size", "2", "--max-len", "32", "--eval-prompts", "0", "--judge-url", judge_url,
                   "--rl-tokens", "all")
    common = common[:common.index("--out")] + common[common.index("--out") + 2:]
    torchrun(1, script, *common, "--out", str(tmp_path / "one"))
    torchrun(2, script, *common, "--out", str(tmp_path / "two"))
    a, b = records(tmp_path / "one"), records(tmp_path / "two")
    assert [r["step"] for r in a] == [r["step"] for r in b] == [1, 2, 3]
    for ra, rb in zip(a, b):
        assert ra["usable_groups"] == rb["usable_groups"] == 4
        for key in ("lambda", "lambda_raw", "reward_mean", "reward_std", "reward_max", "text_len", "speech_len",
                    "sft_loss", "grpo_loss", "kl_text", "kl_speech", "grad_norm"):
            assert ra[key] == pytest.approx(rb[key], rel=1e-4, abs=1e-6), (ra["step"], key)


def test_the_summary_lambda_line_is_hand_worked(tmp_path):
    """The closing summary's lambda line (eval's H.2 analysis, first line) on ten logged steps,
    hand-worked: fifths of 2 steps, mean 0.336, range [0.06, 0.6] (both inside the run, not at its
    ends). Bug caught: the fifths taken from the wrong end, the mean over the first segment only, or
    the range read off the first and last steps."""
    lams = [0.1, 0.1, 0.2, 0.6, 0.06, 0.4, 0.4, 0.5, 0.5, 0.5]
    keys = ("lambda_raw", "reward_gate", "info_gate", "reward_mean", "semantic_mean", "acoustic_mean")
    (tmp_path / "metrics.jsonl").write_text("".join(
        json.dumps({"step": s + 1, "lambda": l, **dict.fromkeys(keys, 0.5)}) + "\n" for s, l in enumerate(lams)))
    line = analyses.lambda_lines(analyses.lambda_trajectory(str(tmp_path)))[0]
    assert line == "lambda: first fifth 0.100, last fifth 0.500, mean 0.336, range [0.060, 0.600] over 10 steps"


def sampling_log(monkeypatch):
    """Record, for every rollout train.py samples, how many updates the policy had had by then,
    its stream keys, and which rollout each update trains on."""
    log = {"updates": 0, "sampled": [], "keys": [], "trained": []}
    step_fn, sample_fn, build_fn = weights.optimiser_step, rollout.sample, objective.build_update_batch

    def counting_step(*a, **k):
        log["updates"] += 1
        return step_fn(*a, **k)

    def recording_sample(*a, **k):
        batch = sample_fn(*a, **k)
        log["sampled"].append((log["updates"], batch))
        log["keys"].append(list(k["keys"]))
        return batch

    def recording_build(policy, ref, batch, *a, **k):
        log["trained"].append(next(i for i, (_, b) in enumerate(log["sampled"]) if b is batch))
        return build_fn(policy, ref, batch, *a, **k)

    monkeypatch.setattr(weights, "optimiser_step", counting_step)
    monkeypatch.setattr(rollout, "sample", recording_sample)
    monkeypatch.setattr(objective, "build_update_batch", recording_build)
    return log


@pytest.mark.parametrize("flag", [[], ["--async-rollout"]], ids=["sync", "async"])
def test_async_rollout_samples_each_step_with_the_weights_before_the_previous_update(
        toy_dir, micro_ckpts, judge_url, tmp_path, monkeypatch, flag):
    """Sync: step s samples after s updates. --async-rollout: step s >= 1 was sampled during step
    s - 1, before its update (s - 1 updates by then), with the same prompts and streams, and each
    update trains on its own step's rollout. Bugs: the ahead rollout sampled after the update (no
    staleness, no overlap), a step training on the previous or next step's batch, the data order
    or the stream keys shifted by one step."""
    log = sampling_log(monkeypatch)
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], tmp_path / "run", "--steps", "4",
                                   "--judge-url", judge_url, "--eval-prompts", "0", *flag)))
    updates_at_sampling = [u for u, _ in log["sampled"]]
    assert updates_at_sampling == ([0, 0, 1, 2] if flag else [0, 1, 2, 3])
    assert log["trained"] == [0, 1, 2, 3]
    G = 3
    expected = [[rollout.stream_seed(0, s, i, g) for i in idx for g in range(G)]
                for s, idx in enumerate(batch_indices(toy_dir, steps=4))]
    assert log["keys"] == expected


def batch_indices(toy_dir, steps, batch=2):
    """The data order train.py's one process draws for `steps` steps (runtime.Shards, seed 0)."""
    n = sum(1 for _ in open(os.path.join(toy_dir, "train.jsonl")))
    shards = runtime.Shards(n, batch, 0, 1, 0)
    return [shards.next() for _ in range(steps)]


def mapped_checkpoint_files():
    """The train_state.pt files this process has mapped (runtime.read_state maps them), or None where
    /proc/self/maps does not exist."""
    if not os.path.exists("/proc/self/maps"):
        return None
    with open("/proc/self/maps") as f:
        return [line.split(None, 5)[-1].strip() for line in f if "train_state.pt" in line]


def test_async_rollout_resumes_exactly(toy_dir, micro_ckpts, judge_url, tmp_path, monkeypatch):
    """The rollout sampled ahead goes into the checkpoint: a run stopped after 3 steps and resumed
    matches one run straight through. Bug: the ahead rollout not saved (resume would sample step
    4's with the newer weights, and skip its prompts in the data order).
    And the resumed run has let go of the checkpoint it read by its first save: read_state maps the
    file, so anything still holding a tensor of it (the whole state kept for the run, AdamW's
    `step` counts as loaded, the ahead rollout) keeps the replaced file's blocks allocated, and on
    NFS leaves a .nfs file in ckpt.old that fails the save after. Bugs: any of those three kept."""
    common = ["--steps", "6", "--judge-url", judge_url, "--beta-text", "0.05", "--eval-prompts", "0",
              "--save-every", "1", "--async-rollout"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], straight, *common)))
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--stop-after", "3")))
    state = torch.load(split / "ckpt" / "train_state.pt", weights_only=False)
    assert len(state["rollout_ahead"]) == 1 and state["rollout_ahead"][0] is not None
    with pytest.raises(SystemExit, match="--async-rollout"):
        train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], split, *common[:-1], "--resume")))
    mapped, save = [], runtime.save

    def save_and_look(*a, **k):
        mapped.append(mapped_checkpoint_files())
        return save(*a, **k)
    monkeypatch.setattr(runtime, "save", save_and_look)
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--resume")))
    a, b = records(straight), records(split)
    assert [r["step"] for r in b] == list(range(1, 7))
    assert_same_steps(a, b, ("lambda", "reward_mean", "sft_loss", "grpo_loss", "kl_text", "clip_frac", "text_len"))
    assert len(mapped) == 3
    if mapped[0] is not None:
        assert mapped == [[], [], []]


def test_async_rollout_resumes_exactly_on_two_ranks(toy_dir, micro_ckpts, judge_url, tmp_path):
    """torchrun 2 ranks: each rank's rollout sampled ahead is saved and given back to that rank.
    Bug: rank 0's saved rollout handed to both ranks (or only rank 0's saved)."""
    script = os.path.join(ROOT, "train.py")
    common = ["--steps", "4", "--batch-size", "4", "--group-size", "2", "--max-len", "32", "--judge-url", judge_url,
              "--async-rollout", "--eval-prompts", "0"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    torchrun(2, script, *small(toy_dir, micro_ckpts["tiny-vita"], straight, *common))
    torchrun(2, script, *small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--stop-after", "2"))
    ahead = torch.load(split / "ckpt" / "train_state.pt", weights_only=False)["rollout_ahead"]
    assert len(ahead) == 2 and ahead[0][1] != ahead[1][1]        # each rank's own prompts and streams
    torchrun(2, script, *small(toy_dir, micro_ckpts["tiny-vita"], split, *common, "--resume"))
    a, b = records(straight), records(split)
    assert [r["step"] for r in b] == [1, 2, 3, 4]
    assert_same_steps(a, b, ("lambda", "reward_mean", "sft_loss", "grpo_loss", "text_len", "grad_norm"),
                      rel=1e-5, abs=1e-6)


def opt_args(**kw):
    """The flags weights.make_optimizer and optimiser_step read."""
    return types.SimpleNamespace(**{"lr": 0.1, "weight_decay": 0.0, "steps": 6, "ppo_epochs": 1, "stage": "sft",
                                    "warmup": 2, "grad_clip": 1.0, **kw})


def holding(values):
    """A module with one parameter (what weights.py calls the policy) -> (module, parameter)."""
    module = torch.nn.Module()
    module.p = torch.nn.Parameter(torch.tensor(values))
    return module, module.p


def test_the_learning_rate_warms_up_linearly_then_decays_by_cosine_to_a_tenth():
    """weights.py: linear warmup, then cosine to 10 % of the peak at the last update. Worked by hand for
    warmup 2 over 6 updates: 0.5, 1, then 0.1 + 0.45 (1 + cos(pi (i - 2) / 4)) for i = 2..6 (1, 0.868,
    0.55, 0.232, 0.1); with --ppo-epochs 2 the 3 hybrid steps are 6 updates. A run shorter than its
    warmup still reaches the peak. Bug caught: the first update at lr 0, a decay to 0, the schedule
    spanning --steps only (at the floor halfway through a --ppo-epochs 2 run), or a warmup longer than
    the run (the peak never reached)."""
    def factors(**kw):
        args = opt_args(**kw)
        opt, sched = weights.make_optimizer(holding([0.0])[0], args)
        out = [sched.get_last_lr()[0] / args.lr]
        for _ in range(args.steps * args.ppo_epochs):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr()[0] / args.lr)
        return out
    tail = [0.1 + 0.45 * (1 + math.cos(math.pi * k / 4)) for k in range(5)]
    assert factors() == pytest.approx([0.5, 1.0] + tail)
    assert factors(stage="hybrid", steps=3, ppo_epochs=2) == pytest.approx([0.5, 1.0] + tail)
    assert max(factors(steps=4, warmup=10)) == pytest.approx(1.0)


def test_weight_decay_reaches_adamw():
    """A zero gradient leaves Adam's step at 0, so one update only decays: p <- p (1 - lr * wd), at the
    first update's lr (warmup 1: the peak). 2 x (1 - 0.1 x 0.5) = 1.9. Bug caught: --weight-decay not
    passed to AdamW (p stays 2), or the first update at lr 0."""
    policy, p = holding([2.0, 2.0])
    args = opt_args(weight_decay=0.5, warmup=1)
    opt, sched = weights.make_optimizer(policy, args)
    weights.optimiser_step(policy, opt, sched, (p * 0.0).sum(), args)
    assert p.detach().tolist() == pytest.approx([1.9, 1.9])


def test_optimiser_step_clips_to_grad_clip_and_skips_a_non_finite_loss_whole():
    """weights.optimiser_step: the gradient is clipped to --grad-clip (the norm before clipping returned);
    a non-finite loss skips the update even when its gradient is finite (loss = sum(p) + inf has the
    gradient 1 everywhere): weights and AdamW state unchanged, gradients dropped, the learning-rate
    schedule advanced. Bug caught: a clip of 1 whatever the flag, a finite update skipped, an update taken
    because only the norm was checked, stale gradients left in .grad, or the schedule not stepped."""
    policy, p = holding([0.0, 0.0])
    args = opt_args(grad_clip=2.5, warmup=1)
    opt, sched = weights.make_optimizer(policy, args)
    norm, skipped = weights.optimiser_step(policy, opt, sched, (p * torch.tensor([3.0, 4.0])).sum(), args)
    assert (norm, skipped, sched.last_epoch) == (pytest.approx(5.0), False, 1)
    assert p.grad.tolist() == pytest.approx([1.5, 2.0])           # (3, 4) scaled to norm 2.5
    before, state, lr = p.detach().clone(), {k: v.clone() for k, v in opt.state[p].items()}, sched.last_epoch
    norm, skipped = weights.optimiser_step(policy, opt, sched, p.sum() + math.inf, args)
    assert skipped and math.isfinite(norm)
    assert torch.equal(p.detach(), before) and all(torch.equal(opt.state[p][k], v) for k, v in state.items())
    assert p.grad is None and sched.last_epoch == lr + 1


def test_skip_guard_counts_non_finite_updates_in_a_row_only():
    """--max-skipped-updates 2: two skipped updates in a row stop the run, two apart do not; 0 never stops.
    Bug caught: skips counted over the whole run (a long run stopped by rare, isolated overflows), or
    the limit reached one update late."""
    guard = weights.SkipGuard(2)
    assert [guard.update(s, i) for i, s in enumerate([True, False, True, False, True], 1)] == [1, 0, 1, 0, 1]
    with pytest.raises(SystemExit, match="step 6: 2 updates in a row"):
        guard.update(True, 6)
    never = weights.SkipGuard(0)
    assert sum(never.update(True, i) for i in range(1, 20)) == 19


def test_shards_deal_each_epoch_once_disjointly_and_resume_mid_epoch():
    """runtime.Shards: 8 items, 2 per rank, 2 ranks: each epoch is 2 global batches that together hold
    every item once, the ranks' slices disjoint; the next epoch is another permutation; a sampler
    restored from state_dict() (here one step into epoch 1) continues where the first one is.
    Bug caught: a full last batch dropped (> vs >=), overlapping rank slices, one order for every
    epoch, or a resumed sampler restarting its epoch or using epoch 0's permutation."""
    ranks = [runtime.Shards(8, 2, r, 2, seed=3) for r in range(2)]
    steps = [[ranks[r].next() for r in range(2)] for _ in range(4)]
    for epoch in (steps[0:2], steps[2:4]):
        taken = [i for step in epoch for part in step for i in part]
        assert sorted(taken) == list(range(8))
    assert [i for step in steps[0:2] for part in step for i in part] != \
        [i for step in steps[2:4] for part in step for i in part]
    fresh = [runtime.Shards(8, 2, r, 2, seed=3) for r in range(2)]
    resumed = [runtime.Shards(8, 2, r, 2, seed=3) for r in range(2)]
    for r in range(2):
        for _ in range(3):
            fresh[r].next()
        resumed[r].load_state_dict(fresh[r].state_dict())
        assert resumed[r].state_dict() == {"epoch": 1, "index": 4}
        assert [resumed[r].next() for _ in range(3)] == [fresh[r].next() for _ in range(3)]
    with pytest.raises(ValueError, match="3 items"):
        runtime.Shards(3, 2, 0, 2, seed=0)


def test_metrics_are_trimmed_to_the_checkpoint_on_resume_and_step_lines_thinned(tmp_path, capsys):
    """runtime.Logger: resumed at step 3, metrics.jsonl keeps steps 1-3 (the checkpoint's) and drops 4-5
    (logged after it, to be run again); a fresh run (step 0) starts the file empty; a rank other than 0
    writes nothing. With every=2 the console shows steps 1, 2 and 4. Bug caught: records past the
    checkpoint kept (steps logged twice), the checkpoint's own step dropped, or no line at step 1."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text("".join(json.dumps({"step": i, "x": i}) + "\n" for i in range(1, 6)))
    runtime.Logger(str(out), 1, resume_step=3)
    assert len(runtime.read_metrics(str(out / "metrics.jsonl"))) == 5
    log = runtime.Logger(str(out), 0, resume_step=3, every=2)
    assert [r["step"] for r in runtime.read_metrics(str(out / "metrics.jsonl"))] == [1, 2, 3]
    for step in (4, 5):
        log.log({"step": step, "x": float("nan")}, f"line {step}")
    assert [r["x"] for r in records(out)] == [1, 2, 3, None, None]
    fresh = runtime.Logger(str(out), 0, every=2)
    for step in (1, 2, 3, 4):
        fresh.log({"step": step}, f"line {step}")
    assert [r["step"] for r in records(out)] == [1, 2, 3, 4]
    assert [x for x in capsys.readouterr().out.splitlines() if x.startswith("line")] == \
        ["line 4", "line 1", "line 2", "line 4"]


def test_json_is_strict_inside_tuples_and_a_bad_metrics_line_is_named(tmp_path):
    """runtime.json_safe turns every non-finite float into null, inside tuples too (a record's pairs);
    read_metrics skips blank lines and names a broken line by its 1-based number. Bug caught: a tuple
    passed through with its NaN (json.dump then refuses the record), a blank line taken as broken JSON,
    or the line numbered from 0."""
    path = tmp_path / "r.json"
    runtime.write_json(str(path), {"pair": (1.5, float("inf")), "n": float("-inf")})
    assert json.loads(path.read_text(), parse_constant=strict) == {"pair": [1.5, None], "n": None}
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text('{"step": 1}\n\n{"step": 2}\n')
    assert runtime.read_metrics(str(metrics)) == [{"step": 1}, {"step": 2}]
    metrics.write_text('{"step": 1}\n\n{"step": 2\n')
    with pytest.raises(dataset.DataError, match=r"metrics.jsonl:3: not valid JSON"):
        runtime.read_metrics(str(metrics))


def test_train_py_hands_its_dist_timeout_to_the_process_group(monkeypatch):
    """--dist-timeout reaches runtime.setup_distributed (stopped there: nothing else runs). Bug caught:
    the flag parsed and the group still started on NCCL's own 10 minutes."""
    class Started(Exception):
        pass

    def setup(*a):
        raise Started(a)
    monkeypatch.setattr(runtime, "setup_distributed", setup)
    with pytest.raises(Started) as started:
        train.run(train.get_args(["--device", "cpu", "--fsdp", "--dist-timeout", "7.5"]))
    assert started.value.args[0] == ("cpu", True, 7.5)


def test_setup_distributed_takes_the_local_rank_for_the_gpu_and_nccl_for_cuda(monkeypatch):
    """torchrun on a second node: RANK 5 of WORLD_SIZE 8, LOCAL_RANK 1: the process drives cuda:1 (its
    node's second GPU) and joins an NCCL group; on the CPU, gloo. CUDA and the process group are
    stand-ins that record the calls. Bug caught: the global rank taken as the GPU index (cuda:5 on a
    4-GPU node), gloo for GPU tensors, NCCL not bound to the rank's GPU (its first barrier then
    guesses the GPU from the rank), or the group left on NCCL's 10-minute timeout (the other ranks
    wait longer than that while rank 0 writes a 7B checkpoint or scores the closing summary)."""
    calls = []
    monkeypatch.setenv("RANK", "5")
    monkeypatch.setenv("WORLD_SIZE", "8")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_device", lambda d: calls.append(("set_device", str(d))))
    monkeypatch.setattr(runtime.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(runtime.dist, "init_process_group",
                        lambda backend, **kw: calls.append(("group", backend, str(kw.get("device_id")),
                                                            kw["timeout"].total_seconds())))
    rank, world, device = runtime.setup_distributed("auto", timeout_minutes=45)
    assert (rank, world, str(device)) == (5, 8, "cuda:1")
    assert calls == [("set_device", "cuda:1"), ("group", "nccl", "cuda:1", 2700.0)]
    calls.clear()
    assert runtime.setup_distributed("cpu")[2] == torch.device("cpu") and calls == [("group", "gloo", "None", 3600.0)]


def test_an_accumulating_step_adds_to_the_gradient_already_there():
    """The overlapped hybrid step: the SFT rows' backward runs while the judge works, then
    optimiser_step(accumulate=True) adds the GRPO loss's gradient to it. Already there (3, 0), added
    (0, 4): the step's norm is 5; a plain step drops what was there (norm 4). Bug caught: the gradients
    zeroed before the accumulating backward, so the overlapped step trained on GRPO alone."""
    policy, p = holding([0.0, 0.0])
    args = opt_args(grad_clip=100.0, warmup=1)
    opt, sched = weights.make_optimizer(policy, args)
    p.grad = torch.tensor([3.0, 0.0])
    norm, _ = weights.optimiser_step(policy, opt, sched, (p * torch.tensor([0.0, 4.0])).sum(), args, accumulate=True)
    assert norm == pytest.approx(5.0)
    p.grad = torch.tensor([3.0, 0.0])
    norm, _ = weights.optimiser_step(policy, opt, sched, (p * torch.tensor([0.0, 4.0])).sum(), args)
    assert norm == pytest.approx(4.0)


def test_the_policy_takes_dtype_and_the_reference_is_a_frozen_copy_of_the_start(micro_ckpts):
    """--dtype bfloat16 reaches the policy whether loaded (--init) or built (a fresh SFT); the reference is
    a fresh load of --init, frozen (eval mode, no gradients) and on the CPU in the run's dtype (bf16 is for
    GPUs). Bug caught: a checkpoint or a built model left in float32 under --dtype bfloat16, the reference
    cast to bf16 on the CPU (its log-probs then differ from the policy's at step 1, a KL from nothing), or
    left in train mode."""
    cpu = torch.device("cpu")
    loaded = weights.load_policy(train.get_args(["--init", micro_ckpts["tiny-vita"], "--dtype", "bfloat16"]), cpu)
    assert {p.dtype for p in loaded.parameters()} == {torch.bfloat16}
    built = weights.load_policy(train.get_args(["--stage", "sft", "--model", "tiny-kimi", "--dtype", "bfloat16"]), cpu)
    assert {p.dtype for p in built.parameters()} == {torch.bfloat16}
    args = train.get_args(["--init", micro_ckpts["tiny-vita"]])
    ref = weights.frozen_copy(args, cpu)
    assert {p.dtype for p in ref.parameters()} == {torch.float32}
    assert not ref.training and not any(p.requires_grad for p in ref.parameters())
    policy = weights.load_policy(args, cpu)
    assert all(torch.equal(a, b) for a, b in zip(policy.parameters(), ref.parameters()))


def test_dpo_pairs_split_the_prompts_over_ranks_pick_by_utility_and_are_reloaded_only_on_resume(tmp_path, monkeypatch,
                                                                                                 capsys):
    """dpo.build_pairs (Appendix E) over a stand-in pool: 3 replies per prompt scored semantic (5, 1, 3),
    acoustic (1, 5, 3); at --dpo-weight 0.8 the utilities (Eq. 13) are 4.2, 1.8, 3.0, so reply 0 is chosen
    and reply 1 rejected (gap 2.4 >= margin 0.5). --dpo-prompts 6 over 2 ranks: 3 prompts each, disjoint,
    each rank sampling with its own seed. A second call reloads the cached pairs only under --resume.
    Bug caught: the semantic and acoustic scores swapped in the utility, chosen and rejected swapped,
    each rank taking --dpo-prompts prompts of its own, ranks sharing one seed, or a new run (not
    --resume) silently reusing the pairs of the run that was in --out before."""
    calls = []

    def pool(policy, mine, judge, n, args, seed):
        calls.append(([s.id for s in mine], seed))
        return [{"sample": s, "prompt": torch.tensor([[k]]), "semantic": [5, 1, 3], "acoustic": [1, 5, 3],
                 "replies": [torch.full((2, 1), 10 * k + i) for i in range(n)]} for k, s in enumerate(mine)]
    monkeypatch.setattr(dpo.analyses, "repeated_sampling", pool)
    train_set = [types.SimpleNamespace(id=f"q{i}") for i in range(10)]
    args = types.SimpleNamespace(out=str(tmp_path / "run"), resume=False, seed=1, dpo_prompts=6, dpo_samples=3,
                                 dpo_weight=0.8, dpo_margin=0.5)
    pairs = [dpo.build_pairs(None, train_set, None, args, rank, 2) for rank in range(2)]
    (ids0, seed0), (ids1, seed1) = calls
    assert len(ids0) == len(ids1) == 3 and len(set(ids0) | set(ids1)) == 6 and seed0 != seed1
    for k, p in enumerate(pairs[0]):
        assert p["id"] == ids0[k] and p["chosen"][0, 0] == 10 * k and p["rejected"][0, 0] == 10 * k + 1
    dpo.build_pairs(None, train_set, None, args, 0, 2)
    assert len(calls) == 3                                  # not --resume: sampled again
    args.resume = True
    again = dpo.build_pairs(None, train_set, None, args, 0, 2)
    assert len(calls) == 3 and [p["id"] for p in again] == ids0
    # the printed count is over all ranks: two ranks keeping 3 each (the all-reduce stood in by doubling);
    # bug: rank 0 printing its own share as the run's
    capsys.readouterr()
    args.resume = False
    dpo.build_pairs(None, train_set, None, args, 0, 2, reduce_sum=lambda kept: kept * 2)
    assert "dpo: kept 6 pairs from 6 prompts" in capsys.readouterr().out


def test_dpo_pair_loss_is_eq5_at_gamma_and_its_scope_follows_the_boundary_flag(samples):
    """dpo.pair_loss on one pair: the reported margin m gives the loss -log sigmoid(gamma m) of Eq. 5 at
    --dpo-gamma (0.5 here, not losses.dpo_loss's default 0.1); a policy equal to its reference has m = 0,
    loss log 2 and accuracy 0 (accuracy counts m > 0). With --dpo-tokens speech, --no-audio-boundaries
    takes <boa>/<eoa> out of the scope, so the margin changes. Bug caught: --dpo-gamma not passed,
    accuracy counting ties, or the boundary flag not reaching the DPO scope."""
    from conftest import micro_model
    policy, other = micro_model("tiny-vita", seed=0), micro_model("tiny-vita", seed=1)
    same = micro_model("tiny-vita", seed=0)
    a, b = samples[0], samples[1]
    pair = [{"prompt": policy.prompt(a), "chosen": policy.target(a.target_text, a.target_codes),
             "rejected": policy.target(b.target_text, b.target_codes)}]
    args = types.SimpleNamespace(no_audio_boundaries=False, dpo_tokens="all", dpo_gamma=0.5)
    cpu = torch.device("cpu")
    with torch.no_grad():
        loss, stats = dpo.pair_loss(policy, other, pair, args, cpu)
        m = stats["dpo_margin"]
        assert m != 0 and float(loss) == pytest.approx(math.log1p(math.exp(-0.5 * m)), rel=1e-5)
        loss, stats = dpo.pair_loss(policy, same, pair, args, cpu)
        assert float(loss) == pytest.approx(math.log(2)) and stats["dpo_margin"] == 0
        assert stats["dpo_accuracy"] == 0
        speech = [dpo.pair_loss(policy, other, pair, types.SimpleNamespace(**{**vars(args), "dpo_tokens": "speech",
                                                                                "no_audio_boundaries": flag}), cpu)
                  for flag in (False, True)]
    assert speech[0][1]["dpo_margin"] != pytest.approx(speech[1][1]["dpo_margin"])


def test_dpo_pair_loss_scores_each_pair_on_its_own_prompt_against_the_reference(samples):
    """dpo.pair_loss on two pairs with prompts of different lengths (--dpo-tokens all, gamma 0.5), against an
    oracle that scores every reply alone, unpadded on its own prompt: s(y) = the sum of its log-probs (a
    forced token's is 0), margin_j = (s(y+_j) - s(y-_j)) - (s_ref(y+_j) - s_ref(y-_j)), loss = the mean of
    log(1 + exp(-gamma margin_j)). Bug caught: chosen and rejected swapped (policy and reference alike: the
    reported margin follows the swap, so a one-pair check of loss against margin cannot see it), the
    reference's chosen and rejected swapped, or the prompts repeated pair by pair (repeat_interleave) while
    the replies are stacked chosen-then-rejected, so a reply is scored on another pair's prompt."""
    from conftest import micro_model
    import model as M
    policy, ref = micro_model("tiny-vita", seed=0), micro_model("tiny-vita", seed=1)
    (a, b), (c, d) = (samples[0], samples[1]), (samples[5], samples[2])
    assert len(policy.prompt(a)) != len(policy.prompt(c))
    pairs = [{"prompt": policy.prompt(p), "chosen": policy.target(x.target_text, x.target_codes),
              "rejected": policy.target(y.target_text, y.target_codes)} for p, x, y in ((a, a, b), (c, c, d))]
    args = types.SimpleNamespace(no_audio_boundaries=False, dpo_tokens="all", dpo_gamma=0.5)

    def alone(model, prompt, reply):
        lp = M.reply_logprobs(model, prompt[None], torch.ones(1, len(prompt), dtype=torch.long), reply[None],
                              model.slots_for(reply[None]))
        return float(lp.sum())
    with torch.no_grad():
        loss, stats = dpo.pair_loss(policy, ref, pairs, args, torch.device("cpu"))
        margins = [(alone(policy, p["prompt"], p["chosen"]) - alone(policy, p["prompt"], p["rejected"]))
                   - (alone(ref, p["prompt"], p["chosen"]) - alone(ref, p["prompt"], p["rejected"])) for p in pairs]
    assert stats["dpo_margin"] == pytest.approx(sum(margins) / 2, rel=1e-4, abs=1e-3)
    assert float(loss) == pytest.approx(sum(math.log1p(math.exp(-0.5 * m)) for m in margins) / 2, rel=1e-4)
    assert stats["dpo_accuracy"] == sum(m > 0 for m in margins) / 2


def test_restore_gives_each_rank_its_own_random_states_back():
    """runtime.restore: a checkpoint holds every rank's RNG states (torch, numpy, python, the sampling
    generator), and rank r takes entry r. Oracle: the draws each state makes when captured. The global
    RNGs are restored in place, so the test puts them back as they were. Bug caught: every rank given rank
    0's states (two ranks then draw the same numbers), or the sampling generator left where it was."""
    import random

    import numpy as np
    saved = runtime.rng_state(torch.Generator())
    try:
        states, draws = [], []
        for r in range(2):
            gen = torch.Generator().manual_seed(100 + r)
            torch.manual_seed(10 + r), np.random.seed(20 + r), random.seed(30 + r)
            states.append(runtime.rng_state(gen))
            draws.append((torch.rand(1).item(), np.random.rand(), random.random(), torch.rand(1, generator=gen).item()))
        policy, _ = holding([0.0])
        args = opt_args()
        opt, sched = weights.make_optimizer(policy, args)
        shards = runtime.Shards(4, 1, 1, 2, seed=0)
        state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "data": shards.state_dict(),
                 "rng": states}
        for r in (1, 0):
            gen = torch.Generator().manual_seed(7)
            runtime.restore(state, policy, opt, sched, shards, gen, r)
            assert (torch.rand(1).item(), np.random.rand(), random.random(),
                    torch.rand(1, generator=gen).item()) == draws[r]
    finally:
        torch.set_rng_state(saved["torch"]), np.random.set_state(saved["numpy"]), random.setstate(saved["python"])


def test_a_resume_after_a_kill_mid_write_drops_the_torn_last_record(tmp_path):
    """kill -9 while a step's record is being appended leaves half a line; that record was
    logged before its step's checkpoint, so resuming from the checkpoint drops it with the
    others past it. A broken line before the last is still an error naming its line. Bug
    caught: a resume refused ('metrics.jsonl:3: not valid JSON') after exactly the crash
    resume exists for."""
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "lo')
    runtime.Logger(str(tmp_path), 0, resume_step=2)
    assert [r["step"] for r in runtime.read_metrics(str(path))] == [1, 2]
    path.write_text('{"step": 1}\n{"st\n{"step": 3}\n')
    with pytest.raises(dataset.DataError, match=r"metrics.jsonl:2: not valid JSON"):
        runtime.Logger(str(tmp_path), 0, resume_step=2)


# ---------------------------------------------------------------- train.py's own bookkeeping, hand-worked


def record_inputs():
    """One step's inputs to train.step_record, small enough to work by hand: 2 prompts x G = 3, three
    rewards missing, per-axis scores with gaps, per-row token counts, the update's numbers and times."""
    nan = float("nan")
    g_out = types.SimpleNamespace(lam=0.25, lam_raw=0.4, reward_gate=0.6, info_gate=0.7, groups=1)
    R = torch.tensor([[1.0, 3.0, nan], [5.0, nan, nan]])
    res = types.SimpleNamespace(scores={"semantic": [4, None, 2, None, None, None], "acoustic": [1, 1, None] * 2},
                                stats={"calls": 9, "failures": 2, "retries": 1, "seconds": 4.0})

    def counts(per_row):          # (rows, L=2, K=3) masks holding per_row[i] True positions in row i
        m = torch.zeros(6, 6, dtype=torch.bool)
        for i, n in enumerate(per_row):
            m[i, :n] = True
        return m.view(6, 2, 3)
    batch = types.SimpleNamespace(masks={"text": counts([2, 3, 4, 1, 0, 2]), "speech": counts([6, 5, 4, 6, 6, 3])},
                                  truncated=torch.tensor([True, False, False, True, False, False]))
    gstats = {"kl_text": 0.1, "kl_speech": 0.3, "clip_frac": 0.25, "empty_scope_rows": 1}
    sched = types.SimpleNamespace(get_last_lr=lambda: [0.01])
    return dict(step=3, g_out=g_out, R=R, res=res, batch=batch, sft=torch.tensor(0.7), grpo=torch.tensor(-0.2),
                gstats=gstats, norm=1.5, sched=sched, t_rollout=1.0, t_update=3.0, t_wait=2.0)


def test_a_step_record_is_hand_worked_and_two_equal_ranks_double_the_counts_only(monkeypatch):
    """train.step_record on hand-made inputs. Rewards 1, 3, 5 (three missing): mean 3, population sd
    sqrt(35/3 - 9) = sqrt(8/3), max 5 (not NaN); semantic 4, 2 -> 3 and acoustic 1, 1, 1, 1 -> 1; text
    tokens 12 over 6 rows -> 2, speech 30 -> 5; 2 truncated rows. Two ranks sending the same numbers (the
    all-reduce doubling them, world 2): means, losses, KLs and times stay, counts double. Bug caught: the
    reward mean over every reply with the missing ones as 0, the axes or the two lengths or the two KLs
    swapped, retries read from failures, a length per step instead of per row, truncated rows counted from
    the empty ones, the judge's own time logged as the wait, or a loss or time summed over ranks."""
    expect = {"step": 3, "lambda": 0.25, "lambda_raw": 0.4, "reward_gate": 0.6, "info_gate": 0.7,
              "usable_groups": 1, "reward_mean": 3.0, "reward_std": math.sqrt(8 / 3), "reward_max": 5.0,
              "semantic_mean": 3.0, "acoustic_mean": 1.0, "sft_loss": 0.7, "grpo_loss": -0.2, "kl_text": 0.1,
              "kl_speech": 0.3, "clip_frac": 0.25, "text_len": 2.0, "speech_len": 5.0, "grad_norm": 1.5, "lr": 0.01,
              "time_rollout": 1.0, "time_judge": 4.0, "time_judge_wait": 2.0, "time_update": 3.0}
    counts = {"judge_calls": 9, "judge_failures": 2, "judge_retries": 1, "truncated": 2, "empty_scope_rows": 1}
    rec = train.step_record(world=1, **record_inputs())
    assert set(rec) == set(expect) | set(counts)
    assert {k: rec[k] for k in expect} == pytest.approx(expect) and {k: rec[k] for k in counts} == counts
    monkeypatch.setattr(runtime, "all_reduce_sum", lambda t: t * 2)       # a second rank, the same numbers
    rec = train.step_record(world=2, **record_inputs())
    assert {k: rec[k] for k in expect} == pytest.approx(expect)
    assert {k: rec[k] for k in counts} == {k: 2 * v for k, v in counts.items()}


def test_the_step_line_is_hand_worked():
    """train.step_line on a record whose every number differs: each is printed in its place, the axes
    that were not asked this step as a dash, and the times as rollout + wait + update. Bug caught: two
    fields swapped (sd and max, lambda and its raw value, the wait and the update), or a missing axis
    printed as nan."""
    rec = {"step": 7, "lambda": 0.25, "lambda_raw": 0.4, "reward_mean": 3.0, "reward_std": 1.25, "reward_max": 5.0,
           "semantic_mean": float("nan"), "acoustic_mean": 2.5, "sft_loss": 0.7, "grpo_loss": -0.2, "kl_text": 0.1,
           "kl_speech": 0.3, "judge_failures": 2, "time_rollout": 1.0, "time_judge_wait": 2.0, "time_update": 3.0,
           "time_judge": 4.0}
    assert train.step_line(rec, 10) == ("step    7/10 | lam 0.250 raw 0.400 | R 3.00+-1.25 max 5.0 | sem   -  ac 2.50 | "
                                        "sft 0.7000 grpo -0.2000 kl 0.1000/0.3000 | fail 2 | t 1.0+2.0+3.0s (judge 4.0s)")


def out_args(out, **kw):
    """The flags runtime.check_out and clear_out read."""
    return types.SimpleNamespace(**{"resume": False, "overwrite": False, "init": None, "out": str(out), **kw})


def test_an_out_holding_any_one_run_marker_is_refused_and_overwrite_clears_files_too(tmp_path, monkeypatch):
    """check_out: an --out holding any one of a run's markers (only metrics.jsonl: a run stopped before its
    first checkpoint, 50 steps in by default; only ckpt/: one killed before its end) is a run, refused without --resume or --overwrite; --init and
    --out written differently ("run" and "./run/") are still one directory. clear_out (--overwrite) takes
    the old run's files as well as its directories, and keeps what is not a run's. Bug caught: markers
    checked by directory only (an early run's metrics.jsonl emptied by a relaunch), --init compared as
    typed, or the old summary.json left beside a new run stopped early (read as the new run's result)."""
    out = tmp_path / "run"
    out.mkdir()
    for marker in ("ckpt", "final", "metrics.jsonl", "spoken.json", "summary.json"):   # an SFT run's model: spoken.json
        (out / marker).mkdir() if "." not in marker else (out / marker).write_text("{}\n")
        with pytest.raises(SystemExit, match="holds a run"):
            runtime.check_out(out_args(out))
        runtime.check_out(out_args(out, resume=True))
        runtime.check_out(out_args(out, overwrite=True))
        (out / marker).rmdir() if "." not in marker else (out / marker).unlink()
    runtime.check_out(out_args(out))                         # empty: a new run
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="--init and --out"):
        runtime.check_out(out_args("./run/", init="run", overwrite=True))
    for name in ("metrics.jsonl", "summary.json", "notes.txt"):
        (out / name).write_text("{}\n")
    (out / "ckpt").mkdir()
    runtime.clear_out(out_args(out, overwrite=True), rank=1)       # only rank 0 clears
    assert (out / "ckpt").exists()
    runtime.clear_out(out_args(out, overwrite=True), rank=0)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_the_printed_configuration_has_every_flag(capsys):
    """print_config lists the run's flags four to a line: every one appears, with its value. Bug caught:
    a flag dropped at each line's end (the slice shorter than the stride)."""
    from conftest import micro_model
    args = train.get_args(["--init", "unused", "--seed", "11", "--lam", "0.25"])
    train.print_config(args, 1, "cpu", micro_model("tiny-vita"))
    said = capsys.readouterr().out
    missing = [k for k, v in vars(args).items() if f"{k}={v}" not in said]
    assert not missing and "seed=11" in said and "lam=0.25" in said


def test_loaded_splits_are_remembered_per_file_version_and_reading(tmp_path, monkeypatch):
    """load_split reads a split once per process for the same file and the same way of reading it; a
    different limit, target need, skip-bad or encoder, or the file rewritten since, reads it again. Bug
    caught: the default job's post-training given the base build's split whole after --max-train-samples
    (the limit not in the key), prompts without targets handed to SFT (need_target missing), or a split
    rewritten in the same process served stale (the file's mtime missing)."""
    reads = []

    def load(path, encode, need_target=False, skip_bad=False, limit=None):
        reads.append((need_target, skip_bad, limit))
        return [open(path).read(), need_target, skip_bad, limit]
    monkeypatch.setattr(train.dataset, "load_samples", load)
    monkeypatch.setattr(train, "_LOADED", {})
    path = tmp_path / "train.jsonl"
    path.write_text("v1")
    enc = (lambda *a: None)   # noqa: E731  (an encoder: only its identity matters here)
    first = train.load_split(str(path), enc, True, False, None)
    assert train.load_split(str(path), enc, True, False, None) is first and len(reads) == 1
    for need_target, skip_bad, limit in ((True, False, 2), (False, False, None), (True, True, None)):
        assert train.load_split(str(path), enc, need_target, skip_bad, limit)[1:] == [need_target, skip_bad, limit]
    assert len(reads) == 4
    train.load_split(str(path), lambda *a: None, True, False, None)         # another encoder
    assert len(reads) == 5
    path.write_text("v2")
    os.utime(path, (os.path.getmtime(path) + 10,) * 2)
    assert train.load_split(str(path), enc, True, False, None)[0] == "v2" and len(reads) == 6


def test_a_missing_or_half_built_base_is_built_with_the_runs_own_settings(tmp_path, monkeypatch):
    """ensure_base on the default --init: missing, or holding a base whose build stopped before its final
    model (metrics.jsonl, no spoken.json), it runs the SFT stage into --init with --overwrite (else
    check_out would refuse the half-built one) and the run's data, seed, device, held-out prompts and
    quiet; a finished base (spoken.json) is left alone. Bug caught: a half-built base taken as built (the
    directory checked, not its model), a flag dropped (the base then built on data/toy, with seed 0, on
    the default device, as tiny-vita, or scored on 64 held-out prompts the run asked not to score)."""
    built = []
    monkeypatch.setattr(train, "run", lambda a: built.append(a))
    monkeypatch.chdir(tmp_path)
    args = train.get_args(["--model", "tiny-kimi", "--data-dir", str(tmp_path / "mine"), "--seed", "7", "--device", "cpu",
                           "--eval-prompts", "3", "--quiet"])
    base = tmp_path / args.init
    for state in ("missing", "half-built"):
        if state == "half-built":
            base.mkdir(parents=True)
            (base / "metrics.jsonl").write_text('{"step": 1}\n')
        train.ensure_base(args, 0, 1)
        sft = built.pop()
        assert (sft.stage, sft.model, sft.out, sft.init) == ("sft", "tiny-kimi", args.init, None)
        assert sft.overwrite and sft.quiet and not sft.resume
        assert (sft.data_dir, sft.seed, sft.device, sft.eval_prompts) == (str(tmp_path / "mine"), 7, "cpu", 3)
    (base / "spoken.json").write_text("{}")
    train.ensure_base(args, 0, 1)
    assert built == []


def test_the_base_is_built_on_the_runs_own_data_files_and_skips_what_the_run_skips(tmp_path, monkeypatch):
    """`--train-file A --eval-file B --skip-bad` with the default base missing: the base's SFT build reads A
    and B, skipping malformed lines as the run will. Bug caught (train.py did both): the build read
    --data-dir's files (the default data/toy, generated for it: a minute and 1.4 GB, though the run never
    reads it), and stopped on the first malformed line of a split the run was told to skip them in."""
    built = []
    monkeypatch.setattr(train, "run", lambda a: built.append(a))
    monkeypatch.chdir(tmp_path)
    args = train.get_args(["--train-file", str(tmp_path / "a.jsonl"), "--eval-file", str(tmp_path / "b.jsonl"),
                           "--skip-bad"])
    train.ensure_base(args, 0, 1)
    (sft,) = built
    assert (sft.train_file, sft.eval_file, sft.skip_bad) == (str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), True)
    built.clear()
    train.ensure_base(train.get_args(["--data-dir", str(tmp_path / "d")]), 0, 1)
    assert (built[0].train_file, built[0].skip_bad) == (str(tmp_path / "d" / "train.jsonl"), False)


class ScriptedJudge:
    """A stand-in for the judge client: at its k-th call the holistic score of reply j is
    script[k][j % len(script[k])] (the last list once the script runs out); semantic and acoustic are
    constants; every reply costs one retry; each call takes `sleep` seconds."""

    def __init__(self, script, semantic=4, acoustic=2, sleep=0.0, name="judge"):
        self.script, self.semantic, self.acoustic, self.sleep, self.name, self.calls = \
            script, semantic, acoustic, sleep, name, 0

    def score(self, items, mode="holistic", semantic_weight=0.7):
        import time

        import reward
        time.sleep(self.sleep)
        row = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        n = len(items)
        axes = {"holistic": ["holistic"], "split": ["semantic", "acoustic"], "all": list(reward.AXES)}[mode]
        every = {"holistic": [row[j % len(row)] for j in range(n)], "semantic": [self.semantic] * n,
                 "acoustic": [self.acoustic] * n}
        return reward.JudgeResult(rewards=[float(v) for v in every["holistic"]], scores={a: every[a] for a in axes},
                                  stats={"calls": n * len(axes), "failures": 0, "retries": n, "errors": {},
                                         "seconds": self.sleep})


def scripted(monkeypatch, script, **kw):
    """train.py's judges replaced: the training one follows `script` (the same judge again after a resume),
    the held-out one ("human") gives 3s -> {"judge": ..., "human": ...}."""
    import reward
    opened = {"judge": ScriptedJudge(script, **kw)}           # one training judge: its script spans a resume

    def open_judge(args, stack, human=False):
        if human:
            opened["human"] = ScriptedJudge([[3]], name="human")
        return opened["human" if human else "judge"]
    monkeypatch.setattr(reward, "open_judge", open_judge)
    return opened


def test_the_gate_flags_and_the_reward_reach_the_log_hand_worked(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """2 prompts x G = 3 scored 5, 1, 5 each at step 1 and 3, 3, 3 at step 2, --lambda-max 0.5, --gate-slope
    ln 3, --gate-threshold 4, --ema-alpha 0.5. Step 1, per group: max 5, Var 32/9, so v = 8/9 and
    g = sigmoid(ln 3) = 3/4: lambda_raw = 0.5 x 3/4 x 8/9 = 1/3, applied unsmoothed; the reward mean 11/3,
    sd sqrt(32/9), semantic 4 and acoustic 2 (step 1 asks every axis), a retry per reply over 6 replies.
    Step 2: Var 0, lambda_raw 0, lambda = 0.5 x 0 + 0.5 x 1/3 = 1/6, g = sigmoid(-ln 3) = 1/4; no axes
    asked. The run stops after step 1 and resumes, so step 2's 1/6 needs the gate's state from the
    checkpoint. Step 1 is on policy with advantages summing to 0 in each group and the reference equal to
    the policy: its GRPO loss is 0, its SFT loss an untrained model's positive NLL; after the update the
    text KL (--beta-text 0.1, --beta-speech 0) is above 0. Bug caught: a gate flag not passed (the default
    lambda_max 0.8, slope 5, threshold 3 or alpha 0.9 give other numbers), the gate not restored on
    resume (step 2 would apply 0), the rewards reshaped (G, B) (groups mixing prompts), the axes or the
    two losses swapped into the record, or the reference built only when both betas are above 0."""
    scripted(monkeypatch, [[5, 1, 5], [3, 3, 3]])
    out = tmp_path / "gated"
    argv = small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--eval-prompts", "0", "--lambda-max", "0.5",
                 "--gate-slope", str(math.log(3)), "--gate-threshold", "4", "--ema-alpha", "0.5", "--beta-text", "0.1",
                 "--beta-speech", "0")
    train.run(train.get_args(argv + ["--stop-after", "1"]))
    train.run(train.get_args(argv + ["--resume"]))
    one, two = records(out)
    assert one["grpo_loss"] == pytest.approx(0, abs=1e-6) and one["sft_loss"] > 1 and two["kl_text"] > 0
    assert (one["lambda"], one["lambda_raw"], two["lambda"], two["lambda_raw"]) == \
        pytest.approx((1 / 3, 1 / 3, 1 / 6, 0.0))
    assert (one["reward_gate"], one["info_gate"], two["reward_gate"], two["info_gate"]) == \
        pytest.approx((0.75, 8 / 9, 0.25, 0.0))
    assert one["usable_groups"] == two["usable_groups"] == 2
    assert (one["reward_mean"], one["reward_std"], one["reward_max"]) == pytest.approx((11 / 3, math.sqrt(32 / 9), 5))
    assert (two["reward_mean"], two["reward_std"], two["reward_max"]) == pytest.approx((3, 0, 3), abs=1e-9)
    assert (one["semantic_mean"], one["acoustic_mean"], one["logged_axes"]) == (4, 2, True)
    assert (two["semantic_mean"], two["acoustic_mean"], two["logged_axes"]) == (None, None, False)
    assert [(r["judge_calls"], r["judge_retries"], r["judge_failures"]) for r in (one, two)] == [(18, 6, 0), (6, 6, 0)]


def test_split_mode_steps_log_their_axes(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """--reward-mode split asks semantic and acoustic every step (they make the reward), so every step
    says logged_axes and carries both means: 0.7 x 4 + 0.3 x 2 = 3.4 per reply. Bug caught: logged_axes
    true only where all three axes were asked (split steps counted as not logging in the judge bill)."""
    scripted(monkeypatch, [[1]], semantic=4, acoustic=2)
    out = tmp_path / "split"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--eval-prompts", "0",
                                   "--reward-mode", "split")))
    for r in records(out):
        assert (r["logged_axes"], r["semantic_mean"], r["acoustic_mean"]) == (True, 4, 2)
        assert r["reward_mean"] == pytest.approx(3.4) and r["judge_calls"] == 12
    assert json.loads((out / "summary.json").read_text())["judge"]["logged_steps"] == 2


def test_the_summary_scores_the_trained_and_the_init_model_with_the_human_rater(toy_dir, micro_ckpts, tmp_path,
                                                                                monkeypatch):
    """The closing summary: the held-out prompts scored by the noise-free "human" rater (not the noisy
    training judge), for the trained model (moved by its update) and for the --init it started from,
    reloaded from disk. Bug caught: the summary scored by the training judge, the "base" row loaded from
    the final model or scored on the trained one (base = trained, whatever the training did)."""
    opened = scripted(monkeypatch, [[5, 1, 3]])
    seen = []

    def score_samples(model, samples, judge, args, rows=512):
        seen.append((judge.name, {k: v.detach().clone() for k, v in model.state_dict().items()}))
        return {"accuracy": float(len(seen))}
    monkeypatch.setattr(train.evaluate, "score_samples", score_samples)
    out = tmp_path / "run"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "1", "--lr", "1e-2",
                                   "--eval-prompts", "1")))
    assert [name for name, _ in seen] == ["human", "human"] and opened["human"].calls == 0
    (_, trained), (_, base) = seen
    import model as M
    init = M.load_model(micro_ckpts["tiny-vita"]).state_dict()
    assert base.keys() == init.keys() and all(torch.equal(base[k], init[k]) for k in init)
    assert any(not torch.equal(trained[k], init[k]) for k in init)
    assert json.loads((out / "summary.json").read_text())["base"] == {"accuracy": 2.0}


def test_a_steps_time_is_split_into_rollout_judge_wait_and_update(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """The judge takes 3 s a call and the sampling 1 s more than it would (both slept in), the judge
    waited for in turn (--overlap-judge off): the step's rollout time is at least 1 s, its judge wait
    at least most of the 3 s, and the update (micro-model passes, 0.4 s on a loaded 2-core machine)
    under the wait, which it would exceed if it held the wait too. Bug caught: the wait counted in the
    update too, or the rollout and update times handed over swapped."""
    import time
    scripted(monkeypatch, [[5, 1, 3]], sleep=3.0)
    sample = rollout.sample
    monkeypatch.setattr(rollout, "sample", lambda *a, **k: time.sleep(1.0) or sample(*a, **k))
    out = tmp_path / "timed"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "1", "--eval-prompts", "0",
                                   "--overlap-judge", "off")))
    (r,) = records(out)
    assert r["time_rollout"] >= 1.0 and r["time_judge_wait"] >= 2.7 and r["time_judge"] == 3.0
    assert r["time_update"] < r["time_judge_wait"], r


def test_checkpoints_fall_every_save_every_steps_at_a_stop_and_at_the_end(toy_dir, micro_ckpts, tmp_path,
                                                                          monkeypatch, capsys):
    """SFT, --steps 5 --save-every 2. --stop-after 3: checkpoints after steps 2 and 3, then the run stops
    (no final model), saying so and how to continue. Resumed with --stop-after 2 it counts this invocation's steps: 4 (due by
    --save-every) and 5, the last, where it finishes normally (its final model written) rather than
    stopping. Bug caught: checkpoints on the 0-based step (1, 3, 5), none at a stop or at the end, a
    checkpoint holding the 0-based step, a stop one step late, --stop-after counted from step 0 on
    resume (the resumed run stops at once), or a stop on the last step skipping the final model.
    The resumed run's saves find the checkpoint it read unmapped (mapped_checkpoint_files; bug: the
    SFT loop keeping the state common_loop_state returns for the whole run)."""
    saved, mapped = [], []
    save = runtime.save
    monkeypatch.setattr(runtime, "save",
                        lambda *a, **k: saved.append(a[6]) or mapped.append(mapped_checkpoint_files()) or save(*a, **k))
    out = tmp_path / "sft"
    argv = ["--stage", "sft", "--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir), "--out", str(out),
            "--batch-size", "2", "--max-len", "40", "--eval-prompts", "0", "--quiet", "--steps", "5",
            "--save-every", "2"]
    train.run(train.get_args(argv + ["--stop-after", "3"]))
    said = capsys.readouterr().out.splitlines()
    assert f"stopped after step 3 of 5 (--stop-after 3); --resume continues from {out / 'ckpt'}" \
        in "\n".join(said)
    assert saved == [2, 3] and [r["step"] for r in records(out)] == [1, 2, 3]
    assert torch.load(out / "ckpt" / "train_state.pt", weights_only=False)["step"] == 3
    assert not (out / "spoken.json").exists()
    train.run(train.get_args(argv + ["--stop-after", "2", "--resume"]))
    assert saved == [2, 3, 4, 5] and [r["step"] for r in records(out)] == [1, 2, 3, 4, 5]
    assert (out / "spoken.json").exists()
    assert mapped[2:] in ([[], []], [None, None])


def test_every_ppo_epoch_is_an_update_and_its_skip_is_counted(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """--ppo-epochs 2 over 2 steps: 4 updates, so the learning-rate schedule stepped 4 times; every loss NaN
    (injected), each step reports both of its skipped updates. Bug caught: --ppo-epochs ignored (one
    update a step), or a step's skip count overwritten by its last epoch's."""
    monkeypatch.setattr(train.losses, "hybrid_loss", lambda sft, grpo, lam: (sft + grpo) * float("nan"))
    scripted(monkeypatch, [[5, 1, 3]])
    out = tmp_path / "ppo"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--eval-prompts", "0", "--ppo-epochs", "2", "--max-skipped-updates", "10")))
    assert [r["skipped_updates"] for r in records(out)] == [2, 2]
    assert torch.load(out / "ckpt" / "train_state.pt", weights_only=False)["scheduler"]["last_epoch"] == 4


def test_the_sft_stage_loss_is_the_teacher_forced_mean_on_its_scope(toy_dir, micro_ckpts, samples, tmp_path):
    """The SFT stage's first logged loss (tiny-kimi, --sft-tokens speech --no-audio-boundaries) equals an
    oracle on the first batch of the data order: per demonstration, the mean teacher-forced log-prob over
    the speech positions the schedule leaves a choice at, laid out without <boa>/<eoa>; minus the mean
    over demonstrations. Bug caught: the stage's scope not intersected with the chosen positions (tiny-
    kimi's forced ones dilute it), --sft-tokens or --no-audio-boundaries not reaching the SFT stage."""
    import model as M
    out = tmp_path / "sft"
    train.run(train.get_args(["--stage", "sft", "--model", "tiny-kimi", "--init", micro_ckpts["tiny-kimi"],
                              "--data-dir", str(toy_dir), "--out", str(out), "--batch-size", "2",
                              "--eval-prompts", "0", "--quiet", "--steps", "1", "--sft-tokens", "speech",
                              "--no-audio-boundaries"]))      # --max-len 128 cuts no demonstration here
    policy = M.load_model(micro_ckpts["tiny-kimi"])
    chosen = [samples[i] for i in batch_indices(toy_dir, steps=1)[0]]
    *forced, masks = rollout.teacher_forced(policy, chosen, False)
    with torch.no_grad():
        logp = rollout.flat(M.reply_logprobs(policy, *forced))
    keep = rollout.flat(masks["speech"] & masks["sampled"])
    means = [logp[i][keep[i]].mean() for i in range(len(logp)) if keep[i].any()]
    assert records(out)[0]["sft_loss"] == pytest.approx(float(-sum(means) / len(means)), rel=1e-5)


def test_the_sft_stage_splits_the_global_batch_over_ranks(micro_ckpts, samples, tmp_path, monkeypatch):
    """--stage sft --batch-size 4 on 2 ranks (run_sft called as rank 0 and rank 1; the all-reduce a
    stand-in that adds an equal second rank): each rank teaches 2 demonstrations a step, the two ranks'
    disjoint and together the 4 one process teaches; the logged loss is the ranks' mean (here the rank's
    own). Bug caught: the SFT stage taking --batch-size per rank (2 ranks teach 8), or its loss logged
    as the sum over ranks."""
    seen, losses_seen = [], []
    forced, sft_loss = rollout.teacher_forced, train.losses.sft_loss
    monkeypatch.setattr(rollout, "teacher_forced", lambda m, s, *a: seen.append([x.id for x in s]) or forced(m, s, *a))
    def recording_sft_loss(*a):
        loss = sft_loss(*a)
        losses_seen.append(float(loss.detach()))
        return loss
    monkeypatch.setattr(train.losses, "sft_loss", recording_sft_loss)
    monkeypatch.setattr(runtime, "wrap_parallel", lambda policy, fsdp, world, device: policy)
    monkeypatch.setattr(runtime, "save", lambda *a, **k: None)
    monkeypatch.setattr(runtime, "all_reduce_sum", lambda t: t * 2)
    cpu = torch.device("cpu")
    for rank, world in ((0, 1), (0, 2), (1, 2)):
        args = train.get_args(["--stage", "sft", "--init", micro_ckpts["tiny-vita"], "--out", str(tmp_path / f"r{rank}"),
                               "--batch-size", "4", "--max-len", "40", "--eval-prompts", "0", "--quiet", "--steps", "1"])
        train.run_sft(args, weights.load_policy(args, cpu), samples, [], None, rank, world, cpu)
    one, r0, r1 = seen
    assert len(one) == 4 and len(r0) == len(r1) == 2 and sorted(r0 + r1) == sorted(one)
    assert records(tmp_path / "r0")[0]["sft_loss"] == pytest.approx(losses_seen[1], rel=1e-6)


def test_dpo_trains_on_fewer_pairs_than_its_batch_against_the_init_and_scores_the_init(micro_ckpts, toy_dir, samples,
                                                                                      tmp_path, monkeypatch):
    """DPO on 3 pairs (a stand-in for the sampled ones) with --batch-size 4: every step takes the 3; after
    the first update the policy has left its frozen reference, so step 2's margin is no longer 0; the
    summary scores the trained model and the --init beside it. Bug caught: a batch larger than the
    pairs refused (the sampler wants 4 of 3), the reference being the policy itself (margin 0 and loss
    log 2 forever), or the summary without its base row."""
    def pairs(policy, train_set, judge, args, rank, world, all_reduce):
        return [{"id": a.id, "prompt": policy.prompt(a), "chosen": policy.target(a.target_text, a.target_codes),
                 "rejected": policy.target(b.target_text, b.target_codes)} for a, b in zip(samples[:3], samples[3:6])]
    monkeypatch.setattr(dpo, "build_pairs", pairs)
    scripted(monkeypatch, [[3]])
    models = []
    monkeypatch.setattr(train.evaluate, "score_samples", lambda m, *a, **k: models.append(m) or {"accuracy": 0.5})
    out = tmp_path / "dpo"
    train.run(train.get_args(["--stage", "dpo", "--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir),
                              "--out", str(out), "--batch-size", "4", "--max-len", "40", "--eval-prompts", "1",
                              "--quiet", "--steps", "2", "--lr", "1e-3"]))
    one, two = records(out)
    assert one["dpo_margin"] == 0 and one["dpo_loss"] == pytest.approx(math.log(2))
    assert two["dpo_margin"] != 0
    assert set(json.loads((out / "summary.json").read_text())) == {"trained", "base"} and len(models) == 2


def test_a_dpo_run_stops_on_non_finite_updates_in_a_row(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """--stage dpo with every loss NaN (injected; pairs stood in): the second skipped update in a row ends
    the run in one line, as the hybrid and SFT stages do. Bug caught: DPO counting its skipped updates
    without the guard, so a diverged run carries on to the end and exits 0."""
    scripted(monkeypatch, [[3]])
    monkeypatch.setattr(dpo, "build_pairs", lambda *a, **k: [{"id": f"p{i}"} for i in range(4)])
    nan = float("nan")
    monkeypatch.setattr(dpo, "pair_loss", lambda policy, ref, pairs, args, device, forward=None: (
        sum(p.sum() for p in policy.parameters()) * nan, {"dpo_loss": nan, "dpo_accuracy": 0.0, "dpo_margin": 0.0}))
    out = tmp_path / "dpo"
    with pytest.raises(SystemExit) as e:
        train.run(train.get_args(["--stage", "dpo", "--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir),
                                  "--out", str(out), "--batch-size", "2", "--steps", "6", "--eval-prompts", "0",
                                  "--quiet", "--max-skipped-updates", "2"]))
    assert "2 updates in a row" in str(e.value.code) and [r["step"] for r in records(out)] == [1]


def test_grad_diagnostics_put_the_text_part_over_the_speech_part(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """--grad-diag-every 1 with GRPO and SFT on speech only and no text KL (--beta-text 0): the text part
    of the objective is exactly zero, so Appendix C's ratio ||g_text|| / ||g_speech|| is 0 and the cosine 0.
    Bug caught: the two parts handed to losses.grad_geometry swapped (the ratio infinite: null in the log)."""
    scripted(monkeypatch, [[5, 1, 3]])
    out = tmp_path / "diag"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "1", "--eval-prompts", "0",
                                   "--grad-diag-every", "1", "--rl-tokens", "speech", "--sft-tokens", "speech",
                                   "--beta-text", "0")))
    (r,) = records(out)
    assert r["grad_ratio"] == 0.0 and r["grad_cos"] == 0.0


def test_no_audio_boundaries_reaches_the_hybrid_rollouts(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """The same step sampled twice (same seed, weights and prompts), once with --no-audio-boundaries: the
    replies are the same, so the text tokens per reply are too, and only the speech count drops, by the
    <boa>/<eoa> the flag takes out of the modality masks. Bug caught: the rollout's masks built with the
    boundaries whatever the flag (both runs count the same speech tokens)."""
    lengths = {}
    for flag in ([], ["--no-audio-boundaries"]):
        scripted(monkeypatch, [[5, 1, 3]])
        out = tmp_path / f"run{len(flag)}"
        train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "1", "--eval-prompts", "0",
                                       *flag)))
        (r,) = records(out)
        lengths[bool(flag)] = (r["text_len"], r["speech_len"])
    assert lengths[True][0] == lengths[False][0] and lengths[True][1] < lengths[False][1]


def test_an_async_run_ends_with_no_rollout_held_for_a_next_step(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """--async-rollout over 2 steps: step 1 samples step 2's rollouts ahead, step 2 (the last) samples none,
    so the final checkpoint holds no rollout; a later --resume with more --steps samples step 3 afresh.
    Bug caught: the rollout taken from `ahead` left there, so the checkpoint keeps step 2's already
    trained-on replies and a resumed run trains on them again as step 3."""
    scripted(monkeypatch, [[5, 1, 3]])
    out = tmp_path / "async"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--eval-prompts", "0",
                                   "--async-rollout")))
    state = torch.load(out / "ckpt" / "train_state.pt", weights_only=False)
    assert state["step"] == 2 and state["rollout_ahead"] == [None]


def test_each_grpo_group_holds_its_own_prompts_replies(toy_dir, micro_ckpts, tmp_path, monkeypatch):
    """2 prompts x G = 3 scored 5, 1, 3 and 2, 4, (no score): step 1 is on policy with the reference equal
    to the policy, so each group's advantages over its scored replies sum to zero (1.22, -1.22, 0 and -1, 1)
    and the GRPO loss, a mean over groups of the mean -advantage, is 0. Bug caught: rows assigned to groups
    as 0, 1, 0, 1, ... (`repeat` for `repeat_interleave`): groups of 3 and 2 rows mixing the two prompts'
    advantages (1.22, 0, 1 and -1.22, -1) give a mean over groups of -0.19. (With every reply scored the
    mix-up cancels: equal groups make the mean over groups the mean over all rows.)"""
    scripted(monkeypatch, [[5, 1, 3, 2, 4, float("nan")]])
    out = tmp_path / "groups"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "1", "--eval-prompts", "0")))
    (r,) = records(out)
    assert r["reward_mean"] == pytest.approx(3.0) and r["grpo_loss"] == pytest.approx(0.0, abs=1e-5)


def test_grad_diagnostics_are_taken_at_the_weights_the_update_starts_from(toy_dir, micro_ckpts, tmp_path,
                                                                            monkeypatch):
    """Appendix C's gradient geometry of step 1 describes step 1's update, so it is taken at the init's
    weights, before the optimiser moves them (lr 3e-3 here: every step moves them). Bug caught: the
    geometry measured after the update, at weights one step on, on the step's batch."""
    from safetensors.torch import load_file
    init = load_file(os.path.join(micro_ckpts["tiny-vita"], "model.safetensors"))
    seen, geometry = [], train.losses.grad_geometry

    def watched(named, *parts, **kw):
        params = {k.removeprefix("net."): p for k, p in named}          # the policy wraps its Qwen2 as .net
        seen.append(max(float((params[k].detach() - v).abs().max()) for k, v in init.items() if k in params))
        return geometry(named, *parts, **kw)
    monkeypatch.setattr(train.losses, "grad_geometry", watched)
    scripted(monkeypatch, [[5, 1, 3]])
    out = tmp_path / "diag"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--eval-prompts", "0",
                                   "--grad-diag-every", "1", "--lr", "3e-3")))
    assert seen[0] == 0.0 and seen[1] > 0.0 and "grad_ratio" in records(out)[0]


def test_load_init_reads_a_checkpoint_in_the_dtype_asked_and_a_raw_vita_dir_by_its_missing_spoken_json(
        micro_ckpts, tmp_path, monkeypatch):
    """weights.load_init: an explicit dtype wins over --dtype (the reference is read straight into bf16 on
    GPUs, the policy stays float32); a directory with a transformers config.json but no spoken.json is a
    raw VITA-Audio checkpoint for --model vita (real.load_vita reads it) and no checkpoint at all for a
    tiny model. catches: the dtype argument ignored (a float32 reference on GPUs under --fsdp: a transient
    fp32 copy of the whole model), or a checkpoint recognised by config.json (a raw VITA-Audio dir sent to
    the spoken.json reader)."""
    import real
    cpu = torch.device("cpu")
    args = train.get_args(["--init", micro_ckpts["tiny-vita"]])
    assert args.dtype == "float32"
    ref = weights.load_init(args.init, args, cpu, torch.bfloat16)
    assert {p.dtype for p in ref.parameters()} == {torch.bfloat16}
    raw = tmp_path / "vita-raw"
    raw.mkdir()
    (raw / "config.json").write_text("{}")
    calls = []
    monkeypatch.setattr(real, "load_vita", lambda path, *rest: calls.append(path) or torch.nn.Linear(1, 1))
    vita = types.SimpleNamespace(model="vita", schedule=None, audio_tokenizer=None, audio_decoder=None, dtype="bfloat16")
    weights.load_init(str(raw), vita, cpu)
    assert calls == [str(raw)]
    with pytest.raises(SystemExit, match="not a checkpoint"):
        weights.load_init(str(raw), types.SimpleNamespace(model="tiny-vita", dtype="float32"), cpu)


def test_grad_checkpoint_reaches_a_built_policy_too():
    """--grad-checkpoint on a fresh SFT (a policy built, not loaded) recomputes its layers: in train mode
    the KV cache is dropped (model.cache_dropped); without the flag it is kept. catches: checkpointing
    enabled only for a policy loaded from --init."""
    cpu = torch.device("cpu")
    on = weights.load_policy(train.get_args(["--stage", "sft", "--model", "tiny-kimi", "--grad-checkpoint"]), cpu)
    off = weights.load_policy(train.get_args(["--stage", "sft", "--model", "tiny-kimi"]), cpu)
    assert on.train().cache_dropped() and not off.train().cache_dropped()


def test_adamw_second_step_uses_betas_0_9_and_0_95():
    """Two AdamW steps at lr 0.1 (warmup 1: both at the peak), gradients 1 then 3, no clipping. Step 1
    moves p by -0.1 (Adam's first step is lr * sign). Step 2, by hand with betas (0.9, 0.95):
    m_hat = (0.9 * 0.1 + 0.1 * 3) / (1 - 0.81) = 0.39 / 0.19, v_hat = 0.05 * (0.95 + 9) / (1 - 0.9025),
    so p = -0.1 - 0.1 * m_hat / sqrt(v_hat) = -0.19087 (torch's default betas give -0.19178).
    catches: AdamW built with other betas (torch's default 0.999 for the second moment)."""
    policy, p = holding([0.0])
    args = opt_args(grad_clip=100.0, warmup=1)
    opt, sched = weights.make_optimizer(policy, args)
    weights.optimiser_step(policy, opt, sched, (p * 1.0).sum(), args)
    assert p.item() == pytest.approx(-0.1, rel=1e-6)
    weights.optimiser_step(policy, opt, sched, (p * 3.0).sum(), args)
    m_hat, v_hat = 0.39 / 0.19, 0.05 * 9.95 / 0.0975
    assert p.item() == pytest.approx(-0.1 - 0.1 * m_hat / math.sqrt(v_hat), rel=1e-5)


def test_a_finite_loss_with_an_infinite_gradient_is_skipped():
    """loss = sum(sqrt(p)) at p = (0, 1) is finite (1) but its gradient at 0 is infinite: the update is
    skipped, the weights stay finite and unchanged, and the gradients are dropped.
    catches: only the loss checked for finiteness (AdamW then steps on inf/NaN gradients: NaN weights)."""
    policy, p = holding([0.0, 1.0])
    args = opt_args(warmup=1)
    opt, sched = weights.make_optimizer(policy, args)
    norm, skipped = weights.optimiser_step(policy, opt, sched, p.sqrt().sum(), args)
    assert skipped and not math.isfinite(norm)
    assert p.detach().tolist() == [0.0, 1.0] and p.grad is None


def test_a_run_shorter_than_its_warmup_warms_up_over_half_of_it_then_decays():
    """--warmup 10 over 4 updates: the warmup is cut to half the run (2 updates), so the factors are 0.5, 1,
    then the cosine 0.1 + 0.45 (1 + cos(pi k / 2)) for k = 0..2: 1, 0.55, 0.1 (the floor at the last).
    catches: the warmup capped at the whole run (the peak reached only at the last update, no decay)."""
    args = opt_args(steps=4, warmup=10)
    opt, sched = weights.make_optimizer(holding([0.0])[0], args)
    out = [sched.get_last_lr()[0] / args.lr]
    for _ in range(args.steps):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0] / args.lr)
    assert out == pytest.approx([0.5, 1.0, 1.0, 0.55, 0.1])


def test_a_reduction_over_ranks_leaves_the_callers_tensor_as_it_was(monkeypatch):
    """runtime.all_reduce_sum / all_reduce_max reduce a copy: the caller's tensor (a gate's
    reward sums, the update's non-finite flag) keeps its own rank's value. The collective is a
    stand-in for a second rank holding the same numbers, in place as dist.all_reduce works.
    Bug caught: the copy dropped (`t.to(device)` is t itself on the group's device), so every
    reduction would overwrite its input and a tensor reduced twice would be counted twice."""
    sum_op = runtime.dist.ReduceOp.SUM
    monkeypatch.setattr(runtime, "distributed", lambda: True)
    monkeypatch.setattr(runtime.dist, "get_backend", lambda: "gloo")
    # the other rank: the same numbers for the sum, each one higher for the max
    monkeypatch.setattr(runtime.dist, "all_reduce", lambda t, op: t.mul_(2) if op == sum_op else t.add_(1))
    mine = torch.tensor([1.5, -2.0])
    assert runtime.all_reduce_sum(mine).tolist() == [3.0, -4.0]
    assert mine.tolist() == [1.5, -2.0]
    assert runtime.all_reduce_max(mine).tolist() == [2.5, -1.0]
    assert mine.tolist() == [1.5, -2.0]


def test_a_plain_python_process_starts_no_process_group_and_gathers_alone(monkeypatch):
    """`python train.py` (no torchrun environment): rank 0 of 1 on the CPU, no process group started
    (init_process_group would wait for a MASTER_ADDR that is not there), and gather_objects hands back
    the one rank's object without a collective. catches: a group started for a world of 1, or the
    single-process shortcut of gather_objects lost (every checkpoint save calls it)."""
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    calls = []
    monkeypatch.setattr(runtime.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(runtime.dist, "init_process_group", lambda backend: calls.append(backend))
    monkeypatch.setattr(runtime.dist, "all_gather_object", lambda out, obj: calls.append("gather"))
    assert runtime.setup_distributed("cpu") == (0, 1, torch.device("cpu"))
    assert runtime.gather_objects({"rank": 0}, 1) == [{"rank": 0}] and calls == []


def test_waited_blocks_until_the_background_call_is_done():
    """runtime.waited(in_background(f)) returns once f has finished, with the seconds it waited: a 0.2 s
    call waited for from the start takes about 0.2 s. catches: waited returning at once (the step's judge
    wait logged as 0 and the result read before it exists)."""
    import time
    done = []
    future = runtime.in_background(lambda: (time.sleep(0.2), done.append(1)))
    waited = runtime.waited(future)
    assert done == [1] and future.done() and 0.1 < waited < 5.0


def test_a_save_that_fails_at_its_last_rename_leaves_the_previous_checkpoint_on_disk(tmp_path, monkeypatch):
    """Bug caught: the previous checkpoint deleted (rmtree) instead of renamed to PATH.old ->
    a save that fails at its last rename leaves no checkpoint at all."""
    m = micro_model("tiny-vita")
    opt = torch.optim.AdamW(m.parameters())
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1.0)
    shards, gen, path = runtime.Shards(8, 2, 0, 1, 0), torch.Generator(), str(tmp_path / "ckpt")
    runtime.save(path, m, opt, sched, shards, gen, 1, 0, 1)
    replace = os.replace

    def fail_last(src, dst):
        if src == path + ".tmp":                      # the checkpoint's last rename, not model.save's own
            raise OSError("disk full")
        return replace(src, dst)
    monkeypatch.setattr(os, "replace", fail_last)
    with pytest.raises(OSError):
        runtime.save(path, m, opt, sched, shards, gen, 2, 0, 1)
    monkeypatch.undo()
    kept = [d for d in (path, path + ".old") if os.path.exists(os.path.join(d, "train_state.pt"))]
    assert kept and torch.load(os.path.join(kept[0], "train_state.pt"), weights_only=False)["step"] == 1


def test_a_judge_that_answers_nothing_stops_the_run_after_max_judge_outage_steps(toy_dir, micro_ckpts, tmp_path):
    """Every call refused (nothing listens at the URL): the run stops after --max-judge-outage 2 steps in
    a row, with one line naming --judge-url, its two records logged; --max-judge-outage 0 runs on, as SFT
    alone. Bug caught: a judge that answers nothing ending in success (a final model trained without a
    reward, exit 0), the count not reset, or the limit off by one."""
    dead = ["--judge-url", "http://127.0.0.1:9/v1/chat/completions", "--judge-retries", "0", "--eval-prompts", "0"]
    out = tmp_path / "dead"
    with pytest.raises(SystemExit) as stop:
        train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "4",
                                       "--max-judge-outage", "2", *dead)))
    said = str(stop.value.code)
    assert "every judge call failed on 2 steps" in said and "--judge-url http://127.0.0.1:9" in said
    assert [r["step"] for r in records(out)] == [1, 2] and all(r["judge_failures"] == r["judge_calls"] > 0
                                                               for r in records(out))
    out = tmp_path / "on"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "3", "--max-judge-outage", "0",
                                   *dead)))
    assert [r["step"] for r in records(out)] == [1, 2, 3]
    outage = reward.JudgeOutage(2)
    for calls, failures in ((6, 6), (6, 5), (6, 6)):           # a step with one answer resets the count
        outage.update(calls, failures, 1, "u", {})
    with pytest.raises(SystemExit):
        outage.update(6, 6, 4, "u", {"ConnectionRefusedError": 6})
