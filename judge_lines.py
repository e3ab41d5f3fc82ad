"""A second reader of a rubric's answer line: the places a value could go, ranked by weights fitted to the prompts others wrote.

    import judge_lines
    judge_lines.answer_line("Just send back\\nSTAMPS: and the number", rubric, [str(v) for v in range(1, 6)])
    # -> ("STAMPS: ", ""): the line's text before and after the value, or None for the value alone
    python judge_lines.py --fit        # refit judge_lines.json to tests/data/judge_prompts/{others,misread}.json (about a minute)

judge_forms.answer_template finds the line a rubric shows to copy by rules: the words that
introduce it ("in this form:", "write only:") and the marks that hold its value ("n", "___",
"<score>"). Where none of them matches, the reader answers with the value alone, and round after
round of prompts written by others (README, *Use your own judge prompt*) the line it then missed
was the largest kind of misreading left: "Return the docket line only: FIT [n]", "Give it me
the way we log it: R then the number, like R3", "just send back / STAMPS: and the number". This
file reads only that case (judge_request asks it where the rules answer bare) and in another
way: every place in the request's text where a value could go is a candidate (a placeholder;
a key's colon with nothing or only words after it; an example of the value, "R3"; the values
offered in a row, "CRACK or SOFT"), with none to six of the words before it as the line's key and
what closes it ("]", "/10", "%", or up to three words) after, and the candidates and the value
alone are ranked by a linear score of their features (the hole's kind, the key's words and last
mark, the words around it, whether the rubric the sections kept holds its line, where the line
stands). A listwise logistic regression, fitted to every prompt the rules answer bare in
others.json (prompts the reader reads right) and misread.json (prompts it misread held out, with
what a careful reader answers): the target is the shortest line that prompt's expected answer
accepts, or the value alone where that is accepted. The weights live in judge_lines.json,
refitted by --fit whenever either file changes; tests/test_judge_lines.py says the file is that fit.

Deviations: none from the paper (it does not say how its judge reads a rubric). The weights are
fitted to prompts written for this project by others (helpers given a brief, README says how), so
they carry those writers' habits.
"""
import hashlib
import json
import os
import re
from collections import Counter
from functools import lru_cache

from judge_votes import refit_main

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "judge_lines.json")
# the prompts the reader reads right, and those it misread held out (a misread answer line is what the weights learn from)
CORPORA = [os.path.join(HERE, "tests", "data", "judge_prompts", name) for name in ("others.json", "misread.json")]
MIN_COUNT = 3           # a feature in fewer candidates than this has no weight
L2 = 0.1                # the penalty on the weights' squares (the loss is summed over the prompts)
KEY_WORDS = 6           # at most this many words before a hole are the line's key
_HOLE = re.compile(r"<[^<>\n]{1,40}>|\{[^{}\n]{1,30}\}|\[[^\[\]\n]{0,30}\]|\([ \t]*[nNxX_#?]{1,3}[ \t]*\)|"
                   r"(?<![\w<\[{])(?:[nNxX]{1,3}|#|\?+|_+|\.\.\.|\u2026)(?![\w>\]}])")
_BOXES = {"<": "angle", "{": "brace", "(": "paren"}


@lru_cache(maxsize=64)
def _value_patterns(values: tuple) -> tuple:
    """(one value, values offered in a row, whether they are numbers): built once per request's values, not per line."""
    digits = all(v.isdigit() for v in values)
    one = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    one = rf"(?<![0-9])(?:{one})(?![0-9])" if digits else rf"(?<![A-Za-z0-9])(?:{one})(?![A-Za-z0-9])"
    return re.compile(one, re.I), re.compile(rf"{one}(?:[ \t]*(?:or|/|\||,|,[ \t]*or)[ \t]*{one})*", re.I), digits


