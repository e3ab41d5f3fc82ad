"""study.py and study_report.py: the statistics on hand-worked numbers, resume, failures in the table, a tiny real
study."""
import contextlib
import json
import math
import os
import shutil
import sys

import pytest
import torch

import dataset
import stats
import study
import study_report


class AtOnce:
    """`with at_once:` around a call holds it `seconds` and counts how many calls are inside at the
    same time; `most` is the largest count seen."""

    def __init__(self, seconds):
        import threading
        self.lock, self.now, self.most, self.seconds = threading.Lock(), 0, 0, seconds

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc):
        import time
        time.sleep(self.seconds)
        with self.lock:
            self.now -= 1


def test_t_quantiles_match_the_printed_table():
    """Bug caught: a wrong density constant, a one-sided quantile, df off by one, or the normal limit
    taken too early (1.96 at df 30). Values from any t table: t_{0.975} for df 1, 2, 3, 10, 30, 60 and
    the normal limit."""
    for df, t in ((1, 12.7062), (2, 4.3027), (3, 3.1824), (10, 2.2281), (30, 2.0423), (60, 2.0003)):
        assert stats.t_quantile(0.975, df) == pytest.approx(t, abs=2e-4)
    assert stats.t_quantile(0.975, 100000) == pytest.approx(1.96, abs=3e-3)


def test_mean_ci_by_hand():
    """[1, 2, 3, 4]: mean 2.5; sample sd = sqrt(((1.5^2 + 0.5^2) * 2) / 3) = sqrt(5/3) = 1.29099;
    se = 1.29099 / 2 = 0.645497; half-width = t_{0.975, 3} * se = 3.182446 * 0.645497 = 2.05426.
    Bug caught: population sd (would give 1.7790), z instead of t (1.2652), n instead of n-1 df."""
    mean, half, n = stats.mean_ci([1, 2, 3, 4])
    assert (mean, n) == (2.5, 4)
    assert half == pytest.approx(2.05426, abs=1e-4)
    m1, h1, n1 = stats.mean_ci([0.7, None])                 # a missing score is not a zero
    assert (m1, n1) == (0.7, 1) and math.isnan(h1)


def test_sign_flip_p_by_hand():
    """d = [1, 2, -1]: observed |sum| = 2. The 8 sign patterns give sums 2, 4, -2, 0, 0, 2, -4, -2;
    six have |sum| >= 2, so p = 6/8 = 0.75. d = [1, 1, 1, 1]: only all-plus and all-minus reach 4:
    p = 2/16 = 0.125; zeros cannot change the sum and leave p unchanged.
    Bug caught: a one-sided p (0.5 / 0.0625), a strict '>' (p = 0.5 / 0), zeros counted as flips."""
    assert stats.sign_flip_p([1, 2, -1]) == pytest.approx(0.75)
    assert stats.sign_flip_p([1, 1, 1, 1]) == pytest.approx(0.125)
    assert stats.sign_flip_p([0, 1, 0, 1, 1, 1]) == pytest.approx(0.125)
    assert stats.sign_flip_p([0, 0]) == 1.0
    # counted in exact fractions, 24 of the 32 sign patterns reach the observed |sum| 0.5, some only by ties
    # (0.1 + 0.2 + 0.4 - 0.7 = 0) that float sums miss by 1e-16 (bug: no tolerance in the comparison, 0.5625)
    assert stats.sign_flip_p([0.1, 0.2, 0.4, -0.7, 0.5]) == pytest.approx(0.75)
    # Monte Carlo branch (m > 16): 20 equal positive differences, exact p = 2 / 2^20, so only the +1 remains
    assert stats.sign_flip_p([1.0] * 20) == pytest.approx(1 / 20001)
    # and a null-looking sample is far from significant
    assert stats.sign_flip_p([1, -1] * 10) == pytest.approx(1.0)


def test_t_two_sided_p_against_closed_forms_and_the_table():
    """df 1 is Cauchy: P[|T| >= 1] = 1 - 2 atan(1) / pi = 0.5. df 2: P[|T| >= t] = 1 - t / sqrt(t^2 + 2),
    so t = 2 gives 1 - 2 / sqrt(6) = 0.183503. At the printed t_{0.975} (t_quantile, integrated
    numerically, an independent route) every df gives 0.05. Bug caught: the odd and even series
    swapped or a coefficient off, a one-sided p (0.025), df off by one."""
    assert stats.t_two_sided_p(1.0, 1) == pytest.approx(0.5)
    assert stats.t_two_sided_p(-2.0, 2) == pytest.approx(1 - 2 / math.sqrt(6))
    for df in (1, 2, 3, 4, 5, 6, 9, 10, 30):
        assert stats.t_two_sided_p(stats.t_quantile(0.975, df), df) == pytest.approx(0.05, abs=1e-4)


def test_paired_t_p_by_hand():
    """d = [0.05, 0.06, 0.04]: mean 0.05, sd 0.01, t = 0.05 / (0.01 / sqrt 3) = 8.660, df 2:
    p = 1 - 8.660 / sqrt(75 + 2) = 0.013072. Bug caught: the population sd (t = 10.61, p 0.0088),
    n instead of n - 1 degrees of freedom (p 0.0032)."""
    assert stats.paired_t_p([0.05, 0.06, 0.04]) == pytest.approx(1 - math.sqrt(75) / math.sqrt(77), rel=1e-6)
    assert stats.paired_t_p([0.2, 0.2]) == 0.0 and stats.paired_t_p([0.0, 0.0]) == 1.0
    assert math.isnan(stats.paired_t_p([0.3]))


def test_a_zero_difference_or_score_is_a_value_not_a_missing_one():
    """A seed where the two rows tie (difference 0) is a value, not a missing one: d = [0, 1, 2] has mean 1,
    sd 1, t = 1 / (1 / sqrt 3) = sqrt 3 with 2 df, p = 1 - sqrt(3) / sqrt(3 + 2) = 0.225403; a CI over
    [0, 2] is 1 +- t_{0.975, 1} * sqrt(2) / sqrt(2) = 12.7062. Bug caught: `if v` for `if v is not None`
    (the zero dropped: p over [1, 2] is 0.2048, and the CI of [2] has no width)."""
    assert stats.paired_t_p([0.0, 1.0, 2.0]) == pytest.approx(1 - math.sqrt(3) / math.sqrt(5), rel=1e-6)
    mean, half, n = stats.mean_ci([0.0, 2.0, None])
    assert (mean, n) == (1.0, 2) and half == pytest.approx(12.7062, abs=2e-4)


def test_sign_flip_p_enumerates_up_to_exact_max_and_seeds_its_monte_carlo():
    """Sixteen equal differences are enumerated: p = 2 / 2^16 exactly; four of 1 among fourteen zeros are
    the four alone (zeros cannot change |sum|): exactly 2 / 2^4. Seventeen differences go to Monte Carlo,
    which must give the same p on every call with the same seed and lie near the exact enumeration.
    Bugs caught: '<' for '<=' at exact_max (a Monte Carlo 1/20001 at 16), zeros kept (18 values: Monte
    Carlo noise around 0.125), the seed ignored (a study's table that changes from one printing to the next)."""
    assert stats.sign_flip_p([1.0] * 16) == 2 / 2 ** 16
    assert stats.sign_flip_p([1.0] * 4 + [0.0] * 14) == 0.125
    d = [3, -1, 2, -2, 1, 4, -3, 1, 2, -1, 1, -2, 3, 1, -1, 2, 1]
    runs = {stats.sign_flip_p(d) for _ in range(3)}
    assert len(runs) == 1 and runs.pop() == pytest.approx(stats.sign_flip_p(d, exact_max=17), abs=0.015)


def test_the_paired_test_over_seeds_takes_each_seed_as_one_value():
    """Three seeds of four prompts; ours is wrong everywhere, the row right on 1, 2 and 3 of its seed's
    four prompts. The pairs: six differences of 1 among twelve, sign-flip p = 2 / 2^6 = 0.03125. The
    seeds: mean differences 0.25, 0.5, 0.75, i.e. [1, 2, 3] / 4: t = 2 sqrt 3 with 2 df, p = 1 -
    sqrt(12 / 14) = 0.074180. Bug caught: the seeds pooled into one list (the pairs' test again), seeds
    paired with the wrong seed of ours, a seed's mean taken over all of its prompts' pairs in the study."""
    def rec(seed, acc):
        return {"seed": seed, "status": "ok", "lambda": None,
                "items": [{"id": f"p{i}", "accuracy": a} for i, a in enumerate(acc)]}
    results = {"ours": [rec(s, [0, 0, 0, 0]) for s in range(3)],
               "row": [rec(0, [1, 0, 0, 0]), rec(1, [1, 1, 0, 0]), rec(2, [1, 1, 1, 0])]}
    mean_d, p_pairs, n, p_seeds = study_report.summarise(results, 3)["row"]["vs_ours"]["accuracy"]
    assert (mean_d, n) == (pytest.approx(0.5), 12)
    assert p_pairs == pytest.approx(2 / 64)
    assert p_seeds == pytest.approx(1 - math.sqrt(12 / 14))


