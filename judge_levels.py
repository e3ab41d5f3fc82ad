"""The words a score is written in, where a rubric asks for words: a verdict's two ("YES or NO", "GO = correct.
STOP = wrong."), a quality ladder ("Excellent, Good, Fair or Poor", or the writer's own, worst first), letter grades;
each read by what the rubric says it means, worst first.

    import judge_levels
    judge_levels.answer_words("Answer YES or NO.")                               # ['NO', 'YES']
    judge_levels.verdict_asked_last("... at least 4 of 5. Write PASS or FAIL.")    # ['FAIL', 'PASS']
    judge_levels.own_ladder("Worst to best: sour / cloudy / clear / fancy")          # ['sour', 'cloudy', 'clear', 'fancy']
    judge_levels.defined_verdict("GO = correct. STOP = wrong. Write GO or STOP.")  # ['STOP', 'GO']
    judge_levels.letter_grades("E - no answer\nD - ...\nC - ...\nB - ...\nA - right")   # ['E', 'D', 'C', 'B', 'A']
    judge_levels.numbered_ladder("3.0 m - can't hear it\n4.0 m - wrong manner\n5.0 m - clear, as asked")   # [3.0, 4.0, 5.0]

judge_rubric.score_levels asks these for a score's words; judge.ToyJudge writes its score as the nearest
(judge_scale.rescale). All of it is heuristic: README, *Use your own judge prompt*, says how far it carries on
prompts it was not built from.

Deviations: none from the paper (it does not say how its judge reads a rubric).
"""
import re

from judge_forms import _ANSWER_VERB, CRITERIA, SENTENCE_END


# Answers in words. A verdict: the two words a rubric offers ("YES or NO", "CORRECT / INCORRECT"),
# positive first. A ladder: three or more quality words it lists ("Excellent, Good, Fair or Poor").
VERDICTS = [("yes", "no"), ("correct", "incorrect"), ("correct", "wrong"), ("pass", "fail"), ("true", "false"), ("accept", "reject"),
             ("compliant", "non-compliant"), ("match", "no match"), ("go", "no-go"),
             ("acceptable", "unacceptable"), ("good", "bad"), ("appropriate", "inappropriate"), ("y", "n")]
# ITU-T P.800 ranks Bad below Poor: "Excellent, Good, Fair, Poor, Bad"
LADDER = {"terrible": 0, "awful": 0, "unacceptable": 0, "very poor": 0, "very bad": 0, "bad": 0.5, "poor": 1, "weak": 1, "fair": 2,
           "average": 2, "ok": 2, "okay": 2, "mediocre": 2, "acceptable": 2, "adequate": 2, "good": 3, "very good": 3.5,
           "great": 4, "excellent": 4, "outstanding": 4.5, "perfect": 4.5}
_LADDER_WORDS = "|".join(sorted(map(re.escape, LADDER), key=len, reverse=True))      # the longest first: "very poor" before "poor"


