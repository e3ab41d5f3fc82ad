"""The answer forms a judge's rubric shows, each read on its own: the words it offers (a verdict's
two, a quality ladder's), whole answers listed to pick from, an answer line shown to copy, a CSV row.

    import judge_forms
    judge_forms.answer_words("Answer YES or NO.")                               # ['NO', 'YES']
    judge_forms.answer_options("End with 'Winner: A' or 'Winner: B'.")          # ('Winner: ', ['A', 'B'])
    judge_forms.answer_template("Reply in the format: Score: <N>")              # ('Score: ', '<N>', '')
    judge_forms.csv_row("clip_id: vx_1\nOutput one CSV row, columns clip_id,score")   # ('vx_1,', 'N', '')
    judge_forms.verdict_asked_last("... at least 4 of 5. Write PASS or FAIL.")    # ['FAIL', 'PASS']
    judge_forms.own_ladder("Worst to best: sour / cloudy / clear / fancy")          # ['sour', 'cloudy', 'clear', 'fancy']
    judge_forms.defined_verdict("GO = correct. STOP = wrong. Write GO or STOP.")  # ['STOP', 'GO']

judge_rubric.answer_format weighs these against the rubric's other cues (tags, JSON keys, [[N]],
"Score: N" lines, a form's last "- Fluency:") and decides the one form to answer in; judge_choices reads which
clip a comparison's answers name. All of it is
heuristic: README, *Use your own judge prompt*, says how far it carries on prompts it was not
built from.

Deviations: none from the paper (it does not say how its judge reads a rubric).
"""
import os
import re


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
_ANSWER_VERB = r"(?:answer|respond|reply|output|return|write|say|state|verdict|label|decide|classify|print|choose|pick)\w*"
# what a rubric judges, never a verdict's labels: "volume, tone, pace", "pace, clarity or tone"
CRITERIA = {"volume", "loudness", "tone", "pace", "tempo", "speed", "pitch", "clarity", "intonation", "prosody", "fluency",
            "rhythm", "timing", "emotion", "expressiveness", "diction", "articulation", "pronunciation", "enunciation",
            "timbre", "warmth", "energy", "naturalness", "accuracy", "correctness", "completeness", "relevance",
            "helpfulness", "content", "delivery", "style", "manner", "grammar", "wording"}
