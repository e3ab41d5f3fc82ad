"""What a judge's rubric asks for, as an LLM judge reads it: the answer's form, on the scale judge_scale.py reads.

    import judge_rubric
    fmt = judge_rubric.answer_format("Reply as <score>N</score>.")              # style, slots, scale, ...
    text = judge_rubric.render(fmt["style"], justification, [(slot, value), ...])

judge_request.py finds the rubric in a request (the system messages and the user text outside
the inputs); this file reads it, but for its axis (judge_axis.py: semantic, acoustic or
holistic), with the answer forms judge_forms.py reads one by one (listed answers, a line to copy,
a CSV row) and the words judge_levels.py reads (a verdict's, a ladder's, letter grades). The answer takes the form the rubric names (<score>, one tag per aspect such as
<score-semantic> or <content_score>, any tag shown empty, JSON {"score": N} or the keys it
lists, "Score: N" or "Score: N/10", [[N]], "[RESULT] N", a form's last "- Fluency:", just the
number, "Output (a)", an answer line shown to copy such as `score=<N>` or "Better response: <1
or 2>", answers listed in quotes), on its scale (judge_scale.py), or in its words (a YES / NO
verdict, a ladder such as Excellent / Good / Fair / Poor); where it shows none, the value alone
(`bare_default`, as judge_request asks for others' requests that show no tag anywhere), else ours
(<justification> and <score>). All of this is heuristic: README, *Use your own judge prompt*, says how far it carries
on prompts it was not built from.

Deviations: none from the paper (it does not say how its judge reads a rubric).
"""
import json
import re

from judge_axis import axis_of_words
from judge_forms import CRITERIA, TIE_WORDS, answer_options, answer_template, csv_row, input_heading
from judge_levels import LADDER, VERDICTS, answer_words, defined_verdict, letter_grades, numbered_ladder, reads_as, verdict_asked_last
from judge_scale import converted_marks, named_scale

PAIR_AXES = {"helpfulness": "semantic", "naturalness": "acoustic", "overall": "holistic"}
PAIR_NAMES = {axis: name for name, axis in PAIR_AXES.items()}     # semantic -> helpfulness, ...


def keyed_levels(options, levels) -> str | None:
    """The key two verdict words are written after where the rubric lists both as whole lines to pick from
    (answer_options' (shared start, [the rest])): ("DRUM MAJOR'S SIGNAL: HORNS ", ["UP", "DOWN"]) with levels
    ["HORNS DOWN", "HORNS UP"] -> "DRUM MAJOR'S SIGNAL: "; None unless both lines are the key and a level."""
    if not options or len(options[1]) != 2:
        return None
    whole = [options[0] + rest for rest in options[1]]
    keys = {line[:len(line) - len(level)] for line in whole for level in levels if line.lower().endswith(level.lower())}
    key = keys.pop() if len(keys) == 1 else ""
    return key if key.rstrip().endswith((":", "=")) and all(any(line.lower().endswith(lv.lower()) for line in whole)
                                                           for lv in levels) else None


def line_key(rubric, levels) -> str | None:
    """The key both of a verdict's words open a line after, where it is one and the same: "STATUS: DELIVERED - the
    answer is correct" / "STATUS: RTS (return to sender) - the answer is wrong" -> "STATUS: "; None otherwise."""
    keys = [{m.group(1).strip() for m in re.finditer(rf"(?m)^[ \t]*([A-Z][\w' ]{{0,24}}:)[ \t]*{re.escape(level)}(?![\w-])", rubric)}
            for level in levels]
    return keys[0].pop() + " " if all(len(k) == 1 for k in keys) and len(set.union(*keys)) == 1 else None


