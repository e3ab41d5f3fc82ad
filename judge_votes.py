"""A second reader of a rubric's axis: its words' votes, fitted to the prompts others wrote.

    import judge_votes
    judge_votes.side_votes("Is the answer right? Ignore the voice.")   # ('semantic', 5.5...): the side, its margin
    python judge_votes.py --fit        # refit judge_votes.json to tests/data/judge_prompts/others.json (about 10 s)

judge_axis.py reads the axis by rules: the words that name a side, the clauses that leave one out.
Rules read what they were written for, and round after round of prompts written by others
(README, *Use your own judge prompt*) a rule's wording was what they missed most. This file reads
the same question the way a spam filter reads mail: a logistic regression of the side its writer
meant (content, delivery or both) on which words and word pairs a request holds (a word up to five
after "not", "ignore", "without", ... is counted apart, "not_voice", and one up to five before its
clause's first negator too, "The voice does not matter": "pre_not_voice"), fitted to every labelled
prompt in others.json. A regression rather than a naive Bayes: a template many prompts share
(MT-Bench's, AlpacaEval's) holds dozens of words that name no side, and a naive Bayes sums their
counts until they outvote the one word that does. A rubric of a few words gets a small margin and
the rules decide (judge_axis.rubric_axis takes the votes only over SURE). The weights live in
judge_votes.json, refitted by --fit whenever others.json grows; tests/test_judge_votes.py says the
file is that fit.

Deviations: none from the paper (it does not say how its judge reads a rubric). The votes are
fitted to prompts written for this project by others (helpers given a brief, README says how), so
they carry those writers' habits: the toy questions' own style requests ("say it happily") are
words like any other.
"""
import json
import os
import re
from collections import Counter
from functools import lru_cache

import cli

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "judge_votes.json")
CORPUS = os.path.join(HERE, "tests", "data", "judge_prompts", "others.json")
SIDES = ("semantic", "acoustic", "holistic")
SIDE_OF = {"semantic": 0, "helpfulness": 0, "acoustic": 1, "naturalness": 1, "holistic": 2, "overall": 2}
MIN_COUNT = 5           # a word in fewer prompts than this has no weight
L2 = 1.0                # the penalty on the weights' squares (the loss is summed over the prompts)
SURE = 4.0              # the margin in logits (odds of 55 to 1) above which the votes overrule the rules
NEGATION_REACH = 5      # words after a negating word that it negates
_NEGATOR = re.compile(r"not|no|never|nor|ignore|ignoring|without|don't|doesn't|isn't|skip|disregard")


def request_text(messages) -> str:
    """Every text part of a chat body's messages, one after another (audio parts are left out)."""
    texts = []
    for m in messages:
        content = m.get("content") if isinstance(m, dict) else None
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        texts += [p["text"] for p in parts if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)]
    return "\n".join(texts)


def words_of(text) -> set:
    """The words and adjacent word pairs of `text`, lower-cased, read clause by clause (a clause ends at
    . ; : ! ? ( ) - or a line break; a comma does not end it). A word after a negator (up to NEGATION_REACH
    words) is marked "not_", and a word before a clause's first negator (up to NEGATION_REACH words) "pre_not_",
    for what comes before can be what is negated too: "Ignore the voice." -> {"ignore", "not_the", "not_voice",
    "ignore not_the", "not_the not_voice"}; "The voice does not matter." -> {"pre_not_the", "pre_not_voice",
    "pre_not_does", "not", "not_matter", ...}."""
    found = set()
    for clause in re.split(r"[.;:!?()\n-]", text.lower()):
        tokens = re.findall(r"[a-z']+", clause)
        first = next((i for i, token in enumerate(tokens) if _NEGATOR.fullmatch(token)), None)
        negated, before = 0, None
        for i, token in enumerate(tokens):
            if _NEGATOR.fullmatch(token):
                word, negated = token, NEGATION_REACH
            elif negated:
                word, negated = "not_" + token, negated - 1
            else:
                word = "pre_not_" + token if first is not None and first - NEGATION_REACH <= i < first else token
            found.add(word)
            if before:
                found.add(f"{before} {word}")
            before = word
    return found