def holes(line, values) -> list:
    """[(start, end, kind)]: where a value could go in one line. A placeholder ("<score>", "[n]",
    "[ ]", "___", "N"), an example of one of `values` or several offered in a row ("R3", "CRACK or
    SOFT", "1/2"), or the end of a key's colon or equals sign with nothing or only words after it."""
    found = []
    for m in _HOLE.finditer(line):
        mark = m.group(0)
        if mark[0] == "[":
            kind = ("bracket_empty" if not mark[1:-1].strip() else
                    "bracket_mark" if re.fullmatch(r"\[\s*(?:[nNxX#?]{1,3}|_+|\.\.\.)\s*\]", mark) else "bracket_words")
        else:
            kind = _BOXES.get(mark[0]) or "mark_" + ("n" if mark in "nN" else mark[0] if mark[0] in "xX#?_." else "other")
        found.append((m.start(), m.end(), kind))
    if values:
        one, row, digits = _value_patterns(tuple(values))
        for m in row.finditer(line):
            if not any(s <= m.start() < e for s, e, _ in found):
                several = len(one.findall(m.group(0))) > 1
                found.append((m.start(), m.end(), ("offered_" if several else "example_") + ("number" if digits else "word")))
    for m in re.finditer(r"(?<=[A-Za-z)\]])[ \t]*[:=](?!\d)[ \t]*", line):
        if not any(s <= m.end() < e for s, e, _ in found):
            found.append((m.end(), m.end(), "colon_end" if not line[m.end():].strip() else "colon_words"))
    return found


def _words(text) -> list:
    return re.findall(r"[a-z]+", text.lower())


def _features(lines, i, start, end, before, after, closer, kind, boxed, in_rubric, last_hole_line, alike, above) -> list:
    """A candidate's features (strings): the hole's kind, its key's length, words, first and last marks,
    what stands before the key, what closes the value, the words around it, and where its line stands."""
    line = lines[i]
    mark = before.rstrip()[-1:] if before.strip() else "none"
    mark = "alnum" if mark.isalnum() else mark
    key_words = before.split()
    head = before[:1]
    outside = line[:start]
    previous = outside.split()[-1] if outside.split() else "^"
    shape = re.sub(r"[a-z]+", "w", previous.lower())[-3:]         # "only:" -> "w:", "(e.g." -> "w."
    features = [f"hole:{kind}", f"boxed:{boxed}", f"boxed:{boxed}:{kind}", f"in_rubric:{in_rubric}",
                f"closer_kind:{closer}", f"word_before_shape:{shape}",
                f"to_line_end:{not line[end:].strip() or line[end:].strip() == after.strip()}",
                f"key_length:{min(len(key_words), KEY_WORDS)}", f"key_length:{min(len(key_words), 3)}:{kind}",
                "key_head:" + ("upper" if head.isupper() else "lower" if head.islower() else "digit" if head.isdigit() else head or "none"),
                f"key_mark:{mark}", f"key_mark:{mark}:{kind}", f"key_space:{before[-1:].isspace()}",
                "closer:" + re.sub(r"\d", "9", after.strip())[:6], "before_key:" + (outside[-1:] or "^"),
                "word_before_key:" + (_words(previous)[-1] if _words(previous) else previous[-1:]),
                f"last_hole_line:{i == last_hole_line}", f"line_alone:{not outside.strip()}",
                f"place:{int(4 * i / len(lines))}"]
    features += ["key_word:" + w for w in _words(before)]
    features += ["upper_key"] if re.search(r"\b[A-Z]{2,}\b", before) else []
    features += ["left:" + w for w in set(_words(outside))] + ["right:" + w for w in set(_words(line[end:]))]
    features += ["above:" + w for w in above]
    if re.match(r"\s*\W*\d{1,3}\s*\W*\s*[=:\-\u2013]|\s*[\[(]?\d{1,3}[\])]", line):
        features.append("level_line")        # "5 = clear", "[4] near enough": a scale's row, not its answer
    features.append(f"lines_alike:{min(alike, 3)}")
    return features