def answer_format(rubric, pairwise=False, bare_default=False) -> dict:
    """How the rubric asks to be answered -> {"style": "tag" | "json" | "brackets" | "line" |
    "result" | "bare" | "option", "slots": [(name, axis or None)], "scale": (lo, hi), "tie":
    word}, with "labels" where a verdict names its own ([[1]] / [[2]]) and "suffix" where a line
    writes its range ("Score: X/10"). A slot is one value to write (several for a rubric asking
    one score per aspect); None = the rubric's axis. The cues are read first, each by its own
    function below; then the first answer form found, in the order of the chain, wins. With none found,
    `bare_default` answers the value alone (what a writer who never saw our tags expects), else in our tags."""
    want = r"choice|winner|prefer\w*|better|verdict|decision" if pairwise else r"score\w*|rating\w*|grade\w*"
    named = None if pairwise else named_scale(rubric)
    # a placeholder that gives the range: '{"overall": <integer 0-100>}'
    hole_range = re.search(r"<(?:integer|int|number|score|value)?[ \t]*(\d{1,3})[ \t]*(?:-|\u2013|to)[ \t]*(\d{1,3})[ \t]*>", rubric)
    named = named or (named_scale(f"scale {hole_range.group(1)}-{hole_range.group(2)}") if hole_range and not pairwise else None)
    fmt = {"scale": named or (1, 5), "tie": "tie"}
    rubric = rubric.replace("\u2018", "'").replace("\u2019", "'")        # ‘'1'’: quotes as straight ones
    rubric = rubric.replace('\\"', '"')      # a JSON string's quotes: '"output": "{\\"winner\\": \\"first\\" | ...}"'
    template, options = answer_template(rubric), answer_options(rubric)
    fraction = re.search(r"\b(?:like|as|e\.g\.?,?|such as|format|form)\s+[\"'`\u201c]?(?:\d{1,3}|N|X|<[A-Za-z ]{1,12}>)\s*"
                         r"(/|out of)\s*(\d{1,3})\b", rubric, re.I)  # "as N/10", "as <number>/100", "as '<N> out of 10'"
    template = template or (fraction and ("", "N", f"/{fraction.group(2)}" if fraction.group(1) == "/" else
                                          f" {fraction.group(1)} {fraction.group(2)}"))
    if asks_answer_alone(rubric):
        fmt["alone"] = True
    levels = None if pairwise else score_levels(rubric, template, named)
    converted = None if pairwise or levels else converted_marks(rubric)
    # or a ladder of numbers that make no scale: "3.0 m - cannot understand it" / ... / "5.0 m - clear, as asked"
    converted = converted or (None if pairwise or levels or named else numbered_ladder(rubric))
    if converted:       # "then 1 -> 0, 2 -> 3, 3 -> 5, 4 -> 8, 5 -> 10": the mark written as the number it turns into
        #                 (or as the ladder's number)
        fmt["scale"], levels = (converted[0], converted[-1]), [str(v) for v in converted]    # (as text for the patterns below)
    if levels:
        fmt["levels"] = converted or levels         # the value is one of these words or numbers (rescale; JSON keeps 0.75 a number)
    words = listed = conditioned = None
    if pairwise:                        # the verdict's own labels and tie, as the rubric spells them
        verdict, words, listed, conditioned = pair_verdict(rubric)
        fmt.update(verdict)
    tags = answer_tags(rubric, want, pairwise)
    keys, spec = json_keys(rubric, want, pairwise)
    lines = answer_lines(rubric, want, pairwise)
    # "Answer with `1`, `2`, or `same`, on a line starting with "Better:"": that line, whatever the answer's words
    starting = re.search(r"\bline (?:starting|beginning) with [\"'`\u201c]([A-Za-z][\w ]{0,20}?)[ \t]*:", rubric, re.I) or \
        re.search(r"\b(?:write|put|type|start with|begin with|(?<=line, )as|(?<=line )as)[ \t]+[\"'`\u201c]?((?-i:[A-Z])[\w ]{0,20}?)[ \t]*:[\"'`\u201d]?"
                  r"[ \t]+(?:followed by|and then|then)\b", rubric, re.I)      # "Write FIRST ACROSS: followed by Lane 3, ..."
    # a form's last line left for the judge to fill in, as G-Eval's "- Fluency:"
    # (not a clip's label left after its clip: "Box answered:")
    form = re.search(r"(?:\n|\A)[ \t]*+-?+[ \t]*+((?![A-Za-z ]*\b(?:answered|replied|responded|said|asked)\b)"
                     r"[A-Z][A-Za-z ]{1,30}?(?: \([^()\n]{1,20}\))?)[ \t]*:[ \t]*\Z", rubric.rstrip(" \t"))
    option = re.search(r"[\"\u201c]([A-Z][a-z]+) \(a\)[\"\u201d]|\b([A-Z][a-z]+) \(a\) or \2 \(b\)", rubric)    # "Output (a)"
    csv_template = None if pairwise else csv_row(rubric)
    # "Send back just that one table row with the Score cell filled in": the table's row, its empty last cell filled
    row = re.search(r"(?m)^([ \t]*\|(?:[^|\n]+\|){2,12}[ \t]*)\|[ \t]*$", rubric) if re.search(
        r"\b(?:send|give|hand|write) (?:it )?back\b[^.\n]{0,40}\brow\b|\b(?:return|reply with|output)\b[^.\n]{0,30}\b(?:table )?row\b",
        rubric, re.I) else None
    if row and not pairwise:
        fmt.update(style="template", slots=["value"], template=(row.group(1).rstrip() + " ", "", " |"), alone=True)
    elif csv_template:                                   # "vx_0193,3": the row and nothing else
        fmt.update(style="template", slots=["value"], template=csv_template, alone=True)
    elif tags:
        fmt.update(style="tag", slots=tags)
        shown_values = list(dict.fromkeys(re.findall(rf"<{re.escape(tags[0])}>\s*(\w+)\s*</{re.escape(tags[0])}>", rubric)))
        ties = [v for v in shown_values if re.fullmatch(TIE_WORDS, v, re.I)]
        if pairwise and ties and len(shown_values) == 2:      # "e.g. <winner>Aria</winner>, or <winner>TIE</winner>": one example
            fmt["tie"] = ties[0]
        elif pairwise and 2 <= len(shown_values) <= 3 and not fmt.get("labels"):     # "<preferred>first</preferred> or ..."
            fmt["labels"] = shown_values[:2]
            fmt["tie"] = shown_values[2] if len(shown_values) == 3 else fmt["tie"]
        verdict = next((pair for pair in VERDICTS if {v.lower() for v in shown_values} == set(pair)), None)
        if not pairwise and verdict:                  # "<verdict>PASS</verdict> or <verdict>FAIL</verdict>": those words
            fmt["levels"] = sorted(shown_values, key=lambda v: v.lower() != verdict[1])
    elif keys or re.search(r"\bJSON\b", rubric) or spec:
        fmt.update(style="json", slots=keys or (["choice"] if pairwise else ["score"]))
        offered = re.search(rf'"{re.escape(fmt["slots"][0])}"\s*:\s*"(\w+)"\s*(?:\||/|or)\s*"(\w+)"'
                            r'(?:\s*(?:\||/|or)\s*"(\w+)")?', rubric) or \
            re.search(rf'"{re.escape(fmt["slots"][0])}"\s*:\s*(\d)\s*(?:\||/|or)\s*(\d)(?:\s*(?:\||/|or)\s*(\d))?', rubric)   # 1 or 2
        shown_objects = list(dict.fromkeys(re.findall(rf'\{{\s*"{re.escape(fmt["slots"][0])}"\s*:\s*"?(\w+)"?\s*\}}', rubric)))   # "1" or 1
        if not offered and 2 <= len(shown_objects) <= 3:     # '{"better": "A"}, {"better": "B"}, or {"better": "same"}'
            offered = re.match(r"(\w+) (\w+) ?(\w+)?", " ".join(shown_objects))
        if pairwise and offered:             # {"winner": "response_1" | "response_2" | "tie"}: its own labels
            fmt["labels"] = [offered.group(1), offered.group(2)]
            fmt["tie"] = offered.group(3) or fmt["tie"]
        elif pairwise and options and not options[0] and len(options[1]) in (2, 3) and re.search(
                rf'\b(?:key|field)\s+[\"\'`]?{re.escape(fmt["slots"][0])}\b[^.\n]{{0,40}}?\b(?:set to|as|with|one of)\b', rubric, re.I):
            fmt["labels"] = options[1][:2]   # 'the key "preferred" set to "response_1", "response_2" or "tie"'
            fmt["tie"] = options[1][2] if len(options[1]) == 3 else fmt["tie"]
        verdict = offered and not offered.group(3) and next((pair for pair in VERDICTS if {offered.group(1).lower(),
                                                             offered.group(2).lower()} == set(pair)), None)
        if not pairwise and verdict:         # {"answer_correct": "YES"} or {"answer_correct": "NO"}: the verdict's words
            fmt["levels"] = sorted(offered.group(1, 2), key=lambda w: w.lower() != verdict[1])
    elif pairwise and re.search(r"\[\[A>>?B\]\]", rubric):                            # Arena-Hard's [[A>B]]
        fmt.update(style="arena", slots=["Verdict"], labels=["A", "B"], tie="A=B")
    elif pairwise and all(re.search(rf"(?<![\w\[]){x}\s*{rel}\s*{y}(?![\w\]])", rubric) for x, rel, y in ("A>B", "B>A", "A=B")):
        fmt.update(style="bare", slots=["choice"], labels=["A>B", "B>A"], tie="A=B")     # "exactly one of A>B, B>A, A=B"
    elif re.search(r"\[\[(?:A|B|C|\d|N\]|X\]|rating|score)", rubric, re.I) or pairwise and fmt.get("labels") and \
            re.search(rf"\[\[{re.escape(fmt['labels'][0])}\]\]", rubric) or \
            levels and re.search(rf"\[\[\s*(?:{'|'.join(map(re.escape, levels))})\s*\]\]", rubric, re.I):   # "e.g. [[sound]]"
        fmt.update(style="brackets", slots=["Verdict" if pairwise else "Rating"])
    elif re.search(r"\[RESULT\]", rubric):
        fmt.update(style="result", slots=["RESULT"])                                 # Prometheus
    elif pairwise and option:
        fmt.update(style="option", slots=[option.group(1) or option.group(2)])
    elif not pairwise and options and len(options[1]) == 2 and any({w.lower() for w in options[1]} == set(pair)
                                                                   for pair in VERDICTS):   # "VERDICT: PASS" / "or" / "VERDICT: FAIL"
        negative = next(w for w in options[1] if any(w.lower() == neg for _, neg in VERDICTS))
        fmt.update(style="template", slots=["value"], template=(options[0], "", ""),
                   levels=[negative, next(w for w in options[1] if w != negative)])
    elif not pairwise and levels and (keyed := re.search(
            rf"\b([A-Za-z][\w ]{{0,20}}?)[ \t]*:[ \t]*[\"'`]?(?:{'|'.join(map(re.escape, levels))})\b[\"'`]?[ \t]+(?:or|/|\|)[ \t]+"
            rf"[\"'`]?\1[ \t]*:[ \t]*[\"'`]?(?:{'|'.join(map(re.escape, levels))})\b", rubric)):
        # "FLAG: GREEN or FLAG: RED", "SIGNAL: GOAL  /  SIGNAL: BEHIND  /  SIGNAL: OUT OF BOUNDS" (in brackets, below)
        fmt.update(style="template", slots=["value"], template=(keyed.group(1) + ": ", "", ""))
    elif not pairwise and levels and len(levels) == 2 and (key := keyed_levels(options, levels) or line_key(rubric, levels)):
        fmt.update(style="template", slots=["value"], template=(key, "", ""))      # "LOG: FOUND IT" / "LOG: DNF", a line each
    elif pairwise and options and len(options[1]) in (2, 3) and (options[0].rstrip().endswith((":", "=")) or not fmt.get("labels")):
        # "Verdict: Response 1" / "... 2" / "... Tie" (not the replies' quoted words over "just say 1 or 2": 'reply 1 was "the
        # count is 3", reply 2 was "the count is 4"')
        fmt.update(style="template", slots=["choice"], template=(options[0], "", ""), labels=options[1][:2])
        fmt["tie"] = options[1][2] if len(options[1]) == 3 else fmt["tie"]
        if not options[0].strip():       # '"Board 1", "Board 2" or "Level"': whole answers, each the answer itself
            fmt.update(style="bare")
    elif starting:
        fmt.update(style="line", slots=[starting.group(1)])
        if pairwise and (words or listed):
            fmt["labels"] = [(words or listed).group(1), (words or listed).group(2)]
    elif pairwise and words:                                 # "one word: first, second, or same", "A, B, or Equal"
        fmt.update(style="bare", slots=["choice"], labels=[words.group(1), words.group(2)], tie=words.group(3))
        if template and (re.search(rf"\bwhere\s+{re.escape(template[1].strip())}\s+is\b", rubric) or
                         re.search(rf"^<\s*{re.escape(words.group(1))}\W+{re.escape(words.group(2))}\b", template[1])):
            # "... where X is A, B, or tie", "'Final answer: <A, B or tie>'": the line, its placeholder the verdict
            fmt.update(style="template", slots=["value"], template=template)    # "a line 'Final verdict: X' where X is A, B, or tie"
        keyed = next((k for k in lines if re.search(rf"{re.escape(k)}[ \t]*:[ \t]*{re.escape(words.group(1))}\b", rubric)), None)
        if keyed:                                            # "one line:\nStandards verdict: A, B or SAME"
            fmt.update(style="line", slots=[keyed])
    elif pairwise and listed and not fmt.get("labels"):
        fmt.update(style="bare", slots=["choice"], labels=[listed.group(1), listed.group(2)])
        if template and re.fullmatch(r"<(?:option|choice|label|answer|verdict|winner)>", template[1].strip(), re.I):
            fmt.update(style="template", slots=["value"], template=template)     # "options: X, Y, or Z" / "`verdict=<option>`"
    elif conditioned:
        fmt.update(style="bare", slots=["choice"])
    elif lines:
        fmt.update(style="line", slots=lines)
        out_of = re.search(rf"(?:{'|'.join(map(re.escape, lines))})\s*:\s*<?(?:[NnXx]|\d+|_+|number|score|int|integer|\d+[ \t]*-[ \t]*\d+)>?\s*"
                           rf"(/|\b(?:out )?of\b|\b(?:von|sur|su|sobre|de|van|av|af)\b)\s*(\d+)", rubric, re.I)    # "<X>/10", "__/10",
        #                                                   "<number>/10"; "of" as other tongues write it: "Stiche: <n> von 7"
        if out_of:                                           # "Score: X/10", "Verdict: N of 10", "SCORE: N OUT OF 10"
            fmt["suffix"] = f"/{out_of.group(2)}" if out_of.group(1) == "/" else f" {out_of.group(1)} {out_of.group(2)}"
        boxed = re.search(rf"({'|'.join(map(re.escape, lines))})[ \t]*:[ \t]*\[[ \t]*[NnXx][ \t]*\]", rubric)
        if boxed and len(lines) == 1 and not pairwise:       # "Score: [N]": the value inside the brackets
            fmt.update(style="template", slots=["value"], template=(f"{boxed.group(1)}: [", "N", "]"))
        # the line shown names more than the slot read ("SAFE TO ROLL: <N>/10", "TEST 3 OVERALL: __/10"): it is copied whole
        elif template and len(lines) == 1 and not pairwise and (
                re.fullmatch(rf"[\w .'-]+[ _]{re.escape(lines[0])}[ \t]*[:=][ \t]*", template[0], re.I) or   # or what closes it
                re.fullmatch(rf"[\W_]*{re.escape(lines[0])}[ \t]*[:=][ \t]*", template[0], re.I) and
                re.fullmatch(r"%|[a-z]{1,8}", template[2].strip())):      # ("JUMP: ___ ft")
            fmt.update(style="template", slots=["value"], template=template)
    elif not pairwise and re.search(r"\bin (?:square )?brackets\b|\blike \[\d+\]", rubric, re.I) and \
            not (template and template[0].lstrip().startswith("[")):       # (not "in brackets like [DELIVERY 4]": its key too)
        fmt.update(style="template", slots=["value"], template=("[", "N", "]"))       # "[3]" at the end
    elif template:
        fmt.update(style="template", slots=["value"], template=template)
        alternatives = re.split(r"\s*(?:/|\||\bor\b|,)\s*", template[1].strip("<>{}[] "))
        if pairwise and len(alternatives) >= 2:
            fmt["labels"] = alternatives[:2]
            fmt["tie"] = alternatives[2] if len(alternatives) > 2 else fmt["tie"]
        elif not pairwise and not named and re.fullmatch(r"\d{1,3}\s*(?:-|\u2013)\s*\d{1,3}", template[1].strip("<>{}[] ")):
            fmt["scale"] = named_scale(f"scale {template[1].strip('<>{}[] ')}") or fmt["scale"]     # `score=<0-10>`
    elif levels and (boxed := re.search(rf"\[[ \t]*([A-Z][\w ]{{0,20}}?)[ \t]*:[ \t]*(?:{'|'.join(map(re.escape, levels))})[ \t]*\]",
                                          rubric, re.I)):
        fmt.update(style="template", slots=["value"], template=(f"[{boxed.group(1)}: ", "", "]"))   # "like: [FORMATION: Wonky]",
        #                                                                          "[STAMP: APPROVED]  or  [STAMP: REJECTED]"
    elif levels:
        fmt.update(style="bare", slots=["verdict"])
    elif pairwise and fmt.get("alone"):                          # "just tell me 1 or 2, nothing else": the label
        fmt.update(style="bare", slots=["choice"])
    elif not pairwise and re.search(r"\b(?:just|only)(?: \w+){0,3} (?:the|a|an|one|your) (?:number|integer|int|digit|score|value)\b|"
                                    r"\b(?:the|a|one|your)(?: \w+)? (?:number|integer|digit|score) only\b|\b(?:digits?|integer) only\b|"
                                    r"\b(?:reply|answer|respond)\w* with (?:just |only )?(?:the|a|one) (?:number|digit|integer)\b|"
                                    r"\bbare[ _](?:int|integer|number|digit|decimal)\b|\b(?:number|integer|digit)s? only\b|"
                                    r"\b(?:a|one) single (?:number|integer|digit)\b|"
                                    r"\b(?:the|a|one|your) (?:number|integer|digit|score) and nothing else\b|"
                                    r"\bsingle (?:number|integer|digit),? no (?:words|text)\b|"     # "want=single integer, no words"     # "the digit and nothing else"
                                    r"\bas a (?:number|decimal|integer)\b[^.\n]{0,100}\bnothing else\b|"     # "as a number between 0 and 1, ..., nothing else"
                                    r"\b(?:write|output|reply with|answer with|return|respond with) nothing (?:but|else)\b|"
                                    r"\b(?:output|write|return|give|reply with|respond with|answer with) (?:a|an|one|the|your) "
                                    r"(?:\w+ )?(?:number|integer|digit|score)\b[^.\n]{0,40}\bnothing else\b",
                                    rubric, re.I):
        fmt.update(style="bare", slots=["score"])
    elif form and not pairwise:
        fmt.update(style="line", slots=[form.group(1)])
    else:           # no form shown: our tags, or where the request shows no tag anywhere, the answer alone
        fmt.update(style="bare" if bare_default else "tag", slots=["choice" if pairwise else "score"])
    # a number's decimals, as the answer line's placeholder shows them ("REWARD=<x.xx>", "LEADING: 0.__"), or for a
    # fraction as named or as its range shows them ("with two decimals", "between 0.00 and 1.00"; not an example's:
    # "use quarters like 0.25, 0.5, 0.75")
    shown = fmt["style"] == "template" and re.fullmatch(r"<?[xXnN0-9]\.([xXnN0-9_]+)>?", fmt["template"][1].strip())
    spelled = not pairwise and fmt["scale"] == (0, 1) and re.search(
        r"\b(one|two|three|[123])[ \t]+decimals?(?:[ \t]+(?:places|digits))?\b|(?<![\w.])0\.(\d{2,3})[ \t]*(?:-|\u2013|to|and)[ \t]*1\.\d{2,3}\b",
        rubric, re.I)
    if shown:
        fmt["digits"] = len(shown.group(1))
    elif spelled:
        fmt["digits"] = int({"one": 1, "two": 2, "three": 3}.get((spelled.group(1) or "").lower(), spelled.group(1) or len(spelled.group(2))))
    if pairwise and fmt["tie"] == "tie" and not offers_tie(rubric):
        fmt["forced"] = True         # "Respond with exactly one word: first or second": a choice with no tie to give
    fmt["slots"] = [(fmt["slots"][0], None)] if len(fmt["slots"]) == 1 or pairwise else aspect_slots(rubric, fmt["slots"])
    return fmt


