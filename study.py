"""Rows x seeds with confidence intervals: which method wins here, and by how much?

    python study.py --preset gates --seeds 3          # ours, fixed 0.5, no EMA, alpha 0.99, every registered gate
    python study.py --preset table3 --seeds 3         # the paper's Table 3 rows
    python study.py --preset table1 --seeds 3         # Table 1 / 2's rows (base, SFT, DPO, RL, two-stage, ours)
    python study.py --preset gates --row mine="--gate max-only" --seeds 3    # add your own row
    python study.py --row ours="" --row sft="--gate fixed --lam 0" --steps 20 --prompts 16   # a quick look

A row is a set of train.py flags (the README's "The paper's rows as commands"). Each row x
seed is one run, `python train.py FLAGS --init BASE --seed S --out OUT/ROW/seed-S`, from the
same base (BASE, built once with seed 0 if missing). Two special forms: `none` (no training:
the base itself is scored) and `FLAGS1 then FLAGS2` (two stages in OUT/ROW/seed-S/stage-K, the
second starting from the first's final model: the SFT-then-RL row).

Then each final model is scored by the noise-free judge on its semantic and acoustic axes
(eval.score_items: --replies sampled replies per prompt, sampling seed S, averaged into one value
per prompt) on the same first --prompts held-out prompts, and the per-prompt results are written
to OUT/ROW/seed-S/study-eval.json. --replies is 4 for table3 and table1, 1 otherwise: most of a
score's variance is between two replies to one prompt, not between prompts or seeds, so 4
replies narrow the CI about as 2x the prompts would (README: Power), where the held-out prompts
are all used. They cost scoring time, so gates, a fork's quick comparison, keeps 1.
That file marks the row x seed as done:
rerunning the same command resumes a study and runs only what is missing. A run that fails is
logged (OUT/ROW/seed-S/train.log), counted in the table's `runs` column, left out of the means,
and tried again on the next invocation.

Runs are shared between studies: each record carries its key (training: flags, --train-args,
the base's path and a digest of its weights, a digest of each stage's training split, seed;
scoring: prompts, replies, a digest of their file, sampling, judge). A row x seed whose key a
study beside OUT (out/study-*) has already finished is copied from there, not trained again
(`--no-reuse` to retrain). So `--preset gates` after `--preset table3` trains only EMA 0.99 and
the registered gates, and a base rebuilt in place or regenerated data is never mixed with runs
of the old one (records written before the training split's digest was keyed are trained
again). A record here or beside OUT whose training matches but whose scoring differs (more
prompts, another eval file) has its saved model scored again, not trained again; a record here
whose training differs is trained again.
The code is not part of the key: after changing what an existing row does, use a fresh parent
directory or `--no-reuse`.
`--jobs N` runs N row x seeds at once, each with cores / N threads (torch's and numpy's BLAS; the
scorer here too); scoring stays one at a time. Before numpy's BLAS was limited, two runs at once
spun against each other and `--jobs 2` gained only 1.08x on 2 cores (README has the present figure).

Outputs in OUT (default out/study-PRESET):
  study.md   per row: mean and 95% CI of accuracy, semantic (IQ), acoustic (EQ), intelligibility
             and the share of replies stopped before the answer over seeds x prompts, mean lambda
             over runs; then every row against `ours`: the paired difference and its p-values
             (sign-flip permutation test; paired t over seeds).
  study.png  semantic vs acoustic per row with CI error bars; lambda per step of every run
             whose lambda moves (the gated rows).
  study.json the same numbers, machine-readable.

How those numbers are computed (the CI, the two paired tests) and what they assume: study_report.py.

Deviations and honest limits:
  1. Scores come from the local toy judge, noise-free; a real judge scores with eval.py.
"""
import argparse
import concurrent.futures
import contextlib
import glob
import hashlib
import io
import itertools
import json
import os
import shlex
import subprocess
import sys
import threading
import time

import torch
from tqdm import tqdm