def test_mean_lambda_is_each_runs_mean_then_the_mean_over_runs():
    """Two runs with lambda per step [0.2, 0.4] and [0.6, 1.0]: run means 0.3 and 0.8, so 0.55.
    Bug caught: the last step's lambda taken for a run's (0.7), or the steps pooled (equal here,
    so a third run of another length checks it: [0.1, 0.1, 0.1, 0.1] gives (0.3 + 0.8 + 0.1) / 3)."""
    def rec(seed, lam):
        return {"seed": seed, "status": "ok", "lambda": lam, "items": [{"id": "p0", "accuracy": 0.0}]}
    s = study_report.summarise({"ours": [rec(0, [0.2, 0.4]), rec(1, [0.6, 1.0])]}, 2)
    assert s["ours"]["lambda"][0] == pytest.approx(0.55)
    s = study_report.summarise({"ours": [rec(0, [0.2, 0.4]), rec(1, [0.6, 1.0]), rec(2, [0.1] * 4)]}, 3)
    assert s["ours"]["lambda"][0] == pytest.approx(0.4)


def test_pairs_are_matched_on_seed_and_prompt():
    """Bug caught: pairing by position (the lists below are in different orders) or by prompt only."""
    ours = [{"seed": 0, "id": "a", "accuracy": 1.0}, {"seed": 0, "id": "b", "accuracy": 0.0},
            {"seed": 1, "id": "a", "accuracy": 0.0}]
    row = [{"seed": 1, "id": "a", "accuracy": 1.0}, {"seed": 0, "id": "b", "accuracy": 1.0},
           {"seed": 0, "id": "a", "accuracy": 1.0}, {"seed": 1, "id": "c", "accuracy": 1.0}]
    assert sorted(study_report.paired_differences(row, ours, "accuracy")) == [0.0, 1.0, 1.0]


def test_stopped_share_is_derived_for_records_that_predate_it():
    """Two seeds of two toy items, one of the four stopping before the answer, in records written
    before the field existed: the row's share is 1/4, per seed 1/2 and 0 (sd 0.35355).
    Bug caught: old records silently dropping the column, or the flag read from the wrong field."""
    def rec(seed, texts):
        return {"seed": seed, "status": "ok", "lambda": None,
                "items": [{"id": f"p{i}", "text": t, "accuracy": 0.0, "intelligibility": 1.0}
                          for i, t in enumerate(texts)]}
    s = study_report.summarise({"ours": [rec(0, ["3 plus 4 is", "3 plus 4 is 8"]),
                                         rec(1, ["you said cat", "the count is 3"])]}, 2)
    assert s["ours"]["stopped"][0] == pytest.approx(0.25)
    assert s["ours"]["seed_sd"]["stopped"] == pytest.approx(math.sqrt(0.125))


def fake_items(acc, seed):
    return [{"id": f"p{i}", "task": "t", "style": "none", "text": "", "accuracy": a, "semantic": 1 + 4 * a,
             "acoustic": 4.0, "intelligibility": 1.0} for i, a in enumerate(acc)]


def args_for(tmp_path, seeds=2):
    args, rows = study.get_args(["--row", "ours=", "--row", "sft=--gate fixed --lam 0", "--row", "bad=--lam 2",
                                 "--seeds", str(seeds), "--out", str(tmp_path / "s"), "--base", "BASE",
                                 "--prompts", "4"])
    return args, rows


def test_resume_runs_only_what_is_missing_and_a_failure_is_reported(tmp_path):
    """Bug caught: a finished row x seed trained again on resume; a failed run dropped from the table
    (or counted as done, so never retried); results from the wrong seed's directory."""
    args, rows = args_for(tmp_path)
    calls = []

    def runner(cmd, log):
        calls.append(cmd)
        assert cmd[cmd.index("--init") + 1] == "BASE" and cmd[cmd.index("--out") + 1].startswith(args.out)
        assert "--overwrite" in cmd       # a retry starts again where a failed run left files (train.py refuses else)
        return 3 if "--lam" in cmd and cmd[cmd.index("--lam") + 1] == "2" else 0

    def scorer(ckpt, seed):
        return fake_items([1, 1, 0, 0] if "sft" in ckpt else [1, 0, 0, 0], seed)

    results = study.run_study(args, rows, runner, scorer)
    assert len(calls) == 6                                    # 3 rows x 2 seeds, one stage each
    assert [r["status"] for r in results["bad"]] == ["failed", "failed"]
    summary = study_report.summarise(results, args.seeds)
    assert (summary["ours"]["ok"], summary["bad"]["ok"], summary["bad"]["failed"]) == (2, 0, 2)
    # ours: 8 values [1,0,0,0]x2, sft [1,1,0,0]x2: paired differences [0,1,0,0]x2 -> mean 0.25, two non-zero
    # differences of 1: p = 2/4 = 0.5
    assert summary["sft"]["vs_ours"]["accuracy"][:2] == pytest.approx((0.25, 0.5))
    assert summary["ours"]["accuracy"][0] == pytest.approx(0.25)
    table = study_report.report(summary, rows, args)
    assert "| bad | `--lam 2` | 0/2 (2 failed) |" in table
    assert "| sft | `--gate fixed --lam 0` | 2/2 |" in table

    calls.clear()
    again = study.run_study(args, rows, runner, scorer)       # resume: only the failed row runs again
    assert len(calls) == 2 and all("2" == c[c.index("--lam") + 1] for c in calls)
    assert [r["seed"] for r in again["ours"]] == [0, 1]
    assert again["sft"][1]["items"] == results["sft"][1]["items"]


def test_a_half_run_row_says_what_did_not_run_and_prints_no_ci_for_one_value(tmp_path):
    """Seeds 2, one of them finished: the row reads "1/2 (1 not run)", and a metric with one value
    has no "±" (a t interval needs two). Bug caught: the missing seed left out of the runs
    column (a half-run row read as complete), a CI printed for a single value ("± nan"), or a p-value
    over seeds printed for one seed ("; nan")."""
    args, rows = study.get_args(["--row", "ours=", "--seeds", "2", "--out", str(tmp_path / "s"),
                                 "--base", "BASE", "--prompts", "1"])
    results = {"ours": [{"seed": 0, "status": "ok", "lambda": None,
                         "items": [{"id": "p0", "accuracy": 1.0, "semantic": 5.0}]}]}
    table = study_report.report(study_report.summarise(results, args.seeds), rows, args)
    assert "| ours | `` | 1/2 (1 not run) | 1.000 | 5.000 |" in table and "nan" not in table
    # one seed: the comparison has the pairs' p, and no p over seeds (it needs two), not "nan"
    args, rows = study.get_args(["--row", "ours=", "--row", "sft=--gate fixed --lam 0", "--seeds", "1",
                                 "--out", str(tmp_path / "t"), "--base", "BASE", "--prompts", "2"])
    one = {"ours": [{"seed": 0, "status": "ok", "lambda": None, "items": [{"id": "p0", "accuracy": 0.0},
                                                                         {"id": "p1", "accuracy": 0.0}]}],
           "sft": [{"seed": 0, "status": "ok", "lambda": None, "items": [{"id": "p0", "accuracy": 1.0},
                                                                        {"id": "p1", "accuracy": 1.0}]}]}
    table = study_report.report(study_report.summarise(one, 1), rows, args)
    assert "| sft | 2 | +1.000 (0.5) |" in table and "nan" not in table


