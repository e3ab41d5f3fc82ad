"""Generate the toy spoken-dialogue data: spoken questions with checkable answers.

    python data/prepare.py                      # data/toy/{train,eval}.jsonl, manifest.json, wavs/
    python data/prepare.py --n-train 200 --n-eval 20 --n-eval-extra 0 --out /tmp/toy

Every sample is a question spoken by the toy codec (codec.py), its text, a
reference answer, an optional style instruction, and an SFT target: the answer
sentence as text and as a WAV spoken in the requested style. Task families:
arithmetic, comparison, counting, spelling backwards, repetition. Every reply
ends with its answer ("3 plus 4 is 7"), so correctness is checkable from the
text channel (`dataset.answer_matches`) and every reply has word gaps, so pace
is audible.

Each JSONL line follows the official release's schema (`messages` with an
`<|audio|>` placeholder, `audios`, `sft_target_text`, `sft_target_audio`,
`question_text`, `task_type`) plus `id`, `task`, `reference`, `style`,
`demo_flaw`. Paths are relative to the JSONL file. Output is a pure function of
--seed.

The training demonstrations are flawed, as a synthesized corpus is (the paper's
condition 2: SFT alone must plateau below what the reward can reach). Premise:
the paper's demonstrations are weaker than its base on content and good on
delivery: SFT on them *lowers* VITA-Audio's reasoning IQ (Table 1, OpenAudioBench
55.0 -> 50.7) while staying the strongest row on style (Table 2). And RL gains
on IQ carry over to new prompts, so the flaw it corrects must be a habit that
recurs across questions, not a one-off slip. So the toy teacher has a habit:
it often stops before giving the answer; it is also wrong now and then, and its
TTS speaks the requested style nine times in ten. Exact shares per training
split (`demo_flaw`):
  wrong       20% of demonstrations end with a plausible wrong answer (a number
              off by one or two, a word spelled forwards, a repeated phrase with
              one word swapped), spoken as written;
  incomplete  40% stop before the answer ("3 plus 4 is"): the habit;
  off_style   10% of the remaining styled demonstrations are spoken in the
              neutral voice although a style was asked.
The habit's share (40%, was 10%) was chosen before any row was compared on it,
from the pilot in README's "Results" (condition 2); `--flaws 0.2 0.1 0.1` gives the previous
world and `--flaws 0 0 0` a clean corpus. The held-out split's references
and targets are always correct.

The held-out split has 1,200 questions: --n-eval (300) drawn before the training
set, as in every earlier world, then --n-eval-extra (900) drawn after it. A
study's CI over 300 prompts was too wide to separate Table 3's rows (README,
"Results"); drawing the extra ones after the training set leaves the training set,
and so the base built from it, byte-identical. No question appears twice, so the
extra ones come from what the training set left: mostly comparisons and
repetitions, the families with the most distinct questions (the first 300 have
the generator's even mix).
`manifest.json` records TOY_WORLD and the flags, so train.py and study.py can
refuse a data/toy made by an earlier version of this script.

Deviations from the paper and the official release:
  1. The paper trains on 13.5k real spoken instructions (Appendix E); this is a
     synthetic stand-in whose answers can be checked exactly.
  2. The question is spoken in a neutral voice; only the answer carries a style.
  3. The demonstrations' flaws are drawn at fixed shares (above), not inherited
     from a real teacher model and TTS.
"""
import json
import os
import random
import shutil
import sys

import numpy as np
import soundfile as sf
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import cli  # noqa: E402
import codec  # noqa: E402
from dataset import TOY_WORLD  # noqa: E402

SYSTEM_PROMPT = "You are a helpful voice assistant. Listen to the question and answer in text and speech."
STYLE_NAMES = [s for s in codec.STYLES if s]
WORDS = """
cat dog sun map red blue sky tree bird fish milk cake rain snow star moon hat cup pen box
book door lamp road ship frog duck bear lion wolf goat king ring song wind fire leaf seed
rose corn bell coat sock shoe hand foot nose eye ear arm leg lip jam egg tea owl bat bee
ant fox pig cow hen toy kite drum harp gold salt rice soup bread apple lemon grape peach
plum melon chair table clock house river stone cloud green black white brown pink sand
wave hill lake farm barn nest web cave iron rock glass paper water light night day week
""".split()


def arithmetic(rng):
    a, b = rng.randint(0, 9), rng.randint(0, 9)
    op = rng.choice(["plus", "minus", "times"])
    if op == "minus" and a < b:
        a, b = b, a
    value = {"plus": a + b, "minus": a - b, "times": a * b}[op]
    return f"what is {a} {op} {b}", str(value), f"{a} {op} {b} is {value}"


