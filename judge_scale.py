"""The score range a rubric names, and a 1-5 Likert score written on it.

    import judge_scale
    judge_scale.named_scale("Rate from 1 (wrong) to 10 (right).")     # (1, 10)
    judge_scale.rubric_scale("Score it.")                             # (1, 5): none named
    judge_scale.rescale(4, (0, 100))                                  # 75
    judge_scale.rescale(4, (1, 5), ["FAIL", "PASS"])                  # 'PASS'

judge_rubric.answer_format reads the scale here ("1-10", "out of 10", "0 (not at all) to 4", a ladder of anchors
one a line, a percentage, or the numbers a mark is turned into: "1 -> 0, 2 -> 3, ..., 5 -> 10") beside the answer's
form; judge.ToyJudge writes its 1-5 scores on it. All of this is
heuristic: README, *Use your own judge prompt*, says how far it carries on prompts it was not built from.

Deviations: none from the paper (it does not say how its judge reads a rubric).
"""
import math
import re


def rubric_scale(rubric) -> tuple:
    """The score range a rubric names (named_scale), or (1, 5) when it names none."""
    return named_scale(rubric) or (1, 5)


_STEP_VERBS = {"listen", "read", "compare", "check", "decide", "give", "answer", "write", "rate", "score", "evaluate",
               "consider", "play", "think", "note", "output", "return", "identify", "determine", "judge", "use", "assess",
               "review", "provide", "explain", "respond", "reply", "grade", "look", "hear", "first", "then", "finally",
               "verify", "find", "mark", "transcribe", "pick", "choose", "say", "state", "end", "begin", "start", "follow"}


