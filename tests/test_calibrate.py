"""calibrate.py and the default training judge: the noise model, its fit to the paper's Table 5, its wiring.

The fixture tests/data/base_human_scores.json holds the noise-free ("human") scores of the
default base's repeated-sampling pool: 64 held-out prompts x 8 replies, written by
`python eval.py --ckpt out/base-tiny-vita --analysis agreement` (its `human_scores`)."""
import contextlib
import json
import math
import os

import numpy as np
import pytest

import calibrate
import judge
import reward
import stats

FIXTURE = os.path.join(os.path.dirname(__file__), "data", "base_human_scores.json")


def test_noise_model_hand_worked():
    """Bug caught: the range compressed around 0 instead of the scale's middle, the bias or the
    noise applied with the wrong sign, or Likert rounding that truncates or does not clamp."""
    assert judge.judge_value(5, shrink=0.5, bias=-0.5, sd=1.0, z=0.2) == pytest.approx(3.7)
    assert judge.judge_value(1, shrink=0.5, bias=0.0, sd=2.0, z=-0.5) == pytest.approx(1.0)
    assert judge.judge_value(4) == 4.0                                   # the identity by default
    assert [judge.likert(v) for v in (3.5, 3.49, 7.0, -2.0, 1.5)] == [4, 3, 5, 1, 2]


def fixture_pool():
    with open(FIXTURE) as f:
        pool = json.load(f)
    out = {}
    for axis in ("semantic", "acoustic"):
        items = [(i, s) for i, e in enumerate(pool) for s in e[axis] if s is not None]
        out[axis] = ([s for _, s in items], [i for i, _ in items])
    return out


def test_llm_profile_reproduces_table5_on_the_base_rollouts():
    """The documented calibration: the 'llm' judge's agreement with the human on the base's pool
    is Gemini-2.5-Pro's in Table 5 within 0.1 on Pearson and intra-prompt Spearman, per axis.
    Bug caught: the two axes' profiles swapped, noise drawn once for every item (no spread) or
    keyed by axis alone, a profile edited without recalibrating, or the extra sd flags adding sd
    instead of variance. The metrics are averaged over five judge seeds: one draw of 512 scores
    moves the intra-prompt Spearman by about 0.05 either way."""
    for axis, (human, groups) in fixture_pool().items():
        runs = []
        for seed in range(5):
            toy = judge.ToyJudge(noise="llm", seed=seed)
            judged = [judge.likert(toy._noise(axis, h, f"fixture|{i}")) for i, h in enumerate(human)]
            runs.append(stats.agreement_metrics(judged, human, groups))
        m = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        paper = calibrate.TABLE5_GEMINI_25_PRO[axis]
        assert abs(m["pearson"] - paper["pearson"]) <= 0.1, (axis, m)
        assert abs(m["intra_spearman"] - paper["intra_spearman"]) <= 0.1, (axis, m)
        assert abs(m["bias"] - paper["bias"]) <= 0.3 and abs(m["mae"] - paper["mae"]) <= 0.3, (axis, m)
    extra = judge.ToyJudge(semantic_noise=0.4, noise="llm").profile["semantic"]["sd"]
    assert extra == pytest.approx(np.hypot(judge.NOISE_PROFILES["llm"]["semantic"]["sd"], 0.4))


def test_fit_recovers_a_known_profile():
    """`calibrate.py`'s grid search, given the metrics a known profile produces, returns
    that profile. Bug caught: a loss that ignores one of its targets (bias or MAE: then a
    neighbour with another bias fits as well), or a search that skips part of the grid."""
    human, groups = fixture_pool()["semantic"]
    known = {"shrink": 0.6, "bias": -0.4, "sd": 0.8}
    target = calibrate.simulate_agreement(human, groups, known, seed=1, draws=5)
    grid = {"shrink": [0.4, 0.6, 0.8], "bias": [-0.8, -0.4, 0.0], "sd": [0.4, 0.8, 1.2]}
    profile, got = calibrate.fit_profile(human, groups, target, seed=1, grid=grid, draws=5)
    assert profile == known and got == target
    one_draw = calibrate.simulate_agreement(human, groups, known, seed=1)
    assert one_draw != target          # the fit averages draws: one draw is not what it matched


