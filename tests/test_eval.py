"""eval.py: the statistics against hand-computed values, and every analysis end to end."""
import json
import math
import os
import random

import numpy as np
import pytest
import torch

import analyses
import eval as ev
import gate as gates
import stats


def test_sign_test_against_hand_computed_binomials():
    # N = 10: P[B >= 8] = (45 + 10 + 1) / 1024
    assert stats.sign_test(8, 2) == pytest.approx(2 * 56 / 1024)
    assert stats.sign_test(2, 8) == pytest.approx(2 * 56 / 1024)
    assert stats.sign_test(6, 0) == pytest.approx(2 / 64)
    assert stats.sign_test(5, 5) == 1.0                   # capped at 1
    assert stats.sign_test(0, 0) == 1.0
    # the paper's Table 4 overall row: 55 wins, 14 losses of 80 items -> p < 0.001
    assert stats.sign_test(55, 14) < 1e-3


def naive_ranks(x):
    return [1 + sum(b < a for b in x) + (sum(b == a for b in x) - 1) / 2 for a in x]


def test_pearson_and_spearman_with_ties_match_naive_versions():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(1, 6, 12).astype(float), rng.integers(1, 6, 12).astype(float)
        if x.std() == 0 or y.std() == 0:
            continue
        assert stats.pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
        assert list(stats.ranks(x)) == naive_ranks(list(x))
        assert stats.spearman(x, y) == pytest.approx(np.corrcoef(naive_ranks(list(x)), naive_ranks(list(y)))[0, 1])
    assert list(stats.ranks([1, 2, 2, 3])) == [1, 2.5, 2.5, 4]
    assert math.isnan(stats.pearson([3, 3, 3], [1, 2, 3]))       # constant side: undefined


def test_majority_vote_needs_a_strict_majority():
    assert analyses.majority(["win", "win", "loss"]) == "win"
    assert analyses.majority(["loss", "tie", "loss"]) == "loss"
    assert analyses.majority(["win", "loss", "tie"]) == "tie"
    assert analyses.majority(["win", "win", "tie", "tie"]) == "tie"
    assert analyses.majority([]) == "tie"


def test_agreement_metrics_hand_worked():
    m = stats.agreement_metrics([5, 4, 3, 1, 2], [5, 3, 3, 1, 2], [0, 0, 0, 1, 1])
    assert m["mae"] == pytest.approx(1 / 5) and m["within_1"] == 1.0 and m["bias"] == pytest.approx(1 / 5)
    # prompt 0: [5, 4, 3] vs [5, 3, 3] (a tie on the human side); prompt 1: perfectly ranked
    rho0 = np.corrcoef(naive_ranks([5, 4, 3]), naive_ranks([5, 3, 3]))[0, 1]
    assert m["prompts_ranked"] == 2 and m["intra_spearman"] == pytest.approx((rho0 + 1.0) / 2)
    # a prompt where one side is constant has no ranking to agree with: it is skipped
    assert stats.agreement_metrics([1, 2], [2, 2], [0, 0])["prompts_ranked"] == 0


def test_agreement_counts_distance_both_ways_and_ranks_within_each_prompt():
    """Appendix A by hand. (1) judge [1, 5] against human [5, 1]: no score within 1 point. (2) Three
    prompts of two replies, ranked the same, the same, the reverse: intra-prompt Spearman (1 + 1 - 1)
    / 3. (3) Two prompts each ranked perfectly within itself, at opposite ends of the scale: 1, where a
    Spearman over the pooled scores is negative. (4) A reply the human did not score is left out.
    Bug caught: |judge - human| without the absolute value, a median over prompts, every reply
    grouped as one prompt, or a missing human score let in."""
    assert stats.agreement_metrics([1, 5], [5, 1], [0, 0])["within_1"] == 0.0
    m = stats.agreement_metrics([1, 2, 1, 2, 1, 2], [1, 2, 1, 2, 2, 1], [0, 0, 1, 1, 2, 2])
    assert m["intra_spearman"] == pytest.approx(1 / 3)
    pool = [{"semantic": [3, 4, 5], "acoustic": [1, 2, 3]}, {"semantic": [1, 2, 3], "acoustic": [1, 2, 3]}]
    human = [{"semantic": [1, 2, 3], "acoustic": [1, 2, 3]}, {"semantic": [3, 4, 5], "acoustic": [1, 2, 3]}]
    assert analyses.agreement(pool, human)["semantic"]["intra_spearman"] == pytest.approx(1.0)
    sem = analyses.agreement([{"semantic": [1, 2, 3], "acoustic": [1, 2, 3]}],
                             [{"semantic": [1, None, 3], "acoustic": [1, 2, 3]}])["semantic"]
    assert sem["n"] == 2 and sem["mae"] == 0.0


def test_mean_of_skips_what_is_missing():
    """Bug caught: a missing or None value averaged in as 0 (1/3 instead of 1)."""
    assert stats.mean_of([{"k": 1.0}, {"k": None}, {}], "k") == 1.0


def test_side_by_side_drops_ties_from_the_sign_test_and_failed_calls_from_the_vote():
    """Eq. 17 and G.3 by hand. 6 wins, 4 ties: the sign test sees 6 of 6, p = 2/64. An item with votes
    A, B and a failed call is a tie (1 of 2 is no strict majority). An item whose three calls all
    failed is unjudged, not a tie. Bug caught: ties counted as losses in the sign test (p = 0.75),
    a half of the votes taken as a majority, or an unjudged item counted as a judged tie."""
    r = analyses.sbs_axis(["A"] * 6 + ["tie"] * 4, [False] * 10, 1)
    assert (r["win"], r["tie"], r["loss"]) == (6, 4, 0) and r["p_value"] == pytest.approx(2 / 64)
    r = analyses.sbs_axis(["A", "B", None], [False], 3)
    assert r["tie"] == 1 and r["failed_calls"] == 1
    r = analyses.sbs_axis([None] * 3 + ["A"] * 3, [False, False], 3)
    assert (r["win"], r["tie"], r["judged_items"], r["unjudged_items"]) == (1, 0, 1, 1)


def test_diversity_is_the_population_variance_of_a_prompts_scores():
    """Appendix B.1: scores {1, 5} have Var_ID = ((1-3)^2 + (5-3)^2) / 2 = 4. Bug caught: the sample
    variance (8)."""
    d = analyses.diversity([{"semantic": [1, 5], "acoustic": [1, 5], "holistic": [1, 5]}],
                           [{"semantic": [1, 5], "acoustic": [1, 5]}])
    assert d["judge"]["semantic_var"] == pytest.approx(4.0) and d["human"]["acoustic_var"] == pytest.approx(4.0)


class AlwaysA:
    """A judge whose raters always prefer the reply shown as A."""

    def compare(self, pairs):
        return {axis: ["A"] * len(pairs) for axis in ("helpfulness", "naturalness", "overall")}


def test_side_by_side_unshuffles_the_order(micro_ckpts, toy_dir):
    import codec
    import dataset
    import model as M
    m = M.load_model(micro_ckpts["tiny-vita"])
    samples = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=10)
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--raters", "3", "--max-len", "24"])
    result = analyses.side_by_side(m, m, samples, AlwaysA(), args, seed=5)
    rng = random.Random(5)
    flipped = sum(rng.random() < 0.5 for _ in samples)
    for axis in result["axes"].values():
        assert axis["win"] == len(samples) - flipped and axis["loss"] == flipped and axis["tie"] == 0
        assert axis["p_value"] == pytest.approx(stats.sign_test(len(samples) - flipped, flipped))