def test_a_second_study_reuses_identical_runs_and_only_those(tmp_path, capsys):
    """Bug caught: a row with the same flags, base and seed trained again by another preset (an hour of
    CPU), or a run reused although its flags, seed or the number of scored prompts differ; a resumed
    study copying (and counting as reused) the records it copied before."""
    calls = []

    def runner(cmd, log):
        calls.append(cmd)
        return 0

    def scorer(ckpt, seed):
        return fake_items([1, 0, 0, seed % 2], seed)

    first, rows = study.get_args(["--row", "ours=", "--row", "half=--gate fixed  --lam 0.5", "--seeds", "2",
                                  "--out", str(tmp_path / "study-a"), "--base", "BASE", "--prompts", "4"])
    study.run_study(first, rows, runner, scorer)
    assert len(calls) == 4
    calls.clear()
    # same flags written differently (one space), one new row, one new seed
    second, rows2 = study.get_args(["--row", "ours=", "--row", "fixed=--gate fixed --lam 0.5",
                                    "--row", "sft=--gate fixed --lam 0", "--seeds", "3",
                                    "--out", str(tmp_path / "study-b"), "--base", "BASE", "--prompts", "4"])
    results = study.run_study(second, rows2, runner, scorer)
    ran = sorted((c[c.index("--out") + 1].split(os.sep)[-2], c[c.index("--seed") + 1]) for c in calls)
    assert ran == [("fixed", "2"), ("ours", "2"), ("sft", "0"), ("sft", "1"), ("sft", "2")]
    assert results["fixed"][1]["reused_from"] == str(tmp_path / "study-a" / "half" / "seed-1")
    assert results["fixed"][1]["row"] == "fixed" and results["fixed"][1]["items"][3]["accuracy"] == 1
    assert (tmp_path / "study-b" / "fixed" / "seed-1" / study.EVAL_FILE).exists()   # its own study resumes alone
    copied = tmp_path / "study-b" / "fixed" / "seed-1" / study.EVAL_FILE
    written = copied.stat().st_mtime_ns
    study.run_study(second, rows2, runner, scorer)                     # resumed: its copies are its own now
    assert copied.stat().st_mtime_ns == written and "(0 reused from another study)" in capsys.readouterr().out
    calls.clear()
    third, rows3 = study.get_args(["--row", "ours=", "--seeds", "1", "--out", str(tmp_path / "study-c"),
                                   "--base", "BASE", "--prompts", "8"])                # scored on more prompts
    study.run_study(third, rows3, runner, scorer)
    assert len(calls) == 1
    calls.clear()
    fourth, _ = study.get_args(["--row", "ours=", "--seeds", "1", "--out", str(tmp_path / "study-d"),
                                "--base", "BASE", "--prompts", "4", "--no-reuse"])
    study.run_study(fourth, rows3, runner, scorer)
    assert len(calls) == 1


def test_a_changed_scoring_scores_the_checkpoints_again_and_changed_training_trains_again(tmp_path):
    """More prompts (or another eval file, sampling or judge) leave the training as it was: the
    saved models are scored again, in this study and from one beside it, not trained again.
    Bug caught: an hour of training redone to score 1,200 prompts instead of 300; the old record
    kept with its old prompt count; the wrong seed's (or row's) model scored; a run whose
    training changed (here --steps) scored again instead of trained; a run whose model is gone
    scored from nothing."""
    calls, scored = [], []

    def runner(cmd, log):
        calls.append(cmd)
        final = os.path.join(cmd[cmd.index("--out") + 1], "final")
        os.makedirs(final, exist_ok=True)
        open(os.path.join(final, "model.safetensors"), "w").close()
        return 0

    def scorer(ckpt, seed):
        scored.append(ckpt)
        return fake_items([1, 0, 0, seed % 2], seed)

    def study_in(name, *more):
        args, rows = study.get_args(["--row", "ours=", "--row", "half=--gate fixed --lam 0.5", "--seeds", "2",
                                     "--out", str(tmp_path / name), "--base", "BASE", *more])
        return study.run_study(args, rows, runner, scorer)

    study_in("study-a", "--prompts", "4")
    assert len(calls) == 4 and len(scored) == 4
    calls.clear(), scored.clear()
    again = study_in("study-a", "--prompts", "8")                        # same OUT, more prompts
    assert calls == [] and len(scored) == 4
    assert sorted(scored) == sorted(str(tmp_path / "study-a" / r / f"seed-{s}" / "final")
                                    for r in ("ours", "half") for s in (0, 1))
    assert all(r["key"]["prompts"] == 8 and r["scored_again"] and "reused_from" not in r
               for rs in again.values() for r in rs)
    calls.clear(), scored.clear()
    more = study_in("study-a", "--prompts", "8", "--replies", "2")       # more replies per prompt: scored again
    assert calls == [] and len(scored) == 4 and all(r["key"]["replies"] == 2 for rs in more.values() for r in rs)
    study_in("study-a", "--prompts", "8")                                # and back: the default is not 2
    assert calls == [] and len(scored) == 8
    scored.clear()
    beside = study_in("study-b", "--prompts", "16")                      # beside it, more prompts still
    assert calls == [] and beside["half"][1]["reused_from"] == str(tmp_path / "study-a" / "half" / "seed-1")
    assert scored[-1].startswith(str(tmp_path / "study-a")) and len(scored) == 4
    assert not (tmp_path / "study-b" / "half" / "seed-1" / "final").exists()
    scored.clear()
    copy = study_in("study-b", "--prompts", "32", "--no-reuse")          # its records are copies: their models
    assert calls == [] and len(scored) == 4                              # are found where they were trained
    assert all(ckpt.startswith(str(tmp_path / "study-a")) for ckpt in scored)
    assert copy["ours"][0]["reused_from"] == str(tmp_path / "study-a" / "ours" / "seed-0")
    scored.clear()
    study_in("study-a", "--prompts", "8", "--steps", "5")                # the training changed
    assert len(calls) == 4 and all(c[c.index("--steps") + 1] == "5" for c in calls)
    calls.clear()
    shutil.rmtree(tmp_path / "study-a" / "ours" / "seed-0" / "final")
    study_in("study-a", "--prompts", "4", "--steps", "5")                # model gone: trained again
    assert [c[c.index("--out") + 1] for c in calls] == [str(tmp_path / "study-a" / "ours" / "seed-0")]


def test_a_base_rebuilt_in_place_is_not_mixed_with_runs_of_the_old_one(tmp_path):
    """Same flags, seed and base path, but the base's weights changed (the world regenerated and the
    base rebuilt at the same path): the run is trained again. Bug caught: a key of paths only, which
    would silently copy the old world's results into the new study's table, or a key whose training
    part leaves out the weights' digest, which would score the old world's model again."""
    calls = []
    base = tmp_path / "out" / "base"
    base.mkdir(parents=True)
    (base / "model.safetensors").write_bytes(b"old weights")

    def runner(cmd, log):                 # leaves a final model, so an old run could be scored again
        calls.append(cmd)
        os.makedirs(os.path.join(cmd[cmd.index("--out") + 1], "final"), exist_ok=True)
        return 0

    def study_in(name):
        args, rows = study.get_args(["--row", "ours=", "--seeds", "1", "--out", str(tmp_path / "out" / name),
                                     "--base", str(base), "--prompts", "4"])
        study.run_study(args, rows, runner, lambda ckpt, seed: fake_items([1], seed))

    study_in("study-a")
    (base / "metrics.png").write_bytes(b"a log written later")           # not part of the checkpoint
    study_in("study-b")
    assert len(calls) == 1                                               # reused
    (base / "model.safetensors").write_bytes(b"new weights")
    study_in("study-c")
    assert len(calls) == 2                                               # trained again


def test_a_training_split_regenerated_in_place_trains_the_run_again(tmp_path):
    """Same flags, seed and base, but the training split at the same path now holds other data (the toy
    world regenerated with other --flaws, the base kept): the run is trained again, and each stage of a
    two-stage row keys the split it reads. Bug caught: a key without the training data's digest, which
    copies runs trained on the old demonstrations into a table of the new ones."""
    calls = []
    base, split, other = tmp_path / "base", tmp_path / "train.jsonl", tmp_path / "other.jsonl"
    base.mkdir()
    (base / "model.safetensors").write_bytes(b"weights")
    split.write_text('{"id": "a"}\n')
    other.write_text('{"id": "b"}\n')

    def runner(cmd, log):                 # leaves a final model, so an old run could be scored again
        calls.append(cmd)
        os.makedirs(os.path.join(cmd[cmd.index("--out") + 1], "final"), exist_ok=True)
        return 0

    def study_in(name, row="ours="):
        args, rows = study.get_args(["--row", row, "--seeds", "1", "--out", str(tmp_path / name), "--base", str(base),
                                     "--prompts", "1", "--train-args", f"--train-file {split}"])
        study.run_study(args, rows, runner, lambda ckpt, seed: fake_items([1], seed))
        return study.run_key(args, rows[row.split("=")[0]], 0, study.common_flags(args))

    assert study_in("study-a")["train_digest"] == [study.content_digest(str(split))]
    study_in("study-b")
    assert len(calls) == 1                                               # the same data: reused
    split.write_text('{"id": "a", "sft_target_text": "3 plus 4 is"}\n')
    study_in("study-c")
    assert len(calls) == 2                                               # other data: trained, not scored again
    two = study_in("study-d", f"two=--lam 0 then --train-file {other}")
    assert two["train_digest"] == [study.content_digest(str(split)), study.content_digest(str(other))]


