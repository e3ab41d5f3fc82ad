"""The clips' names (their label lines told apart, or their order in the prose), the answers a comparison offers
by those names, and the names its answer line asks for: which clip each answer means, where the rubric lists them
("Just send back 1 or 2.", "RED, BLUE, or DRAW", "PUNCH 31 or PUNCH 47"), asks for them by kind ("the take number only"), or shows a line that writes them its own way ("NOW CALLING: <ticket
number>" under "Ticket 047:" / "Ticket 048:").

    import judge_choices
    judge_choices.offered_pair("Just send back 1 or 2.", request_text)              # ('1', '2', None)
    judge_choices.asked_by_kind("Answer with the take number only.", clip_labels)   # ('1', '2', None)
    judge_choices.offered_list("Answer: RED, BLUE, or DRAW.", request_text)         # ('RED', 'BLUE', 'DRAW', '')
    judge_choices.labels_as_asked(["Ticket 047", "Ticket 048"], ("NOW CALLING: ", "<ticket number>", ""))   # ['047', '048']
    judge_choices.paired_names("Left build audio:", "Right build audio:")         # ('Left', 'Right')
    judge_choices.ordered_names("First the red robot, then the blue robot.")       # ('red', 'blue')

judge_request.parse_judge_request decides which of these names the clips; judge_forms reads the rest of the answer's
form. All of it is heuristic: README, *Use your own judge prompt*, says how far it carries on prompts it was not built
from.

Deviations: none from the paper (it does not say how its judge reads a rubric).
"""
import re

from judge_forms import _ANSWER_VERB, CRITERIA, SENTENCE_END
from judge_inputs import ASKERS, heading_kind

# a word's stop that a name keeps: an abbreviation's before a number ("BOX No. 3  or  BOX No. 5", "FEATURED MAT: No. 1")
_STOP_BEFORE_NUMBER = r"(?:\.(?=[ \t]+\d))?"
# two clips' names that need no mention to name them: "1 or 2", "A or B", "first or second", "left or right"
_ORDINAL_PAIRS = [("1", "2"), ("a", "b"), ("one", "two"), ("first", "second"), ("left", "right"), ("x", "y")]


def offered_pair(rubric, elsewhere) -> tuple | None:
    """The two answers the rubric's last answer instruction offers and, where it gives one, its tie: "Just send
    back 1 or 2." -> ("1", "2", None); "Give me just the stage name of the winner, Dave Nightly or Priya Punch, or
    'dead heat' if ..." -> ("Dave Nightly", "Priya Punch", "dead heat"). Each of the two must name a clip: an
    ordinal pair ("1 or 2", "first or second"), or a name the request writes outside the instruction
    (`elsewhere`: the request's text), the longest such ending before "or" and starting after it. They come back
    in the clips' order: an ordinal's own, else where the request first names each. None when no such pair."""
    verb = re.compile(rf"\b(?:{_ANSWER_VERB}|send(?: back)?|give|tell|type|put)\b", re.I)
    found = [s for s in re.split(SENTENCE_END, rubric) if verb.search(s) and re.search(r"\bor\b", s)]
    for sentence in reversed(found[-2:]):
        # the names must be written outside the instruction itself (where it is not found, only an ordinal pair names)
        other = elsewhere.replace(sentence, " ") if sentence in elsewhere else ""
        for m in re.finditer(r"[\"'`]?,?\s+or\s+[\"'`]?", sentence):
            word = rf"[\w'+-]+{_STOP_BEFORE_NUMBER}"
            before = re.findall(word, sentence[:m.start()])[-3:]
            after = re.findall(word, sentence[m.end():])[:3]
            if not before or not after:
                continue
            ordinal = (before[-1].lower(), after[0].lower()) in _ORDINAL_PAIRS
            if ordinal:
                first, second = before[-1], after[0]
            else:
                first, second = (next((" ".join(words[-n:] if last else words[:n]) for n in range(len(words), 0, -1)
                                       if _written(" ".join(words[-n:] if last else words[:n]), other)), None)
                                 for words, last in ((before, True), (after, False)))
                if not (first and second) or first.lower() == second.lower():
                    continue
            rest = sentence[m.end():][len(second):]                  # after the second answer, as written
            if not ordinal and _written(second, other).start() < _written(first, other).start():
                first, second = second, first          # in the clips' order: as the request first names them
            tie = re.match(r"[\"'`]?,?\s+or\s+[\"'`]?([A-Za-z][\w' -]{0,20}?)[\"'`]?(?=\s+(?:if|when|for)\b|\s*[,.;!()]|\s*$)", rest)
            return first, second, tie.group(1) if tie else None
    return None


