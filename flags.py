"""train.py's command line: every flag, its group and help, the stage defaults, and the checks
that refuse a bad value at start with one line naming the flag (argparse's exit status 2).

    python train.py --help                 # the flags, grouped, with their defaults
    args = flags.get_args(["--steps", "20"])   # what train.run takes (train.get_args is this)

Deviations from the paper and the official release (the defaults; the rest are train.py's):
  1. The tiny models post-train at lr 3e-4, not the paper's 1e-6 (that is for 7B): they continue
     at the rate their base's schedule ended on (README, The paper's conditions). --model vita
     takes the paper's settings (REAL_STAGE_DEFAULTS).
  2. --batch-size counts prompts over all ranks; the official scripts count them per GPU, so
     the paper's batch size 1 on 4 GPUs is --batch-size 4.
  3. --kl-norm modality (averaging each modality's KL over its own tokens) is ours; the default,
     scope, is the official normalisation (summed over the GRPO scope, divided by its count).
"""
import argparse
import json
import math
import os

import torch

import cli
import gate as gates
import grammar
import losses
import reward
import rollout

HERE = os.path.dirname(os.path.abspath(__file__))
STAGE_DEFAULTS = {  # sized for `python train.py` on 2 CPU cores; measured times: README, Quick start
    "sft": dict(steps=600, lr=3e-3, batch_size=32, warmup=50, max_len=128, save_every=50),
    # post-training continues at the rate the base's schedule ended on (cosine to 10% of 3e-3): a rule
    # fixed before any row was compared; at 1e-4 no row moved the held-out scores in 120 steps
    "hybrid": dict(steps=120, lr=3e-4, batch_size=8, warmup=10, max_len=128, save_every=50),
    "dpo": dict(steps=100, lr=5e-5, batch_size=8, warmup=10, max_len=128, save_every=50, dpo_gamma=0.1),
}
# --model vita: the paper's settings (Sec. 4.1: lr 1e-6, batch size 1 on each of 4 A100s, so 4
# prompts a step here, where --batch-size is global; sequences up to 2048) and, where the paper
# is silent, the official scripts' (2000 steps, warmup 20, a checkpoint every 100; DPO: lr 5e-6,
# warmup 50, and Eq. 5's gamma as its dpo_beta 0.2, where the tiny models keep 0.1, its trainer's
# and TRL's own default). The tiny models' rates would wreck a 7B checkpoint (3e-4 is 300x the paper's).
REAL_STAGE_DEFAULTS = {
    "sft": dict(steps=2000, lr=1e-6, batch_size=4, warmup=20, max_len=2048, save_every=100),
    "hybrid": dict(steps=2000, lr=1e-6, batch_size=4, warmup=20, max_len=2048, save_every=100),
    "dpo": dict(steps=2000, lr=5e-6, batch_size=4, warmup=50, max_len=2048, save_every=100, dpo_gamma=0.2),
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults shown after each help, except a flag whose default is filled in later (None):
    its help says what it becomes."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


def defaults_help(key: str) -> str:
    """'(default: sft 600, hybrid 120, dpo 100; --model vita: sft 2000, ...)', from the two tables
    (the stages that have the key)."""
    line = (lambda table: ", ".join(f"{stage} {values[key]:g}" for stage, values in table.items() if key in values))
    return f"(default: {line(STAGE_DEFAULTS)}; --model vita: {line(REAL_STAGE_DEFAULTS)})".replace("%", "%%")


def stage_defaults(model: str, stage: str) -> dict:
    """The values of --steps, --lr, --batch-size, --warmup, --max-len, --save-every (and DPO's
    --dpo-gamma) a run gets when not given."""
    return (REAL_STAGE_DEFAULTS if model == "vita" else STAGE_DEFAULTS)[stage]


def sampling_rows(model: str) -> int:
    """Replies sampled at once when scoring (eval.py --rows, the closing summary): a 7B model's KV
    cache at 2,048 new tokens is about 130 MB a row, so VITA-Audio samples 32 at a time."""
    return 32 if model == "vita" else 512


def get_args(argv=None):
    ap = cli.Parser(description="nanoWavAlign: adaptive hybrid post-training of spoken dialogue models.",
                    formatter_class=HelpFormatter)
    g = ap.add_argument_group("run")
    g.add_argument("--stage", default="hybrid", choices=["sft", "hybrid", "dpo"], help="what to train")
    g.add_argument("--model", default=None, choices=["tiny-vita", "tiny-kimi", "vita"],
                   help="architecture (default: the one a saved --init checkpoint holds, else tiny-vita); "
                        "`vita` needs --init (see real.py)")
    g.add_argument("--init", default=None, help="starting checkpoint dir; default: fresh for sft, "
                   "out/base-MODEL (built if missing) otherwise")
    g.add_argument("--out", default=None, help="run directory; default out/STAGE-MODEL (a fresh sft: out/base-MODEL)")
    g.add_argument("--steps", type=int, default=None, help="optimisation steps " + defaults_help("steps"))
    g.add_argument("--stop-after", type=int, default=None, help="checkpoint and stop after this many steps "
                   "in this invocation (the schedule still spans --steps); continue with --resume (default: run to --steps)")
    g.add_argument("--resume", action="store_true", help="continue from OUT/ckpt exactly")
    g.add_argument("--overwrite", action="store_true",
                   help="start again in an --out that holds a run (its checkpoint and metrics are replaced); "
                        "without it (or --resume) such an --out is refused")
    g.add_argument("--save-every", type=int, default=None, help="checkpoint every N steps (and at the end) "
                   + defaults_help("save_every"))
    g.add_argument("--seed", type=int, default=0, help="seeds data order, sampling and init")
    g.add_argument("--eval-prompts", type=int, default=64, help="held-out prompts for the closing summary (0: skip)")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="auto: a GPU where torch sees one, else the CPU")
    g.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice; "
                   "study.py --jobs N gives each run cores / N)")
    g.add_argument("--dist-timeout", type=float, default=60.0,
                   help="minutes a rank waits in a collective before the run is ended: the other ranks wait there "
                        "while rank 0 writes a checkpoint (about 93 GB at 7.7B under --fsdp) or scores the "
                        "closing summary alone; NCCL's own default, 10, can end a 7B run there")
    g.add_argument("--dtype", default=None, choices=["float32", "bfloat16"],
                   help="model weights dtype (default for --model vita: float32 master weights with bf16 compute "
                   "under --fsdp, else bfloat16; float32 for the tiny models)")
    g.add_argument("--grad-checkpoint", action=argparse.BooleanOptionalAction, default=None,
                   help="recompute decoder layers in the backward pass (default: on for --model vita)")
    g.add_argument("--fsdp", action="store_true", help="shard the policy with FSDP2 (7B on several GPUs)")
    g.add_argument("--schedule", type=int, nargs="+", default=None,
                   help="interleave schedule, e.g. 1 10 4 10 (a fresh tiny-vita, or a raw VITA-Audio --init; "
                   "default there: its generation_config.json's mtp_inference_mode)")
    g.add_argument("--audio-tokenizer", default=None, help="--model vita: GLM-4-Voice tokenizer directory")
    g.add_argument("--audio-decoder", default=None, help="--model vita: GLM-4-Voice decoder (flow + HiFT) directory")
    g = ap.add_argument_group("data")
    g.add_argument("--data-dir", default=None, help="holds train.jsonl and eval.jsonl (default: data/toy, the toy "
                   "world's, generated if missing; --model vita needs it, or --train-file and --eval-file, given)")
    g.add_argument("--train-file", default=None, help="default DATA_DIR/train.jsonl")
    g.add_argument("--eval-file", default=None, help="default DATA_DIR/eval.jsonl")
    g.add_argument("--skip-bad", action="store_true", help="skip malformed samples (counted) instead of failing")
    g.add_argument("--max-train-samples", type=int, default=None, help="use only the first N training samples (default: all)")
    g = ap.add_argument_group("optimisation")
    g.add_argument("--lr", type=float, default=None, help="peak learning rate " + defaults_help("lr"))
    g.add_argument("--warmup", type=int, default=None, help="linear warmup steps, then cosine to 10%% " + defaults_help("warmup"))
    g.add_argument("--batch-size", type=int, default=None,
                   help="prompts per step over all ranks, split evenly " + defaults_help("batch_size"))
    g.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay")
    g.add_argument("--grad-clip", type=float, default=1.0,
                   help="global gradient norm clip (> 0: torch scales the gradients by it, so 0 would zero them "
                        "and a negative value reverse them)")
    g.add_argument("--ppo-epochs", type=int, default=1, help="updates per rollout batch (mu); >1 makes the clip real")
    g.add_argument("--overlap-judge", default="auto", choices=["auto", "on", "off"],
                   help="hybrid: run the reference log-probs, the SFT rows' forward and backward and the "
                        "rollout rows' forward while the judge calls are in flight (the same update; --fsdp "
                        "overlaps the reference only); "
                        "auto: on with --judge-url or a GPU, off for the local judge on CPU (it scores on the "
                        "cores the update needs)")
    g.add_argument("--async-rollout", action="store_true",
                   help="hybrid: sample the next step's rollouts while this step's judge calls are out, with the "
                        "weights before this step's update (one update stale; the clipped ratio corrects for "
                        "it). Hides the rollout behind a slow remote judge; off: the paper's on-policy step")
    g.add_argument("--max-skipped-updates", type=int, default=3,
                   help="stop after this many updates in a row with a non-finite loss or gradient norm (0: never)")
    g.add_argument("--max-judge-outage", type=int, default=3,
                   help="hybrid: stop after this many steps in a row on which every judge call failed (a wrong "
                        "--judge-url, model or key: the run would go on as SFT alone) (0: never)")
    g = ap.add_argument_group("rollout")
    g.add_argument("--group-size", type=int, default=4, help="G replies per prompt")
    rollout.add_sampling_args(g, max_len=None, max_len_help="; an SFT demonstration longer than it is cut there "
                              "too " + defaults_help("max_len"))
    g = ap.add_argument_group("objective")
    g.add_argument("--rl-tokens", default="text", choices=["text", "speech", "all"], help="GRPO scope (Eq. 6)")
    g.add_argument("--sft-tokens", default="all", choices=["text", "speech", "all"], help="SFT scope (Eq. 6)")
    g.add_argument("--kl-tokens", default="both", choices=["both", "text", "speech"],
                   help="modalities the KL applies to, each with its own beta")
    g.add_argument("--beta-text", type=float, default=0.01, help="KL coefficient on text tokens")
    g.add_argument("--beta-speech", type=float, default=0.01, help="KL coefficient on speech tokens")
    g.add_argument("--kl-norm", default="scope", choices=["scope", "modality"],
                   help="KL inside the GRPO scope: summed and divided by the scope's token count (official), "
                        "or averaged over each modality's own tokens")
    g.add_argument("--clip-eps", type=float, default=0.2, help="PPO clip epsilon")
    g.add_argument("--loss-agg", default="seq-mean", choices=losses.AGGREGATIONS, help="GRPO token aggregation")
    g.add_argument("--no-audio-boundaries", action="store_true",
                   help="leave <boa>/<eoa> out of the speech mask (default: they count as speech)")
    g = ap.add_argument_group("gate")
    g.add_argument("--gate", default="adaptive", help=f"lambda rule: {', '.join(sorted(gates.GATES))}")
    g.add_argument("--lam", type=float, default=0.5, help="lambda for --gate fixed")
    g.add_argument("--lambda-max", type=float, default=0.8, help="largest GRPO share (Eq. 11)")
    g.add_argument("--gate-slope", type=float, default=5.0, help="k of the reward gate (Eq. 10)")
    g.add_argument("--gate-threshold", type=float, default=3.0, help="acceptable reward (Eq. 10)")
    g.add_argument("--ema-alpha", type=float, default=0.9, help="EMA coefficient (Eq. 12); 0 = no EMA")
    g = ap.add_argument_group("dpo")
    g.add_argument("--dpo-prompts", type=int, default=256, help="prompts to build pairs from")
    g.add_argument("--dpo-samples", type=int, default=8, help="replies sampled per prompt")
    g.add_argument("--dpo-weight", type=float, default=0.5, help="semantic weight in the utility (Eq. 13)")
    g.add_argument("--dpo-margin", type=float, default=0.5, help="keep pairs with utility gap >= this (Eq. 16)")
    g.add_argument("--dpo-gamma", type=float, default=None,
                   help="DPO temperature gamma (Eq. 5) " + defaults_help("dpo_gamma"))
    g.add_argument("--dpo-tokens", default="all", choices=["text", "speech", "all"], help="DPO scope (Eq. 6)")
    reward.add_judge_args(ap)
    g = ap.add_argument_group("logging")
    g.add_argument("--log-axes", action=argparse.BooleanOptionalAction, default=True,
                   help="also ask the judge for the semantic and acoustic axes, for logging")
    g.add_argument("--log-axes-every", type=int, default=10,
                   help="ask the axes the reward does not need on step 1 and every N-th step after "
                        "(1, 1+N, ...; 0: never); the reward's axes are asked every step")
    g.add_argument("--grad-diag-every", type=int, default=0,
                   help="every N steps log text/speech gradient norm ratio and cosine (Appendix C)")
    g.add_argument("--log-every", type=int, default=10, help="print a step line every N steps (and step 1); "
                   "the tqdm bar redraws in between; metrics.jsonl has every step")
    g.add_argument("--quiet", action="store_true", help="no step lines (the tqdm bar stays)")
    args = ap.parse_args(argv)
    saved = model_of_checkpoint(args.init)
    if args.model and saved and saved != args.model:
        # the stage defaults follow --model: a saved VITA-Audio run continued as a tiny model would
        # post-train 7B at lr 3e-4, 300x the paper's
        ap.error(f"--init {args.init} holds a {saved} model, not --model {args.model}: give --model {saved} "
                 "or leave --model out")
    args.model = args.model or saved or "tiny-vita"
    for key, value in stage_defaults(args.model, args.stage).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.dtype is None:
        # vita: bf16 weights, except under --fsdp, where fp32 master weights and AdamW states are
        # sharded and compute runs in bf16 (runtime.wrap_parallel): at lr 1e-6 a bf16 weight near
        # 0.02 would round the update away (its spacing there is 1.2e-4)
        args.dtype = ("float32" if args.fsdp else "bfloat16") if args.model == "vita" else "float32"
    if args.grad_checkpoint is None:
        args.grad_checkpoint = args.model == "vita"
    check_flags(ap, args)
    if args.model == "vita":
        check_real_inputs(ap, args)
    args.data_dir = args.data_dir or os.path.join(HERE, "data", "toy")
    args.train_file = args.train_file or os.path.join(args.data_dir, "train.jsonl")
    args.eval_file = args.eval_file or os.path.join(args.data_dir, "eval.jsonl")
    fresh_base = args.stage == "sft" and args.init is None      # SFT from scratch makes the base others start from
    args.out = args.out or os.path.join("out", f"base-{args.model}" if fresh_base else f"{args.stage}-{args.model}")
    if args.init is None and args.stage != "sft":
        args.init = os.path.join("out", f"base-{args.model}")
    check_out_dir(ap, "--out", args.out)
    return args


