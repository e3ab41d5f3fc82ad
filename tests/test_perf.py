"""Issue 12: the judge bill (axis schedule), the emulated API latency, the overlapped judge."""
import json
import os
import math
import re
import sys
import threading

import pytest
import requests
import torch

import model as models
import objective
import reward
import train
from test_train import records, small


@pytest.fixture()
def counting_judge():
    """A fresh local judge whose /stats counts the requests it served."""
    import judge
    server = judge.make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield base + "/v1/chat/completions", (lambda: requests.get(base + "/stats", timeout=5).json()["requests"])
    server.shutdown()
    server.server_close()


def test_axis_schedule_asks_logging_axes_on_step_one_and_every_nth():
    """Hand-worked: N=10 asks all three axes on steps 1, 11, 21 only; split mode asks its two
    axes every step and never holistic; --no-log-axes and N=0 never log. Bug: an off-by-one
    (steps 10, 20), or 'all' asked in split mode where holistic feeds nothing."""
    args = train.get_args([])
    assert args.log_axes_every == 10
    assert [s for s in range(1, 31) if reward.judge_mode(s, args) == "all"] == [1, 11, 21]
    assert {reward.judge_mode(s, args) for s in range(1, 31)} == {"all", "holistic"}
    assert {reward.judge_mode(s, train.get_args(["--reward-mode", "split"])) for s in range(1, 31)} == {"split"}
    assert {reward.judge_mode(s, train.get_args(["--no-log-axes"])) for s in range(1, 31)} == {"holistic"}
    assert {reward.judge_mode(s, train.get_args(["--log-axes-every", "0"])) for s in range(1, 31)} == {"holistic"}
    assert [s for s in range(1, 8) if reward.judge_mode(s, train.get_args(["--log-axes-every", "3"])) == "all"] == [1, 4, 7]


def test_default_job_bill_is_at_least_2_5x_smaller():
    """The default job (holistic reward): 3 calls per reply before, 1 + 2/10 after (steps 1, 11, ...).
    Bug: the schedule logs every step (3x) or the reward's axis goes missing on some steps."""
    args = train.get_args([])
    per_reply = sum({"all": 3, "holistic": 1}[reward.judge_mode(s, args)] for s in range(1, args.steps + 1))
    assert per_reply == args.steps + 2 * math.ceil(args.steps / 10)
    assert 3 * args.steps / per_reply >= 2.5


def test_schedule_in_a_run_counts_calls_and_keeps_the_reward(toy_dir, micro_ckpts, counting_judge, tmp_path):
    """3 steps, 2 prompts x G=3, --log-axes-every 2: the server sees 18 + 6 + 18 requests, the
    metrics say so step by step (judge_calls, logged_axes, null semantic/acoustic means on step 2),
    summary.json totals them, and the training signal is the same as logging every step.
    Bug: the calls counted client-side disagree with what the server served, the summary
    misses the bill, or skipping the logging axes changes the rewards or the update."""
    url, served = counting_judge
    sparse, dense = tmp_path / "sparse", tmp_path / "dense"
    common = ["--steps", "3", "--judge-url", url, "--eval-prompts", "0", "--beta-text", "0.05"]
    before = served()
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], sparse, *common, "--log-axes-every", "2")))
    assert served() - before == 18 + 6 + 18
    rows = records(sparse)
    assert [r["judge_calls"] for r in rows] == [18, 6, 18]
    assert [r["logged_axes"] for r in rows] == [True, False, True]
    assert rows[1]["semantic_mean"] is None and rows[1]["acoustic_mean"] is None
    assert rows[0]["semantic_mean"] is not None and rows[2]["acoustic_mean"] is not None
    summary = json.loads((sparse / "summary.json").read_text())
    assert summary["judge"]["calls"] == 42 and summary["judge"]["logged_steps"] == 2
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], dense, *common, "--log-axes-every", "1")))
    for a, b in zip(rows, records(dense)):
        for key in ("reward_mean", "reward_std", "lambda", "sft_loss", "grpo_loss", "kl_text", "grad_norm"):
            assert a[key] == b[key], (a["step"], key)
    assert [r["judge_calls"] for r in records(dense)] == [18, 18, 18]


