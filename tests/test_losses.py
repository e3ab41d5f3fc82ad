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


def eq3_case():
    """Two prompt groups, G = 2, T = 3, ratio 1 (first update), beta = 0. Scope lengths 2, 1 | 3, 1."""
    logp = torch.zeros(4, 3, requires_grad=True)
    scope = torch.tensor([[1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 0, 0]], dtype=torch.bool)
    adv = torch.tensor([1.0, -1.0, 2.0, -2.0])
    return logp, scope, adv, torch.tensor([0, 0, 1, 1]), torch.ones(4, dtype=torch.bool)


@pytest.mark.parametrize("how,loss,grad", [
    # Eq. 3 literally: per group -(1/G) sum_i sum_t A_i: -(2*1 - 1)/2 = -0.5 and -(3*2 - 2)/2 = -2; mean -1.25.
    # d/dlogp_it = -A_i / G / (2 groups): -0.25, +0.25, -0.5, +0.5
    ("token-sum", -1.25, [-0.25, 0.25, -0.5, 0.5]),
    # the official per-row token mean: -(1 - 1)/2 = 0 and -(2 - 2)/2 = 0; d/dlogp_it = -A_i / |y_i| / G / 2
    ("seq-mean", 0.0, [-1 / 8, 1 / 4, -1 / 6, 1 / 2]),
    # one global token mean over 7 tokens: -(2 - 1 + 6 - 2)/7; d/dlogp_it = -A_i / 7
    ("token-mean", -5 / 7, [-1 / 7, 1 / 7, -2 / 7, 2 / 7]),
])
def test_grpo_aggregations_by_hand_from_eq3(how, loss, grad):
    """Bug caught: token-sum dividing by the reply length (not Eq. 3), a missing mean over groups,
    seq-mean weighting rows by length, or a gradient leaking to positions outside the scope."""
    logp, scope, adv, group, usable = eq3_case()
    value, _ = losses.grpo_loss(logp, logp.detach(), None, adv, scope, scope, scope, group, usable,
                                0.0, 0.0, 0.2, how)
    value.backward()
    assert value.item() == pytest.approx(loss, abs=1e-6)
    expected = torch.tensor(grad)[:, None] * scope
    torch.testing.assert_close(logp.grad, expected)


def kl_case():
    """One row, 4 tokens: text at 0, 1 and speech at 2, 3; A = 0 so only the KL remains.
    ref - logp = [ln 2, 0, ln 2, ln 2] gives k3 = [c, 0, c, c] with c = 2 - ln 2 - 1 = 1 - ln 2."""
    logp = torch.zeros(1, 4, requires_grad=True)
    ln2 = math.log(2.0)
    ref = torch.tensor([[ln2, 0.0, ln2, ln2]])
    text = torch.tensor([[True, True, False, False]])
    return logp, ref, text, ~text


@pytest.mark.parametrize("scope_name,norm,expected", [
    # official, --rl-tokens all: (beta_t * c + beta_s * 2c) / |scope| = (0.1 c + 0.4 c) / 4
    ("all", "scope", 0.125),
    # per-modality means: beta_t * c / 2 + beta_s * 2c / 2
    ("all", "modality", 0.25),
    # text-only GRPO: text inside the scope (c / 2 tokens), speech outside on its own mean (2c / 2)
    ("text", "scope", 0.25),
])
@pytest.mark.parametrize("how", ["seq-mean", "token-mean"])
def test_kl_normalisation_by_hand(scope_name, norm, expected, how):
    """One row, so seq-mean and token-mean agree. Bug caught: under --rl-tokens all the text KL
    averaged over the text tokens only (weighing |all| / |text| = 2x the official trainer's), the
    outside-scope speech KL divided by the scope, or token-mean dividing by the modality's count
    where the official form divides by the scope's."""
    logp, ref, text, speech = kl_case()
    scope = text | speech if scope_name == "all" else text
    loss, stats = losses.grpo_loss(logp, logp.detach(), ref, torch.zeros(1), scope, text, speech, torch.tensor([0]),
                                   torch.tensor([True]), beta_text=0.1, beta_speech=0.2, how=how, kl_norm=norm)
    c = 1 - math.log(2.0)
    assert loss.item() == pytest.approx(expected * c, rel=1e-6)
    assert stats["kl_text"] == pytest.approx(c / 2) and stats["kl_speech"] == pytest.approx(c)   # logged: own means