def candidates(text, rubric, values) -> list:
    """[((before, after), features)]: the value alone first, then each line the value could be written
    in, from every line of `text` (the request's words): `rubric` is the part the sections kept."""
    lines = text.split("\n")
    tail = [x for x in rubric.split("\n") if x.strip()][-2:]
    found = [(("", ""), ["alone"] + ["alone_after:" + w for w in set(_words(" ".join(tail)))])]
    where = [(i, holes(line, values)) for i, line in enumerate(lines)]
    last_hole_line = max((i for i, h in where if h), default=-1)
    firsts = Counter(tuple(x.split()[:1]) for x in lines)       # how many lines open with the same word
    above, words_above = [], set()
    for line in lines:          # the words of the nearest line above with any
        above.append(words_above)
        words_above = set(_words(line)) if line.strip() else words_above
    for i, line_holes in where:
        line = lines[i]
        if not line_holes:
            continue
        in_rubric = bool(line.strip()) and line.strip() in rubric
        alike = firsts[tuple(line.split()[:1])]
        for start, end, kind in line_holes:
            # the key: none to KEY_WORDS of the words before the hole
            starts = sorted({start, *[m.start() for m in re.finditer(r"\S+", line[:start])][-KEY_WORDS:]})
            spans = [(start, end, False)] if kind.startswith("colon") else \
                [(start, end, False)] + ([(start + 1, end - 1, True)] if kind.split("_")[0] in ("bracket", "angle", "brace", "paren") else [])
            closers = [("none", "")]          # nothing after the value, a mark that shuts it, or up to three words
            if not kind.startswith("colon"):
                shut = re.match(r"[ \t]*(?:/|of|out of)[ \t]*\d{1,3}|[ \t]*%|[^\w\s]{1,3}", line[end:])
                words = re.match(r"(?:[ \t]+[A-Za-z][\w'-]*){1,3}", line[end:])
                closers += [(name, m.group(0)) for name, m in (("mark", shut), ("words", words)) if m]
            for hole_start, hole_end, boxed in spans:
                for key_start in starts:
                    before = line[key_start:hole_start]
                    if len(before) > 60:
                        continue
                    if kind.startswith("colon") and before and not before[-1].isspace():
                        before += " "
                    for closer, closing in closers:
                        after = (line[hole_end:end] if boxed else "") + closing
                        found.append(((before, after), _features(lines, i, key_start, end, before, after, closer, kind, boxed,
                                                                 in_rubric, last_hole_line, alike, above[i])))
    return found


def values_of(fmt, labels, mode) -> list:
    """The values the answer could hold, as the judge writes them: a comparison's labels and its
    tie, a score's level words, or the whole numbers of its scale."""
    if mode == "compare":
        values = list(fmt.get("labels") or labels) + [fmt.get("tie") or "tie"]
    elif fmt.get("levels"):
        values = list(fmt["levels"])
    else:
        lo, hi = fmt.get("scale") or (1, 5)
        whole = float(lo).is_integer() and float(hi).is_integer() and hi - lo <= 100
        values = [str(v) for v in range(int(lo), int(hi) + 1)] if whole else []
    return [str(v) for v in values if str(v)]


def speak_clips(node):
    """A corpus case's body with each '@speak:TEXT|STYLE' audio spoken by the toy codec, as a client sends it
    (the corpus tests read the cases through this too)."""
    if isinstance(node, dict):
        data = node.get("data")
        if isinstance(data, str) and data.startswith("@speak:"):
            import codec
            import reward
            text, style = data[len("@speak:"):].split("|")
            return {**node, "data": reward.wav_base64(*codec.decode(codec.speak(text, style or None)))}
        return {k: speak_clips(v) for k, v in node.items()}
    return [speak_clips(v) for v in node] if isinstance(node, list) else node