def answer_words(rubric) -> list | None:
    """The words a rubric asks its answer in, worst first: a verdict's two ("NO", "YES") or a
    ladder's ("Poor", "Fair", "Good", "Excellent"), spelled as the rubric spells them; None when
    it asks for neither. A verdict counts only where it reads as the answer's form (in capitals, in
    quotes, or after "answer", "output", "verdict", ...), not "whether the answer is correct or not"."""
    q = r"[\"'\u201c\u201d*`]*"
    plain = re.sub(r"[ \t]*\([^()\n]{1,80}\)", "", rubric)      # "Excellent (exactly right), Good (...), ...": the words
    # the verdict's two words as written, else with each one's meaning in parenthesis left out: "PASS (correct) or FAIL (not)"
    for text in dict.fromkeys((rubric, plain)):          # (once where there is no parenthesis)
        for pos, neg in VERDICTS:
            for first, second in ((pos, neg), (neg, pos)):
                # each first word found by one scan, the pair read in a window from it (linear, whatever quotes abound)
                for w in re.finditer(rf"\b{first}\b", text, re.I):
                    m = re.match(rf"({first})({q})\s*(?:or|/|\||,|[;,]?\s*(?:otherwise|else)(?:\s+{_ANSWER_VERB})?)\s*{q}\b({second})\b",
                                 text[w.start():w.start() + 80], re.I)
                    if not m:
                        continue
                    said = [m.group(1), m.group(3)]
                    # "Answer yes or no", not "the answer is correct or"
                    ordered = re.search(rf"(?<!the )(?<!an )(?<!your )(?<!its )\b(?:{_ANSWER_VERB}|(?:one|single) word)\b[^.\n]{{0,40}}$",
                                        text[max(0, w.start() - 80):w.start()], re.I)
                    quoted = bool(m.group(2)) or text[max(0, w.start() - 1):w.start()] in tuple("\"'\u201c\u201d*`")
                    if all(x.isupper() for x in said) or quoted or ordered:
                        return said if first == neg else said[::-1]
    for pos, neg in VERDICTS:        # "Respond with YES if the answer is correct and NO if it is not" ("with exactly one word: YES if")
        m = re.search(rf"\b{_ANSWER_VERB}\b[^.\n]{{0,30}}?[\"'`]?\b({pos})\b[\"'`]? if\b[^.\n]{{0,100}}?[\"'`]?\b({neg})\b[\"'`]? "
                      rf"(?:if|otherwise)\b", rubric, re.I)
        m = m or re.search(rf"\b{_ANSWER_VERB}\b[^.\n]{{0,30}}?[\"'`]?\b({pos})\b[\"'`]? if\b[^.\n]{{0,100}}?,?\s*otherwise\s+[\"'`]?"
                           rf"\b({neg})\b", rubric, re.I)      # "Output PASS if ..., otherwise FAIL."
        if m:
            return [m.group(2), m.group(1)]
    # a verdict in the rubric's own words, in capitals, each with its condition, one of them negated: "CURED if it's
    # acceptable, GREEN if it isn't", "Mark it KEEP if the answer is right, otherwise BIN"
    capitals, negated = r"[\"'`]?\b([A-Z][A-Z-]{1,15})\b[\"'`]?", r"\b(?:not|no|fails?|wrong|incorrect|unacceptable)\b|n't\b"
    m = re.search(rf"{capitals} if\b([^,.;\n]{{1,60}})[,;]?\s*(?:and\s+|or\s+)?(?:(?:otherwise|else),?\s+{capitals}|"
                  rf"{capitals} if\b([^,.;\n]{{1,60}}))", rubric)
    if m and m.group(3):                                   # "X if ..., otherwise Y": Y is the negative
        return [m.group(3), m.group(1)]
    if m and bool(re.search(negated, m.group(2))) != bool(re.search(negated, m.group(5))):
        return [m.group(4), m.group(1)] if re.search(negated, m.group(5)) else [m.group(1), m.group(4)]
    # a yes/no question answered in two words of the rubric's own capitals, the yes first as a question's answers are
    # ordered: "is it fit to keep? Write KEEP or BIN."
    m = re.search(rf"\b(?i:is|was|does|did|can|could|should|would|will|has|are)\b[^.?!\n]{{3,120}}\?\s*(?i:please\s+)?"
                  rf"(?i:{_ANSWER_VERB})\b[ \t]+(?i:with[ \t]+)?(?i:(?:one|a single) word[ \t]*:?[ \t]*)?"
                  rf"[\"'`]?\b([A-Z][A-Z-]{{1,15}})\b[\"'`]? or [\"'`]?\b([A-Z][A-Z-]{{1,15}})\b[\"'`]?[ \t]*(?:[.!]|$)", rubric, re.M)
    if m and m.group(1) != m.group(2):
        return [m.group(2), m.group(1)]
    own = own_ladder(rubric)          # (first: a writer's ladder may hold the known words, "DEAD, DYING, POOR, FAIR, GOOD")
    if own:
        return own
    sep = r"\s*(?:,\s*(?:or\s+)?|/|\||\bor\b|<|>|\u2192|->|\n[ \t]*[-*\u2022]?)\s*"      # one a line too
    for m in re.finditer(rf"\b(?:{_LADDER_WORDS})\b(?:{sep}{q}\b(?:{_LADDER_WORDS})\b){{2,}}", plain, re.I):
        found = list(dict.fromkeys(re.findall(rf"\b(?:{_LADDER_WORDS})\b", m.group(0), re.I)))
        ranks = [LADDER[w.lower()] for w in found]
        if len(set(ranks)) == len(ranks) >= 3:
            return [w for _, w in sorted(zip(ranks, found))]
    # each in capitals after its condition, the second negated: "If the delivery is good, log RELAY OK; if it is not, log RELAY FAULT."
    m = re.search(r"\b(?i:if)\b([^,;.\n]{1,80}),\s*(?i:log|write|answer|say|output|reply|mark|record|put)\s+[\"'`]?([A-Z][A-Z-]+(?: [A-Z][A-Z-]+){0,2})"
                  r"[\"'`]?\s*[;,.]\s*(?:(?i:and|or)\s+)?(?i:if)\b([^,;.\n]{1,80}),\s*(?i:log|write|answer|say|output|reply|mark|record|put)\s+"
                  r"[\"'`]?([A-Z][A-Z-]+(?: [A-Z][A-Z-]+){0,2})\b", rubric)
    if m and bool(re.search(negated, m.group(1))) != bool(re.search(negated, m.group(3))):
        return [m.group(4), m.group(2)] if re.search(negated, m.group(3)) else [m.group(2), m.group(4)]
    # one a line, each with its meaning: "Excellent - correct and to the point" / "Good - ..." / "Fair - ..."
    found = list(dict.fromkeys(re.findall(rf"(?im)^[ \t]*+(?:[-*\u2022|][ \t]*+)?\**({_LADDER_WORDS})\**[ \t]*+(?:[-:=\u2013(|]|$)", rubric)))   # a table's too
    ranks = [LADDER[w.lower()] for w in found]
    if len(set(ranks)) == len(ranks) >= 3:
        return [w for _, w in sorted(zip(ranks, found))]
    return None