def comparison(rng):
    a, b = rng.sample(range(0, 100), 2)
    which = rng.choice(["larger", "smaller"])
    value = max(a, b) if which == "larger" else min(a, b)
    return f"which is {which} {a} or {b}", str(value), f"the {which} is {value}"


def counting(rng):
    word = rng.choice(WORDS)
    return f"how many letters in {word}", str(len(word)), f"the count is {len(word)}"


def backwards(rng):
    word = rng.choice(WORDS)
    return f"spell {word} backwards", word[::-1], f"{word} backwards is {word[::-1]}"


def repetition(rng):
    phrase = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
    return f"repeat after me {phrase}", phrase, f"you said {phrase}"


TASKS = {"arithmetic": arithmetic, "comparison": comparison, "counting": counting,
         "backwards": backwards, "repetition": repetition}


FLAWS = {"wrong": 0.20, "incomplete": 0.40, "off_style": 0.10}   # see the docstring's premise


def wrong_answer(task, question, reference, answer, rng):
    """A plausible wrong answer sentence for the task (the template, a wrong final answer)."""
    if reference.isdigit():
        bad = int(reference) + rng.choice([-2, -1, 1, 2])
        bad = str(bad if bad >= 0 else int(reference) + 1)
    elif task == "backwards":                      # spelled forwards: the reversal forgotten
        bad = reference[::-1]
    else:                                          # repetition: one word swapped
        words = reference.split()
        i = rng.randrange(len(words))
        words[i] = rng.choice([w for w in WORDS if w not in words])
        bad = " ".join(words)
    if bad == reference:                           # a palindrome ("eye") spelled forwards: cut it short
        bad = reference[:-1]
    return answer[:len(answer) - len(reference)] + bad


def assign_flaws(records, rng, shares):
    """Exact shares: round(share * n) demonstrations per content flaw, and off-style among
    the styled demonstrations left clean; returns one flaw name or None per record."""
    n = len(records)
    order = list(range(n))
    rng.shuffle(order)
    n_wrong, n_cut = round(shares["wrong"] * n), round(shares["incomplete"] * n)
    flaws = [None] * n
    for i in order[:n_wrong]:
        flaws[i] = "wrong"
    for i in order[n_wrong:n_wrong + n_cut]:
        flaws[i] = "incomplete"
    styled = [i for i in order[n_wrong + n_cut:] if records[i]["style"]]
    for i in styled[:round(shares["off_style"] * len(styled))]:
        flaws[i] = "off_style"
    return flaws


def write_wav(path, codes):
    wave, rate = codec.decode(codes)
    sf.write(path, wave, rate, subtype="PCM_16")


def make_split(name, n, rng, out_dir, style_share, taken, flaws=None, seed=0, first=0):
    """Sample n distinct questions not in `taken`, flaw the demonstrations by `flaws`
    (shares; None: all correct), write WAVs and return JSONL records (ids from `first`)."""
    records = []
    while len(records) < n:
        task = rng.choice(list(TASKS))
        question, reference, answer = TASKS[task](rng)
        style = rng.choice(STYLE_NAMES) if rng.random() < style_share else None
        if style:
            question = f"{question} say it {style}"
        if question in taken:
            continue
        taken.add(question)
        sid = f"{name}-{first + len(records):05d}"
        records.append({
            "id": sid, "task": task, "style": style, "task_type": "s2s",
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": "<|audio|>"}],
            "audios": [f"wavs/{name}/{sid}-q.wav"], "question_text": question, "reference": reference,
            "sft_target_text": answer, "sft_target_audio": f"wavs/{name}/{sid}-a.wav", "demo_flaw": None,
        })
    if flaws:   # its own stream, so the questions do not depend on the shares
        flaw_rng = random.Random(f"flaws-{seed}-{name}")
        for r, flaw in zip(records, assign_flaws(records, flaw_rng, flaws)):
            r["demo_flaw"] = flaw
            if flaw == "wrong":
                r["sft_target_text"] = wrong_answer(r["task"], r["question_text"], r["reference"],
                                                    r["sft_target_text"], flaw_rng)
            elif flaw == "incomplete":
                r["sft_target_text"] = r["sft_target_text"][:-len(r["reference"])].rstrip()
    os.makedirs(os.path.join(out_dir, "wavs", name), exist_ok=True)
    for r in tqdm(records, desc=f"{name:5s}", unit="sample", leave=False):
        spoken_style = None if r["demo_flaw"] == "off_style" else r["style"]
        write_wav(os.path.join(out_dir, r["audios"][0]), codec.speak(r["question_text"]))
        write_wav(os.path.join(out_dir, r["sft_target_audio"]), codec.speak(r["sft_target_text"], spoken_style))
    return records