# ---------------------------------------------------------------- the emulated API latency

def test_emulated_latency_is_seeded_and_spread_as_stated():
    """Over 4,000 distinct requests the delay stays in latency * (1 -+ jitter), averages the
    latency, fills the range, repeats for the same request and seed, and moves with the seed.
    Bug: jitter applied in seconds rather than as a fraction, a one-sided spread (mean off),
    or a delay drawn from an unseeded global RNG."""
    import judge
    bodies = [f"request {i}".encode() for i in range(4000)]
    d = torch.tensor([judge.emulated_latency(2.0, 0.25, b, seed=0) for b in bodies], dtype=torch.float64)
    assert d.min() >= 1.5 and d.max() <= 2.5
    assert abs(float(d.mean()) - 2.0) < 0.02                 # sd of the mean: 0.29 / sqrt(4000) = 0.005
    assert d.min() < 1.52 and d.max() > 2.48                 # the whole range is used
    assert judge.emulated_latency(2.0, 0.25, bodies[7], seed=0) == float(d[7])
    assert judge.emulated_latency(2.0, 0.25, bodies[7], seed=1) != float(d[7])
    assert judge.emulated_latency(2.0, 0.0, bodies[7]) == 2.0 and judge.emulated_latency(0.0, 0.25, bodies[7]) == 0.0


def test_local_judge_with_latency_answers_after_about_that_long():
    """`judge.py serve --latency 0.5 --latency-jitter 0` through LocalJudge: a call takes at
    least 0.5 s (loose upper bound: a loaded machine). Bug: the flag is not passed to the
    subprocess, or the server sleeps outside the request (no delay seen by the client)."""
    import time

    import judge
    import reward
    from test_reward import item
    with judge.LocalJudge(latency=0.5, jitter=0.0) as local:
        client = reward.JudgeClient(local.url, concurrency=4)
        t0 = time.perf_counter()
        res = client.score([item() for _ in range(4)], mode="holistic")
        seconds = time.perf_counter() - t0
        client.close()
    assert res.rewards == [5.0] * 4
    assert 0.5 <= seconds < 5.0


def test_bad_latency_flags_are_refused():
    """Bug: a negative latency reaches time.sleep in the server thread (ValueError per request)."""
    import judge
    with pytest.raises(ValueError, match="latency"):
        judge.make_server("127.0.0.1", 0, latency=-1.0)
    with pytest.raises(SystemExit):
        train.get_args(["--judge-latency", "-1"])


# ---------------------------------------------------------------- the overlapped judge

def grads_of(policy):
    return {n: p.grad.clone() for n, p in policy.named_parameters() if p.grad is not None}