def asks_answer_alone(rubric) -> bool:
    """Whether the rubric wants the answer line and nothing more: "Reply with only ...", "nothing
    else", "a single word", "Reply with A or B.", 'Reply with "Response 1" or "Response 2".'."""
    return bool(re.search(
        r"\b(?:reply|respond|answer|output|return|write|type|tell me|send(?: back)?)\w*\s+(?:with\s+)?(?:only|just|exactly)\b|"
        r"\bnothing (?:else|more)\b|\bno other (?:text|words)\b|\bno (?:prose|explanation|commentary|essay)\b|\bsingle (?:word|line|letter|character|digit)\b|"
        r"\bjust (?:tell me|say|answer|reply|write|type)\b|\bexactly like this\b|\b(?:in )?one[- ]word(?: only| call| answer| reply| verdict)?(?=\s*[:.!]|\s*$)|"
        r"\b(?:just|only) the one word\b|\bon the first line\b|\breturn (?:it|the line|that line|this line) alone\b|"                                 # "please write back just the one word first or second"
        r"\bthat(?:'s| is) all\b|\bthat'?s it\s*$|"                                        # "Answer 'Radio 1' or 'Radio 2', that's all."
        r"\bexpected[_ ]output[\"']?\s*[:=]|"            # a harness's 'expected_output="score=<int>"'
        r"\b(?:reply|respond|answer|write|output)\w*\s+on (?:one|a single) line\s+(?:as|like)\b|"     # "Respond on one line as: Grade: <letter>"
        r"\b(?:reply|respond|answer)\w*\s+with\s+(?:one|a single) line\s*:|"         # "Reply with one line: WB-SCORE=<value>"
        r"\b(?:reply|respond|answer|output|type|drop|tell me)\w*\s+(?:with\s+)?(?:either\s+)?[\"']?(?:A|1|[A-Za-z][\w-]{0,9})[\"']?\s+or\s+"
        r"[\"']?(?:B|2|[A-Za-z][\w-]{0,9})[\"']?"
        r"(?:\s+only\b|\s*(?:[.!]|$|;\s*if\b|,\s*(?:one|a single) word\b))|"    # "Reply with A or B.", "Answer A or B; if they
        #                                                                   are equal, ...", "answer COFFIN or SKULL, one word"
        r"\b(?:write|reply|answer|output|respond|say)\w*\s+(?:with\s+)?[\"']?(?:1|A)[\"']? if\b|"
        r"\b(?:reply|respond|answer|output|say)\w*\s+(?:with\s+)?(?:either\s+)?([\"'`])[^\"'`\n]{1,30}\1\s+or\s+"
        r"([\"'`])[^\"'`\n]{1,30}\2\s*(?:[.!]|$)|"                        # 'Reply with "Response 1" or "Response 2".'
        r"\b(?:reply|respond|answer|output|say|state|vote|choose|pick|select)\w*\s+(?:with\s+)?(?:which [^:\n]{0,40}:\s*)?"
        r"(?:(?:exactly\s+)?one of:?\s+)?"
        r"(?:[\"'`][^\"'`\n]{1,30}[\"'`]\s*(?:,\s*(?:or\s+)?|or\s+)){2,3}"
        r"[\"'`][^\"'`\n]{1,30}[\"'`](?:\s+if\b[^.\n]{0,60})?\s*(?:[.!]|$)|"     # '... "Response B" or "Equal" (if ...).'
        r"\bscores? only\b|\b(?:reply|respond|answer|output|say)\w*\s+(?:with\s+)?(?:the|a|one) (?:single )?(?:word|letter)\b|"
        r"\b(?:reply|respond|answer|output)\w*\s+with\s+['\"`][^'\"`\n]{1,30}['\"`]\s+only\b|"      # "Reply with 'Score: N' only"
        r"\b(?:just|only) the (?:digit|number|letter|label|word)\b|\bone line only\b|"
        r"\b(?:answer|reply|respond|write|print)\w*\s*:?\s+(?:on (?:one|a single) line\s+)?(?:with\s+)?(?:exactly\s+)?(?:one of:?\s+)?"
        r"[A-Z][A-Z0-9]{0,9}(?: [A-Z0-9]{1,9})?,\s*"
        r"[A-Z][A-Z0-9]{0,9}(?: [A-Z0-9]{1,9})?,?\s+or\s+[A-Z][A-Z0-9]{0,9}(?: [A-Z0-9]{1,9})?\s*(?:[.!]|$|\s+if\b)|"   # "Answer RED
        #                                                          CORNER, BLUE CORNER, or DRAW.", "Print: ITEM 001, ITEM 002, or EVEN if ..."
        r"\b(?:reply|respond|answer|output)\w*\s+with\s+(?:the|a|one|that|this|its|their|your)\s+(?:\w+'s\s+)?\w+(?: \w+)?\s+only\b|"
        r"\b(?:write|return|give|record|enter)\s+(?:the|your)\s+\w+\s+only\b|"          # "with the build number only", "Write the finding only"
        r"\b(?:output|reply|answer|return|write)\w*\s+(?:the|a|one)\s+(?:label|letter|word|number|digit)\s+only\b|"
        r"\b(?:reply|respond|answer|output)\w*\b[^.\n]{0,40}\bonly\s*:\s*[\"'`]?\w{1,15}[\"'`]?\s+or\s+[\"'`]?\w{1,15}[\"'`]?"
        r"\s*(?:[.!]|$)",                        # "Answer with the speaker's colour only: Red or Blue."
        rubric, re.I))