import cli
import dataset
import flags as train_flags       # train.py's command line ('flags' names a row's flags here)
import gate as gates
import reward
import rollout
import runtime
import study_report

HERE = os.path.dirname(os.path.abspath(__file__))
EVAL_FILE = "study-eval.json"
OUTPUTS = ("study.md", "study.json", "study.png")     # written in OUT, beside the rows' directories
BASE_ROW = "none"          # a row that trains nothing: the base itself is scored
PRESETS = {
    "table1": {
        "base": BASE_ROW,
        "sft": "--gate fixed --lam 0",
        "full-dpo": "--stage dpo --dpo-tokens all",
        "text-dpo": "--stage dpo --dpo-tokens text",
        "full-rl": "--gate fixed --lam 1 --rl-tokens all",
        "text-rl": "--gate fixed --lam 1",
        "sft-then-rl": "--gate fixed --lam 0 then --gate fixed --lam 1",
        "ours": "",
    },
    "table3": {
        "all-fixed-0.5": "--gate fixed --lam 0.5 --rl-tokens all",
        "text-fixed-0.5": "--gate fixed --lam 0.5",
        "text-fixed-0.3": "--gate fixed --lam 0.3",
        "all-dynamic": "--rl-tokens all",
        "no-ema": "--ema-alpha 0",
        "ours": "",
    },
    "gates": {
        "ours": "",
        "fixed-0.5": "--gate fixed --lam 0.5",
        "no-ema": "--ema-alpha 0",
        "ema-0.99": "--ema-alpha 0.99",
    },
}


PRESET_REPLIES = {"table3": 4, "table1": 4}   # replies per prompt: enough for the power target (README: Power)


def preset_rows(name: str) -> dict:
    """The named rows; `gates` also gets one row per gate registered beyond the paper's two."""
    rows = dict(PRESETS[name])
    if name == "gates":
        rows.update({g: f"--gate {g}" for g in sorted(gates.GATES) if g not in ("adaptive", "fixed")})
    return rows


def parse_row(text: str) -> tuple:
    """`NAME=FLAGS` -> (name, flags); a clear error otherwise."""
    name, sep, flags = text.partition("=")
    name = name.strip()
    if not sep or not name or "/" in name or name.startswith("."):
        raise ValueError(f"--row {text!r}: expected NAME=\"TRAIN.PY FLAGS\" (a plain name, no '/')")
    if name in OUTPUTS:      # OUT/NAME is the row's directory: it would collide with the study's own file
        raise ValueError(f"--row {text!r}: {name} is one of the files the study writes in --out; name the row "
                         f"otherwise")
    try:
        shlex.split(flags)
    except ValueError as e:
        raise ValueError(f"--row {text!r}: {e}") from None
    stages = f" {flags} ".split(" then ")
    if len(stages) > 1 and not all(s.strip() for s in stages):
        raise ValueError(f"--row {text!r}: a stage of `A then B` has no flags")
    return name, flags.strip()


# ---------------------------------------------------------------- running


def run_dir(out: str, row: str, seed: int) -> str:
    return os.path.join(out, row, f"seed-{seed}")


def train_commands(flags: str, base: str, seed: int, directory: str, common: list) -> tuple:
    """The train.py command lines of one row x seed, and the model to score at the end."""
    if flags.strip() == BASE_ROW:
        return [], base
    parts = [shlex.split(p) for p in f" {flags} ".split(" then ")]
    cmds, init = [], base
    for k, part in enumerate(parts):
        out = directory if len(parts) == 1 else os.path.join(directory, f"stage-{k + 1}")
        cmds.append([sys.executable, os.path.join(HERE, "train.py"), "--init", init, *common, *part,
                     "--seed", str(seed), "--out", out, "--overwrite", "--eval-prompts", "0"])
        init = os.path.join(out, "final")
    return cmds, init


def common_flags(args) -> list:
    """The train.py flags every run of the study gets: --train-args, and --steps if given."""
    return shlex.split(args.train_args) + (["--steps", str(args.steps)] if args.steps else [])