# a level on its own line with its meaning: "  SOUR   - nothing usable", "- watertight: right, stated cleanly" (up to
# three words, or four in capitals: "OUT ON THE FULL - hard to make out"; a note after it: "GOAL (two flags)   - right"; its
# number before it: "(1) Unfit     - nonsense")
_LEVEL_LINE = re.compile(r"[ \t]*+(?:[-*\u2022][ \t]*+)?(?:\(\d{1,2}\)[ \t]*+)?\**([A-Za-z][\w'-]*(?: [A-Za-z][\w'-]*){0,2}|[A-Z][A-Z'-]*(?: [A-Z][A-Z'-]*){3})\**"
                         r"(?:[ \t]*\([^()\n]{1,30}\))?[ \t]*(:|=|(?<=[ \t])(?:-|\u2013|\u2014))"
                         r"[ \t]+(\S[^\n]*)")
# what a level's meaning says of a reply, good or bad (a crude reading, for the ends of a ladder whose order is not named)
_GOOD = re.compile(r"\b(?:right|correct(?:ly)?|good|perfect|clean(?:ly)?|fine|pass(?:es)?|accurate|spot-on|ideal|exactly|excellent|"
                   r"acceptable|ready|ok|okay|clear|as (?:asked|requested)|"
                   r"(?:the (?:way|manner)|(?:did|does|do|done) what) (?:it was|was|(?:she|he|they|you) \w+) asked)\b",
                   re.I)                                                # ("it talked the way it was asked", "did what was asked")
_BAD = re.compile(r"\b(?:wrong|incorrect|missing|garbled|silent|nothing|no answer|fail(?:s|ed)?|bad|unusable|muddled|hopeless|"
                  r"unintelligible|can't|cannot|worse|(?<!at )worst|(?<!-)off|needs? (?:work|fixing|redoing)|unacceptable|unclear|muffled|"
                  r"(?:different|other) (?:way|manner)|hard to (?:make out|hear|follow|understand)|falls? short|"
                  r"against (?:what|how)(?: \w+){0,2} asked)\b|n't\b",      # ("said in a manner against what was asked")
                  # ("... or at worst in a normal clear voice": the least that is good; "sign-off" is no "off")
                  re.I)
_NEGATED = re.compile(r"(?:\b(?:not|never|no longer|nearly|almost|partly|partially)|n't)\s+(?:\w+\s+)?$", re.I)   # "not good enough", "not
#                                                                           quite right", "only nearly right", "only partly right"


def reads_as(meaning) -> int:
    """+1 where a level's meaning reads good, -1 where it reads bad, 0 where neither or both; a word negated reads
    the other way ("delivery is not good enough", "not wrong, only hedged")."""
    good, bad = sides_read(meaning)
    return good - bad


def sides_read(meaning) -> tuple:
    """(whether a level's meaning says anything good, whether anything bad), as reads_as weighs them."""
    said = {1: False, -1: False}
    # a concession is no flaw: "the delivery is acceptable even if not perfect"
    meaning = re.sub(r"\b(?:even if|even though|though|although|if)[ \t]+(?:it's[ \t]+|it is[ \t]+)?not[ \t]+(?:quite[ \t]+)?"
                     r"(?:perfect|ideal|flawless|excellent)\b", "", meaning, flags=re.I)
    for words, side in ((_GOOD, 1), (_BAD, -1)):
        for m in words.finditer(meaning):
            if side < 0 and re.search(r"\b(?:slightly|a little|a bit|somewhat|marginally)[ \t]+$", meaning[:m.start()], re.I):
                continue        # a slip allowed is no flaw: "PASS = clear, and the manner is right or only slightly off"
            said[-side if _NEGATED.search(meaning[:m.start()]) else side] = True
    return said[1], said[-1]


def _level_lines(text) -> list:
    """The lines at the start of `text` (blank lines before them skipped), each a level and its meaning: [(word, sep, meaning)]."""
    rows = []
    for line in text.lstrip(" \t\n").split("\n") if text.strip() else []:
        m = _LEVEL_LINE.fullmatch(line.rstrip())
        if not m or len(m.group(1).split()) == 3 and m.group(2) == ":":
            break           # (three words before a colon are an order, "Send back just: GRADE: <word>"; "Two Left Feet - ..." a level)
        rows.append(m.groups())
    return rows


def _ladder(words, most=3) -> bool:
    """Three to seven distinct words of one to `most`, none a number nor a criterion ("clarity, pace, tone")."""
    return 3 <= len(words) <= 7 and len({w.lower() for w in words}) == len(words) and \
        all(re.fullmatch(rf"[A-Za-z][\w'-]*(?: [A-Za-z][\w'-]*){{0,{most - 1}}}", w) and w.lower() not in CRITERIA for w in words)


