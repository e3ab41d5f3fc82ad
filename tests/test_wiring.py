"""The training step's wiring of the paper's central mechanism: which tokens each term of Eq. 8 reaches.

losses.py pins the maths on given masks; these tests go through the training step itself, as
train.py runs it (objective.build_update_batch, then objective.hybrid_objective, then backward) and read the gradient
that reaches every reply position's log-prob. Checked by breaking the wiring: with
build_update_batch using "all" instead of args.rl_tokens, test_text_only_grpo_... fails; with
"text" instead of args.sft_tokens, test_sft_scope_... fails for the default scope.
"""
import json
import os

import pytest
import torch

import model as models
import objective
import rollout
import train
from conftest import micro_model
from rollout import flat


def update_batch(name, samples, flags, temperature=0.5, ref=None):
    """2 prompts x G = 2 sampled at `temperature` on a micro model -> (policy, args, rollout batch,
    UpdateBatch); `ref` a reference model or None."""
    policy = micro_model(name)
    args = train.get_args(["--init", "unused", "--group-size", "2", "--max-len", "40",
                           "--temperature", str(temperature), *flags])
    batch = rollout.sample(policy, samples[:2], 2, temperature, 1.0, 40, torch.Generator().manual_seed(0),
                           not args.no_audio_boundaries)
    return policy, args, batch, objective.build_update_batch(policy, ref, batch, samples[:2], args, torch.device("cpu"))


def logp_gradients(policy, ub, args, lam, adv, monkeypatch, modality=None):
    """Eq. 8's backward through hybrid_objective -> (d loss / d log-prob per position (rows, L*K),
    those log-probs, loss, sft, grpo, grpo stats)."""
    seen, original = {}, models.reply_logprobs

    def spy(*a, **k):
        out = original(*a, **k)
        out.retain_grad()
        seen["logp"] = out
        return out
    monkeypatch.setattr(models, "reply_logprobs", spy)
    loss, sft, grpo, stats = objective.hybrid_objective(policy, ub, adv, torch.ones(4, dtype=torch.bool),
                                                        torch.tensor([0, 0, 1, 1]), lam, args, modality=modality)
    loss.backward()
    monkeypatch.setattr(models, "reply_logprobs", original)
    return flat(seen["logp"].grad), flat(seen["logp"].detach()), loss, sft, grpo, stats


def step_gradients(name, samples, flags, lam, monkeypatch):
    """One update batch of 2 prompts x G = 2 on a micro model, sampled at temperature 1, beta = 0, fixed
    advantages; the gradient of Eq. 8 with respect to every position's log-prob -> (grad (rows, L*K), UpdateBatch)."""
    policy, args, _, ub = update_batch(name, samples, ["--beta-text", "0", "--beta-speech", "0", *flags], 1.0)
    return logp_gradients(policy, ub, args, lam, torch.tensor([1.0, -1.0, 0.5, -0.5]), monkeypatch)[0], ub


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_text_only_grpo_puts_no_gradient_on_speech_positions_through_the_training_step(name, samples, monkeypatch):
    """Default --rl-tokens text, lambda = 1, beta = 0: every speech position of every rollout gets a
    gradient of exactly zero, and text positions do get one; with --rl-tokens all speech positions get one.
    Bug caught: build_update_batch ignoring --rl-tokens (GRPO on all tokens), or the rollout masks
    misaligned with the rows of the joint forward."""
    grad, ub = step_gradients(name, samples, [], 1.0, monkeypatch)
    speech, text = ub.modality["speech"][0], ub.modality["text"][0]
    assert speech.any() and (grad[:ub.n_roll][speech] == 0).all()
    assert (grad[:ub.n_roll][text & ub.rl_scope] != 0).any()
    assert (grad[ub.n_roll:] == 0).all()                       # lambda = 1: the SFT rows get nothing
    grad, ub = step_gradients(name, samples, ["--rl-tokens", "all"], 1.0, monkeypatch)
    assert (grad[:ub.n_roll][ub.modality["speech"][0] & ub.rl_scope] != 0).any()


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_sft_scope_reaches_the_positions_sft_tokens_names(name, samples, monkeypatch):
    """lambda = 0: only the SFT rows get a gradient; the default --sft-tokens all reaches their speech
    positions, --sft-tokens text leaves every speech position at exactly zero.
    Bug caught: build_update_batch ignoring --sft-tokens (either way), or SFT applied to rollout rows."""
    grad, ub = step_gradients(name, samples, [], 0.0, monkeypatch)
    sft_speech = ub.modality["speech"][1]
    assert (grad[:ub.n_roll] == 0).all()
    assert (grad[ub.n_roll:][sft_speech & ub.sft_scope] != 0).any()
    grad, ub = step_gradients(name, samples, ["--sft-tokens", "text"], 0.0, monkeypatch)
    assert (grad[ub.n_roll:][ub.modality["speech"][1]] == 0).all()
    assert (grad[ub.n_roll:][ub.modality["text"][1] & ub.sft_scope] != 0).any()


