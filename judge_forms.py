"""The answer forms a judge's rubric shows, each read on its own: whole answers listed to pick from, an answer line
shown to copy, a CSV row (the words a score is written in, a verdict's or a ladder's, are judge_levels.py's).

    import judge_forms
    judge_forms.answer_options("End with 'Winner: A' or 'Winner: B'.")          # ('Winner: ', ['A', 'B'])
    judge_forms.answer_template("Reply in the format: Score: <N>")              # ('Score: ', '<N>', '')
    judge_forms.csv_row("clip_id: vx_1\nOutput one CSV row, columns clip_id,score")   # ('vx_1,', 'N', '')

judge_rubric.answer_format weighs these against the rubric's other cues (tags, JSON keys, [[N]],
"Score: N" lines, a form's last "- Fluency:") and decides the one form to answer in; judge_choices reads which
clip a comparison's answers name. All of it is
heuristic: README, *Use your own judge prompt*, says how far it carries on prompts it was not
built from.

Deviations: none from the paper (it does not say how its judge reads a rubric).
"""
import os
import re


_ANSWER_VERB = r"(?:answer|respond|reply|output|return|write|say|state|verdict|label|decide|classify|print|choose|pick)\w*"
# what a rubric judges, never a verdict's labels: "volume, tone, pace", "pace, clarity or tone"
# where a sentence ends: a stop and a blank, or a line's end (not "No." before a number: "BOX No. 3  or  BOX No. 5")
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[Nn]o\.)\s+|(?<=\b[Nn]o\.)\s+(?!\d)|\n")
CRITERIA = {"volume", "loudness", "tone", "pace", "tempo", "speed", "pitch", "clarity", "intonation", "prosody", "fluency",
            "rhythm", "timing", "emotion", "expressiveness", "diction", "articulation", "pronunciation", "enunciation",
            "timbre", "warmth", "energy", "naturalness", "accuracy", "correctness", "completeness", "relevance",
            "helpfulness", "content", "delivery", "style", "manner", "grammar", "wording"}
# a whole answer that is the tie, however the rubric words it ("<winner>TIE</winner>", '"Board 1", "Board 2" or "Level"')
TIE_WORDS = r"tie|equal|same|neither|none|both|draw|level|even|dead heat|no (?:preference|difference)"


# An answer line shown as a template to copy: `score=<N>`, "**Score:** N", "Better response: <1 or 2>"
_PLACEHOLDER = re.compile(r"<[^<>\n]{1,40}>|<one of [^<>\n]{1,80}>|\{[^{}\n]{1,30}\}|\[[^\[\]\n]{1,30}\]|"     # "<one of DARK / ... / FULL BEAM>"
                          r"(?<![\w<\[{])(?:N{1,3}|X{1,3}|#|\?+|_+)(?![\w>\]}])|"
                          r"(?<![\w<\[{])(?:n{1,3}|x{1,3})(?=[ \t]*%)|"                 # "ACCURACY: n%", "ACCURACY: nn%"
                          r"(?<=[01]\.)(?<![\w.][01]\.)[nxNX]{1,2}(?!\w)|"               # a fraction's digits: "ACC=0.xx"
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
    ladder_rows = len(re.findall(r"(?m)^[ \t]*(?:[A-F]|\d{1,3})[ \t]*[=:\u2013-][ \t]*[A-Za-z]", rubric))
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
        if key and hole and ladder_rows >= 3 and re.match(r"(?:[A-F]|\d{1,3})[ \t]*[=:\u2013-][ \t]*[A-Za-z]", line):
            continue            # a ladder's row, one a line, "B = correct but said with hesitation or doubt": its words, no hole
        if key and hole and re.match(r"[ \t]+(?:x|\u00d7|\*)[ \t]+[A-Za-z(]", line[hole.end():]):
            continue            # a weight in a sum, "Together = 0.7 x ANSWER + 0.3 x VOICE": no hole
        if key and hole and not re.search(r"</|\"\s*:|\[\[", line):      # tags, JSON and [[N]] have their own styles
            if line[:hole.start()].strip() and re.search(rf"\b(?:or|/)\s+{re.escape(line[:hole.start()].strip())}", line[hole.start():]):
                continue        # "DEPONENT PREFERS EXHIBIT A  or  DEPONENT PREFERS EXHIBIT B": two whole answers, no hole
            if re.fullmatch(r"\[[ \t]*\]", hole.group(0)):         # "Result: [          ]": the value inside the box
                return line[:hole.start()] + "[", "", "]"
            out_of = re.fullmatch(r"(\[[ \t]*)?(\d{1,3}|[nNxX]{1,3})\s*(/\s*\d{1,3})((?(1)[ \t]*\]))", hole.group(0))   # "6/10"
            #                                                                                    shown, or "n/5", "nn/100"
            if out_of:                # "Delivery: 6/10" shown as an example: the value in place of the 6 ("OVERALL [n/10]": in its box)
                return line[:hole.start()] + (out_of.group(1) or ""), out_of.group(2), out_of.group(3) + out_of.group(4)
            if re.fullmatch(r"_+|[nxNX]{1,2}", hole.group(0)) and re.search(r"(?<![\w.])[01]\.$", line[:hole.start()]):
                return line[:hole.start() - 2], line[hole.start() - 2:hole.end()], ""      # "LEADING: 0.__", "ACC=0.xx": the
                #                                                                             fraction's place
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