def score_levels(rubric, template, named) -> list | None:
    """The words a score is written in, worst first, where the rubric asks for words: a placeholder
    listing them ("Rating: <Excellent|Good|Fair|Poor|Bad>"), a label's placeholder ("MOS: <label>")
    over a numbered ladder ("5 Excellent", "Good (4)"), a thing's placeholder ("RIBBON: <colour>") over
    words numbered a line, the marks a placeholder lists ("VLT: <one of 5, 20, 35, 50, 70>%", as
    words), letter grades, or answer_words' list where
    the rubric names no number (`named`: the scale it names; `template`: answer_template's), or where its last
    instruction asks for a verdict's two words (the number named before is the verdict's threshold)."""
    numeric = re.search(r"<[\w-]+>\s*(?:N|X|\d+)\s*</[\w-]+>|:\**\s*(?:N|X|<(?:number|int|integer|n|score)>)(?!\w)|"
                        r"\b(?:number|integer|digit)\b(?!'s)", rubric, re.I)   # "<score>N</score>", "Score: N", "the number" (not
    #                                                                   "if the number's right": the content)
    # a placeholder that lists the words ("Rating: <Excellent|Good|Fair|Poor|Bad>") asks for words, whatever scale it names
    shown = [[w.strip() for w in re.split(r"\s*(?:\||/|,|\bor\b)\s*", m)]
             for m in re.findall(r"[<\[{]([A-Za-z][A-Za-z ]{0,15}(?:\s*(?:\||/)\s*[A-Za-z][A-Za-z ]{0,15}){2,6})[>\]}]", rubric)]
    shown = next((ws for ws in shown if all(w.lower() in LADDER for w in ws)
                  and len({LADDER[w.lower()] for w in ws}) == len(ws)), None)
    # a placeholder that asks for a label ("MOS: <label>") wants the words of the rubric's ladder ("5 Excellent",
    # "Good (4)", ...), in the order of their numbers
    label_hole = bool(template) and re.fullmatch(r"<(?:the )?(?:label|category|word|class|grade|level|one (?:word|grade|level)\b[^<>]*|"
                                                 r"word from\b[^<>]*)>", template[1].strip(), re.I)    # "<one word from the scale>"
    numbered = [(int(n), w) for n, w in re.findall(r"(?m)^[ \t]*+[-*]?+[ \t]*+(\d)[ \t]*+(?:[:=.)\u2013-][ \t]*+)?\**([A-Z][a-z]+)\b",
                                                   rubric) if w.lower() in LADDER]
    numbered += [(int(n), w) for w, n in re.findall(r"\b([A-Z][a-z]+)[ \t]*\((\d)\)", rubric) if w.lower() in LADDER]
    ladder = [w for w, _ in sorted(dict((w, n) for n, w in numbered).items(), key=lambda x: x[1])]
    # a placeholder naming a thing that is no number ("RIBBON: <colour>") over the rubric's own words, each numbered a line
    # ("1 = NONE (no ribbon)", "2 = WHITE", ... "5 = PURPLE (grand champion)"): those words, in their numbers' order
    # ("ENTRY: <the words>" over "1 GATES LOCKED - nothing of any use" / ... / "3 WORD IN THE EAR - ...")
    thing_hole = bool(template) and re.fullmatch(r"<(?:the |a |an |one )?[A-Za-z][a-z]{2,15}>", template[1].strip()) and not re.search(
        r"number|score|digit|int|value|rating|mark|point|total|percent|amount|figure", template[1], re.I)
    coded = dict(re.findall(r"(?m)^[ \t]*+(?:[-*\u2022][ \t]*)?(\d{1,2})(?:[ \t]*[=:.)\u2013-][ \t]*|[ \t]+(?=[A-Z]))"
                            r"([A-Za-z][\w'-]*(?: [A-Za-z][\w'-]*){0,3})(?=[ \t]*(?:\([^()\n]*\)[ \t]*)?(?:[-\u2013\u2014][^\n]*)?$)",
                            rubric)) if thing_hole else {}
    numbers = sorted(map(int, coded))
    if 3 <= len(coded) <= 10 and numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] in (0, 1) and \
            len({w.lower() for w in coded.values()}) == len(coded):
        ladder = [coded[str(n)] for n in numbers]
    label_hole = label_hole or thing_hole      # ("Belt awarded: <colour>" under "Belt ladder, lowest to highest: White - ...")
    # a placeholder that lists the marks to write ("VLT: <one of 5, 20, 35, 50, 70>%"): those numbers, the smallest worst
    # (the largest first where the rubric's line for the largest reads bad and the smallest's good)
    marks = bool(template) and re.fullmatch(r"<[ \t]*(?:(?:one|any) of[ \t]+|either[ \t]+)?(\d{1,3}(?:[ \t]*(?:,|/|\||or|,[ \t]*or)[ \t]*\d{1,3}){2,6})[ \t]*>",
                                            template[1].strip(), re.I)
    if marks:
        listed = sorted({int(n) for n in re.findall(r"\d+", marks.group(1))})
        meaning = {n: reads_as(m.group(1)) for n in (listed[0], listed[-1])
                   if (m := re.search(rf"(?m)^[ \t]*{n}[ \t]*%?[ \t]*[-=:\u2013]?[ \t]*([^\n]+)", rubric))}
        return [str(n) for n in (listed[::-1] if meaning.get(listed[-1]) == -1 and meaning.get(listed[0]) == 1 else listed)]
    # "reply with exactly one of those five words": the words, whatever scale the rubric also names
    worded = re.search(r"\b(?:one|single|that|those|these|the)\b[^.\n]{0,20}\bwords?\b", rubric, re.I)
    levels = sorted(shown, key=lambda w: LADDER[w.lower()]) if shown else \
        (ladder if len(ladder) >= 3 else answer_words(rubric)) if label_hole else \
        verdict_asked_last(rubric) if (named or numeric) and not worded else answer_words(rubric)
    return letter_grades(rubric) or levels or defined_verdict(rubric)      # "A (excellent), ..., E (unacceptable)"