def test_every_analysis_writes_its_files(micro_ckpts, toy_dir, judge_url, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    with open(run / "metrics.jsonl", "w") as f:
        for step in range(1, 11):
            f.write(json.dumps({"step": step, "lambda": 0.01 * step, "lambda_raw": 0.02, "reward_gate": 0.9,
                                "info_gate": 0.1, "reward_mean": 3.0, "semantic_mean": 3.0, "acoustic_mean": 4.0,
                                "sft_loss": 1.0, "grpo_loss": 0.0}) + "\n")
    out = tmp_path / "eval"
    ckpt, base = micro_ckpts["tiny-vita"], micro_ckpts["tiny-vita"]
    ev.main(["--ckpt", ckpt, "--vs", base, "--base", base, "--run", str(run), "--analysis", "all",
             "--data", str(toy_dir / "eval.jsonl"), "--prompts", "4", "--samples", "3", "--events", "1",
             "--raters", "3", "--max-len", "32", "--out", str(out), "--judge-url", judge_url])
    for name in ("scores", "sbs", "agreement", "diversity", "reach", "gradients", "shift", "lambda"):
        assert (out / f"{name}.json").exists(), name
        if name != "scores":
            assert (out / f"{name}.png").stat().st_size > 1000, name
    lam = json.loads((out / "lambda.json").read_text())
    assert lam["first_fifth"]["lambda"] == pytest.approx(0.015) and lam["last_fifth"]["lambda"] == pytest.approx(0.095)
    assert (lam["lambda_min"], lam["lambda_max"], lam["lambda_mean"]) == pytest.approx((0.01, 0.10, 0.055))
    grads = json.loads((out / "gradients.json").read_text())
    assert {"SFT", "GRPO"} <= set(grads["summary"])
    agreement = json.loads((out / "agreement.json").read_text())
    assert agreement["semantic"]["mae"] == 0.0                 # the same noise-free judge on both sides
    scores = json.loads((out / "scores.json").read_text())
    assert len(scores["items"]) == 4 and set(scores["by_task"]) <= {"arithmetic", "comparison", "counting",
                                                                    "backwards", "repetition"}


def test_reach_measures_the_reward_the_flags_name(micro_ckpts, toy_dir, judge_url, tmp_path, monkeypatch):
    """eval.py --analysis reach --reward-mode split --semantic-weight 1 splits the pool's semantic scores, and
    says so. Bug caught: eval.py accepting train.py's reward flags and measuring the holistic reward anyway."""
    seen = []
    real = analyses.reach_pool
    monkeypatch.setattr(analyses, "reach_pool", lambda pool, *a: seen.append((pool, a)) or real(pool, *a))
    out = tmp_path / "eval"
    ev.main(["--ckpt", micro_ckpts["tiny-vita"], "--analysis", "reach", "--data", str(toy_dir / "eval.jsonl"),
             "--prompts", "2", "--samples", "2", "--max-len", "24", "--out", str(out), "--judge-url", judge_url,
             "--reward-mode", "split", "--semantic-weight", "1"])
    (pool, flags), = seen
    right, wrong, _ = real(pool, "split", 1.0)
    reach = json.loads((out / "reach.json").read_text())
    assert flags == ("split", 1.0) and (reach["n_right"], reach["n_wrong"]) == (len(right), len(wrong))
    assert reach["reward"] == "1 semantic + 0 acoustic"


def test_local_noisy_raters_disagree_with_the_human_and_each_draw_is_a_new_answer(micro_ckpts, toy_dir, tmp_path):
    """--judge-draws asks the noisy judge again about the same replies. Bug caught: the draws sent
    with the pool's own request seeds (the same answers: sd 0 and a 'mean' that is one draw), or
    the first draw's line no longer the pool's own scores."""
    ev.main(["--ckpt", micro_ckpts["tiny-kimi"], "--analysis", "agreement", "--data", str(toy_dir / "eval.jsonl"),
             "--prompts", "4", "--samples", "3", "--max-len", "24", "--out", str(tmp_path), "--rater-noise", "1.5", "1.5",
             "--judge-draws", "3"])
    result = json.loads((tmp_path / "agreement.json").read_text())
    assert result["semantic"]["n"] == 12 and result["semantic"]["mae"] > 0
    assert result["judge_draws"] == 3
    assert result["over_draws"]["semantic"]["mae"][1] > 0            # three different answers
    ev.main(["--ckpt", micro_ckpts["tiny-kimi"], "--analysis", "agreement", "--data", str(toy_dir / "eval.jsonl"),
             "--prompts", "4", "--samples", "3", "--max-len", "24", "--out", str(tmp_path / "one"),
             "--rater-noise", "1.5", "1.5", "--judge-draws", "1"])
    one = json.loads((tmp_path / "one" / "agreement.json").read_text())
    assert one["semantic"] == result["semantic"]                      # draw 0 is the pool's own, whatever the draws
    assert one["over_draws"]["semantic"]["mae"] == [one["semantic"]["mae"], 0.0]


def test_h2_reference_band_starts_low_rises_and_settles():
    """Appendix H.2's reported shape beside the run: 0.1-0.2 early, [0.35, 0.55] at the end,
    never falling. Bug caught: the two bands swapped, or the rise drawn backwards."""
    assert analyses.h2_band(0.0) == pytest.approx((0.1, 0.2)) and analyses.h2_band(0.2) == pytest.approx((0.1, 0.2))
    assert analyses.h2_band(1.0) == pytest.approx((0.35, 0.55)) and analyses.h2_band(0.7) == pytest.approx((0.35, 0.55))
    lows = [analyses.h2_band(x / 20)[0] for x in range(21)]
    assert lows == sorted(lows) and lows[0] < analyses.h2_band(0.45)[0] < lows[-1]


def test_judge_draws_default_to_one_for_a_paid_judge(micro_ckpts):
    """Bug caught: a real (paid) judge asked five times over about every reply by default."""
    x = micro_ckpts["tiny-vita"]
    assert ev.get_args(["--ckpt", x, "--analysis", "agreement"]).judge_draws == 5
    assert ev.get_args(["--ckpt", x, "--analysis", "agreement", "--judge-url", "http://h"]).judge_draws == 1
    assert ev.get_args(["--ckpt", x, "--judge-url", "http://h", "--judge-draws", "3"]).judge_draws == 3
    with pytest.raises(SystemExit):
        ev.get_args(["--ckpt", x, "--judge-draws", "0"])


def test_analyses_say_what_they_need(micro_ckpts, tmp_path, capsys):
    """Bug caught: a missing input found minutes in, or a traceback, instead of one line naming it."""
    for argv, named in ((["--ckpt", micro_ckpts["tiny-vita"], "--analysis", "shift"], "--base"),
                        (["--analysis", "scores"], "--ckpt"), (["--ckpt", str(tmp_path)], "no spoken.json")):
        with pytest.raises(SystemExit) as stop:
            ev.get_args(argv)
        assert stop.value.code == 2 and named in capsys.readouterr().err.strip().splitlines()[-1]


def test_a_real_checkpoint_is_scored_on_given_data_by_a_given_judge_with_full_replies(micro_ckpts, tmp_path, capsys):
    """A checkpoint whose spoken.json names a real tokenizer (what train.py --model vita saves) needs
    --data and --judge-url, and samples replies up to train.py's 2048 tokens, not the tiny models'
    128. Bug caught: VITA-Audio scored on the toy world's questions by the toy judge, or its
    replies cut after 128 tokens (about 90 speech tokens, a few seconds of audio)."""
    real = tmp_path / "vita-final"
    real.mkdir()
    (real / "spoken.json").write_text(json.dumps({"model": "vita", "arch": "interleaved", "tokenizer": "hf"}))
    with pytest.raises(SystemExit) as stop:
        ev.get_args(["--ckpt", str(real)])
    assert stop.value.code == 2 and "--judge-url" in capsys.readouterr().err
    given = ev.get_args(["--ckpt", str(real), "--data", "held-out.jsonl", "--judge-url", "http://h"])
    assert (given.max_len, given.data, given.rows) == (2048, "held-out.jsonl", 32)    # 32 rows: ~4 GB of KV cache
    tiny = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"]])
    assert (tiny.max_len, tiny.rows) == (128, 512) and tiny.data.endswith(os.path.join("data", "toy", "eval.jsonl"))
    assert ev.get_args(["--ckpt", str(real), "--data", "d", "--judge-url", "http://h", "--max-len", "300"]).max_len == 300


def test_written_json_is_strict_and_atomic(tmp_path):
    import runtime
    path = tmp_path / "r.json"
    runtime.write_json(str(path), {"a": float("nan"), "b": [1.0, float("-inf")], "c": {"d": 2}})
    assert json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(c)) == {"a": None, "b": [1.0, None],
                                                                                       "c": {"d": 2}}
    assert os.listdir(tmp_path) == ["r.json"]                      # no temp file left behind


class LongerWins:
    """Raters who prefer the longer transcript (tie on equal length)."""

    def compare(self, pairs):
        pick = ["A" if len(a[0]) > len(b[0]) else "B" if len(a[0]) < len(b[0]) else "tie" for _, _, a, b, _ in pairs]
        return {axis: pick for axis in ("helpfulness", "naturalness", "overall")}


class ByTranscript:
    """A judge whose scores are a function of the transcript alone, different on each axis."""

    def score(self, items, mode="all", semantic_weight=0.7):
        import reward
        return reward.JudgeResult(rewards=[None] * len(items),
                                  scores={axis: [1 + (len(it.transcript) + k) % 5 for it in items]
                                          for k, axis in enumerate(reward.AXES)})


