"""train.py end to end: the default loop, metrics, resume, DDP / FSDP, the base, DPO."""
import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch

import train
from conftest import ROOT

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
    assert set(summary) == {"base", "trained"} and "semantic" in summary["trained"]


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
    for ra, rb in zip(a, b):
        for key in ("lambda", "lambda_raw", "reward_mean", "sft_loss", "grpo_loss", "kl_text", "text_len"):
            assert ra[key] == pytest.approx(rb[key], rel=1e-6, abs=1e-7), (ra["step"], key)


def torchrun(n, *cmd, cwd=ROOT, timeout=300):
    """Run under torchrun in its own process group, so a hang is killed whole."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ROOT}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n)]
    proc = subprocess.Popen(launcher + list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"torchrun timed out after {timeout}s:\n{out[-2000:]}{err[-2000:]}")
    assert proc.returncode == 0, out[-3000:] + err[-3000:]


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
    out = tmp_path / "ddp"
    torchrun(2, os.path.join(ROOT, "train.py"), *small(toy_dir, micro_ckpts["tiny-kimi"], out, "--steps", "2"))
    rows = records(out)
    assert [r["step"] for r in rows] == [1, 2] and rows[0]["usable_groups"] <= 4
    state = torch.load(out / "ckpt" / "train_state.pt", weights_only=False)
    assert len(state["rng"]) == 2                            # every rank's sampling state is saved
    assert (out / "final" / "model.safetensors").exists()


def test_missing_base_is_built_with_the_sft_stage(toy_dir, tmp_path, monkeypatch, judge_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(train.STAGE_DEFAULTS["sft"], "steps", 2)
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
    for ra, rb in zip(a, b):
        for key in ("lambda", "sft_loss", "grpo_loss", "kl_text"):
            assert ra[key] == pytest.approx(rb[key], rel=1e-6, abs=1e-7), (ra["step"], key)


def test_an_unreachable_judge_is_reported_and_training_goes_on(toy_dir, micro_ckpts, tmp_path, capsys):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1/chat/completions"   # nothing listens once closed
    out = tmp_path / "dead"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], out, "--steps", "2", "--judge-url", dead,
                                   "--judge-retries", "0", "--eval-prompts", "0")))
    rows = records(out)
    assert [r["judge_failures"] for r in rows] == [18, 18]         # 2 prompts x G=3 x 3 axes, every one missing
    assert all(r["usable_groups"] == 0 and r["lambda"] == 0.0 for r in rows)
    assert all(r[k] is None for r in rows for k in ("reward_mean", "reward_std", "reward_max", "semantic_mean"))
    said = capsys.readouterr()
    assert (said.out + said.err).count("judge calls failed") == 1