def own_ladder(rubric) -> list | None:
    """A ladder of the rubric's own words, worst first. After "best to worst", "worst to best" or "worst first": the
    words on the same line ("Finish grades, worst to best: moth-eaten / patchy / passable / lifelike / museum-grade"),
    on the next ("Worst to best:\n  Seized -> Gritty -> Catching -> Smooth -> Buttery"), or one a line, each with its
    meaning ("worst to best:\n  SOUR - nothing usable\n  BUDDY - wrong words ..."). Or the ends marked: "ONE (worst)
    TWO THREE FOUR FIVE (best)". Or, no order named, one a line with meanings ("unsound - no answer" ... "watertight -
    right, stated cleanly") where the first reads bad and the last good (or the reverse) and the answer's form shows one
    of them again ("e.g. [[sound]]"). None otherwise."""
    ends = re.search(r"\b([A-Za-z]+) \((?:worst|lowest)\)((?: [A-Za-z][\w'-]*){1,5}) ([A-Za-z]+) \((?:best|highest)\)", rubric, re.I)
    if ends and _ladder([ends.group(1), *ends.group(2).split(), ends.group(3)]):
        return [ends.group(1), *ends.group(2).split(), ends.group(3)]
    for m in re.finditer(r"(?i)\b(best|worst|highest|lowest|poorest|finest) (?:to (?:the )?(?:best|worst|highest|lowest|poorest|finest)|"
                         r"first)\b[^\n:]{0,30}:?[ \t]*", rubric):                 # ("from the poorest to the finest:")
        line, _, below = rubric[m.end():m.end() + 600].partition("\n")
        rows = [] if line.strip() else _level_lines(below)
        rows = rows[:next((j for j, row in enumerate(rows) if row[1] != rows[0][1]), len(rows))]    # (not "Report line: Rating: <word>")
        numbered = re.findall(r"(?m)^[ \t]*(\d)[ \t]*[=:.)][ \t]*([A-Za-z][\w'-]*(?: [A-Za-z][\w'-]*){0,2})[ \t]*(?:\(|[-:\u2013]|$)",
                              "" if line.strip() else below[:400])       # "1 = BUST (useless)" / ... / "5 = DOUBLE TOP (spot on)"
        # (or in capitals after the bare number, a level of up to four words: "1 SLEPT THROUGH" / ... / "5 AT THE MILL GATE")
        numbered = numbered or re.findall(r"(?m)^[ \t]*(\d)[ \t]+((?-i:[A-Z][A-Z'-]*(?: [A-Z][A-Z'-]*){0,3}))[ \t]*$",
                                          "" if line.strip() else below[:400])
        numbered = numbered or [(n, w) for w, n in re.findall(r"(?m)^[ \t]*([A-Za-z][\w'-]*(?: [A-Za-z][\w'-]*)?)[ \t]*\((\d)\)[ \t]*$",
                                                          "" if line.strip() else below[:400])]     # "BROKE   (1)"
        if not rows and len(numbered) >= 3 and [int(n) for n, _ in numbered] == list(range(int(numbered[0][0]), int(numbered[0][0]) + len(numbered))):
            rows = [(w, "=", "") for _, w in numbered]
        if not line.strip() and len(rows) < 3:                # the words on the next line
            line = below.lstrip(" \t\n").partition("\n")[0]
        words = [w for w, _, _ in rows] if len(rows) >= 3 else \
            [w.strip(" *`\"'.") for w in re.split(r"\s+(?:-|\u2013|\u2014|>|<|\|)\s+|\s*(?:[,/]|->|\u2192)\s*",
                                                   re.sub(r"\s*\([^()]*\)|\.\s+\S.*$", "", line).strip())]   # ("Champion (5) > Reserve (4)")
        # (levels of up to four words where they have no meanings beside them, or are in capitals: "OUT ON THE FULL")
        if _ladder(words, most=4 if rows and (not rows[0][2] or all(w.isupper() for w in words)) else 3):
            return words[::-1] if m.group(1).lower() in ("best", "highest", "finest") else words
    lines = rubric.split("\n")
    for k in range(len(lines)):                               # no order named: the ends' meanings say it
        rows = _level_lines("\n".join(lines[k:k + 8]))
        start = k == 0 or not _LEVEL_LINE.fullmatch(lines[k - 1].rstrip())      # (a run's first line)
        first = len(rows)
        while first and rows[first - 1][1] == rows[-1][1]:
            first -= 1
        if start and first and len(rows) - first >= 3:      # lines over them with another mark: "Pool competition - judges'
            rows, k = rows[first:], k + first               # table." / "CONTENT ONLY - is the answer right?" over "... = ..."
        if 3 <= len(rows) and start:
            words = [w for w, sep, _ in rows][:7]
            lean = reads_as(rows[0][2]), reads_as(rows[len(words) - 1][2])
            # levels that share a last word are named by the rest: "WHITE card = ...", "RED card = ..." -> WHITE, RED
            tails = {w.rsplit(" ", 1)[-1].lower() for w in words}
            words = [w.rsplit(" ", 1)[0] for w in words] if len(tails) == 1 and all(" " in w for w in words) else words
            either = "|".join(map(re.escape, words))
            after = "\n".join(lines[k + len(rows):])
            # the answer's form shows one of them ("e.g. [[sound]]"), lists them all ("CARD: WHITE / YELLOW / RED", "SIGNAL:
            # GOAL  /  SIGNAL: BEHIND  /  SIGNAL: OUT OF BOUNDS") or
            # leaves a hole for a word ("INDEX = <word>", "RANGI: <colour word>")
            shown = re.search(rf"[\[<{{\"'`]\s*(?:{either})\s*[\]>}}\"'`]", after, re.I) or \
                re.search(rf"\b(?:{either})(?:[ \t]*(?:/|\||,|\bor\b)[ \t]*(?:[A-Z][\w ]{{0,20}}:[ \t]*)?(?:{either})){{{len(words) - 1}}}\b",
                          after, re.I) or \
                re.search(r"<(?:the[ \t]+)?(?:[a-z]+[ \t]+)?(?:word|level|grade|mark|label)>|\bone (?:word|level) from (?:the|this|that|my|our) "
                          r"(?:ladder|list|scale)\b", after, re.I)        # ("FLOW: ____ (fill with one word from the ladder)")
            if _ladder(words) and lean[0] * lean[1] == -1 and all(sep.strip() in "-\u2013\u2014=" for _, sep, _ in rows) and shown:
                return words if lean[0] < 0 else words[::-1]
    return None