def test_overlapped_gradient_equals_the_whole_objective(micro_ckpts, samples):
    """Eq. 8's gradient two ways on one batch (beta > 0, lambda 0.37, rewards with a tie group):
    one backward of (1 - lam) L_SFT + lam L_GRPO, vs the SFT rows' backward first, scaled by
    (1 - lam), then lam L_GRPO's added, its forward taken before lambda is known. Same loss
    value and gradients to float tolerance. Bug: the SFT gradient left unscaled or scaled by
    lam, zero_grad between the two backward passes, the early path slicing the SFT rows at the
    rollout rows' temperatures, the early forward's log-probs detached (no GRPO gradient), or
    grpo_after_rewards running the rollout rows' forward again though handed the early one's
    log-probs (the same numbers, one forward of B*G rows wasted on every overlapped step).
    Both paths read one UpdateBatch, so a temperature wrong inside build_update_batch is
    test_wiring's to catch (test_sft_is_the_teacher_forced_mean_...)."""
    import losses
    import model as M
    import rollout
    args = train.get_args(["--init", "unused", "--beta-text", "0.05", "--beta-speech", "0.02", "--group-size", "3",
                           "--temperature", "0.8"])
    policy, ref = M.load_model(micro_ckpts["tiny-vita"]), M.load_model(micro_ckpts["tiny-vita"]).eval()
    chosen = samples[:3]
    batch = rollout.sample(policy, chosen, 3, 0.8, 1.0, 32, torch.Generator().manual_seed(1))
    ub = objective.build_update_batch(policy, ref, batch, chosen, args, torch.device("cpu"))
    R = torch.tensor([[1.0, 3.0, 5.0], [2.0, 2.0, 2.0], [4.0, 1.0, 2.0]])
    adv, usable = (t.flatten() for t in losses.advantages(R))
    group, lam = torch.arange(3).repeat_interleave(3), 0.37
    policy.train()
    whole = objective.hybrid_objective(policy, ub, adv, usable, group, lam, args)
    whole[0].backward()
    expected = grads_of(policy)
    policy.zero_grad(set_to_none=True)
    sft = objective.sft_backward_early(policy, ub, policy)
    logp = objective.grpo_forward_early(policy, ub, policy)      # before the rewards, as train.py does
    runs, inner = [], policy.run
    policy.run = lambda *a, **k: runs.append(1) or inner(*a, **k)
    split = objective.grpo_after_rewards(policy, ub, sft, adv, usable, group, lam, args, policy, logp)
    del policy.run
    assert runs == []                                           # the early forward is used, not run again
    split[0].backward()
    got = grads_of(policy)
    assert float(split[0].detach()) == pytest.approx(float(whole[0].detach()), rel=1e-6)
    assert float(split[1].detach()) == pytest.approx(float(whole[1].detach()), rel=1e-6)
    assert expected.keys() == got.keys() and len(got) > 10
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], atol=1e-7, rtol=1e-5, msg=name)
    assert any(float(g.abs().max()) > 0 for g in got.values())


@pytest.mark.parametrize("extra", [[], ["--ppo-epochs", "2", "--grad-diag-every", "2"]], ids=["default", "ppo2"])
def test_overlapped_run_trains_the_same_model(toy_dir, micro_ckpts, judge_url, tmp_path, extra):
    """3 steps with --overlap-judge on and off: the same metrics and the same final weights to
    float tolerance (with --ppo-epochs 2 the second epoch runs whole). Bug: the early SFT
    backward sees gradients of the previous step (no zero_grad), the overlapped epoch is
    repeated, or the reference log-probs are taken after an update."""
    from test_train import saved_weights
    common = ["--steps", "3", "--judge-url", judge_url, "--eval-prompts", "0", "--beta-text", "0.05", *extra]
    on, off = tmp_path / "on", tmp_path / "off"
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], on, *common, "--overlap-judge", "on")))
    train.run(train.get_args(small(toy_dir, micro_ckpts["tiny-vita"], off, *common, "--overlap-judge", "off")))
    for a, b in zip(records(on), records(off)):
        for key in ("reward_mean", "lambda", "sft_loss", "grpo_loss", "kl_text", "grad_norm", "skipped_updates"):
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-7), (a["step"], key)
        if "grad_ratio" in b:
            assert a["grad_ratio"] == pytest.approx(b["grad_ratio"], rel=1e-4)
    wa, wb = saved_weights(on / "final"), saved_weights(off / "final")
    assert wa.keys() == wb.keys()
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], atol=1e-6, rtol=1e-5, msg=k)
    assert any(not torch.equal(wa[k], saved_weights(micro_ckpts["tiny-vita"])[k]) for k in wa)   # it did train


def test_two_ranks_overlapped_give_the_gradients_of_one_process_whole(toy_dir, micro_ckpts, tmp_path):
    """DDP: 2 ranks x 2 prompts with the overlapped step (SFT backward under no_sync, scaled,
    then the GRPO backward that syncs) vs 1 process x 4 prompts with one whole backward.
    Bug: the GRPO backward also kept local (no sync at all: each rank steps on its own
    gradient), or the SFT scaling skipped for gradients DDP keeps in its buckets."""
    import os

    from conftest import ROOT
    from test_train import torchrun
    script = os.path.join(ROOT, "tests", "dist_check.py")
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    torchrun(1, script, str(one), micro_ckpts["tiny-vita"], str(toy_dir))
    torchrun(2, script, str(two), micro_ckpts["tiny-vita"], str(toy_dir), "--overlap")
    single = torch.load(one / "rank0.pt")
    r0, r1 = torch.load(two / "rank0.pt"), torch.load(two / "rank1.pt")
    assert r0["lam"] == r1["lam"] == pytest.approx(single["lam"], abs=1e-12) and 0 < single["lam"] < 1
    for name, g in single["grads"].items():
        torch.testing.assert_close(r0["grads"][name], g, atol=1e-6, rtol=1e-4, msg=name)
        torch.testing.assert_close(r1["grads"][name], g, atol=1e-6, rtol=1e-4, msg=name)