def test_logged_kl_is_each_modalitys_own_mean_whatever_the_scope():
    """kl_case under --rl-tokens speech: the logged kl_text is still text's own mean k3 (c / 2), not
    zero. Bug caught: the logged KL restricted to the GRPO scope."""
    logp, ref, text, speech = kl_case()
    _, stats = losses.grpo_loss(logp, logp.detach(), ref, torch.zeros(1), speech, text, speech, torch.tensor([0]),
                                torch.tensor([True]), 0.1, 0.2)
    c = 1 - math.log(2.0)
    assert stats["kl_text"] == pytest.approx(c / 2) and stats["kl_speech"] == pytest.approx(c)


@pytest.mark.parametrize("how", ["token-sum", "seq-mean"])
def test_groups_of_unequal_valid_size_each_divide_by_their_own_count(how):
    """Eq. 3 per group: rewards [[1, 3, 5], [2, -, 4]], one token a reply, ratio 1, so
    dL/dlogp_i = -A_i / G_valid / (2 groups). Group 0: A = (-2, 0, 2) / sqrt(8/3), G = 3; group 1:
    A = (-1, 0, 1), G = 2 (its missing reply has no loss): row 5 gets -1 / 2 / 2 = -0.25. Bug caught:
    a mean over all rows instead of over groups (group 1 divided by 5 rows), or the missing reply's
    row counted in its group."""
    R = torch.tensor([[1.0, 3.0, 5.0], [2.0, math.nan, 4.0]])
    adv, usable = (t.flatten() for t in losses.advantages(R))
    logp = torch.zeros(6, 1, requires_grad=True)
    every = torch.ones(6, 1, dtype=torch.bool)
    loss, _ = losses.grpo_loss(logp, logp.detach(), None, adv, every, every, every, torch.tensor([0, 0, 0, 1, 1, 1]),
                               usable, 0.0, 0.0, 0.2, how)
    loss.backward()
    a0 = 2 / (math.sqrt(8 / 3) + EPS)
    a1 = 1 / (1 + EPS)
    expected = torch.tensor([a0 / 3 / 2, 0.0, -a0 / 3 / 2, a1 / 2 / 2, 0.0, -a1 / 2 / 2])
    torch.testing.assert_close(logp.grad[:, 0], expected)


@pytest.mark.parametrize("how,grad", [("seq-mean", -0.5), ("token-sum", -0.5)])
def test_a_usable_reply_with_an_empty_scope(how, grad):
    """Two usable replies, A = (1, -1); reply 0 has two tokens in scope, reply 1 none (e.g. no text).
    seq-mean: the group's mean is over replies with a token (1), each reply's over its 2 tokens:
    -1 / 2 = -0.5 a token. token-sum (Eq. 3): the reply's tokens summed, over G = 2 replies: -1 / 2.
    Bug caught: seq-mean averaging the empty reply in as a zero (-0.25), or token-sum's G dropping
    it (-1.0)."""
    logp = torch.zeros(2, 2, requires_grad=True)
    scope = torch.tensor([[True, True], [False, False]])
    loss, _ = losses.grpo_loss(logp, logp.detach(), None, torch.tensor([1.0, -1.0]), scope, scope, scope,
                               torch.tensor([0, 0]), torch.tensor([True, True]), 0.0, 0.0, 0.2, how)
    loss.backward()
    assert logp.grad[0].tolist() == pytest.approx([grad, grad])