def test_replies_are_averaged_per_prompt_and_chunks_draw_as_one_batch(micro_ckpts, toy_dir):
    """Oracle: one reply each for the same prompts, each repeated K times in a row; with one
    generator, row r of prompt i is row i*K + r either way. Each prompt's item must be the mean
    of its K rows, and chunks of 4 rows must give the one-batch items. Bugs: a prompt averaged
    over other prompts' replies (rows taken as r*B + i), a chunk that re-seeds the generator,
    scores of one chunk paired with another's replies."""
    import codec
    import dataset
    import model as M
    import reward
    m = M.load_model(micro_ckpts["tiny-vita"])
    samples = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=5)
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--max-len", "24"])
    k = 3
    one = ev.score_items(m, [s for s in samples for _ in range(k)], ByTranscript(), args, seed=7)
    many = ev.score_items(m, samples, ByTranscript(), args, seed=7, replies=k)
    chunked = ev.score_items(m, samples, ByTranscript(), args, seed=7, replies=k, rows=4)
    assert any(len(set(item["texts"])) > 1 for item in many)            # the replies differ
    for i, item in enumerate(many):
        mine = one[i * k:(i + 1) * k]
        assert item["id"] == samples[i].id and item["texts"] == [r["text"] for r in mine]
        for key in ("accuracy", "intelligibility", "stopped", *reward.AXES):
            assert item[key] == pytest.approx(np.mean([r[key] for r in mine])), key
    assert [c["texts"] for c in chunked] == [c["texts"] for c in many]
    assert [c["semantic"] for c in chunked] == [c["semantic"] for c in many]


def test_side_by_side_and_shift_in_chunks_give_the_one_batch_results(micro_ckpts, toy_dir):
    """eval.py --rows (memory at 7B: the KV cache and full-vocabulary logits) splits the sampling
    and the shift's scoring; one generator runs through the chunks, so the replies, the votes and
    the log-prob shifts are the one batch's. Bugs: a chunk re-seeding its generator (every chunk
    the same replies), items paired with another chunk's replies, a shift row scored against the
    wrong reply."""
    import codec
    import dataset
    import model as M
    from conftest import micro_model
    m, base = M.load_model(micro_ckpts["tiny-vita"]), micro_model("tiny-vita", seed=1)
    samples = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=7)
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--raters", "1", "--max-len", "24"])
    whole = analyses.side_by_side(m, base, samples, LongerWins(), args, seed=3)
    chunked = analyses.side_by_side(m, base, samples, LongerWins(), args, seed=3, rows=3)
    assert chunked == whole and whole["axes"]["overall"]["tie_rate"] < 1          # the votes say something
    assert len({b.texts[0] for b in analyses.sample_in_chunks(m, samples, args, 3, 3)}) > 1   # chunks differ
    one = analyses.probability_shift(m, base, samples, args, seed=3)
    few = analyses.probability_shift(m, base, samples, args, seed=3, rows=3)      # sampled by 3, scored 1 at a time
    assert [i["id"] for i in few["items"]] == [s.id for s in samples]
    for a, b in zip(one["items"], few["items"]):
        assert a["kind"] == b["kind"]
        np.testing.assert_allclose(a["delta"], b["delta"], atol=1e-5)
    assert few["summary"]["text"]["tokens"] == one["summary"]["text"]["tokens"]


def test_lambda_reach_is_the_binomial_mix_worked_by_hand():
    """Right replies score 5 and the others 1, no noise: a group with k of 4 right has population
    variance k(4 - k), so v = k(4 - k)/4, and at p = 1/2 E[v] = (4 * 3/4 + 6 * 1 + 4 * 3/4)/16 = 3/4;
    the reward gate is sigmoid(10) once a reply is right, sigmoid(-10) when none is. Bugs caught:
    the sample variance (v 4/3 too large), weights other than C(G,k) p^k (1-p)^(G-k), the two pools
    swapped (a group of no right replies would pass the reward gate)."""
    r = analyses.lambda_reach([5.0], [1.0], gates.make_gate("adaptive"), group_size=4, shares=(0.0, 0.5, 1.0),
                              pool_share=0.25, draws=8)
    high, low = 1 / (1 + math.exp(-10)), 1 / (1 + math.exp(10))
    none, half, all_right = r["by_share"]
    assert half["info_gate"] == pytest.approx(0.75)
    assert half["lambda_raw"] == pytest.approx(0.8 * high * 0.75)
    assert half["reward_gate"] == pytest.approx((15 * high + low) / 16)
    assert none["lambda_raw"] == 0 and all_right["lambda_raw"] == 0          # no spread, no weight
    assert none["reward_gate"] == pytest.approx(low) and all_right["reward_gate"] == pytest.approx(high)
    w = [81 / 256, 108 / 256, 54 / 256, 12 / 256, 1 / 256]                  # Binomial(4, 1/4)
    assert r["at_pool"]["info_gate"] == pytest.approx(w[1] * 0.75 + w[2] + w[3] * 0.75)
    assert r["peak"]["share"] == 0.5


def test_lambda_reach_peaks_where_lambda_raw_does_not_where_the_spread_does():
    """Right replies score 3.2, wrong ones 1.0 or 2.8: a group with no right reply still varies, but
    its best reply is under the threshold, so the reward gate discounts it; lambda_raw peaks at a
    higher share right than the info gate does. The reported peak is lambda_raw's. Bug caught: the
    peak picked by another column (on symmetric pools the two argmaxes coincide, so the test above
    cannot tell)."""
    r = analyses.lambda_reach([3.2], [1.0, 2.8], gates.make_gate("adaptive"), draws=4000)
    by_lam = max(r["by_share"], key=lambda b: b["lambda_raw"])
    by_spread = max(r["by_share"], key=lambda b: b["info_gate"])
    assert by_lam["share"] > by_spread["share"] and r["peak"] == by_lam


def test_lambda_reach_draws_from_the_pools_and_says_when_a_class_is_missing():
    """Noisy pools: the estimate lies between the noise-free bounds and is the same for the same seed;
    a pool without right replies has an estimate only at p = 0. Bug caught: a missing class drawn
    as zeros (a spread from nothing) instead of reported as unknown."""
    g = gates.make_gate("adaptive")
    a = analyses.lambda_reach([4.0, 5.0], [1.0, 2.0], g, shares=(0.5,), draws=2000, seed=3)
    assert a == analyses.lambda_reach([4.0, 5.0], [1.0, 2.0], g, shares=(0.5,), draws=2000, seed=3)
    narrow = analyses.lambda_reach([4.0], [2.0], g, shares=(0.5,), draws=8)["by_share"][0]["info_gate"]
    wide = analyses.lambda_reach([5.0], [1.0], g, shares=(0.5,), draws=8)["by_share"][0]["info_gate"]
    assert narrow < a["by_share"][0]["info_gate"] < wide
    none = analyses.lambda_reach([], [1.0, 2.0], g, shares=(0.0, 0.5), pool_share=0.0)
    assert none["by_share"][0]["lambda_raw"] > 0 and math.isnan(none["by_share"][1]["lambda_raw"])
    assert none["peak"]["share"] == 0.0
    assert "no estimate" not in " ".join(analyses.reach_lines(none))
    empty = analyses.lambda_reach([], [], g)
    assert empty["peak"] is None and "no estimate" in analyses.reach_lines(empty)[1]


TORN = '{"step": 1, "lambda": 0.1}\n{"step": 2, "lamb\n'


@pytest.mark.parametrize("metrics,named", [(None, "no metrics.jsonl there"), (TORN, "metrics.jsonl:2: not valid JSON")])
def test_lambda_on_a_missing_or_torn_metrics_file_ends_with_one_line(metrics, named, tmp_path, capsys):
    """`eval.py --run DIR --analysis lambda` where DIR has no metrics.jsonl (a typo, or a base's
    directory), or one whose line 2 was cut (a full disk). Bug caught: FileNotFoundError or
    JSONDecodeError as a traceback instead of one line naming the file and line, status 2."""
    if metrics is not None:
        (tmp_path / "metrics.jsonl").write_text(metrics)
    with pytest.raises(SystemExit) as stop:
        ev.main(["--run", str(tmp_path), "--analysis", "lambda"])
    last = capsys.readouterr().err.strip().splitlines()[-1]       # argparse's usage may come first
    assert stop.value.code == 2 and named in last and str(tmp_path) in last and "Traceback" not in last
    assert not (tmp_path / "eval").exists() or metrics is not None   # a missing run: nothing written


def test_intelligibility_compares_what_is_heard_with_what_is_written():
    """catches: the analyser's spaces or the text's capitals and punctuation counted as differences, an
    order-blind similarity (difflib's quick_ratio calls 'ab' heard for 'ba' a match), or an empty reply
    that says nothing scored unintelligible."""
    import codec
    assert ev.intelligibility(codec.speak("3 plus 4 is 7"), "3 Plus 4 is 7.") == 1.0
    assert ev.intelligibility(codec.speak("ab"), "ba") == 0.5           # one symbol in order: 2 * 1 / (2 + 2)
    assert ev.intelligibility(codec.speak(""), "") == 1.0