def write_jsonl(path, records):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, path)  # a crash never leaves a half-written split


def prepare(out_dir, n_train=5000, n_eval=300, seed=0, style_share=0.5, flaws=None, n_eval_extra=900):
    """Write both splits and the manifest; `flaws` (default FLAWS) flaws the training
    demonstrations only. The held-out split is n_eval + n_eval_extra questions."""
    flaws = FLAWS if flaws is None else flaws
    # codes a run cached from the WAVs about to be rewritten (dataset.CodesCache): its own check
    # is each file's size and modification time, which a coarse-clocked filesystem can leave equal
    shutil.rmtree(os.path.join(out_dir, ".codes"), ignore_errors=True)
    rng = random.Random(seed)
    np.random.seed(seed)
    taken = set()
    # eval first, so the held-out questions stay the same whatever --n-train is; always correct
    eval_records = make_split("eval", n_eval, rng, out_dir, style_share, taken)
    train_records = make_split("train", n_train, rng, out_dir, style_share, taken, flaws, seed)
    # more held-out questions after the training set, so adding them changes nothing above
    eval_records += make_split("eval", n_eval_extra, rng, out_dir, style_share, taken, first=n_eval)
    write_jsonl(os.path.join(out_dir, "eval.jsonl"), eval_records)
    write_jsonl(os.path.join(out_dir, "train.jsonl"), train_records)
    manifest = {"world": TOY_WORLD, "n_train": n_train, "n_eval": n_eval, "n_eval_extra": n_eval_extra,
                "seed": seed, "style_share": style_share, "flaws": dict(flaws)}
    path = os.path.join(out_dir, "manifest.json")
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(path + ".tmp", path)      # last: a data dir with a manifest is a finished one
    return train_records, eval_records


def main():
    ap = cli.Parser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy"),
                    help="output directory (default: data/toy)")
    ap.add_argument("--n-train", type=int, default=5000, help="training samples")
    ap.add_argument("--n-eval", type=int, default=300, help="held-out samples drawn before the training set")
    ap.add_argument("--n-eval-extra", type=int, default=900,
                    help="held-out samples drawn after the training set (more power, same training set)")
    ap.add_argument("--seed", type=int, default=0, help="the data is a pure function of this")
    ap.add_argument("--style-share", type=float, default=0.5, help="share of questions with a style instruction")
    ap.add_argument("--flaws", type=float, nargs=3, default=list(FLAWS.values()), metavar=("WRONG", "INCOMPLETE", "OFF_STYLE"),
                    help="shares of flawed training demonstrations: wrong answer, cut before the answer, "
                         "neutral voice where a style was asked (of the styled ones left)")
    args = ap.parse_args()
    if not 0 <= args.style_share <= 1:             # NaN fails too
        ap.error(f"--style-share {args.style_share}: a share in [0, 1]")
    if not 0 <= args.seed < 2 ** 32:
        ap.error(f"--seed {args.seed}: need 0 <= seed < 2**32 (numpy's seeds)")
    if not all(0 <= x <= 1 for x in args.flaws) or args.flaws[0] + args.flaws[1] > 1:
        ap.error(f"--flaws {args.flaws}: each share in [0, 1], wrong + incomplete <= 1")
    if min(args.n_train, args.n_eval) < 1 or args.n_eval_extra < 0:
        ap.error(f"--n-train {args.n_train} / --n-eval {args.n_eval} / --n-eval-extra {args.n_eval_extra}: "
                 "need at least one train and one eval sample")
    try:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, ".write-test"), "w"):
            pass
        os.remove(os.path.join(args.out, ".write-test"))
    except OSError as e:
        ap.error(f"--out {args.out}: cannot write there ({e.strerror})")
    train, held = prepare(args.out, args.n_train, args.n_eval, args.seed, args.style_share,
                          dict(zip(FLAWS, args.flaws)), args.n_eval_extra)
    counts = {k: sum(r["demo_flaw"] == k for r in train) for k in FLAWS}
    print(f"wrote {len(train)} train and {len(held)} eval samples to {args.out}; flawed demonstrations: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