@pytest.mark.parametrize("how", ["seq-mean", "token-mean"])
def test_the_kl_counts_usable_replies_only(how):
    """Three replies of one token, A = 0, beta_text 1: ref - logp = (ln 2, ln 2, ln 8), the third
    reply's reward missing. k3 = 1 - ln 2 on the two usable ones, so the loss is 1 - ln 2. Bug
    caught: the unusable reply's k3 (8 - ln 8 - 1) let in, or its token left in the denominator
    (2/3 of the value)."""
    logp = torch.zeros(3, 1, requires_grad=True)
    ref = torch.tensor([[math.log(2)], [math.log(2)], [math.log(8)]])
    text, speech = torch.ones(3, 1, dtype=torch.bool), torch.zeros(3, 1, dtype=torch.bool)
    loss, _ = losses.grpo_loss(logp, logp.detach(), ref, torch.zeros(3), text, text, speech, torch.tensor([0, 0, 0]),
                               torch.tensor([True, True, False]), 1.0, 0.0, 0.2, how)
    assert loss.item() == pytest.approx(1 - math.log(2), rel=1e-6)


def test_logged_clip_share_and_empty_scopes_count_usable_replies_only():
    """Ratio 1.5 everywhere (clipped at 1.2); scope (reply 0, reply 1), only reply 0 usable: every
    counted token is clipped (1.0) and no usable reply has an empty scope. Bug caught: the share's
    denominator or numerator counting unusable replies (0.5, 2.0), or reply 2's empty scope counted."""
    logp, old = torch.full((3, 1), math.log(1.5)), torch.zeros(3, 1)
    scope = torch.tensor([[True], [True], [False]])
    _, stats = losses.grpo_loss(logp, old, None, torch.tensor([1.0, 0.0, 0.0]), scope, scope, scope,
                                torch.tensor([0, 0, 0]), torch.tensor([True, False, False]))
    assert stats["clip_frac"] == 1.0 and stats["empty_scope_rows"] == 0


def test_sft_leaves_out_a_sequence_with_no_allowed_position():
    """logp [[-1, -3], [-2, -2]], the second row with no allowed position: L_SFT = 2 (the first row's
    mean). Bug caught: the empty row averaged in as 0 (1.0)."""
    logp = torch.tensor([[-1.0, -3.0], [-2.0, -2.0]])
    assert losses.sft_loss(logp, torch.tensor([[True, True], [False, False]])).item() == pytest.approx(2.0)


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
    (1.0, 1.15, False), (-1.0, 0.85, False), (1.0, 1.25, True), (-1.0, 0.75, True),
])
def test_clip_engages_only_outside_the_band_and_with_the_advantage_sign(adv, ratio, clipped):
    """eps = 0.2: the band is [0.8, 1.2]. Ratios 1.15 / 0.85 are inside it and 1.25 / 0.75 outside, on
    either side of where a band of half the width would end (1.1 / 0.9 sit exactly on that edge and
    cannot tell). clip_frac counts the ratios outside the band, whatever the advantage's sign. Bug
    caught: either bound at 1 +- eps/2, min and max swapped, the ratio inverted, clip_frac's bound
    another than the loss's."""
    old = torch.zeros(1, 1)
    logp = torch.full((1, 1), math.log(ratio), requires_grad=True)
    one = torch.ones(1, 1, dtype=torch.bool)
    loss, stats = losses.grpo_loss(logp, old, None, torch.tensor([adv]), one, one, one, torch.tensor([0]),
                                   torch.tensor([True]), clip_eps=0.2)
    loss.backward()
    if clipped:
        assert logp.grad.item() == 0.0                        # the clipped branch is flat
    else:
        assert logp.grad.item() == pytest.approx(-adv * ratio)
    assert stats["clip_frac"] == (0.0 if 0.8 <= ratio <= 1.2 else 1.0)


def test_empty_scope_gives_zero_loss_and_is_counted():
    logp = torch.randn(2, 3, requires_grad=True)
    empty = torch.zeros(2, 3, dtype=torch.bool)
    loss, stats = losses.grpo_loss(logp, logp.detach(), None, torch.tensor([1.0, -1.0]), empty, empty, empty,
                                   torch.tensor([0, 0]), torch.tensor([True, True]))
    assert loss.item() == 0.0 and stats["empty_scope_rows"] == 2