class ScriptedReplies:
    """rollout.sample's stand-in: each prompt's replies from a table, in order; records rows per call."""

    def __init__(self, table):
        self.table, self.rows = table, []

    def __call__(self, model, samples, n, generator=None, **kw):
        import codec
        from types import SimpleNamespace
        texts = [t for s in samples for t in self.table[s.id][:n]]
        self.rows.append(len(texts))
        return SimpleNamespace(texts=texts, codes=[codec.speak(t) for t in texts], waves=[None] * len(texts),
                               rates=[16000] * len(texts), sample_of=lambda i: samples[i // n])


class ByText:
    """A judge whose score on every axis is looked up by transcript (None: a failed call)."""

    def __init__(self, scores):
        self.scores = scores

    def score(self, items, mode="all"):
        import reward
        return reward.JudgeResult(rewards=[None] * len(items),
                                  scores={axis: [self.scores[it.transcript] for it in items] for axis in reward.AXES})


def test_score_items_by_hand_with_scripted_replies(monkeypatch):
    """Three replies a prompt, read off a table. p0: right, stopped at 'is', wrong -> accuracy 1/3, stopped 1/3,
    semantic (5 + 2) / 2 with the failed call left out; p1: right, right, stopped -> 2/3, 1/3, and no judge
    score at all -> None. Sampled at most --rows 4 replies a call: one prompt (3 rows) at a time. Bugs caught:
    answer_matches' arguments swapped, the stopped share inverted, a failed call averaged in as 0, a prompt
    with no score given 0, the item's text not its first reply, rows=4 taken as 4 prompts a call (6 rows at once here),
    score_samples leaving out the judge's axes."""
    from types import SimpleNamespace as S
    samples = [S(id="p0", task="arithmetic", style=None, reference="7", question_text="what is 3 plus 4"),
               S(id="p1", task="repetition", style="loudly", reference="3", question_text="say 3 loudly")]
    sampler = ScriptedReplies({"p0": ["3 plus 4 is 7", "3 plus 4 is", "3 plus 4 is 2"],
                               "p1": ["you said 3", "you said 3", "you said"]})
    monkeypatch.setattr(ev.rollout, "sample", sampler)
    judge = ByText({"3 plus 4 is 7": 5, "3 plus 4 is": None, "3 plus 4 is 2": 2, "you said 3": None, "you said": None})
    args = S(temperature=1.0, top_p=1.0, top_k=0, repetition_penalty=1.0, max_len=24)
    p0, p1 = ev.score_items(S(spec={"codec": "toy"}), samples, judge, args, replies=3, rows=4)
    assert sampler.rows == [3, 3]
    assert (p0["text"], p0["style"], p1["style"]) == ("3 plus 4 is 7", "none", "loudly")
    assert (p0["accuracy"], p0["stopped"], p0["semantic"]) == pytest.approx((1 / 3, 1 / 3, 3.5))
    assert (p1["accuracy"], p1["stopped"], p1["semantic"]) == (pytest.approx(2 / 3), pytest.approx(1 / 3), None)
    assert p0["intelligibility"] == p1["intelligibility"] == 1.0
    # score_samples (train.py's held-out summary): one reply a prompt, the first of each row of the table
    assert ev.score_samples(S(spec={"codec": "toy"}), samples, judge, args, rows=4) == {
        "accuracy": 1.0, "intelligibility": 1.0, "stopped": 0.0, "semantic": 5.0, "acoustic": 5.0, "holistic": 5.0}


TABLE_ROWS = [
    {"task": "a", "style": "none", "accuracy": 1.0, "intelligibility": 1.0, "stopped": 0.0, "semantic": 5.0,
     "acoustic": 1.0, "holistic": 4.0},
    {"task": "a", "style": "loudly", "accuracy": 0.0, "intelligibility": 0.5, "stopped": 0.0, "semantic": 3.0,
     "acoustic": 5.0, "holistic": 3.0},
    {"task": "b", "style": "loudly", "accuracy": 0.0, "intelligibility": 0.0, "stopped": 1.0, "semantic": 1.0,
     "acoustic": 2.0, "holistic": 2.0},
]


def test_score_table_groups_iq_by_task_and_eq_by_style_and_prints_each_under_its_name(capsys):
    """Hand-worked: task a = rows 1-2 (semantic 4, accuracy 1/2), b = row 3; style loudly = rows 2-3
    (acoustic 3.5), none = row 1. Bugs caught: a group's mean over every row, n the total count, IQ by task
    on the acoustic axis and EQ by style on the semantic one, or printed columns under each other's names."""
    table = ev.score_table(TABLE_ROWS)
    assert table["by_task"] == {"a": {"semantic": 4.0, "accuracy": 0.5, "n": 2},
                                "b": {"semantic": 1.0, "accuracy": 0.0, "n": 1}}
    assert table["by_style"] == {"loudly": {"acoustic": 3.5, "n": 2}, "none": {"acoustic": 1.0, "n": 1}}
    ev.print_scores(table, "ckpt")
    out = capsys.readouterr().out
    assert "accuracy 0.333  intelligibility 0.500  stopped before the answer 0.333  semantic 3.00  acoustic 2.67  " \
           "holistic 3.00" in out
    assert "a 4.00 (50%, n=2)  b 1.00 (0%, n=1)" in out and "loudly 3.50 (n=2)  none 1.00 (n=1)" in out


def test_the_command_line_picks_the_analyses_and_paths_its_flags_name(micro_ckpts, tmp_path, capsys):
    """Bugs caught: --vs turning on the shift and --base the side-by-side (by default or in 'all'); lambda
    beside another analysis letting a missing --ckpt through; a real checkpoint let through with --data but
    no --judge-url; --rows 1 refused; the output put under --run when --ckpt is given; a 0% rate printed
    as n/a."""
    x, run = micro_ckpts["tiny-vita"], tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1, "lambda": 0.1}\n')
    assert ev.get_args(["--ckpt", x, "--vs", x]).analysis == ["scores", "sbs"]
    assert ev.get_args(["--ckpt", x, "--base", x]).analysis == ["scores", "shift"]
    picked = ev.get_args(["--ckpt", x, "--vs", x, "--analysis", "all"]).analysis
    assert "sbs" in picked and "shift" not in picked and "lambda" not in picked
    picked = ev.get_args(["--ckpt", x, "--base", x, "--analysis", "all"]).analysis
    assert "shift" in picked and "sbs" not in picked
    real = tmp_path / "vita"
    real.mkdir()
    (real / "spoken.json").write_text(json.dumps({"model": "vita", "arch": "interleaved", "tokenizer": "hf"}))
    for argv, named in ((["--run", str(run), "--analysis", "lambda", "scores"], "--ckpt"),
                        (["--ckpt", str(real), "--data", "held-out.jsonl"], "--judge-url")):
        with pytest.raises(SystemExit) as stop:
            ev.get_args(argv)
        assert stop.value.code == 2 and named in capsys.readouterr().err.strip().splitlines()[-1]
    assert ev.get_args(["--ckpt", x, "--rows", "1"]).rows == 1
    assert ev.get_args(["--ckpt", x, "--run", str(run)]).out == os.path.join(x, "eval")
    assert (ev._pct(0.0), ev._pct(None), ev._pct(0.25)) == ("0.0%", "n/a", "25.0%")


def test_the_side_by_side_is_the_ckpt_against_vs_and_prints_its_own_rates(micro_ckpts, toy_dir, judge_url, tmp_path,
                                                                         monkeypatch, capsys):
    """--ckpt's model answers every question right, --vs's says nothing (scripted replies, the noise-free
    judge): the checkpoint wins every item on helpfulness. Bugs caught: the two models passed to the
    side-by-side the other way round (a loss of 100%), or the printed line's win and loss swapped."""
    import codec
    from types import SimpleNamespace
    ckpt, vs = micro_ckpts["tiny-vita"], micro_ckpts["tiny-kimi"]

    def sample(model, samples, n, generator=None, **kw):
        right = model.spec["model"] == "tiny-vita"
        texts = [(s.target_text or s.reference) if right else "" for s in samples for _ in range(n)]
        waves = [codec.decode(codec.speak(t)) for t in texts]
        return SimpleNamespace(texts=texts, waves=[w for w, _ in waves], rates=[r for _, r in waves])
    monkeypatch.setattr(analyses.rollout, "sample", sample)
    ev.main(["--ckpt", ckpt, "--vs", vs, "--analysis", "sbs", "--data", str(toy_dir / "eval.jsonl"), "--prompts", "4",
             "--raters", "1", "--out", str(tmp_path), "--judge-url", judge_url])
    helpful = json.loads((tmp_path / "sbs.json").read_text())["axes"]["helpfulness"]
    assert (helpful["win"], helpful["loss"], helpful["win_rate"]) == (4, 0, 1.0)
    assert "side-by-side helpfulness  win 100.0% tie 0.0% loss 0.0%" in capsys.readouterr().out


def test_noisy_raters_get_the_rater_noise_per_axis_and_the_held_out_scores_stay_noise_free(micro_ckpts, toy_dir,
                                                                                          tmp_path):
    """--judge-noise none --rater-noise 3 0: the 'LLM judge' is noisy on the semantic axis only, so against
    the noise-free human it disagrees there (mae > 0) and agrees exactly on the acoustic axis; the held-out
    scores are the noise-free judge's, worked out here from each reply's text (the semantic score needs no
    audio). Bugs caught: the two --rater-noise values swapped, the held-out scores taken from the noisy
    raters."""
    import dataset
    import judge
    ev.main(["--ckpt", micro_ckpts["tiny-vita"], "--analysis", "scores", "agreement", "--data",
             str(toy_dir / "eval.jsonl"), "--prompts", "8", "--samples", "2", "--max-len", "24", "--out", str(tmp_path),
             "--judge-noise", "none", "--rater-noise", "3", "0", "--judge-draws", "1"])
    agreement = json.loads((tmp_path / "agreement.json").read_text())
    assert agreement["semantic"]["mae"] > 0 and agreement["acoustic"]["mae"] == 0.0
    questions = {s.id: s for s in dataset.load_samples(str(toy_dir / "eval.jsonl"), lambda w, r: [], limit=8)}
    for item in json.loads((tmp_path / "scores.json").read_text())["items"]:
        s = questions[item["id"]]
        want = judge.ToyJudge().score("semantic", s.question_text, s.reference, item["text"], np.zeros(1), 16000)[0]
        assert item["semantic"] == want, item


def test_the_scores_sample_with_the_seed_and_few_rows_still_make_a_pool(micro_ckpts, toy_dir, judge_url, tmp_path):
    """--seed 1 --rows 2 --samples 3: the held-out replies are those sampled with seed 1 (the same as
    score_items' own with seed 1), and the diversity pool still samples with fewer rows than replies per
    prompt. Bugs caught: the scores sampled with the default seed whatever --seed says, or a pool batch of
    rows // samples = 0 prompts (a step-0 range)."""
    import codec
    import dataset
    import model as M
    argv = ["--ckpt", micro_ckpts["tiny-vita"], "--data", str(toy_dir / "eval.jsonl"), "--prompts", "3", "--max-len",
            "24", "--judge-url", judge_url, "--seed", "1", "--rows", "2", "--samples", "3", "--out", str(tmp_path)]
    ev.main(argv + ["--analysis", "scores", "diversity"])
    got = [item["text"] for item in json.loads((tmp_path / "scores.json").read_text())["items"]]
    samples = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=3)
    mine = ev.score_items(M.load_model(micro_ckpts["tiny-vita"]), samples, None, ev.get_args(argv), seed=1, rows=2)
    other = ev.score_items(M.load_model(micro_ckpts["tiny-vita"]), samples, None, ev.get_args(argv), seed=0, rows=2)
    assert got == [r["text"] for r in mine] != [r["text"] for r in other]
    assert (tmp_path / "diversity.json").exists()