# an answer list's separators: "RED, BLUE, or PULL AGAIN", "Kestrel / Merlin / either", "left | right | draw"
_LIST_SEP = re.compile(r"[\"'`]?(?:\s*,\s*(?:or\s+)?|\s+or\s+|\s*/\s*|\s+\|\s+)[\"'`]?")


def offered_list(rubric, elsewhere) -> tuple | None:
    """The answers a comparison's last answer instruction lists, where offered_pair finds none: two that name the
    clips and, third, the tie, however they are joined: "Tell me the winner as one of: RED, BLUE, or PULL AGAIN if
    it's a dead heat." -> ("RED", "BLUE", "PULL AGAIN"); "Preferred: <Kestrel / Merlin / either>"; "Name the victor:
    Red or Blue."; a table cell "| Answer with | Booth 1, Booth 2, or Equal |"; "LEFT, RIGHT or DRAW?" alone. The
    instruction has an answer verb, follows one that ends in a colon, or is the list alone. The two are an ordinal pair
    or names written elsewhere in the request (`elsewhere`), never criteria ("pace, clarity or tone"); they come back
    in the clips' order, with the key of the line they are written on ("Better: " in "Better: Line 1, Better: Line 2,
    or Better: no difference"; "" where none). None when no such list."""
    verb = re.compile(rf"\b(?:{_ANSWER_VERB}|send(?: back)?|give|tell|type|put)\b|^\W*(?:name|text(?: back| me)?)\b", re.I)
    sentences = [s for s in re.split(SENTENCE_END, rubric) if s.strip()]
    # (sentence, whether it asks: an answer verb, or after one that ends in a colon) for those that ask or hold a list
    asking = [(s, bool(verb.search(s) or k and verb.search(sentences[k - 1]) and sentences[k - 1].rstrip().endswith(":")))
              for k, s in enumerate(sentences)]
    # (the last two that hold a list: an asking sentence after them without one, the question's "Say it quietly.", lists nothing)
    found = [(s, asked) for s, asked in asking if _LIST_SEP.search(s)]
    for sentence, asked in reversed(found[-2:]):
        other = elsewhere.replace(sentence, " ") if sentence in elsewhere else ""
        text = re.sub(r"\s*\([^()\n]{0,60}\)|<|(?<!-)>", " ", sentence)       # notes in parenthesis; a placeholder's brackets (not "->")
        if text.lstrip().startswith("|"):           # a table row: its last cell holds the answers
            text = [c for c in text.strip().strip("|").split("|") if c.strip()][-1]
        text = re.sub(r"\s+(?:if|when|for)\b[^,/|]*$|[\s.!?;:\"'`]+$", "", text.strip())     # "... or DRAW if they tie."
        items = _LIST_SEP.split(text)
        joins = [m.group(0) for m in _LIST_SEP.finditer(text)]
        # the list closes at a join with "or", "/" or "|" (commas alone list criteria, not answers), the last such first:
        # "Text back 'first' or 'second', that's all I need."
        for j in reversed([k for k, join in enumerate(joins) if re.search(r"\bor\b|/|\|", join)]):
            three = j >= 1 and not re.search(r"\bor\b", joins[j - 1])      # "A, B, or tie" (not "A or B, or tie")
            names = [x.strip() for x in (items[j - 1:j + 1] if three else items[j:j + 2])]
            tie = re.sub(r"\s+(?:if|when|for)\b.*$", "", items[j + 1]).strip() if three else None     # "DRAW if they tie"
            # the line each answer is written on: its key before each ("Better: Line 1, Better: Line 2, or Better: no
            # difference"), or once, after the instruction's own colon ("Fill in: VOICE CHECK RESULT: Bowser 1 / Bowser 2")
            key = re.match(r"([A-Za-z][\w -]{0,30}?[ \t]*(?:[:=]|->|(?<=[ \t])[-\u2013\u2014](?=[ \t]))[ \t]*)\S", names[1])
            #                                               ("QUIET TANK PRIZE -> TANK 07", "BETTER ANSWER - CASTLE 2")
            key = key.group(1) if key and key.group(1) in names[0] and (tie is None or tie.startswith(key.group(1))) else ""
            if key:
                names, tie = [names[0][names[0].rfind(key) + len(key):], names[1][len(key):]], tie and tie[len(key):]
            else:
                once = re.search(r":[ \t]*([A-Za-z][\w -]{0,30}?[ \t]*[:=][ \t]*)[^:=]*$", names[0])
                key, names[0] = (once.group(1), names[0][once.end(1):]) if once else ("", names[0])
                # or the words each starts with: "Reply PREFERRED ALPHA, PREFERRED BRAVO or PREFERRED NIL", "Take 1, Take 2
                # or Take none" (not an instruction's words: "the first or the second")
                shared = re.match(r"((?:[A-Za-z][\w-]*[ \t]+|(?-i:\d[\d-]*[ \t]+(?=[A-Z]{2}))){1,2})(?=\w)", names[1])   # ("10-4 BOX 1")
                lead = shared and re.search(rf"(?<![\w-]){re.escape(shared.group(1))}(?=\w)", names[0])
                if not key and lead and (tie is None or tie.startswith(shared.group(1))) and (shared.group(1).isupper() or
                                                                                     # (a key in capitals: "PICK LP1 or PICK LP2")
                                                                                     not all(w.lower() in _NOT_NAMES for w in shared.group(1).split())):
                    key = shared.group(1)
                    names, tie = [names[0][lead.end():], names[1][len(key):]], tie and tie[len(key):]
            words = [re.findall(rf"\w+(?:['-]\w+)*\+?{_STOP_BEFORE_NUMBER}", name) for name in names]     # (not a quote's mark: "'first'")
            # (a second answer with the writer's sign-off after it, "PICK: BLUE thanks x": its first words written elsewhere)
            signed_off = tie is None and len(words[1]) > 1 and not _written(" ".join(words[1]), other) and \
                next((n for n in range(min(len(words[1]) - 1, 3), 0, -1) if _written(" ".join(words[1][:n]), other)), 0)
            words[1] = words[1][:signed_off] if signed_off else words[1]
            if not all(words) or len(words[1]) > 3 or tie is not None and not re.fullmatch(r"\w+(?:['-]\w+)*(?: \w+(?:['-]\w+)*){0,2}", tie):
                continue        # (a tie of one to three words, nothing else: not JSON's 'tie"}')
            alone = j == len(joins) - 1 and j - three == 0 and len(words[0]) <= 3     # the list is the whole instruction
            if not asked and not alone:
                continue
            first = " ".join(words[0][-1:])
            second = " ".join(words[1])
            if (first.lower(), second.lower()) not in _ORDINAL_PAIRS:
                first = next((" ".join(words[0][-n:]) for n in range(min(len(words[0]), 3), 0, -1)
                              if _written(" ".join(words[0][-n:]), other)), None)
                if not first or not _written(second, other) or first.lower() == second.lower() or \
                        {first.lower(), second.lower()} & CRITERIA:
                    continue
                if _written(second, other).start() < _written(first, other).start():
                    first, second = second, first          # in the clips' order: as the request first names them
            return first, second, tie, key
    return None