def test_overlap_auto_is_off_only_for_the_local_judge_on_cpu():
    """Bug: auto overlaps the local judge on CPU (measured slower: the judge scores on the cores
    the backward needs), or never overlaps a remote judge."""
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert not reward.overlap_judge(train.get_args([]), cpu)
    assert reward.overlap_judge(train.get_args(["--judge-url", "http://x/v1/chat/completions"]), cpu)
    assert reward.overlap_judge(train.get_args([]), cuda)
    assert reward.overlap_judge(train.get_args(["--overlap-judge", "on"]), cpu)
    assert not reward.overlap_judge(train.get_args(["--overlap-judge", "off", "--judge-url", "http://x"]), cuda)


def test_bench_train_loop_sections_read_the_data_bench_was_given(toy_dir, micro_ckpts, judge_url, tmp_path,
                                                                  monkeypatch):
    """bench's overlap and trl sections run train.py's loop on the directory of bench's --data.
    Bug caught: run_steps without --data-dir, so train.py builds data/toy in the project (40 s
    on 2 cores) and times other prompts than the rest of bench."""
    import bench
    parsed = []
    real = train.get_args
    monkeypatch.setattr(train, "get_args", lambda argv=None: parsed.append(real(argv)) or parsed[-1])
    rows = bench.run_steps(micro_ckpts["tiny-vita"], str(tmp_path / "run"),
                           ["--batch-size", "2", "--group-size", "2", "--max-len", "16", "--judge-url", judge_url],
                           steps=1, data=str(toy_dir / "eval.jsonl"))
    assert len(rows) == 1 and parsed[-1].data_dir == str(toy_dir)
    assert bench.data_dir_flags(str(tmp_path / "elsewhere" / "eval.jsonl")) == []   # no train.jsonl beside it


def test_memory_plan_by_hand_with_and_without_fsdp_and_checkpointing():
    """memory.plan on a toy config worked by hand: h 4, I 8, 2 heads of which 1 kv (kv width
    2), vocab 10, 2 main layers. A layer is q (16 + 4) + k, v (2 x (8 + 2)) + o 16 + MLP 3 x 32 + 2
    norms = 160 parameters; the main path 2 x 10 x 4 + 4 + 2 x 160 = 404. One prompt a rank, G = 3:
    4 rows of 5 prompt + 7 reply tokens. Activations: 120 B per token and layer (2 B x (4h + h +
    2 kv + h + 4I)); with checkpointing each row runs its own prompt, 48 tokens x (2 layers x 2h x
    2 B + 120) = 6,528, without it 33 tokens x 2 layers x 120 = 7,920; the 28 reply logits 28 x 10
    x 8 B = 2,240 either way. AdamW's step holds a copy of the weights in their dtype (8 B of state
    a parameter: bf16, 2 B), sharded like them: 404 under FSDP over 2. With float32 state (16 B, a
    4 B copy: 1,616) and the smallest step, G = 1 and 1-token prompt and reply without
    checkpointing (3 tokens x 2 layers x 120 + 2 logits x 80 = 880 B of activations), that copy
    is the peak without FSDP: 6,464 + 808 + 1,616. Bug caught: the state sharded without FSDP (DDP holds all of it), a rollout
    gather counted without FSDP, the shared prompt counted once a row under checkpointing (or
    once a prompt without it), or AdamW's temporary left out (the H200 measured it as the peak at
    short replies)."""
    import memory
    c = dict(vocab=10, hidden=4, intermediate=8, heads=2, kv_heads=1, main_layers=2, mtp_layers=1)
    assert memory.boost_params(c)["main"] == 404
    fsdp = memory.plan(c, 2, 1, 3, 5, 7, 8, checkpoint=True, fsdp=True)
    assert (fsdp["state"], fsdp["reference"], fsdp["gathered"], fsdp["optimizer"]) == (8 * 404 / 2, 404, 808, 404)
    assert fsdp["activations"] == 6528 + 2240 and fsdp["total"] == 1616 + 404 + 8768
    plain = memory.plan(c, 2, 1, 3, 5, 7, 8, checkpoint=True, fsdp=False)
    assert (plain["state"], plain["reference"], plain["gathered"], plain["total"]) == (3232, 808, 0, 3232 + 808 + 8768)
    assert memory.plan(c, 2, 1, 3, 5, 7, 8, checkpoint=False)["activations"] == 7920 + 2240
    short = memory.plan(c, 2, 1, 1, 1, 1, 16, checkpoint=False, fsdp=False)
    assert (short["activations"], short["optimizer"], short["total"]) == (880, 1616, 6464 + 808 + 1616)


