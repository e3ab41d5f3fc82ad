"""gate.py: Eq. 9-12 on hand-worked numbers, the EMA recursion, bounds, state, registry."""
import math

import pytest
import torch

import gate as gates

NAN = float("nan")


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_bimodal_rewards_open_the_gate_fully():
    g = gates.make_gate("adaptive")
    out = g.step(torch.tensor([[1.0, 5.0, 1.0, 5.0]]))
    # Var = 4 -> v = 1; max 5 -> g = sigmoid(5 * 2); first step: lambda = lambda_raw
    assert out.info_gate == pytest.approx(1.0)
    assert out.reward_gate == pytest.approx(sigmoid(10))
    assert out.lam_raw == pytest.approx(0.8 * sigmoid(10))
    assert out.lam == pytest.approx(out.lam_raw)


def test_equal_rewards_close_the_gate():
    out = gates.make_gate("adaptive").step(torch.tensor([[3.0, 3.0, 3.0, 3.0]]))
    assert out.info_gate == 0.0 and out.lam_raw == 0.0 and out.lam == 0.0
    assert out.reward_gate == pytest.approx(0.5)           # max R = threshold


def test_bad_rollouts_keep_lambda_small_even_when_spread():
    out = gates.make_gate("adaptive").step(torch.tensor([[1.0, 2.0, 1.0, 2.0]]))
    # Var 0.25 -> v = 1/16; max 2 -> g = sigmoid(-5)
    assert out.lam_raw == pytest.approx(0.8 * sigmoid(-5) / 16)


def test_groups_are_averaged_then_smoothed():
    g = gates.make_gate("adaptive", ema_alpha=0.9)
    r1 = torch.tensor([[1.0, 5.0, 1.0, 5.0], [3.0, 3.0, 3.0, 3.0]])
    raw1 = (0.8 * sigmoid(10) + 0.0) / 2
    assert g.step(r1).lam == pytest.approx(raw1)
    r2 = torch.tensor([[2.0, 4.0, 2.0, 4.0]])              # Var 1 -> v = 0.25, max 4 -> sigmoid(5)
    raw2 = 0.8 * sigmoid(5) * 0.25
    out = g.step(r2)
    assert out.lam_raw == pytest.approx(raw2)
    assert out.lam == pytest.approx(0.1 * raw2 + 0.9 * raw1)


def test_ema_recursion_over_several_steps():
    g = gates.make_gate("adaptive", ema_alpha=0.9)
    steps = [[[1.0, 5.0, 1.0, 5.0]], [[3.0, 3.0, 3.0, 3.0]], [[2.0, 4.0, 2.0, 4.0]], [[1.0, 5.0, 5.0, 5.0]]]
    lam = None
    for rewards in steps:
        out = g.step(torch.tensor(rewards))
        lam = out.lam_raw if lam is None else 0.1 * out.lam_raw + 0.9 * lam
        assert out.lam == pytest.approx(lam)


def test_without_ema_lambda_is_the_raw_value():
    g = gates.make_gate("adaptive", ema_alpha=0.0)
    g.step(torch.tensor([[1.0, 5.0, 1.0, 5.0]]))
    out = g.step(torch.tensor([[3.0, 3.0, 3.0, 3.0]]))
    assert out.lam == 0.0


def test_info_gate_clip_bounds_the_raw_rule_on_its_own():
    """Rewards off the 1-5 scale (a judge on 0-10): Var {0, 10} = 25, so Eq. 9's clip must give v = 1
    and raw = lambda_max * sigmoid(5 * (10 - 3)) <= lambda_max, before Gate.step's final clamp.
    Bug caught: Eq. 9 without its clip (raw would be 6.25 times larger, hidden later by the clamp)."""
    g = gates.make_gate("adaptive")
    raw = g.raw(gates.group_stats(torch.tensor([[0.0, 10.0, 0.0, 10.0]])))
    assert raw.item() == pytest.approx(0.8 * sigmoid(35))


def test_a_forks_rule_is_kept_within_zero_and_lambda_max():
    """Gate.step bounds any registered rule: raw 2.0 -> lambda_max, raw -1.0 -> 0.
    Bug caught: the bound dropped, so a fork's rule could put a negative weight on SFT (Eq. 8)."""
    @gates.register_gate("out-of-range-test")
    class Wild(gates.Gate):
        def raw(self, stats):
            return torch.where(stats["max"] > 3, 2.0, -1.0).to(stats["max"].dtype)

    g = gates.make_gate("out-of-range-test", lambda_max=0.6, ema_alpha=0.0)
    assert g.step(torch.tensor([[5.0, 1.0]])).lam == pytest.approx(0.6)
    assert g.step(torch.tensor([[2.0, 1.0]])).lam == 0.0


def test_missing_rewards_give_no_statistics():
    g = gates.make_gate("adaptive")
    out = g.step(torch.tensor([[1.0, NAN, 5.0, NAN], [NAN, 4.0, NAN, NAN]]))
    assert out.groups == 1                                 # the second group has one valid reward
    # group 1 over {1, 5}: Var 4, max 5
    assert out.lam_raw == pytest.approx(0.8 * sigmoid(10))
    before = g.lam
    out = g.step(torch.tensor([[NAN, NAN, 2.0, NAN]]))     # nothing usable: the EMA is unchanged
    assert out.groups == 0 and math.isnan(out.lam_raw) and g.lam == before and out.lam == before