def examples(cases) -> list:
    """[(options, targets, accepted)]: for each case the rules answer bare, its candidates' features, the
    indices of the shortest ones (fewest key words, then the shortest closer) whose filled line its
    expected answer accepts (the value alone, index 0, where that is), and every index it accepts.
    Cases no candidate fits are left out."""
    import judge_request
    import judge_votes
    out = []
    for case in cases:
        expect = case["expect"]
        wanted = [(how, value) for how, value in expect.get("answers", []) if not how.startswith("json:")]
        if len(wanted) != 1:
            continue
        try:
            req = judge_request.parse_judge_request(speak_clips({"messages": case["messages"]}), learned_line=False)
        except judge_request.BadRequest:
            continue
        fmt = req["format"]
        if fmt["style"] != "bare" or len(fmt["slots"]) != 1:
            continue
        how, value = wanted[0]
        values = values_of(fmt, req["labels"], req["mode"])
        fill = value
        if req["mode"] == "compare":        # the label the judge writes ("Take 2") for the value the case captures ("2")
            named = [v for v in values if v.lower() == value.lower()] or \
                [v for v in values if re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", v, re.I)]
            fill = named[0] if len(named) == 1 else value
        options = candidates(judge_votes.request_text(case["messages"]), req["rubric"], values)
        fits = []
        for k, ((before, after), _) in enumerate(options):
            m = re.search(how, before + fill + after)
            if m and m.group(1) == value:
                fits.append(k)
        if fits:
            shortest = min((len(options[k][0][0].split()), len(options[k][0][1])) for k in fits)
            out.append(([f for _, f in options],
                        [k for k in fits if (len(options[k][0][0].split()), len(options[k][0][1])) == shortest], fits))
    return out


def fit(cases, l2=L2) -> dict:
    """{"weights": {feature: weight}}: a listwise logistic regression (the candidates of one case share a
    softmax; the loss is minus the log of the targets' summed probability) fitted to examples(cases) by
    L-BFGS with an L2 penalty of `l2`; a feature in fewer than MIN_COUNT candidates has no weight.
    Deterministic: float64, features in sorted order."""
    return fit_examples(examples(cases), l2)


def fit_examples(found, l2=L2) -> dict:
    """fit's regression on examples() already read."""
    import torch        # here, not at the top: the judge server and its scoring processes only read the table
    counts = Counter(f for options, _, _ in found for features in options for f in set(features))
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= MIN_COUNT))}
    index, offsets, case_of, target = [], [], [], []
    for c, (options, targets, _) in enumerate(found):
        for k, features in enumerate(options):
            offsets.append(len(index))
            index += sorted({vocab[f] for f in features if f in vocab})
            case_of.append(c)
            target.append(k in targets)
    index, offsets = torch.tensor(index), torch.tensor(offsets)
    case_of, target = torch.tensor(case_of), torch.tensor(target, dtype=torch.float64)
    weight = torch.zeros(len(vocab), 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([weight], max_iter=500, line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-12)

    def loss():
        opt.zero_grad()
        score = torch.nn.functional.embedding_bag(index, weight, offsets, mode="sum").squeeze(1)
        top = torch.full((len(found),), -1e300, dtype=torch.float64).scatter_reduce(0, case_of, score, "amax")
        e = torch.exp(score - top[case_of])
        every = torch.zeros(len(found), dtype=torch.float64).index_add(0, case_of, e)
        fits = torch.zeros(len(found), dtype=torch.float64).index_add(0, case_of, e * target)
        value = (every.log() - fits.log()).sum() + l2 * weight.pow(2).sum()
        value.backward()
        return value
    opt.step(loss)
    return {"weights": {f: round(float(weight.detach()[i, 0]), 4) for f, i in vocab.items()}}


@lru_cache(maxsize=1)
def _table(path=TABLE) -> dict:
    with open(path) as f:
        return json.load(f)


def ranked(text, rubric, values, path=TABLE) -> list:
    """[(score, before, after)], best first: the value alone is ("", "")."""
    weights = _table(path)["weights"]
    scored = [(sum(weights.get(f, 0.0) for f in set(features)), before, after) for (before, after), features in
              candidates(text, rubric, values)]
    return sorted(scored, key=lambda s: -s[0])      # stable: a tie keeps the value alone, then the text's order


def answer_line(text, rubric, values, path=TABLE) -> tuple | None:
    """(before, after): the line the value goes in, as the weights rank it; None where the value alone wins."""
    _, before, after = ranked(text, rubric, values, path)[0]
    return (before, after) if before or after else None


def corpus_digest(corpora) -> str:
    """The SHA-256 of the corpus files' bytes, one after another."""
    digest = hashlib.sha256()
    for corpus in corpora:
        with open(corpus, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def _fit_with_digest(cases, corpora) -> dict:
    """fit's table with the corpora's digest first: the table test knows a merge it was not refitted to."""
    return {"corpus": corpus_digest(corpora), **fit(cases)}


def main(argv=None):
    refit_main(argv, "Refit judge_lines.json, the weights that rank a rubric's answer lines, to a corpus of labelled judge prompts.",
               TABLE, _fit_with_digest, "answers", "features", CORPORA)


if __name__ == "__main__":
    main()