def defined_verdict(rubric) -> list | None:
    """A verdict in two words of the rubric's own, each defined ("FIST = came back with the correct answer" /
    "CHECKED = went off after the wrong thing"; "4 or 5 = RELEASE ...; 1, 2 or 3 = HOLD"; "If the answer is good ...,
    it's MOUNT. If it's wrong ..., it's RESTUFF.") and both offered by the last sentence that names them ("MOUNT or
    RESTUFF", "HAWK: FIST   or   HAWK: CHECKED"), or asked for as one word -> [the bad one, the good one], as their
    definitions read; None where they do not read one good and one bad."""
    # ("SIGNED OFF", "NO TRY", "A QUAI": one letter only before a word)
    word = r"[\"'`]?\b([A-Z](?:[A-Z-]{1,15}|(?=[ \t][A-Z]{2}))(?: [A-Z][A-Z-]{1,15}){0,2})\b[\"'`]?"
    leaning, how = {}, {}            # each word: its readings, and which of the forms below defined it

    def note(level, side, form):
        leaning.setdefault(level, []).append(side)
        how.setdefault(level, set()).add(form)
    meanings = {}

    def read(level, meaning, form):
        note(level, reads_as(meaning), form)
        meanings.setdefault(level, []).append(meaning)
    # ("WHITE light = ...", "HIT means right answer, MISS means it's not right", "NDI (no deception indicated) = ...")
    for m in re.finditer(rf"{word}(?:[ \t]+[a-z]+)?(?:[ \t]*\([^()\n]{{1,40}}\))?(?:[ \t]*=|[ \t]+(?:means|stands for))[ \t]*((?:e\.g\.|i\.e\.|[^.\n;,]|,(?![ \t]*[\"'`]?[A-Z]{{2,}}\b)){{3,120}})",
                         rubric):
        read(m.group(1), m.group(2), 1)
    # (or by a dash, a line each: "ACCURATE   - the aid gave the correct answer.", "HARD (bad, like a stone idli) - it
    # spoke in some different manner", after the answer line's key: "STATUS: RTS (return to sender) - the answer is wrong")
    for m in re.finditer(rf"(?m)^[ \t]*(?:[A-Z][\w' ]{{0,24}}:[ \t]*)?{word}(?:[ \t]*\([^()\n]{{1,40}}\))?[ \t]+[-\u2013\u2014][ \t]+"
                         rf"([^.\n;]{{3,120}})", rubric):
        read(m.group(1), m.group(2), 2)
    # (or by a colon in a list, its meaning in lower case: "- EXCHANGE: the figure is correct and complete")
    for m in re.finditer(rf"(?m)^[ \t]*[-*\u2022][ \t]*{word}:[ \t]+([a-z][^.\n;]{{2,120}})", rubric):
        read(m.group(1), m.group(2), 3)
    # (not a clip's number: "REC 1 = OPERATIVE'S QUESTION")
    for m in re.finditer(rf"(?<![A-Za-z][ \t])\b([1-5](?:[ \t]*(?:,|or|and)[ \t]*[1-5])*)[ \t]*=[ \t]*{word}(?![\w'])", rubric):
        marks = [int(d) for d in re.findall(r"\d", m.group(1))]
        note(m.group(2), 1 if min(marks) >= 4 else -1 if max(marks) <= 3 else 0, 4)
    for m in re.finditer(rf"(?m)^[ \t]*(?:[-*\u2022][ \t]*)?{word}[ \t]*\(([^()\n]{{3,80}})\)[ \t]*$", rubric):
        read(m.group(1), m.group(2), 5)           # "NW-NO (not acceptable)", a line each
    # (or after a key, both on one line: "VERDICT: ON SCALE (correct)  or  VERDICT: OFF SCALE (not correct)")
    for m in re.finditer(rf"(?m)(?:^|(?<=[ \t]or[ \t])|(?<=[ \t]or))[ \t]*[A-Z][\w' ]{{0,24}}:[ \t]*{word}[ \t]*\(([^()\n]{{3,80}})\)"
                         rf"(?=[ \t]*(?:$|or\b))", rubric):
        read(m.group(1), m.group(2), 6)
    # ("a WHITE light if ...", to the next verdict: "... (clear), RED if it is not")
    for m in re.finditer(rf"{word}(?:[ \t]+[a-z]+)?[ \t]+(?:only[ \t]+)?if\b((?:[^.\n;]|\.(?=\d)){{3,120}}?)(?=\.(?!\d)|[\n;]|,[ \t]*(?:and[ \t]+|or[ \t]+)?"
                         rf"[\"'`]?[A-Z]{{2,}}\b|$)", rubric):
        bare_no = re.fullmatch(r"[ \t]*(?:(?:it|they|that|this)[ \t]+)?(?:is|are|was|does|did)?[ \t]*(?:not|n't)[ \t]*", m.group(2))
        # a mark's threshold: "APROBADO if PIECE is 3.5 or more, RECHAZADO if less"
        above = re.search(r"\b\d+(?:\.\d+)?[ \t]+or[ \t]+(?:more|higher|above|over)\b|\bat least[ \t]+\d", m.group(2))
        below = re.fullmatch(r"[ \t]*(?:(?:it|that|the \w+|[A-Z]+)[ \t]+(?:is|was)[ \t]+)?(?:less|lower|below|under)(?:[ \t]+(?:than[ \t]+)?that)?[ \t]*",
                             m.group(2))
        note(m.group(1), -1, 7) if bare_no or below else note(m.group(1), 1, 7) if above else \
            read(m.group(1), m.group(2), 7)      # "..., RED if it is not"
    for m in re.finditer(rf"{word}[ \t]+otherwise\b|\b(?:otherwise|else),?[ \t]+{word}(?![\w'])", rubric):
        note(m.group(1) or m.group(2), -1, 8)   # "Verdict ON PARADE if ... good. Verdict DISMISSED otherwise.", "...; otherwise CRU."
    for m in re.finditer(rf"(?:^|(?<=[.!?\n]))[ \t]*([A-Za-z][^.!?\n=]{{2,60}}?)[ \t]*=[ \t]*{word}(?:[ \t]*\([^()\n]{{1,40}}\))?[ \t]*(?:[.!;]|$)",
                         rubric, re.M):       # "Middling or worse = CLOSED.", "Wrong number, ... = COCKEREL (off the line)."
        read(m.group(2), m.group(1), 9)
    for m in re.finditer(rf"(?m)^[ \t]*(?:[-*\u2022][ \t]*)?([A-Za-z][^\n]{{2,120}}?)[ \t]*(?:->|=>|\u2192)[ \t]*{word}[ \t.]*$", rubric):
        read(m.group(2), m.group(1), 10)           # "Muffled, or not as asked -> NO BIRD"
    for m in re.finditer(rf"(?:^|(?<=[.!?\n]))([^.!?\n]{{3,160}}?),?[ \t]+(?:it's|it is|that's|that is|mark it|call it|the \w+ is|"
                         rf"the \w+ (?:reads|becomes|says)|it(?=[ \t]+[A-Z]{{2,}}[ \t]*[.!]))[ \t]+(?:a[ \t]+|an[ \t]+)?{word}",
                         rubric):      # ("..., it FITS.", "If the delivery is good or better, the minute reads ACCEPTED")
        # a run-on sentence: its last condition ("... if it's right that's a CAUGHT"; not a concession's: "If the box gets the
        # right answer -- even if it ums and ahs first -- that's a GREEN flag")
        condition = re.split(r"(?<!\beven )\b(?:if|when)\b", m.group(1))[-1]
        read(m.group(2), condition, 11)
    # (a sentence that files a reply under one: "A wrong number, a half answer or a load of nonsense is a RED flag."; or
    # a condition's clause with only the word after it: "...; if it falls short, HELD OVER.")
    for m in re.finditer(rf"(?:^|(?<=[.!?\n]))[ \t]*([A-Za-z][^.!?\n]{{2,160}}?)[ \t]+(?:is|are) (?:a|an)[ \t]+{word}(?:[ \t]+[a-z]+)?[ \t]*[.!]",
                         rubric):
        read(m.group(2), m.group(1), 12)
    for m in re.finditer(rf"(?:^|[.;!?\n][ \t]*)(?:if|when)\b([^.;!?\n,]{{3,80}}),[ \t]+{word}[ \t]*(?:[.;!]|$)", rubric, re.I | re.M):
        if m.group(2).isupper():
            read(m.group(2), m.group(1), 13)
    if not re.search(r"[.!?]", rubric[:2000]):       # dictated with no stops: each "if ..., that's a WORD" in the run
        for m in re.finditer(rf"\b(?:if|when)\b([^!?\n]{{3,120}}?),?[ \t]+(?:it's|it is|that's|that is)[ \t]+(?:a[ \t]+|an[ \t]+)?{word}", rubric):
            read(m.group(2), m.group(1), 14)
    # a word of the writer's language, quoted, with its condition: "we say 'kekko' when a thing is correctly done, and 'mada'
    # (not yet) when it is not yet correct", written as the answer lines write it ("HANTEI: KEKKO")
    for m in re.finditer(r"[\"'\u2018`]([A-Za-z][\w-]{1,15})[\"'\u2019`](?:[ \t]*\([^()\n]{0,30}\))?[ \t]+(?:when|if)\b([^.;\n]{3,120}?)"
                         r"(?=,[ \t]*(?:and|or)\b|[.;\n]|$)", rubric):
        shown = m.group(1).upper() if re.search(rf"\b{re.escape(m.group(1).upper())}\b", rubric) else m.group(1)
        read(shown, m.group(2), 15)
    sides = {w: (sum(v) > 0) - (sum(v) < 0) for w, v in leaning.items()}
    good, bad = [w for w, x in sides.items() if x > 0], [w for w, x in sides.items() if x < 0]
    # one word read one way and one other read both ways: that one is the other side ("SOUR = plainly a different manner"
    # against "SWEET = clear, and spoken in the manner asked (or clear ordinary voice with only the asked manner missing)")
    mixed = [w for w, x in sides.items() if x == 0 and any(all(sides_read(said)) for said in meanings.get(w, []))]
    # (or, of two words defined, the other's meaning says nothing good or bad: "VERDICT: EMBARQUE = good enough to come
    # on the boat" / "VERDICT: A QUAI = stays on the beach")
    unread = [w for w, x in sides.items() if x == 0 and not any(any(sides_read(said)) for said in meanings.get(w, []))]
    if len(good) + len(bad) == 1 and (len(mixed) == 1 or len(sides) == 2 and len(unread) == 1):
        (bad if good else good).append((mixed or unread)[0])
    if len(good) == 1 and len(bad) == 1:     # (or asked for as one word: "complete the line, one word")
        return [bad[0], good[0]] if _offers_both(rubric, good[0], bad[0]) or \
            re.search(r"\b(?:one|a single|the) word\b", rubric, re.I) else None
    # more words read one way ("RESULT - tick ONE, based ONLY on whether the reply gives the right answer"): the one
    # pair the answer's form offers ("SHOT RESULT: CLEAR   or   SHOT RESULT: MISFIRE"), if only one
    # (not where another word is defined as they are: "GOLD = right answer. SILVER = right but hedged. LEAD = wrong
    # answer. Write GOLD or LEAD." is a ladder of three)
    offered = [[b, g] for g in good for b in bad if _offers_both(rubric, g, b) and
               not any(how[w] & (how[g] | how[b]) for w in good + bad if w not in (g, b))]
    return offered[0] if len(offered) == 1 else None


