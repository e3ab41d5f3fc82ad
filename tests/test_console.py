"""train.py's console: one line and exit status 2 for bad input, a step line every --log-every steps."""
import argparse
import json
import os

import pytest
import torch

import dataset
import flags
import model as models
import runtime
import train
from conftest import ROOT, micro_model


def run_main(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        train.main(argv)
    said = capsys.readouterr()
    return stop.value.code, said.out, said.err


def test_a_bad_data_file_ends_with_one_line_naming_file_and_line(tmp_path, micro_ckpts, capsys):
    """Bug caught: a traceback (or exit status 1) instead of the DataError's file:line message."""
    (tmp_path / "train.jsonl").write_text('{"id": "a"\n')
    (tmp_path / "eval.jsonl").write_text("")
    code, out, err = run_main(["--init", micro_ckpts["tiny-vita"], "--data-dir", str(tmp_path), "--out",
                               str(tmp_path / "run"), "--quiet"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "train.jsonl:1" in lines[0] and "not valid JSON" in lines[0]
    assert "Traceback" not in err + out


def test_a_hybrid_train_split_without_sft_targets_ends_with_one_line_at_load(tmp_path, toy_dir, micro_ckpts, capsys):
    """The hybrid stage's SFT term needs each training prompt's demonstration: a train.jsonl line without
    sft_target_text is refused as the split loads, naming file:line, before any training. Bug caught:
    targets required for --stage sft only, so the hybrid run loads the line and fails mid-step instead."""
    import json
    def copied(split, n):          # the copy lives elsewhere: its WAVs named by absolute path
        records = [json.loads(line) for line in (toy_dir / split).read_text().splitlines()[:n]]
        for r in records:
            r["audios"] = [str(toy_dir / a) for a in r["audios"]]
            if r.get("sft_target_audio"):
                r["sft_target_audio"] = str(toy_dir / r["sft_target_audio"])
        return records
    train_records = copied("train.jsonl", 4)
    del train_records[2]["sft_target_text"]
    for split, records in (("train.jsonl", train_records), ("eval.jsonl", copied("eval.jsonl", 2))):
        (tmp_path / split).write_text("".join(json.dumps(r) + "\n" for r in records))
    code, out, err = run_main(["--init", micro_ckpts["tiny-vita"], "--data-dir", str(tmp_path), "--out",
                               str(tmp_path / "run"), "--quiet", "--batch-size", "2", "--group-size", "2",
                               "--steps", "2", "--eval-prompts", "0", "--judge-url", "http://127.0.0.1:9/v1"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "train.jsonl:3" in lines[0], err[-500:]
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_a_stale_default_data_dir_ends_with_one_line(tmp_path, toy_dir, micro_ckpts, capsys, monkeypatch):
    """data/toy from an earlier data/prepare.py (no manifest). Bug caught: trained on silently (the
    old world's data under the new world's code), a traceback instead of one line and status 2,
    or a run on one's own files refused because of a data/toy it does not read."""
    import shutil
    default = tmp_path / "data" / "toy"
    shutil.copytree(toy_dir, default)
    (default / "manifest.json").unlink()
    monkeypatch.setattr(train, "HERE", str(tmp_path))
    # past the data check the run would load a model and train for minutes: under the bug, fail at once
    monkeypatch.setattr(train.weights, "load_policy", lambda *a: pytest.fail("the stale data/toy was accepted"))
    code, out, err = run_main(["--init", micro_ckpts["tiny-vita"], "--data-dir", str(default), "--out",
                               str(tmp_path / "run"), "--quiet"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "earlier data/prepare.py" in lines[0] and str(default) in lines[0]
    assert not (tmp_path / "run").exists()
    # files of one's own, with data/toy stale (or absent) beside them: not the toy world's business
    own = argparse.Namespace(data_dir=str(default), train_file=str(toy_dir / "train.jsonl"),
                             eval_file=str(toy_dir / "eval.jsonl"))
    train.ensure_toy_data(own, rank=0)
    with pytest.raises(dataset.DataError):
        train.ensure_toy_data(argparse.Namespace(data_dir=str(toy_dir), train_file=own.train_file,
                                                 eval_file=str(default / "eval.jsonl")), rank=0)


@pytest.mark.parametrize("stage", ["hybrid", "sft"])
def test_a_missing_init_ends_with_one_line_before_any_toy_data_is_made(stage, tmp_path, capsys, monkeypatch):
    """--init naming no checkpoint, the default toy data absent. Bug caught: the data generated
    first (a minute and 1.4 GB, here a failing data/prepare.py) and --init refused only after."""
    monkeypatch.setattr(train, "HERE", str(tmp_path))
    default = tmp_path / "data" / "toy"
    code, out, err = run_main(["--stage", stage, "--init", str(tmp_path / "nowhere"), "--data-dir", str(default),
                               "--out", str(tmp_path / "run"), "--quiet"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--init" in lines[0] and "nowhere" in lines[0]
    assert not default.exists() and "toy data missing" not in out


def test_a_missing_default_base_is_refused_for_a_fine_tuning_sft_before_any_toy_data(tmp_path, capsys, monkeypatch):
    """`--stage sft --init out/base-tiny-vita` (fine-tuning the default base) with no base there: the
    hybrid and DPO stages build that base, the SFT stage does not (it would be building its own start), so
    it ends with one line naming --init before data/prepare.py is run. Bug caught: the default base's path
    let through for every stage, so the toy data (a minute, 1.4 GB) is generated and the missing
    checkpoint found only after."""
    monkeypatch.setattr(train, "HERE", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    ran = []
    monkeypatch.setattr(train.subprocess, "run", lambda cmd, **_: ran.append(cmd) or argparse.Namespace(returncode=1))
    code, out, err = run_main(["--stage", "sft", "--init", "out/base-tiny-vita", "--data-dir",
                               str(tmp_path / "data" / "toy"), "--eval-prompts", "0", "--quiet"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "--init out/base-tiny-vita" in lines[0] and ran == []


def test_a_default_toy_split_gone_missing_is_made_again(tmp_path, monkeypatch):
    """data/toy with train.jsonl but no eval.jsonl (deleted, or a copy cut short): ensure_toy_data runs
    data/prepare.py into it, as when both are missing. Bug caught: either split's presence taken as the
    data being there, so the run ends on the missing eval.jsonl instead of making it."""
    monkeypatch.setattr(train, "HERE", str(tmp_path))
    toy = tmp_path / "data" / "toy"
    toy.mkdir(parents=True)
    (toy / "train.jsonl").write_text("{}\n")
    ran = []
    monkeypatch.setattr(train.subprocess, "run", lambda cmd, **_: ran.append(cmd) or argparse.Namespace(returncode=0))
    train.ensure_toy_data(argparse.Namespace(data_dir=str(toy), train_file=str(toy / "train.jsonl"),
                                             eval_file=str(toy / "eval.jsonl")), rank=0)
    assert len(ran) == 1 and ran[0][ran[0].index("--out") + 1] == str(toy)


@pytest.mark.parametrize("argv,named", [
    (["--group-size", "1"], "--group-size"),
    (["--gate", "no-such-gate"], "--gate"),
    (["--gate", "fixed", "--lam", "1.5"], "--gate"),
    (["--ema-alpha", "1.0"], "--ema-alpha"),
    (["--schedule", "4", "2"], "--schedule"),
    (["--steps", "0"], "--steps"),
    (["--stage", "dpo", "--async-rollout"], "--async-rollout"),
    (["--device", "tpu"], "--device"),                          # was taken as the CPU, silently
    (["--stage", "sft", "--model", "vita", "--data-dir", "d", "--eval-prompts", "0"], "--init"),   # was a traceback
    (["--model", "vita", "--init", "/ckpt/VITA-Audio-Boost"], "--data-dir"),    # not the toy world's tones
    (["--model", "vita", "--init", "/ckpt/VITA-Audio-Boost", "--data-dir", "d"], "--judge-url"),   # nor its judge
])
def test_a_bad_flag_ends_with_one_line_naming_it(argv, named, capsys, monkeypatch, tmp_path):
    """Bug caught: a bad value accepted at start and failing minutes later with a traceback. A flag
    wrongly accepted stops here (where the run would start writing), not in a default job in the repo."""
    def started(args):
        raise AssertionError(f"{argv} was accepted: the run got as far as checking --out")
    monkeypatch.setattr(train, "HERE", str(tmp_path))
    monkeypatch.setattr(runtime, "check_out", started)
    code, out, err = run_main(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and named in lines[0] and "Traceback" not in err


SCRIPTS = {  # every script, as the README writes its path -> its module
           "train.py": "train", "eval.py": "eval", "study.py": "study", "bench.py": "bench", "rollout.py": "rollout",
           "real.py": "real", "judge.py": "judge", "calibrate.py": "calibrate", "codec.py": "codec", "judge_votes.py": "judge_votes",
           "judge_lines.py": "judge_lines",
           "data/prepare.py": "data.prepare"}


@pytest.mark.parametrize("script", list(SCRIPTS.values()))
def test_every_script_refuses_a_flag_in_one_line(script, capsys, monkeypatch):
    """Bug caught: a script parsing with argparse.ArgumentParser instead of cli.Parser, whose refusal
    prints the whole usage first (47 lines for train.py), the line that says what is wrong last."""
    import importlib
    import sys
    module = importlib.import_module(script)
    prog = script.split(".")[-1] + ".py"
    monkeypatch.setattr(sys, "argv", [prog, "--no-such-flag"])
    with pytest.raises(SystemExit) as stop:
        module.main()
    lines = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), lines


def test_a_valid_schedule_is_accepted_and_lays_out_the_replies(samples):
    """README's `--schedule 1 10 4 10` (VITA-Audio's): accepted, and a model built with it opens each
    reply with one text token, then <boa>. Bug caught: the flag check building a grammar with no
    vocabulary, so every valid schedule ended in an AttributeError traceback."""
    import model as M
    import rollout
    from conftest import MICRO
    args = flags.get_args(["--init", "unused", "--schedule", "1", "10", "4", "10"])
    policy = M.build_model("tiny-vita", schedule=args.schedule, config_overrides=MICRO)
    batch = rollout.sample(policy, samples[:2], 2, 1.0, 1.0, 24, torch.Generator().manual_seed(0))
    assert (batch.masks["text"][:, 0, 0]).all() and (batch.replies[:, 1, 0] == policy.vocab.boa).all()


def test_step_lines_every_log_every_steps_and_the_wall_time(toy_dir, micro_ckpts, judge_url, tmp_path, capsys):
    """--log-every 2 over 3 steps prints steps 1 and 2 only (metrics.jsonl keeps all 3), then the wall
    time. Bug caught: a line per step (750 lines a run), or metrics thinned along with the console."""
    out = tmp_path / "run"
    train.main(["--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir), "--out", str(out),
                "--batch-size", "2", "--group-size", "2", "--max-len", "32", "--steps", "3", "--eval-prompts", "0",
                "--judge-url", judge_url, "--log-every", "2"])
    said = capsys.readouterr().out
    steps = [line.split("|")[0].split()[1] for line in said.splitlines() if line.startswith("step ")]
    assert steps == ["1/3", "2/3"]
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3
    assert "wall time" in said.splitlines()[-1]


def test_the_judge_bill_line_counts_in_the_singular_and_the_plural(tmp_path, capsys):
    """One step, one call, its axes logged; then two steps. Bug caught: "1 calls in 1 steps", or a count
    taken from the wrong field."""
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(json.dumps({"step": 1, "judge_calls": 1, "logged_axes": True}) + "\n")
    train.report_judge_bill(str(tmp_path), 0)
    assert capsys.readouterr().out.strip() == ("judge: 1 call in 1 step (1.0 per step; semantic and acoustic "
                                               "logged on 1 step)")
    metrics.write_text(metrics.read_text() + json.dumps({"step": 2, "judge_calls": 3, "logged_axes": False}) + "\n")
    train.report_judge_bill(str(tmp_path), 0)
    assert capsys.readouterr().out.strip() == ("judge: 4 calls in 2 steps (2.0 per step; semantic and acoustic "
                                               "logged on 1 step)")


def test_the_wall_time_rounds_to_whole_seconds_before_it_splits_off_minutes():
    """Bug caught: divmod first, then the seconds rounded for print: 179.7 s read "2 m 60 s"."""
    assert [train.wall_time(s) for s in (179.7, 59.4, 0.2, 3600.0)] == ["3 m 0 s", "0 m 59 s", "0 m 0 s", "60 m 0 s"]


def test_model_vita_defaults_are_the_papers_and_given_flags_win():
    """`--model vita` with no optimisation flags gets Sec. 4.1's settings (lr 1e-6, batch size 1 on
    each of 4 GPUs = 4 prompts, sequences to 2048) and the official script's 2000 steps, warmup 20,
    a checkpoint every 100 (DPO: lr 5e-6, warmup 50, gamma 0.2); the tiny models keep theirs; a flag given on
    the command line wins. Bug caught: a 7B checkpoint post-trained at the tiny models' 3e-4
    (300x the paper's rate)."""
    ckpt = ["--model", "vita", "--init", "/ckpt/VITA-Audio-Boost", "--data-dir", "/data/spoken",
            "--judge-url", "http://127.0.0.1:9/v1/chat/completions"]
    vita = train.get_args(ckpt)
    assert (vita.lr, vita.batch_size, vita.max_len, vita.steps, vita.warmup, vita.save_every) == \
        (1e-6, 4, 2048, 2000, 20, 100)
    dpo = train.get_args(["--stage", "dpo", *ckpt])
    assert (dpo.lr, dpo.warmup, dpo.dpo_gamma) == (5e-6, 50, 0.2)     # gamma: the official DPO script's
    tiny = train.get_args([])
    assert (tiny.lr, tiny.batch_size, tiny.max_len, tiny.steps, tiny.warmup) == (3e-4, 8, 128, 120, 10)
    assert train.get_args(["--stage", "dpo"]).dpo_gamma == 0.1
    given = train.get_args([*ckpt, "--lr", "2e-6", "--max-len", "512", "--steps", "7", "--dpo-gamma", "0.5"])
    assert (given.lr, given.max_len, given.steps, given.batch_size, given.dpo_gamma) == (2e-6, 512, 7, 4, 0.5)


def test_a_bad_vita_checkpoint_ends_with_one_line_naming_it(tmp_path, toy_dir, capsys):
    """Bug caught: a directory that is not a VITA-Audio checkpoint ends in a traceback from deep
    in the loader instead of one line naming the directory and what it lacks (status 2)."""
    code, out, err = run_main(["--model", "vita", "--init", str(tmp_path), "--data-dir", str(toy_dir),
                               "--judge-url", "http://127.0.0.1:9", "--eval-prompts", "0", "--out",
                               str(tmp_path / "run"), "--audio-tokenizer", "tok", "--audio-decoder", "dec"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and str(tmp_path) in lines[0] and "config.json" in lines[0]
    assert "Traceback" not in err


def test_bench_on_a_missing_data_file_ends_with_one_line_naming_it(tmp_path, capsys):
    """`bench.py --data FILE` with no such file. Bug caught: the DataError's traceback instead of
    one line naming the file, with exit status 2."""
    import bench
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(SystemExit) as stop:
        bench.main(["--only", "judge", "--data", str(missing)])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "--data" in last and str(missing) in last


def test_bench_sections_that_read_no_prompts_run_without_the_data(tmp_path, capsys):
    """`bench.py --only reader bill` reads no prompts (the reader's rubrics are built in, the bill is arithmetic).
    Bug caught: every section but memory refused to start without data/toy, so a fresh clone could not time the
    judge's reader."""
    import bench
    bench.main(["--only", "reader", "bill", "--data", str(tmp_path / "nowhere.jsonl")])
    said = capsys.readouterr().out
    assert "reader: 11 one-form rubrics" in said and "bill: the default job's judge calls" in said


def test_rollout_and_bench_read_the_projects_toy_data_from_any_directory(toy_dir, micro_ckpts, tmp_path,
                                                                         monkeypatch, capsys):
    """`python ~/nanoWavAlign/rollout.py --ckpt ...` run from another directory samples the project's
    data/toy, as train.py and eval.py read it; bench.py without it names the project's file. Bug caught:
    --data's default relative to the working directory ("no such data file: data/toy/eval.jsonl")."""
    import shutil
    import bench
    import rollout
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for tool in (rollout, bench):
        monkeypatch.setattr(tool, "HERE", str(project))
    with pytest.raises(SystemExit) as stop:
        bench.main(["--only", "judge"])
    assert stop.value.code == 2 and str(project / "data" / "toy" / "eval.jsonl") in capsys.readouterr().err
    shutil.copytree(toy_dir, project / "data" / "toy")
    rollout.main(["--ckpt", micro_ckpts["tiny-vita"], "--n", "1", "--group-size", "1", "--max-len", "8"])
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("[") and said[-1].startswith("1 replies in")


def test_an_out_holding_a_run_is_refused_unless_resumed_or_overwritten(toy_dir, micro_ckpts, judge_url, tmp_path,
                                                                       capsys):
    """The same command launched again into the same --out, without --resume. Bug caught: the
    first run's metrics.jsonl emptied at once and its checkpoint replaced (a long run's record
    lost to a relaunch), instead of one line naming --out, with status 2 and nothing touched;
    under --overwrite, the old run's final model left beside a new run stopped early, or the
    old run removed by a new one that then stops on a bad data file; --init and --out the same
    directory (a run replacing the model it starts from)."""
    out = tmp_path / "run"
    argv = ["--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir), "--out", str(out), "--batch-size", "2",
            "--group-size", "2", "--max-len", "32", "--steps", "2", "--eval-prompts", "0", "--judge-url", judge_url,
            "--quiet"]
    train.main(argv)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in files}
    capsys.readouterr()
    code, out_text, err = run_main(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "--out" in lines[0] and "--resume" in lines[0] and str(out) in lines[0]
    assert {p: p.read_bytes() for p in files} == before
    (tmp_path / "bad.jsonl").write_text('{"id": "a"\n')                 # --overwrite, but a bad data file
    code, _, err = run_main(argv + ["--overwrite", "--train-file", str(tmp_path / "bad.jsonl"),
                                    "--eval-file", str(toy_dir / "eval.jsonl")], capsys)
    assert code == 2 and "bad.jsonl:1" in err and {p: p.read_bytes() for p in files} == before
    train.main(argv + ["--overwrite", "--steps", "3", "--stop-after", "1"])   # a new run, stopped early
    assert len(records_of(out)) == 1
    # the old run's final model went first: a new run stopped early is not the old one finished
    assert not (out / "final").exists() and (out / "ckpt").exists()
    code, _, err = run_main(argv + ["--overwrite", "--resume"], capsys)
    assert code == 2 and "--overwrite" in err.strip().splitlines()[-1]
    same = str(out / "ckpt")                              # a checkpoint, as --init and as --out
    code, _, err = run_main(["--init", same, "--data-dir", str(toy_dir), "--out", same, "--overwrite"], capsys)
    assert code == 2 and "--init and --out" in err.strip().splitlines()[-1] and (out / "ckpt" / "spoken.json").exists()


def records_of(out):
    with open(out / "metrics.jsonl") as f:
        return [line for line in f if line.strip()]


def test_eval_refuses_an_unknown_gate_before_it_loads_anything(micro_ckpts, capsys):
    """eval.py --gate names the gate whose reach is estimated, after the pool is sampled and judged.
    Bug caught: an unregistered name (a typo, a fork's gate not registered) checked only there, so
    the run sampled and judged the whole pool, then ended in a ValueError traceback."""
    import eval as ev
    with pytest.raises(SystemExit) as stop:
        ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--analysis", "reach", "--gate", "adaptve"])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "--gate adaptve" in last and "adaptive" in last
    assert ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--gate", "fixed"]).gate == "fixed"


def test_eval_refuses_trainings_judge_noise_flags_it_would_ignore(micro_ckpts, capsys):
    """--judge-semantic-noise / --judge-acoustic-noise come with the judge flags eval.py shares with
    train.py, but eval.py scores with the noise-free human and gives its raters --rater-noise. Bug
    caught: the flag accepted and silently ignored (an agreement analysis the user believes noisier
    than it ran)."""
    import eval as ev
    with pytest.raises(SystemExit) as stop:
        ev.get_args(["--ckpt", micro_ckpts["tiny-vita"], "--judge-acoustic-noise", "0.5"])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "--judge-acoustic-noise 0.5" in last and "--rater-noise" in last


@pytest.mark.parametrize("cut", ["model.safetensors", "spoken.json"])
def test_a_checkpoint_cut_short_ends_with_one_line_naming_it(cut, tmp_path, micro_ckpts, toy_dir, capsys):
    """--init (train.py) and --ckpt (eval.py) of a checkpoint whose weights or spoken.json were
    cut short (a disk that filled, a copy stopped halfway). Bug caught: safetensors' or json's
    traceback instead of one line naming the checkpoint, with status 2."""
    import shutil
    import eval as ev
    ckpt = tmp_path / "ckpt"
    shutil.copytree(micro_ckpts["tiny-vita"], ckpt)
    with open(ckpt / cut, "r+b") as f:
        f.truncate(5)
    for main, argv in ((train.main, ["--init", str(ckpt), "--data-dir", str(toy_dir), "--out", str(tmp_path / "run")]),
                       (ev.main, ["--ckpt", str(ckpt)])):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert stop.value.code == 2 and str(ckpt) in last and "Traceback" not in last, last


def test_resume_from_a_training_state_cut_short_ends_with_one_line(toy_dir, micro_ckpts, judge_url, tmp_path, capsys):
    """--resume where ckpt/train_state.pt was cut short. Bug caught: torch.load's traceback."""
    out = tmp_path / "run"
    argv = ["--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir), "--out", str(out), "--batch-size", "2",
            "--group-size", "2", "--max-len", "32", "--steps", "2", "--eval-prompts", "0", "--judge-url", judge_url,
            "--quiet"]
    train.main(argv)
    with open(out / "ckpt" / "train_state.pt", "r+b") as f:
        f.truncate(50)
    capsys.readouterr()
    code, _, err = run_main(argv + ["--steps", "3", "--resume"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "train_state.pt" in lines[0] and "--resume" in lines[0]


@pytest.mark.parametrize("url", ["notaurl", "ftp://judge/v1", "http://[bad", "http://host:port/v1"])
def test_a_malformed_judge_url_ends_with_one_line_at_start(url, tmp_path, capsys):
    """--judge-url that requests would refuse (no scheme, another scheme, a bad host or port).
    Bug caught: accepted at start, then MissingSchema / InvalidURL raised from the first step's
    judge call, a traceback after the data, the base and the model were loaded."""
    import eval as ev
    import study
    for parse in (train.get_args, ev.get_args, study.get_args):
        extra = {train.get_args: [], ev.get_args: ["--run", str(tmp_path)], study.get_args: ["--row", "ours="]}[parse]
        with pytest.raises(SystemExit) as stop:
            parse(["--judge-url", url, *extra])
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert stop.value.code == 2 and "--judge-url" in last and url in last, (parse, last)


def test_an_exported_judge_url_and_model_stay_out_of_the_suite():
    """WAVALIGN_JUDGE_URL / WAVALIGN_JUDGE_MODEL are --judge-url's and --judge-model's defaults
    (test_reward), so conftest clears them. Bug caught: the suite, run by someone who exported a paid
    judge's URL, starting its training runs (here and in subprocesses) against that judge."""
    import subprocess
    import sys
    env = {**os.environ, "WAVALIGN_JUDGE_URL": "http://judge.example:8000/v1/chat/completions",
           "WAVALIGN_JUDGE_MODEL": "gemini-2.5-pro"}
    seen = subprocess.run([sys.executable, "-c", "import conftest, os; print(os.environ.get('WAVALIGN_JUDGE_URL'), "
                           "os.environ.get('WAVALIGN_JUDGE_MODEL'))"], cwd=os.path.dirname(os.path.abspath(__file__)),
                          env=env, capture_output=True, text=True, check=True).stdout.split()
    assert seen == ["None", "None"]


def test_device_cuda_without_cuda_ends_with_one_line(capsys, monkeypatch):
    """--device cuda where torch sees no GPU. Bug caught: torch's AttributeError from
    torch.cuda.set_device (a CPU build) as a traceback instead of one line naming --device."""
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, _, err = run_main(["--device", "cuda"], capsys)
    assert code == 2 and "--device cuda" in err.strip().splitlines()[-1]


@pytest.mark.parametrize("script,args,named", [
    ("rollout.py", ["--ckpt", "{tmp}/nowhere"], "no spoken.json"),
    ("codec.py", ["hello", "--out", "{tmp}/a-file/x.wav"], "--out"),
    ("codec.py", ["hello", "--out", "{tmp}"], "a directory"),
    ("real.py", ["standin", "{tmp}/a-file/standin"], "standin"),
    ("judge.py", ["serve", "--port", "99999"], "--port 99999"),
    ("judge.py", ["serve", "--semantic-noise", "-1"], "--semantic-noise"),
    ("judge.py", ["serve", "--acoustic-noise", "inf"], "--acoustic-noise"),
    ("judge.py", ["serve", "--latency", "nan"], "--latency"),
    ("calibrate.py", ["{tmp}"], "a directory"),
    ("calibrate.py", ["{tmp}/scores.json"], "holds 99"),
    ("calibrate.py", ["{tmp}/none.json"], "fewer than 2"),
    ("real.py", ["standin", "{tmp}"], "not an empty directory"),
    ("real.py", ["standin", "{tmp}/new", "--device", "bogus"], "--device bogus"),
    ("data/prepare.py", ["--style-share", "nan"], "--style-share"),
    ("data/prepare.py", ["--seed", "-1"], "--seed"),
])
def test_the_small_tools_end_bad_input_with_one_line(script, args, named, tmp_path, monkeypatch, capsys):
    """rollout.py, codec.py, real.py standin and judge.py serve on a missing checkpoint, a path
    that cannot be written (under a file) or a port out of range; judge.py serve with a negative or
    non-finite noise or latency (every request would get a 400 or 500); calibrate.py on a directory, on a
    score off the 1-5 scale, on no scores; real.py standin into a directory that holds files (they
    would mix with the stand-in's) or on a device torch does not know; data/prepare.py with a share that
    is not one or a seed numpy cannot take. Bug caught: CheckpointError, LibsndfileError,
    FileNotFoundError, OverflowError, IsADirectoryError, TypeError or ValueError as a traceback instead
    of one line and status 2, or a bad value accepted (a noise of -1 served as +1, a nonsense fit)."""
    import importlib
    import json
    (tmp_path / "a-file").write_text("")
    (tmp_path / "scores.json").write_text(json.dumps({"human_scores": [{"semantic": [1, 99], "acoustic": [2, 3]}]}))
    (tmp_path / "none.json").write_text(json.dumps({"human_scores": [{"semantic": [None], "acoustic": [None]}]}))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    monkeypatch.setattr("sys.argv", [script, *argv])
    # main() of the imported module, not the file run again as __main__: a second copy of
    # rollout.py would register its own shared-prefix attention over the first one's
    with pytest.raises(SystemExit) as stop:
        importlib.import_module(script[:-3].replace("/", ".")).main()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and named in last, last


@pytest.mark.parametrize("argv,named", [
    (["--lr", "0"], "--lr"),
    (["--save-every", "0"], "--save-every"),
    (["--threads", "0"], "--threads"), (["--dist-timeout", "0"], "--dist-timeout"),
    (["--beta-speech", "-0.01"], "--beta-speech"),
    (["--grad-clip", "0"], "--grad-clip"),
    (["--grad-clip", "-1"], "--grad-clip"),
    (["--temperature", "-1"], "--temperature"), (["--top-p", "0"], "--top-p"), (["--top-p", "1.5"], "--top-p"),
    (["--top-k", "-1"], "--top-k"), (["--repetition-penalty", "0"], "--repetition-penalty"),
    (["--max-len", "0"], "--max-len"), (["--warmup", "-1"], "--warmup"), (["--weight-decay", "-0.1"], "--weight-decay"),
    (["--clip-eps", "0"], "--clip-eps"), (["--max-skipped-updates", "-1"], "--max-skipped-updates"),
    (["--grad-diag-every", "-1"], "--grad-diag-every"), (["--max-train-samples", "0"], "--max-train-samples"),
    (["--stop-after", "0"], "--stop-after"), (["--judge-concurrency", "0"], "--judge-concurrency"),
    (["--judge-retries", "-1"], "--judge-retries"), (["--judge-timeout", "0"], "--judge-timeout"),
    (["--judge-semantic-noise", "-1"], "--judge-semantic-noise"),
    (["--judge-acoustic-noise", "-1"], "--judge-acoustic-noise"),
    (["--semantic-weight", "1.5"], "--semantic-weight"), (["--stage", "dpo", "--dpo-prompts", "0"], "--dpo-prompts"),
    (["--stage", "dpo", "--dpo-samples", "1"], "--dpo-samples"),
    (["--stage", "dpo", "--dpo-weight", "-1"], "--dpo-weight"),
    (["--stage", "dpo", "--dpo-margin", "-0.5"], "--dpo-margin"),
    (["--stage", "dpo", "--dpo-gamma", "0"], "--dpo-gamma"),
    (["--gate-slope", "-5"], "--gate-slope"), (["--lambda-max", "1.5"], "--lambda-max"),
    (["--model", "vita", "--init", "/ckpt/VITA-Audio-Boost", "--train-file", "t.jsonl"], "--data-dir"),
    (["--stage", "sft", "--model", "vita", "--init", "/ckpt/VITA-Audio-Boost", "--data-dir", "d"], "--judge-url"),
])
def test_a_value_just_outside_a_flags_range_is_refused(argv, named, capsys):
    """flags.get_args alone (a value accepted here would start a run): --lr 0 (no training), --save-every 0
    and --threads 0, a negative --beta-speech, --grad-clip 0 or -1 (clip_grad_norm_ scales the gradients by
    max_norm / norm: 0 zeroes them, a negative value reverses them, so the run climbs its own loss), and
    every other numeric flag just past its bound. Each of those was accepted before: a negative
    --temperature sampled greedily without a word, --repetition-penalty 0 made a repeated token certain (a
    positive logit divided by zero), --judge-concurrency 0 ended in a traceback at the judge client, a
    negative --dpo-gamma or --gate-slope reverses what it weighs, --lambda-max 1.5 lets lambda pass 1 (the
    SFT term weighed negatively), --semantic-weight 1.5 weighs the acoustic score negatively. Also --model
    vita with a --train-file but no --eval-file or --data-dir (the toy world's held-out set would be
    scored), and a vita SFT with its closing summary (--eval-prompts 64) but no --judge-url. Bug caught: a
    bound one step too loose, or a check reading the wrong flag."""
    with pytest.raises(SystemExit) as stop:
        flags.get_args(argv)
    assert stop.value.code == 2 and named in capsys.readouterr().err.strip().splitlines()[-1]


def test_the_edge_values_the_flags_document_are_accepted():
    """What the help texts allow must start: --group-size 1 outside GRPO (SFT and DPO sample no groups),
    greedy sampling (--temperature 0), top-k off (0), the whole nucleus (--top-p 1), --max-skipped-updates 0
    (never stop), no warmup, no retries, either end of --semantic-weight, --lambda-max 1,
    --log-axes-every 0 (never), --eval-prompts 0 (skip the summary), --beta-text 0 and --beta-speech 0
    (no KL, no reference), --model vita --stage sft without a judge when --eval-prompts 0 skips the
    summary. An SFT given --init trains that checkpoint into out/sft-MODEL; only a fresh SFT (no --init)
    builds out/base-MODEL. Bug caught: a check written one step too strict, refusing a documented value
    at start, or a fine-tuning SFT writing over the base the other stages start from."""
    for argv in (["--stage", "sft", "--group-size", "1"], ["--stage", "dpo", "--group-size", "1"],
                 ["--temperature", "0"], ["--top-k", "0"], ["--top-p", "1"], ["--max-skipped-updates", "0"],
                 ["--warmup", "0"], ["--judge-retries", "0"], ["--semantic-weight", "0"], ["--semantic-weight", "1"],
                 ["--gate", "adaptive", "--lambda-max", "1"],
                 ["--log-axes-every", "0"], ["--eval-prompts", "0"], ["--beta-text", "0", "--beta-speech", "0"],
                 ["--stage", "sft", "--model", "vita", "--init", "/ckpt/VITA-Audio-Boost", "--data-dir", "d",
                  "--eval-prompts", "0"]):
        train.get_args(argv)
    tuned = train.get_args(["--stage", "sft", "--init", "out/base-tiny-vita"])
    assert tuned.out == "out/sft-tiny-vita" and tuned.init == "out/base-tiny-vita"
    fresh = train.get_args(["--stage", "sft"])
    assert fresh.out == "out/base-tiny-vita" and fresh.init is None


def test_a_real_model_samples_fewer_rows_at_once():
    """flags.sampling_rows: a 7B model's KV cache at 2,048 new tokens is about 130 MB a row, so VITA-Audio
    scores 32 replies at a time (4 GB) where the tiny models take 512. Bug caught: the tiny models' 512
    rows for VITA-Audio (66 GB of cache in the closing summary)."""
    assert flags.sampling_rows("vita") == 32 and flags.sampling_rows("tiny-vita") == 512


def test_vita_weights_are_bf16_except_fp32_masters_under_fsdp_and_only_vita_recomputes_layers():
    """--dtype and --grad-checkpoint when not given: --model vita trains bf16 weights with layers
    recomputed, but float32 master weights under --fsdp (a bf16 weight near 0.02 rounds a 1e-6 update
    away); the tiny models train in float32 without recomputation; a given flag wins.
    catches: the fsdp/plain dtypes swapped, or gradient checkpointing on for every model."""
    ckpt = ["--model", "vita", "--init", "/ckpt/VITA-Audio-Boost", "--data-dir", "/data/spoken",
            "--judge-url", "http://127.0.0.1:9/v1/chat/completions"]
    got = (lambda argv: (lambda a: (a.dtype, a.grad_checkpoint))(flags.get_args(argv)))
    assert got(ckpt) == ("bfloat16", True)
    assert got([*ckpt, "--fsdp"]) == ("float32", True)
    assert got([]) == ("float32", False) and got(["--fsdp"]) == ("float32", False)
    assert got([*ckpt, "--dtype", "float32", "--no-grad-checkpoint"]) == ("float32", False)


def test_help_shows_the_stage_defaults_and_never_a_default_of_none(capsys):
    """train.py --help: a flag filled in later (default None) shows what it becomes, never
    '(default: None)'; a fixed default is shown as argparse shows it.
    catches: the help formatter appending '(default: None)' to the stage-dependent flags."""
    with pytest.raises(SystemExit) as stop:
        flags.get_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert stop.value.code == 0
    assert "default: None" not in text
    assert "(default: sft 600, hybrid 120, dpo 100; --model vita: sft 2000, hybrid 2000, dpo 2000)" in text
    assert "what to train (default: hybrid)" in text


def test_the_defaults_the_readme_and_the_docstrings_state():
    """README: --max-skipped-updates defaults to 3, the axes are logged on step 1 and every 10th after
    (--no-log-axes: never), a console line every 10 steps; flags.py's deviation 3: --kl-norm defaults to
    the official scope normalisation; README's ablation rows add --rl-tokens all, so GRPO covers text only
    by default. catches: a changed default (a run that never stops on NaN updates, no axes logged, the
    KL normalised per modality, GRPO on every token) that every test passing its own flags misses."""
    args = flags.get_args([])
    assert (args.max_skipped_updates, args.log_axes, args.log_axes_every, args.log_every) == (3, True, 10, 10)
    assert (args.kl_norm, args.rl_tokens) == ("scope", "text")


@pytest.mark.parametrize("argv, named", [
    (["--judge-latency", "-0.5"], "--judge-latency"),
    (["--ppo-epochs", "0"], "--ppo-epochs"),
    (["--stage", "sft", "--async-rollout"], "--async-rollout"),
    (["--resume", "--overwrite"], "--resume and --overwrite"),
    (["--lr", "inf"], "--lr"), (["--temperature", "inf"], "--temperature"),
    (["--weight-decay", "inf"], "--weight-decay"), (["--judge-timeout", "inf"], "--judge-timeout"),
    (["--dist-timeout", "inf"], "--dist-timeout"), (["--beta-text", "inf"], "--beta-text"),
    (["--gate-threshold", "nan"], "--gate-threshold"), (["--judge-semantic-noise", "inf"], "--judge-semantic-noise"),
    (["--judge-latency", "inf"], "--judge-latency"), (["--seed", "-1"], "--seed"), (["--seed", str(2 ** 32)], "--seed"),
    (["--max-judge-outage", "-1"], "--max-judge-outage"),

])
def test_more_bad_flags_are_refused_at_start_naming_them(argv, named, capsys):
    """A negative judge latency, zero PPO epochs (no update at all), --async-rollout on the SFT stage (it
    samples no rollouts), --resume with --overwrite: each refused by flags.get_args with exit status 2
    and one line naming the flag. So are NaN and infinities (a range check lets inf through: an inf
    learning rate, temperature or timeout failed mid-run, with --overwrite after the old run was gone)
    and a seed numpy cannot take. catches: any of these checks dropped or narrowed (async refused for
    DPO only, inf let through)."""
    with pytest.raises(SystemExit) as stop:
        flags.get_args(argv)
    assert stop.value.code == 2 and named in capsys.readouterr().err


@pytest.mark.parametrize("tool,argv,named", [
    ("eval", ["--ckpt", "unused", "--top-p", "1.5"], "--top-p"),
    ("eval", ["--ckpt", "unused", "--temperature", "-0.5"], "--temperature"),
    ("rollout", ["--ckpt", "unused", "--max-len", "0"], "--max-len"),
    ("eval", ["--ckpt", "unused", "--judge-concurrency", "0"], "--judge-concurrency"),
    ("eval", ["--ckpt", "unused", "--semantic-weight", "2"], "--semantic-weight"),
    ("eval", ["--ckpt", "unused", "--prompts", "0"], "--prompts"),
    ("eval", ["--ckpt", "unused", "--samples", "1"], "--samples"),
    ("eval", ["--ckpt", "unused", "--raters", "0"], "--raters"),
    ("eval", ["--ckpt", "unused", "--events", "0"], "--events"),
    ("eval", ["--ckpt", "unused", "--group-size", "1"], "--group-size"),
    ("eval", ["--ckpt", "unused", "--rater-noise", "0", "-1"], "--rater-noise"),
    ("eval", ["--ckpt", "unused", "--rater-noise", "0", "nan"], "--rater-noise"),
    ("eval", ["--ckpt", "unused", "--temperature", "inf"], "--temperature"),
    ("rollout", ["--ckpt", "unused", "--n", "0"], "--n"),
    ("rollout", ["--ckpt", "unused", "--group-size", "0"], "--group-size"),
])
def test_eval_and_rollout_refuse_a_flag_out_of_range(tool, argv, named, capsys, monkeypatch):
    """eval.py and rollout.py share train.py's sampling flags and its check (rollout.check_sampling_args),
    eval.py its judge flags and theirs (reward.check_judge_args), before any checkpoint is read; eval.py's
    own counts are checked beside them (agreement, diversity and reach read the spread of a prompt's
    replies, so they need two). Bug caught: a check wired into train.py only, so eval.py samples at --top-p
    1.5 or a negative temperature (greedy without a word), rollout.py fails later on an empty reply, or an
    analysis runs on no prompts, one reply a prompt, or a judge client with no worker."""
    import importlib
    import model as M
    monkeypatch.setattr(M, "checkpoint_spec", lambda path: {"tokenizer": "toy"})   # eval reads the spec first
    monkeypatch.setattr("sys.argv", [f"{tool}.py", *argv])
    module = importlib.import_module(tool)
    with pytest.raises(SystemExit) as stop:
        module.get_args(argv) if tool == "eval" else module.main(argv)
    assert stop.value.code == 2 and named in capsys.readouterr().err.strip().splitlines()[-1]


def test_rollout_py_holds_the_checkpoint_where_eval_py_would(toy_dir, micro_ckpts, monkeypatch, capsys):
    """`python rollout.py --ckpt ...` places the model by eval.py's rule (model.placement): the tiny
    checkpoint in bf16 when asked, on the CPU here; `--device cuda` where torch sees no GPU ends with
    one line. Bug caught: the flags parsed and the model still loaded in float32 on the CPU (a 7.7B
    VITA-Audio peeked at on a GPU machine sampled there)."""
    import model as models
    import rollout
    placed, load = [], models.load_model
    monkeypatch.setattr(models, "load_model", lambda path, **kw: placed.append(kw) or load(path, **kw))
    rollout.main(["--ckpt", micro_ckpts["tiny-vita"], "--data", str(toy_dir / "eval.jsonl"), "--n", "1",
                  "--group-size", "1", "--max-len", "8", "--dtype", "bfloat16", "--device", "cpu"])
    assert placed == [{"dtype": torch.bfloat16, "device": torch.device("cpu")}]
    assert capsys.readouterr().out.splitlines()[-1].startswith("1 replies in")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as stop:
        rollout.main(["--ckpt", micro_ckpts["tiny-vita"], "--device", "cuda"])
    assert stop.value.code == 2 and "--device cuda" in capsys.readouterr().err.strip().splitlines()[-1]


def test_grad_clip_inf_means_no_clipping_and_is_accepted():
    """--grad-clip inf is the one infinity with a meaning (clip_grad_norm_ then scales by 1). Bug caught:
    the non-finite check refusing it."""
    assert flags.get_args(["--grad-clip", "inf"]).grad_clip == float("inf")


def test_a_data_file_that_is_a_directory_or_not_text_is_refused_naming_it(tmp_path):
    """dataset.load_samples on a directory, and on a file with bytes that are not UTF-8 on line 2: a
    DataError naming the path (and the line), which every tool prints as one line. A JSON line cut short
    is reported at the column where it ends, not at column 1 of the next line; a UTF-8 BOM before the first
    line is not part of it. Bug caught: IsADirectoryError or UnicodeDecodeError as a traceback in train.py,
    eval.py, bench.py and study.py, or a file saved with a BOM refused as "not valid JSON". study.py's
    quick check of its held-out split (check_split) refuses a directory and a missing file the same way."""
    for read in (lambda p: dataset.load_samples(p, lambda w, r: None), lambda p: dataset.check_split(p, 4)):
        with pytest.raises(dataset.DataError, match="a directory"):
            read(str(tmp_path))
        with pytest.raises(dataset.DataError, match="missing.jsonl: no such data file"):
            read(str(tmp_path / "missing.jsonl"))
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\n\xff\xfe{}\n")
    with pytest.raises(dataset.DataError, match=r"bin.jsonl:2: not UTF-8"):
        dataset.load_samples(str(binary), lambda w, r: None)
    bom = tmp_path / "bom.jsonl"                  # a Windows editor's BOM is not data: the line is read as JSON
    bom.write_bytes("\ufeff".encode() + b'{"id": 3}\n')
    with pytest.raises(dataset.DataError, match=r"bom.jsonl:1: field 'id'"):
        dataset.load_samples(str(bom), lambda w, r: None)
    cut = tmp_path / "cut.jsonl"
    cut.write_text('{"id": "a", "mess\n')
    with pytest.raises(dataset.DataError, match=r"cut.jsonl:1: not valid JSON \(.* at column (1[0-9])\)"):
        dataset.load_samples(str(cut), lambda w, r: None)


def test_an_out_that_is_a_file_is_refused_at_start(tmp_path, capsys):
    """train.py --out FILE (and eval.py's): one line naming --out. Bug caught: FileExistsError or
    NotADirectoryError as a traceback, after the model and data were loaded."""
    f = tmp_path / "a-file"
    f.write_text("")
    with pytest.raises(SystemExit) as stop:
        flags.get_args(["--out", str(f)])
    assert stop.value.code == 2 and "--out" in capsys.readouterr().err.strip().splitlines()[-1]


def test_resume_refuses_flags_that_make_it_another_run(tmp_path, capsys):
    """A checkpoint keeps the flags it was saved with ("config"); --resume with another --stage (DPO
    records and checkpoint written over a hybrid run), --batch-size, --group-size, --seed, --gate or
    --model, or fewer --steps than recorded, ends with one line naming the flag before anything is read
    or written; more --steps is a continuation. Bug caught: the check missing a flag of RUN_IDENTITY, or
    refusing --steps that grow."""
    out = tmp_path / "run"
    args = flags.get_args(["--out", str(out), "--steps", "4"])
    (out / "ckpt").mkdir(parents=True)
    torch.save({"step": 2, "config": vars(args)}, out / "ckpt" / "train_state.pt")
    for argv, named in ((["--stage", "dpo"], "--stage"), (["--batch-size", "4"], "--batch-size"),
                        (["--group-size", "3"], "--group-size"), (["--seed", "1"], "--seed"),
                        (["--gate", "fixed"], "--gate"), (["--model", "tiny-kimi"], "--model"),
                        (["--steps", "3"], "--steps")):
        with pytest.raises(SystemExit) as stop:
            runtime.check_out(flags.get_args(["--out", str(out), "--steps", "4", "--resume", *argv]))
        assert named in str(stop.value.code) and "was started with" in str(stop.value.code), argv
    runtime.check_out(flags.get_args(["--out", str(out), "--steps", "8", "--resume", "--lr", "1e-4"]))


@pytest.mark.parametrize("name", ["metrics.jsonl", "summary.json", "spoken.json"])
def test_a_run_file_that_is_a_directory_is_refused_by_resume_at_start(tmp_path, name):
    """--resume into an --out holding a directory where the run writes a file: one line naming it.
    (--overwrite removes it with the old run's files; without either, "holds a run".) Bug caught:
    IsADirectoryError as a traceback when the log is trimmed on resume or the summary written after the
    whole run."""
    out = tmp_path / "run"
    (out / name).mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        runtime.check_out(flags.get_args(["--out", str(out), "--resume"]))
    assert f"{name} is a directory" in str(stop.value.code)
    runtime.check_out(flags.get_args(["--out", str(out), "--overwrite"]))


def test_eval_with_a_judge_that_answers_nothing_ends_with_one_line_and_writes_no_scores(toy_dir, micro_ckpts,
                                                                                          tmp_path, capsys):
    """Every scoring call refused: exit status 2, one line naming --judge-url, no scores.json. Bug caught:
    an all-null scores.json written and exit 0 (a study or a script reading it takes it for a result)."""
    import eval as ev
    argv = ["--ckpt", micro_ckpts["tiny-vita"], "--data", str(toy_dir / "eval.jsonl"), "--prompts", "2",
            "--judge-url", "http://127.0.0.1:9/v1/chat/completions", "--judge-retries", "0",
            "--out", str(tmp_path / "eval")]
    with pytest.raises(SystemExit) as stop:
        ev.main(argv)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "--judge-url" in last and "every judge call failed" in last
    assert not (tmp_path / "eval" / "scores.json").exists()


def test_model_defaults_to_the_init_checkpoints_and_a_conflicting_one_is_refused(micro_ckpts, tmp_path, capsys):
    """--model left out takes the model a saved --init holds, so the stage defaults are that model's: a
    saved VITA-Audio run continued without --model vita gets the paper's lr 1e-6, not the tiny models'
    3e-4. A --model that names another model than the checkpoint's is refused in one line. Bug caught:
    the default tiny-vita applied to any checkpoint (3e-4 on 7B; a tiny-kimi base trained under
    tiny-vita's name and out/ directory), or a conflict trained through silently."""
    kimi = flags.get_args(["--init", micro_ckpts["tiny-kimi"]])
    assert kimi.model == "tiny-kimi" and kimi.out == os.path.join("out", "hybrid-tiny-kimi")
    assert flags.get_args([]).model == "tiny-vita"
    saved_vita = tmp_path / "vita-run" / "final"
    saved_vita.mkdir(parents=True)
    (saved_vita / "spoken.json").write_text('{"model": "vita", "arch": "interleaved", "tokenizer": "hf"}')
    vita = flags.get_args(["--init", str(saved_vita), "--data-dir", "d", "--judge-url", "http://127.0.0.1:9/v1"])
    assert vita.model == "vita" and vita.lr == 1e-6
    with pytest.raises(SystemExit) as stop:
        flags.get_args(["--model", "tiny-vita", "--init", micro_ckpts["tiny-kimi"]])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "--model tiny-vita" in last and "tiny-kimi" in last


def test_a_resume_with_another_gate_ends_with_one_line_and_the_right_one_continues(toy_dir, micro_ckpts, judge_url,
                                                                                   tmp_path, capsys):
    """A real checkpoint resumed with another --gate: one line naming --resume and --gate, status 2, and
    nothing changed, so the right --resume continues. Bug caught: gate.load_state_dict's ValueError as a
    traceback (the flags the checkpoint saved not compared), or the refused resume writing anything."""
    out = tmp_path / "run"
    argv = ["--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir), "--out", str(out), "--batch-size", "2",
            "--group-size", "2", "--max-len", "24", "--eval-prompts", "0", "--quiet", "--steps", "2",
            "--judge-url", judge_url]
    train.run(train.get_args(argv + ["--stop-after", "1"]))
    before = {p.name: p.stat().st_mtime_ns for p in out.rglob("*")}
    code, _, err = run_main(argv + ["--resume", "--gate", "fixed"], capsys)
    last = err.strip().splitlines()[-1]
    assert code == 2 and "--resume: --gate fixed" in last and "adaptive" in last
    assert {p.name: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    train.run(train.get_args(argv + ["--resume"]))
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2]


def test_a_run_that_fails_before_its_first_checkpoint_does_not_block_the_command_that_fixes_it(
        toy_dir, micro_ckpts, tmp_path, capsys):
    """DPO whose judge answers nothing keeps no pairs and stops before any checkpoint; the same command
    with the judge fixed must run in that --out without --overwrite. Bug caught: a run marker written at
    the start (metrics.jsonl before the pairs), so the rerun is refused as "holds a run" and --resume
    then finds no checkpoint."""
    out = tmp_path / "dpo"
    argv = ["--stage", "dpo", "--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir), "--out", str(out),
            "--batch-size", "2", "--max-len", "24", "--eval-prompts", "0", "--quiet", "--steps", "1",
            "--dpo-prompts", "2", "--dpo-samples", "2", "--judge-retries", "0",
            "--judge-url", "http://127.0.0.1:9/v1/chat/completions"]
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "pairs" in err.strip().splitlines()[-1]
    runtime.check_out(train.get_args(argv))           # the rerun is not refused


def test_a_raw_vita_audio_init_without_model_vita_says_what_is_missing(tmp_path):
    """A raw VITA-Audio directory (config.json, no spoken.json) given as --init without --model vita: the
    refusal names --model vita. Bug caught: only "no checkpoint there", which sends a user looking for a
    broken download."""
    raw = tmp_path / "VITA-Audio-Boost"
    raw.mkdir()
    (raw / "config.json").write_text("{}")
    with pytest.raises(SystemExit, match="needs --model vita"):
        train.check_init(train.get_args(["--init", str(raw)]))


def test_sft_targets_past_max_len_are_counted_at_start_and_cut_in_every_step(toy_dir, micro_ckpts, tmp_path, capsys,
                                                                              monkeypatch):
    """train.py --stage sft --max-len 24 on demonstrations of 30-90 positions: one line at start counts
    them, and every row of the step's forward is at most 24 long. Bug caught: run_sft not passing --max-len
    to teacher_forced (one long demonstration stretches every row past the memory plan's, and a user is
    not told), or the count printed per step."""
    seen, original = [], models.reply_logprobs
    monkeypatch.setattr(models, "reply_logprobs", lambda *a, **k: seen.append(a[3].shape[1]) or original(*a, **k))
    train.run(train.get_args(["--stage", "sft", "--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir),
                              "--out", str(tmp_path / "sft"), "--batch-size", "2", "--steps", "2", "--max-len", "24",
                              "--eval-prompts", "0", "--quiet"]))
    said = [line for line in capsys.readouterr().out.splitlines() if "--max-len" in line]
    assert len(said) == 1 and said[0].startswith(f"{toy_dir / 'train.jsonl'}: 48 of 48 SFT targets are longer "
                                                 "than --max-len 24 (the longest: ")
    assert seen and max(seen) == 24


def unlayable(monkeypatch, texts):
    """InterleavedLM.target raising, as model.target does for a demonstration it cannot lay out
    (tiny-kimi's when the speech ends before the text and the codec has no silence code), for `texts`."""
    original = models.InterleavedLM.target

    def target(self, text, codes):
        if text in texts:
            raise ValueError("speech (3 codes) ends before text (40 tokens)")
        return original(self, text, codes)
    monkeypatch.setattr(models.InterleavedLM, "target", target)


def test_an_sft_target_that_cannot_be_laid_out_is_refused_at_start_naming_it(toy_dir, micro_ckpts, tmp_path, capsys,
                                                                            monkeypatch):
    """A demonstration the model cannot lay out ends the run at start with one line naming the file and
    the sample: no step is taken, and an old run in --out, to be replaced (--overwrite), is left whole.
    Bug caught: a ValueError traceback at the step that first draws the sample, maybe hours in, or the
    check made after the old run was cleared."""
    records = [json.loads(line) for line in (toy_dir / "train.jsonl").read_text().splitlines()]
    bad = records[2]["sft_target_text"]
    named = next(r["id"] for r in records if r["sft_target_text"] == bad)
    unlayable(monkeypatch, {bad})
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text('{"step": 1}\n')
    code, _, err = run_main(["--stage", "sft", "--init", micro_ckpts["tiny-vita"], "--data-dir", str(toy_dir),
                             "--out", str(out), "--overwrite", "--steps", "1", "--eval-prompts", "0", "--quiet"],
                            capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert lines[0] == (f"train.py: error: {toy_dir / 'train.jsonl'}: sample {named}: cannot lay out its SFT "
                        "target: speech (3 codes) ends before text (40 tokens)")
    assert (out / "metrics.jsonl").read_text() == '{"step": 1}\n'


def test_check_targets_counts_past_max_len_on_rank_0_and_skips_what_it_cannot_lay_out(samples, monkeypatch, capsys):
    """train.check_targets on the toy samples: a target exactly --max-len long is not counted, one longer
    is; only rank 0 prints, but every rank refuses (or with --skip-bad leaves out, the same samples) a
    target it cannot lay out. Bugs caught: `>=` for `>`; the check run on rank 0 alone (the other ranks
    start training and die on a broken connection, or keep samples rank 0 dropped); --skip-bad ignored."""
    policy = micro_model("tiny-vita")
    lengths = [policy.target(s.target_text, s.target_codes).shape[0] for s in samples]
    longest = max(lengths)
    args = train.get_args(["--stage", "sft", "--init", "unused", "--max-len", str(longest)])
    assert train.check_targets(args, policy, samples, 0) == samples and capsys.readouterr().out == ""
    args.max_len = longest - 1
    train.check_targets(args, policy, samples, 0)
    assert f": {lengths.count(longest)} of {len(samples)} SFT targets are longer than --max-len {longest - 1} " \
           f"(the longest: {longest} positions)" in capsys.readouterr().out
    assert train.check_targets(args, policy, samples, 1) == samples and capsys.readouterr().out == ""
    unlayable(monkeypatch, {samples[3].target_text})
    dropped = [s for s in samples if s.target_text == samples[3].target_text]
    for rank in (0, 1):
        with pytest.raises(dataset.DataError, match=f"sample {samples[3].id}: cannot lay out its SFT target"):
            train.check_targets(args, policy, samples, rank)
    args.skip_bad = True
    kept = [train.check_targets(args, policy, samples, rank) for rank in (0, 1)]
    assert kept[0] == kept[1] == [s for s in samples if s not in dropped]
    assert f"skipped {train.plural(len(dropped), 'sample')} whose SFT target cannot be laid out " \
           f"({dropped[0].id}" in capsys.readouterr().out


# ---------------------------------------------------------------- found by a mutation audit: check_targets, resume, the refusal line


def test_check_targets_names_the_first_five_skipped_counts_what_is_kept_and_refuses_when_none_is_left(
        samples, monkeypatch, capsys):
    """--skip-bad on the toy samples, targets that cannot be laid out chosen among texts that occur once.
    Six skipped: rank 0's line names the first five, then ", ...", and the count kept (48 - 6); the
    --max-len line counts the long targets among the kept ones, of the kept ones. Exactly five skipped:
    all five named, no ", ...". Rank 1 prints neither line. Every target bad: a DataError naming the file,
    not an empty training set. Bugs caught: the list cut at four or the ellipsis at five; the kept count or
    the long targets' total taken before skipping; rank 1 printing the skip line; the empty-set check
    dropped (a run would start on no samples and fail at its first step)."""
    policy = micro_model("tiny-vita")
    once = [s for s in samples if sum(t.target_text == s.target_text for t in samples) == 1]
    args = train.get_args(["--stage", "sft", "--init", "unused", "--skip-bad"])
    for n_bad in (6, 5):
        bad = once[:n_bad]
        monkeypatch.undo()
        unlayable(monkeypatch, {s.target_text for s in bad})
        kept = [s for s in samples if s not in bad]
        lengths = [policy.target(s.target_text, s.target_codes).shape[0] for s in kept]
        args.max_len = sorted(lengths)[len(lengths) // 2]
        n_long = sum(n > args.max_len for n in lengths)
        assert 0 < n_long < len(kept)
        assert train.check_targets(args, policy, samples, 1) == kept and capsys.readouterr().out == ""
        assert train.check_targets(args, policy, samples, 0) == kept
        named = ", ".join(s.id for s in bad[:5]) + (", ..." if n_bad == 6 else "")
        assert capsys.readouterr().out.splitlines() == [
            f"{args.train_file}: skipped {n_bad} samples whose SFT target cannot be laid out ({named}), "
            f"kept {48 - n_bad}",
            f"{args.train_file}: {n_long} of {48 - n_bad} SFT targets are longer than --max-len {args.max_len} "
            f"(the longest: {max(lengths)} positions); each is trained on its first {args.max_len}, as a rollout "
            "stops there"]
    monkeypatch.undo()
    unlayable(monkeypatch, {s.target_text for s in samples})
    for rank in (0, 1):
        with pytest.raises(dataset.DataError, match="no SFT target can be laid out"):
            train.check_targets(args, policy, samples, rank)


def test_resume_accepts_a_checkpoint_that_did_not_record_a_flag(tmp_path):
    """A checkpoint written before a flag joined the run's identity (its "config" lacks "gate" and "steps",
    or has no config at all) cannot say the flag differs: --resume goes on, with any --gate and --steps.
    A flag it did record is still compared. Bug caught: a flag missing from the record read as None, so
    the resume is refused ("was started with --gate None") or fails comparing --steps with None."""
    out = tmp_path / "run"
    (out / "ckpt").mkdir(parents=True)
    args = flags.get_args(["--out", str(out), "--steps", "4"])
    older = {k: v for k, v in vars(args).items() if k not in ("gate", "steps")}
    for config in (older, None):
        torch.save({"step": 2, "config": config}, out / "ckpt" / "train_state.pt")
        runtime.check_out(flags.get_args(["--out", str(out), "--resume", "--gate", "fixed", "--steps", "3"]))
    torch.save({"step": 2, "config": older}, out / "ckpt" / "train_state.pt")
    with pytest.raises(SystemExit, match="--seed 1, but the run"):
        runtime.check_out(flags.get_args(["--out", str(out), "--resume", "--seed", "1"]))


def test_a_refusal_is_one_whole_line_naming_the_subcommand(capsys, monkeypatch):
    """cli.Parser's refusal is argparse's message as one line on stderr, ended by a newline (the shell's
    prompt then starts on a line of its own), prefixed by the program and, for a subcommand, its name:
    `real.py check` without its two required flags. Oracle: the line written out. Bugs caught: the newline
    left off; the prefix taken from the script's name alone, so a subcommand's refusal does not say which
    subcommand refused."""
    import sys
    import real
    monkeypatch.setattr(sys, "argv", ["real.py"])
    with pytest.raises(SystemExit) as stop:
        real.main(["check"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == ("real.py check: error: the following arguments are required: "
                                       "--audio-tokenizer, --audio-decoder\n")


SHELL_BREAKS = {"&", "&&", ";", "|", "||"}


def shown_commands(text):
    """(script, argv, in_prose, line) for each `python SCRIPT.py ...` or `torchrun ... SCRIPT.py ...`
    that `text` shows: in fenced blocks (continuation lines joined, comments and what follows a
    shell operator or a redirect dropped) and in inline code spans (`in_prose`). A line that is a
    template (FLAGS standing for a row's flags) is skipped; `[--flag v]`, usage's optional
    notation, is read as the flag, and a closing `...` (more flags) dropped."""
    import re
    import shlex
    found = [(block.replace("\\\n", " "), False) for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M)]
    found += [(span, True) for span in re.findall(r"(?<!`)`((?:python|torchrun) [^`\n]+)`", text)]
    commands = []
    for chunk, in_prose in found:
        for line in chunk.splitlines():
            if not re.search(r"(^|[\s&;|])(python3? (-m |\S+\.py)|torchrun -)", line) or " FLAGS" in line:
                continue
            words = [w.rstrip("]") for w in shlex.split(line.replace("[--", "--"), comments=True)]
            while words:
                end = next((i for i, w in enumerate(words) if w in SHELL_BREAKS), len(words))
                command, words = words[:end], words[end + 1:]
                if command[:1] == ["torchrun"]:             # its own flags, up to the script
                    command = ["python"] + command[next((i for i, w in enumerate(command) if w.endswith(".py")), 0):]
                if command[:1] not in (["python"], ["python3"]) or len(command) < 2 or command[1] not in SCRIPTS:
                    continue
                argv = []
                for w in command[2:]:
                    if w.startswith((">", "2>", "<")):
                        break
                    argv.append(w)
                commands.append((command[1], argv[:-1] if argv[-1:] == ["..."] else argv, in_prose, line.strip()))
    return commands


class Parsed(Exception):
    """Raised where a script would start work: its flags have parsed."""


def test_every_command_the_readme_shows_parses(monkeypatch, capsys):
    """Each `python SCRIPT.py ...` / `torchrun ... train.py ...` the README shows (about 80), given to
    that script's own parser; nothing runs (parsing raises Parsed in place of the script's work).
    A command named in prose without its arguments (`python real.py check`) may stop at a
    required argument; one in a code block may not. Bug caught: a flag renamed, removed or given
    other choices in the code while the README still shows the old one (the README's commands are
    what users paste)."""
    _check_shown_commands(open(os.path.join(ROOT, "README.md")).read(), monkeypatch, capsys, least=60)


def test_every_command_a_docstring_shows_parses(monkeypatch, capsys):
    """The same for the usage lines in every script's and module's docstring (each file opens with
    how to run it). Bug caught: a docstring's usage left behind when a flag changed."""
    import ast
    import glob
    docs = [ast.get_docstring(ast.parse(open(path).read())) or ""
            for path in sorted(glob.glob(os.path.join(ROOT, "*.py")) + glob.glob(os.path.join(ROOT, "data", "*.py")))]
    _check_shown_commands("".join(f"```\n{d}\n```\n" for d in docs), monkeypatch, capsys, least=40)


def _check_shown_commands(text, monkeypatch, capsys, least):
    import importlib
    import sys
    import cli
    parse = cli.Parser.parse_args

    def parse_only(self, args=None, namespace=None):
        raise Parsed(parse(self, args, namespace))
    monkeypatch.setattr(cli.Parser, "parse_args", parse_only)
    commands = shown_commands(text)
    assert len(commands) >= least, len(commands)           # the extraction still finds them
    refused = []
    for script, argv, in_prose, line in commands:
        monkeypatch.setattr(sys, "argv", [script, *argv])
        try:
            importlib.import_module(SCRIPTS[script]).main()       # every main reads sys.argv when given nothing
            refused.append(f"{line}: ran past its parser")
        except Parsed:
            pass
        except SystemExit as stop:
            err = capsys.readouterr().err.strip()
            if stop.code == 0 and "--help" in argv:
                continue
            if not (in_prose and "arguments are required" in err):
                refused.append(f"{line}: {err}")
    assert not refused, "\n".join(refused)