def test_glm4voice_encoder_size_against_transformers_whisper_encoder():
    """memory.whisper_vq_elements on a small config against an independent count: transformers'
    own WhisperEncoder with as many layers, less its final LayerNorm (GLM-4-Voice's
    quantize_encoder_only keeps none), plus what Whisper-VQ adds: the pooled frames' position
    table (ceil(12 / 5) = 3 rows), the 7-code book and its EMA buffers (a count per code and a
    copy of the book). At GLM-4-Voice's config: 364,587,264 elements, 1.36 GiB in float32. Bug
    caught: k_proj counted with a bias, a LayerNorm or conv bias missed, the final norm counted,
    the pooled table's rows floored, or the codebook's EMA buffers (in the checkpoint, loaded to
    the GPU) left out."""
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    import memory
    stock = WhisperEncoder(WhisperConfig(d_model=8, encoder_layers=3, encoder_attention_heads=2, encoder_ffn_dim=16,
                                         num_mel_bins=5, max_source_positions=12))
    whisper = sum(p.numel() for p in stock.parameters()) - stock.layer_norm.weight.numel() - stock.layer_norm.bias.numel()
    c = dict(d_model=8, ffn=16, layers=3, mel_bins=5, positions=12, pooling=5, codes=7)
    assert memory.whisper_vq_elements(c) == whisper + 3 * 8 + 7 * 8 + (7 + 7 * 8)
    assert memory.whisper_vq_elements() == 364_587_264
    sizes = memory.glm4voice_bytes()
    assert sizes["decoder"] == 445_171_500 + 4 * 20_460_591 and sizes["encoder"] == 4 * 364_587_264


def test_the_plan_holds_the_speech_decoder_through_every_phase_of_a_step():
    """The codec's bytes sit on every GPU beside the state whichever phase peaks: added once to the
    total, not sharded, not inside the max. Worked on the hand-worked config above (FSDP over 2,
    checkpointing: 1,616 + 404 + max(808, 8,768, 404) = 10,788). Bug caught: the decoder counted
    inside the max (lost where the activations peak), divided by the GPUs, or its default not 0
    (bench_gpu's stand-ins speak through the toy codec)."""
    import memory
    c = dict(vocab=10, hidden=4, intermediate=8, heads=2, kv_heads=1, main_layers=2, mtp_layers=1)
    assert memory.plan(c, 2, 1, 3, 5, 7, 8, checkpoint=True)["total"] == 10788
    assert memory.plan(c, 2, 1, 3, 5, 7, 8, checkpoint=True, codec=1000)["total"] == 11788
    four = [memory.plan(c, 4, 1, 3, 5, 7, 8, checkpoint=True, codec=codec)["total"] for codec in (0, 1000)]
    assert four[1] - four[0] == 1000


@pytest.mark.parametrize("flag, value", [("--prompts", "0"), ("--group", "1"), ("--latency", "-1"),
                                         ("--new-tokens", "0"), ("--scoring-rows", "-1"), ("--threads", "0"),
                                         ("--trl-rounds", "0"), ("--max-len-memory", "0"), ("--memory-prompts", "0"),
                                         ("--memory-layers", "0"), ("--memory-reply", "0")])