def test_jobs_run_at_once_with_a_share_of_the_cores_each(tmp_path, monkeypatch):
    """Bug caught: --jobs 2 running one at a time (the runner never sees two in flight), both runs
    taking every core (each must get cores / 2 threads), or results out of seed order."""
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    scorer_threads = []
    monkeypatch.setattr(torch, "set_num_threads", scorer_threads.append)   # and not this process's for good
    args, rows = study.get_args(["--row", "ours=", "--row", "sft=--lam 0 --gate fixed", "--seeds", "2",
                                 "--out", str(tmp_path / "s"), "--base", "BASE", "--prompts", "2", "--jobs", "2"])
    runs = AtOnce(0.2)

    def runner(cmd, log):
        assert cmd[cmd.index("--threads") + 1] == "2"
        with runs:
            return 0

    results = study.run_study(args, rows, runner, lambda ckpt, seed: fake_items([seed, 1], seed))
    assert runs.most == 2 and scorer_threads == [2]
    assert [r["seed"] for r in results["sft"]] == [0, 1]
    assert [r["items"][0]["accuracy"] for r in results["ours"]] == [0, 1]


def test_a_run_given_threads_gets_as_many_blas_threads(tmp_path, monkeypatch):
    """A train.py run started with --threads N is started with numpy's BLAS at N threads too.
    Bug caught: the env not passed (each run's OpenBLAS pool spans every core: two runs at once
    loaded the training split 22x slower)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    show = "import os; print([os.environ.get(k) for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')])"
    log = tmp_path / "train.log"
    assert study.subprocess_runner([sys.executable, "-c", show, "--threads", "1"], str(log)) == 0
    assert study.subprocess_runner([sys.executable, "-c", show], str(log)) == 0
    said = log.read_text().splitlines()
    assert said[1] == "['1', '1']" and said[3] == "[None, None]"


def test_a_studys_runs_do_not_inherit_the_exported_remote_judge(tmp_path, monkeypatch):
    """WAVALIGN_JUDGE_URL / WAVALIGN_JUDGE_MODEL, exported for real runs, are train.py's judge
    defaults; a study's train.py runs must not pick them up (the rest of the environment is
    passed on). Bug caught: every row of a toy study trained against the user's paid remote judge,
    while the study scored with the local one; or, while the study parses its rows' flags, the whole
    environment emptied for a moment (mock.patch.dict's exit), which a thread reading it would see."""
    monkeypatch.setenv("WAVALIGN_JUDGE_URL", "https://judge.example/v1/chat/completions")
    monkeypatch.setenv("WAVALIGN_JUDGE_MODEL", "gemini-2.5-pro")
    monkeypatch.setenv("STUDY_TEST_KEPT", "yes")
    show = ("import os; print([os.environ.get(k) for k in "
            "('WAVALIGN_JUDGE_URL', 'WAVALIGN_JUDGE_MODEL', 'STUDY_TEST_KEPT')])")
    log = tmp_path / "train.log"
    assert study.subprocess_runner([sys.executable, "-c", show], str(log)) == 0
    assert log.read_text().splitlines()[1] == "[None, None, 'yes']"
    # nor does the study's own check of every row's flags, as train.py will parse them: a malformed
    # exported URL no run will see refused the whole study (train.py validates --judge-url's default)
    # Only the two variables leave os.environ while it parses, and they come back (a spy environment
    # records every removal: unittest.mock.patch.dict emptied it all for a moment on leaving)
    monkeypatch.setenv("WAVALIGN_JUDGE_URL", "judge.example/v1")

    class Spy(dict):
        removed = []

        def __delitem__(self, key):
            Spy.removed.append(key)
            super().__delitem__(key)

        def pop(self, key, *default):
            if key in self:
                Spy.removed.append(key)
            return super().pop(key, *default)

        def popitem(self):
            key, value = super().popitem()
            Spy.removed.append(key)
            return key, value

        def clear(self):
            Spy.removed.extend(self)
            super().clear()
    spy = Spy(os.environ)
    monkeypatch.setattr(os, "environ", spy)
    args, rows = study.get_args(["--row", "a=--gate fixed --lam 1", "--seeds", "1", "--out", str(tmp_path / "s")])
    assert rows == {"a": "--gate fixed --lam 1"}             # before: SystemExit, "train.py refuses"
    assert spy["WAVALIGN_JUDGE_URL"] == "judge.example/v1" and spy["STUDY_TEST_KEPT"] == "yes"
    assert Spy.removed and set(Spy.removed) <= set(study.CHILD_ENV_DROP)


def test_two_stage_rows_and_the_base_row(tmp_path):
    """Bug caught: the second stage not starting from the first stage's final model, or the base row
    training anything."""
    cmds, final = study.train_commands("--lam 0 then --lam 1", "BASE", 2, "D", ["--steps", "5"])
    assert [c[c.index("--init") + 1] for c in cmds] == ["BASE", os.path.join("D", "stage-1", "final")]
    assert final == os.path.join("D", "stage-2", "final")
    assert all(c[c.index("--seed") + 1] == "2" and c[c.index("--steps") + 1] == "5" for c in cmds)
    assert study.train_commands("none", "BASE", 0, "D", []) == ([], "BASE")


def test_replies_default_to_four_for_the_table_presets_only():
    """Bug caught: the power presets scored with one reply (their CI a third wider), or every
    study paying four replies' scoring time."""
    replies = {p: study.get_args(["--preset", p])[0].replies for p in ("table3", "table1", "gates")}
    assert replies == {"table3": 4, "table1": 4, "gates": 1}
    assert study.get_args(["--row", "a="])[0].replies == 1
    assert study.get_args(["--preset", "table3", "--replies", "2"])[0].replies == 2


def test_row_parsing_errors_name_the_row():
    with pytest.raises(ValueError, match="NAME="):
        study.parse_row("no-equals-sign")
    with pytest.raises(ValueError, match="--row"):
        study.parse_row('x=--lam "0.5')
    assert study.parse_row('mine=--gate max-only') == ("mine", "--gate max-only")


@pytest.mark.parametrize("row,named", [("typo=--gatee fixed", "--gatee"), ("oob=--gate fixed --lam 1.5", "--gate"),
                                       ("two=--gate fixed --lam 0 then --steps 0", "--steps")])
def test_a_row_train_py_would_refuse_ends_the_study_at_once(row, named, tmp_path, capsys):
    """Every stage of every row is parsed as train.py parses it, before the data, the base or any
    run. Bug caught: a mistyped row accepted, so each of its runs fails after the base is built
    (or, under `then`, the second stage fails after the first has trained)."""
    with pytest.raises(SystemExit) as stop:
        study.get_args(["--row", "ours=", "--row", row, "--out", str(tmp_path / "s")])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and row.split("=")[0] in last and named in last
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("argv,named", [
    (["--top-p", "0"], "--top-p"), (["--max-len", "0"], "--max-len"), (["--temperature", "-1"], "--temperature"),
    (["--temperature", "inf"], "--temperature"), (["--top-k", "-1"], "--top-k"),
    (["--repetition-penalty", "nan"], "--repetition-penalty"), (["--steps", "0"], "--steps"),
    (["--train-args", '"--lr'], "--train-args"), (["--base-args", "'x"], "--base-args"),
    (["--row", "a=--lam 0", "--row", "a=--lam 1"], "--row a"), (["--row", "b=then"], "--row"),
    (["--row", "c=--lam 0 then "], "--row"),
    (["--train-args", "--model tiny-kimi"], "--model tiny-kimi"), (["--row", "k=--model tiny-kimi"], "--row k"),
])
def test_a_studys_own_bad_flag_ends_it_at_once_naming_the_flag(argv, named, tmp_path, capsys):
    """study.py's own flags, checked before any data, base or run: the scoring's sampling flags (as
    train.py checks them), --steps 0 (read as unset: 120 steps a run), a --train-args or --base-args
    shlex cannot split, a row name given twice (the second silently replaced the first), a `then` with an
    empty stage (two default runs), train.py's --model in --train-args or a row (the base is built for
    study.py's own --model, so every run would be refused after it). Bug caught: each accepted, so the study
    trained every row and failed (or, with --temperature -1, scored greedily and exited 0) only when it scored."""
    with pytest.raises(SystemExit) as stop:
        study.get_args(["--row", "ours=", *argv, "--out", str(tmp_path / "s")])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and named in last, last
    assert not (tmp_path / "s").exists()


def test_base_args_train_py_would_refuse_end_the_study_at_once(tmp_path, capsys):
    """A base to be built with --base-args train.py refuses: one line naming --base-args, before anything
    runs. Bug caught: the study starting, the build failing, and a line that says only "see build.log"."""
    with pytest.raises(SystemExit) as stop:
        study.get_args(["--row", "ours=", "--base", str(tmp_path / "base"), "--base-args", "--steps 0",
                        "--out", str(tmp_path / "s")])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "--base-args" in last and "--steps" in last
    assert not (tmp_path / "base").exists()


def test_a_study_out_or_base_that_is_a_file_is_refused(tmp_path, capsys):
    """Bug caught: FileExistsError or NotADirectoryError as a traceback once the study starts."""
    f = tmp_path / "a-file"
    f.write_text("")
    for flag in ("--out", "--base"):
        with pytest.raises(SystemExit) as stop:
            study.get_args(["--row", "ours=", flag, str(f)])
        assert stop.value.code == 2 and flag in capsys.readouterr().err.strip().splitlines()[-1]


def test_gates_preset_lists_every_registered_gate(monkeypatch):
    """Bug caught: a fork's registered gate silently left out of `--preset gates`."""
    import gate as gates
    monkeypatch.setitem(gates.GATES, "my-gate", gates.AdaptiveGate)
    rows = study.preset_rows("gates")
    assert rows["my-gate"] == "--gate my-gate"
    assert {"ours", "fixed-0.5", "no-ema", "ema-0.99"} <= set(rows) and "adaptive" not in rows


def test_a_tiny_real_study(toy_dir, micro_ckpts, tmp_path):
    """Two rows x one seed through real train.py runs and the real scorer: the files exist, the table
    has both rows, the gated row has a lambda trajectory, and a rerun trains nothing."""
    out = tmp_path / "study"
    argv = ["--row", "ours=", "--row", "sft=--gate fixed --lam 0", "--seeds", "1", "--out", str(out),
            "--base", micro_ckpts["tiny-vita"], "--steps", "2", "--prompts", "3", "--replies", "2", "--max-len", "40",
            "--eval-file", str(toy_dir / "eval.jsonl"),
            "--train-args", f"--data-dir {toy_dir} --batch-size 2 --group-size 2 --max-len 40 --quiet"]
    study.main(argv)
    for f in ("study.md", "study.png", "study.json", "ours/seed-0/study-eval.json", "sft/seed-0/final/spoken.json"):
        assert (out / f).exists(), f
    table = (out / "study.md").read_text()
    assert "| ours | `` | 1/1 |" in table and "| sft |" in table
    record = json.loads((out / "ours" / "seed-0" / "study-eval.json").read_text())
    assert len(record["items"]) == 3 and len(record["lambda"]) == 2
    assert all(len(it["texts"]) == 2 for it in record["items"]) and "2 sampled replies each" in table
    assert {"semantic", "acoustic"} <= set(record["items"][0]) and "holistic" not in record["items"][0]
    mtime = os.path.getmtime(out / "ours" / "seed-0" / "final" / "model.safetensors")
    study.main(argv)                                          # resume: nothing is trained again
    assert os.path.getmtime(out / "ours" / "seed-0" / "final" / "model.safetensors") == mtime


def test_the_default_toy_data_is_built_or_refused_as_train_py_does(tmp_path, monkeypatch, capsys):
    """study.py on the default data/toy (here a scratch project folder): one written by an
    earlier world's prepare.py, and a prepare.py that fails, each end in one line and status 2.
    Bug caught: a study that builds its base and trains on another world's data, or that dies
    in a traceback (or runs on) when data/prepare.py fails."""
    import subprocess
    import train
    monkeypatch.setattr(study, "HERE", str(tmp_path))
    monkeypatch.setattr(train, "HERE", str(tmp_path))
    toy = tmp_path / "data" / "toy"
    toy.mkdir(parents=True)
    for split in ("train.jsonl", "eval.jsonl"):
        (toy / split).write_text("{}\n")
    (toy / "manifest.json").write_text(json.dumps({"world": study.dataset.TOY_WORLD - 1}))
    with pytest.raises(SystemExit) as stop:
        study.main(["--row", "ours=", "--out", str(tmp_path / "study")])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1
    assert err.startswith("study.py: error: ") and "delete it" in err
    shutil.rmtree(toy)
    monkeypatch.setattr(train.subprocess, "run", lambda cmd, **_: subprocess.CompletedProcess(cmd, 1))
    with pytest.raises(SystemExit) as stop:
        study.main(["--row", "ours=", "--out", str(tmp_path / "study")])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and err == ("study.py: error: data/prepare.py could not write the toy data to "
                                            f"{toy} (its error above)")
    assert not (tmp_path / "study").exists()


def test_a_recorded_stopped_share_is_read_not_derived_from_the_first_reply():
    """catches: `stopped` derived from an item's text even where its record has the field: with 4 replies a prompt's
    `text` is its first reply's only, so the share over its replies would become that one reply's 0 or 1."""
    items = [{"id": "p0", "text": "3 plus 4 is", "stopped": 0.25, "accuracy": 0.0, "intelligibility": 1.0},
             {"id": "p1", "text": "the count is 3", "stopped": 0.5, "accuracy": 0.5, "intelligibility": 1.0}]
    s = study_report.summarise({"ours": [{"seed": 0, "status": "ok", "lambda": None, "items": items}]}, 1)
    assert s["ours"]["stopped"][0] == pytest.approx((0.25 + 0.5) / 2)      # derived from the texts: (1 + 0) / 2


def test_one_seed_prints_no_spread_over_seeds(tmp_path):
    """catches: the "Spread of the per-seed means" line printed for a one-seed study: a heading with no sd after it
    (an sd over one seed does not exist). Two seeds print it: accuracy means 0.5 and 0, sd sqrt(0.125) = 0.354."""
    def rec(seed, acc):
        return {"seed": seed, "status": "ok", "lambda": None,
                "items": [{"id": f"p{i}", "accuracy": a} for i, a in enumerate(acc)]}
    one, two = [rec(0, [1.0, 0.0])], [rec(0, [1.0, 0.0]), rec(1, [0.0, 0.0])]
    for seeds, results, spread in ((1, one, None), (2, two, 0.354)):
        args, rows = study.get_args(["--row", "ours=", "--seeds", str(seeds), "--out", str(tmp_path / "s"),
                                     "--base", "BASE", "--prompts", "2"])
        table = study_report.report(study_report.summarise({"ours": results}, seeds), rows, args)
        if spread is None:
            assert "Spread" not in table and "sd over seeds" not in table, table
        else:
            assert f"Spread of the per-seed means (sd over seeds): ours acc {spread:.3f}" in table, table


# ---------------------------------------------------------------- survivors of a study.py mutation audit


def test_presets_hold_the_readme_rows_with_the_readme_flags():
    """The presets against the README's "The paper's rows as commands" tables, written out by hand.
    Bug caught: a row dropped from a preset (Table 1 without its two-stage row), a row run with
    another row's flags (text-token RL on all tokens, the 0.7 / 0.3 split run at 0.5 / 0.5)."""
    assert study.preset_rows("table1") == {
        "base": "none", "sft": "--gate fixed --lam 0", "full-dpo": "--stage dpo --dpo-tokens all",
        "text-dpo": "--stage dpo --dpo-tokens text", "full-rl": "--gate fixed --lam 1 --rl-tokens all",
        "text-rl": "--gate fixed --lam 1", "sft-then-rl": "--gate fixed --lam 0 then --gate fixed --lam 1",
        "ours": ""}
    assert study.preset_rows("table3") == {
        "all-fixed-0.5": "--gate fixed --lam 0.5 --rl-tokens all", "text-fixed-0.5": "--gate fixed --lam 0.5",
        "text-fixed-0.3": "--gate fixed --lam 0.3", "all-dynamic": "--rl-tokens all", "no-ema": "--ema-alpha 0",
        "ours": ""}


def test_gates_preset_adds_no_row_for_the_paper_gates_and_a_row_of_mine_stays_mine(monkeypatch):
    """`--preset gates` gets no bare `--gate fixed` row (that is `fixed-0.5`, and a fixed gate without
    --lam is no row of the paper), and a study's own --row is not written into the preset for good.
    Bug caught: only `adaptive` excluded; preset_rows handing out PRESETS itself, so a --row of one
    study (or the registered gates) leak into the next study's `--preset gates` in the same process."""
    import gate as gates
    monkeypatch.setitem(gates.GATES, "my-gate", gates.AdaptiveGate)
    rows = study.preset_rows("gates")
    assert "fixed" not in rows and "adaptive" not in rows and rows["fixed-0.5"] == "--gate fixed --lam 0.5"
    study.get_args(["--preset", "gates", "--row", "mine=--gate fixed --lam 0.2", "--row", "ours=--ema-alpha 0.5"])
    assert study.PRESETS["gates"] == {"ours": "", "fixed-0.5": "--gate fixed --lam 0.5", "no-ema": "--ema-alpha 0",
                                      "ema-0.99": "--ema-alpha 0.99"}


def test_row_names_are_plain_names_and_flags_may_hold_equals_signs():
    """Bug caught: the row split at the last '=' (`--lam=0.3` makes a row named "mine=--lam"), a name
    with '/' or a leading '.' accepted (its runs would land outside OUT/ROW: `../x`, or in a hidden
    directory), a name's spaces kept (`--row " mine =..."` a row named " mine " in the table and paths)."""
    assert study.parse_row("mine=--gate fixed --lam=0.3") == ("mine", "--gate fixed --lam=0.3")
    assert study.parse_row(" mine = --gate fixed ") == ("mine", "--gate fixed")
    for bad in ("a/b=--lam 0", "..=--lam 0", ".hidden=", "=--lam 0"):
        with pytest.raises(ValueError, match="plain name"):
            study.parse_row(bad)


def test_a_row_named_after_a_study_output_is_refused_at_the_command_line(tmp_path, capsys):
    """OUT/ROW is a row's directory and OUT/study.md (.json, .png) the study's own files. Bug caught: a row
    named `study.md` accepted, its runs trained into OUT/study.md/seed-0 for an hour, then the table's
    open() failing on a directory (or, written first, the row's makedirs on a file)."""
    for name in ("study.md", "study.json", "study.png"):
        with pytest.raises(SystemExit) as stop:
            study.get_args(["--row", f"{name}=--lam 0", "--out", str(tmp_path / "s")])
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert stop.value.code == 2 and name in last and "--row" in last
    assert study.parse_row("study=--lam 0") == ("study", "--lam 0")     # a name merely like them is fine


def test_a_rows_flags_are_split_as_a_shell_splits_them_and_then_is_a_word():
    """Bug caught: flags split at spaces inside quotes (`--train-file "my data.jsonl"` becomes two
    arguments), or two stages found wherever "then" is part of a word (a gate named `strengthen`)."""
    cmds, final = study.train_commands('--gate strengthen --train-file "my data.jsonl"', "B", 0, "D", [])
    assert len(cmds) == 1 and final == os.path.join("D", "final")
    assert cmds[0][cmds[0].index("--train-file") + 1] == "my data.jsonl"
    assert cmds[0][cmds[0].index("--gate") + 1] == "strengthen"


def test_a_rows_own_flags_win_over_the_studys_common_ones(tmp_path):
    """train.py takes the last of a repeated flag, so --train-args come before the row's flags:
    `--train-args "--lam 0.5"` with the row `--gate fixed --lam 0` trains at lambda 0, and --steps
    from study.py gives way to a row's own --steps. Bug caught: the common flags appended after the row's,
    so every row silently trains with --train-args' value and the rows are no longer what they say."""
    import flags
    args, rows = study.get_args(["--row", "sft=--gate fixed --lam 0 --steps 3", "--steps", "9",
                                 "--train-args", "--lam 0.5 --batch-size 4", "--out", str(tmp_path / "s"),
                                 "--base", "BASE"])
    assert study.common_flags(args) == ["--lam", "0.5", "--batch-size", "4", "--steps", "9"]
    cmd = study.train_commands(rows["sft"], args.base, 1, "D", study.common_flags(args))[0][0]
    parsed = flags.get_args(cmd[2:])
    assert (parsed.lam, parsed.steps, parsed.batch_size, parsed.seed) == (0.0, 3, 4, 1)


def test_train_args_reach_every_run_and_a_bad_one_is_refused_at_once(tmp_path, capsys):
    """Bug caught: --train-args dropped from the runs (every run on train.py's defaults, e.g. its data),
    or left out of the up-front check, so a typo in them fails every run after the base is built."""
    args, rows = study.get_args(["--row", "ours=", "--seeds", "1", "--train-args", "--batch-size 4",
                                 "--out", str(tmp_path / "s"), "--base", "BASE", "--prompts", "1"])
    calls = []
    study.run_study(args, rows, lambda cmd, log: calls.append(cmd) or 0, lambda ckpt, seed: fake_items([1], seed))
    assert len(calls) == 1 and calls[0][calls[0].index("--batch-size") + 1] == "4"
    with pytest.raises(SystemExit) as stop:
        study.get_args(["--row", "ours=", "--train-args", "--batch-sise 4", "--out", str(tmp_path / "t")])
    assert stop.value.code == 2 and "--batch-sise" in capsys.readouterr().err


def test_lambda_series_is_the_last_stages_and_skips_steps_without_one(tmp_path):
    """A two-stage run's lambda is its second stage's; metrics lines without a lambda (a DPO stage's, an
    eval line) are skipped, and a run with none at all has None (no λ cell, no line in the plot).
    Bug caught: the first stage's series read (SFT-then-RL shown with the SFT stage's lambda 0), a None
    kept in the series (the mean fails), or [] for a DPO run (a "nan" mean λ in the table)."""
    def metrics(d, lines):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "metrics.jsonl"), "w") as f:
            f.write("".join(json.dumps(x) + "\n" for x in lines))
    metrics(tmp_path / "two" / "stage-1", [{"step": 1, "lambda": 0.0}, {"step": 2, "lambda": 0.0}])
    metrics(tmp_path / "two" / "stage-2", [{"step": 1, "lambda": 1.0}, {"step": 2, "eval": 0.5},
                                           {"step": 2, "lambda": 0.8}])
    metrics(tmp_path / "dpo", [{"step": 1, "loss": 0.7}, {"step": 2, "loss": 0.6}])
    assert study.lambda_series(str(tmp_path / "two")) == [1.0, 0.8]
    assert study.lambda_series(str(tmp_path / "dpo")) is None
    assert study.lambda_series(str(tmp_path / "missing")) is None


