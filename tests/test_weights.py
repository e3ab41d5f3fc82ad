"""weights.py and runtime.py units on hand-worked numbers: the learning-rate schedule, the
clipped and skipped optimiser step, the skip guard, the data shards (found by a mutation audit
of these files: none had a direct test)."""
import argparse
import math

import pytest
import torch

import dataset
import runtime
import weights


def schedule(steps, warmup, stage="hybrid", ppo_epochs=1, lr=1.0):
    """The learning rates of `steps * ppo_epochs` updates under make_optimizer's scheduler."""
    args = argparse.Namespace(lr=lr, weight_decay=0.0, steps=steps, ppo_epochs=ppo_epochs, stage=stage, warmup=warmup)
    opt, sched = weights.make_optimizer(torch.nn.Linear(1, 1), args)
    rates = []
    for _ in range(steps * (ppo_epochs if stage == "hybrid" else 1)):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def test_warmup_is_linear_from_one_nth_then_cosine_to_ten_percent():
    """12 updates, warmup 4: 1/4, 2/4, 3/4, 1 (the first update already moves), then cosine over
    the remaining 8: 0.1 + 0.45 (1 + cos(pi k / 8)), k = 0..7 (k = 4: 0.55; the floor 0.1 is
    reached after the last update). Bug caught: warmup starting at 0 (a wasted first step), or
    the cosine decaying to 0 instead of 10 %."""
    want = [0.25, 0.5, 0.75, 1.0] + [0.1 + 0.45 * (1 + math.cos(math.pi * k / 8)) for k in range(8)]
    assert schedule(12, 4) == pytest.approx(want)
    assert want[8] == pytest.approx(0.55)


def test_a_warmup_longer_than_the_run_is_cut_to_half_of_it_and_ppo_epochs_count_updates():
    """--warmup 50 for 6 steps warms up over 3 (6 // 2), so the run still reaches the peak; with
    --ppo-epochs 2 a hybrid run makes 12 updates and the schedule spans all 12. Bug caught: a
    run that never leaves its warmup (peak lr never reached), or a schedule over --steps that
    sits at its 10 % floor for the second half of a --ppo-epochs 2 run."""
    rates = schedule(6, 50)
    assert rates[:3] == pytest.approx([1 / 3, 2 / 3, 1.0]) and max(rates) == pytest.approx(1.0)
    two = schedule(6, 2, ppo_epochs=2)             # 12 updates, warmup 2, cosine over 10
    assert two[2 + 5] == pytest.approx(0.55) and min(two) > 0.1
    assert len(schedule(6, 2, stage="sft", ppo_epochs=2)) == 6   # SFT has no epochs over a batch


def step_args(**kw):
    return argparse.Namespace(**{"grad_clip": 1.0, **kw})


def test_the_step_clips_to_grad_clip_and_returns_the_norm_before_clipping():
    """One weight, loss 3 w^2 at w = 2: gradient 12; --grad-clip 0.5 scales it to 0.5, so SGD at
    lr 1 moves w to 1.5; the norm returned is the unclipped 12. Bug caught: a hard-coded clip
    of 1.0, or the clipped norm reported."""
    w = torch.nn.Parameter(torch.tensor([2.0]))
    policy = torch.nn.Module()
    policy.w = w
    opt = torch.optim.SGD([w], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1.0)
    norm, skipped = weights.optimiser_step(policy, opt, sched, 3 * (w ** 2).sum(), step_args(grad_clip=0.5))
    assert (norm, skipped) == (pytest.approx(12.0), False) and float(w.detach()) == pytest.approx(1.5)


def test_a_non_finite_loss_leaves_weights_and_moments_alone_but_the_schedule_advances():
    """Bug caught: a skipped update that still steps AdamW (weights or moments moved by the NaN,
    or by a stale gradient), or a schedule that stops advancing on a skipped step (every later
    step on a shifted learning rate)."""
    w = torch.nn.Parameter(torch.tensor([2.0]))
    policy = torch.nn.Module()
    policy.w = w
    args = argparse.Namespace(lr=1.0, weight_decay=0.0, steps=10, ppo_epochs=1, stage="hybrid", warmup=5)
    opt, sched = weights.make_optimizer(policy, args)
    weights.optimiser_step(policy, opt, sched, (w ** 2).sum(), step_args())          # a normal step first
    before, moments = float(w.detach()), {k: v.clone() for k, v in opt.state[w].items()}
    norm, skipped = weights.optimiser_step(policy, opt, sched, (w * float("nan")).sum(), step_args())
    assert skipped and float(w.detach()) == before and w.grad is None
    assert all(torch.equal(moments[k], opt.state[w][k]) for k in moments)
    assert opt.param_groups[0]["lr"] == pytest.approx(3 / 5)                          # third update's warmup rate