def test_reach_on_a_model_that_is_never_right_has_an_estimate_only_where_no_reply_is_right(micro_ckpts, toy_dir,
                                                                                           judge_url, tmp_path):
    """A random micro model never ends a reply with the toy answer, so every pooled reward is a wrong
    reply's: lambda_raw is known at share 0 and unknown (null) at every share above it. Bug caught: the
    right and wrong pools passed the other way round (an estimate only at share 1, from wrong replies)."""
    ev.main(["--ckpt", micro_ckpts["tiny-vita"], "--analysis", "reach", "--data", str(toy_dir / "eval.jsonl"),
             "--prompts", "2", "--samples", "3", "--max-len", "24", "--judge-url", judge_url, "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "reach.json").read_text())["by_share"]
    assert rows[0]["share"] == 0.0 and rows[0]["lambda_raw"] is not None
    assert len(rows) > 1 and all(r["lambda_raw"] is None for r in rows[1:])


def test_agreement_bias_is_the_judges_score_minus_the_humans():
    """Appendix A's bias is signed: a judge scoring 4 and 5 where the human gave 3 and 3 is 1.5 points
    generous. Bug caught: judge and human passed to the metrics the other way round (Pearson, Spearman and
    MAE do not change; the bias comes out -1.5)."""
    r = analyses.agreement([{"semantic": [4, 5], "acoustic": [3, 3]}], [{"semantic": [3, 3], "acoustic": [3, 3]}])
    assert r["semantic"]["bias"] == pytest.approx(1.5) and r["acoustic"]["bias"] == 0.0


def test_diversity_keeps_judge_and_human_and_each_axis_apart_and_needs_two_scores_a_prompt():
    """Appendix B by hand. Judge: prompt 0 semantic {1, 5} (variance 4), acoustic {2, 2} (0); prompt 1
    semantic {3} and a failed call (one score: no variance to speak of, left out), acoustic {1, 3} (1).
    Human: semantic {2, 4} (1) and {3, 3} (0), acoustic {1, 5} (4) and {2} (left out). So judge
    semantic 4, acoustic 0.5; human semantic 0.5, acoustic 4. Bugs caught: a prompt with one score
    counted as variance 0 (judge semantic 2), judge and human swapped, the axes swapped."""
    pool = [{"semantic": [1, 5], "acoustic": [2, 2], "holistic": [1, 1]},
            {"semantic": [3, None], "acoustic": [1, 3], "holistic": [1, 1]}]
    human = [{"semantic": [2, 4], "acoustic": [1, 5]}, {"semantic": [3, 3], "acoustic": [None, 2]}]
    d = analyses.diversity(pool, human)
    assert (d["judge"]["semantic_var"], d["judge"]["acoustic_var"]) == pytest.approx((4.0, 0.5))
    assert (d["human"]["semantic_var"], d["human"]["acoustic_var"]) == pytest.approx((0.5, 4.0))
    assert d["judge"]["per_prompt"]["semantic"] == [4.0] and d["human"]["per_prompt"]["acoustic"] == [4.0]


def test_h2_band_leaves_the_start_band_after_the_first_fifth():
    """Our reading of H.2: the start band over the first fifth, a straight rise to the end band at 70%.
    At 25%: a tenth of the way, (0.1 + 0.1 * 0.25, 0.2 + 0.1 * 0.35) = (0.125, 0.235); at 60%: eight
    tenths, (0.3, 0.48). Bug caught: the start band held over the first 30% (still (0.1, 0.2) at 25%)."""
    assert analyses.h2_band(0.25) == pytest.approx((0.125, 0.235))
    assert analyses.h2_band(0.6) == pytest.approx((0.3, 0.48))


def write_metrics(path, lams, reward_gates, info_gates):
    with open(path / "metrics.jsonl", "w") as f:
        for s, (lam, rg, ig) in enumerate(zip(lams, reward_gates, info_gates)):
            f.write(json.dumps({"step": s + 1, "lambda": lam, "lambda_raw": lam, "reward_gate": rg, "info_gate": ig,
                                "reward_mean": 3.0, "semantic_mean": 3.0, "acoustic_mean": 3.0}) + "\n")


def test_lambda_trajectory_fifths_round_down_but_never_to_nothing_and_the_gates_print_under_their_names(tmp_path):
    """Seven steps: a fifth is 7 // 5 = 1 step, so the first fifth is step 1 and the last step 7; three
    steps still have a fifth of one step. The gates' line, by hand: reward 0.1 -> 0.9, info 0.7 -> 0.2.
    Bugs caught: the fifth rounded up (2 steps: 0.15), a fifth of 0 steps on a short run (NaN, and
    rows[-0:] the whole run), the two gates printed under each other's names or the last fifth's reward
    gate read from the first."""
    write_metrics(tmp_path, [0.1, 0.2, 0.3, 0.3, 0.4, 0.5, 0.45], [0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9],
                  [0.7, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2])
    r = analyses.lambda_trajectory(str(tmp_path))
    assert (r["first_fifth"]["lambda"], r["last_fifth"]["lambda"], r["steps"]) == (0.1, 0.45, 7)
    assert analyses.lambda_lines(r)[2] == "  gates, first -> last fifth: reward 0.100 -> 0.900, info 0.700 -> 0.200"
    write_metrics(tmp_path, [0.1, 0.2, 0.3], [0.5] * 3, [0.5] * 3)
    r = analyses.lambda_trajectory(str(tmp_path))
    assert (r["first_fifth"]["lambda"], r["last_fifth"]["lambda"]) == (0.1, 0.3)


def test_reach_pool_splits_scored_replies_by_the_answer_they_end_with():
    """By hand. Prompt 0 (answer 7): '3 plus 4 is 7' (5), '3 plus 4 is 2' (2), a right reply the judge
    failed on (None: left out), 'it is 7' (4). A prompt without a reference is left out. Prompt 2
    (answer 3): 'you said 3' (4), 'you said' (1). Right [5, 4, 4], wrong [2, 1], share 3/5 on the
    holistic axis (the semantic one says 1 everywhere). Bugs caught: the share as right / wrong (1.5),
    answer_matches' arguments swapped (nothing right), the semantic axis read, a prompt without a
    reference or an unscored reply let in."""
    from types import SimpleNamespace as S
    pool = [{"sample": S(reference="7"), "texts": ["3 plus 4 is 7", "3 plus 4 is 2", "3 plus 4 is 7", "it is 7"],
             "holistic": [5, 2, None, 4], "semantic": [1, 1, 1, 1]},
            {"sample": S(reference=None), "texts": ["7"], "holistic": [3], "semantic": [1]},
            {"sample": S(reference="3"), "texts": ["you said 3", "you said"], "holistic": [4, 1], "semantic": [1, 1]}]
    assert analyses.reach_pool(pool) == ([5.0, 4.0, 4.0], [2.0, 1.0], pytest.approx(0.6))


def test_reach_pool_reads_the_reward_train_py_would_compute():
    """--reward-mode split (w semantic + (1 - w) acoustic) is the reward whose reach is measured, not the holistic
    axis. Right '3 plus 4 is 7': semantic 5, acoustic 3 -> 0.7 * 5 + 0.3 * 3 = 4.4 (w = 1: 5); wrong '3 plus 4
    is 2': semantic 2, acoustic 4 -> 2.6; a reply missing its acoustic score has no split reward. Bugs caught:
    reach always reading the holistic axis (train.py's --reward-mode accepted by eval.py and ignored), the
    weight applied to the acoustic axis."""
    from types import SimpleNamespace as S
    pool = [{"sample": S(reference="7"), "texts": ["3 plus 4 is 7", "3 plus 4 is 2", "3 plus 4 is 7"],
             "holistic": [3, 3, 3], "semantic": [5, 2, 5], "acoustic": [3, 4, None]}]
    assert analyses.reach_pool(pool, "split", 0.7) == ([pytest.approx(4.4)], [pytest.approx(2.6)], 0.5)
    assert analyses.reach_pool(pool, "split", 1.0) == ([5.0], [2.0], 0.5)
    assert analyses.reach_pool(pool) == ([3.0, 3.0], [3.0], pytest.approx(2 / 3))


def test_reach_lines_print_the_peak_and_the_pools_own_share_each_with_its_own_lambda():
    """Bug caught: the pool's own share printed with the peak's lambda_raw (0.300 where it is 0.200)."""
    r = {"gate": "adaptive", "group_size": 4, "n_right": 3, "n_wrong": 2,
         "by_share": [{"share": 0.0, "lambda_raw": 0.0}, {"share": 0.5, "lambda_raw": 0.3}],
         "peak": {"share": 0.5, "lambda_raw": 0.3}, "at_pool": {"share": 0.25, "lambda_raw": 0.2}}
    assert analyses.reach_lines(r)[1] == ("  highest 0.300 at p 0.5; at the pool's own share right (0.250) 0.200; "
                                          "H.2 settles in [0.35, 0.55]")


def test_gradient_summary_by_hand_medians_finite_events_and_orders_layers_by_number():
    """Appendix C's summary, by hand. GRPO events with |g_text| / |g_speech| 1, 2, 100 and one with no
    speech gradient (inf: left out): 3 events, median 2, cosines 0.1, 0.2, 0.6 -> mean 0.3, population
    sd sqrt(0.14 / 3). Layers in model order: embed, layer 2, layer 10, the branch, head, norm. Bugs
    caught: layers sorted as strings ('layer 10' before 'layer 2', 'branch' first), an inf ratio kept
    (4 events, median 51), the mean ratio (34.3) for the median."""
    names = ["norm/other", "head", "layer 10", "branch layer 1", "layer 2", "embed"]

    def rec(ratio, cos):
        return {"objective": "GRPO", "ratio": ratio, "cos": cos,
                "layers": {k: {"ratio": ratio, "cos": cos} for k in names}}
    s = analyses.summarise_gradients([rec(1.0, 0.1), rec(100.0, 0.6), rec(float("inf"), 0.9), rec(2.0, 0.2)])["GRPO"]
    assert (s["events"], s["ratio_median"], s["cos_mean"]) == (3, 2.0, pytest.approx(0.3))
    assert s["cos_std"] == pytest.approx(math.sqrt(0.14 / 3))
    assert list(s["layers"]) == ["embed", "layer 2", "layer 10", "branch layer 1", "head", "norm/other"]
    assert s["layers"]["layer 10"] == {"ratio_median": 2.0, "cos_mean": pytest.approx(0.3)}


def test_lambda_reach_in_groups_of_two_by_hand():
    """G = 2, right replies 5, the others 1: a group of one of each has population variance 4 (v = 1) and
    passes the reward gate; at p = 1/2 that group has weight 2 p (1 - p) = 1/2, so E[v] = 1/2 and E[lambda_raw]
    = 0.8 sigmoid(10) / 2. Bug caught: the group size fixed at the default 4 whatever group_size says."""
    r = analyses.lambda_reach([5.0], [1.0], gates.make_gate("adaptive"), group_size=2, shares=(0.5,), draws=4)
    half = r["by_share"][0]
    assert [x["right"] for x in r["per_right"]] == [0, 1, 2]
    assert half["info_gate"] == pytest.approx(0.5)
    assert half["lambda_raw"] == pytest.approx(0.8 / (1 + math.exp(-10)) / 2)



class Recording:
    """A judge that remembers every request seed; side-by-side votes are ties, scores are 1 + seed % 5."""

    def __init__(self):
        self.seeds = []

    def compare(self, pairs):
        self.seeds += [p[4] for p in pairs]
        return {"overall": ["tie"] * len(pairs)}

    def score(self, items, mode="all"):
        import reward
        self.seeds.append([it.seed for it in items])
        return reward.JudgeResult(rewards=[None] * len(items),
                                  scores={axis: [1 + it.seed % 5 for it in items] for axis in reward.AXES})


def test_every_side_by_side_rater_gets_its_own_request_seed(micro_ckpts, toy_dir):
    """G.3's raters are separate draws of the judge: 3 raters on 4 items send 12 different seeds. Bug
    caught: the raters of an item sent one seed (a sampling judge answers all three alike: one vote, thrice)."""
    import codec
    import dataset
    import model as M
    m = M.load_model(micro_ckpts["tiny-vita"])
    samples = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=4)
    judge = Recording()
    analyses.side_by_side(m, m, samples, judge, ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--raters", "3",
                                                             "--max-len", "16"]), seed=2)
    assert len(judge.seeds) == 12 and len(set(judge.seeds)) == 12