def test_the_digest_covers_every_weights_and_config_file_and_nothing_else(tmp_path):
    """A checkpoint's digest changes with its spoken.json (the architecture) or any weights shard, not
    with its summary.json or logs, and it tells apart where the bytes lie. Bug caught: configs left
    out (a base rebuilt with another architecture reused), only the first file hashed (a second shard
    or the spec ignored), summary.json hashed (a rewritten summary retrains every row), file names left out."""
    ck = tmp_path / "ck"
    ck.mkdir()
    (ck / "model.safetensors").write_bytes(b"ab")
    (ck / "spoken.json").write_bytes(b"{}")
    first = study.content_digest(str(ck))
    (ck / "summary.json").write_text('{"accuracy": 1}')
    (ck / "train.log").write_text("more log")
    assert study.content_digest(str(ck)) == first
    (ck / "spoken.json").write_bytes(b'{"layers": 3}')
    assert study.content_digest(str(ck)) != first
    (ck / "spoken.json").write_bytes(b"{}")
    assert study.content_digest(str(ck)) == first
    (ck / "model-2.safetensors").write_bytes(b"")
    second = study.content_digest(str(ck))
    assert second != first
    (ck / "model-2.safetensors").write_bytes(b"a")
    (ck / "model.safetensors").write_bytes(b"b")                   # the same bytes in the same order, split otherwise
    assert study.content_digest(str(ck)) not in (first, second)
    assert study.content_digest(str(tmp_path / "absent")) is None