def fit(cases) -> dict:
    """{"bias": [per side], "weights": {word: [per side]}}: a multinomial logistic regression of the side
    (SIDES' order) on which words are present, fitted to the cases with an axis (others.json's:
    {"messages": ..., "expect": {"axis": ...}}) by L-BFGS with an L2 penalty of L2 on the weights; a
    word in fewer than MIN_COUNT prompts has no weight. Deterministic: float64, words in sorted order."""
    import torch        # here, not at the top: the judge server and its scoring processes only read the table
    labelled = [(words_of(request_text(c["messages"])), SIDE_OF[c["expect"]["axis"]])
                for c in cases if c["expect"].get("axis") in SIDE_OF]
    counts = Counter(w for words, _ in labelled for w in words)
    vocab = {w: i for i, w in enumerate(sorted(w for w, n in counts.items() if n >= MIN_COUNT))}
    index, offsets = [], []
    for words, _ in labelled:
        offsets.append(len(index))
        index += sorted(vocab[w] for w in words if w in vocab)
    index, offsets = torch.tensor(index), torch.tensor(offsets)
    side = torch.tensor([s for _, s in labelled])
    weight = torch.zeros(len(vocab), 3, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=500, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-9, tolerance_change=1e-12)

    def loss():
        opt.zero_grad()
        logits = torch.nn.functional.embedding_bag(index, weight, offsets, mode="sum") + bias
        value = torch.nn.functional.cross_entropy(logits, side, reduction="sum") + L2 * weight.pow(2).sum()
        value.backward()
        return value
    opt.step(loss)
    rounded = lambda row: [round(x, 4) for x in row.tolist()]
    return {"bias": rounded(bias.detach()), "weights": {w: rounded(weight.detach()[i]) for w, i in vocab.items()}}


@lru_cache(maxsize=1)
def _table(path=TABLE) -> dict:
    with open(path) as f:
        return json.load(f)


def votes(text, path=TABLE) -> list:
    """The logistic regression's logits, per side (SIDES' order): its bias plus the weights of the words present."""
    table = _table(path)
    score = list(table["bias"])
    for word in words_of(text):
        for side, w in enumerate(table["weights"].get(word, ())):
            score[side] += w
    return score


def side_votes(text, path=TABLE) -> tuple:
    """(the side the words vote for, its margin over the next in logits)."""
    score = votes(text, path)
    order = sorted(range(3), key=score.__getitem__, reverse=True)
    return SIDES[order[0]], score[order[0]] - score[order[1]]


def refit_main(argv, description, table, fit, expects, noun, corpora=(CORPUS,)):
    """The command that refits a table of weights to corpora of labelled judge prompts (this file's and
    judge_lines.py's): `fit(cases, corpus_paths)` -> the table; a bad corpus is one line naming it and
    the case, exit 2, the table untouched (written whole, then moved)."""
    ap = cli.Parser(description=description)
    ap.add_argument("--fit", action="store_true", help="fit the corpus and write the table")
    ap.add_argument("--corpus", nargs="+", default=list(corpora),
                    help=f"JSON objects whose 'cases' are {{'name', 'messages', 'expect': {{{expects!r}}}}} (default: "
                         + ", ".join(os.path.relpath(c, HERE) for c in corpora) + ")")
    ap.add_argument("--out", default=table, help=f"where the table goes (default: {os.path.basename(table)} beside this file)")
    args = ap.parse_args(argv)
    if not args.fit:
        ap.error("nothing to do: pass --fit")
    cases = []
    for corpus in args.corpus:
        try:
            with open(corpus) as f:
                found = json.load(f)["cases"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            ap.error(f"--corpus {corpus}: not a JSON object with a 'cases' list ({type(e).__name__}: {e})")
        for i, case in enumerate(found):
            if not (isinstance(case, dict) and isinstance(case.get("messages"), list) and isinstance(case.get("expect"), dict)):
                ap.error(f"--corpus {corpus}: case {i} ({case.get('name') if isinstance(case, dict) else case!r:.40}) "
                         f"needs a 'messages' list and an 'expect' object")
        cases += found
    weights = fit(cases, args.corpus)
    with open(args.out + ".tmp", "w") as f:       # written whole, then moved: a refit cut short leaves the old table
        json.dump(weights, f, separators=(",", ":"))
        f.write("\n")
    os.replace(args.out + ".tmp", args.out)
    print(f"{args.out}: weights of {len(weights['weights'])} {noun}, fitted to {len(cases)} prompts")


def main(argv=None):
    refit_main(argv, "Refit judge_votes.json, the words' votes on a rubric's axis, to a corpus of labelled judge prompts.",
               TABLE, lambda cases, corpus: fit(cases), "axis", "words")


if __name__ == "__main__":
    main()
