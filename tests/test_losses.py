"""losses.py against naive per-token loops, hand-worked numbers and invariants."""
import math

import pytest
import torch

import losses

EPS = 1e-4


def random_case(seed, n_groups=3, G=3, T=7):
    g = torch.Generator().manual_seed(seed)
    N = n_groups * G
    logp = (-torch.rand(N, T, generator=g) * 3).requires_grad_()
    old = logp.detach() + 0.3 * torch.randn(N, T, generator=g)          # ratios spread past the clip
    ref = logp.detach() + 0.2 * torch.randn(N, T, generator=g)
    adv = torch.randn(N, generator=g)
    scope = torch.rand(N, T, generator=g) > 0.4
    scope[1] = False                                                      # one row with an empty scope
    text = torch.rand(N, T, generator=g) > 0.5
    speech = ~text & (torch.rand(N, T, generator=g) > 0.3)
    usable = torch.ones(N, dtype=torch.bool)
    usable[G:2 * G] = False                                               # an unusable group
    usable[2 * G] = False                                                 # a missing reward
    group = torch.arange(n_groups).repeat_interleave(G)
    return logp, old, ref, adv, scope, text, speech, usable, group


def naive_aggregate(values, mask, group, usable, how):
    """values: dict (i, t) -> tensor; the definitions of losses.aggregate written as loops."""
    N, T = mask.shape
    if how == "token-mean":
        picked = [values[i, t] for i in range(N) for t in range(T) if usable[i] and mask[i, t]]
        return sum(picked) / len(picked) if picked else torch.tensor(0.0)
    per_group = {}
    for i in range(N):
        if not usable[i]:
            continue
        toks = [values[i, t] for t in range(T) if mask[i, t]]
        if how == "seq-mean":
            if toks:
                per_group.setdefault(int(group[i]), []).append(sum(toks) / len(toks))
        else:  # token-sum: a usable row counts even with no token
            per_group.setdefault(int(group[i]), []).append(sum(toks) if toks else torch.tensor(0.0))
    means = [sum(v) / len(v) for v in per_group.values() if v]
    return sum(means) / len(means) if means else torch.tensor(0.0)


def naive_grpo(logp, old, ref, adv, scope, text, speech, usable, group, bt, bs, clip, how):
    N, T = logp.shape
    pg, kl = {}, {}
    for i in range(N):
        for t in range(T):
            ratio = torch.exp(logp[i, t] - old[i, t])
            a = adv[i]
            pg[i, t] = -torch.minimum(ratio * a, torch.clamp(ratio, 1 - clip, 1 + clip) * a)
            d = ref[i, t] - logp[i, t]
            kl[i, t] = torch.exp(d) - d - 1
    return (naive_aggregate(pg, scope, group, usable, how) + bt * naive_aggregate(kl, text, group, usable, how)
            + bs * naive_aggregate(kl, speech, group, usable, how))


@pytest.mark.parametrize("how", losses.AGGREGATIONS)
@pytest.mark.parametrize("seed", [0, 1])
def test_grpo_equals_a_naive_loop(how, seed):
    logp, old, ref, adv, scope, text, speech, usable, group = random_case(seed)
    fast, _ = losses.grpo_loss(logp, old, ref, adv, scope, text, speech, group, usable, 0.05, 0.02, 0.2, how)
    (g_fast,) = torch.autograd.grad(fast, logp)
    slow = naive_grpo(logp, old, ref, adv, scope, text, speech, usable, group, 0.05, 0.02, 0.2, how)
    (g_slow,) = torch.autograd.grad(slow, logp)
    torch.testing.assert_close(fast, slow)
    torch.testing.assert_close(g_fast, g_slow)


@pytest.mark.parametrize("scope_name", ["text", "speech", "all"])
def test_sft_equals_a_naive_loop_for_every_scope(scope_name):
    logp, _, _, _, _, text, speech, _, _ = random_case(2)
    masks = {"text": text, "speech": speech, "completion": text | speech}
    mask = losses.scope_mask(masks, scope_name)
    means = [logp[i][mask[i]].mean() for i in range(len(logp)) if mask[i].any()]
    torch.testing.assert_close(losses.sft_loss(logp, mask), -sum(means) / len(means))