def test_the_skip_guard_counts_skips_in_a_row_and_stops_at_the_limit():
    """Limit 3: skip, skip, ok, skip, skip passes (the run of two was broken); a third skip in a
    row stops with one line naming the step and the flag; limit 0 never stops. Bug caught: skips
    counted over the whole run rather than in a row, or a limit of 0 stopping at the first skip."""
    guard = weights.SkipGuard(3)
    assert [guard.update(s, i) for i, s in enumerate([True, True, False, True, True], 1)] == [1, 1, 0, 1, 1]
    with pytest.raises(SystemExit, match=r"step 6: 3 updates in a row .* \(--max-skipped-updates 3\)"):
        guard.update(True, 6)
    never = weights.SkipGuard(0)
    assert all(never.update(True, i) == 1 for i in range(5))


def test_shards_split_each_epoch_into_disjoint_rank_slices_and_reshuffle():
    """10 items, batch 2, 2 ranks: a global batch of 4, so an epoch is 2 batches (items 8, 9 left
    over); in each, rank 0 and rank 1 take disjoint slices; epoch 2 is another order. Bug caught:
    rank r starting at index + r instead of index + r * batch (overlapping slices), an epoch
    that ends a batch early when the batches fill it exactly, or every epoch in the same order."""
    ranks = [runtime.Shards(10, 2, r, 2, seed=3) for r in range(2)]
    epochs = []
    for _ in range(2):
        got = [[s.next() for s in ranks] for _ in range(2)]
        items = [i for batch in got for part in batch for i in part]
        assert all(len(part) == 2 for batch in got for part in batch) and len(set(items)) == 8
        epochs.append(items)
    assert epochs[0] != epochs[1] and ranks[0].state_dict() == {"epoch": 1, "index": 8}
    with pytest.raises(ValueError, match="cannot fill a global batch of 4 x 2"):
        runtime.Shards(7, 4, 0, 2, seed=0)
    exact = runtime.Shards(4, 2, 0, 1, seed=0)          # two batches fill an epoch exactly: no item left over
    assert sorted(exact.next() + exact.next()) == [0, 1, 2, 3] and exact.state_dict() == {"epoch": 0, "index": 4}


def test_shards_resume_mid_epoch_in_the_same_order():
    """A sampler restored from state_dict after 3 batches draws what the uninterrupted one draws
    next, across the epoch boundary. Bug caught: the restored sampler reshuffling with another
    seed, or restarting its epoch."""
    whole = runtime.Shards(9, 2, 0, 1, seed=5)
    drawn = [whole.next() for _ in range(7)]
    part = runtime.Shards(9, 2, 0, 1, seed=5)
    for _ in range(3):
        part.next()
    resumed = runtime.Shards(9, 2, 0, 1, seed=5)
    resumed.load_state_dict(part.state_dict())
    assert [resumed.next() for _ in range(4)] == drawn[3:]


def test_a_resumed_log_keeps_the_records_up_to_its_checkpoint_and_a_new_run_starts_empty(tmp_path, capsys):
    """A run killed after step 5 with a checkpoint at step 3 resumes from 3: metrics.jsonl keeps
    steps 1-3 (4 and 5 are trained again); a fresh run (resume_step 0) over an old file starts
    it empty; a step line prints at step 1 and every `every` steps, and every 0 means every step.
    Bug caught: duplicated steps 4-5 in the metrics after a resume, a new run appending to an old
    run's records, or --log-every 0 dividing by zero."""
    (tmp_path / "metrics.jsonl").write_text("".join(f'{{"step": {i}}}\n' for i in range(1, 6)))
    runtime.Logger(str(tmp_path), 0, resume_step=3)
    assert [r["step"] for r in runtime.read_metrics(str(tmp_path / "metrics.jsonl"))] == [1, 2, 3]
    log = runtime.Logger(str(tmp_path), 0, resume_step=0, every=2)
    assert runtime.read_metrics(str(tmp_path / "metrics.jsonl")) == []
    for step in (1, 2, 3, 4):
        log.log({"step": step, "x": (float("nan"),)}, f"line {step}")
    assert capsys.readouterr().out.split() == ["line", "1", "line", "2", "line", "4"]
    assert runtime.read_metrics(str(tmp_path / "metrics.jsonl"))[0] == {"step": 1, "x": [None]}   # strict JSON
    every0 = runtime.Logger(str(tmp_path / "b"), 0, every=0)
    every0.log({"step": 3}, "line 3")
    assert "line 3" in capsys.readouterr().out


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