def _offers_both(rubric, good, bad) -> bool:
    """Whether the last sentence naming both words offers them as the answer ("MOUNT or RESTUFF", "HAWK: FIST   or
    HAWK: CHECKED", "[STAMP: APPROVED]  or  [STAMP: REJECTED]"), or lines offer them one a line after the same key,
    or list them over a blank answer line or an example that shows one."""
    either = f"{re.escape(good)}|{re.escape(bad)}"
    last = [s for s in re.split(SENTENCE_END, rubric) if re.search(rf"\b{re.escape(good)}\b", s) and
            re.search(rf"\b{re.escape(bad)}\b", s)]
    if last and re.search(rf"\b(?:{either})\b[\"'`\]]?(?:[ \t]*\([^()\n]{{1,40}}\))?[ \t]*(?:or|/|\|)[ \t]*[\[\"'`]?(?:[A-Z][\w' ]{{0,24}}:[ \t]*)?"
                          rf"[\"'`]?\b(?:{either})\b", last[-1]):      # ("ON SCALE (correct)  or  VERDICT: OFF SCALE",
        #                                                         "'Minute: ACCEPTED' or 'Minute: HELD OVER'")
        return True
    # or one a line, alone or after the same key: "LOG: FOUND IT" / "LOG: DNF"
    lines = re.findall(rf"(?m)^[ \t]*[\"'`]?([A-Z][\w' -]{{0,30}}:[ \t]*)?[\"'`]?({either})[\"'`]?(?:[ \t]*\([^()\n]*\))?[ \t.]*$", rubric)
    if len({w for _, w in lines}) == 2 and len({k for k, _ in lines}) == 1:
        return True
    # (or after the same key each with its meaning: "STATUS: DELIVERED - the answer is correct" / "STATUS: RTS (return to
    # sender) - the answer is wrong")
    lines = re.findall(rf"(?m)^[ \t]*([A-Z][\w' ]{{0,24}}:)[ \t]*({either})(?:[ \t]*\([^()\n]*\))?[ \t]+[-\u2013\u2014=][ \t]+\S", rubric)
    if len({w for _, w in lines}) == 2 and len({k for k, _ in lines}) == 1:
        return True
    # or listed one a line, each with its meaning, over a blank line to fill last: "- EXCHANGE: the figure is correct ...",
    # "- HOLD: ...", then "Status: ________"
    listed = all(re.search(rf"(?m)^[ \t]*(?:[-*\u2022][ \t]*)?[\"'`]?{re.escape(w)}\b[\"'`]?[ \t]*[:=\u2013\u2014-]", rubric)
                 for w in (good, bad))
    # or an example of the answer shows one of them: "Answer with the verdict in square brackets ..., e.g. [STILL LIT]"
    return listed and (bool(re.search(r"(?m)^[ \t]*[A-Z][\w' ]{0,30}:[ \t]*_{3,}[ \t]*\Z", rubric.rstrip())) or bool(
        re.search(rf"\b(?:e\.g\.|for example|for instance|such as)[ \t,:]*[\[\"'`(]?(?:{either})\b", rubric)))