def pair_verdict(rubric) -> tuple:
    """A comparison's verdict as the rubric spells it -> ({"tie": word, "labels": [first, second]
    where it names its own, "alone": True where the label is the whole answer}, and the cues the
    answer form reads: the matches of "A, B or tie" (words), three answers listed after an order
    (listed), and answers each given with its condition (conditioned))."""
    said = {"tie": "tie"}
    tie = re.search(r"\[\[(C|tie)\]\]", rubric, re.I)
    if tie:
        said["tie"] = tie.group(1)
    # a placeholder that lists the answers: "Correctness preference: <A|B|Equal>"
    hole = re.search(r"<[ \t]*(\w{1,15}(?: \w{1,4})?)[ \t]*\|[ \t]*(\w{1,15}(?: \w{1,4})?)[ \t]*(?:\|[ \t]*(\w{1,15}(?: \w{1,4})?)[ \t]*)?>",
                     rubric)      # "<Van 1 | Van 2 | EVEN>" too
    if hole and not tie:
        said["labels"], said["tie"] = [hole.group(1), hole.group(2)], hole.group(3) or said["tie"]
    own = re.search(r"\[\[(\w{1,12})\]\],?\s*(?:or\s+)?\[\[(\w{1,12})\]\],?\s*(?:-\s*)?(?:or\s+)?\[\[(\w{1,12})\]\]", rubric)
    own = own or re.search(r"\[\[([A-Za-z]\w{0,11} \d{1,2})\]\],?\s*(?:or\s+)?\[\[([A-Za-z]\w{0,11} \d{1,2})\]\]()", rubric)   # "[[Option 1]] or [[Option 2]]"
    if own and {own.group(1), own.group(2)} != {"A", "B"} and {own.group(1), own.group(2)} != {"1", "2"}:
        said["labels"], said["tie"] = [own.group(1), own.group(2)], own.group(3) or said["tie"]      # "[[v3]], [[v4]] or [[tie]]"
    if re.search(r"\[\[1\]\]", rubric) and re.search(r"\[\[2\]\]", rubric):
        said["labels"] = ["1", "2"]             # the verdict's own labels, whatever the replies' headings say
    elif re.search(r"\[\[A\]\]", rubric):
        said["labels"] = ["A", "B"]
    words = re.search(r"\b(first|A)\b,? (second|B)\b,? (?:or )?(same|tie|equal|neither|both|C|even|level|draw)\b", rubric, re.I)
    if words and not tie:
        said["tie"] = words.group(3)          # the tie as the rubric spells it: "one of A, B or Tie"
    # three answers listed after an order, the tie last: "Write X, Y or EQUAL on the first line", "one of: LEFT, RIGHT, SAME"
    listed = None if words else re.search(     # (a note after each answer left out: "1 (Response 1 sounds better), 2 (...)")
        r"(?:\b(?:write|answer|reply|output|respond|say|choose|pick|record|give|enter)\w*\s+(?:with\s+|(?:the|your) \w+ as\s+)?(?:exactly\s+)?"
        r"(?:(?:just|only)\s+)?(?:the\s+word\s+)?|"     # "reply with just the word ONE, TWO, or SAME"
        r"\b(?:verdict )?options\s*:\s*|\b(?=one token\s*:)|\bone word(?: please| only)?\s*:\s*|\bonly\s*:\s*)"   # "the slot code only: A1, B7, or SAME"      # "One word please: Left, Right or Neither."
        r"(?:one (?:of|label|word|option|token)(?: of)?\s*:?\s*)?(?!(?-i:one|no|either|both)\b)"   # not "pick one, no ties" (but "ONE, TWO, or SAME")
        r"[\"'`]?([A-Za-z0-9]\w{0,15}(?: (?!or\b)\w{1,5})?)\b[\"'`]?\s*[,|/]\s*"
        r"[\"'`]?([A-Za-z0-9]\w{0,15}(?: (?!or\b)\w{1,5})?)\b[\"'`]?\s*(?:[,|/]\s*(?:or\s+)?|or\s+)"      # ("short, decisive calls" is no list)
        r"[\"'`]?([A-Za-z]\w{0,15}(?: preference| difference| the same| heat)?)\b[\"'`]?"     # two words too: "Answer 1, Answer 2, Same",
        #                                                 "Voice X, Voice Y, or SAME", "Alpha, Beta, No preference"
        r"(?=\s*(?:[.,;(]|$)|\s+(?:on|and|if|when|as|only)\b)", re.sub(r"[ \t]*\([^()\n]{0,80}\)", "", rubric), re.I | re.M)
    if listed and all(w.lower() in CRITERIA for w in listed.groups()[:2]):
        listed = None              # "VOICE ONLY: volume, tone, pace, and ...": what to judge, not the answers
    if listed and not tie:
        said["tie"] = listed.group(3)
    two_words = re.search(r"\b(?:answer|respond|reply|output|write|say|type|word|label|tell)\w*\b[^.\n]{0,40}?\b(first|left)['\"`]? or "
                          r"['\"`]?(second|right)\b|"
                          r"\b(?:just|only|either|with|say|answer|reply|write|type) ['\"`]?(1|X|a)['\"`]? or ['\"`]?(2|Y|b)\b|"     # "just say a or b", "just 'a' or 'b'": as spelled
                          r"\b(?:write|reply|answer|output|respond|say)\w*\s+(?:with\s+)?(?:a single (?:character|digit|number)\s*:?\s*)?"
                          r"[\"']?(1)[\"']? if [^.\n]{0,60}?\b[\"']?(2)[\"']? if\b",
                          rubric, re.I)
    # the labels in a parenthesis after the order: "Answer with the build number only (4.2 or 4.3), or 'no preference' ..."
    in_parens = re.search(r"(?:\b(?:answer|reply|respond|write|say|output)\w*|\b(?:just|only) the (?:\w+ )?name)\b[^.\n]{0,60}?\(\s*([\w.]{1,12}(?: [A-Z][\w.]{0,11})?) or "
                          r"([\w.]{1,12}(?: [A-Z][\w.]{0,11})?)\s*\)",
                          rubric, re.I)
    two_words = two_words or in_parens
    if in_parens:
        said["alone"] = True
        tie_after = re.match(r"[ \t]*,?[ \t]*or[ \t]+[\"'`]?([A-Z][\w-]{1,15})[\"'`]?[ \t]*(?:[.!]|$)", rubric[in_parens.end():])
        said["tie"] = tie_after.group(1) if tie_after and not tie else said["tie"]      # "(Pip or Juno), or Draw."             # "Answer with the mascot's name (Pip or Mo)": the name is the answer
    # one word written twice: "pls just write take 1 or take 2" (the labels as spelled)
    repeated = re.search(r"\b(?:write|say|answer|reply|type|put)\s+([A-Za-z]+) ([12AB]) or \1 ([12AB])\b", rubric, re.I)
    if repeated and not two_words:
        said["labels"] = [f"{repeated.group(1)} {repeated.group(2)}", f"{repeated.group(1)} {repeated.group(3)}"]
        # its tie in the same word, after it: "write PUNCH 1 or PUNCH 2, or PUNCH BOTH if there's nothing between them"
        tie_too = re.match(rf",?\s*or\s+({re.escape(repeated.group(1))} \w+)\b", rubric[repeated.end():], re.I)
        if tie_too:
            said["tie"], said["alone"] = tie_too.group(1), True
    if two_words and not said.get("labels"):
        # "Answer with exactly one word: First or Second.", "reply with just 1 or 2"
        said["labels"] = [two_words.group(1) or two_words.group(3) or two_words.group(5),
                          two_words.group(2) or two_words.group(4) or two_words.group(6)]
    # each answer given with its condition: "1-0 if White's answer is better, 0-1 if Black's is better, 1/2-1/2 if they are equal"
    better = r"[\"'`]?([^\s,;:\"'`]{1,12})[\"'`]? if [^,;\n]{1,80}?\b(?:better|wins|preferred|superior)\b[^,;\n]{0,20}"
    conditioned = re.search(rf"{better},\s*(?:or\s+)?{better}(?:,\s*(?:or\s+|and\s+)?[\"'`]?([^\s,;:\"'`]{{1,12}})[\"'`]? if "
                            rf"(?:they|both|the two|neither)\b)?", rubric, re.I)
    # or with the clip it names: "1 for the first clip, 2 for the second clip, 0 if they are equally good", "DIT for the
    # first reply, DAH for the second, DIT-DAH if they're equally good"
    answer = r"[\"'`]?([^\s,;:\"'`]{1,12})[\"'`]?"
    conditioned = conditioned or re.search(rf"{answer} for the first\b[^,;\n]{{0,20}}[,;]\s*(?:and\s+)?{answer} for the second\b"
                                           rf"[^,;.\n]{{0,20}}(?:[,;]\s*(?:or\s+|and\s+)?{answer} if (?:they|they're|both|the two|neither)\b)?",
                                           rubric, re.I)
    conditioned = conditioned if not said.get("labels") else None
    # a yes/no about the first being better: "is Response A better than Response B? Answer Yes or No." (level: not better)
    yes_no = answer_words(rubric) if re.search(r"\bis\s+(?:(?:the\s+)?(?:response|reply|answer|output|assistant|model|clip|recording)\s+)?"
                                               r"(?:A|1|the first(?: \w+)?)\s+better\s+than\b", rubric, re.I) else None
    if yes_no and len(yes_no) == 2 and not said.get("labels"):
        said["labels"], said["tie"] = [yes_no[1], yes_no[0]], yes_no[0]
    # two names after "with just the <thing>:", a tie offered in a parenthesis: "Answer with just the bus: Leyland or Routemaster
    # (or 'Dead heat' if truly equal)."
    thing = re.search(r"\b(?i:answer|reply|respond|write|say)\w*\s+(?i:with\s+(?:just|only)\s+the)\s+\w+(?:'s\s+\w+)?\s*:\s*"
                      r"([A-Z][\w-]{1,15}) or ([A-Z][\w-]{1,15})\b(?:\s*\(\s*or\s+[\"'`\u201c]([^\"'`\u201d\n]{1,20})[\"'`\u201d])?", rubric)
    if thing and not said.get("labels"):
        said["labels"], said["alone"] = [thing.group(1), thing.group(2)], True
        said["tie"] = thing.group(3) or said["tie"]
    # three answers in lower case joined by "or", the tie last: "write port or starboard or same if theyre equal"
    ors = re.search(r"\b(?:write|say|answer|reply)\s+([a-z][\w-]{0,15}) or ([a-z][\w-]{0,15}),? or ([a-z][\w-]{0,15}) if\b", rubric)
    if ors and not said.get("labels") and not words and not listed:
        said["labels"], said["tie"], said["alone"] = [ors.group(1), ors.group(2)], ors.group(3), True
    # two answers in the rubric's own capitals after the order, no tie: "Reply with the one word ATTACK or DEFENCE", "Just
    # shout the colour back: RED or BLACK" (the label is the whole answer; not a verdict's "YES or NO")
    own_pair = re.search(r"\b(?:answer|reply|respond|write|say|output|shout|call|type|give)\w*\b[^.\n]{0,40}?"
                         r"(?<![\w-])([A-Z][A-Z0-9]{1,15}) or ([A-Z][A-Z0-9]{1,15})(?![\w-])(?!,? or\b)(?![ \t]*:)", rubric)   # (not
    #                                                 "BOX: BLUE or BOX: RED", whose second is the line's key)
    if own_pair and not said.get("labels") and not conditioned and \
            not any({own_pair.group(1).lower(), own_pair.group(2).lower()} == set(pair) for pair in VERDICTS):
        said["labels"], said["alone"] = [own_pair.group(1), own_pair.group(2)], True
    # three answers in capitals after a colon, the first two alike but for their last word, the tie last: "Answer with one
    # line: SOLD TO BIDDER A, SOLD TO BIDDER B, or NO SALE if they're equal"
    caps = r"([A-Z][A-Z0-9]*(?: [A-Z0-9]+){0,3})"
    phrases = re.search(rf":\s*{caps},\s*{caps},?\s+or\s+{caps}(?=\s*(?:[.!;]|$)|\s+if\b)", rubric, re.M)
    if phrases and not said.get("labels") and not conditioned and \
            phrases.group(1).rsplit(" ", 1)[0] == phrases.group(2).rsplit(" ", 1)[0] != phrases.group(1):
        said["labels"], said["tie"] = [phrases.group(1), phrases.group(2)], phrases.group(3)
    if conditioned:
        said["labels"] = [conditioned.group(1), conditioned.group(2)]
        said["tie"] = conditioned.group(3) or said["tie"]
    # "... equal if they are equally correct": the tie's word
    tie_if = re.search(r"[\"'`](\w+(?: \w+)?)[\"'`] if (?:they are|they're|both are|the two are|both|neither|there(?:'s| is) nothing)\b|"
                       r"\b(tie|equal|same|draw|neither|both|C|0)\b if (?:they are|they're|both are|the two are|both|neither)\b",
                       rubric, re.I)
    # "If their prosody is equally appropriate, label EQ."
    tie_if = tie_if or re.search(r"\bequally \w+,\s+(?:label|say|write|answer|output|reply|mark)(?: with| it)?\s+[\"'`]?((?-i:[A-Z]{2,})|tie|same|equal)\b",
                                 rubric, re.I)
    tie_if = tie_if or re.search(r"\b(?i:if) (?:they|both)(?: [\w']+){0,4},?\s+(?:answer|say|write|reply)(?: with)?\s+[\"'`]?([A-Z]\w{1,15})\b()",
                                 rubric)      # "If they come out level, answer Pass."
    # "EDGE if you really can't separate them", "EVEN if equally good", "GO AGAIN if you can't split them" (its capitals whole)
    tie_if = tie_if or re.search(r"(?<![\w-])((?:(?!(?:OR|AND|SAY|WRITE|ANSWER|REPLY|JUST|ELSE)\b)[A-Z][A-Z-]+\s+){0,2}[A-Z][\w-]{1,15})\s+if\s+(?:(?:you|we) (?:really |truly |honestly )?(?:can't|cannot|can not) (?:separate|split|tell|"
                                 r"choose|decide|pick)|(?:they(?:'re| are)\s+|both(?: are)?\s+)?equally)\b()", rubric)
    if tie_if and not tie and not words:
        said["tie"] = tie_if.group(1) or tie_if.group(2)
    return said, words, listed, conditioned


