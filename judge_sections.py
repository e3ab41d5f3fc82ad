"""How a judge prompt's user text is cut into its inputs: the sections under headings people write.

    import judge_sections
    judge_sections.split_sections("Question: what is 2 plus 2\nAnswer: four\n\nRate it 1-5.")
    # ([('question', None, 'what is 2 plus 2'), ('reply', None, 'four')], 'Rate it 1-5.')

judge_request.py turns a request's messages into user text (the layouts judge_inputs.py reads
already turned into headed sections) and reads what this file cuts out of it: the question, a
reference, each reply's words, and the free text left for the rubric. A section runs from a
heading that names an input (judge_inputs.heading_kind) to the next one or to what ends it:
an end marker, the clip it labels, a paragraph only a judge's instructions would hold. reward.py's
own requests are read under its own headings only (our_sections). All of this is heuristic:
README, *Use your own judge prompt*, says how far it carries on prompts it was not built from.

Deviations: none from the paper (it does not say how its judge parses prompts).
"""
import re

from judge_inputs import AFTER_AUDIO, heading_kind, introduced_kind, sentences


# Section headings people put in the user text: "Question:", "Transcript of answer:",
# "## Response A", "[The Start of Assistant A's Answer]" ...
_LIST_ITEM = re.compile(r"^[ \t]*(?:\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}[.)]|[-*\u2022])[ \t]+")   # "1. The user asked: ...", "3.1 ..."
_HEADING = re.compile(r"^[ \t]*+(?:(?:\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}[.)]|[-*\u2022])[ \t]++)?(?:#{1,6}[ \t]*+)?(?:\*\*|__)?"
                      r"\[?(?P<name>[A-Za-z](?:[\w '\u2019/\u2013\u2014-]|\([^()\n]{0,40}\)){0,58}?)\]?[ \t]*+"    # "X (a, b)"
                      r"(?:\*\*|__)?+\.?[ \t]*+(?::(?!\d)(?:\*\*|__)?[ \t]*(?P<rest>.*)|(?P<bare>))$")     # "resp orth.:" too; not "at 23:40"
_BRACKET = re.compile(r"^[ \t]*(?:\[|<\|)(?P<name>[^\]|\n]{1,60})(?:\]|\|>)[ \t]*$")     # [Question], <|User Prompt|>
# reward.py's own headings, read exactly in its requests: a question or transcript there says whatever a
# dataset or a policy says ("A: 3", "In the end: ..."), so no other line of it starts or ends a section
_OURS = {"Question": ("question", None), "Reference answer": ("reference", None),
         "Transcript of the reply": ("reply", None), "Transcript of reply A": ("reply", "A"),
         "Transcript of reply B": ("reply", "B")}
_EMPTY_SLOT = re.compile(r"^[ \t]*(?:[A-Z][a-z]+ )?(?:score|rating|grade)s?[ \t]*(?:\([^()\n]*\))?[ \t]*:[ \t]*$", re.I)
# What only a judge's instructions say: a paragraph with one of these after a reply is the rubric
# again ("Which output is better? Reply <choice>A</choice> ..."), and a question-like section with
# one (MT-Bench's "[Instruction]" block above its "[Question]") is the judge's, not the user's.
RUBRIC_CUE = re.compile(r"<(?:score|rating|grade|choice|verdict|winner|prefer\w*|decision)[\w-]*>|\[\[|\bJSON\b|"
                         r"\b(?:justification|rationale)\b|\bon (?:its|a) own line\b|\b(?:a|the) (?:last|final) line\b|"
                         r"\bthink step by step\b|\{\s*\"(?:score|rating|grade|verdict|winner|prefer\w*|choice)\w*\"\s*:|"
                         r"\b(?:grader|evaluator|act as an?)\b|\b(?:output|return|respond|reply)\s+(?:only|just|with)\b|"
                         r"\bgive (?:your|a|an|the)(?: [a-z]+)? (?:score|rating|verdict|grade|mark)\b|"     # "Give a correctness score"
                         r"\b(?:after|before) (?:judging|rating|scoring)\b|"
                         r"\bdecide (?:whether|if|which)\b|\bexplain (?:briefly|your reasoning|your answer|why)\b|"   # "..., then end with"
                         r"\b(?:rate|score|grade|judge|evaluate|assess)\s+(?:the|each|both|this|these|how|whether|only|it|its|their)\b|"
                         r"\blisten to (?:the|each|both|this)\b|\bconsider (?:only|just|both)\b|"
                         r"\b(?:output|write|answer|reply|return)\s+[\"'`]?(?-i:[A-Z]{2,})[\"'`]?\s+if\b|"     # "Output PASS if ..."
                         r"\bwhich (?:output|response|answer|reply|recording|clip|one|candidate|sample|voice|version|rendering|rendition) "
                         r"(?:is|was|sounds|answers|do|has)\b|\bjudge which\b|"
                         r"\bwhich (?:variant|app|system|model|assistant|bot|option) (?:gives|gave|did|does|is|was|sounds|has)\b|"
                         # a plain order or yes/no question to the judge: "Answer yes or no.", "Is the answer correct?"
                         r"\banswer (?:with|yes|no|in|only|using)\b|^[ \t]*(?:is|was|does|did) (?:the|this|it)\b[^\n]{0,60}\?",
                         re.I | re.M)