def model_of_checkpoint(path) -> str | None:
    """The model a saved checkpoint holds (spoken.json's "model"), or None where there is none to
    read (no --init, a raw VITA-Audio directory, a broken spec, which its loader names later)."""
    spec = os.path.join(path or "", "spoken.json")
    if not path or not os.path.isfile(spec):
        return None
    try:
        with open(spec) as f:
            saved = json.load(f).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    return saved if saved in ("tiny-vita", "tiny-kimi", "vita") else None


def check_real_inputs(ap, args):
    """--model vita: refuse, with one line, to start without what only the user has: the
    checkpoint, the spoken data and a judge. The toy world's data (its questions in codec
    tones) and its local judge (its answers, its codec's speech) say nothing about a real model."""
    if args.init is None:
        ap.error("--model vita needs --init pointing at a VITA-Audio checkpoint")
    if args.data_dir is None and not (args.train_file and args.eval_file):
        ap.error("--model vita: give --data-dir (or --train-file and --eval-file) with your spoken data; "
                 "the toy data is for the tiny models (pass --data-dir data/toy to try it anyway)")
    if not args.judge_url and (args.stage != "sft" or args.eval_prompts):
        ap.error("--model vita: give --judge-url (the local judge only understands the toy world; "
                 + ("--eval-prompts 0 skips the summary)" if args.stage == "sft" else
                    "`python judge.py serve` runs it at a URL)"))