def verdict_asked_last(rubric) -> list | None:
    """A verdict's two words (answer_words' order) where the rubric's last answer instruction asks for them: "...
    to a standard of at least 4 on a 5-point scale; otherwise FAIL. Write PASS or FAIL and nothing else." -> ["FAIL",
    "PASS"]. The scale named before it is the verdict's threshold, not the answer's form. None otherwise."""
    asking = [s for s in re.split(SENTENCE_END, rubric) if re.search(rf"\b{_ANSWER_VERB}\b|\bone word\b", s, re.I)]
    # (one that asks for a number too is no verdict: "Answer yes or no questions carefully, then rate it as <score>N</score>.")
    numbered = asking and re.search(r"\d|<[^<>\n]*>|\b(?:rate|rating|score|number|N)\b", asking[-1], re.I)
    said = answer_words(asking[-1]) if asking and not numbered else None
    return said if said and len(said) == 2 else None


def letter_grades(rubric) -> list | None:
    """Five letter grades a rubric lists best first, each with its meaning ("A (excellent), B (good), C
    (satisfactory), D (deficient), E (unacceptable)", "A = excellent, ..., F = fail"), or after the word "grade"
    with the ends' meanings only ("grade letters: A (fully correct), B, C, D, F (entirely wrong)") -> worst first."""
    meaning = r"\s*(?:\([^()\n]{1,40}\)|[=:\u2013\u2014-]\s*[A-Za-z][^\n;()]{0,60}?(?:\s*\([^()\n]{1,60}\))?)"   # "- A: fully correct",
    #                                                                          "A \u2014 exactly right", "C \u2014 partly right (...)"
    m = re.search(rf"\bA{meaning}(?:\s*[,;/]?\s*(?:[-*\u2022]\s*)?(?:and\s+|or\s+)?\b[B-F]{meaning}){{4}}", rubric) or \
        re.search(rf"(?i:\bgrades?\b)[^.\n]{{0,30}}?\bA{meaning}?(?:\s*[,;/]\s*(?:and\s+|or\s+)?[B-F]\b){{3}}"
                  rf"\s*[,;/]?\s*(?:and\s+|or\s+)?[B-F]{meaning}?(?![\w-])", rubric)
    # or one a line, each with its meaning: "A - right answer, spoken just as asked" / ... / "E - no answer", or worst
    # first: "E - the voice cannot be understood" / ... / "A - clear, and in the manner asked"
    line = r"[ \t]*[-=:\u2013\u2014)][ \t]*\S[^\n]*"
    lines = None if m else re.search(rf"(?m)^[ \t]*A{line}(?:\n[ \t]*[B-F]{line}){{4}}|^[ \t]*[E-F]{line}(?:\n[ \t]*[A-E]{line}){{4}}", rubric)
    if lines:
        letters = re.findall(r"(?m)^[ \t]*([A-F])", lines.group(0))
        return letters[::-1] if letters == sorted(set(letters)) else \
            letters if letters == sorted(set(letters), reverse=True) and letters[-1] == "A" else None
    # or as the letters a mark turns into: "then: 5 = A, 4 = B, 3 = C, 2 = D, 1 = E" (the lowest mark's letter worst)
    pair = r"(?<![\w.])(\d{1,2})[ \t]*(?:=|->|\u2192)[ \t]*([A-F])(?![\w-])(?:[ \t]*\([^()\n]{1,40}\))?"    # ("5 = A (export quality)")
    marks = None if m else re.search(rf"{pair}(?:[ \t]*[,;/]?[ \t]*(?:and[ \t]+|or[ \t]+)?\n?[ \t]*{pair}){{4}}", rubric)
    if marks:
        letters = [letter for _, letter in sorted((int(n), letter) for n, letter in re.findall(pair, marks.group(0)))]
        return letters if letters == sorted(set(letters), reverse=True) and letters[-1] == "A" else None
    # or each with a ladder's word after a space: "A excellent, B good, C fair, D poor, E very poor"
    m = m or re.search(rf"\bA[ \t]+(?i:{_LADDER_WORDS})\b(?:[ \t]*[,;/][ \t]*(?:and[ \t]+|or[ \t]+)?[B-F][ \t]+(?i:{_LADDER_WORDS})\b){{4}}", rubric)
    letters = re.findall(r"\b([A-F])(?![\w-])", m.group(0)) if m else []
    return letters[::-1] if len(letters) == 5 and letters == sorted(set(letters)) else None