def our_sections(text) -> tuple[list, str]:
    """reward.py's own user text -> (sections, free text), as split_sections gives them, reading only
    its own headings (_OURS): its question and transcripts are read whole whatever they say."""
    sections, free, current = [], [], None
    for line in text.splitlines():
        kind = _OURS.get(line[:-1]) if line.endswith(":") else None
        if kind:
            current = [kind[0], kind[1], []]
            sections.append(current)
        else:
            (current[2] if current is not None else free).append(line)
    return [(k, lab, "\n".join(body).strip()) for k, lab, body in sections], "\n".join(free).strip()


def _quoted_then_rubric(rest) -> tuple[str, str]:
    """'"what is 2 plus 2". Listen to the reply below and rate ...' -> (the quoted question, the rest: rubric)."""
    quoted = re.match(r'\s*["\u201c]([^"\u201c\u201d\n]{2,300})["\u201d][.!?]?\s+(\S.*)$', rest) or \
        re.match(r"\s*'([^'\n]{2,300})'[.!?]?\s+([A-Z].*)$", rest)       # "'which is smaller 71 or 38'. Two replies follow"
    return (quoted.group(1), quoted.group(2)) if quoted else (rest, "")


def _asked_then_rubric(rest) -> tuple[str, str]:
    """A question given on its heading's line with the judge's instructions run on after it ("how many letters in bread,
    say it quietly (...). I ONLY want to know which voice sounds better ...") -> (the question, the rest: rubric); the
    rest starts at a sentence that speaks to the judge (not the question's own "Say it loudly.")."""
    said = sentences(rest)
    for k in range(1, len(said)):
        if re.match(r"[\W]*(?:I|I'm|we|we're|please|rate|score|judge|grade|reply|answer|respond|tell|pick|choose|decide|listen|"
                    r"which (?:one|of|voice|reply|box|answer|is better)|whether|only|just|now)\b", said[k], re.I):
            return " ".join(said[:k]), " ".join(said[k:])
    return rest, ""


def _then_introduced(rest) -> tuple[str, tuple | None]:
    """A heading's text on its own line that ends by introducing the next input ('The user asked: "spell
    dog backwards". Here is the first answer:') -> (the text before that sentence, (the sentence, its
    introduced_kind)); else (rest, None)."""
    said = sentences(rest)
    kind = introduced_kind(said[-1]) if len(said) > 1 else None
    return (" ".join(said[:-1]), (said[-1], kind)) if kind else (rest, None)


# a heading that names the clip, not its words: "Response (audio)", "Reply audio", "Audio of the answer"
_CLIP_ONLY = re.compile(r"\((?:[^()]*\b)?(?:audio|recording|clip|wav|sound)\b[^()]*\)|"
                        r"\b(?:reply|response|answer|assistant|output)[\W_]+(?:audio|recording|clip|wav)\b|"
                        r"\b(?:audio|recording|clip) of the (?:reply|response|answer)\b", re.I)
# "Model answer voice is below.", "(audio attached)": where the clip is, not what it says
_CLIP_NOTE = re.compile(r"^[ \t(]*(?:[\w']+[ \t]+){0,5}?(?:voice|audio|recording|clip|sound|speech|reply|response|answer)\b"
                        r"[^.:\n]{0,30}?[ \t]"
                        r"(?:attached[ \t]+)?(?:below|above|attached|next|follows)\b[ \t]*(?:here[ \t]*)?[.:)]*[ \t]*$|"   # "The audio of the reply is attached below."
                        r"^[ \t]*(?:\w+[ \t]*){0,2}[(\[][ \t]*(?:audio|recording|clip|wav|sound)"
                        r"(?:[ \t]+\w+){0,2}[ \t]*[)\]][ \t]*:?[ \t]*$",
                        re.I)       # "(audio)", "A (audio):"
_EMOJI_MARK = re.compile("^[ \t]*[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff][\ufe0f]?[ \t]*")
# a line about the replies, not the user's words: "The assistant's reply is in the audio below.", 'Both answers say "21".'
_ABOUT_REPLIES = re.compile(r"\b(?:answers?|repl(?:y|ies)|responses?|recordings?|audio|transcript(?:s|ion)?|clips?|assistant's|"
                            r"subtitles?|captions?|"
                            r"(?:both|two|the) (?:systems|models|bots|versions|voices|takes))\b", re.I)