def test_the_pool_keeps_each_prompts_own_replies_scores_and_seeds(micro_ckpts, toy_dir, monkeypatch):
    """Appendix A/B's pool, two prompts a batch over three prompts and two replies each. Oracle: the
    rollouts themselves (reply i answers batch.sample_of(i), judged as item i). Every reply gets its own
    request seed across batches (0 .. 5), and another --seed samples other replies. Bugs caught: rows
    taken reply-major (a prompt given another prompt's replies), the prompt read off row j instead of
    j * n, request seeds restarting at 0 in each batch (the same noise twice), the seed ignored."""
    import codec
    import dataset
    import model as M
    m = M.load_model(micro_ckpts["tiny-vita"])
    samples = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=3)
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--max-len", "16"])
    batches, sample = [], analyses.rollout.sample
    monkeypatch.setattr(analyses.rollout, "sample", lambda *a, **k: batches.append(sample(*a, **k)) or batches[-1])
    judge = Recording()
    pool = analyses.repeated_sampling(m, samples, judge, 2, args, seed=4, prompts_per_batch=2)
    assert [len(b.texts) for b in batches] == [4, 2] and sorted(sum(judge.seeds, [])) == list(range(6))
    for b, seeds in zip(batches, judge.seeds):
        for i, s in enumerate(seeds):
            e = pool[samples.index(b.sample_of(i))]
            r = i % 2
            assert e["texts"][r] == b.texts[i] and e["semantic"][r] == 1 + s % 5
            assert torch.equal(e["prompt"], b.prompts[i][b.prompt_mask[i].bool()])
    other = analyses.repeated_sampling(m, samples, judge, 2, args, seed=5, prompts_per_batch=2)
    assert [e["texts"] for e in other] != [e["texts"] for e in pool]


