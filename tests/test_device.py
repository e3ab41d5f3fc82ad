"""Device placement without a GPU: every tensor that meets the model is on the model's device.

Under `with torch.device("meta")` every tensor created without an explicit device is a meta
tensor, so one that reaches the (CPU) model, or is mixed with its outputs, raises. That is
the class of bug that crashes a CUDA run at its first rollout (prompts, the growing attention
mask or the sampling randomness built on the default device).
"""
import os

import pytest
import torch

import analyses
import eval as ev
import gate as gates
import losses
import objective
import rollout
import reward
import runtime
import train
import weights
from conftest import micro_model


class ScoreByLength:
    """A judge stand-in: holistic / semantic / acoustic scores from the transcript length."""

    def score(self, items, mode="all", semantic_weight=0.5):
        s = [1 + len(it.transcript) % 5 for it in items]
        a = [1 + (len(it.transcript) * 3) % 5 for it in items]
        from types import SimpleNamespace
        return SimpleNamespace(scores={"semantic": s, "acoustic": a, "holistic": s}, rewards=s,
                               stats={"failures": 0, "calls": len(items), "retries": 0, "seconds": 0.0, "errors": {}})


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_rollouts_a_hybrid_step_and_eval_use_the_model_device_not_the_default(name, samples, tmp_path):
    """Bug: a tensor created on the default device (the attention mask grown per token, the
    sampling uniforms, the grammar state, a metric or reward tensor) meets a model elsewhere."""
    policy = micro_model(name)
    device = torch.device("cpu")
    args = train.get_args(["--init", str(tmp_path), "--batch-size", "2", "--group-size", "2", "--max-len", "24",
                           "--beta-text", "0", "--beta-speech", "0", "--repetition-penalty", "1.2", "--top-k", "50"])
    opt, sched = weights.make_optimizer(policy, args)
    judge, base = ScoreByLength(), micro_model(name, seed=1)
    chunk, G = samples[:2], args.group_size
    with torch.device("meta"):
        keys = [rollout.stream_seed(0, 0, i, g) for i in range(2) for g in range(G)]
        batch = rollout.sample(policy, chunk, G, keys=keys, **rollout.sampling_kwargs(args))
        res = judge.score(reward.rollout_items(batch))
        R = losses.nan_rewards(reward.pick_rewards(res, args), (len(chunk), G))
        adv, usable = (x.flatten().to(device) for x in losses.advantages(R))
        group = torch.arange(len(chunk), device=device).repeat_interleave(G)
        g_out = gates.make_gate("adaptive").step(R)
        ub = objective.build_update_batch(policy, None, batch, chunk, args, device)
        loss, sft, grpo, gstats = objective.hybrid_objective(policy, ub, adv, usable, group, g_out.lam, args)
        norm, skipped = weights.optimiser_step(policy, opt, sched, loss, args)
        rec = train.step_record(1, g_out, R, res, batch, sft.detach(), grpo.detach(), gstats, norm, sched, 0.0, 0.0, 0.0, 1)
        greedy = rollout.sample(policy, chunk, 1, temperature=0.0, max_len=16)
        scores = ev.score_samples(policy, chunk, None, args)
        events = analyses.gradient_events(policy, chunk, judge, args, events=1, prompts=2, group=2)
        shift = analyses.probability_shift(policy, base, chunk, args)
        pool = analyses.repeated_sampling(policy, chunk, judge, 2, args)
    assert batch.replies.device == device and greedy.replies.device == device
    assert not skipped and torch.isfinite(loss) and rec["step"] == 1
    assert "accuracy" in scores and events and shift["summary"]["text"]["tokens"] >= 0
    assert all(r.device.type == "cpu" for e in pool for r in e["replies"])      # the pool lives on the host


def test_a_checkpoints_training_state_is_read_onto_the_host_not_the_gpu_it_was_saved_from(tmp_path, monkeypatch):
    """Without FSDP the optimiser's moments are saved from rank 0's GPU; --resume must read them onto
    the host (load_state_dict then moves each to its parameter's device), not back to that GPU on
    every rank. A stand-in device tag plays the GPU: storages saved as "standin-gpu:0", whose
    loader records every storage torch would place there. Bug caught: torch.load without
    map_location (4 ranks' AdamW states on GPU 0 at once: 4 x 31 GB at 7.7B in bf16)."""
    import torch.serialization as ser
    import runtime
    placed = []

    def tag(storage):
        return "standin-gpu:0" if storage.device.type == "cpu" else None

    def restore(storage, location):
        if location.startswith("standin-gpu"):
            placed.append(location)
            return storage
        return None
    monkeypatch.setattr(ser, "_package_registry", list(ser._package_registry))
    ser.register_package(1, tag, restore)
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    torch.save({"optimizer": {"state": {0: {"exp_avg": torch.ones(3)}}}}, ckpt / "train_state.pt")
    torch.load(ckpt / "train_state.pt", weights_only=False)         # the stand-in works: a plain load lands there
    assert placed == ["standin-gpu:0"]
    placed.clear()
    state = runtime.read_state(str(ckpt))
    assert placed == [] and state["optimizer"]["state"][0]["exp_avg"].device.type == "cpu"


def test_read_state_maps_the_file_rather_than_reading_it(tmp_path):
    """Bug caught: mmap=True dropped (every rank a private copy of the optimiser state)."""
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("no /proc/self/maps")
    torch.save({"optimizer": {"state": {0: {"exp_avg": torch.ones(100_000)}}}}, tmp_path / "train_state.pt")
    state = runtime.read_state(str(tmp_path))
    with open("/proc/self/maps") as f:
        mapped = [line for line in f if str(tmp_path / "train_state.pt") in line]
    assert mapped and float(state["optimizer"]["state"][0]["exp_avg"].sum()) == 100_000.0