PLACEHOLDER_CLIP = (r"\s*(?:[<\[(][ \t]*(?:audio|attached|see (?:the )?(?:audio|clip|below)|clip|recording|wav|sound)\b[^<>\[\]()\n]{0,30}"
                     r"[>\])]|(?:not (?:provided|available|given)|none|n/a|unavailable|no transcript)\b[^\n]{0,60}|"   # "not provided, listen"
                     r"(?:the |an? )?attached (?:audio|recording|clip|wav)(?: (?:recording|clip|file))?\b[^\n]{0,80}|"   # "attached audio clip"
                     r"attached(?:[ \t]+(?:below|above|here|separately))?[ \t]*\.?|"                           # "bot_reply_audio: attached below"
                     r"see (?:the )?(?:attached )?(?:audio|clip|recording|attachment)(?:[ \t]+(?:below|above|attached))?[ \t]*\.?|"    # "Reply: see recording"
                     r"(?:audio|clip|recording|track|file|wav|sound)(?:[ \t]*(?:#|no\.?)?[ \t]*\d{1,2}|[ \t]+[a-z])?[ \t]*\.?|"   # a log's
                     #                                                  "reply=clip", a table's "| Answer A | audio 1 |"
                     r"[\w-]{1,40}\.(?:wav|mp3|flac|ogg|m4a|opus)[ \t]*\.?|"        # "reply=clip_0541.wav"
                     r"(?:the |an? )?(?:audio|recording|clip)(?: (?:recording|clip|file))? (?:is |are )?(?:below|above|attached|follows)\b"
                     r"[^\n]{0,60})\s*:?\s*")                  # "audio recording below (no transcript was supplied)."
# a form's field with its value on its line: "Member asking: Mrs D. Okafor", "Overall mark (0-10): __"
_FIELD_LINE = re.compile(r"[ \t]*[A-Z][A-Za-z' ]{1,30}(?:[ \t]*\([^()\n]{0,60}\))?[ \t]*:[ \t]*\S")
_WORDS_GIVEN = re.compile(r"transcri|te?xt|asr|words|said|spoke|says", re.I)      # a heading over a reply's words
_GIVEN_TRANSCRIPT = re.compile(r"^[ \t]*(?:#{1,6}[ \t]*)?([A-Za-z][\w '\u2019]{0,60}?)[ \t]*\((?:[^():\n]{0,40}?,[ \t]*)?(?:transcript(?:ion)?|text|asr|"
                               r"says|said)[ \t]*:?[ \t]*(?![ \t]*(?:transcript(?:ion)?|text)[ \t]*\))([^()\n]{1,300})\)[ \t]*:?[ \t]*$", re.I)    # "(audio attached, transcript: ...)" (not "(ASR transcript)")


def _heads_words(line) -> bool:
    """Whether a line is an input heading with its text ("Transcript: seven") or the clip's place (AFTER_AUDIO)."""
    m = _HEADING.match(line)
    return line == AFTER_AUDIO or bool(m and (m.group("rest") or "").strip() and heading_kind(m.group("name")))


def _run_on(line) -> list:
    """'We test our bot. Question: what is 6 times 7. Bot reply text: "6 times 7 is". Audio:' -> its inputs one a line:
    a sentence that ends where a question, a reference or a reply's words are named ("Bot reply text:") or the clip's
    label ("Audio:") begins; the full stop between them is the prose's, not the input's."""
    if len(line) > 600 or ": " not in line and not line.endswith(":"):
        return [line]
    pieces, start = [], 0
    for m in re.finditer(r"([.!?][\"\u201d]?)[ \t]+(?=([A-Z][\w' ]{0,30}?):(?:[ \t]|$))", line):
        kind = heading_kind(m.group(2))
        piece = line[start:m.start(1) + len(m.group(1))]
        if len(piece.split()) >= 2 and kind and (kind[0] in ("question", "reference", "end")     # not a list's "1."
                                                 or kind[0] == "reply" and _WORDS_GIVEN.search(m.group(2))):
            pieces.append(piece[:-1] if piece.endswith(".") else piece)
            start = m.end()
    return pieces + [line[start:]]