def test_bench_refuses_a_flag_out_of_range_with_one_line(flag, value, capsys):
    """Bug caught: a group of one reaching the trl section's GRPO (no advantage), 0 threads in
    torch.set_num_threads, or a stand-in of 0 layers written for minutes before failing; each ends
    at start with one line naming the flag (the `memory` section, which reads no data, is named)."""
    import bench
    with pytest.raises(SystemExit) as stop:
        bench.main(["--only", "memory", flag, value])
    err = capsys.readouterr().err.strip().splitlines()
    shown = float(value) if flag == "--latency" else value           # a float flag prints as one
    assert stop.value.code == 2 and err[-1].endswith(f"{flag} {shown}: out of range")


def test_bench_memory_section_runs_with_its_documented_edges(capsys):
    """The documented edges stay accepted (0 scoring rows skips that part, latency 0), and the
    arithmetic prints its table. Bug caught: the range checks off by one."""
    import bench
    bench.main(["--only", "memory", "--scoring-rows", "0", "--latency", "0", "--group", "2"])
    assert "4 x 80 GB, with checkpointing" in capsys.readouterr().out


def test_bench_sampler_paths_times_both_weight_paths_and_each_backend(toy_dir, tmp_path, capsys):
    """bench --only sampler-paths on the CPU (real.py's small stand-in): the plain weights (decoding
    directly, and each step through the forward), each SDPA backend forced (a figure, or "not available" where the CPU has none), and --fsdp's gathered
    weights, each with its ms a token; the decode steps' SDPA calls named on the plain path; after
    it, no process group and torch's own SDPA again. Bugs caught: the spy left in place of torch's
    function, the group of one left behind, a forced backend's refusal ending the section."""
    import bench
    sdpa = torch.nn.functional.scaled_dot_product_attention
    bench.main(["--only", "sampler-paths", "--memory-reply", "6", "--memory-prompts", "1",
                "--memory-dir", str(tmp_path), "--data", str(toy_dir / "eval.jsonl")])
    out = capsys.readouterr().out.splitlines()
    lines = {line.split("  ")[1].strip(): line for line in out if line.startswith("  ")}
    assert set(lines) == {"plain (torch.bfloat16)", "plain, each step a forward", "plain, FLASH_ATTENTION forced",
                          "plain, EFFICIENT_ATTENTION forced", "plain, CUDNN_ATTENTION forced", "plain, MATH forced",
                          "--fsdp, gathered"}
    layers = models.build_model("tiny-vita").net.config.num_hidden_layers       # the small stand-in's main path
    decode_calls = 5 * layers           # the recorded rollout's 5 forwards (the 6th token's never runs) x layers
    assert f"layers run directly  decode steps' SDPA calls: MATH {decode_calls};" in lines["plain, MATH forced"]
    for label in ("plain (torch.bfloat16)", "plain, each step a forward"):     # decoding directly or not
        assert re.search(rf"SDPA calls: \w+ {decode_calls};", lines[label]), label
    assert "ms a token, layers run directly " in lines["plain (torch.bfloat16)"]
    assert "ms a token, forward " in lines["plain, each step a forward"]
    assert "ms a token, layers run directly " in lines["--fsdp, gathered"]
    assert "ms a token" in lines["--fsdp, gathered"] and "ms a token" in lines["plain (torch.bfloat16)"]
    assert all("ms a token" in line or "not available" in line for line in lines.values())
    assert torch.nn.functional.scaled_dot_product_attention is sdpa and not torch.distributed.is_initialized()
    assert list(tmp_path.iterdir()) == []           # the stand-in and its toy data went with the temporary folder