# words of an instruction, never a clip's name on their own: "Respond with the callsign only, or SAY AGAIN if ..."
_NOT_NAMES = {"only", "just", "say", "tell", "write", "answer", "reply", "respond", "send", "back", "give", "with", "the", "a",
              "an", "it", "its", "is", "was", "which", "better", "best", "one", "this", "that", "these", "those", "number",
              "name", "word", "label", "and", "if", "not", "no", "yes", "me", "us", "please", "either", "neither", "both",
              "winner", "pick", "choose", "of", "to", "in", "on", "for", "as", "clip", "recording", "reply's", "voice"}


def _written(phrase, text):
    """Where `phrase` is written in `text` as whole words, any case (a match, or None); never a phrase of
    instruction words only. A word may open with an apostrophe there and the phrase end in a possessive: "OLD OSS"
    is written in "Old 'Oss box:", "LAMB AND FLAG" in "The Lamb and Flag's box:"."""
    if all(w.lower() in _NOT_NAMES for w in phrase.split()):
        return None
    words = r"[ \t]+['\u2019]?".join(map(re.escape, phrase.split()))
    return re.search(rf"(?<![\w'-]){words}(?![\w-]|['\u2019](?!s\b))", text, re.I)


def asked_by_kind(rubric, clip_labels) -> tuple | None:
    """A comparison answered by what names the clips, where the rubric asks for it by kind: "Answer with the take
    number only." -> ("1", "2", None); "Reply with just the vendor name." over "Lockbox said (...):" / "Stackwell
    said (...):" -> ("Lockbox", "Stackwell", None), the words in which the two clips' label lines differ (no tie:
    offered_pair's shape). None otherwise."""
    asked = re.search(rf"\b(?:{_ANSWER_VERB}|send(?: back)?|give|tell|type)\b[^.\n]{{0,40}}?\b(?:the|its|their)\s+"
                      r"(?:[\w'-]+\s+){0,3}?(name|number)\b", rubric, re.I)
    if not asked:
        return None
    if asked.group(1).lower() == "number":
        return "1", "2", None
    lines = [re.sub(r"\s*\([^()\n]*\)|[\s:]+$", "", label or "").split() for label in clip_labels[-2:]]
    apart = _words_apart(lines)
    return (*apart, None) if apart else None


