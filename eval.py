"""Scoring checkpoints through the judge, and the command line of the paper's analyses.

    python eval.py --ckpt out/hybrid-tiny-vita/final                        # IQ / EQ table, scores.json
    python eval.py --ckpt out/hybrid-tiny-vita/final --vs out/base-tiny-vita # blind side-by-side + sign test
    python eval.py --ckpt out/base-tiny-vita --analysis agreement           # Appendix A: judge vs human
    python eval.py --ckpt out/base-tiny-vita --analysis diversity           # Appendix B: score variance
    python eval.py --ckpt out/base-tiny-vita --analysis gradients           # Appendix C: text vs speech grads
    python eval.py --ckpt out/hybrid-tiny-vita/final --base out/base-tiny-vita --analysis shift  # Appendix D
    python eval.py --run out/hybrid-tiny-vita --analysis lambda             # Appendix H.2: lambda trajectory
    python eval.py --ckpt out/base-tiny-vita --analysis reach               # H.2: how high lambda can go

This file owns the held-out scores (score_items: sampled replies, the toy codec's checks,
the judge's axes; score_table: IQ per task, EQ per style) and the command line; the
analyses themselves are analyses.py's. Each writes NAME.json and (but scores) NAME.png to
--out (default: CKPT/eval or RUN/eval). Judges: the scores use the noise-free judge (the
local one unless --judge-url). The side-by-side raters and the "LLM judge" of the agreement
analysis are judge samples with a per-rater seed; locally that is the toy judge with
--judge-noise (default llm: the training judge, calibrated to Table 5) plus --rater-noise,
and the noise-free toy judge plays the human rater.

Deviations from the paper:
  1. Benchmarks (VoiceBench, OpenAudioBench, VStyle) are replaced by the toy held-out
     split: IQ = semantic score per task family and exact-answer accuracy, EQ = acoustic
     score per style instruction.
  2. Human raters are emulated by the noise-free toy judge (analyses.py, deviation 1).
"""
import contextlib
import os
import sys

import numpy as np
import torch

import analyses
import cli
import dataset
import flags
import gate as gates
import model as models
import reward
import rollout
import runtime
import weights
from stats import mean_of

# ---------------------------------------------------------------- scores


def intelligibility(codes, text) -> float:
    """How much of its own text the speech says: analyser transcript vs written text (0-1)."""
    import difflib
    import codec
    heard = codec.hear(codes).replace(" ", "")
    said = "".join(c for c in text.lower() if c in codec.SYMBOLS)
    if not heard and not said:
        return 1.0
    return difflib.SequenceMatcher(None, heard, said).ratio()