@pytest.mark.parametrize("flags", [[], ["--rl-tokens", "all", "--loss-agg", "token-mean"]])
def test_the_logged_text_and_speech_gradients_add_up_to_the_step(flags, samples):
    """--grad-diag-every's two parts (hybrid_objective with modality=text / speech, Appendix C) are
    Eq. 7's split of the step's own Eq. 8 gradient: their sum is the whole loss's gradient, parameter
    by parameter, with lambda = 0.5, both KLs on and the SFT rows in. Bug caught: a part computed as
    the loss on its modality's tokens alone (each normalised by its own count: the logged ratio
    off by about |speech| / |text|), or a part that drops the SFT rows."""
    policy, args, _, ub = update_batch("tiny-vita", samples, flags, 1.0, ref=micro_model("tiny-vita", seed=1).eval())
    adv, usable, group = torch.tensor([1.0, -1.0, 0.5, -0.5]), torch.ones(4, dtype=torch.bool), torch.tensor([0, 0, 1, 1])
    params = list(policy.parameters())

    def grads(modality=None):
        loss = objective.hybrid_objective(policy, ub, adv, usable, group, 0.5, args, modality=modality)[0]
        return torch.autograd.grad(loss, params, allow_unused=True)
    for whole, text, speech in zip(grads(), grads("text"), grads("speech")):
        if whole is not None:
            assert torch.allclose(text + speech, whole, atol=1e-6, rtol=1e-4)


def test_the_fixed_gate_applies_lam_as_given(toy_dir, micro_ckpts, judge_url, tmp_path):
    """`--gate fixed --lam 1` through train.py: every step applies lambda = 1 exactly.
    Bug caught: train.py not passing --lam to the gate (0.5 would apply), the shared --lambda-max 0.8
    clamping it, or the EMA smoothing it (train.py passes --ema-alpha 0.9 to every gate)."""
    out = tmp_path / "fixed"
    train.run(train.get_args(["--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir), "--out", str(out),
                              "--batch-size", "2", "--group-size", "2", "--max-len", "32", "--steps", "3",
                              "--eval-prompts", "0", "--judge-url", judge_url, "--quiet",
                              "--gate", "fixed", "--lam", "1.0"]))
    with open(os.path.join(out, "metrics.jsonl")) as f:
        assert [json.loads(line)["lambda"] for line in f] == [1.0, 1.0, 1.0]