def named_scale(rubric) -> tuple | None:
    """The score range a rubric names: "1-10", "from 1 (wrong) to 10 (right)", "between 0 and
    100", "on a 1-10 scale", "a 7-point scale", "out of 10", "X/10", "0 (not at all) to 4",
    "1 = ..., 2 = ..., 3 = ...", "between 0 and 1", a ladder of anchors one per line ("- 10: right", "- 4-6: partly",
    "- 1-3: wrong"); None when it names none. The first form found,
    in that order, wins; numbers may be words ("a scale of one to ten"); a count of something
    else ("in 1 to 3 sentences") is not a range."""
    spelled = {"zero": 0, "one": 1, "three": 3, "four": 4, "five": 5, "seven": 7, "nine": 9, "ten": 10, "hundred": 100}
    rubric = re.sub(r"\b(?:%s)\b" % "|".join(spelled), lambda m: str(spelled[m.group(0).lower()]), rubric, flags=re.I)
    top, to = r"(10|100|3|4|5|7|9)", r"\s*(?:-|\u2013|to|and|until|till|through|\.\.)\s*"
    note = r"(?:\([^()\n]{0,60}\)\s*|,[^,\n\d]{1,30},\s*)?"      # "1 (completely wrong) to 10", "from 1, most wretched, to 10"
    unit = r"(?!\s*(?:sentences?|words?|lines?|paragraphs?|bullets?|reasons?|examples?|seconds?|minutes?)\b)"
    # (a unit after the bottom: "from 1 Stich (worst) to 7 Stiche")
    named_unit = r"(?:[ \t]+(?!(?:to|and|or|until|till|through)\b)[A-Za-z]{2,12}\b)?"
    forms = [rf"(?:scale|score|rate|rating|grade|from|between|range|use)\D{{0,24}}?\b([01]){named_unit}\s*{note}{to}{top}\b{unit}",
             r"\b(0)(?:\.0)?\s*,\s*0?\.25\s*,\s*0?\.5\d?\s*,\s*0?\.75\s*,?\s*(?:or\s+)?(1)(?:\.0)?\b",   # "0.0, 0.25, 0.5, 0.75 or 1.0"
             rf"\b([01]){to}{top}[- ](?:point )?scale\b",
             rf"\b([01])\s*\([^()\n]{{1,60}}\)\s*{to}{top}\b{unit}",            # "0 (not at all) to 4": anchored
             rf"()(?:\b{top}[- ]point\b|\bout of {top}\b|(?:\b[NX]|<[NX]>|(?<!_)_{{2,}}+)\s*(?:/|of)\s*{top}\b)",   # "<X>/10", "__/10", "n of 7"
             rf"\[\s*([01])\s*,\s*{top}\s*\]",                                        # "in [1, 10]"
             r"(?:scale|score|rate|rating|grade|from|between|range|probability|confidence)\D{0,24}?"
             r"\b(0)(?:\.0+)?\s*(?:\([^()\n]{0,60}\)\s*)?(?:-|\u2013|to|and)\s*(1)(?:\.0+)?(?![\d.]*\d)",   # 0-1, "0.00 (...) to 1.00"
             r"\[\s*(0)(?:\.0)?\s*,\s*(1)(?:\.0)?\s*\]",
             # "scale: {min: 0, max: 100}", YAML's "min: 1  # ..." / "max: 10", "scale_min=0" / "scale_max=10"
             rf"(?:\b|_)min(?:imum)?\W{{1,3}}([01])\s*(?:#[^\n]*)?[,;]?\s*(?:\w+_)?max(?:imum)?\W{{1,3}}{top}\b"]
    if re.search(r"\b0[ \t]*%[ \t]*(?:-|\u2013|to)[ \t]*100[ \t]*%|\bas a percentage\b|\b(?:a|the) percentage (?:from|between) 0\b", rubric, re.I):
        return 0, 100                   # "a percentage from 0% to 100%"
    for form in forms:
        m = re.search(form, rubric, re.I)
        if m:
            # "out of 10, where 0 means totally wrong", or "0-100" written too ("0-100. ... MARK: __ / 100"): the bottom is 0
            hi = int(next(g for g in m.groups()[1:] if g))
            # ("out of 100" is a percentage's 0 to 100: no writer of the prompts measured read it 1-100)
            lo = int(m.group(1) or (0 if hi == 100 or re.search(rf"(?<![\w.])0\s*(?:=|means|is|for|:)\s|(?<![\w.])0\s*(?:-|\u2013|to)\s*{hi}\b|"
                                                             r"(?<![\w.])0\s+(?:worst|lowest|useless|wrong)\b|"    # "(0 worst, 10 best)"
                                                             r"(?m:^[ \t]*0[ \t]+(?:-|\u2013|\u2014)[ \t]+[A-Za-z])",   # "   0 - nonsense"
                                                   rubric, re.I) else 1))
            return lo, hi
    # "1 = wrong, 3 = right" (not what numbered inputs hold: "Clip 1 = the listener's request. Clip 2 = our bot's reply.")
    inputs = re.compile(r"(?i)\b(?:clips?|audio|recordings?|tracks?|files?|takes?|samples?|items?|repl(?:y|ies)|responses?|answers?|"
                        r"questions?|speakers?|voices?|models?|systems?|turns?|steps?|parts?|channels?|mics?)[ \t]*\Z")   # (on its line: not "wrong answer" over "0 = ...")
    anchors = [int(m.group(1)) for m in re.finditer(r"(?<![\w.])(\d{1,3})\s*=\s*[A-Za-z]", rubric)
               if not inputs.search(rubric[max(0, m.start() - 20):m.start()])]
    if len(anchors) >= 2 and min(anchors) in (0, 1):
        return min(anchors), max(anchors)
    # a ladder of anchors, one per line: "- 10: fully correct" / "- 7-9: minor issues" / ... / "1 - wrong"
    # (not a list of steps: "1: Listen to the clip", "2 - Check the facts", "3: Answer YES or NO")
    # (or a percentage's, "100% = exactly as asked"; or two spaces after: "100  fully red   - the right answer")
    listed = re.findall(r"(?m)^[ \t]*+(?:[-*\u2022][ \t]*+)?(?:\*\*)?(\d{1,3})(?:[ \t]*(?:-|\u2013)[ \t]*(\d{1,3}))?%?(?:\*\*)?"
                        r"(?:[ \t]+[a-z]{2,12}(?=[ \t]*(?:[:=]|[-\u2013][ \t])))?"      # a unit: "4 knots - correct", "1 knot  - wrong"
                        r"(?:[ \t]*+(?::(?!\d)|=|(?:-|\u2013)(?=[ \t]+[A-Za-z]))|[ \t]{2,}(?=[A-Za-z]))[ \t]*+\**([A-Za-z]*)",
                        rubric)     # (not a time, "23:40")
    ends = [int(n) for a, b, _ in listed for n in (a, b) if n]
    steps = any(first.lower() in _STEP_VERBS for _, _, first in listed)
    if len(listed) >= 3 and not steps and min(ends) in (0, 1) and max(ends) > 2:
        return min(ends), max(ends)
    # a ladder of fractions one a line, a space or a sign after each: "1.00  correct, complete" / "0.75  unsure" / ... / "0.00 nothing"
    fractions = re.findall(r"(?m)^[ \t]*(?:[-*\u2022][ \t]*)?([01](?:\.\d{1,2})?|\.\d{1,2})(?:[ \t]*[=:\u2013-])?[ \t]+[A-Za-z]", rubric)
    if len(fractions) >= 3 and any("." in f for f in fractions) and all(float(f) <= 1 for f in fractions):
        return 0, 1
    # "Give a percentage", "ACCURACY: ___%": a percentage is 0 to 100 (after the anchors a rubric
    # numbers: "1 = wrong ... 5 = a hundred percent right" is 1 to 5)
    if re.search(r"\bpercent(?:age)?\b|(?:\b[NnXx]{1,2}|(?<!_)_{2,}+|<[^<>\n]{1,20}>)[ \t]*%", rubric):     # ("Soundness: NN%"; a blank tried
    #                                                         from its first "_" only, and not given back: a long one stays linear)
        return 0, 100
    # last, a bare range closing a clause: "how correct is it? 1-10, 10 = perfectly correct", "0 to 10, 10 = ..."
    bare = re.search(rf"(?<![\w.-])([01])\s*(?:-|\u2013|[ \t]to[ \t])\s*{top}(?![\w-]|\.\d)(?=[ \t]*(?:[,;:)]|\.|$)|[ \t]+(?:where|with)\b|"
                     r"[ \t]*\(\s*\d{1,3}\s*(?:=|is\b|means\b))",      # "0-10 (10 = completely correct)"
                     rubric, re.M)
    return (int(bare.group(1)), int(bare.group(2))) if bare else None