def refuse_non_finite(ap, args, allow=("grad_clip",)):
    """Refuse NaN or an infinity in any number flag, with one line naming it (argparse: exit
    status 2). A range check lets inf through (inf > 0), and an infinite learning rate,
    temperature, timeout or judge noise fails mid-run instead (with --overwrite, after the old
    run is gone). `allow`: flags where inf means "no limit" (--grad-clip inf: no clipping)."""
    for name, value in vars(args).items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, float) and not math.isfinite(v) and name not in allow:
                ap.error(f"--{name.replace('_', '-')} {v}: not a finite number")


def check_out_dir(ap, flag, path):
    """A run or output directory that is a file: refused with one line (else a traceback later)."""
    if path and os.path.exists(path) and not os.path.isdir(path):
        ap.error(f"{flag} {path}: is a file, not a directory")


def check_flags(ap, args):
    """Refuse a bad flag at start with one line naming it (argparse: exit status 2)."""
    refuse_non_finite(ap, args)
    for flag, ok in (("--steps", args.steps >= 1), ("--batch-size", args.batch_size >= 1),
                     ("--group-size", args.group_size >= 2 or args.stage != "hybrid"),
                     ("--eval-prompts", args.eval_prompts >= 0), ("--log-every", args.log_every >= 1),
                     ("--log-axes-every", args.log_axes_every >= 0),
                     ("--save-every", args.save_every >= 1), ("--ppo-epochs", args.ppo_epochs >= 1),
                     ("--lr", args.lr > 0), ("--grad-clip", args.grad_clip > 0), ("--beta-text", args.beta_text >= 0),
                     ("--beta-speech", args.beta_speech >= 0),
                     ("--threads", args.threads is None or args.threads >= 1), ("--dist-timeout", args.dist_timeout > 0),
                     ("--warmup", args.warmup >= 0), ("--weight-decay", args.weight_decay >= 0),
                     ("--clip-eps", args.clip_eps > 0), ("--max-skipped-updates", args.max_skipped_updates >= 0),
                     ("--max-judge-outage", args.max_judge_outage >= 0),
                     ("--grad-diag-every", args.grad_diag_every >= 0),
                     ("--max-train-samples", args.max_train_samples is None or args.max_train_samples >= 1),
                     ("--stop-after", args.stop_after is None or args.stop_after >= 1),
                     ("--dpo-prompts", args.dpo_prompts >= 1), ("--dpo-samples", args.dpo_samples >= 2),
                     ("--dpo-weight", 0 <= args.dpo_weight <= 1), ("--dpo-margin", args.dpo_margin >= 0),
                     ("--dpo-gamma", args.dpo_gamma is None or args.dpo_gamma > 0),
                     ("--gate-slope", args.gate_slope > 0), ("--seed", 0 <= args.seed < 2 ** 32)):
        if not ok:
            ap.error(f"{flag} {getattr(args, flag[2:].replace('-', '_'))}: out of range"
                     + (" (GRPO needs at least 2 replies per prompt)" if flag == "--group-size" else ""))
    rollout.check_sampling_args(ap, args)
    reward.check_judge_args(ap, args)
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: torch sees no CUDA device here (a CPU build of torch, or no GPU visible)")
    if args.resume and args.overwrite:
        ap.error("--resume and --overwrite: continue the run in --out, or start it again, not both")
    if args.async_rollout and args.stage != "hybrid":
        ap.error(f"--async-rollout: only the hybrid stage samples rollouts (not --stage {args.stage})")
    try:
        gates.make_gate(args.gate, lam=args.lam, lambda_max=args.lambda_max, slope=args.gate_slope,
                        threshold=args.gate_threshold, ema_alpha=args.ema_alpha)
    except ValueError as e:
        ap.error(f"--gate {args.gate} (with --lam, --lambda-max, --ema-alpha): {e}")
    if args.schedule is not None:
        try:
            grammar.InterleavedGrammar.checked(args.schedule)
        except ValueError as e:
            ap.error(f"--schedule: {e}")