_TEXT_SLOT = r"reason\w*|justif\w*|explan\w*|rational\w*|comment\w*|feedback|analysis|thoughts?|think\w*|notes?|critique"


def answer_tags(rubric, want, pairwise) -> list:
    """The tags an answer is written in: those named for a score or verdict (`want`), e.g. <score>,
    <score-semantic>, <content_score>; else a tag shown empty or holding a placeholder."""
    tags = list(dict.fromkeys(t for t in re.findall(r"<([A-Za-z][\w-]*)>", rubric)
                              if re.fullmatch(rf"(?:[\w-]+[-_])?(?:{want})(?:[-_][\w-]+)?", t, re.I)
                              and (f"</{t}>" in rubric or not re.search(rf"[\w\"']\s*[:=]\s*[\"']?<{t}>|<{t}>\s*/\s*\d", rubric))))
    # (not a value's placeholder: '{"naturalness": <score>}', '{"delivery_grade": "<grade>"}', "Write it as "<score>/10"")
    # a tag shown empty or holding a placeholder, whatever its name: "inside <overall></overall> tags", "<gallery>WORD</gallery>"
    # (for a pair, a tag holding A or B first: "<answer>A</answer>" over an input's empty "<response_b></response_b>")
    tags = tags or ([t for t in dict.fromkeys(re.findall(r"<([A-Za-z][\w-]*)>\s*(?:A|B)\s*</\1>", rubric))
                     if not re.fullmatch(_TEXT_SLOT, t, re.I)] if pairwise else [])
    tags = tags or [t for t in dict.fromkeys(re.findall(r"<([A-Za-z][\w-]*)>\s*(?:\.\.\.|N{1,3}|X{1,3}|\d+|(?i:number|score|value|integer|word|letter|grade|level|label))?\s*</\1>",
                                                        rubric))
                    if not re.fullmatch(_TEXT_SLOT, t, re.I)]
    # (for a pair, one tag shown with two or three different words on one line: "<take>dawn</take> or <take>dusk</take>")
    # (and for a score, one tag shown with a verdict's two words: "<verdict>PASS</verdict> or <verdict>FAIL</verdict>")
    if not tags:
        shown = [(t, line) for line in rubric.splitlines() for t in dict.fromkeys(re.findall(r"<([A-Za-z][\w-]*)>[^<>\n]{1,30}</\1>", line))]
        held = [(t, {w.lower() for w in re.findall(rf"<{re.escape(t)}>\s*([^<>\n]{{1,30}}?)\s*</{re.escape(t)}>", line)}) for t, line in shown]
        tags = [t for t, words in held if (2 <= len(words) <= 3 if pairwise else words in map(set, VERDICTS))
                and not re.fullmatch(_TEXT_SLOT, t, re.I)][:1]      # (each line's words its own: a tag shown on two lines)
    return tags