def split_sections(text) -> tuple[list, str]:
    """User text -> ([(kind, label, body), ...], free text outside any input section).
    A section runs to the next recognised heading or an end marker, to some other heading
    set apart as one ("## Task", "**Rubric**"), or to a blank line followed by some other
    'Heading:' line or, after a reply, by a paragraph only a judge's instructions would hold
    (RUBRIC_CUE): the rubric's own text after the inputs."""
    sections, free, current, blank, after_q, shown = [], [], None, False, False, False
    inline_input, example = None, False      # an input section whose heading line gave its text; in an example
    numbered = None         # (section, its heading's "Field 2"-like word) when the heading line gave the section's text
    lines = [piece for line in text.splitlines() for piece in _run_on(line)]
    # "A: ..." and "B: ..." (no "C:", not a list of choices) are two replies
    lone = set(re.findall(r"(?m)^[ \t]*(?:[-*][ \t]+)?(?:\*\*)?([A-C])(?:\*\*)?[ \t]*(?::|\((?:[^():\n]{0,40}?,[ \t]*)?"
                          r"(?:transcript|text|asr|says|said)\b)", text))
    lone_pair = {"A", "B"} <= lone and "C" not in lone and not re.search(        # ... nor choices beside an "Answer:"
        r"(?mi)^[ \t]*(?:#+[ \t]*)?(?:\*\*)?(?:the )?(?:answer|response|reply|transcript\w*|output)\b[^:\n]{0,30}:", text)
    for i, line in enumerate(lines):
        if line == AFTER_AUDIO:
            current = None
            continue
        # a worked example's lines are the rubric's, not inputs: to a blank line, or under a markdown heading ("# Example:")
        # to the next heading of its level or above ("# Task:")
        if example and (line.strip() if example is True else not re.match(rf"[ \t]*#{{1,{example}}}(?!#)", line)):
            free.append(line)
            continue
        example = bool(re.fullmatch(r"[ \t*#]*(?:an? |the )?(?:worked |calibration |sample |scored )?example\b[^:\n]{0,80}:[ \t*]*",
                                    line, re.I))
        if example and line.lstrip().startswith("#"):
            example = len(line.lstrip()) - len(line.lstrip().lstrip("#"))
        if example:         # "Worked example (for calibration only, do not score it):" over its lines, to a blank line
            free.append(line)
            current = None
            continue
        if len(re.findall(r"\b(?:(?:first|second|1st|2nd)[ \t]+(?:clip|recording|sound|audio|track|file)|(?:clip|recording|sound|audio|"
                          r"track|file)[ \t]*(?:#|no\.?)?[ \t]*\d{1,2})[ \t]*[:=]", line, re.I)) >= 2:
            free.append(line)   # "Clip 1: rider's request. Clip 2: the box.", "First clip: ... Second clip: ...": what each clip
            #                     is, on one line, not their words
            current = None
            continue
        asked_before = current is not None and current[0] == "question"
        # (a reply's words given on its heading's line end at a new paragraph about the replies or their audio: "The audio
        # of the first response comes first"; not at any paragraph: "It is 5 percent.\n\nThe rate is set by ...")
        if current is not None and current is inline_input and (
                current[0] != "reply" and (_ABOUT_REPLIES.search(line) or blank and line.strip() or re.match(
                    r"[ \t]*[A-Za-z][\w' ]{0,30}?\b(?:said|says|answered|replied|responded)\b[^:\n]{0,40}:[ \t]*\S", line))
                # ("Box said (as I heard it): um I think it is 5" under "Tonight's question: ...": its words, not the question's)
                or current[0] == "reply" and (blank or re.search(r"\b(?:clips?|recordings?|audio)\b", line, re.I))
                and _ABOUT_REPLIES.search(line)
                or current[0] == "reply" and re.match(r"[ \t]*(?:score|rate|grade|judge|evaluate|assess|return|reply|respond|output)\b",
                                                      line, re.I)      # "Score DELIVERY only, 0-10: ...": the instructions
                or current[0] == "reply" and blank and (re.match(r"[ \t]*(?:judge|rate|score|grade|evaluate|assess|end|finish|conclude|"
                                                                 r"write|choose|pick|decide)\b", line, re.I)      # ('End with "Preferred: 1"')
                                                        or re.search(r"\bplease\b", line, re.I))
                # (a new paragraph asking the judge, "The words are fine - please do not consider them", not a reply's next
                # paragraph, "The rate is set by the central bank.")
                or re.match(r"[ \t]*[a-z][a-z0-9]*(?:_[a-z0-9]+)+[ \t]*:", line)
                or i >= 2 and all(_FIELD_LINE.match(x) for x in lines[i - 2:i + 1])):       # a card's fields, one a line
            current = None      # "The user asked: what is 2 plus 2" then 'Both answers say "4".', a new paragraph or another
            #                     field ("agent_name: KioskVoice v4.1"): the question was its line
            if _CLIP_NOTE.match(line):
                continue            # "The reply is attached.": neither the question nor the reply's words
        if current is not None and current is inline_input and re.match(
                r"[ \t]*(?:criteri(?:a|on)|rubric|instructions?|scoring|rules?|guidance)[ \t]*:", line, re.I):
            current = None      # "Unit reply (transcript): 7 times 8 is 54" then "Criteria: CHECK is about ...": the rubric's
        if current is not None and current[0] == "question" and "".join(current[2]).strip() and re.match(
                r"[ \t]*(?:and |then |so )?[A-Za-z][\w' ]{0,30}?\b(?:answered|replied|responded)\b[^:\n]{0,40}:[ \t]*\S", line, re.I):
            current = None      # '"Repeat after me ..."' then "and the guide answered: you said dark barrel": a reply on its line
        field = re.match(r"[ \t]*([A-Za-z]{2,12})[ \t]*\d{1,2}[ \t]*(?:[-:.)\u2013\u2014]|$)", line)
        if current is not None and numbered and current is numbered[0] and field and field.group(1).lower() == numbered[1]:
            current = None      # "Field 2 - Response: the recording above" / "Field 3 - Overall score: ...": the next field
        if current is not None and re.fullmatch(r"[ \t]*([-=*_~])\1{3,}[ \t]*", line):
            current = None              # a rule line ("--------") closes the input above it
        if current is not None and re.fullmatch(r"[ \t]*```[\w-]*[ \t]*", line):
            current = None              # a code block's fence closes the input inside it (kept: fences pair in the rubric)
        if shown and line.strip():              # "... a line of the form:" / "Answer: A / B / TIE": the answer's form
            free.append(line)
            current, shown = None, False
            continue
        opens_form = bool(re.search(r"\b(?:answer|reply|respond|output|finish|end|return|write|line)\b.{0,60}\b(?:form|format|"
                                    r"template|as follows|like this|exactly|must be|should be|on (?:one|a single|its own) line)"
                                    r"\s*:\s*$", line, re.I))
        shown = opens_form or shown and not line.strip()
        if opens_form:                          # the judge's own instructions: no input runs on into them
            free.append(line)
            current, blank = None, False
            continue
        line = _EMOJI_MARK.sub("", line)        # "❓ Question: ...", "🔊 Reply audio:": a heading's emoji is decoration
        # "[Turn 2] User: ...": a dialogue's turn number before the speaker
        line = re.sub(r"^[ \t]*\[(?:turn|msg|message)?[ \t]*\d{1,3}\][ \t]*(?=[A-Za-z][^:\n]{0,40}:)", "", line, flags=re.I)
        banner = re.fullmatch(r"[ \t]*(?:={2,}|-{3,})[ \t]*([A-Za-z][^=\n]{0,48}?)[ \t]*(?:={2,}|-{3,})[ \t]*|"
                              r"[ \t]*<{2,3}[ \t]*(/?)[ \t]*([A-Za-z][\w .-]{0,48}?)[ \t]*>{2,3}[ \t]*", line)
        if banner:               # "=== Candidate A ===", "<<<USER_TURN>>>" ... "<<<END_USER_TURN>>>": headings set apart
            line = f"## {banner.group(1) or ('END ' if banner.group(2) else '') + banner.group(3)}"
        # "| user_turn | what is 2 plus 2 |": a table of fields, one input a row
        row = re.fullmatch(r"[ \t]*\|[ \t]*(?:\*\*|__)?([A-Za-z][\w .-]{0,40}?)(?:\*\*|__)?[ \t]*\|[ \t]*([^|\n]*?)[ \t]*\|[ \t]*", line)
        if row and heading_kind(re.sub(r"[_.]", " ", row.group(1))):
            line = f"{re.sub(r'[_.]', ' ', row.group(1))}: {row.group(2)}"
        elif re.fullmatch(r"[ \t]*\|.*\|[ \t]*", line) and current is not None:
            current = None              # "| **Criterion** | ... |" below the inputs' rows: the rubric's
        ref = re.fullmatch(r"[ \t]*(?:the[ \t]+)?(?:correct|right|expected|reference|true|gold)[ \t]+answer[ \t]+(?:is|was|should be)"
                           r"[ \t]*:?[ \t]*(\S.*?)[ \t]*\.?[ \t]*", line, re.I)
        if ref and (current is None or current[0] == "question"):      # "The correct answer is 5."
            sections.append(["reference", None, [ref.group(1)], "said"])
            current, blank = None, False
            continue
        # "**Candidate A** - transcript: ...": the bold name is the heading's first words
        line = re.sub(r"^([ \t]*)(\*\*|__)([A-Za-z][^*_:\n]{0,40})\2(?=[ \t]*(?:-|\u2013|\u2014|,)?[ \t]*[A-Za-z][^:\n]{0,30}:)", r"\1\3", line)
        line = re.sub(r"^([ \t]*[A-Za-z][\w ']{0,30}?),[ \t]*(transcript(?:ion)?|text|asr)[ \t]*:", r"\1 \2:", line)   # "Reply A, transcript:"
        line = re.sub(r"^([ \t]*[A-Za-z][\w ']{0,30}?),[ \t]*as[ \t]+[^:\n]{0,40}?\b(?:showed|shows|displayed|displays|printed|logged|"
                      r"typed|wrote|captioned)(?:[ \t]+it)?[ \t]*:", r"\1 (transcript):", line)   # "Box's answer, as its screen showed it:"
        line = re.sub(r"^[ \t]*\([ \t]*(transcript(?:ion)?|asr)[ \t]*:[ \t]*(.+?)\)[ \t]*\.?[ \t]*$", r"\1: \2", line,
                      flags=re.I)                # '(Transcript: "I'm not sure, sorry.")' under its clip
        line = re.sub(r"^([ \t]*[A-Za-z][\w ']{0,30}?(?:[ \t]*\([A-Za-z0-9]\))?),[ \t]*(?:its |the )?(?:transcript(?:ion)?|text|asr)[ \t]+"
                      r"(?:is|reads)[ \t]*:?[ \t]*([\"\u201c][^\"\u201d\n]{1,300}[\"\u201d])[ \t]*:?[ \t]*$", r"\1: \2", line)   # 'First answer (A), text is "...":'
        bracketed = re.match(r"^[ \t]*\[([^\]\n]{1,40})\][ \t]*(?:\((?:transcript(?:ion)?|text|asr)[ \t]*:?[ \t]*([^()\n]{1,300})\)"
                             r"|(?:transcript(?:ion)?|text|asr)[ \t]*:[ \t]*(\S.*?))[ \t]*:?[ \t]*$", line, re.I)
        if bracketed and (heading_kind(bracketed.group(1)) or ("",))[0] == "reply":
            line = f"{bracketed.group(1)}: {bracketed.group(2) or bracketed.group(3)}"     # "[Response A] transcript: ..."
        else:                               # "[user] what is 2 plus 2", "[model transcript] 4": a log's speaker, then the words
            logged = re.match(r"^[ \t]*\[([A-Za-z][\w ]{0,30})\][ \t]+(?=[^\s:(\[])(.+)$", line)
            line = f"{logged.group(1)}: {logged.group(2)}" if logged and heading_kind(logged.group(1)) else line
        given = _GIVEN_TRANSCRIPT.match(line) or re.match(
            r"^[ \t]*([A-Za-z][\w ]{0,40}?)[ \t]+(?:-|\u2013|\u2014|says|said)[ \t]+"
            r"[\"\u201c]([^\"\u201d\n]{1,300})[\"\u201d][ \t]*:?[ \t]*$", line)
        if given and ((heading_kind(given.group(1)) or ("",))[0] == "reply" or lone_pair and given.group(1) in ("A", "B")):
            line = f"{given.group(1)}: {given.group(2)}"      # "Response 1 (transcript: the smaller is 27):"
        m = _BRACKET.match(line) or _HEADING.match(line)
        # "## Task", "**Rubric**": set apart as a heading. A bracketed line is not ("[empty]", our
        # own client's word for a reply with no text, is a transcript)
        marked = bool(m) and (m.re is _HEADING and line.lstrip().startswith(("#", "**", "__")) or
                              m.re is _BRACKET and m.group("name").strip()[:1].isupper() and m.group("name").strip() != "Empty"
                              and current is not None and current[0] != "reply")     # "[Task]" after "[Question]" (not "[laughs]")
        if m and m.groupdict().get("bare") is not None and not marked and not (
                (heading_kind(m.group("name")) or (None, None))[1] and _heads_words(lines[i + 1] if i + 1 < len(lines) else "")):
            m = None            # a bare "Answer" line is text; "## Answer", "**Answer**" is a heading, and "Response A"
            #                     over "Transcript: ..." or its clip (not in a list of answers: "Response A / Response B / Tie")
        kind = heading_kind(m.group("name")) if m else None
        if kind == ("reply", None) and current is not None and current[0] == "reply" and current[1] \
                and not "".join(current[2]).strip():
            kind = ("reply", current[1])       # "Response A" / "Transcript: ...": the transcript of reply A
        # "Reply: A, B or SAME" (the replies' own labels listed, a tie's word after them): the answer's form, not a reply
        if kind and kind[0] == "reply" and re.fullmatch(r"[ \t]*[\"'`]?(A|1|first|left|X)[\"'`]?[ \t]*(?:,|/|\bor\b)[ \t]*[\"'`]?(B|2|second|right|Y)"
                                                    r"[\"'`]?(?:[ \t]*,?[ \t]*(?:or\b|/)?[ \t]*[\"'`]?[A-Za-z][\w -]{0,15}?[\"'`]?)?[ \t]*\.?[ \t]*",
                                                    m.groupdict().get("rest") or "", re.I) or \
                kind and kind[0] == "reply" and re.match(r"[ \t]*([A-Za-z][\w' ]{0,20}?)[ \t]*:[ \t]*\S[^\n]{0,30}?[ \t]+(?:or|/|\|)[ \t]+\1[ \t]*:",
                                                         m.groupdict().get("rest") or ""):    # "Reply: Use: CP3  or  Use: CP5"
            free.append(line)
            current, blank = None, False
            continue
        if kind == ("reply", None) and re.match(r"[ \t*]*(?:(?:a|an|one|exactly one|only|just)[ \t]+(?:single[ \t]+)?(?:line|word|letter|"
                                                r"number|integer|digit|json|object|token|label|verdict|score|choice)|"
                                                r"(?i:type|write|enter|choose|pick|select|circle|tick))\b",
                                                m.groupdict().get("rest") or ""):
            free.append(line)           # "**Output:** a single line `Preferred: A` or ...", "Answer: type LEFT or RIGHT.": the
            #                             answer's form, not a reply
            current, blank = None, False
            continue
        if kind == ("reply", None) and re.match(r"[ \t]*[\"'`]?(?-i:[A-Z][A-Z0-9]+(?:[ .'-]+[A-Z0-9]+){0,3})\.?[ \t]*[:=]",
                                                m.groupdict().get("rest") or ""):
            free.append(line)           # "Answer: COMMISSION: Mabel or COMMISSION: Otis", "Reply: BARREL: <grade>": a
            #                             capitals key's line to fill in, not a reply's words
            current, blank = None, False
            continue
        if kind and kind[0] in ("reply", "question") and (len(re.findall(r"=[ \t]*\d{1,3}(?![\w.])|(?<![\w.])\d{1,3}[ \t]*=(?!=)",
                                                                        m.groupdict().get("rest") or "")) >= 2 or
                                                           re.search(r"\([^()\n]{0,30}\b[01][ \t]*(?:[-\u2013]|to)[ \t]*\d{1,3}[ \t]*\)|"
                                                                     r",[ \t]*[01][ \t]*(?:[-\u2013]|to)[ \t]*\d{1,3}[ \t]*$", m.group("name"))):
            free.append(line)       # "- ANSWER (weight 7): right and complete = 5, almost right = 3, ...", "VOICE (1-5): 5 clear
            current, blank = None, False        # and ...; 4 ...", "IBIVUGWA - what it says, 1 to 5: ...": the anchors of a
            #                                     scale for the answer, not its words
            continue
        introduced = None if kind else introduced_kind(line)
        if introduced == ("reply", None) and sections and sections[-1][:2] == ["reply", None] and "".join(sections[-1][2]).strip() \
                and _WORDS_GIVEN.search(sections[-1][3]) and re.search(r"\b(?:recording|audio|clip|sound)\b", line, re.I) \
                and not re.search(r"transcri|\btext\b|\bwords\b", line, re.I):
            free.append(line)   # 'The box said: "..."' then "Here's the recording so you can hear how it came out:": its clip
            current = None
            continue
        if introduced:                          # the sentence stays rubric; what follows it is the input
            free.append(line)
            current = [*introduced, [], "said"]
            sections.append(current)
            blank = False
            continue
        inline = None if kind or current is not None else re.match(r"(.*?[^\s:])\s*:[ \t]+(\S.*)$", line)
        # only a head that tells what was said ("I asked it", "the bot replied"), not an order ("Reply in the form")
        # in a short head ("I asked it", not "... matches what the user asked for: the emotion, ...")
        heads = sentences(inline.group(1)) if inline else []
        told = inline and len(heads[-1].split()) <= 10 and \
            re.search(r"\b(?:asked|asks|ask|said|says|answered|replied|responded|got|received|(?:question|request) (?:is|was)|"
                      r"(?:gave|sent|played) (?:it|them|the \w+)|answering (?:the|a|this|my|our) (?:same )?(?:prompt|question|request)|"
                      r"(?:this|here) is (?:the|my|our|a|an)(?: \w+'s)? (?:question|prompt|request))\b(?! for\b)", heads[-1], re.I)
        # a heading after a sentence: "Two versions answered the same question. Question: what is 2 plus 2"
        named = heading_kind(heads[-1]) if len(heads) > 1 and len(heads[-1].split()) <= 8 else None
        # (a question or a reference only: "Think it through first. Answer: YES or NO." is an order)
        # (or a reply's words after a sentence about its clip: "The reply is in the audio below. Transcript: ...")
        introduced = named if named and (named[0] in ("question", "reference") or named[0] == "reply" and re.fullmatch(
            r"(?:the |its |their )?(?:transcript(?:ion)?|asr|text)(?: is| reads)?", heads[-1].strip(), re.I)
            and _ABOUT_REPLIES.search(heads[-2])) else \
            told and introduced_kind(inline.group(1) + ":")
        if introduced:                          # "... a second opinion. I asked it: spell dog backwards": one line
            free.append(inline.group(1) + ":")
            given = inline.group(2)
            if inline.group(1).count("(") > inline.group(1).count(")") and ")" in given:
                given = given[:given.index(")")]     # "... as follows (our transcription: lemon backwards is lemon)."
            body, then = _then_introduced(given)
            body, after = _quoted_then_rubric(body) if not then else (body, "")
            free += [after] if after else []
            sections.append([*introduced, [body], "said"])
            current, blank = None, False
            if then:
                free.append(then[0])
                current = [*then[1], [], "said"]
                sections.append(current)
            continue
        letter = re.sub(r"[ \t]*\([^()]*\)", "", m.group("name")).strip() if m else None     # "A (transcript): ..." too
        if m and not kind and lone_pair and letter in ("A", "B"):
            kind = ("reply", letter)
        if m and letter == "A" and after_q and asked_before and not lone_pair:
            kind = ("reply", None)       # the answer of a "Q: / A:" pair (a lone "A:" may be a choice or a label)
        if kind:
            after_q = m.group("name").strip() in ("Q", "q")
        # right after the same reply's words under a heading that gave them ("Text it spoke: ..." then "Recording:"),
        # an empty reply heading only labels that reply's clip
        after_words = bool(kind) and kind[0] == "reply" and bool(sections) and sections[-1][:2] == [*kind] and \
            bool("".join(sections[-1][2]).strip()) and bool(_WORDS_GIVEN.search(sections[-1][3]))
        if kind and kind[0] == "end":
            current = None
        elif kind and kind[0] == "reply" and _CLIP_ONLY.search(m.group("name")) and not re.search(
                r"\b(?:transcri\w*|text|asr|words)\b", m.group("name"), re.I):
            if not after_words:
                sections.append([kind[0], kind[1], [], m.group("name")])     # "RESPONSE (audio): attached below"
            current = None              # the clip's label
            if (m.groupdict().get("rest") or "").strip():
                free.append(m.group("rest"))
        elif after_words and not (m.groupdict().get("rest") or "").strip():
            current = None
        elif m and re.fullmatch(r"(?:(?:first|second|third|1st|2nd|3rd) )?(?:clip|recording|audio|file)(?: \w{1,2})?",
                                m.group("name").strip(), re.I) and \
                len((holds := re.sub(r"\([^()]*\)", "", m.groupdict().get("rest") or "").strip().rstrip(".:")).split()) <= 6 and \
                (described := heading_kind(holds)):
            # "Second clip: reply A.", "First clip: the kid's question (recorded ...)": what the clip is
            sections.append([described[0], described[1], [], m.group("rest")])
            current = None
        elif kind:
            current = [kind[0], kind[1], [], m.group("name")]
            sections.append(current)
            rest, then = _then_introduced(m.groupdict().get("rest") or "")
            rest, after = _quoted_then_rubric(rest) if not then and kind[0] in ("question", "reply") else (rest, "")
            rest, after = _asked_then_rubric(rest) if not then and not after and kind[0] == "question" else (rest, after)
            free += [after] if after else []
            if rest.strip():
                current[2].append(rest)
                inline_input = current      # "Reference answer: 5", "Second response (transcript): the answer is 13"
                numbered = (current, field.group(1).lower()) if field else numbered
            clip_after = re.search(r"[ \t]*\((?:the )?(?:recording|audio|clip)s?[ \t]+(?:is[ \t]+)?(?:below|attached|follows)\)[ \t.]*$", rest)
            if kind[0] == "reply" and clip_after and rest[:clip_after.start()].strip():
                current[2][-1] = rest[:clip_after.start()]
                current = None          # "What it said: 4 plus 4 is 8 (recording below)": the words, then the clip
            elif kind[0] in ("reply", "question") and re.fullmatch(r'\s*["\u201c][^"\u201c\u201d\n]+["\u201d][.!?]?\s*', rest):
                current = None          # 'Its transcript is: "seven".', 'The player asked: "how many letters in cloud".': the
                #                         quote is all of it
            if _LIST_ITEM.match(line):          # a list item's input is its own line: the next item is not in it
                current = None
            if then:
                free.append(then[0])
                current = [*then[1], [], "said"]
                sections.append(current)
        elif current is not None and (marked or _EMPTY_SLOT.match(line) or re.match(r"[ \t]*#{1,6}[ \t]+\S", line) or blank and (
                m and m.groupdict().get("rest") is not None or RUBRIC_CUE.search(line))
                or current[0] == "question" and "".join(current[2]).strip() and RUBRIC_CUE.search(line)):
            # "Question: ...\nRate the reply 1-5." (not "Question:\nIs it true that ...?", the question itself)
            current = None
            free.append(line)
        elif current is not None and line.rstrip().endswith(":") and len(line) <= 120 and \
                all(x in ("", AFTER_AUDIO) for x in lines[i + 1:i + 3]) and (AFTER_AUDIO in lines[i + 1:i + 3] or i + 1 == len(lines)):
            current = None              # "r1 (txt: the count is 5):" just before its clip (or ending the text): the clip's label
            free.append(line)
        elif current is not None and current[0] == "reply" and (_CLIP_NOTE.match(line) or blank and re.match(
                r"[ \t]*(?:[\w']+[ \t,]+){0,8}?(?:audio|clips?|recordings?)\b[^\n]{0,40}:[ \t]*$", line, re.I)):
            current = None              # neither the reply's words nor the rubric
        elif current is not None and current[0] == "question" and blank and line.strip() and "".join(current[2]).strip() \
                and (current[3] == "said" or re.search(r"question|request|prompt|\bask|query|utterance", current[3], re.I)):
            # "This week's test question was:" over its paragraph: the question is that paragraph (not a
            # "Conversation:" or "Context:" section, which may run to several)
            current = None
            free.append(line)
        elif current is not None:
            current[2].append(line)
        else:
            free.append(line)
        blank = not line.strip()
    return [(k, lab, "\n".join(body).strip()) for k, lab, body, _ in sections], "\n".join(free).strip()