def test_k3_estimates_kl_pi_to_ref_from_samples_of_pi():
    """Oracle: over samples y ~ pi, mean k3(log pi(y), log ref(y)) -> KL(pi || ref) = sum pi log(pi / ref),
    computed from the full distributions; the exact expectation under pi equals it too. The two
    directions differ by far more than the tolerance here, so a swapped d = logp - ref (which
    estimates something else) or a KL(ref || pi) estimator fails. Also k3 >= 0 and k3(a, a) = 0."""
    pi = torch.tensor([0.97, 0.01, 0.01, 0.01], dtype=torch.float64)
    ref = torch.full((4,), 0.25, dtype=torch.float64)
    kl_pi_ref = float((pi * (pi / ref).log()).sum())                 # 1.219
    kl_ref_pi = float((ref * (ref / pi).log()).sum())                # 2.075
    assert abs(kl_pi_ref - kl_ref_pi) > 0.8
    exact = float((pi * losses.kl_k3(pi.log(), ref.log())).sum())
    assert exact == pytest.approx(kl_pi_ref, rel=1e-9)
    y = torch.multinomial(pi, 200_000, replacement=True, generator=torch.Generator().manual_seed(0))
    sampled = float(losses.kl_k3(pi.log()[y], ref.log()[y]).mean())
    assert sampled == pytest.approx(kl_pi_ref, abs=0.03)
    a, b = torch.randn(100), torch.randn(100)
    assert (losses.kl_k3(a, b) >= 0).all() and (losses.kl_k3(a, a) == 0).all()


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
    assert losses.dpo_pair([5, 5, 1], [5, 5, 1]) == (0, 2)                 # a full tie: the first reply
    assert losses.dpo_pair([5, 1, 1], [5, 1, 1]) == (0, 1)                 # (deterministic pairs)
    assert losses.dpo_pair([3, 3], [3, 3.8], margin=0.5) is None           # gap 0.4
    assert losses.dpo_pair([5, None, 1], [5, 1, None]) is None              # only one fully scored reply


def test_hybrid_mixes_by_lambda():
    assert losses.hybrid_loss(torch.tensor(2.0), torch.tensor(-1.0), 0.25).item() == pytest.approx(0.75 * 2 - 0.25)


def test_appendix_c_parts_of_sft_by_hand():
    """Eq. 7 on Eq. 2: one reply, 2 text and 8 speech tokens, log-probs the parameters themselves.
    L = -(sum of the 10) / 10, so each position's gradient is -1/10: ||g_T|| = sqrt(2)/10,
    ||g_S|| = sqrt(8)/10, ratio 0.5, and the parts add up to dL. Bug caught: each part averaged
    over its own modality's tokens (ratio 2.0, parts summing to twice dL), or eq7_part detaching
    the kept positions instead of the others (ratio 2.0)."""
    w = torch.nn.Parameter(torch.full((1, 10), -1.0))
    text = torch.tensor([[True] * 2 + [False] * 8])
    everything = torch.ones(1, 10, dtype=torch.bool)
    parts = [losses.sft_loss(losses.eq7_part(w, keep), everything) for keep in (text, ~text)]
    geo = losses.grad_geometry([("layers.0.w", w)], *parts)
    assert geo["ratio"] == pytest.approx(0.5) and geo["norm_text"] == pytest.approx(math.sqrt(2) / 10)


def test_appendix_c_parts_add_up_to_the_whole_gradient_of_every_objective():
    """Eq. 7 for GRPO (clip engaged, both KLs, every aggregation) and DPO (a non-zero margin,
    so the sigmoid's weight is the whole margin's): the text part's gradient plus the speech
    part's equals the whole loss's, position by position. Bug caught: a part computed as the
    loss on its own modality's mask (other normalisers, and for DPO the sigmoid at the part's
    margin)."""
    logp, old, ref, adv, scope, text, speech, usable, group = random_case(5)
    speech = ~text                                                        # the parts cover every position

    def grad(loss):
        return torch.autograd.grad(loss, logp)[0]

    for how in losses.AGGREGATIONS:
        def grpo(lp):
            return losses.grpo_loss(lp, old, ref, adv, scope, text, speech, group, usable, 0.05, 0.02, 0.2, how)[0]
        parts = grad(grpo(losses.eq7_part(logp, text))) + grad(grpo(losses.eq7_part(logp, speech)))
        assert torch.allclose(parts, grad(grpo(logp)), atol=1e-6), how

    def dpo(lp):
        s = losses.masked_score(lp, scope)
        return losses.dpo_loss(s[:4], s[4:8], torch.zeros(4), torch.ones(4))[0]
    parts = grad(dpo(losses.eq7_part(logp, text))) + grad(dpo(losses.eq7_part(logp, speech)))
    assert torch.allclose(parts, grad(dpo(logp)), atol=1e-6)