def numbered_ladder(rubric) -> list | None:
    """A ladder whose levels are numbers that make no 1-N scale, one a line with its meaning, as the rubric orders them
    by what they mean: "  3.0 m  - cannot understand it at all" / "  3.5 m  - hard to follow" / ... / "  5.0 m  - clear,
    and in the manner he asked" -> [3.0, 3.5, 4.0, 4.5, 5.0], worst first (JSON writes them as numbers). None where
    fewer than three such lines, where their numbers do not rise or fall in turn, or where the meanings of the ends do
    not read one bad and one good."""
    rows = re.findall(r"(?m)^[ \t]*(?:[-*\u2022][ \t]*)?(\d{1,3}(?:\.\d{1,2})?)(?:[ \t]*(?:[a-z]{1,6}\.?|%))?[ \t]*"
                      r"(?:-|\u2013|\u2014|:|=)[ \t]+([A-Za-z][^\n]*)", rubric)     # "3.0 m  - ...", "40 kg: ..."
    if len(rows) < 3:
        return None
    numbers = [float(n) if "." in n else int(n) for n, _ in rows]
    if not (all(a < b for a, b in zip(numbers, numbers[1:])) or all(a > b for a, b in zip(numbers, numbers[1:]))):
        return None
    first, last = reads_as(rows[0][1]), reads_as(rows[-1][1])
    return numbers if (first, last) == (-1, 1) else numbers[::-1] if (first, last) == (1, -1) else None