def train_py_args(cmd: list) -> tuple:
    """A train.py command line's flags parsed as train.py parses them (flags.get_args), quietly, in
    the environment its run gets (child_env: no exported remote judge): -> (args, None), or
    (None, train.py's error line) for flags it refuses."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said), without_environ(CHILD_ENV_DROP):
            return train_flags.get_args(cmd[2:]), None
    except SystemExit:
        lines = said.getvalue().strip().splitlines() or ["refused"]
        return None, lines[-1].split("error: ", 1)[-1]


def rejected_flags(rows: dict, args) -> str | None:
    """Every stage of every row parsed as train.py will parse it: the first flag train.py refuses,
    as one line naming the row, else None. So a mistyped row ends the study at once instead of
    failing in each of its runs, after the base and the other rows."""
    for row, row_flags in rows.items():
        for cmd in train_commands(row_flags, args.base, 0, os.path.join(args.out, row), common_flags(args))[0]:
            parsed, refused = train_py_args(cmd)
            if refused:
                return f"--row {row}: train.py refuses {row_flags!r}: {refused}"
            if parsed.model != args.model:      # the base is built for --model: its runs would be refused
                return (f"--row {row}: trains {parsed.model}, but the study's base is {args.model} (give study.py "
                        f"--model {parsed.model}, not train.py's --model in a row or --train-args)")
    return None


CHILD_ENV_DROP = ("WAVALIGN_JUDGE_URL", "WAVALIGN_JUDGE_MODEL")


@contextlib.contextmanager
def without_environ(keys):
    """os.environ without keys while inside, then as it was. Only those keys leave and come back
    (unittest.mock.patch.dict empties the whole environment for a moment on leaving, which a
    thread reading it then would see)."""
    saved = {k: os.environ.pop(k) for k in keys if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def child_env() -> dict:
    """The environment a study's train.py runs get: this one without CHILD_ENV_DROP, train.py's
    judge defaults (exported for real runs), so a study trains on the toy world against its local
    judge unless a row's flags name another."""
    return {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROP}


def subprocess_runner(cmd: list, log_path: str) -> int:
    """Run one train.py command, its output appended to log_path; -> exit status. A command given
    `--threads N` gets numpy's BLAS limited to N threads too (set before it starts): otherwise
    every process's OpenBLAS pool spans all cores, and two runs at once spin against each other
    (loading the toy training split: 66 s instead of 3 s for 1,500 samples, measured).
    The environment is child_env's."""
    env = child_env()
    if "--threads" in cmd:
        n = cmd[cmd.index("--threads") + 1]
        env.update(OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n)
    with open(log_path, "a") as log:
        log.write("$ " + shlex.join(cmd) + "\n")
        log.flush()
        return subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=os.getcwd(), env=env).returncode


def lambda_series(directory: str) -> list | None:
    """Lambda per step from the (last stage's) metrics.jsonl, or None for a run without one."""
    stages = sorted(d for d in os.listdir(directory) if d.startswith("stage-")) if os.path.isdir(directory) else []
    path = os.path.join(directory, stages[-1] if stages else "", "metrics.jsonl")
    if not os.path.exists(path):
        return None
    rows = runtime.read_metrics(path)
    lam = [r["lambda"] for r in rows if r.get("lambda") is not None]
    return lam or None


class Scorer:
    """The noise-free judge and the held-out prompts, opened once for the whole study."""

    def __init__(self, args, stack):
        import reward
        self.args = argparse.Namespace(**rollout.sampling_kwargs(args))
        self.eval_file, self.prompts, self.replies, self._samples = args.eval_file, args.prompts, args.replies, None
        url = args.judge_url
        if not url:
            import judge
            url = stack.enter_context(judge.LocalJudge(0.0, 0.0, seed=0)).url   # the noise-free "human"
        self.client = reward.JudgeClient(url)
        stack.callback(self.client.close)

    def __call__(self, ckpt: str, seed: int) -> list:
        import dataset
        import eval as evaluate
        import model as models
        model = models.load_model(ckpt).eval()
        if self._samples is None:
            self._samples = dataset.load_samples(self.eval_file, model.codec.encode, limit=self.prompts)
        return evaluate.score_items(model, self._samples, self.client, self.args, seed=seed, replies=self.replies,
                                    mode="split")       # the two axes the table reports