def test_bench_memory_gpu_reports_each_step_against_the_arithmetic_for_the_shape_it_ran(tmp_path, capsys,
                                                                                      monkeypatch):
    """bench --only memory-gpu's report, on the CPU: CUDA, the Boost-size stand-in and train.py's
    steps are stand-ins (one step that ran 136 + 256 tokens at --max-len 768, 34.4 GiB peak). The bf16
    line sets it against the arithmetic for 136 + 256 tokens, 34.3 GiB (state 22.9 + reference 5.7 +
    AdamW's step 5.7, its largest term), not for --max-len's 768 (40.3). Bugs caught: the arithmetic
    taken at --max-len rather than at the widths the step ran, or the report failing on a GPU after
    its minutes of device time."""
    import types
    import bench
    import real
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: types.SimpleNamespace(total_memory=140 * 2 ** 30))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: "a stand-in GPU")
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    monkeypatch.setattr(real, "boost_standin", lambda path, layers, device: os.makedirs(path) or path)
    step = {"step": 1, "prompt_width": 136, "reply_width": 256, "gpu_peak_gib": 34.4, "gpu_held_gib": 28.7,
            "time_rollout": 1.0, "time_update": 0.5}
    monkeypatch.setattr(bench, "run_steps", lambda *a, **k: [step])
    bench.main(["--only", "memory-gpu", "--memory-layers", "8", "--memory-reply", "768", "--memory-dir", str(tmp_path)])
    bf16 = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("    bf16, no FSDP, step 1"))
    assert "peak 34.4 GiB measured vs 34.3 by arithmetic (1.00x; its largest term AdamW's step 5.7)" in bf16


def test_bench_trl_times_trl_with_and_without_its_checkpointing_against_ours(toy_dir, monkeypatch, capsys):
    """bench --only trl with TRL, datasets and the clock stood in: TRL's step takes 2.0 s with its default
    gradient checkpointing and 1.5 s without, ours 1.2 s. Each round runs TRL both ways at the stated shape
    (G, 96-token replies, beta 0.01) and the two ratios are 0.60x and 0.80x. Bugs caught: both TRL runs
    with checkpointing on (or both off), the two TRL lists swapped in the report, a ratio taken the wrong
    way up, or TRL's warm-up step counted."""
    import importlib.machinery
    import types
    import bench
    configs, now = [], [0.0]

    class Trainer:
        def __init__(self, model, reward_funcs, args, train_dataset, processing_class, callbacks):
            self.args, self.callbacks = args, callbacks
            configs.append(args)

        def train(self):
            for step in range(self.args.max_steps):
                for c in self.callbacks:
                    c.on_step_begin()
                now[0] += 0.1 if step == 0 else 2.0 if self.args.gradient_checkpointing else 1.5   # 0.1: the warm-up
                for c in self.callbacks:
                    c.on_step_end()
    trl = types.ModuleType("trl")
    trl.__spec__ = importlib.machinery.ModuleSpec("trl", None)
    trl.__version__, trl.GRPOConfig, trl.GRPOTrainer = "0-stand-in", types.SimpleNamespace, Trainer
    datasets = types.ModuleType("datasets")
    datasets.fingerprint = types.SimpleNamespace(Hasher=types.SimpleNamespace(hash=None))
    datasets.Dataset = types.SimpleNamespace(from_dict=lambda d: d)
    monkeypatch.setitem(sys.modules, "trl", trl)
    monkeypatch.setitem(sys.modules, "datasets", datasets)
    monkeypatch.setattr(bench, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    ours = [{"time_rollout": 0.1, "time_judge_wait": 0.0, "time_update": 0.0}] + \
        [{"time_rollout": 0.6, "time_judge_wait": 0.1, "time_update": 0.5}] * 7
    monkeypatch.setattr(bench, "run_steps", lambda *a, **k: ours)
    bench.main(["--only", "trl", "--data", str(toy_dir / "eval.jsonl"), "--trl-rounds", "2", "--group", "3"])
    assert [c.gradient_checkpointing for c in configs] == [True, False, True, False]
    assert all(c.num_generations == 3 and c.max_completion_length == 96 and c.beta == 0.01 for c in configs)
    out = capsys.readouterr().out
    assert re.search(r"its defaults \(gradient checkpointing on\) +2\.00 s, median 2\.00 s", out)
    assert re.search(r"gradient checkpointing off, as ours +1\.50 s, median 1\.50 s", out)
    assert "ratio ours / TRL (its defaults): 0.60x fastest, 0.60x median  (target <= 0.8)" in out
    assert "ratio ours / TRL without checkpointing: 0.80x fastest, 0.80x median" in out