def test_each_judge_draw_asks_with_new_seeds_and_the_mean_is_over_draws():
    """Prompt A: two replies, human 3 and 3, the pool's own scores 3 and 4; prompt B: one reply, human 2,
    own score 2 (draw 0: MAE 1/3). Draw 1 asks with seeds 3, 4, 5 (scores 4, 5 | 1: MAE 4/3), draw 2
    with seeds 6, 7, 8 (2, 3 | 4: MAE 1): mean MAE 8/9. Bugs caught: draw d sent seeds d .. d + 2
    (overlapping the pool's and each other's), one seed for every reply of a draw, draw 0 asked again and
    counted twice (mean 1), every prompt given the first prompt's new scores (7/9)."""
    from types import SimpleNamespace as S

    def entry(texts, own):
        return {"sample": S(question_text="q", reference="7"), "texts": texts, "waves": [None] * len(texts),
                "rates": [16000] * len(texts), "semantic": own, "acoustic": own, "holistic": own}
    pool = [entry(["a", "b"], [3, 4]), entry(["c"], [2])]
    human = [{"semantic": [3, 3], "acoustic": [3, 3]}, {"semantic": [2], "acoustic": [2]}]
    judge = Recording()
    over = analyses.agreement_over_draws(pool, judge, human, 3)
    assert judge.seeds == [[3, 4, 5], [6, 7, 8]]
    assert over["semantic"]["mae"][0] == pytest.approx(8 / 9) and over["acoustic"]["mae"][0] == pytest.approx(8 / 9)


def test_each_gradient_part_flows_through_its_own_tokens_and_dpo_pairs_skip_failed_replies(micro_ckpts, samples,
                                                                                           monkeypatch):
    """Appendix C, from the outside: the gradient of the text part of each objective with respect to the
    model's per-token log-probs is zero off the sampled text tokens and not zero on them; the speech part
    likewise on speech tokens. One prompt, three replies rewarded 5, failed (None), 1: DPO's pair is reply
    0 over reply 2, so only rows 0 (pushed up) and 2 (pushed down) carry its gradient. Two events take
    two different prompts. Bugs caught: the text and speech parts swapped (for GRPO, SFT or DPO: the
    ratio inverted, invisible to a sum of the parts), a failed reply taken as the pair's best or worst,
    every event on the same prompts, or the SFT rows not cut at --max-len as train.py cuts them (the
    analysis would measure another SFT term, and a long demonstration outgrow the memory plan)."""
    import eval as ev
    import model as M
    from conftest import micro_model

    class Scores:
        def score(self, items, mode="holistic"):
            from types import SimpleNamespace
            return SimpleNamespace(rewards=[[5, None, 1][i % 3] for i in range(len(items))])
    seen = {"batch": [], "lp": [], "tf": [], "grads": []}
    sample, logprobs, forced = analyses.rollout.sample, M.reply_logprobs, analyses.rollout.teacher_forced
    monkeypatch.setattr(analyses.rollout, "sample", lambda *a, **k: seen["batch"].append(sample(*a, **k)) or
                        seen["batch"][-1])
    monkeypatch.setattr(analyses.models, "reply_logprobs", lambda *a, **k: seen["lp"].append(logprobs(*a, **k)) or
                        seen["lp"][-1])
    monkeypatch.setattr(analyses.rollout, "teacher_forced", lambda *a, **k: seen["tf"].append(forced(*a, **k)) or
                        seen["tf"][-1])

    def geometry(named, lt, ls):
        lp = seen["lp"][-1] if len(seen["grads"]) % 3 == 1 else seen["lp"][-2]      # SFT: the teacher-forced one
        seen["grads"].append([torch.autograd.grad(x, lp, retain_graph=True)[0] for x in (lt, ls)])
        return {"ratio": 1.0, "cos": 0.0, "layers": {}}
    monkeypatch.setattr(analyses.losses, "grad_geometry", geometry)
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--max-len", "24"])
    analyses.gradient_events(micro_model("tiny-vita"), samples, Scores(), args, events=2, prompts=1, group=3)
    assert [b.samples for b in seen["batch"]] == [samples[:1], samples[1:2]]
    assert [tf[2].shape[1] for tf in seen["tf"]] == [24, 24]       # demonstrations of 30-90 positions, cut
    assert len(seen["grads"]) == 6                                 # GRPO, SFT, DPO per event
    for k, (gt, gs) in enumerate(seen["grads"]):
        masks = seen["tf"][k // 3][4] if k % 3 == 1 else seen["batch"][k // 3].masks
        for g, part in ((gt, "text"), (gs, "speech")):
            own = masks[part] & masks["sampled"]
            assert g[~own].abs().max() == 0 and g[own].abs().max() > 0, (k, part)
        if k % 3 == 2:
            whole = (gt + gs).flatten(1).sum(1)
            assert whole[0] < 0 and whole[1] == 0 and whole[2] > 0


def test_the_gradient_analysis_under_checkpointing_measures_what_it_does_without(micro_ckpts, samples):
    """eval.py turns gradient checkpointing on for a real checkpoint's gradient analysis (without it,
    16 rows of 2,048 reply tokens of 7B keep every layer's activations). Each objective's two
    gradients come from two backward passes through one graph (retain_graph), which a checkpointed
    layer must recompute for each: the same figures as without, to float tolerance. Bug caught:
    the second pass finding the recomputed activations freed (an error), or reading stale ones."""
    import weights
    from conftest import micro_model

    class Scores:
        def score(self, items, mode="holistic"):
            from types import SimpleNamespace
            return SimpleNamespace(rewards=[1 + (3 * i) % 5 for i in range(len(items))])
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--max-len", "24"])
    runs = []
    for checkpointed in (False, True):
        m = micro_model("tiny-vita")
        if checkpointed:
            weights.enable_grad_checkpoint(m)
        runs.append(analyses.gradient_events(m, samples[:2], Scores(), args, events=1, prompts=2, group=2))
    assert [r["objective"] for r in runs[0]] == [r["objective"] for r in runs[1]] == ["GRPO", "SFT", "DPO"]
    for plain, ckpt in zip(*runs):
        for k in ("ratio", "cos", "norm_text", "norm_speech"):
            assert ckpt[k] == pytest.approx(plain[k], rel=1e-4, abs=1e-7), (plain["objective"], k)


def test_eval_checkpoints_a_real_models_layers_for_the_gradient_analysis_only(micro_ckpts, toy_dir, monkeypatch,
                                                                              tmp_path):
    """The gradients analysis of a real checkpoint runs with gradient checkpointing on; a tiny model's
    without it. Bug caught: the 7B analysis run without it (out of memory on any one GPU)."""
    from conftest import micro_model
    seen = []
    for spec_tokenizer in ("toy", "qwen2.5"):
        model = micro_model("tiny-vita")
        model.spec = {**model.spec, "tokenizer": spec_tokenizer}
        monkeypatch.setattr(ev, "load", lambda path, args: model)
        monkeypatch.setattr(analyses, "gradient_events", lambda m, *a, **k: seen.append(
            any(getattr(layer, "gradient_checkpointing", False) for layer in m.net.modules())) or [])
        monkeypatch.setattr(analyses, "plot_gradients", lambda *a: None)
        ev.run(ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--analysis", "gradients", "--out",
                            str(tmp_path / spec_tokenizer), "--prompts", "2", "--data", str(toy_dir / "eval.jsonl")]))
    assert seen == [False, True]


def test_the_shift_is_on_the_tuned_models_own_replies_and_summarises_its_items(micro_ckpts, toy_dir):
    """Appendix D. On replies sampled from the tuned model at temperature 1, the mean of log p_ft - log
    p_base estimates a KL divergence: clearly positive for a peaked model (its head scaled 30 times)
    beside a nearly flat one. The summary per kind is the
    items' deltas of that kind: their count, mean and mean absolute value. Bugs caught: the difference
    taken the other way, the replies sampled from the base, the base scored with the tuned model (0),
    the summary over unsampled positions, item kinds read off the speech mask, |mean| for mean |d|."""
    import codec
    import dataset
    from conftest import micro_model
    tuned, base = micro_model("tiny-vita", seed=0), micro_model("tiny-vita", seed=1)
    with torch.no_grad():
        tuned.net.lm_head.weight.mul_(30.0)                      # a peaked model beside a nearly flat one
    samples = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=6)
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--max-len", "24", "--temperature", "1", "--top-p", "1",
                        "--top-k", "0"])
    r = analyses.probability_shift(tuned, base, samples, args, seed=0)
    every = [d for it in r["items"] for d in it["delta"]]
    assert np.mean(every) > 0.5
    for kind in ("text", "speech"):
        d = [x for it in r["items"] for x, k in zip(it["delta"], it["kind"]) if k == kind]
        s = r["summary"][kind]
        assert s["tokens"] == len(d) > 0
        assert (s["mean"], s["mean_abs"]) == pytest.approx((np.mean(d), np.mean(np.abs(d))), abs=1e-6)