def json_keys(rubric, want, pairwise=False) -> tuple:
    """A JSON answer's keys -> (keys, the config line "format: json" or None): keys named for a
    score or verdict, keys shown with a placeholder, a comparison's key shown holding a clip's letter ('{"keeper": "A"}'),
    keys the prose names, or a config's key list."""
    keys = list(dict.fromkeys(k for k in re.findall(r"\"([A-Za-z][\w-]*)\"\s*:", rubric) if re.search(want, k, re.I)))
    keys = keys or list(dict.fromkeys(re.findall(r"\"([A-Za-z][\w-]*)\"\s*:\s*\"(?:[AB12]|first|second)\"", rubric) if pairwise else []))
    keys = keys or list(dict.fromkeys(re.findall(r"\"([A-Za-z][\w-]*)\"\s*:\s*(?:<[^<>\n]{1,20}>|[NnX]\b|\d|\.\.\.|\u2026)",
                                                 rubric)))
    named_keys = re.search(r"\b(?:keys?|fields?|properties)\b([^.\n]{0,120})", rubric, re.I)    # 'keys "rationale" and "rating"'
    if not keys and named_keys and re.search(r"\bJSON\b", rubric):
        key_names = re.findall(r"[\"'`]([A-Za-z][\w-]*)[\"'`]", named_keys.group(1))
        keys = [k for k in key_names if re.search(want, k, re.I)] or \
            [k for k in key_names if not re.fullmatch(_TEXT_SLOT, k, re.I)]     # 'the keys "content", "delivery" and "overall"'
    if not keys and re.search(r"\bJSON\b", rubric):     # keys listed ('- "content": is it right?') for a JSON answer
        keys = [k for k in dict.fromkeys(re.findall(r"\"([A-Za-z][\w-]*)\"\s*:", rubric))
                if not re.fullmatch(_TEXT_SLOT, k, re.I)]
    # a config's answer spec: "format: json" over "keys:" and a key a line ("preferred: "A" or "B"")
    spec = re.search(r"(?mi)^[ \t]*format[ \t]*:[ \t]*json[ \t]*$", rubric)
    listed_keys = re.search(r"(?m)^([ \t]*)(?:keys|fields|schema)[ \t]*:[ \t]*\n((?:\1[ \t]+[A-Za-z][\w-]*[ \t]*:[^\n]*(?:\n|$)){1,8})",
                            rubric) if spec else None
    if not keys and listed_keys:
        key_names = re.findall(r"(?m)^[ \t]+([A-Za-z][\w-]*)[ \t]*:", listed_keys.group(2))
        keys = [k for k in key_names if re.search(want, k, re.I)] or [k for k in key_names if not re.fullmatch(_TEXT_SLOT, k, re.I)]
    return keys, spec