class VowelJudge:
    """A judge whose holistic score is 1 + 4 x the share of vowels among the reply text's letters:
    a reward every reply's text tokens decide, which a random model gets partly right."""

    def __init__(self):
        self.calls = 0

    def score(self, items, mode="holistic", semantic_weight=0.7):
        import reward
        letters = [[c for c in item.transcript.lower() if c.isalpha()] for item in items]
        values = [1 + round(4 * sum(c in "aeiou" for c in ls) / len(ls)) if ls else 1 for ls in letters]
        axes = {"holistic": ["holistic"], "split": ["semantic", "acoustic"], "all": list(reward.AXES)}[mode]
        self.calls += len(items) * len(axes)
        return reward.JudgeResult(rewards=[float(v) for v in values], scores={a: list(values) for a in axes},
                                  stats={"calls": len(items) * len(axes), "failures": 0, "retries": 0, "errors": {},
                                         "seconds": 0.0})


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_grpo_through_the_training_loop_climbs_the_reward_on_a_fixed_batch(name, toy_dir, micro_ckpts, tmp_path,
                                                                          monkeypatch):
    """Pure text-token GRPO (lambda = 1, beta = 0) on the same 2 prompts every step must raise the
    judge's reward. The whole chain is in the loop: rollout -> judge -> rewards reshaped per group ->
    advantages -> the GRPO term's sign -> AdamW. Measured on tiny-vita (rewards, first 4 -> last 4
    steps): as built 2.1 -> 4.8 (tiny-kimi 1.9 -> 5.0). Bugs, each patched in and run: the advantage's
    sign reversed, 1.6 -> 1.0; rewards paired with the wrong replies (the list reversed), 1.6 -> 2.8;
    Eq. 8 wired as lambda SFT + (1 - lambda) GRPO, 2.1 -> 2.6. Each fails the bound below."""
    import reward
    monkeypatch.setattr(reward, "open_judge", lambda *a, **k: VowelJudge())
    out = tmp_path / "climb"
    train.run(train.get_args(["--model", name, "--init", micro_ckpts[name], "--data-dir", str(toy_dir),
                              "--out", str(out), "--max-train-samples", "2", "--batch-size", "2",
                              "--group-size", "4", "--max-len", "40", "--steps", "16", "--lr", "1e-2",
                              "--warmup", "0", "--gate", "fixed", "--lam", "1", "--beta-text", "0",
                              "--beta-speech", "0", "--eval-prompts", "0", "--quiet"]))
    with open(out / "metrics.jsonl") as f:
        rewards = [json.loads(line)["reward_mean"] for line in f]
    first, last = sum(rewards[:4]) / 4, sum(rewards[-4:]) / 4
    assert last >= 4.5 and last >= first + 2.0, rewards