def test_a_changed_eval_file_sampling_or_judge_scores_a_run_beside_again(tmp_path):
    """A study beside another, with the same training but another eval file's content, sampling
    temperature or judge, scores the saved model again; it does not copy the other study's scores.
    Bug caught: a key without the eval file's digest (regenerated held-out prompts), the sampling or the
    judge: the old scores copied into the new table as if measured under the new scoring."""
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text('{"id": "p0"}\n')
    scored = []

    def runner(cmd, log):
        os.makedirs(os.path.join(cmd[cmd.index("--out") + 1], "final"), exist_ok=True)
        return 0

    def study_in(name, *more):
        args, rows = study.get_args(["--row", "ours=", "--seeds", "1", "--out", str(tmp_path / name), "--base", "BASE",
                                     "--prompts", "1", "--eval-file", str(eval_file), *more])
        return study.run_study(args, rows, runner, lambda ckpt, seed: scored.append(ckpt) or fake_items([1], seed))

    study_in("study-a")
    study_in("study-b")
    assert len(scored) == 1                                        # the same key: copied
    eval_file.write_text('{"id": "p0", "regenerated": true}\n')
    study_in("study-c")
    study_in("study-d", "--temperature", "0.5")
    study_in("study-e", "--judge-url", "http://127.0.0.1:9")
    assert len(scored) == 4 and all(c == str(tmp_path / "study-a" / "ours" / "seed-0" / "final") for c in scored)