@torch.no_grad()
def score_items(model, samples, judge, args, seed=1234, replies=1, rows=512, mode="all") -> list:
    """Per prompt: `replies` sampled replies (sampling seed `seed`) and the mean over them of
    accuracy, intelligibility, the share stopped before the answer (toy codec) and each judge
    axis; `text` is the first reply's, `texts` all of them. Averaging the replies keeps the
    item one per prompt, so a CI over items stays one over prompts: more replies take out
    sampling noise, not the prompts' spread. Sampled and scored `rows` replies at a time
    (memory); one generator runs through the chunks in order, so the draws are one batch's.
    mode: the judge's (reward.JudgeClient.score): 'all' asks every axis, 'split' only the
    semantic and acoustic ones (a study reports no holistic score)."""
    generator, texts_all, codes_all = torch.Generator().manual_seed(seed), [], []
    scores = {}
    per_chunk = max(1, rows // replies)
    for lo in range(0, len(samples), per_chunk):
        batch = rollout.sample(model, samples[lo:lo + per_chunk], replies, generator=generator,
                               **rollout.sampling_kwargs(args))
        texts_all += batch.texts
        codes_all += batch.codes
        if judge is not None:                          # scored chunk by chunk: the waves are not all kept
            res = judge.score(reward.rollout_items(batch), mode=mode)
            for axis, values in res.scores.items():
                scores.setdefault(axis, []).extend(values)
    toy = model.spec.get("codec") == "toy"
    out = []
    for i, s in enumerate(samples):
        mine = range(i * replies, (i + 1) * replies)          # a prompt's replies are adjacent (group order)
        texts = [texts_all[j] for j in mine]
        per_reply = {"accuracy": [float(dataset.answer_matches(t, s.reference or "")) for t in texts]}
        if toy:
            per_reply["intelligibility"] = [intelligibility(codes_all[j], texts_all[j]) for j in mine]
            per_reply["stopped"] = [float(dataset.stops_before_answer(t)) for t in texts]
        if judge is not None:
            per_reply.update({axis: [values[j] for j in mine] for axis, values in scores.items()})
        item = {"id": s.id, "task": s.task, "style": s.style or "none", "text": texts[0]}
        for key, values in per_reply.items():                # a failed judge call leaves its reply out
            values = [v for v in values if v is not None]
            item[key] = float(np.mean(values)) if values else None
        if replies > 1:
            item.update(texts=texts, replies=replies)
        out.append(item)
    return out


def score_samples(model, samples, judge, args, seed=1234, rows=512) -> dict:
    """Held-out means: accuracy, intelligibility and the share stopped before the answer (toy
    codec), and each judge axis; replies sampled `rows` at a time."""
    rows = score_items(model, samples, judge, args, seed, rows=rows)
    keys = ["accuracy", "intelligibility", "stopped", *(reward.AXES if judge is not None else ())]
    return {k: mean_of(rows, k) for k in keys if any(k in r for r in rows)}


def score_table(rows) -> dict:
    """IQ per task family (semantic, accuracy), EQ per style (acoustic), overall means."""
    out = {"overall": {k: mean_of(rows, k) for k in ("accuracy", "intelligibility", "stopped", *reward.AXES)}}
    for group, keys in (("task", ("semantic", "accuracy")), ("style", ("acoustic",))):
        out[f"by_{group}"] = {g: {**{k: mean_of([r for r in rows if r[group] == g], k) for k in keys},
                                  "n": sum(r[group] == g for r in rows)}
                              for g in sorted({r[group] for r in rows})}
    return out


def print_scores(table, name):
    o = table["overall"]
    print(f"{name}: accuracy {o['accuracy']:.3f}  intelligibility {o['intelligibility']:.3f}  "
          f"stopped before the answer {o['stopped']:.3f}  semantic {o['semantic']:.2f}  acoustic {o['acoustic']:.2f}  holistic {o['holistic']:.2f}")
    print("  IQ by task:   " + "  ".join(f"{t} {v['semantic']:.2f} ({v['accuracy']:.0%}, n={v['n']})"
                                         for t, v in table["by_task"].items()))
    print("  EQ by style:  " + "  ".join(f"{s} {v['acoustic']:.2f} (n={v['n']})" for s, v in table["by_style"].items()))


# ---------------------------------------------------------------- the command line


def _pct(rate) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _write(out, name, result):
    runtime.write_json(os.path.join(out, f"{name}.json"), result)


ANALYSES = ("scores", "sbs", "agreement", "diversity", "reach", "gradients", "shift", "lambda")


def get_args(argv=None):
    ap = cli.Parser(description="Score checkpoints and run the paper's analyses.",
                    formatter_class=flags.HelpFormatter)
    g = ap.add_argument_group("what")
    g.add_argument("--ckpt", help="checkpoint to evaluate")
    g.add_argument("--vs", help="second checkpoint for the blind side-by-side")
    g.add_argument("--base", help="base checkpoint for the probability-shift analysis")
    g.add_argument("--run", help="run directory (metrics.jsonl) for the lambda analysis")
    g.add_argument("--analysis", nargs="+", default=None, choices=ANALYSES + ("all",),
                   help="default: scores, plus sbs with --vs, shift with --base, lambda with --run")
    g.add_argument("--out", default=None, help="output directory (default CKPT/eval or RUN/eval)")
    g = ap.add_argument_group("data and sampling")
    g.add_argument("--data", default=None, help="held-out JSONL split (default: the toy world's data/toy/eval.jsonl; "
                   "a real checkpoint needs it given)")
    g.add_argument("--prompts", type=int, default=64, help="held-out prompts to use")
    g.add_argument("--samples", type=int, default=8, help="replies per prompt for agreement / diversity (n)")
    g.add_argument("--rows", type=int, default=None, help="replies sampled at once (memory; default: {} for the tiny "
                   "models, {} for VITA-Audio, whose KV cache at 2,048 new tokens is about 130 MB a row)".format(
                       flags.sampling_rows("tiny-vita"), flags.sampling_rows("vita")))
    g.add_argument("--raters", type=int, default=3, help="judge samples per side-by-side item")
    g.add_argument("--judge-draws", type=int, default=None, help="agreement: ask the judge this many times "
                   "about the same replies and also report each metric's mean and sd over the draws (default 5 "
                   "with the local judge, 1 with --judge-url: each draw past the first is prompts x samples x 3 "
                   "more calls)")
    g.add_argument("--events", type=int, default=6, help="batches for the gradient analysis")
    g.add_argument("--gate", default="adaptive", help="reach: the gate whose lambda_raw is estimated "
                   "(a registered name; the paper's lambda_max, slope and threshold)")
    g.add_argument("--group-size", type=int, default=4, help="reach: G replies a group, as train.py's")
    g.add_argument("--seed", type=int, default=0, help="sampling and rater seed")
    rollout.add_sampling_args(g, max_len=None, max_len_help=" (default: {} for the tiny models, {} for VITA-Audio, "
                              "as train.py samples them)".format(flags.stage_defaults("tiny-vita", "hybrid")["max_len"],
                                                                 flags.stage_defaults("vita", "hybrid")["max_len"]))
    g.add_argument("--rater-noise", type=float, nargs=2, default=(0.0, 0.0), metavar=("SEMANTIC", "ACOUSTIC"),
                   help="extra local judge noise (Likert sd), on top of --judge-noise, for the 'LLM judge' "
                        "and the side-by-side raters")
    models.add_placement_args(ap.add_argument_group("device"))
    reward.add_judge_args(ap)
    args = ap.parse_args(argv)
    if not args.analysis:
        args.analysis = ["scores"] * bool(args.ckpt) + ["sbs"] * bool(args.vs) + ["shift"] * bool(args.base) \
            + ["lambda"] * bool(args.run)
    if "all" in args.analysis:
        args.analysis = [a for a in ANALYSES if (a != "sbs" or args.vs) and (a != "shift" or args.base)
                         and (a != "lambda" or args.run)]
    if any(a != "lambda" for a in args.analysis) and not args.ckpt:
        ap.error("--ckpt is needed for " + ", ".join(a for a in args.analysis if a != "lambda"))
    for a, need in (("sbs", "vs"), ("shift", "base"), ("lambda", "run")):
        if a in args.analysis and not getattr(args, need):
            ap.error(f"--analysis {a} needs --{need}")
    if "lambda" in args.analysis and not os.path.exists(os.path.join(args.run, "metrics.jsonl")):
        ap.error(f"--run {args.run}: no metrics.jsonl there (not a train.py run directory)")   # nor make run/eval
    is_real = False
    if args.ckpt:
        try:
            is_real = models.checkpoint_spec(args.ckpt).get("tokenizer") != "toy"
        except models.CheckpointError as e:
            ap.error(f"--ckpt: {e}")
    kind = "vita" if is_real else "tiny-vita"
    if is_real and (args.data is None or not args.judge_url):
        # the toy world's questions and its local judge say nothing about a real model's replies
        ap.error(f"--ckpt {args.ckpt} is a real model: give --data (a held-out JSONL split) and --judge-url")
    try:
        args.device, args.dtype = models.placement(args.device, args.dtype, is_real)
    except ValueError as e:
        ap.error(str(e))
    args.data = args.data or os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "toy", "eval.jsonl")
    flags.refuse_non_finite(ap, args)
    rollout.check_sampling_args(ap, args)
    reward.check_judge_args(ap, args)
    for flag, value, ok in (("--prompts", args.prompts, args.prompts >= 1),
                            ("--samples", args.samples, args.samples >= 2), ("--raters", args.raters, args.raters >= 1),
                            ("--events", args.events, args.events >= 1),
                            ("--group-size", args.group_size, args.group_size >= 2),
                            ("--rater-noise", args.rater_noise, min(args.rater_noise) >= 0)):
        if not ok:      # samples and group size: the analyses read the spread of a prompt's replies
            ap.error(f"{flag} {value}: out of range")
    for flag, value in (("--judge-semantic-noise", args.judge_semantic_noise),
                        ("--judge-acoustic-noise", args.judge_acoustic_noise)):
        if value:       # train.py's judge flag (shared); here the scores are the human's, the raters' noise its own
            ap.error(f"{flag} {value:g}: not used by eval.py; the raters' extra noise is "
                     "--rater-noise SEMANTIC ACOUSTIC")
    if args.gate not in gates.GATES:        # here, not where the reach analysis first builds it (after sampling)
        ap.error(f"--gate {args.gate}: not a registered gate ({', '.join(sorted(gates.GATES))})")
    args.max_len = args.max_len or flags.stage_defaults(kind, "hybrid")["max_len"]
    args.rows = args.rows or flags.sampling_rows(kind)
    if args.rows < 1:
        ap.error(f"--rows {args.rows}: must be >= 1")
    args.out = args.out or os.path.join(args.ckpt or args.run, "eval")
    flags.check_out_dir(ap, "--out", args.out)
    if args.judge_draws is None:
        args.judge_draws = 1 if args.judge_url else 5
    if args.judge_draws < 1:
        ap.error(f"--judge-draws {args.judge_draws}: must be >= 1")
    return args