def test_the_plots_draw_the_analyses_numbers_where_their_labels_say(tmp_path, monkeypatch):
    """Each plot's data read back from the figure. lambda: a step without lambda is a gap (NaN), not 0.
    Side-by-side: win, tie and loss stacked (the tie bar starts where the win bar ends, at 0.5). Diversity:
    semantic variance across, acoustic up. Gradients: log10 of the ratio (100 -> 2). Reach: the dashed line
    at the pool's own share (0.25), not the peak's. Shift: text tokens blue as the title says. Bugs caught:
    each of those drawn otherwise."""
    import matplotlib.colors
    figs = []
    monkeypatch.setattr(analyses, "_save", lambda fig, path: figs.append(fig))
    (tmp_path / "m.jsonl").write_text("".join(json.dumps({"step": s + 1, "lambda": lam}) + "\n"
                                              for s, lam in enumerate([0.1, None, 0.3])))
    analyses.plot_lambda(str(tmp_path / "m.jsonl"), None)
    lam = [line for line in figs[-1].axes[0].lines if line.get_label() == "lambda"][0].get_ydata()
    assert lam[0] == 0.1 and math.isnan(lam[1])
    analyses.plot_side_by_side({"items": 10, "raters": 1, "axes": {"overall": {
        "win_rate": 0.5, "tie_rate": 0.3, "loss_rate": 0.2, "p_value": 0.5}}}, None, ("a", "b"))
    bars = figs[-1].axes[0].patches
    assert [round(b.get_x(), 6) for b in bars] == [0.0, 0.5, 0.8]
    d = analyses.diversity([{"semantic": [1, 5], "acoustic": [2, 2], "holistic": [1, 1]}],
                           [{"semantic": [1, 5], "acoustic": [2, 2]}])
    analyses.plot_diversity(d, None)
    assert figs[-1].axes[0].collections[0].get_offsets().tolist() == [[4.0, 0.0]]
    records = [{"objective": "GRPO", "ratio": 100.0, "cos": 0.5, "layers": {"embed": {"ratio": 100.0, "cos": 0.5}}}]
    analyses.plot_gradients(records, analyses.summarise_gradients(records), None)
    assert figs[-1].axes[0].collections[0].get_offsets().tolist() == [[0.0, 2.0]]
    analyses.plot_reach({"gate": "adaptive", "group_size": 4, "by_share": [{"share": s, "lambda_raw": 0.1,
                                                                            "reward_gate": 0.5, "info_gate": 0.2}
                                                                           for s in (0.0, 0.5, 1.0)],
                         "peak": {"share": 0.5}, "at_pool": {"share": 0.25}}, None)
    pool = [line for line in figs[-1].axes[0].lines if line.get_label() == "the pool's share right"][0]
    assert list(pool.get_xdata()) == [0.25, 0.25]
    analyses.plot_shift({"items": [{"id": "p0", "delta": [0.5, -0.5], "kind": ["text", "speech"]}],
                         "summary": {"text": {"mean_abs": 0.5}, "speech": {"mean_abs": 0.5}}}, None)
    colours = [b.get_facecolor() for b in figs[-1].axes[0].patches]
    assert colours == [matplotlib.colors.to_rgba("tab:blue"), matplotlib.colors.to_rgba("tab:orange")]
    assert "text (blue)" in figs[-1].axes[0].get_title()
    for fig in figs:
        analyses._pyplot().close(fig)


def test_the_gradient_analysis_groups_grpo_rows_by_their_prompt(micro_ckpts, samples, monkeypatch):
    """GRPO's seq-mean averages each prompt group's rows, then the groups. Two prompts of three replies
    rewarded 1, 5, failed | 1, 3, 5: the groups have 2 and 3 usable rows, so which rows share a group
    changes the weights. Oracle: the plain GRPO loss with each row's group from the rollout
    (batch.sample_of), whose gradient the text and speech parts must add up to. Bug caught: the group
    index tiled (0, 1, 0, 1, ...) instead of repeated per prompt (equal with full, equal-sized groups)."""
    import losses
    import model as M
    from conftest import gradient_parts
    model, params, b, summed = gradient_parts(micro_ckpts["tiny-vita"], samples, [1, 5, None, 1, 3, 5], monkeypatch,
                                              prompts=2, group=3)
    flat = analyses.rollout.flat
    model.train()
    logp = flat(M.reply_logprobs(model, b.prompts, b.prompt_mask, b.replies, b.slots, b.temperature))
    every = flat(b.masks["completion"] & b.masks["sampled"])
    adv, usable = (x.flatten() for x in losses.advantages(torch.tensor([[1.0, 5.0, math.nan], [1.0, 3.0, 5.0]])))
    group = torch.tensor([b.samples.index(b.sample_of(i)) for i in range(6)])
    grpo = losses.grpo_loss(logp, logp.detach(), None, adv, every, every, every, group, usable)[0]
    for w, p in zip(torch.autograd.grad(grpo, params), summed[0]):
        assert torch.allclose(p, w, atol=1e-6, rtol=1e-4)


def test_lambda_reach_draws_depend_on_the_seed():
    """The reach's Monte Carlo over the pool's rewards is seeded by --seed: the same seed gives the same
    estimate, another seed another (noisy pools, 200 groups per k). Bug caught: the generator left at
    torch's default seed (deterministic, so a same-seed check passes, but --seed changes nothing)."""
    g = gates.make_gate("adaptive")

    def reach(seed):
        return [r["lambda_raw"] for r in analyses.lambda_reach([3.0, 4.0, 5.0], [1.0, 2.0, 3.0], g, shares=(0.5,),
                                                               draws=200, seed=seed)["per_right"]]
    assert reach(3) == reach(3) != reach(4)


def test_a_real_checkpoint_is_held_on_the_gpu_in_bf16_and_a_tiny_one_in_float32(micro_ckpts, tmp_path, monkeypatch,
                                                                                capsys):
    """eval.py places the model as train.py does: --device auto takes a GPU where torch sees one, and
    a real checkpoint there is held in bf16 (float32 on the CPU, and for the tiny models anywhere);
    --dtype overrides; --device cuda without CUDA ends with one line. CUDA is a stand-in here.
    Bug caught: the old eval.py, which loaded every checkpoint in float32 on the CPU (a 7.7B
    VITA-Audio sampled 2,048-token replies there, on a machine with GPUs)."""
    real = tmp_path / "vita-final"
    real.mkdir()
    (real / "spoken.json").write_text(json.dumps({"model": "vita", "arch": "interleaved", "tokenizer": "hf"}))
    given = ["--ckpt", str(real), "--data", "held-out.jsonl", "--judge-url", "http://h"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert (lambda a: (a.device, a.dtype))(ev.get_args(given)) == ("cuda", "bfloat16")
    assert ev.get_args([*given, "--dtype", "float32"]).dtype == "float32"
    assert (lambda a: (a.device, a.dtype))(ev.get_args([*given, "--device", "cpu"])) == ("cpu", "float32")
    assert (lambda a: (a.device, a.dtype))(ev.get_args(["--ckpt", micro_ckpts["tiny-vita"]])) == ("cuda", "float32")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert ev.get_args(given).device == "cpu"
    with pytest.raises(SystemExit) as stop:
        ev.get_args([*given, "--device", "cuda"])
    assert stop.value.code == 2 and "--device cuda" in capsys.readouterr().err.strip().splitlines()[-1]


def test_eval_reads_a_checkpoint_straight_into_the_dtype_it_was_given(micro_ckpts, tmp_path):
    """eval.load on the CPU: the tiny model in bf16 when asked (and float32 by default), every
    floating weight in that dtype, the schedule's boolean table untouched. Bug caught: --dtype
    parsed but never handed to the loader."""
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--device", "cpu", "--dtype", "bfloat16"])
    half = ev.load(args.ckpt, args)
    assert {p.dtype for p in half.parameters()} == {torch.bfloat16} and half.allowed.dtype == torch.bool
    args = ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--device", "cpu"])
    assert {p.dtype for p in ev.load(args.ckpt, args).parameters()} == {torch.float32}