# a whole answer that is the tie, however the rubric words it ("<winner>TIE</winner>", '"Board 1", "Board 2" or "Level"')
TIE_WORDS = r"tie|equal|same|neither|none|both|draw|level|even|dead heat|no (?:preference|difference)"


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
# three words, or four in capitals: "OUT ON THE FULL - hard to make out"; a note after it: "GOAL (two flags)   - right")
_LEVEL_LINE = re.compile(r"[ \t]*+(?:[-*\u2022][ \t]*+)?\**([A-Za-z][\w'-]*(?: [A-Za-z][\w'-]*){0,2}|[A-Z][A-Z'-]*(?: [A-Z][A-Z'-]*){3})\**"
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
    word = r"[\"'`]?\b([A-Z][A-Z-]{1,15}(?: [A-Z][A-Z-]{1,15}){0,2})\b[\"'`]?"      # ("SIGNED OFF", "NO TRY")
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
    for m in re.finditer(rf"{word}[ \t]+otherwise\b", rubric):
        note(m.group(1), -1, 8)                 # "Verdict ON PARADE if ... good. Verdict DISMISSED otherwise."
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
    if len(good) + len(bad) == 1 and len(mixed) == 1:
        (bad if good else good).append(mixed[0])
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
    or list them over a blank answer line."""
    either = f"{re.escape(good)}|{re.escape(bad)}"
    last = [s for s in re.split(r"(?<=[.!?])\s+|\n", rubric) if re.search(rf"\b{re.escape(good)}\b", s) and
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
    return listed and bool(re.search(r"(?m)^[ \t]*[A-Z][\w' ]{0,30}:[ \t]*_{3,}[ \t]*\Z", rubric.rstrip()))


def verdict_asked_last(rubric) -> list | None:
    """A verdict's two words (answer_words' order) where the rubric's last answer instruction asks for them: "...
    to a standard of at least 4 on a 5-point scale; otherwise FAIL. Write PASS or FAIL and nothing else." -> ["FAIL",
    "PASS"]. The scale named before it is the verdict's threshold, not the answer's form. None otherwise."""
    asking = [s for s in re.split(r"(?<=[.!?])\s+|\n", rubric) if re.search(rf"\b{_ANSWER_VERB}\b|\bone word\b", s, re.I)]
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
    pair = r"(?<![\w.])(\d{1,2})[ \t]*(?:=|->|\u2192)[ \t]*([A-F])(?![\w-])"
    marks = None if m else re.search(rf"{pair}(?:[ \t]*[,;/]?[ \t]*(?:and[ \t]+|or[ \t]+)?\n?[ \t]*{pair}){{4}}", rubric)
    if marks:
        letters = [letter for _, letter in sorted((int(n), letter) for n, letter in re.findall(pair, marks.group(0)))]
        return letters if letters == sorted(set(letters), reverse=True) and letters[-1] == "A" else None
    # or each with a ladder's word after a space: "A excellent, B good, C fair, D poor, E very poor"
    m = m or re.search(rf"\bA[ \t]+(?i:{_LADDER_WORDS})\b(?:[ \t]*[,;/][ \t]*(?:and[ \t]+|or[ \t]+)?[B-F][ \t]+(?i:{_LADDER_WORDS})\b){{4}}", rubric)
    letters = re.findall(r"\b([A-F])(?![\w-])", m.group(0)) if m else []
    return letters[::-1] if len(letters) == 5 and letters == sorted(set(letters)) else None


# An answer line shown as a template to copy: `score=<N>`, "**Score:** N", "Better response: <1 or 2>"
_PLACEHOLDER = re.compile(r"<[^<>\n]{1,40}>|<one of [^<>\n]{1,80}>|\{[^{}\n]{1,30}\}|\[[^\[\]\n]{1,30}\]|"     # "<one of DARK / ... / FULL BEAM>"
                          r"(?<![\w<\[{])(?:N{1,3}|X{1,3}|#|\?+|_+)(?![\w>\]}])|"
                          r"(?<![\w<\[{])(?:n{1,3}|x{1,3})(?=[ \t]*%)|"                 # "ACCURACY: n%", "ACCURACY: nn%"
                          # "PINS: n" at the line's end or before its note ("TIERS: n   (n = 1 to 5)"), "DLV=n"
                          r"(?:(?<=[:=])|(?<=[:=][ \t]))[nx](?=[ \t]*(?:$|\())|"          # ("RATING: n   (0-10, whole number)")
                          r"(?<=[:=][ \t])(?:_+|[NnXx])(?=[ \t]*\])|"                     # "[FIDELITY: ____]", "[SCORE: N]"
                          r"(?<![\w<\[{])[nx](?=[ \t]*/[ \t]*\d|[ \t]+(?:of|out of|de)[ \t]+\d)|"   # "n/5", "CREW SCORE n of 7",
                          #                                                                        "HILOS: n de 7"
                          r"\((?:int|integer|number|score|digit)\)|"                  # AudioBench's "Rating: (int)"
                          r"(?<=[=:])\d\.\d{1,3}(?![\d.])|(?<=[=:] )\d\.\d{1,3}(?![\d.])|"      # "like score=0.50": the value's form
                          r"(?<![\w.])[xXnN]\.[xXnN]{1,3}(?![\w.])|"                    # "SAVE: x.xx"
                          r"\b\d{1,3}\s*(?:-|\u2013|/|\|)\s*\d{1,3}\b|\b\w+(?:\s*(?:/|\||\bor\b)\s*\w+)+(?![\w \t]*:)")   # (not "CLEAR or KEY:")
_TEMPLATE_KEY = re.compile(r"(?:\b|(?<=_))(?:score\w*|rating\w*|grade\w*|verdict\w*|winner\w*|better\w*|prefer\w*|choice\w*|"
                           r"result\w*|judg\w*|label\w*|mos|overall|final|correct\w*|decision\w*)\b", re.I)


def answer_options(rubric) -> tuple | None:
    """Whole answers listed to pick from, in quotes on one line ("Verdict: Response 1", "Verdict:
    Response 2", "Verdict: Tie"; or 'Better response: A', ...) -> (their shared start, [the options]) with two to four options."""
    for line in rubric.splitlines():
        quoted = [a or b or c for a, b, c in re.findall(r"[\"\u201c]([^\"\u201c\u201d\n]{1,60})[\"\u201d]|`([^`\n]{1,60})`|"
                                                        r"(?<!\w)'([^'\n]{1,60})'(?!\w)", line)]
        # the last two to four quoted ("the 'say it ...' instruction ... 'Winner: Maya' or 'Winner: Leo'")
        for listed in [quoted[-n:] for n in range(min(len(quoted), 4), 1, -1)]:
            start = os.path.commonprefix(listed)
            start = start[:start.rfind(": ") + 2 if ": " in start else start.rfind(" ") + 1]     # whole words
            rest = [q[len(start):].strip() for q in listed]
            single = re.search(r"(?<!\w)'[^'\n]{1,60}'(?!\w)", line)
            # single quotes name things in prose ("listen to 'Response A' and 'Response B'"): only whole answer lines
            asked = re.search(rf"\b{_ANSWER_VERB}\b", line[:line.find(listed[0])], re.I)     # "Answer with just 'Take 1' or 'Take 2'"
            # (two names given, not offered: 'one clipped to each line: "Lunge 1" and "Lunge 2"')
            named = re.search(rf"[\"\u201d][ \t]+and[ \t]+[\"\u201c]{re.escape(listed[-1])}", line) and not asked
            if start.strip() and all(rest) and len(set(rest)) == len(rest) and (not single or start.endswith(": ") or asked) \
                    and not named:
                return start, rest
            # the tie in its own words after two that share a start: "Answer `Take 1` or `Take 2`, or `No preference`"
            tied = len(listed) == 3 and re.fullmatch(TIE_WORDS, listed[2], re.I)
            shared = os.path.commonprefix(listed[:2])
            ending = os.path.commonprefix([listed[0][::-1], listed[1][::-1]])[::-1]       # "A is better" / "B is better"
            if tied and (re.fullmatch(r"[A-Za-z]+ ", shared[:shared.rfind(" ") + 1]) or re.fullmatch(r" [a-z][\w ]{2,20}", ending)
                         or re.fullmatch(r"[A-Za-z]+[_-]", shared)) \
                    and (not single or asked):
                return "", listed
    # unquoted, each a line's start and one word: "verdict=A | verdict=B | verdict=TIE" on one line, or under
    # "in the form:" one a line ("Preferred response: A" / "or" / "Preferred response: B")
    lines = [re.sub(r"^or\s*:\s*", "", line.strip(), flags=re.I) for line in rubric.splitlines()      # "or: Verdict: incorrect"
             if line.strip() and line.strip().lower() != "or"]
    # (a line is over the next only with no blank line between: not two clips' labels, "Model identifier: m" / (audio) /
    # "Model identifier: M", whose texts are joined by a blank line)
    kept = [line for line in rubric.splitlines() if line.strip().lower() != "or"]
    apart = [not (kept[k + 1].strip() if k + 1 < len(kept) else "") for k, line in enumerate(kept) if line.strip()]
    # and, after them, a paragraph's last sentence on its own: "... A step passes only when ... Write exactly one
    # line: RESULT: PASS or RESULT: FAIL." (its other sentences' commas would count as more options)
    own_lines = len(lines)      # (the rubric's own lines; the sentences after them are no lines below one)
    lines += [said[-1] for said in (re.split(r"(?<=[.!?])\s+", line) for line in lines) if len(said) > 1]
    for i, line in enumerate(lines):
        # a note after an answer left out: "Pick: Neither (if they are equally good)"
        # and a condition after the tie: "VERDICT: EQUAL if they are equally good"
        # ("Result: A / Result: B / Result: LEVEL", "Catch goes to: YELLOW  (or)  Catch goes to: WHITE")
        pieces = [re.sub(r"\s*\([^()\n]{1,60}\)|\s+(?:if|when)\s[^,.:]*\.?$", "", p).strip(" \t.`*\u2014\u2013")   # "X  \u2014 or \u2014  Y"
                  for p in re.split(r"\s*,\s*(?:or\s+)?|\s+(?:\||or|/|\(or\))\s+", line)]
        below = lines[i + 1] if i + 1 < len(lines) and not (i < len(apart) and apart[i]) else ""
        shared = below[:below.rfind(" ") + 1]             # "Write one line: Verdict: correct" over "Verdict: incorrect"
        if len(pieces) < 2 and ":" in shared and shared in line and re.fullmatch(r"\w+", line.rsplit(shared, 1)[1]):
            pieces = [line, below]
        elif len(pieces) < 2 and i and re.search(r"(?::|\b(?:as|like|form|format))\s*$", lines[i - 1], re.I):
            pieces = [x.strip(" \t.`*") for x in lines[i:min(i + 3, max(own_lines, i + 1))]]
        last = pieces[-1]             # the shared start, read off the last answer: "Preferred: Response 2" -> "Preferred: Response "
        # (or, where the answers differ in more than their last word, its key: "CALL: GOOD BIRD" / "CALL: NO BIRD")
        for start in dict.fromkeys([last[:max(last.rfind(": ") + 2, last.rfind("=") + 1, last.rfind(" ") + 1)],
                                    last[:last.rfind(": ") + 2]]):
            if ":" not in start and "=" not in start or len(start) > 40 or re.search(r"[?!.]\s", start):
                continue            # (not a sentence's: "... I just need to know: is the sum CORRECT? Please answer YES or NO")
            # the first may follow its sentence: "Your final line must read: Preferred: Response 1", and that sentence's
            # commas are not answers: "After the two checklists, finish with one line ...: FINAL: A, FINAL: B or FINAL: TIE"
            found = pieces[next((k for k, p in enumerate(pieces) if start in p), 0):]
            found[0] = found[0][found[0].rfind(start):] if start in found[0] else found[0]
            run = [p[len(start):] for p in found if p.startswith(start)]
            run = run[:next((k for k, p in enumerate(run) if not re.fullmatch(r"\w+(?:[ -]\w+)?", p)), len(run))]   # "Pick: Take 1", "BIDDER-1"
            if 2 <= len(run) <= 4 and len(set(run)) == len(run) and len(run) == min(len(found), 4) - (len(found) > 4):
                return start, run
    return None


def input_heading(name) -> bool:
    """Whether a name is one an input goes under ("Question", "Transcript", "Reference answer"), not an answer's."""
    return bool(re.fullmatch(r"(?:the )?(?:user'?s? |model'?s? )?(?:question|instruction|prompt|request|query|input|transcript\w*|"
                             r"response|reply|answer|reference(?: answer)?|context|conversation)", name.strip(), re.I))


def _bracketed_template(rubric) -> tuple | None:
    """A key and its value inside square brackets, shown as the form: "in this exact form: [QA=n]", "like [DELIVERY 4]"
    -> ("[QA=", "n", "]"); None otherwise."""
    m = re.search(r"\b(?:form|format|like|as|e\.g\.)\b[^\n\[]{0,30}?(\[[ \t]*[A-Za-z][A-Za-z ]{0,20}?[ \t]*(?:=|:|[ \t])[ \t]*)"
                  r"([nNxX]|\d{1,3})([ \t]*\])", rubric)
    return (m.group(1), m.group(2), m.group(3)) if m else None


# words that end an answer line and are no unit of its value ("Score: N please")
_NOT_UNITS = {"please", "only", "thanks", "ta", "here", "then", "now", "max", "maximum", "total", "overall", "or", "and"}


def answer_template(rubric) -> tuple | None:
    """The answer line a rubric shows to copy, as (before, placeholder, after): from inline code,
    a fenced block, quotes, or the line after "format:" / "exactly:" / "like this:". It names what it
    holds (score, rating, verdict, better, ...) and leaves a placeholder for the value; None if none."""
    # (line, whether it was introduced as the answer's form: then it need not name what it holds)
    bracketed = _bracketed_template(rubric)
    if bracketed:
        return bracketed
    angled = re.search(r"\b(?:e\.g\.|like|for example|such as)[ \t,:]*(<<|\{\{)[ \t]*(\w{1,8})[ \t]*(>>|\}\})", rubric, re.I)
    if angled:                                 # "the voice number inside double angle brackets ..., e.g. <<1>>"
        return angled.group(1), angled.group(2), angled.group(3)
    shown = [(line, False) for block in re.findall(r"```[^\n]*\n(.*?)```", rubric, re.S) for line in block.splitlines()[:6]]
    shown += [(x, False) for x in re.findall(r"`([^`\n]{1,80})`", rubric)]
    # (a quoted line the order names as a line to write is introduced: 'Fill in the form by writing the line "Accuracy (1-5): n"')
    shown += [(m.group(1) or m.group(2), bool(re.search(r"\b(?:(?:the|this|that|one|a) line|writing|(?:end|finish|conclude) with)[ \t]*\Z",
                                                        rubric[max(0, m.start() - 40):m.start()], re.I)))
              for m in re.finditer(r"[\"\u201c]([^\"\u201c\u201d\n]{1,80})[\"\u201d]|(?<!\w)'([^'\n]{1,80})'(?!\w)", rubric)]
    cue = (r"\bexactly (?:like|as)\s*(?=\n|[`\"\u201c])|\b(?:in|of) the form[ \t]*(?=\n)|\b(?:format|exactly|as follows|template|in the form|of the form|formatted as|like this|as|"
           r"(?:one|a|a single|the last|the final|that|this) line(?: back)?|(?:on )?a line of its own|must be|should be|(?:the|this) sentence|by writing|"
           r"write|enter|log line|(?:log|record|enter|write|put) (?:it|this|that)(?: down)?)\s*:|"      # "Write: ACCURACY: n%", "Log line: ..."
           # an order in the writer's words that ends in a colon: "Return the line:", "Write only:", "Enter in LIMS format,
           # integer with % sign, nothing else:" (not a quoted example's colon, not "as CALL:" whose colon is the line's key,
           # and only with a line break or a short line after it: not "Form check on the ANSWER only: is what it said ...")
           # (a verb, not a noun after whose it is: "Till helper's answer (no print-out, recording only):")
           r"(?<!'s )(?<!s' )(?<!\bits )(?<!\bthe )\b(?:write|writing|return|record|enter|give|put|reply|answer|respond|output|send|log|"
           r"fill in|complete|use)\b(?=[^:\n]{0,80}\b(?:only|just|line|form|format|this|slips?|back|below|following|nothing (?:else|more)|ticket|sheet|card|tag|box|"
           r"score|mark|grade|rating|verdict|result)\b)"       # "Enter the score:"
           r"[^:\n`\"\u201c]{0,80}(?<!(?-i:[A-Z]{2})):(?=[ \t]*\n|[^\n]{1,60}(?:\n|$))|"
           r"\b(?:one|a single) line\b[^:\n`\"\u201c]{0,40}(?<!(?-i:[A-Z]{2})):(?=\s)|"      # "One line back for the file, please:"
           #                                                              (not "one line in the form FIT:", the line's own key)
           # a line whose key is in capitals after "as", "in the form": "as SENSORY: <word>", "in the form RESOLVED: that <...>"
           r"\b(?:(?:in|of) the form|as|fill in|fill out|complete)[ \t]+(?=(?-i:[A-Z][A-Z0-9 ]{1,30})[:=])|"
           # or any key with a blank after "written as", "a single line,": "written as  Mark: n/10", "a single line,  Mark = <value>"
           r"\b(?:(?:written|given|set out|formatted|typed) as|(?:one|a single) line,)[ \t]+"
           r"(?=(?-i:[A-Z])[\w ]{0,20}?[ \t]*[:=][ \t]*(?:<|_|[nNxX]\b))|"
           r"\b(?:fill in|fill out)[ \t]*:|\b(?:reply|answer|respond) with[ \t]*:|"           # "Reply with: SOUND: n/10"
           r"\b(?:fill (?:in )?|complete )(?:the|this) (?:box|field|blank|gap|line)[ \t]*(?::|[-\u2013](?=[ \t]))|"   # "Fill the box:
           #                                                       PEGS IN: n/10", "Complete the field - RATING: n"
           r"\b(?:answer|reply|return|output)[ \t]*:(?=[ \t]*\S[^\n:=]{0,30}[:=])|"   # "Answer: BARREL: <grade>" (not "... of its
           #                            reply: are they correct and complete? ... claps, 1 to 5:")
           r"\b(?:record|log|mark)[ \t]*:(?=[ \t]*[A-Za-z][^\n:]{0,30}:[ \t]*(?:<|_|[nNxX]\b))|"   # "Record: SoC: <number>%" (a blank
           #                                                                  to fill, not "Record: WINNING CONTROL: 31 / 47 / LEVEL")
           r"\b(?:put|write|enter|log|record) it as[ \t]+(?=(?-i:[A-Z][A-Z0-9 ]{1,30})[ \t]+[nNxX_<])|"     # "put it as CREW SCORE n of 7"
           r"\b(?:send|give|write|put)\b[^:\n]{0,40}\bline,?[ \t]+like[ \t]*(?=\n)|"     # "just send me back the one line, like" / "RUNGS: 4"
           r"\b(?:(?<!\band )(?<!\bor )(?<!\bis )(?<!\bare )(?<!\bbe )complete|fill in|fill out)\b[^:\n]{0,200}:[ \t]*(?=\n)|"
           #                                   (the verb, not "are they correct and complete? ... claps, 1 to 5:")
           r"(?m:^[ \t]*#{1,6}[ \t]*(?:please[ \t]+)?(?:complete|fill in|fill out)\b[^:\n]{0,80}$)")
    # ("Please complete this line ..., writing 1 or 2 in the gap:", a heading "## Fill in this line and return only it")
    for m in re.finditer(cue, rubric, re.I):          # the rest of the line, or the lines below a cue that ends one
        rest = rubric[m.end():m.end() + 400].lstrip(" \t")     # a bounded look: not a copy of the rest per cue
        # (an order's colon that is the line's own key: "Reply with just the mark, written as  Mark: n/10")
        own_key = re.search(r"\b(?:as|like)[ \t]+((?-i:[A-Z])[\w ]{0,20}?[ \t]*:)\Z", m.group(0))
        rest = own_key.group(1) + " " + rest if own_key and not rest.startswith("\n") else rest
        # (the lines below, to a blank line: not the paragraph after an input, "We put this to it in writing:" / "  Repeat
        # after me: ..." / "Its read-back:" / "" / "Mark the read-back ... whole and correct? ... the pace or the tone")
        lines = rest.split("\n", 1)[:1] if not rest.startswith("\n") else re.split(r"\n[ \t]*\n", rest.lstrip("\n"))[0].split("\n")[:4]
        shown += [(x.strip("\"'`"), True) for x in lines if x.strip()]
    # (not a likeness: "like I judge the rhythm of the men - not if the number is right or wrong")
    examples = re.findall(r"\blike\s+(?!(?:I|we|you|he|she|they)\s)((?:[^\n.?!]|\.(?=\d)){1,80})", rubric, re.I)      # to the sentence's end
    shown += [(x, False) for x in examples]
    # a line that is only a key and its blank: "ACCURACY: ___%" (under "Fill in the one line below ..."), "DELIV. __/10"
    shown += [(x, True) for x in re.findall(r"(?m)^[ \t]*([A-Z][A-Za-z %]{1,30}[:.][ \t]*(?:_{2,}[ \t]*(?:%|/[ \t]*\d{1,3})?|"
                                            r"_[ \t]*(?:%|/[ \t]*\d{1,3})|[nNxX]{1,2}[ \t]*(?:%|/[ \t]*\d{1,3})))[ \t]*$", rubric)]
    #                                               ("Pair mark: _/5", "DELIVERY %: ___", "Cheer rating: n%" under "Tick-box line:")
    shown += [(x, False) for x in re.findall(r"(?<![\w<])[A-Za-z]\w{0,20}=<[^<>\n]{1,30}>", rubric)]     # "... of the form OVERALL=<score>"
    shown.sort(key=lambda c: not _TEMPLATE_KEY.search(c[0]))     # a line that names what it holds first
    for line, introduced in shown:
        line = line.strip()
        # (an order before the line's own key is not part of it: "Please write only: CLAPS: n")
        line = re.sub(r"^(?i:(?:please[ \t]+)?(?:write|put|enter|give|answer|reply|log|record|return|send)\b[^:\n]{0,30}:[ \t]+)"
                      r"(?=[A-Za-z][^:\n]{0,30}[:=])", "", line)
        named = re.match(r"[\W_]*([A-Za-z][\w .']{0,20}?)\s*[:=]\s*(?=<[^<>\n]{1,30}>)", line)    # "CA=<score>", "ITEM 4.2: <score>",
        #                                                                                        "Tonight's voice: <word>"
        named = named if named and not input_heading(named.group(1)) else None       # not "Question: <question>"
        key = named or _TEMPLATE_KEY.search(line) or \
            (re.match(r"[\W_]*(?:\d{1,4}[ \t]+)?[A-Za-z][\w .-]{0,30}?(?:[ \t]*%|[ \t]*\([^()\n]{1,12}\)|[ \t]*/[ \t]*\d{1,3})?(?:\*\*|__)?(?:\s*[:=]|\.(?=[ \t]))|"
                      r"[\W_]*[A-Z][A-Z0-9]*(?: [A-Z0-9]+){0,3}(?=[ \t]+(?:[nNxX]|_+|<[^<>\n]{1,30}>)(?:[ \t]*/[ \t]*\d{1,3})?(?:\W|$))|"
                      r"[\W_]*[A-Z][A-Z0-9]*-(?=<[^<>\n]{1,30}>)",       # a code: "LL-<mark>"
                      line) if introduced else None)
        # ("0315 CHECK:", "DELIV. n/7", a key in capitals with no colon: "NETT MARK n/10")
        key = None if key and not named and introduced and re.fullmatch(
            r"(?i)question|prompt|query|request|transcript|reference(?: answer)?", key.group(0).strip(" \t*_:=")) else key   # not "Question: <...>"
        # (searched from the key's end: a box round the whole line is not the hole, "[FIDELITY: ____]")
        holes = list(_PLACEHOLDER.finditer(line, key.end())) if key else []
        # a range in the key's parenthesis is not the hole: "`Delivery score (0-10): <n>`"
        hole = next((m for m in holes if line[m.start() - 1:m.start()] != "(" or len(holes) == 1), None)
        number = re.match(r"[ \t]*(?:[:=|][ \t]*)?(\d{1,3})(?![\w.])", line[key.end():]) if key and not hole and line in examples else None
        if number:              # "like | Score | 7 |": the example's number is the value's place, what closes the row kept
            start, end = key.end() + number.start(1), key.end() + number.end(1)
            return line[:start], number.group(1), line[end:] if re.fullmatch(r"[\s|*`]*", line[end:]) else ""
        if key and hole and len(re.findall(r"(?:^|[/|:,(])[ \t]*\d{1,2}[ \t]*=?[ \t]*[A-Za-z]", line)) >= 3:
            continue            # a scale's anchors in a row, "ANSWER 1-5: 5 correct and complete / 4 correct but unsure / 3 ...",
            #                     "words mark 1-5 (5 all correct, 4 correct but unsure, 3 one word wrong or missing, ...": no hole
        if key and hole and re.match(r"[ \t]+(?:x|\u00d7|\*)[ \t]+[A-Za-z(]", line[hole.end():]):
            continue            # a weight in a sum, "Together = 0.7 x ANSWER + 0.3 x VOICE": no hole
        if key and hole and not re.search(r"</|\"\s*:|\[\[", line):      # tags, JSON and [[N]] have their own styles
            if line[:hole.start()].strip() and re.search(rf"\b(?:or|/)\s+{re.escape(line[:hole.start()].strip())}", line[hole.start():]):
                continue        # "DEPONENT PREFERS EXHIBIT A  or  DEPONENT PREFERS EXHIBIT B": two whole answers, no hole
            if re.fullmatch(r"\[[ \t]*\]", hole.group(0)):         # "Result: [          ]": the value inside the box
                return line[:hole.start()] + "[", "", "]"
            out_of = re.fullmatch(r"(\[[ \t]*)?(\d{1,3}|[nNxX])\s*(/\s*\d{1,3})((?(1)[ \t]*\]))", hole.group(0))   # "6/10" shown, or "n/5"
            if out_of:                # "Delivery: 6/10" shown as an example: the value in place of the 6 ("OVERALL [n/10]": in its box)
                return line[:hole.start()] + (out_of.group(1) or ""), out_of.group(2), out_of.group(3) + out_of.group(4)
            if re.fullmatch(r"_+", hole.group(0)) and re.search(r"(?<![\w.])[01]\.$", line[:hole.start()]):
                return line[:hole.start() - 2], line[hole.start() - 2:hole.end()], ""      # "LEADING: 0.__": the fraction's place
            prefix = re.search(r"(?<![\w-])([A-Za-z]+)[ \t]+$", line[:hole.start()])
            if prefix and re.fullmatch(r"\w+(?:[ \t]*[/|][ \t]*\w+)+", hole.group(0)):
                # "RESOLVED: that Recording 1 / Recording 2 / neither": options that share the word before the hole
                word = re.escape(prefix.group(1))
                whole = re.compile(rf"{word}[ \t]+\w+(?:[ \t]*[/|][ \t]*(?:{word}[ \t]+\w+|\w+))+", re.I).match(line, prefix.start(1))
                if whole and len(re.findall(rf"(?:^|[/|])[ \t]*{word}[ \t]", whole.group(0), re.I)) >= 2:
                    return line[:prefix.start(1)], whole.group(0), ""
            # what closes the value ("/10", "**"), not the sentence's tail ("and nothing else")
            after = re.match(r"[ \t]*(?:/|of|out of|de)[ \t]*\d{1,3}\b|[^\s\w]*(?:\d+[^\s\w]*)?", line[hole.end():]).group(0)  # "__ / 10",
            #                                                                                           "n of 7" too
            # (or a unit that ends the line: "JUMP: ___ ft", "SCORE: N pats"; not "Score: N please")
            unit = re.fullmatch(r"[ \t]+([a-z]{1,8})\.?[ \t]*", line[hole.end():])
            after = unit.group(0).rstrip(" \t.") if not after and unit and unit.group(1) not in _NOT_UNITS else after
            return line[:hole.start()], hole.group(0), after.rstrip(".,;")
    # an example answer that is a number with its unit: "Tell me how many sacks, like '3 sacks'", "e.g. "4 stars""
    unit = re.search(r"\b(?:like|e\.g\.?,?|such as|for (?:example|instance),?)[ \t]*[\"'\u201c](\d{1,3})"
                     r"([ \t]+[A-Za-z]+(?:[ \t][A-Za-z]+){0,3}(?:[ \t]\d{1,3})?)[\"'\u201d]|"      # "3 lemons out of 5" too
                     r"\b(?:like|e\.g\.?,?|such as|for (?:example|instance),?)[ \t]*[\"'\u201c]?(\d{1,3})(%)", rubric, re.I)   # "like 40%"
    return ("", unit.group(1) or unit.group(3), unit.group(2) or unit.group(4)) if unit else None


def csv_row(rubric) -> tuple | None:
    """A CSV answer row as a template (before, placeholder, after), or None. Its columns are named after "CSV"
    ("one CSV row with the columns clip_id,overall_score", "a header line `id,answer_accuracy`"); a column whose
    value the rubric gives ("clip_id: vx_0193", "The clip_id for this item is vb-0417", an "- id: r-1" field) is
    written as given, and the one column left holds the score. The header line comes first where one is asked for."""
    order = re.search(r"\bCSV\b", rubric)
    if not order:
        return None
    after = rubric[order.end():order.end() + 300]
    names = r"([A-Za-z_][\w-]{0,30}(?:,[ \t]?[A-Za-z_][\w-]{0,30}){1,7})"
    tight = names.replace("[ \\t]?", "")           # "clip_id,overall_score" in prose: no blank after its commas
    named = re.search(rf"\bcolumns?\b[ \t:]*[`\"']?{names}|`{names}`|(?<![\w,]){tight}(?![\w,])", after, re.I)
    if not named:
        return None
    columns = [c.strip() for c in next(g for g in named.groups() if g).split(",")]
    values = []
    for column in columns:
        given = re.search(rf"(?im)^[ \t]*(?:-[ \t]*)?{re.escape(column)}[ \t]*[:=][ \t]*[`\"']?((?=[\w.-]*\d)[\w.-]+)|"
                          rf"\b{re.escape(column)}\b(?: for this (?:item|clip|row|sample|recording))? is:?"
                          rf"[ \t]*[`\"']?((?=[\w.-]*\d)[\w.-]+)",
                          rubric)
        values.append((given.group(1) or given.group(2)).rstrip(".") if given else None)
    if values.count(None) != 1:
        return None
    k = values.index(None)
    header = re.search(r"\bheader\b", after, re.I) and not re.search(r"\b(?:no|without|omit\w*|skip\w*|exclud\w*)\b[^.\n]{0,15}\bheader",
                                                                   after, re.I)
    before = (",".join(columns) + "\n" if header else "") + "".join(f"{v}," for v in values[:k])
    return before, "N", "".join(f",{v}" for v in values[k + 1:])