def _words_apart(lines) -> tuple | None:
    """Two label lines' words -> the words in which they differ, what they start and end with alike left out: [Lockbox,
    said] / [Stackwell, said] -> ("Lockbox", "Stackwell"); None where they differ in more than three words, or only in
    words that name no clip ("first", "reply", ...)."""
    if len(lines) < 2 or not all(lines):
        return None
    first, second = lines
    while first and second and first[0].lower() == second[0].lower():
        first, second = first[1:], second[1:]
    while first and second and first[-1].lower() == second[-1].lower():
        first, second = first[:-1], second[:-1]
    if not (1 <= len(first) <= 3 and 1 <= len(second) <= 3) or all(w.lower() in _NOT_NAMES for w in first + second):
        return None
    return " ".join(first), " ".join(second)


def json_pick_labels(rubric, key, clip_labels) -> list | None:
    """A comparison's JSON answer whose value names the clip as the request's lines over the clips do: the words that
    tell those lines apart, where the rubric's object shows a placeholder for a number, name or code ('{"stronger_bib":
    "<bib number>"}' over "02:15  Box on bib 212's tracker said: ..." / "02:16  Box on bib 87's ...": ["212", "87"]) or
    an example of the same shape ('{"table": 3}' over "Table 3 unit (...):" / "Table 4 unit (...):": ["3", "4"]).
    None otherwise."""
    shown = re.search(rf'"{re.escape(key)}"[ \t]*:[ \t]*"?(<[^<>"\n]{{1,30}}>|[\w-]{{1,12}})"?[ \t]*\}}', rubric)
    # each line to its transcript ("...: 7 times 8 is 56") and without a time before it ("02:15") or a note in brackets
    lines = [re.sub(r"^[ \t]*\d{1,2}:\d{2}[ \t]+|\s*\([^()\n]*\)|:.*$", "", label or "").split() for label in clip_labels[-2:]]
    apart = _words_apart(lines)
    if not shown or not apart:
        return None
    names = [re.sub(r"['\u2019]s$", "", name) for name in apart]        # ("bib 212's tracker": 212)
    shape = [re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", x)) for x in (shown.group(1), *names)]
    if shown.group(1).startswith("<"):
        asked = re.search(r"\b(number|no|id|code|name|label|tag)\b", shown.group(1), re.I)
        fits = asked and (asked.group(1).lower() not in ("number", "no") or all(re.fullmatch(r"\d{1,6}", n) for n in names))
    else:
        fits = shape[0] == shape[1] == shape[2]
    return names if fits else None


def labels_as_asked(labels, template) -> list | None:
    """Two clips' labels as an answer line asks them written, where it asks for less than the whole label: the words
    that tell them apart ("Ticket 047" / "Ticket 048" -> "047" / "048") where the line already holds the words they
    share ("POSITION: _" for "Position 3" / "Position 5"; "RECOMMEND COMPLETION: PLOT <number>" for "Plot 3") or its
    placeholder asks for a number ("NOW CALLING: <ticket number>", "HATCH: <egg number>"). None otherwise.
    `template`: answer_template's (before, placeholder, after)."""
    apart = labels_apart(labels)
    if apart is None or template is None:
        return None
    lead, rests = apart
    before, placeholder, _ = template
    in_line = re.search(rf"(?<![\w-]){re.escape(lead)}\W*$", before, re.I)
    by_number = re.search(r"\b(?:number|no|num|digits?)\b|#|\bn{1,3}\b", placeholder, re.I) and all(
        re.fullmatch(r"[A-Za-z]?\d+[A-Za-z]?", r) for r in rests)
    return rests if in_line or by_number else None


def labels_apart(labels) -> tuple | None:
    """Two clips' labels -> (the words they start with alike, [the words that tell them apart]): "Ticket 047" /
    "Ticket 048" -> ("Ticket", ["047", "048"]); None where they share no first word or differ in more than two."""
    words = [label.split() for label in labels[:2]]
    if len(words) < 2 or not all(words):
        return None
    shared = 0
    while shared < min(map(len, words)) - 1 and words[0][shared].lower() == words[1][shared].lower():
        shared += 1
    rests = [" ".join(w[shared:]) for w in words]
    if not shared or rests[0].lower() == rests[1].lower() or any(len(w) - shared > 2 for w in words):
        return None
    return " ".join(words[0][:shared]), rests


def paired_names(first, second) -> tuple | None:
    """Two clips' label lines that differ in one short word ("Left build audio:" / "Right build audio:",
    "r1 (txt: ...)" / "r2 (txt: ...)", "Maya's answer:" / "Leo's answer:") -> the two words, else None."""
    if not first or not second or len(first) > 120 or len(second) > 120:
        return None
    # (words that only order or introduce the clips are left out: "The recording from the Platform 1 rebuild follows:" /
    # "And the recording from the Platform 2 rebuild:")
    filler = {"first", "second", "third", "1st", "2nd", "3rd", "next", "then", "last", "final",     # "Second clip: Nova's ..."
              "and", "now", "also", "here", "follows", "following", "below", "attached"}
    # (a name may hold a dot or a dash: "Audio of FW-2.1:" / "Audio of FW-2.2:")
    # ("(txt: ...)" aside, and the words quoted after "said": 'Tall Tom said: "7"')
    a, b = ([w for w in re.findall(r"\w(?:[\w.-]*\w)?", re.sub(r"\([^()]*\)|\b(?:said|transcript(?:ion)?)\s*:?\s*[\"\u201c][^\"\u201c\u201d\n]*"
                                                        r"[\"\u201d]|\bsaid\b[^\"\u201c\n]*$", " ", line))
             if w.lower() not in filler] for line in (first, second))
    # (a word that differs only in case is the difference only where none other is: "Model identifier: m" / "... M")
    differ = [k for k, (x, y) in enumerate(zip(a, b)) if x.lower() != y.lower()] or \
        [k for k, (x, y) in enumerate(zip(a, b)) if x != y]
    if not differ and a and [w.lower() for w in a] == [w.lower() for w in b] and re.search(r"\bfirst\b", first, re.I) \
            and re.search(r"\bsecond\b", second, re.I) and len(a) <= 3:
        return "first", "second"        # "The first ghost (transcript: ...):" / "The second ghost (...):": named by their order
    if len(a) == len(b) and differ == [0, 1] and all(w[:1].isupper() and w.isalpha() for w in a[:2] + b[:2]):
        return f"{a[0]} {a[1]}", f"{b[0]} {b[1]}"        # two-word names first: "Tall Tom said:" / "Long Lucy said:"
    i = differ[0] if len(a) == len(b) and len(differ) == 1 else None          # the same line but for one word
    numbered = i is not None and (a[i].isdigit() or b[i].isdigit())
    if i is not None and {a[i].lower(), b[i].lower()} & (ASKERS | {"question", "prompt", "request", "kid", "asker"}):
        return None             # "That's the user." / "That's the assistant.": the question's clip and the reply's
    if i is None or i > 3 and i != len(a) - 1 and not numbered or max(len(a[i]), len(b[i])) > 12 or any(
            (heading_kind(line.rstrip(":")) or ("",))[0] == "question" for line in (first, second)):
        return None
    if numbered and re.search(rf"#[ \t]*{re.escape(a[i])}\b", first) and re.search(rf"#[ \t]*{re.escape(b[i])}\b", second):
        return a[i], b[i]       # "Clip filed under machine #14:" / "... #27:": the numbers are the names
    if numbered:        # "Mic 1 (ASR: ...):" / "Mic 2 (...):": numbered with the word before
        if i and a[i - 1][:1].isupper() and a[i - 1].isalpha():
            return f"{a[i - 1]} {a[i]}", f"{b[i - 1]} {b[i]}"
        return (a[i], b[i]) if i and a[i - 1].isalpha() else None     # "build 14 answer:" / "build 15 answer:": the numbers
    return a[i], b[i]


def ordered_names(text) -> tuple | None:
    """Two clips named only by their order in the prose: "First the red robot, then the blue robot." -> ("red", "blue")."""
    m = re.search(r"\bfirst(?:ly)?,?\s+(?:comes\s+|is\s+)?(?:the\s+)?([A-Za-z][\w-]{0,15})\b[^.\n;]{0,30}?[,;]?\s+(?:and\s+)?"
                  r"(?:then|next|followed by|second(?:ly)?,?)\s+(?:comes\s+|is\s+)?(?:the\s+)?([A-Za-z][\w-]{0,15})\b", text, re.I)
    # or as named in a sentence that says which is first and which second: "The first clip is the one we nicknamed Bow,
    # the second one Stroke."
    m = m or re.search(r"\bfirst\b[^.\n]{0,60}?\b([A-Z][a-z][\w-]{0,14})\b[^.\n]{0,30}?\bsecond\b[^.\n]{0,30}?\b([A-Z][a-z][\w-]{0,14})\b",
                       text) or re.search(r"\bfirst\b[^.\n]{0,60}?\b([A-Z]{2,15})\b[^.\n]{0,30}?\bsecond\b[^.\n]{0,30}?\b([A-Z]{2,15})\b", text)
    #                                                                    (or in capitals: "... the LEFT speaker's unit, the second ... RIGHT")
    # or first in their sentence, their order after them: "The East face recording comes first, then the West face."
    m = m or re.search(r"(?:^|[.!?:]\s+)(?:the\s+)?([A-Za-z][\w-]{0,15})(?:\s+[\w-]+){0,3}?\s+(?:comes\s+|is\s+|goes\s+|plays\s+)?first\b,?"
                       r"\s+(?:and\s+)?(?:then|followed by)\s+(?:the\s+)?([A-Za-z][\w-]{0,15})\b", text, re.I | re.M)
    m = m or re.search(r"\b(?:[Tt]he\s+)?([A-Z][\w-]{1,15})(?:'s)?(?:\s+[\w']+){0,3}?\s+(?:is\s+|comes\s+)?first\b,?\s+(?:and\s+)?"
                       r"(?:then\s+)?(?:[Tt]he\s+)?([A-Z][\w-]{1,15})(?:'s)?\s+(?:is\s+|comes\s+)?second\b", text)      # "The Lead part's recording is
    #                                                                                   first, the Baritone's second."
    # or after "Clip order:": "Clip order: Ivory, then Blush."
    m = m or re.search(r"\b(?:clip|recording|audio|playing) order\s*:\s*(?:the\s+)?([A-Z][\w-]{1,15}),?\s+(?:then|followed by)\s+(?:the\s+)?"
                       r"([A-Z][\w-]{1,15})\b", text, re.I)
    # or in a table's rows: "| Unit Red | first clip |" / "| Unit Blue | second clip |"
    m = m or re.search(r"\|[ \t]*(?:[\w-]+[ \t]+)?([A-Za-z][\w-]{0,15})[ \t]*\|[ \t]*(?:the[ \t]+)?first[ \t]+(?:clip|recording|audio|reply)\b"
                       r"[^\n]*\n[ \t]*\|[ \t]*(?:[\w-]+[ \t]+)?([A-Za-z][\w-]{0,15})[ \t]*\|[ \t]*(?:the[ \t]+)?second[ \t]+"
                       r"(?:clip|recording|audio|reply)\b", text, re.I)
    if m:
        return (m.group(1), m.group(2)) if m.group(1).lower() != m.group(2).lower() else None
    # or each on its own line, its order in a parenthesis: 'RED CORNER (first clip) - transcript: "..."', 'Take "ARTHUR"
    # (first clip): ...', "Shooter 1 (first clip) said: ..." (a quoted name, else a word and its number, else the first word)
    lines = [re.search(rf"(?im)^[ \t]*(?:[-*\u2022][ \t]*)?([^\n()]{{1,40}}?)[ \t]*\((?:the )?{order} (?:clip|recording|audio|file)\)",
                       text) for order in ("first", "second")]
    names = [(re.search(r"[\"\u201c]([\w-]{1,15})[\"\u201d]", x.group(1)) or re.search(r"\b([A-Za-z]\w* \d{1,3})$", x.group(1)) or
              re.match(r"([A-Za-z][\w-]{0,15})", x.group(1))).group(1) if x else None for x in lines]
    # or a slot's code before its order: "Slot A1 is the first recording, slot B7 is the second."
    slots = re.search(r"\b([A-Z]\w{0,4}\d\w{0,3}) is the first (?:clip|recording|one)\b[^.\n]{0,40}?\b([A-Z]\w{0,4}\d\w{0,3}) is the "
                      r"second\b", text)
    names = names if all(names) else [slots.group(1), slots.group(2)] if slots else None
    return tuple(names) if names and names[0].lower() != names[1].lower() else None
