"""Generate the toy spoken-dialogue data: spoken questions with checkable answers.

    python data/prepare.py                      # data/toy/{train,eval}.jsonl + wavs/
    python data/prepare.py --n-train 200 --n-eval 20 --out /tmp/toy

Every sample is a question spoken by the toy codec (codec.py), its text, a
reference answer, an optional style instruction, and an SFT target: the answer
sentence as text and as a WAV spoken in the requested style. Task families:
arithmetic, comparison, counting, spelling backwards, repetition. Every reply
ends with its answer ("3 plus 4 is 7"), so correctness is checkable from the
text channel (`dataset.answer_matches`) and every reply has word gaps, so pace
is audible.

Each JSONL line follows the official release's schema (`messages` with an
`<|audio|>` placeholder, `audios`, `sft_target_text`, `sft_target_audio`,
`question_text`, `task_type`) plus `id`, `task`, `reference`, `style`. Paths are
relative to the JSONL file. Output is a pure function of --seed.

Deviations from the paper and the official release:
  1. The paper trains on 13.5k real spoken instructions (Appendix E); this is a
     synthetic stand-in whose answers can be checked exactly.
  2. The question is spoken in a neutral voice; only the answer carries a style.
"""
import argparse
import json
import os
import random
import sys

import numpy as np
import soundfile as sf
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import codec  # noqa: E402

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


def write_wav(path, codes):
    wave, rate = codec.decode(codes)
    sf.write(path, wave, rate, subtype="PCM_16")


def make_split(name, n, rng, out_dir, style_share, taken):
    """Sample n distinct questions not in `taken`; write WAVs and return JSONL records."""
    records = []
    os.makedirs(os.path.join(out_dir, "wavs", name), exist_ok=True)
    bar = tqdm(total=n, desc=f"{name:5s}", unit="sample", leave=False)
    while len(records) < n:
        task = rng.choice(list(TASKS))
        question, reference, answer = TASKS[task](rng)
        style = rng.choice(STYLE_NAMES) if rng.random() < style_share else None
        if style:
            question = f"{question} say it {style}"
        if question in taken:
            continue
        taken.add(question)
        sid = f"{name}-{len(records):05d}"
        q_rel, a_rel = f"wavs/{name}/{sid}-q.wav", f"wavs/{name}/{sid}-a.wav"
        write_wav(os.path.join(out_dir, q_rel), codec.speak(question))
        write_wav(os.path.join(out_dir, a_rel), codec.speak(answer, style))
        records.append({
            "id": sid, "task": task, "style": style, "task_type": "s2s",
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": "<|audio|>"}],
            "audios": [q_rel], "question_text": question, "reference": reference,
            "sft_target_text": answer, "sft_target_audio": a_rel,
        })
        bar.update(1)
    bar.close()
    return records


def write_jsonl(path, records):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, path)  # a crash never leaves a half-written split


def prepare(out_dir, n_train=5000, n_eval=300, seed=0, style_share=0.5):
    rng = random.Random(seed)
    np.random.seed(seed)
    taken = set()
    # eval first, so the held-out questions stay the same whatever --n-train is
    eval_records = make_split("eval", n_eval, rng, out_dir, style_share, taken)
    train_records = make_split("train", n_train, rng, out_dir, style_share, taken)
    write_jsonl(os.path.join(out_dir, "eval.jsonl"), eval_records)
    write_jsonl(os.path.join(out_dir, "train.jsonl"), train_records)
    return train_records, eval_records


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy"),
                    help="output directory (default: data/toy)")
    ap.add_argument("--n-train", type=int, default=5000, help="training samples")
    ap.add_argument("--n-eval", type=int, default=300, help="held-out samples")
    ap.add_argument("--seed", type=int, default=0, help="the data is a pure function of this")
    ap.add_argument("--style-share", type=float, default=0.5, help="share of questions with a style instruction")
    args = ap.parse_args()
    train, held = prepare(args.out, args.n_train, args.n_eval, args.seed, args.style_share)
    print(f"wrote {len(train)} train and {len(held)} eval samples to {args.out}")


if __name__ == "__main__":
    main()