# ---------------------------------------------------------------- sizes, not only zeros: what each term divides by


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_the_first_update_is_on_policy_at_any_temperature(name, samples, monkeypatch):
    """Sampled at temperature 0.5, the policy its own reference (beta 0.05 both): the update's log-probs
    equal the recorded ones on the scope (ratio 1, nothing clipped), both KLs are 0, and the policy
    term of zero-sum advantages is 0. Bug caught: the rollout rows or the reference scored at
    temperature 1 instead of the rollout's (ratio != 1, KL > 0 against an identical reference)."""
    policy, args, batch, _ = update_batch(name, samples, ["--beta-text", "0.05", "--beta-speech", "0.05"])
    ub = objective.build_update_batch(policy, micro_model(name).eval(), batch, samples[:2], args, torch.device("cpu"))
    _, logp, _, _, _, stats = logp_gradients(policy, ub, args, 1.0, torch.tensor([1.0, -1.0, 0.5, -0.5]), monkeypatch)
    assert stats["kl_text"] == pytest.approx(0, abs=1e-6) and stats["kl_speech"] == pytest.approx(0, abs=1e-6)
    assert stats["clip_frac"] == 0.0 and stats["pg_loss"] == pytest.approx(0, abs=1e-6)
    torch.testing.assert_close(logp[:ub.n_roll][ub.rl_scope], ub.old[ub.rl_scope], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
@pytest.mark.parametrize("max_len", [200, 24])
def test_sft_is_the_teacher_forced_mean_over_the_positions_the_policy_chooses(name, max_len, samples, monkeypatch):
    """L_SFT (Eq. 2, --sft-tokens all) from a step whose rollouts were sampled at 0.5 equals an
    oracle: per demonstration, the mean teacher-forced log-prob at temperature 1 over the positions
    where the schedule leaves a choice among its first --max-len (the demonstrations here are 30-60
    positions long: 200 cuts none, 24 cuts all), then the mean over demonstrations. Bug caught: the SFT
    rows scored at the rollout's temperature, forced positions (log-prob 0, e.g. tiny-kimi's blanks)
    diluting the mean, or the SFT rows not cut at --max-len (then one long demonstration stretches the
    whole step's forward past the rows the memory plan counts) or cut from the wrong end."""
    policy, args, _, ub = update_batch(name, samples, ["--beta-text", "0", "--beta-speech", "0",
                                                       "--max-len", str(max_len)])
    *forced, masks = rollout.teacher_forced(policy, samples[:2], True)
    lengths = (forced[3][..., 0] != rollout.PAD_SLOT).sum(1)
    assert (lengths > 24).all() and (lengths < 200).all()
    logp = flat(models.reply_logprobs(policy, *forced, 1.0)).detach()
    keep = flat(masks["completion"] & masks["sampled"])
    keep[:, max_len * forced[2].shape[2]:] = False          # flat index: position x streams + stream
    means = [logp[i][keep[i]].mean() for i in range(len(logp)) if keep[i].any()]
    sft = logp_gradients(policy, ub, args, 0.0, torch.zeros(4), monkeypatch)[3]
    assert sft.item() == pytest.approx(float(-sum(means) / len(means)), rel=1e-5)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_text_grpo_divides_each_reply_by_the_text_tokens_it_chose(name, samples, monkeypatch):
    """seq-mean, ratio 1, beta 0, lambda 1, A = (1, -1, 0.5, -0.5), 2 groups of 2: at every text
    position the policy chose, dL/dlogp = -A_i / n_i / G / B, n_i counting reply i's chosen text
    positions. Bug caught: the GRPO scope not intersected with the chosen positions, so forced ones
    (tiny-kimi's blanks: 96 of 160 text positions) join n_i."""
    policy, args, batch, ub = update_batch(name, samples, ["--beta-text", "0", "--beta-speech", "0"])
    adv = torch.tensor([1.0, -1.0, 0.5, -0.5])
    grad = logp_gradients(policy, ub, args, 1.0, adv, monkeypatch)[0]
    padded = rollout.pad_masks(batch.masks, ub.replies.shape[1])
    chosen = flat(padded["text"] & padded["sampled"])
    for i in range(4):
        n = int(chosen[i].sum())
        assert grad[i][chosen[i]].tolist() == pytest.approx([-float(adv[i]) / n / 2 / 2] * n, rel=1e-5)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_beta_text_reaches_text_only(name, samples, monkeypatch):
    """beta_text 0.1, beta_speech 0, A = 0, a reference of another seed: only the text KL is left, so
    every speech position's gradient is exactly 0 and text KL positions get one. Bug caught: the two
    KL masks swapped (invisible with equal betas, the default)."""
    policy, args, _, ub = update_batch(name, samples, ["--beta-text", "0.1", "--beta-speech", "0"],
                                       ref=micro_model(name, seed=1).eval())
    grad = logp_gradients(policy, ub, args, 1.0, torch.zeros(4), monkeypatch)[0]
    speech, text = ub.modality["speech"][0], ub.modality["text"][0]
    assert (grad[:ub.n_roll][speech] == 0).all() and (grad[:ub.n_roll][text & ub.kl_text] != 0).any()


@pytest.mark.parametrize("kl_tokens", ["text", "speech", "both"])
def test_kl_tokens_reaches_the_modalities_it_names(kl_tokens, samples, monkeypatch):
    """Both betas 0.1, A = 0, lambda 1, a reference of another seed: only the KL is left, and
    --kl-tokens decides which positions it reaches: --kl-tokens text leaves every speech position at
    exactly zero gradient, speech every text position, both reaches both. Bug caught: build_update_batch
    ignoring --kl-tokens (the default `both` whatever the flag)."""
    flags = ["--beta-text", "0.1", "--beta-speech", "0.1", "--kl-tokens", kl_tokens]
    policy, args, _, ub = update_batch("tiny-vita", samples, flags, ref=micro_model("tiny-vita", seed=1).eval())
    grad = logp_gradients(policy, ub, args, 1.0, torch.zeros(4), monkeypatch)[0][:ub.n_roll]
    for modality in ("text", "speech"):
        positions = ub.modality[modality][0]
        assert positions.any() and bool((grad[positions] != 0).any()) == (kl_tokens in (modality, "both")), modality


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_per_modality_kl_is_averaged_over_the_chosen_positions(name, samples, monkeypatch):
    """--kl-norm modality, A = 0, lambda 1: the loss is sum over modalities of beta_m x (mean over
    groups of the mean over replies of the mean k3 over the reply's chosen m positions), a loop here.
    Bug caught: the KL masks not intersected with the chosen positions (forced ones, k3 = 0, dilute it)."""
    flags = ["--beta-text", "0.1", "--beta-speech", "0.2", "--kl-norm", "modality"]
    policy, args, batch, ub = update_batch(name, samples, flags, ref=micro_model(name, seed=1).eval())
    logp, loss = logp_gradients(policy, ub, args, 1.0, torch.zeros(4), monkeypatch)[1:3]
    import losses
    k3 = losses.kl_k3(logp[:ub.n_roll], ub.ref)
    padded, expected = rollout.pad_masks(batch.masks, ub.replies.shape[1]), 0.0
    for beta, m in ((0.1, "text"), (0.2, "speech")):
        keep, groups = flat(padded[m] & padded["sampled"]), {}
        for i in range(4):
            if keep[i].any():
                groups.setdefault(i // 2, []).append(k3[i][keep[i]].mean())
        expected += beta * sum(sum(v) / len(v) for v in groups.values()) / len(groups)
    assert loss.item() == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("modality,other", [("text", "speech"), ("speech", "text")])
def test_each_appendix_c_part_reaches_its_own_modality_only(modality, other, samples, monkeypatch):
    """L_text / L_speech of a step (--rl-tokens all, both betas 0.1, lambda 0.5): the other modality's
    positions get exactly zero gradient, on the rollout rows and the SFT rows. With the test above that
    the two parts add up to the whole, this pins the split. Bug caught: a part that keeps the other
    modality's KL or SFT term (two halves of the whole would still add up)."""
    flags = ["--beta-text", "0.1", "--beta-speech", "0.1", "--rl-tokens", "all"]
    policy, args, _, ub = update_batch("tiny-vita", samples, flags, ref=micro_model("tiny-vita", seed=1).eval())
    grad = logp_gradients(policy, ub, args, 0.5, torch.tensor([1.0, -1.0, 0.5, -0.5]), monkeypatch, modality)[0]
    assert (grad[:ub.n_roll][ub.modality[other][0]] == 0).all() and (grad[ub.n_roll:][ub.modality[other][1]] == 0).all()
    assert (grad[:ub.n_roll][ub.modality[modality][0]] != 0).any()


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_no_audio_boundaries_takes_the_markers_out_of_the_sft_rows_speech(name, samples):
    """--sft-tokens speech: the SFT rows' scope holds the <eoa> the demonstration chooses (a CODE_OR_EOA
    slot) and its codes; with --no-audio-boundaries no <boa> or <eoa> of an SFT row is in the scope or in
    the speech part of Appendix C, and the codes still are. Bug caught: build_update_batch laying out the SFT
    rows' masks with the boundaries whatever the flag (only the rollout rows would follow it)."""
    for flags, markers_in in (([], True), (["--no-audio-boundaries"], False)):
        policy, args, _, ub = update_batch(name, samples, ["--sft-tokens", "speech", *flags])
        tokens = flat(ub.replies)[ub.n_roll:]
        marker = (tokens == policy.vocab.boa) | (tokens == policy.vocab.eoa)
        code = policy.vocab.is_code(tokens)
        assert bool((ub.sft_scope & marker).any()) == markers_in
        assert bool((ub.modality["speech"][1] & marker).any()) == markers_in
        assert (ub.sft_scope & code).any() and not (ub.sft_scope & ~(marker | code)).any()