def converted_marks(rubric) -> list | None:
    """The numbers a rubric turns its 1-5 mark into, the worst mark's first: "then 1 -> 0, 2 -> 3, 3 -> 5, 4 -> 8, 5 -> 10"
    -> [0, 3, 5, 8, 10]; "points: 5 -> 10, 4 -> 8, 3 -> 6, 2 -> 3, 1 -> 1" -> [1, 3, 6, 8, 10]; "1 -> 0, 2 -> 0.25, ..."
    -> [0, 0.25, ...]. None unless three or more marks in a row from 0 or 1 turn into numbers that rise with them."""
    pair = r"(?<![\w.])(\d)[ \t]*(?:->|=>|\u2192)[ \t]*(\d{1,3}(?:\.\d{1,2})?)(?!\w|\.\d)"
    run = re.search(rf"{pair}(?:[ \t]*[,;/]?[ \t]*(?:and[ \t]+)?{pair}){{2,}}", rubric)
    if not run:
        return None
    marks, values = zip(*sorted((int(a), float(b) if "." in b else int(b)) for a, b in re.findall(pair, run.group(0))))
    rising = all(x < y for x, y in zip(values, values[1:]))
    return list(values) if marks[0] in (0, 1) and list(marks) == list(range(marks[0], marks[0] + len(marks))) and rising else None


def rescale(score, scale, levels=None):
    """A 1-5 Likert score on the rubric's scale (lo-hi), e.g. 5 -> 10 on 1-10; on 0-1, a fraction
    (3 -> 0.5); in its words (levels, worst first), the nearest level, and for a two-word verdict
    the positive one from 4 up (a reply scored 3, middling, is not "correct")."""
    if levels:
        return levels[int(score >= 4)] if len(levels) == 2 else levels[int(math.floor((score - 1) * (len(levels) - 1) / 4
                                                                                     + 0.5))]
    lo, hi = scale
    if (lo, hi) == (0, 1):
        return round((score - 1) / 4, 2)
    return score if (lo, hi) == (1, 5) else int(math.floor(lo + (score - 1) * (hi - lo) / 4 + 0.5))