def test_sft_with_no_allowed_position_is_zero_with_zero_gradient():
    logp = torch.randn(3, 4, requires_grad=True)
    loss = losses.sft_loss(logp, torch.zeros(3, 4, dtype=torch.bool))
    loss.backward()
    assert loss.item() == 0.0 and (logp.grad == 0).all()


def test_advantages_hand_worked_and_zero_sum():
    adv, usable = losses.advantages(torch.tensor([[1.0, 5.0, 1.0, 5.0], [2.0, 3.0, 4.0, 3.0]]))
    # group 1: mean 3, population std 2
    torch.testing.assert_close(adv[0], torch.tensor([-1.0, 1.0, -1.0, 1.0]) * 2 / (2 + EPS))
    # group 2: mean 3, population std sqrt(0.5)
    s = math.sqrt(0.5)
    torch.testing.assert_close(adv[1], torch.tensor([-1.0, 0.0, 1.0, 0.0]) / (s + EPS))
    torch.testing.assert_close(adv.sum(1), torch.zeros(2), atol=1e-6, rtol=0)
    assert usable.all()


def test_missing_rewards_are_excluded_from_the_group_statistics():
    nan = float("nan")
    adv, usable = losses.advantages(torch.tensor([[1.0, nan, 5.0, 3.0], [nan, 4.0, nan, nan]]))
    # group 1 over {1, 5, 3}: mean 3, std sqrt(8/3)
    std = math.sqrt(8 / 3)
    torch.testing.assert_close(adv[0], torch.tensor([-2 / (std + EPS), 0.0, 2 / (std + EPS), 0.0]))
    assert usable[0].tolist() == [True, False, True, True]
    assert not usable[1].any() and (adv[1] == 0).all()     # fewer than two valid rewards: no signal
    torch.testing.assert_close(adv[0].sum(), torch.tensor(0.0), atol=1e-6, rtol=0)


def test_equal_rewards_give_no_grpo_gradient():
    adv, usable = losses.advantages(torch.full((2, 4), 3.0))
    logp = torch.randn(8, 5, requires_grad=True)
    mask = torch.ones(8, 5, dtype=torch.bool)
    loss, _ = losses.grpo_loss(logp, logp.detach(), None, adv.flatten(), mask, mask, mask,
                               torch.arange(2).repeat_interleave(4), usable.flatten())
    loss.backward()
    assert (logp.grad == 0).all()


def test_text_scope_puts_no_gradient_through_speech_positions():
    logp, old, _, adv, _, text, speech, usable, group = random_case(3)
    loss, _ = losses.grpo_loss(logp, old, None, adv, text, text, speech, group, usable,
                               beta_text=0.0, beta_speech=0.0)
    loss.backward()
    assert (logp.grad[speech] == 0).all()
    assert (logp.grad[text & usable[:, None]] != 0).any()


def test_speech_kl_applies_even_when_grpo_is_text_only():
    logp, old, ref, adv, _, text, speech, usable, group = random_case(4)
    loss, stats = losses.grpo_loss(logp, old, ref, adv, text, text, speech, group, usable,
                                   beta_text=0.0, beta_speech=0.1)
    loss.backward()
    assert stats["kl_speech"] > 0 and (logp.grad[speech & usable[:, None]] != 0).any()


def test_first_update_has_ratio_one_and_loss_minus_mean_advantage():
    logp = torch.randn(4, 3, requires_grad=True)
    adv = torch.tensor([1.0, -1.0, 2.0, -2.0])
    mask = torch.ones(4, 3, dtype=torch.bool)
    group = torch.tensor([0, 0, 1, 1])
    loss, stats = losses.grpo_loss(logp, logp.detach(), None, adv, mask, mask, mask, group, torch.ones(4, dtype=torch.bool))
    assert stats["clip_frac"] == 0.0
    torch.testing.assert_close(loss, torch.tensor(0.0))      # -mean(A) per group, and A sums to zero
    loss.backward()
    # d(-rho A)/dlogp = -A, then / 3 tokens / 2 rows per group / 2 groups
    torch.testing.assert_close(logp.grad, -adv[:, None].expand(4, 3) / 12)