def test_likert_rounds_halves_up_not_to_even():
    """Bug caught: Python's round(), which sends 2.5 to 2 and 4.5 to 4 (banker's rounding): half
    of the judge's x.5 values would land a point low."""
    assert [judge.likert(v) for v in (2.5, 4.5, 0.5, 1.5)] == [3, 5, 1, 2]


def test_the_fit_uses_the_bias_target():
    """Two noise-free candidates: the human's own scores (bias 0, MAE 0) and the same a point
    higher (bias and MAE about +1). Against a target of bias 0 and MAE 0.8 (Pearson and Spearman
    met by both), the loss is 0.25 (0.8^2 + 0) = 0.16 for the first and about 0.25 (0.2^2 + 1^2)
    = 0.26 for the second: the first wins. Bug caught: the bias term dropped from the calibration
    loss (the second would win on MAE alone, 0.01 against 0.16, and a fitted judge could score
    above the human where Table 5's scores below)."""
    human, groups = fixture_pool()["semantic"]
    exact = calibrate.simulate_agreement(human, groups, {"shrink": 1.0, "bias": 0.0, "sd": 0.0})
    target = dict(exact, mae=0.8, bias=0.0)
    grid = {"shrink": [1.0], "bias": [0.0, 1.0], "sd": [0.0]}
    assert calibrate.fit_profile(human, groups, target, grid=grid, draws=1)[0]["bias"] == 0.0


def test_simulated_agreement_follows_its_seed():
    """Bug caught: simulate_agreement drawing from a fixed generator whatever `seed` says, so the
    calibration's draws could not be varied (and `--seed` would be a no-op)."""
    human, groups = fixture_pool()["acoustic"]
    profile = {"shrink": 0.7, "bias": 0.0, "sd": 1.0}
    a, b = (calibrate.simulate_agreement(human, groups, profile, seed=s) for s in (1, 2))
    assert a != b and calibrate.simulate_agreement(human, groups, profile, seed=1) == a


def test_the_two_axes_draw_independent_noise():
    """Each axis has its own draw for the same request (the noise key names the axis). Over 400
    requests with the same noise-free score on both axes and equal sd, the two noises' correlation
    is near 0; one draw shared by both axes would give 1. Bug caught: the axis left out of the key."""
    toy = judge.ToyJudge(noise="none", semantic_noise=1.0, acoustic_noise=1.0, seed=0)
    sem = [toy._noise("semantic", 3, f"k{i}") - 3 for i in range(400)]
    ac = [toy._noise("acoustic", 3, f"k{i}") - 3 for i in range(400)]
    assert abs(stats.pearson(sem, ac)) < 0.2 and np.std(sem) == pytest.approx(1.0, abs=0.15)


def test_training_judge_is_noisy_and_the_summary_judge_is_not():
    """train.py opens two raters: --judge-noise llm (default) trains, the noise-free human scores
    the held-out summary. Bug caught: open_judge ignoring `human` (the summary would be scored by
    the noisy judge), or the default training judge left noise-free."""
    import codec
    import train
    args = train.get_args([])
    assert args.judge_noise == "llm"
    wave, rate = codec.decode(codec.speak("3 plus 4 is 7"))
    items = [reward.JudgeItem("what is 3 plus 4", "3 plus 4 is 7", wave, rate, "7", seed=s) for s in range(12)]
    with contextlib.ExitStack() as stack:
        noisy = reward.open_judge(args, stack).score(items, mode="all").scores
        human = reward.open_judge(args, stack, human=True).score(items, mode="all").scores
    assert set(human["semantic"]) == {5} and set(human["acoustic"]) == {5}
    assert np.mean(noisy["semantic"]) < 4.6 and len(set(noisy["acoustic"])) > 1