def test_a_copy_of_a_copy_points_at_the_run_that_trained(tmp_path):
    """Study c copies from study b's record, itself a copy of study a's run: c's record names a's
    directory (b holds no model), so scoring c again later finds the model instead of training again.
    Its lambda series is the trained run's, also when a study beside scores that run again.
    Bug caught: reused_from set to the copy's directory (a later re-score retrains an hour of runs),
    or the lambda series read from the new, empty run directory (the gated row's λ lost)."""
    calls, scored = [], []

    def runner(cmd, log):
        calls.append(cmd)
        out = cmd[cmd.index("--out") + 1]
        os.makedirs(os.path.join(out, "final"), exist_ok=True)
        with open(os.path.join(out, "metrics.jsonl"), "w") as f:
            f.write('{"step": 1, "lambda": 0.25}\n{"step": 2, "lambda": 0.75}\n')
        return 0

    def study_in(name, prompts):
        args, rows = study.get_args(["--row", "ours=", "--seeds", "1", "--out", str(tmp_path / name),
                                     "--base", "BASE", "--prompts", str(prompts)])
        return study.run_study(args, rows, runner, lambda ckpt, seed: scored.append(ckpt) or fake_items([1], seed))

    trained = str(tmp_path / "study-a" / "ours" / "seed-0")
    study_in("study-a", 1)
    study_in("study-b", 1)
    shutil.move(str(tmp_path / "study-a" / "ours" / "seed-0" / study.EVAL_FILE), str(tmp_path / "a-record"))
    c = study_in("study-c", 1)                                     # only b's copy is left to find
    assert c["ours"][0]["reused_from"] == trained and len(calls) == 1
    again = study_in("study-c", 2)                                 # more prompts: scored again, not trained
    assert len(calls) == 1 and scored[-1] == os.path.join(trained, "final")
    assert again["ours"][0]["lambda"] == [0.25, 0.75]


def test_a_failed_first_stage_ends_the_run_and_the_failure_is_said(tmp_path, capsys):
    """A two-stage row whose first stage fails is a failed run: its second stage is not started (from a
    model that does not exist), and the study says which run failed and where its log is.
    Bug caught: only the last stage's exit status checked, or a failure left out of the study's output."""
    args, rows = study.get_args(["--row", "two=--gate fixed --lam 0 then --gate fixed --lam 1", "--seeds", "1",
                                 "--out", str(tmp_path / "s"), "--base", "BASE", "--prompts", "1"])
    calls = []

    def runner(cmd, log):
        calls.append(cmd)
        return 5 if cmd[cmd.index("--out") + 1].endswith("stage-1") else 0

    results = study.run_study(args, rows, runner, lambda ckpt, seed: fake_items([1], seed))
    assert len(calls) == 1 and results["two"][0]["status"] == "failed" and results["two"][0]["exit"] == 5
    said = capsys.readouterr()
    assert "two seed 0: train.py exited with 5" in said.out + said.err
    assert str(tmp_path / "s" / "two" / "seed-0") + "/train.log" in said.out + said.err


def test_one_job_leaves_the_threads_to_the_user_and_the_base_row_scores_the_base(tmp_path):
    """With --jobs 1 no --threads is added, so one given in --train-args holds; the `none` row scores
    the base itself and a two-stage row its second stage's model. Bug caught: --threads (all cores)
    appended to every run, overriding the user's; the `none` row scored from an empty run directory,
    or a two-stage row's first-stage or missing model scored."""
    args, rows = study.get_args(["--row", "base=none", "--row", "two=--gate fixed --lam 0 then --gate fixed --lam 1",
                                 "--seeds", "1", "--train-args", "--threads 1", "--out", str(tmp_path / "s"),
                                 "--base", "BASE", "--prompts", "1"])
    calls, scored = [], []
    study.run_study(args, rows, lambda cmd, log: calls.append(cmd) or 0,
                    lambda ckpt, seed: scored.append(ckpt) or fake_items([1], seed))
    assert len(calls) == 2 and all(c.count("--threads") == 1 and c[c.index("--threads") + 1] == "1" for c in calls)
    assert scored == ["BASE", str(tmp_path / "s" / "two" / "seed-0" / "stage-2" / "final")]


def test_the_base_is_built_once_with_seed_zero_and_its_own_flags(tmp_path):
    """Bug caught: a base directory left by a build that stopped before its model (no spoken.json) taken
    as built; the build without --base-args, the model or seed 0; a failed build not stopping the study."""
    calls = []
    args, _ = study.get_args(["--row", "ours=", "--model", "tiny-kimi", "--base", str(tmp_path / "b"),
                              "--base-args", "--steps 7"])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "build.log").write_text("killed\n")
    study.ensure_base(args, lambda cmd, log: calls.append(cmd) or 0)
    cmd = calls[0]
    assert len(calls) == 1 and (cmd[cmd.index("--seed") + 1], cmd[cmd.index("--model") + 1]) == ("0", "tiny-kimi")
    assert cmd[cmd.index("--steps") + 1] == "7" and cmd[cmd.index("--stage") + 1] == "sft"
    with pytest.raises(SystemExit, match="building the base failed"):
        study.ensure_base(args, lambda cmd, log: 1)
    (tmp_path / "b" / "spoken.json").write_text("{}")
    study.ensure_base(args, lambda cmd, log: calls.append(cmd) or 0)
    assert len(calls) == 1


def test_a_model_flag_reaches_runs_and_base_and_a_row_replaces_a_preset_row():
    """Bug caught: --model tiny-kimi not passed to the runs (Kimi rows trained as VITA from a Kimi base) or
    its base shared with VITA's (out/base-tiny-vita); a --row named like a preset row not replacing it."""
    args, rows = study.get_args(["--preset", "gates", "--row", "ours=--ema-alpha 0.5", "--model", "tiny-kimi"])
    assert study.common_flags(args)[:2] == ["--model", "tiny-kimi"]
    assert args.base == os.path.join("out", "base-tiny-kimi")
    assert rows["ours"] == "--ema-alpha 0.5"


def test_too_few_held_out_prompts_end_the_study_before_the_base(tmp_path, monkeypatch, capsys):
    """Non-empty lines are prompts: a file of 2 prompts and a blank line cannot give --prompts 3, and it
    ends the study at once (status 2) before a base is built. Bug caught: blank lines counted, or the
    check off by one, so the study builds the base and trains every row to score fewer prompts."""
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text("".join(json.dumps({"id": i, "messages": [{"role": "user", "content": "<|audio|>"}],
                                              "audios": ["q.wav"]}) + "\n\n" for i in "ab"))
    assert dataset.check_split(str(eval_file), 3) == 2 and dataset.check_split(str(eval_file), 1) == 1

    def no_base(args, runner=None):
        raise AssertionError("the base was built")
    monkeypatch.setattr(study, "ensure_base", no_base)
    for prompts in ("3", "4"):
        with pytest.raises(SystemExit) as stop:
            study.main(["--row", "ours=", "--eval-file", str(eval_file), "--prompts", prompts,
                        "--out", str(tmp_path / "s")])
        assert stop.value.code == 2 and f"2 prompts, fewer than --prompts {prompts}" in capsys.readouterr().err