@pytest.mark.parametrize("adv,ratio,clipped", [
    (1.0, 1.5, True), (1.0, 0.5, False), (-1.0, 0.5, True), (-1.0, 1.5, False), (1.0, 1.1, False), (-1.0, 0.9, False),
])
def test_clip_engages_only_outside_the_band_and_with_the_advantage_sign(adv, ratio, clipped):
    old = torch.zeros(1, 1)
    logp = torch.full((1, 1), math.log(ratio), requires_grad=True)
    one = torch.ones(1, 1, dtype=torch.bool)
    loss, _ = losses.grpo_loss(logp, old, None, torch.tensor([adv]), one, one, one, torch.tensor([0]),
                               torch.tensor([True]), clip_eps=0.2)
    loss.backward()
    if clipped:
        assert logp.grad.item() == 0.0                        # the clipped branch is flat
    else:
        assert logp.grad.item() == pytest.approx(-adv * ratio)


def test_empty_scope_gives_zero_loss_and_is_counted():
    logp = torch.randn(2, 3, requires_grad=True)
    empty = torch.zeros(2, 3, dtype=torch.bool)
    loss, stats = losses.grpo_loss(logp, logp.detach(), None, torch.tensor([1.0, -1.0]), empty, empty, empty,
                                   torch.tensor([0, 0]), torch.tensor([True, True]))
    assert loss.item() == 0.0 and stats["empty_scope_rows"] == 2


def test_kl_k3_is_nonnegative_and_zero_at_equality():
    a, b = torch.randn(100), torch.randn(100)
    assert (losses.kl_k3(a, b) >= 0).all()
    assert (losses.kl_k3(a, a) == 0).all()


def test_dpo_hand_worked():
    loss, margin = losses.dpo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-2.0]),
                                   torch.tensor([-2.0]), gamma=0.1)
    assert margin.item() == pytest.approx(2.0)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-0.2)))


def test_dpo_on_masked_scores_equals_a_naive_loop():
    g = torch.Generator().manual_seed(5)
    logp, ref = torch.randn(4, 6, generator=g), torch.randn(4, 6, generator=g)
    mask = torch.rand(4, 6, generator=g) > 0.5
    s = losses.masked_score(logp, mask)
    r = losses.masked_score(ref, mask)
    fast, _ = losses.dpo_loss(s[:2], s[2:], r[:2], r[2:], gamma=0.5)
    naive = []
    for i in range(2):
        score = lambda x, j: sum(x[j, t] for t in range(6) if mask[j, t])   # noqa: E731
        delta = (score(logp, i) - score(logp, i + 2)) - (score(ref, i) - score(ref, i + 2))
        naive.append(-torch.nn.functional.logsigmoid(0.5 * delta))
    torch.testing.assert_close(fast, sum(naive) / 2)


def test_dpo_pair_selection():
    assert losses.dpo_pair([5, 3, 5, 1], [1, 4, 3, 1]) == (2, 3)           # u = 3, 3.5, 4, 1
    assert losses.dpo_pair([5, 3, 1], [1, 3, 1]) == (0, 2)                 # best tie: higher semantic wins
    assert losses.dpo_pair([5, 2, 1], [5, 1, 2]) == (0, 2)                 # worst tie: lower semantic loses
    assert losses.dpo_pair([4, 4], [2, 2]) is None                          # no gap
    assert losses.dpo_pair([3, 3], [3, 4], margin=0.5) == (1, 0)           # gap exactly 0.5 is kept
    assert losses.dpo_pair([3, 3], [3, 3.8], margin=0.5) is None           # gap 0.4
    assert losses.dpo_pair([5, None, 1], [5, 1, None]) is None              # only one fully scored reply


def test_hybrid_mixes_by_lambda():
    assert losses.hybrid_loss(torch.tensor(2.0), torch.tensor(-1.0), 0.25).item() == pytest.approx(0.75 * 2 - 0.25)


def test_grad_geometry_two_backward_passes():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    lt, ls = (w * torch.tensor([3.0, 0.0])).sum(), (w * torch.tensor([0.0, 4.0])).sum()
    geo = losses.grad_geometry([("layers.0.w", w)], lt, ls)
    assert geo["ratio"] == pytest.approx(0.75) and geo["cos"] == pytest.approx(0.0)
    assert geo["layers"]["layer 0"]["norm_text"] == pytest.approx(3.0)