def test_identical_replies_are_separate_draws_of_the_llm_judge():
    """reward.rollout_items sends each reply its own seed (train.py: the reply's sampling stream
    key), so a group of identical replies gets spread-out scores from the noisy judge, as a
    sampling LLM judge disagrees with itself; without seeds they tie. Bug caught: the seeds
    dropped or shared by the whole batch (duplicates tie and lift the intra-prompt Spearman, the
    miss the calibration first had), or a 64-bit stream key sent unreduced (beyond a real API's int)."""
    import types
    import codec
    import train
    wave, rate = codec.decode(codec.speak("3 plus 4 is 7"))
    sample = types.SimpleNamespace(question_text="what is 3 plus 4", reference="7")
    batch = types.SimpleNamespace(texts=["3 plus 4 is 7"] * 12, waves=[wave] * 12, rates=[rate] * 12,
                                  sample_of=lambda i: sample)
    keys = [2 ** 63 + 17 * i for i in range(12)]
    seeded, unseeded = reward.rollout_items(batch, seeds=keys), reward.rollout_items(batch)
    assert all(0 <= it.seed < 2 ** 31 for it in seeded) and len({it.seed for it in seeded}) == 12
    assert all(it.seed is None for it in unseeded)
    with contextlib.ExitStack() as stack:
        client = reward.open_judge(train.get_args([]), stack)
        spread = client.score(seeded, mode="all").scores
        tied = client.score(unseeded, mode="all").scores
    assert len(set(spread["acoustic"])) > 1 and len(set(tied["acoustic"])) == 1


@pytest.mark.parametrize("content,named", [(None, "no such file"), ("{", "not valid JSON"),
                                           ('{"pearson": 0.5}', 'no "human_scores"'),
                                           ('{"human_scores": [{"semantic": [1, 2]}]}', "human_scores[0]")])
def test_calibrate_on_a_bad_file_ends_with_one_line_naming_it(content, named, tmp_path, capsys):
    """`calibrate.py FILE`: a missing file, bad JSON, a JSON without the human scores (an
    older agreement.json) or an entry without an axis. Bug caught: a traceback (FileNotFoundError,
    KeyError) instead of one line naming the file, with exit status 2."""
    path = tmp_path / "agreement.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as stop:
        calibrate.main([str(path)])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and str(path) in last and named in last


def test_calibrate_leaves_out_the_null_human_scores(tmp_path, monkeypatch, capsys):
    """catches: `calibrate.py` keeping a prompt's null (unscored) human scores, in the scores (a NaN and a
    traceback) or in the prompt of each score only (scores and prompts misaligned)."""
    pool = [{"semantic": [1, None, 3], "acoustic": [2, 4]},
            {"semantic": [None, 4, 5], "acoustic": [None, 1, 5]}]
    path = tmp_path / "agreement.json"
    path.write_text(json.dumps({"human_scores": pool}))
    fitted, fit = [], calibrate.fit_profile

    def spy(human, groups, target, **kw):
        fitted.append((list(human), list(groups)))
        return fit(human, groups, target, **kw)

    monkeypatch.setattr(calibrate, "fit_profile", spy)
    # one candidate, the noise-free judge: it gives back the human's own scores (Pearson 1, MAE 0)
    monkeypatch.setattr(calibrate, "FIT_GRID", {"shrink": [1.0], "bias": [0.0], "sd": [0.0]})
    calibrate.main([str(path)])
    assert fitted == [([1, 3, 4, 5], [0, 0, 1, 1]), ([2, 4, 1, 5], [0, 0, 1, 1])]
    out = capsys.readouterr().out
    assert out.count("pearson 1.000") == 2 and out.count("mae 0.000") == 2


def test_the_fit_passes_over_a_candidate_that_ranks_nothing_within_a_prompt():
    """catches: the fit's NaN guard dropped or narrowed to Pearson: a candidate with no intra-prompt Spearman (NaN
    loss) that comes first in the grid is kept, since no later loss compares below a NaN."""
    human, groups = [1, 2, 4, 5], [0, 0, 1, 1]
    # shrink 0.2, bias 0.45, no noise: 3 + 0.2 (h - 3) + 0.45 = 3.05, 3.25 | 3.65, 3.85 -> 3, 3 | 4, 4: tied within
    # each prompt (no Spearman), yet correlated with the human overall. shrink 1: h + 0.45 rounds back to h.
    tied = calibrate.simulate_agreement(human, groups, {"shrink": 0.2, "bias": 0.45, "sd": 0.0})
    assert math.isnan(tied["intra_spearman"]) and tied["pearson"] > 0.9
    grid = {"shrink": [0.2, 1.0], "bias": [0.45], "sd": [0.0]}
    profile, m = calibrate.fit_profile(human, groups, calibrate.TABLE5_GEMINI_25_PRO["semantic"], grid=grid, draws=1)
    assert profile["shrink"] == 1.0 and m["intra_spearman"] == 1.0 and m["mae"] == 0.0