def content_digest(path: str, suffixes=(".safetensors", ".bin", ".json")) -> str | None:
    """sha256 of a file, or of a checkpoint directory's top-level weights and configs (not its logs
    or eval/): a base rebuilt in place, or a data split regenerated, gets a new key. None if absent."""
    if os.path.isfile(path):
        files = [path]
    elif os.path.isdir(path):
        files = sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith(suffixes)
                       and n != "summary.json" and os.path.isfile(os.path.join(path, n)))
    else:
        return None
    h = hashlib.sha256()
    for name in files:
        h.update(os.path.basename(name).encode())
        with open(name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def training_files(args, flags: str, seed: int, common: list) -> list:
    """The training split each train.py stage of a row reads (--train-file, else --data-dir's
    train.jsonl, else the toy world's), resolved as train.py resolves it (rejected_flags has
    refused any row train.py would not parse)."""
    return [train_py_args(cmd)[0].train_file for cmd in train_commands(flags, args.base, seed, args.out, common)[0]]


def run_key(args, flags: str, seed: int, common: list) -> dict:
    """Everything that decides a row x seed's result: two studies with the same key share one run."""
    key = {"flags": flags.strip() if flags.strip() == BASE_ROW else shlex.join(shlex.split(flags)),
           "train_args": common, "base": os.path.abspath(args.base), "base_digest": content_digest(args.base),
           "train_digest": [content_digest(f) for f in training_files(args, flags, seed, common)],
           "seed": seed, "prompts": args.prompts, "replies": args.replies, "eval_file": os.path.abspath(args.eval_file),
           "eval_digest": content_digest(args.eval_file), "sampling": rollout.sampling_kwargs(args),
           "judge": args.judge_url or "local noise-free"}
    return json.loads(json.dumps(key))           # the form it has once read back from a record


# the training part of a key; the rest decides only the scoring
TRAINING_KEYS = ("flags", "train_args", "base", "base_digest", "train_digest", "seed")


def same_training(a: dict, b: dict) -> bool:
    """Keys that differ at most in how the model is scored (prompts, replies, eval file, sampling, judge):
    the run's checkpoint can be scored again instead of trained again."""
    return all(a.get(k) == b.get(k) for k in TRAINING_KEYS)


def final_model(args, flags: str, seed: int, directory: str, common: list) -> str:
    """The model a row x seed's run leaves in `directory` (the base itself for `none`)."""
    return train_commands(flags, args.base, seed, directory, common)[1]


def read_record(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def find_reusable(args, key: dict):
    """The best finished record beside OUT (OUT/../*/ROW/seed-S) for this key: (path, record) of
    one with the same key, else of one with the same training (to score its checkpoint again),
    else None. `--preset gates` after `--preset table3` runs only the rows table3 lacks."""
    here = os.path.abspath(args.out) + os.sep
    pattern = os.path.join(os.path.dirname(os.path.abspath(args.out)), "*", "*", f"seed-{key['seed']}", EVAL_FILE)
    same_train = None
    for path in sorted(glob.glob(pattern)):
        if os.path.abspath(path).startswith(here):
            continue
        record = read_record(path)
        if not record or record.get("status") != "ok":
            continue
        if record.get("key") == key:
            return path, record
        if same_train is None and same_training(record.get("key") or {}, key):
            same_train = path, record
    return same_train


def trained_in(path: str, record: dict) -> str:
    """The run directory that holds a record's model: where it was copied from, else its own."""
    return record.get("reused_from") or os.path.dirname(path)


def plan_run(args, row: str, flags: str, seed: int, key: dict, common: list):
    """What a row x seed needs: ("done", record) when a record with this key exists here, ("copy",
    record) when one exists beside OUT; ("score", directory) when a run with the same training
    (another prompt count, eval file, sampling or judge) left its model in `directory`; else
    ("train", None)."""
    path = os.path.join(run_dir(args.out, row, seed), EVAL_FILE)
    own = read_record(path)
    if own and own.get("key") == key:
        return "done", own
    def has_model(p, r):
        """The run directory still holds this training's model: one retrained in place since (another
        study's rerun with other flags) has a record of its own whose training differs."""
        there = trained_in(p, r)
        holds = read_record(os.path.join(there, EVAL_FILE)) or r
        return (os.path.exists(final_model(args, flags, seed, there, common))
                and same_training(holds.get("key") or {}, key))
    if own and same_training(own.get("key") or {}, key) and has_model(path, own):
        return "score", trained_in(path, own)
    found = None if args.no_reuse else find_reusable(args, key)
    if found and found[1].get("key") == key:
        return "copy", dict(found[1], row=row, reused_from=trained_in(*found))
    if found and has_model(*found):
        return "score", trained_in(*found)
    return "train", None


def run_study(args, rows: dict, runner=subprocess_runner, scorer=None) -> dict:
    """Train and score every row x seed not done yet (reusing another study's identical run where
    one exists, and scoring again, not training again, a run whose training is unchanged);
    --jobs at a time; -> row -> per-seed records in seed order."""
    common = common_flags(args)
    records, todo, reused = {}, [], 0
    for row, seed in itertools.product(rows, range(args.seeds)):
        key = run_key(args, rows[row], seed, common)
        action, found = plan_run(args, row, rows[row], seed, key, common)
        if action == "copy":                       # the record only; the checkpoint stays where it is
            os.makedirs(run_dir(args.out, row, seed), exist_ok=True)
            runtime.write_json(os.path.join(run_dir(args.out, row, seed), EVAL_FILE), found)
            reused += 1
        if action in ("done", "copy"):
            records[row, seed] = found
        else:
            todo.append((row, seed, key, found))
    rescore = sum(1 for job in todo if job[3])
    print(f"study {args.out}: {len(rows)} rows x {args.seeds} seeds; {len(records)} done "
          f"({reused} reused from another study), {rescore} to score again, {len(todo) - rescore} to train; "
          f"{args.jobs} at a time", flush=True)
    # with several runs at once each gets its share of the cores (threads do not change a run's maths)
    share = max(1, (os.cpu_count() or 1) // args.jobs)
    threads = ["--threads", str(share)] if args.jobs > 1 else []
    if args.jobs > 1:
        torch.set_num_threads(share)               # the scorer, here, runs beside the other runs
    scoring = threading.Lock()                     # one scorer (model load + judge) at a time

    def one(row, seed, key, model_dir):
        """Train (unless `model_dir` holds this training's run already) and score one row x seed."""
        directory = run_dir(args.out, row, seed)
        os.makedirs(directory, exist_ok=True)
        t0 = time.time()
        if model_dir is None:
            cmds, _ = train_commands(rows[row], args.base, seed, directory, common + threads)
            for cmd in cmds:
                status = runner(cmd, os.path.join(directory, "train.log"))
                if status != 0:
                    return {"row": row, "seed": seed, "status": "failed", "exit": status}
        source = model_dir or directory
        with scoring:
            items = scorer(final_model(args, rows[row], seed, source, common), seed)
        record = {"row": row, "seed": seed, "status": "ok", "flags": rows[row], "key": key,
                  "seconds": round(time.time() - t0, 1), "lambda": lambda_series(source), "items": items,
                  **({"scored_again": True} if model_dir else {}),
                  **({"reused_from": source} if os.path.abspath(source) != os.path.abspath(directory) else {})}
        runtime.write_json(os.path.join(directory, EVAL_FILE), record)   # atomic: never half a result
        return record

    bar = tqdm(total=len(todo), desc="study", unit="run")
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(one, *job): job for job in todo}
        for future in concurrent.futures.as_completed(futures):
            row, seed = futures[future][:2]
            record = future.result()
            if record["status"] != "ok":
                tqdm.write(f"{row} seed {seed}: train.py exited with {record['exit']}; "
                           f"see {run_dir(args.out, row, seed)}/train.log")
            records[row, seed] = record
            bar.set_postfix_str(f"{row} seed {seed} {record['status']}")
            bar.update()
    bar.close()
    return {row: [records[row, seed] for seed in range(args.seeds)] for row in rows}


def base_command(args) -> list:
    """The train.py command that builds a missing base: the SFT stage, seed 0, --base-args."""
    return [sys.executable, os.path.join(HERE, "train.py"), "--stage", "sft", "--model", args.model,
            "--out", args.base, "--overwrite", "--seed", "0", "--eval-prompts", "0", *shlex.split(args.base_args)]


def ensure_base(args, runner=subprocess_runner):
    """Build the shared base once (SFT stage, seed 0), unless it exists."""
    if os.path.exists(os.path.join(args.base, "spoken.json")):
        return
    print(f"base {args.base} missing: building it with the SFT stage (seed 0)", flush=True)
    os.makedirs(args.base, exist_ok=True)
    if runner(base_command(args), os.path.join(args.base, "build.log")) != 0:
        raise SystemExit(f"building the base failed: see {os.path.join(args.base, 'build.log')}")


def get_args(argv=None):
    ap = cli.Parser(description="Rows x seeds of train.py with confidence intervals and paired tests.",
                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = ap.add_argument_group("rows")
    g.add_argument("--preset", choices=sorted(PRESETS), default=None, help="a named set of rows (see README)")
    g.add_argument("--row", action="append", default=[], metavar='NAME="FLAGS"',
                   help="a row of your own (repeatable): train.py flags, `none` for the base, "
                        "`A then B` for two stages")
    g.add_argument("--seeds", type=int, default=3, help="seeds per row: 0 .. N-1")
    g.add_argument("--out", default=None, help="study directory (default out/study-PRESET, or out/study)")
    g.add_argument("--jobs", type=int, default=1, help="runs at once, each with cores / JOBS torch and BLAS "
                   "threads (README, Compare methods: the gates study's 12 runs, 2 at a time on 2 cores)")
    g.add_argument("--no-reuse", action="store_true", help="train every row x seed here, even one that another "
                   "study beside OUT already ran with the same flags, base, seed and scoring")
    g = ap.add_argument_group("training (passed to every train.py run)")
    g.add_argument("--model", default="tiny-vita", choices=["tiny-vita", "tiny-kimi"], help="architecture")
    g.add_argument("--base", default=None,
                   help="the shared starting checkpoint (default out/base-MODEL, built if missing)")
    g.add_argument("--steps", type=int, default=None, help="optimisation steps per run (train.py's default if unset)")
    g.add_argument("--train-args", default="", help="more train.py flags for every run, e.g. \"--batch-size 4\"")
    g.add_argument("--base-args", default="", help="more train.py flags for building a missing base")
    g = ap.add_argument_group("evaluation")
    g.add_argument("--prompts", "--eval-prompts", type=int, default=1200,
                   help="held-out prompts scored per run (the toy split has 1,200: all of them)")
    g.add_argument("--replies", type=int, default=None,
                   help="sampled replies scored per prompt, averaged into one value per prompt: they take out "
                        "most of a score's sampling noise (README: Power). Default: 4 for table3 and table1, "
                        "whose rows differ by little, else 1")
    g.add_argument("--eval-file", default=os.path.join(HERE, "data", "toy", "eval.jsonl"), help="held-out split")
    rollout.add_sampling_args(g)       # the scored replies are sampled as train.py's closing summary samples them
    g.add_argument("--judge-url", type=reward.judge_url, default=None,
                   help="the scoring judge's URL: a judge.py server (sent model 'local-judge' and no key; a real "
                        "judge scores with eval.py) (default: a local noise-free judge started here)")
    args = ap.parse_args(argv)
    rows = preset_rows(args.preset) if args.preset else {}
    try:
        own = [parse_row(r) for r in args.row]
    except ValueError as e:
        ap.error(str(e))
    if twice := sorted({n for n, _ in own if [m for m, _ in own].count(n) > 1}):
        ap.error(f"--row {twice[0]}: given twice (each row needs its own name)")
    rows.update(own)
    if not rows:
        ap.error("no rows: give --preset and/or --row NAME=\"FLAGS\"")
    if args.replies is None:
        args.replies = PRESET_REPLIES.get(args.preset, 1)
    if args.seeds < 1 or args.prompts < 1 or args.jobs < 1 or args.replies < 1:
        ap.error("--seeds, --prompts, --replies and --jobs must be >= 1")
    if args.steps is not None and args.steps < 1:
        ap.error(f"--steps {args.steps}: out of range (leave it out for train.py's default)")
    train_flags.refuse_non_finite(ap, args)
    rollout.check_sampling_args(ap, args)
    for flag, text in (("--train-args", args.train_args), ("--base-args", args.base_args)):
        try:
            shlex.split(text)
        except ValueError as e:
            ap.error(f"{flag} {text!r}: {e}")
    args.out = args.out or os.path.join("out", f"study-{args.preset}" if args.preset else "study")
    args.base = args.base or os.path.join("out", f"base-{args.model}")
    train_flags.check_out_dir(ap, "--out", args.out)
    train_flags.check_out_dir(ap, "--base", args.base)
    if not os.path.exists(os.path.join(args.base, "spoken.json")):     # to be built: its flags as train.py reads them
        refused = train_py_args(base_command(args))[1]
        if refused:
            ap.error(f"--base-args {args.base_args!r}: train.py refuses it: {refused}")
    if args.model != "tiny-vita":
        args.train_args = f"--model {args.model} {args.train_args}"
    if refused := rejected_flags(rows, args):
        ap.error(refused)
    return args, rows


def fail(message):
    """End the study with one line on stderr and exit status 2, as argparse does for a bad flag."""
    print(f"study.py: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def main(argv=None):
    t0 = time.time()
    args, rows = get_args(argv)
    toy = os.path.join(HERE, "data", "toy")
    if args.eval_file == os.path.join(toy, "eval.jsonl"):       # built if missing, refused if of another world
        import train
        try:
            train.ensure_toy_data(argparse.Namespace(data_dir=toy, train_file=os.path.join(toy, "train.jsonl"),
                                                     eval_file=args.eval_file), rank=0)
        except (dataset.DataError, SystemExit) as e:
            fail(e)
    if not os.path.exists(args.eval_file):
        fail(f"--eval-file {args.eval_file}: no such file")
    try:        # the prompts it will score, read against the schema: in a second, not after the base and the runs
        held_out = dataset.check_split(args.eval_file, args.prompts)
    except dataset.DataError as e:
        fail(f"--eval-file {e}")
    if held_out < args.prompts:
        fail(f"--eval-file {args.eval_file}: {held_out} prompts, fewer than --prompts {args.prompts}")
    ensure_base(args)
    with contextlib.ExitStack() as stack:
        try:
            results = run_study(args, rows, scorer=Scorer(args, stack))
        except dataset.DataError as e:                  # the held-out split, read when the first model is scored
            fail(f"--eval-file {e}")
    summary = study_report.summarise(results, args.seeds)
    os.makedirs(args.out, exist_ok=True)
    text = study_report.report(summary, rows, args)
    md, js, png = (os.path.join(args.out, name) for name in OUTPUTS)
    with open(md, "w") as f:
        f.write(text)
    runtime.write_json(js, {"rows": rows, "summary": summary})
    study_report.plot(summary, results, png)
    print(text)
    print(f"wrote study.md, study.json, study.png to {args.out} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