def main(argv=None):
    """The command line: a bad flag, data file or checkpoint ends with one line and exit status 2."""
    args = get_args(argv)                    # a bad flag: argparse's one line, status 2
    try:
        run(args)
    except (dataset.DataError, models.CheckpointError) as e:     # names the file:line, or the checkpoint
        print(f"eval.py: error: {e}", file=sys.stderr, flush=True)
        sys.exit(2)
    except SystemExit as e:                  # our own one-line refusals (a judge that answers nothing)
        if isinstance(e.code, str):
            print(f"eval.py: error: {e.code}", file=sys.stderr, flush=True)
            sys.exit(2)
        raise


def load(path, args):
    """A checkpoint for scoring, on --device in --dtype (a real one is read straight into them)."""
    return models.load_model(path, dtype=getattr(torch, args.dtype), device=torch.device(args.device)).eval()


def run(args):
    """Every analysis args.analysis names, each written to args.out."""
    os.makedirs(args.out, exist_ok=True)
    written = []

    def emit(name, result, plot=None, lines=()):
        """Write NAME.json (and NAME.png with `plot`), and print the headline lines."""
        _write(args.out, name, result)
        if plot:
            plot(os.path.join(args.out, f"{name}.png"))
        written.append(name)
        for line in lines:
            print(line)

    if "lambda" in args.analysis:
        r = analyses.lambda_trajectory(args.run)
        emit("lambda", r, lambda p: analyses.plot_lambda(os.path.join(args.run, "metrics.jsonl"), p),
             analyses.lambda_lines(r))
    todo = [a for a in args.analysis if a != "lambda"]
    if todo:
        model = load(args.ckpt, args)
        samples = dataset.load_samples(args.data, model.codec.encode, limit=args.prompts)
    with contextlib.ExitStack() as stack:
        clean = reward.open_judge(args, stack, human=True) if todo else None
        raters = clean
        if not args.judge_url and any(a in todo for a in ("sbs", "agreement", "diversity", "reach")):
            import judge
            local = stack.enter_context(judge.LocalJudge(*args.rater_noise, seed=args.seed, noise=args.judge_noise))
            raters = reward.JudgeClient(local.url, concurrency=args.judge_concurrency)
            stack.callback(raters.close)
        if "scores" in todo:
            rows = score_items(model, samples, clean, args, seed=args.seed, rows=args.rows)
            if all(r.get(axis) is None for r in rows for axis in ("semantic", "acoustic")):
                raise SystemExit(f"--judge-url {args.judge_url or '(the local judge)'}: every judge call failed "
                                 "(check the URL, --judge-model and the key); no scores written")
            table = score_table(rows)
            print_scores(table, args.ckpt)
            emit("scores", {**table, "items": rows})
        if "sbs" in todo:
            r = analyses.side_by_side(model, load(args.vs, args), samples, raters, args, seed=args.seed,
                                      rows=args.rows)
            emit("sbs", r, lambda p: analyses.plot_side_by_side(r, p, (args.ckpt, args.vs)),
                 [f"side-by-side {axis:12s} win {_pct(a['win_rate'])} tie {_pct(a['tie_rate'])} "
                  f"loss {_pct(a['loss_rate'])}  p = {a['p_value']:.3g}  failed calls {a['failed_calls']}, "
                  f"unjudged items {a['unjudged_items']}" for axis, a in r["axes"].items()])
        if any(a in todo for a in ("agreement", "diversity", "reach")):
            pool = analyses.repeated_sampling(model, samples, raters, args.samples, args, seed=args.seed,
                                              prompts_per_batch=max(1, min(8, args.rows // args.samples)))
        if "agreement" in todo or "diversity" in todo:
            human = analyses.rescore(pool, clean)
            if "agreement" in todo:
                r = analyses.agreement(pool, human)
                over = analyses.agreement_over_draws(pool, raters, human, args.judge_draws)
                lines = [f"agreement {axis:9s} pearson {a['pearson']:.3f} intra-spearman {a['intra_spearman']:.3f} "
                         f"mae {a['mae']:.3f} within-1 {a['within_1']:.3f} bias {a['bias']:+.3f}" for axis, a in r.items()]
                if args.judge_draws > 1:
                    lines += [f"agreement {axis:9s} over {args.judge_draws} judge draws (mean +- sd): " + ", ".join(
                        f"{m.replace('_', '-')} {v[0]:.3f} +- {v[1]:.3f}" for m, v in o.items()) for axis, o in over.items()]
                r["over_draws"], r["judge_draws"] = over, args.judge_draws
                r["human_scores"] = human      # per prompt, per axis: what `calibrate.py` fits to
                emit("agreement", r, lambda p: analyses.plot_agreement(r, p), lines)
            if "diversity" in todo:
                r = analyses.diversity(pool, human)
                emit("diversity", r, lambda p: analyses.plot_diversity(r, p),
                     [f"diversity {name}: semantic variance {a['semantic_var']:.3f}, acoustic variance "
                      f"{a['acoustic_var']:.3f}" for name, a in r.items()])
        if "reach" in todo:
            right, wrong, share = analyses.reach_pool(pool, args.reward_mode, args.semantic_weight)
            r = analyses.lambda_reach(right, wrong, gates.make_gate(args.gate), args.group_size,
                                      pool_share=share, seed=args.seed)
            r["reward"] = ("holistic" if args.reward_mode == "holistic" else
                           f"{args.semantic_weight:g} semantic + {1 - args.semantic_weight:g} acoustic")
            emit("reach", r, lambda p: analyses.plot_reach(r, p), analyses.reach_lines(r))
        if "gradients" in todo:
            if model.spec.get("tokenizer") != "toy":    # as train.py: 16 rows of 2,048 reply tokens of 7B would
                weights.enable_grad_checkpoint(model)   # keep every layer's activations, hundreds of GB
            records = analyses.gradient_events(model, samples, clean, args, events=args.events, seed=args.seed)
            summary = analyses.summarise_gradients(records)
            emit("gradients", {"summary": summary, "events": records},
                 lambda p: analyses.plot_gradients(records, summary, p),
                 [f"gradients {name:4s} median |g_text|/|g_speech| {a['ratio_median']:.3g}, cos {a['cos_mean']:+.3f} "
                  f"+- {a['cos_std']:.3f} ({a['events']} events)" for name, a in summary.items()])
        if "shift" in todo:
            r = analyses.probability_shift(model, load(args.base, args), samples, args, seed=args.seed,
                                           rows=args.rows)
            s = r["summary"]
            emit("shift", r, lambda p: analyses.plot_shift(r, p),
                 [f"shift: mean |delta log p| text {s['text']['mean_abs']:.4f}, speech {s['speech']['mean_abs']:.4f}"])
    print(f"wrote {', '.join(written)} to {args.out}")


if __name__ == "__main__":
    main()