def answer_lines(rubric, want, pairwise) -> list:
    """The names of the answer lines to write ("Score: N", "VERIFIED-ARITH: __", "Overall: <1-5>",
    the line a form asks completed, or a block of lines, one value each)."""
    placeholder = r"(?:N|X|<(?:number|int|integer|score|n|N)>|(?<!_)_{2,}+)(?![\w<])"      # "MOS: N", "Overall: N/5", "OVERALL: __/10"
    lines = list(dict.fromkeys(re.findall(rf"(?:^|(?<=[\s\"'(\u201c`*>]))((?:[A-Z][a-z]+(?:'s)? |[A-Z]+\d*[ _]|[a-z]+_)?(?i:{want}))[ \t]*:[ \t]*"
                                          rf"(?:\[|<|\{{|N\b|X\b|\d|_|\.\.\.|A\b|[nx](?=[ \t]*/[ \t]*\d))", rubric, re.M)))   # "SCORE: n/10"
    label = (r"(?:^|(?<=[\s\"'(\u201c*`]))([A-Z][A-Za-z]+(?:['\u2019][Ss])?(?:-[A-Z][A-Za-z]+| [A-Z]{2,}\b)?(?: [a-z]+)?"
             r"(?:[ \t]*\(\d{1,3}[ \t]*[-\u2013][ \t]*\d{1,3}\)(?=[ \t]*:[ \t]*(?:N|X|_{2,})\b))?)")
    # "**Overall: N/10**", "VERIFIED-ARITH: __", "CRIER'S MARK: __", "Rating (1-5): N" (a range in parentheses only before
    # N, X or a blank: "`Delivery score (0-10): <n>`" is a template to copy)
    lines = lines or list(dict.fromkeys(re.findall(rf"{label}\s*:\s*{placeholder}", rubric, re.M)))
    # a number's placeholder that says what it holds: "Overall: <1-5>", "overall: <integer 0-10>"
    number_hole = r"<(?:number|int|integer|score|value|digit)\b[^<>\n]{0,20}>|<\d{1,3}[ \t]*(?:-|\u2013|to)[ \t]*\d{1,3}>"
    lines = lines or [n for n in dict.fromkeys(re.findall(rf"(?:^|(?<=[\s\"'(\u201c*`]))([A-Za-z][A-Za-z]+(?: [a-z]+)?)[ \t]*:[ \t]*"
                                                          rf"(?:{number_hole})", rubric, re.M)) if not input_heading(n)]
    # "Return only the completed Field 3 line": the form's line it names
    completed = re.search(r"\b(?:[Cc]omplet|[Ff]ill)\w* (?:in )?(?:the )?[\"'`]?([A-Z][\w ]{0,20}?)[\"'`]? (?:line|field)\b", rubric)
    lines = lines or ([completed.group(1)] if completed and not pairwise else [])
    # a block of answer lines to fill, one value each: "C1: <n>" / "C2: <n>" / "FINAL: <n>"
    block = [n for n in dict.fromkeys(re.findall(r"(?m)^[ \t]*([A-Za-z][\w ]{0,20}?)[ \t]*[:=][ \t]*<[^<>\n]{1,20}>[ \t]*$", rubric))
             if not input_heading(n)]
    lines = block if len(block) >= 2 and not pairwise else lines
    # last, a line shown by an example value where the answer is asked for: "Answer on one line, e.g. PURR: 0.25"
    shown = re.search(r"\b(?i:answer|reply|respond|write|output|return|give)\w*\b[^.\n]{0,40}?(?i:\be\.g\.|\bfor example|\blike|\bsuch as)"
                      r"[:,]?[ \t]+[\"'`]?([A-Z][\w' -]{0,24}?)[ \t]*:[ \t]*(?:\d{1,3}(?:\.\d{1,2})?|\.\d{1,2})[\"'`]?[ \t]*(?:[.)]|$)", rubric, re.M)
    return lines or ([shown.group(1)] if shown and not pairwise and not input_heading(shown.group(1)) else [])


def offers_tie(rubric) -> bool:
    """Whether a comparison may end level: a tie, equal, draw, neither ... named and not refused
    ("Ties are not allowed", "no ties", "equal is not possible")."""
    refused = re.sub(r"\b(?:no|not|never|without)\s+(?:\w+\s+){0,2}?(?:ties?|draws?|equal\w*)\b|"
                     r"\b(?:ties?|draws?|equal\w*)\s+(?:is|are)\s+(?:not|never)\s+(?:allowed|possible|permitted|an option|accepted)\b|"
                     r"\bties?\s*[=:]\s*(?:not allowed|no|none|false)\b",
                     " ", rubric, flags=re.I)
    return bool(re.search(r"\b(?:tie[ds]?|equal\w*|draw|neither|no preference|dead heat|indistinguishable|(?:can't|cannot|can not) (?:decide|tell))\b",
                          refused, re.I))


def aspect_slots(rubric, slots) -> list:
    """One value per aspect -> [(slot, axis)]: the aspect named in the slot (<score-paralinguistic>),
    else in the line describing it."""
    def described(slot):        # '- "style": does the voice follow ...'
        line = re.search(rf"^.*\b{re.escape(slot)}\b[\"'*]*\s*[:(\u2013.-](.*)$", rubric, re.M | re.I)   # "C1. Answer correctness"
        return axis_of_words(line.group(1)) if line else None
    return [(s, axis_of_words(re.sub(r"[-_]", " ", s))
             or ("acoustic" if re.search(r"speech|audio|sound", s, re.I) else None) or described(s))
            for s in slots]


def render(style, justification, values, suffix="", template=None, alone=False) -> str:
    """The answer text: values [(slot name, value)] written the way the rubric asked (`suffix`
    after a line's value: "/10" for "Score: X/10"; `template` (before, placeholder, after): the
    answer line the rubric showed, its placeholder filled, without the justification when the
    rubric wants it `alone`)."""
    if style == "template":
        value = values[0][1]
        named, _, number = str(value).rpartition(" ")       # "Preferred channel: Mic _" writes the label's "Mic" itself
        value = number if named and template[0].endswith(f"{named} ") else value
        return ("" if alone else f"{justification}\n") + f"{template[0]}{value}{template[2]}"
    if style == "json":
        return json.dumps({"justification": justification, **dict(values)})
    if style == "brackets":
        return f"{justification}\n" + "\n".join(f"{name}: [[{v}]]" for name, v in values)
    if style == "line":
        return ("" if alone else f"{justification}\n") + "\n".join(f"{name}: {v}{suffix}" for name, v in values)
    if style == "result":
        return f"Feedback: {justification} [RESULT] {values[0][1]}"
    if style == "bare":
        return str(values[0][1])
    if style == "option":                     # "Output (a)"; a tie is just "tie"
        return "tie" if values[0][1] == "tie" else f"{values[0][0]} ({str(values[0][1]).lower()})"
    if style == "arena":
        return f"{justification}\nMy final verdict is: [[{ {'A': 'A>B', 'B': 'B>A'}.get(values[0][1], 'A=B') }]]"
    return ("" if alone else f"<justification>{justification}</justification>\n") + "\n".join(f"<{name}>{v}</{name}>" for name, v in values)