def test_a_bad_line_in_the_held_out_split_ends_the_study_before_the_base(toy_dir, tmp_path, monkeypatch, capsys):
    """A held-out split whose third line is not JSON, or not a sample, with --prompts 4: the study ends at
    once, naming file:line, before the base is built or any run trains; lines past --prompts are not read.
    Bug caught: the split first read when the first model is scored (after the base and every run), and
    the DataError there a traceback."""
    good = [line for line in (toy_dir / "eval.jsonl").read_text().splitlines()[:4]]

    def no_base(args, runner=None):
        raise AssertionError("the base was built")
    monkeypatch.setattr(study, "ensure_base", no_base)
    for bad, said in (('{"id": "x", "mess', "eval.jsonl:3: not valid JSON"), ('{"id": 3}', "eval.jsonl:3: field 'id'")):
        eval_file = tmp_path / "eval.jsonl"
        eval_file.write_text("\n".join(good[:2] + [bad] + good[2:]) + "\n")
        with pytest.raises(SystemExit) as stop:
            study.main(["--row", "ours=", "--eval-file", str(eval_file), "--prompts", "4",
                        "--out", str(tmp_path / "s")])
        assert stop.value.code == 2 and said in capsys.readouterr().err.strip().splitlines()[-1]
    dataset.check_split(str(eval_file), 2)        # the first two lines are all --prompts 2 reads


def test_a_key_names_the_base_wherever_the_study_is_started(tmp_path, monkeypatch):
    """The base in a run's key is an absolute path: the same relative --base from two working directories
    is two bases. Bug caught: the key holding the path as typed, so a study started elsewhere with
    `--base out/base` copies runs trained from another project's base of the same name."""
    keys = []
    for d in ("one", "two"):
        (tmp_path / d).mkdir()
        monkeypatch.chdir(tmp_path / d)
        args, rows = study.get_args(["--row", "ours=", "--base", "out/base"])
        keys.append(study.run_key(args, rows["ours"], 0, []))
    assert keys[0]["base"] == str(tmp_path / "one" / "out" / "base") and keys[0]["base"] != keys[1]["base"]


def test_a_study_whose_name_extends_this_ones_is_still_beside_it(tmp_path):
    """OUT's own records are skipped when looking beside it, but `study-ab` is not inside `study-a`.
    Bug caught: the prefix test without the path separator, so every study whose name starts with this
    one's is never reused from (an hour of identical runs trained again)."""
    calls = []

    def study_in(name, *more):
        args, rows = study.get_args(["--row", "ours=", "--seeds", "1", "--out", str(tmp_path / name),
                                     "--base", "BASE", "--prompts", "1", *more])
        return study.run_study(args, rows, lambda cmd, log: calls.append(cmd) or 0,
                               lambda ckpt, seed: fake_items([1], seed))

    study_in("study-ab")
    assert study_in("study-a")["ours"][0]["reused_from"] == str(tmp_path / "study-ab" / "ours" / "seed-0")
    study_in("study-c", "--jobs", "2")                             # threads do not change a run: still reused
    assert len(calls) == 1


@pytest.mark.parametrize("flag", ["--seeds", "--jobs", "--prompts", "--replies"])
def test_zero_seeds_jobs_prompts_or_replies_are_refused(flag, capsys):
    """Bug caught: --seeds 0 accepted (an empty study that reports nothing), --jobs 0 (a pool that
    cannot start), or the other counts at 0."""
    with pytest.raises(SystemExit) as stop:
        study.get_args(["--row", "ours=", flag, "0"])
    assert stop.value.code == 2 and "must be >= 1" in capsys.readouterr().err


def test_scoring_runs_one_at_a_time_beside_parallel_jobs(tmp_path, monkeypatch):
    """Bug caught: the scorer (one model load and one judge for the whole study) entered by two jobs at once."""
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    args, rows = study.get_args(["--row", "ours=", "--seeds", "4", "--out", str(tmp_path / "s"), "--base", "BASE",
                                 "--prompts", "1", "--jobs", "2"])
    scorings = AtOnce(0.1)

    def scorer(ckpt, seed):
        with scorings:
            return fake_items([1], seed)

    study.run_study(args, rows, lambda cmd, log: 0, scorer)
    assert scorings.most == 1


def test_the_scorer_loads_the_given_model_and_scores_the_first_prompts_with_the_runs_seed(monkeypatch):
    """Scorer with the real model, data and eval entry points replaced by recorders: the checkpoint it is
    given is loaded, the first --prompts prompts read once, and eval.score_items gets the run's seed and
    --replies, with the study's sampling. Bug caught: all held-out prompts scored (not the table's
    --prompts), one reply scored whatever --replies says, the sampling seed not the run's."""
    import eval as evaluate
    import model as models
    seen = {"loaded": [], "limits": [], "scores": []}

    class Net:
        codec = type("Codec", (), {"encode": staticmethod(lambda text: text)})()

        def eval(self):
            return self
    monkeypatch.setattr(models, "load_model", lambda ckpt: seen["loaded"].append(ckpt) or Net())
    monkeypatch.setattr(study.dataset, "load_samples",
                        lambda path, encode, limit=None: seen["limits"].append((path, limit)) or ["s"] * limit)
    monkeypatch.setattr(evaluate, "score_items", lambda model, samples, client, args, seed, replies, mode:
                        seen["scores"].append((len(samples), seed, replies, args.temperature, mode)) or [])
    args, _ = study.get_args(["--row", "ours=", "--prompts", "3", "--replies", "2", "--temperature", "0.5",
                              "--eval-file", "E.jsonl", "--judge-url", "http://127.0.0.1:9"])
    with contextlib.ExitStack() as stack:
        scorer = study.Scorer(args, stack)
        scorer("D/final", 2)
        scorer("D2/final", 1)
    assert seen["loaded"] == ["D/final", "D2/final"] and seen["limits"] == [("E.jsonl", 3)]
    assert seen["scores"] == [(3, 2, 2, 0.5, "split"), (3, 1, 2, 0.5, "split")]


def test_a_run_retrained_in_place_is_not_scored_again_for_its_old_training(tmp_path):
    """Study b scores study a's model again (more prompts), so b's record points at a's run directory.
    Then a is rerun with --steps 5: that directory now holds another training's model. Scoring b again
    must train b's own run, not score the --steps 5 model under b's old key.
    Bug caught (it was in study.py): a record's `reused_from` trusted without checking what the
    directory now holds, so b's table silently showed the numbers of a run with other flags."""
    calls, scored = [], []

    def runner(cmd, log):
        calls.append(cmd)
        os.makedirs(os.path.join(cmd[cmd.index("--out") + 1], "final"), exist_ok=True)
        return 0

    def study_in(name, prompts, *more):
        args, rows = study.get_args(["--row", "ours=", "--seeds", "1", "--out", str(tmp_path / name),
                                     "--base", "BASE", "--prompts", str(prompts), *more])
        return study.run_study(args, rows, runner, lambda ckpt, seed: scored.append(ckpt) or fake_items([1], seed))

    study_in("study-a", 1)
    study_in("study-b", 2)                                          # a's model scored again
    assert len(calls) == 1 and scored[-1] == str(tmp_path / "study-a" / "ours" / "seed-0" / "final")
    study_in("study-a", 1, "--steps", "5")                          # a's directory retrained
    assert len(calls) == 2
    study_in("study-b", 3)
    assert len(calls) == 3 and calls[-1][calls[-1].index("--out") + 1] == str(tmp_path / "study-b" / "ours" / "seed-0")
    assert scored[-1] == str(tmp_path / "study-b" / "ours" / "seed-0" / "final")


def test_only_the_two_judge_variables_leave_the_environment(monkeypatch):
    """Only WAVALIGN_JUDGE_URL and WAVALIGN_JUDGE_MODEL leave: the API key's variable stays in a
    run's environment (a row that names a remote judge needs it) and in os.environ while the study
    parses, and the two come back afterwards. Bug caught: every WAVALIGN_* (or WAVALIGN_JUDGE_*)
    variable dropped."""
    monkeypatch.setenv("WAVALIGN_JUDGE_URL", "https://judge.example/v1/chat/completions")
    monkeypatch.setenv("WAVALIGN_JUDGE_MODEL", "m")
    monkeypatch.setenv("WAVALIGN_JUDGE_API_KEY", "k")
    env = study.child_env()
    assert "WAVALIGN_JUDGE_URL" not in env and "WAVALIGN_JUDGE_MODEL" not in env
    assert env["WAVALIGN_JUDGE_API_KEY"] == "k"
    with study.without_environ(study.CHILD_ENV_DROP):
        assert "WAVALIGN_JUDGE_URL" not in os.environ and os.environ.get("WAVALIGN_JUDGE_API_KEY") == "k"
    assert os.environ["WAVALIGN_JUDGE_URL"].startswith("https://") and os.environ["WAVALIGN_JUDGE_MODEL"] == "m"