def test_grad_geometry_two_backward_passes():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    lt, ls = (w * torch.tensor([3.0, 0.0])).sum(), (w * torch.tensor([0.0, 4.0])).sum()
    geo = losses.grad_geometry([("layers.0.w", w)], lt, ls)
    assert geo["ratio"] == pytest.approx(0.75) and geo["cos"] == pytest.approx(0.0)
    assert geo["layers"]["layer 0"]["norm_text"] == pytest.approx(3.0)


def test_geometry_in_slices_sums_every_element_of_a_gradient(monkeypatch):
    """geometry takes its float64 dot products a slice at a time (a VITA-Audio embedding's gradient
    is 602M elements: 4.8 GB a float64 copy). With slices of 3 elements, 7-element gradients
    (a ragged last slice) and a 2 x 3 one: the figures equal a float64 computation by hand over
    whole vectors. Bug caught: a slice dropped (the ragged tail, or all but the first), or the
    two gradients' slices misaligned, or a whole gradient copied to float64 at once."""
    monkeypatch.setattr(losses, "GEOMETRY_SLICE", 3)
    g = torch.Generator().manual_seed(0)
    a = [torch.randn(7, generator=g), torch.randn(2, 3, generator=g)]
    b = [torch.randn(7, generator=g), torch.randn(2, 3, generator=g)]
    copies, double = [], torch.Tensor.double
    monkeypatch.setattr(torch.Tensor, "double", lambda t, *k: copies.append(t.numel()) or double(t, *k))
    geo = losses.geometry(["layers.0.w", "layers.1.w"], a, b)
    monkeypatch.undo()
    assert copies and max(copies) <= 3          # no float64 copy of a whole gradient
    x, y = torch.cat([t.flatten() for t in a]).double(), torch.cat([t.flatten() for t in b]).double()
    assert geo["ratio"] == pytest.approx(float(x.norm() / y.norm()), rel=1e-12)
    assert geo["cos"] == pytest.approx(float(x @ y / (x.norm() * y.norm())), rel=1e-12)
    first = geo["layers"]["layer 0"]
    assert first["norm_text"] == pytest.approx(float(a[0].double().norm()), rel=1e-12)
    assert first["cos"] == pytest.approx(float(a[0].double() @ b[0].double() / (a[0].double().norm()
                                                                               * b[0].double().norm())), rel=1e-12)


def test_geometry_adds_up_every_parameter_of_a_layer_by_hand():
    """Bug caught: a layer's sums overwritten by its last parameter's (`=` for `+=`).
    Layer 0 = params a, b: text (3, 0 | 0, 4), speech (1, 0 | 0, 2): |t| = 5, |s| = sqrt 5,
    <t, s> = 3 + 8 = 11 -> ratio sqrt 5 = 2.2360680, cos 11 / (5 sqrt 5) = 0.9838699.
    (With the overwrite: ratio 2, cos 1, norm_text 4.) all_reduce (a stand-in for 3 more ranks with the
    same shards, x4) doubles the norms and keeps ratio and cos."""
    names = ["layers.0.a", "layers.0.b"]
    text = [torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0])]
    speech = [torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])]
    geo = losses.geometry(names, text, speech)
    assert geo["norm_text"] == pytest.approx(5.0) and geo["norm_speech"] == pytest.approx(math.sqrt(5))
    assert geo["ratio"] == pytest.approx(math.sqrt(5)) and geo["cos"] == pytest.approx(11 / (5 * math.sqrt(5)))
    assert geo["layers"]["layer 0"]["norm_text"] == pytest.approx(5.0)
    four = losses.geometry(names, text, speech, all_reduce=lambda s: s * 4)
    assert four["norm_text"] == pytest.approx(10.0) and four["ratio"] == pytest.approx(math.sqrt(5))