def test_a_groups_variance_is_over_its_valid_rewards():
    """Rewards {2, 4} of a group of 4 (two calls failed): mean 3, population variance 1, v = 0.25,
    lambda_raw = 0.8 sigmoid(5) 0.25. Bug caught: the mean divided by G = 4 (1.5, variance 3.25,
    v = 0.81); the test above cannot see it, its variance clips to 1 either way."""
    out = gates.make_gate("adaptive").step(torch.tensor([[2.0, NAN, 4.0, NAN]]))
    assert out.info_gate == pytest.approx(0.25) and out.lam_raw == pytest.approx(0.8 * sigmoid(5) * 0.25)


def test_each_groups_weight_is_bounded_before_the_mean():
    """A fork's rule with raw 2 on one group and -1 on the other, lambda_max 0.6, no EMA: each group
    is held in [0, 0.6] first, so lambda = (0.6 + 0) / 2 = 0.3. Bug caught: the bound applied only
    to the mean ((2 - 1) / 2 = 0.5)."""
    class Wild(gates.Gate):
        def raw(self, stats):
            return torch.where(stats["max"] > 3, 2.0, -1.0).to(stats["max"].dtype)
    assert Wild(lambda_max=0.6, ema_alpha=0.0).step(torch.tensor([[5.0, 1.0], [2.0, 1.0]])).lam == pytest.approx(0.3)


def test_unusable_groups_stay_out_of_every_logged_mean():
    """The fixed gate 0.5 over a usable group and one with a single valid reward logs lambda_raw 0.5;
    the adaptive gate over {1, 5, 1, 5} and a lone 5 logs the first group's reward gate sigmoid(10)
    and info gate 1. Bug caught: the unusable group's weight or gates summed but not counted (1.0;
    about 2 sigmoid(10))."""
    fixed = gates.make_gate("fixed", lam=0.5).step(torch.tensor([[1.0, 5.0], [2.0, NAN]]))
    assert fixed.lam_raw == pytest.approx(0.5)
    out = gates.make_gate("adaptive").step(torch.tensor([[1.0, 5.0, 1.0, 5.0], [5.0, NAN, NAN, NAN]]))
    assert out.reward_gate == pytest.approx(sigmoid(10)) and out.info_gate == pytest.approx(1.0)


def test_statistics_are_reduced_across_ranks():
    # a fake all-reduce that adds a second rank's sums: lambda_raw is the mean over both ranks' groups
    other = gates.make_gate("adaptive")
    remote = torch.tensor([[3.0, 3.0, 3.0, 3.0]])
    remote_raw = other.raw(gates.group_stats(remote))
    remote_sums = torch.tensor([remote_raw.sum(), 0.5, 0.0, 1.0], dtype=torch.float64)  # raw, g, v, count
    g = gates.make_gate("adaptive")
    out = g.step(torch.tensor([[1.0, 5.0, 1.0, 5.0]]), all_reduce=lambda t: t + remote_sums)
    assert out.groups == 2
    assert out.lam_raw == pytest.approx(0.8 * sigmoid(10) / 2)


def test_state_dict_round_trip():
    g = gates.make_gate("adaptive")
    g.step(torch.tensor([[1.0, 5.0, 1.0, 5.0]]))
    h = gates.make_gate("adaptive")
    h.load_state_dict(g.state_dict())
    r = torch.tensor([[2.0, 4.0, 2.0, 4.0]])
    assert h.step(r).lam == g.step(r).lam
    with pytest.raises(ValueError, match="checkpoint gate"):
        gates.make_gate("fixed").load_state_dict(g.state_dict())


def test_a_resume_with_a_lower_lambda_max_is_bounded_by_it_at_once():
    """A checkpoint's lambda 0.8, resumed with --lambda-max 0.5, alpha 0.9: one step of raw
    0.5 sigmoid(10) = 0.49998 smooths to 0.1 x 0.49998 + 0.9 x 0.8 = 0.77, which Eq. 11's promise
    (at least 1 - lambda_max of SFT always kept) bounds at 0.5. Every group's raw weight is already
    at most lambda_max, so only a state from another run can take the EMA past it. Bug caught: the
    bound on lambda_t dropped (0.77 applied)."""
    g = gates.make_gate("adaptive", lambda_max=0.5, ema_alpha=0.9)
    g.load_state_dict({"name": "adaptive", "lam": 0.8})
    assert g.step(torch.tensor([[1.0, 5.0]])).lam == 0.5


def test_fixed_gate_under_train_pys_flags():
    """train.py passes every gate flag (lambda_max 0.8, ema_alpha 0.9) to every gate. The fixed gate
    must still apply and log its own lambda: 1.0 unclamped, also on a first step with no usable group.
    Bug caught: the shared lambda_max clamping lam_raw (logged 0.8), or lambda 0 before any usable group.
    (That train.py passes --lam at all is tests/test_wiring.py::test_the_fixed_gate_applies_lam_as_given.)"""
    g = gates.make_gate("fixed", lam=1.0, lambda_max=0.8, slope=5.0, threshold=3.0, ema_alpha=0.9)
    first = g.step(torch.tensor([[NAN, NAN, 2.0, NAN]]))
    assert first.groups == 0 and first.lam == 1.0
    out = g.step(torch.tensor([[1.0, 5.0, 1.0, 5.0]]))
    assert out.lam == 1.0 and out.lam_raw == pytest.approx(1.0)


def test_a_fork_registers_a_rule_in_a_few_lines():
    @gates.register_gate("max-only-test")
    class MaxOnly(gates.AdaptiveGate):
        def raw(self, stats):
            return self.lambda_max * gates.reward_gate(stats["max"], self.slope, self.threshold)

    out = gates.make_gate("max-only-test", ema_alpha=0.0).step(torch.tensor([[3.0, 3.0, 3.0, 3.0]]))
    assert out.lam == pytest.approx(0.4)                  # no variance needed: 0.8 * sigmoid(0)
    with pytest.raises(ValueError, match="unknown gate"):
        gates.make_gate("nope")
