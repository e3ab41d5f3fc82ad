"""How the local judge reads a judge request: where its rubric, question, reference, replies and audio are.

    import judge_request
    req = judge_request.parse_judge_request(body)     # a chat/completions JSON body -> a request dict

judge.py scores what this file reads; judge_inputs.py says what a heading names and reads the
layouts inputs come in (XML, JSON, fields); judge_rubric.py reads the rubric this file finds (its
axis, scale and answer form). A request may come from our own reward.py (its "Scoring axis:" /
"Comparison axis:" lines are the unambiguous form, and its inputs are read exactly under its own
headings) or from prompts written by others (tests/data/judge_prompts/ holds ones shaped like the
official release's, the paper's Appendix F, plain rubrics, and MT-Bench, Prometheus, G-Eval and
AlpacaEval layouts). Two labelled replies or an A/B choice make a comparison. The question,
reference and transcripts sit under the headings people use ("Question", "Instruction", "User",
...; "Transcript of answer", "Answer", "Response to evaluate", ...; "Response A" / "[The Start of
Assistant B's Answer]"); with none, or an empty one before its audio, the user text is the
transcript, or what the analyser hears when there is none. A sentence that ends in a colon can
introduce an input ("the question I asked it was:"); inputs may come as XML elements or one JSON
object; a question may be quoted in prose ('The user asked: "..."') or only spoken, in the clip
before the reply. Text after the inputs that only a judge's instructions hold ("## Task", "Which
output is better? <choice>..."), text in a part after the audio, and an instruction block above
the question, are rubric. Audio comes as input_audio parts or audio_url data: URLs; the reply is
the last one (the last two for a comparison). A request with nothing to score raises BadRequest
(the server's 400). All of this is heuristic: README, *Use your own judge prompt*, says how far
it carries on prompts it was not built from.

Deviations: none from the paper (it does not say how its judge parses prompts); unlike the
official client, an unscorable request is an error, never a default score.
"""
import base64
import html
import io
import re

import numpy as np
import soundfile as sf

from judge_axis import rubric_axis
from judge_inputs import AFTER_AUDIO, heading_kind, introduced_kind, sentences, unfield, unhtml, unjson, untag
from judge_rubric import PAIR_NAMES, answer_format


MAX_BODY = 8 * 1024 * 1024
MAX_RUBRIC = 20_000     # characters of rubric read for its axis and format (its regexes stay fast)


class BadRequest(Exception):
    pass


_PAIR_WORDS = re.compile(r"<choice>|\[\[A\]\]|\bA or B\b|\bwhich of the two\b|\bthe better of\b|"
                         r"\btwo (?:spoken |voice |audio |speech )?(?:replies|responses|answers|outputs|recordings|clips|assistants|bots|"
                         r"models|systems|builds|takes|versions)\b|\b(?:listen to|compare) both\b|\bfirst[\"'`]? or [\"'`]?second\b|"
                         r"\bwhich one (?:is|was|did|does|sounds|gives|answers|follows)\b|"
                         r"\bcompare the two\b|<winner>|"
                         r"\bwhich (?:response|reply|answer|candidate|sample|clip|recording|version|voice|rendering) "
                         r"(?:is|was|sounds|gives|answers|follows|better)\b", re.I)


# Section headings people put in the user text: "Question:", "Transcript of answer:",
# "## Response A", "[The Start of Assistant A's Answer]" ...
_LIST_ITEM = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[-*\u2022])[ \t]+")       # "1. The user asked: ..." (a one-line section)
_HEADING = re.compile(r"^[ \t]*+(?:(?:\d{1,2}[.)]|[-*\u2022])[ \t]++)?(?:#{1,6}[ \t]*+)?(?:\*\*|__)?"
                      r"\[?(?P<name>[A-Za-z](?:[\w '\u2019/\u2013\u2014-]|\([^()\n]{0,40}\)){0,58}?)\]?[ \t]*+"    # "X (a, b)"
                      r"(?:\*\*|__)?+\.?[ \t]*+(?::(?:\*\*|__)?[ \t]*(?P<rest>.*)|(?P<bare>))$")     # "resp orth.:" too
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
_RUBRIC_CUE = re.compile(r"<(?:score|rating|grade|choice|verdict|winner|prefer\w*|decision)[\w-]*>|\[\[|\bJSON\b|"
                         r"\b(?:justification|rationale)\b|\bon (?:its|a) own line\b|\b(?:a|the) (?:last|final) line\b|"
                         r"\bthink step by step\b|\{\s*\"(?:score|rating|grade|verdict|winner|prefer\w*|choice)\w*\"\s*:|"
                         r"\b(?:grader|evaluator|act as an?)\b|\b(?:output|return|respond|reply)\s+(?:only|just|with)\b|"
                         r"\bgive (?:your|a|the) (?:score|rating|verdict|grade)\b|"
                         r"\b(?:after|before) (?:judging|rating|scoring)\b|"
                         r"\b(?:rate|score|grade|judge|evaluate|assess)\s+(?:the|each|both|this|these|how|whether|only|it|its|their)\b|"
                         r"\blisten to (?:the|each|both|this)\b|"
                         r"\bwhich (?:output|response|answer|reply|recording|clip|one|candidate|sample|voice|version|rendering|rendition) "
                         r"(?:is|was|sounds|answers|do|has)\b|\bjudge which\b|"
                         r"\bwhich (?:variant|app|system|model|assistant|bot|option) (?:gives|gave|did|does|is|was|sounds|has)\b|"
                         # a plain order or yes/no question to the judge: "Answer yes or no.", "Is the answer correct?"
                         r"\banswer (?:with|yes|no|in|only|using)\b|^[ \t]*(?:is|was|does|did) (?:the|this|it)\b[^\n]{0,60}\?",
                         re.I | re.M)


_QUOTED_QUESTION = re.compile(r"\b(?:asked|asks|ask|told|prompted(?: with)?|question(?: was| is)?|said|says|request(?:ed)?(?: was| is)?|"
                              r"instruction|command|(?:is )?asking(?: to)?|(?:request|question|prompt),? (?:which|that) [^\"\n:]{0,60}?|"
                              r"question (?:that|which) (?:\w+ ){0,5}?(?:is|was)(?: given| stated)?(?: as)?|"
                              r"cue(?: to (?:\w+ ){0,2}?\w+)? (?:was|is)|(?:player|user|caller|customer|child)(?:'s)? line|"
                              r"(?:prompt|question|request|line) (?:I|we) (?:gave|sent|used|played)(?: \w+)? (?:was|is)|"   # 'The prompt I gave it was "..."'
                              r"answering|(?:prompt|instruction|question|request)\s++(?:given|sent|posed)\s++to\s++"
                              r"(?:\w+\s++){0,2}?\w+\s++(?:was|is)|"          # "The prompt given to both systems was: "...""
                              r"(?:answers|replies|responses) to)"     # 'two answers to "..."', not 'limit your answer to "yes"'
                              r"(?:\s++(?:(?:a|an|my|the|our|its|this|that|their)\s++)?\w++(?:\s++\w++){0,2}(?:\s++to)?)?"   # 'asked a voice assistant "..."'
                              r"(?:\s*+\([^()\n]{0,40}\))?\s*+:?\s*+"             # "asked the following (orthographic prompt):"
                              r"(?:[\"\u201c]([^\"\u201c\u201d\n]{2,300})[\"\u201d]|'([^'\n]{2,300})')", re.I)
_QUOTED_REPLY = re.compile(r"\b(?:answered|replied|responded|said back|(?:it|the assistant|the model|the bot) said|"
                           r"(?:reply|answer|response) (?:was|is))\s*:?\s*[\"\u201c]([^\"\u201c\u201d\n]{1,300})[\"\u201d]",
                           re.I)


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
    quoted = re.match(r'\s*["\u201c]([^"\u201c\u201d\n]{2,300})["\u201d][.!?]?\s+(\S.*)$', rest)
    return (quoted.group(1), quoted.group(2)) if quoted else (rest, "")


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
_PLACEHOLDER_CLIP = (r"\s*(?:[<\[(][ \t]*(?:audio|attached|see (?:the )?(?:audio|clip|below)|clip|recording|wav|sound)\b[^<>\[\]()\n]{0,30}"
                     r"[>\])]|(?:not (?:provided|available|given)|none|n/a|unavailable|no transcript)\b[^\n]{0,60})\s*:?\s*")   # "not provided, listen"
_WORDS_GIVEN = re.compile(r"transcri|te?xt|asr|words|said|spoke|says", re.I)      # a heading over a reply's words
_GIVEN_TRANSCRIPT = re.compile(r"^[ \t]*([A-Za-z][\w '\u2019]{0,60}?)[ \t]*\((?:[^():\n]{0,40}?,[ \t]*)?(?:transcript(?:ion)?|text|asr|"
                               r"says|said)[ \t]*:?[ \t]*([^()\n]{1,300})\)[ \t]*:?[ \t]*$", re.I)    # "(audio attached, transcript: ...)"


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
    (_RUBRIC_CUE): the rubric's own text after the inputs."""
    sections, free, current, blank, after_q, shown = [], [], None, False, False, False
    inline_question, example = None, False      # a question section whose heading line gave its text; in an example
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
        if example and line.strip():            # a worked example's lines are the rubric's, not inputs
            free.append(line)
            continue
        example = bool(re.fullmatch(r"[ \t*#]*(?:an? |the )?(?:worked |calibration |sample |scored )?example\b[^:\n]{0,80}:[ \t*]*",
                                    line, re.I))
        if example:         # "Worked example (for calibration only, do not score it):" over its lines, to a blank line
            free.append(line)
            current = None
            continue
        asked_before = current is not None and current[0] == "question"
        if current is not None and current is inline_question and (_ABOUT_REPLIES.search(line) or blank and line.strip()):
            current = None      # "The user asked: what is 2 plus 2" then 'Both answers say "4".' or a new paragraph: the
            #                     question was its line
            if _CLIP_NOTE.match(line):
                continue            # "The reply is attached.": neither the question nor the reply's words
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
        line = re.sub(r"^([ \t]*[A-Za-z][\w ']{0,30}?),[ \t]*(transcript(?:ion)?|text|asr)[ \t]*:", r"\1 \2:", line)   # "Reply A, transcript:"
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
        marked = bool(m) and m.re is _HEADING and line.lstrip().startswith(("#", "**", "__"))
        if m and m.groupdict().get("bare") is not None and not marked and not (
                (heading_kind(m.group("name")) or (None, None))[1] and _heads_words(lines[i + 1] if i + 1 < len(lines) else "")):
            m = None            # a bare "Answer" line is text; "## Answer", "**Answer**" is a heading, and "Response A"
            #                     over "Transcript: ..." or its clip (not in a list of answers: "Response A / Response B / Tie")
        kind = heading_kind(m.group("name")) if m else None
        if kind == ("reply", None) and current is not None and current[0] == "reply" and current[1] \
                and not "".join(current[2]).strip():
            kind = ("reply", current[1])       # "Response A" / "Transcript: ...": the transcript of reply A
        if kind == ("reply", None) and re.match(r"[ \t*]*(?:a|an|one|exactly one|only|just)[ \t]+(?:single[ \t]+)?(?:line|word|letter|"
                                                r"number|integer|digit|json|object|token|label|verdict|score|choice)\b",
                                                m.groupdict().get("rest") or ""):
            free.append(line)           # "**Output:** a single line `Preferred: A` or ...": the answer's form, not a reply
            current, blank = None, False
            continue
        introduced = None if kind else introduced_kind(line)
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
            re.search(r"\b(?:asked|asks|said|says|answered|replied|responded|got|received|(?:question|request) (?:is|was)|"
                      r"(?:this|here) is (?:the|my|our) (?:question|prompt|request))\b(?! for\b)", heads[-1], re.I)
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
            body, then = _then_introduced(inline.group(2))
            body, after = _quoted_then_rubric(body) if not then else (body, "")
            free += [after] if after else []
            sections.append([*introduced, [body], "said"])
            current, blank = None, False
            if then:
                free.append(then[0])
                current = [*then[1], [], "said"]
                sections.append(current)
            continue
        if m and not kind and lone_pair and re.sub(r"[ \t]*\([^()]*\)", "", m.group("name")).strip() in ("A", "B"):
            kind = ("reply", re.sub(r"[ \t]*\([^()]*\)", "", m.group("name")).strip())       # "A (transcript): ..." too
        if m and re.fullmatch(r"A(?:[ \t]*\([^()]*\))?", m.group("name").strip()) and after_q and asked_before \
                and not lone_pair:          # "A (transcribed): ..." too
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
                                m.group("name").strip(), re.I) and (m.groupdict().get("rest") or "").strip() and \
                heading_kind(m.group("rest").strip().rstrip(".:")) and len(m.group("rest").split()) <= 4:
            described = heading_kind(m.group("rest").strip().rstrip(".:"))    # "Second clip: reply A.": what the clip is
            sections.append([described[0], described[1], [], m.group("rest")])
            current = None
        elif kind:
            current = [kind[0], kind[1], [], m.group("name")]
            sections.append(current)
            rest, then = _then_introduced(m.groupdict().get("rest") or "")
            rest, after = _quoted_then_rubric(rest) if not then and kind[0] in ("question", "reply") else (rest, "")
            free += [after] if after else []
            if rest.strip():
                current[2].append(rest)
                inline_question = current if kind[0] == "question" else inline_question
            if kind[0] == "reply" and re.fullmatch(r'\s*["\u201c][^"\u201c\u201d\n]+["\u201d][.!]?\s*', rest):
                current = None          # 'Its transcript is: "seven".': the quote is all of it
            if _LIST_ITEM.match(line):          # a list item's input is its own line: the next item is not in it
                current = None
            if then:
                free.append(then[0])
                current = [*then[1], [], "said"]
                sections.append(current)
        elif current is not None and (marked or _EMPTY_SLOT.match(line) or blank and (
                m and m.groupdict().get("rest") is not None or _RUBRIC_CUE.search(line))
                or current[0] == "question" and "".join(current[2]).strip() and _RUBRIC_CUE.search(line)):
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
        elif current is not None:
            current[2].append(line)
        else:
            free.append(line)
        blank = not line.strip()
    return [(k, lab, "\n".join(body).strip()) for k, lab, body, _ in sections], "\n".join(free).strip()


def _audio(part) -> tuple[np.ndarray, int]:
    if not isinstance(part, dict) or not isinstance(part.get("data"), str):
        raise BadRequest("an input_audio part needs base64 'data'")
    if part.get("format", "wav") != "wav":
        raise BadRequest(f"audio format {part.get('format')!r} unsupported; send wav")
    try:
        raw = base64.b64decode(part["data"], validate=True)
    except ValueError as e:
        raise BadRequest(f"input_audio data is not valid base64: {e}") from None
    try:
        wave, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
    except Exception as e:
        raise BadRequest(f"input_audio is not a readable WAV: {e}") from None
    return wave.mean(1), int(rate)


def _audio_url(part) -> dict:
    """An {"url": "data:audio/wav;base64,..."} part (vLLM / Qwen-style) as an input_audio one."""
    url = part.get("url") if isinstance(part, dict) else part
    m = re.fullmatch(r"data:audio/(?:x-)?(\w+);base64,(.*)", url, re.S) if isinstance(url, str) else None
    if not m:
        raise BadRequest("an audio_url part needs a data:audio/wav;base64,... URL (the judge fetches nothing)")
    return {"data": m.group(2), "format": m.group(1)}


_TOLD = re.compile(r"\b(?:said|says|spoke|spoken|replied|answered|responded|asked|asks)\b", re.I)
def _parts(content, marks=True) -> tuple[list, list]:
    """A message's content -> (its text parts, its audio parts as input_audio dicts). `marks`: a text
    part after an audio one starts with AFTER_AUDIO, and a short label just before an audio part
    ("Sample A") gets its colon."""
    if isinstance(content, str):
        return [content], []
    if not isinstance(content, list):
        return [], []
    texts, audios = [], []
    for i, part in enumerate(content):
        if not isinstance(part, dict):
            raise BadRequest("message content parts must be objects")
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            text = part["text"].rstrip()
            last = text.rsplit("\n", 1)[-1].strip(" #*_")
            audio_next = i + 1 < len(content) and isinstance(content[i + 1], dict) and \
                content[i + 1].get("type") in ("input_audio", "audio_url")
            kind = heading_kind(last) if marks and audio_next and last and ":" not in last and len(last.split()) <= 4 \
                and not last.startswith("<") and not _TOLD.search(last) else None
            # "<response_audio>" opens an element (untag reads it); "you said blue bird" is a transcript, not a label
            if kind and kind[0] in ("reply", "question", "end"):
                text += ":"                     # "Sample A" just before its audio: a label (a transcript "you said gold" is not)
            # text after an audio part starts afresh: the task written below the clip is not the section above it
            texts.append((AFTER_AUDIO + "\n" if audios and marks else "") + (text if marks else part["text"]))
        elif part.get("type") == "input_audio":
            audios.append(part.get("input_audio"))
        elif part.get("type") == "audio_url":
            audios.append(_audio_url(part.get("audio_url")))
    return texts, audios


def _clip_labels(messages) -> list:
    """The line written just before each audio part of the user messages (None where another audio part or
    nothing comes between): "Left build audio:", "<candidate id="X">", "r1 (txt: the count is 5):"."""
    labels, last = [], None
    for m in messages:
        if m.get("role") != "user":
            continue
        for part in m.get("content") if isinstance(m.get("content"), list) else [{"type": "text", "text": m.get("content")}]:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                lines = [line.strip() for line in part["text"].splitlines() if line.strip()]
                last = lines[-1] if lines else last
            elif isinstance(part, dict) and part.get("type") in ("input_audio", "audio_url"):
                labels.append(last)
                last = None
    return labels


def _paired_names(first, second) -> tuple | None:
    """Two clips' label lines that differ in one short word ("Left build audio:" / "Right build audio:",
    "r1 (txt: ...)" / "r2 (txt: ...)", "Maya's answer:" / "Leo's answer:") -> the two words, else None."""
    if not first or not second or len(first) > 120 or len(second) > 120:
        return None
    ordinal = {"first", "second", "third", "1st", "2nd", "3rd", "next", "then", "last", "final"}     # "Second clip: Nova's ..."
    a, b = ([w for w in re.findall(r"\w+", re.sub(r"\([^()]*\)", " ", line)) if w.lower() not in ordinal]    # "(txt: ...)" aside
            for line in (first, second))
    differ = [k for k, (x, y) in enumerate(zip(a, b)) if x != y]
    i = differ[0] if len(a) == len(b) and len(differ) == 1 else None          # the same line but for one word
    if i is None or i > 3 or max(len(a[i]), len(b[i])) > 12 or a[i].isdigit() or b[i].isdigit() or any(
            (heading_kind(line.rstrip(":")) or ("",))[0] == "question" for line in (first, second)):
        return None
    return a[i], b[i]


def _their_inputs(texts) -> tuple[list, str, list]:
    """Anyone's user text -> (sections, free text, sections that instruct the judge), read as a person
    reads it: inputs given as one JSON object or as XML elements; a reply-like section that instructs
    the judge ("## Output / Return only a JSON object") beside another reply is rubric; a reply whose
    text says "... its transcript is: ..." is what follows the phrase."""
    sections, free = split_sections(untag("\n\n".join(unfield(unjson(unhtml(t))) for t in texts)))
    told = [i for i, (kind, lab, b) in enumerate(sections) if kind == "reply" and not lab and _RUBRIC_CUE.search(b)]
    instructions = [sections[i][2] for i in told] if told and len(told) < sum(k == "reply" for k, _, _ in sections) else []
    sections = [sec for i, sec in enumerate(sections) if not instructions or i not in told]

    def transcript(body):       # the last such phrase: found by one scan (a leading ".*" retried from every position is quadratic)
        said = list(re.finditer(r"\btranscript(?:ion)?\s+(?:is|reads)\s*:?\s*|"
                                r"(?:^|(?<=[.;] ))[ \t]*(?:[A-Za-z]+ )?(?:ASR )?transcript(?:ion)?\b[^:\n]{0,30}:[ \t]*",
                                body, re.M))   # "ASR transcript, for convenience:", "see attached audio. Logged transcript:"
        body = body[said[-1].end():] if said else body
        body = re.sub(r"\A\s*[(\[](?:transcript(?:ion)?|asr|text)[)\]][ \t]*", "", body)         # "(transcript) ..."
        body = re.sub(r"[ \t]*[;,][ \t]*(?:audio|recording|clip)\b[^\n]{0,20}\Z", "", body)       # '"..."; audio:'
        body = re.sub(r"[ \t]*\((?:[^()\n]*\b)?(?:audio|recording|clip)\b[^()\n]*\)[ \t]*\Z", "", body)    # '"..." (audio below)'
        # a note above the words ("(spoken response: ASR transcript below)"), quotes around them
        body = re.sub(r"\A(?:[ \t]*\([^()\n]*\)[ \t]*\n)+(?=\s*\S)", "", body)
        quoted = re.fullmatch(r'\s*["\u201c`]([^"\u201c\u201d`\n]+)["\u201d`][\s.)]*', body)      # '"...".)' too
        return quoted.group(1) if quoted else body
    # an empty reply heading right over the same reply's words ("Response (audio):" then "Response (transcript):
    # ...", "Response A" over "Transcript: ...") only labels its audio: one reply, with that text (split_sections
    # leaves out an empty heading after the words, "Text it spoke: ..." then "Recording:")
    # A labelled reply's empty heading anywhere after its words ("Audio for candidate_a:" below the record) too.
    # a record's field inside the section ('user_turn:' over 'text: "what is 2 plus 2"'): its value; a placeholder
    # where the words would be ("resp=<audio>", "reply_wav: (attached)"): no words, the clip is the input
    field = r"\s*(?:text|transcript(?:ion)?|content|utterance|words|asr|value)[ \t]*[:=][ \t]*[\"\u201c']?([^\"\u201d'\n]+?)[\"\u201d']?\s*"
    placeholders = {i for i, (_, _, b) in enumerate(sections) if re.fullmatch(_PLACEHOLDER_CLIP, b, re.I)}
    sections = [(kind, lab, "" if i in placeholders else
                 re.fullmatch(field, b, re.I).group(1) if kind in ("question", "reply") and re.fullmatch(field, b, re.I) else b)
                for i, (kind, lab, b) in enumerate(sections)]
    kept, worded = [], set()
    for i, (kind, lab, b) in enumerate(sections):
        if i in placeholders and kept and kind == "reply" and kept[-1][:2] == (kind, lab) and kept[-1][2].strip():
            continue                # "reply_txt: ..." then "reply_wav: (attached)": the same reply's clip
        if kept and kind == "reply" and kept[-1][:2] == (kind, lab) and b.strip() and not kept[-1][2].strip():
            kept.pop()
        elif kept and kind == "reply" and not lab and kept[-1][0] == "reply" and kept[-1][1] and b.strip() \
                and not kept[-1][2].strip():      # "[The Start of Assistant B's Answer]", its clip, "Transcript: ..."
            lab = kept.pop()[1]
        if kind == "reply" and lab and not b.strip() and lab in worded:
            continue
        worded |= {lab} if kind == "reply" and lab and b.strip() else set()
        kept.append((kind, lab, b))
    kept = [(kind, lab, re.sub(r"(?m)^[ \t]*>[ \t]?", "", b)) for kind, lab, b in kept]      # "> What is 6 times 7?"
    return [(kind, lab, transcript(b) if kind == "reply" else b) for kind, lab, b in kept], free, instructions


def _their_question(question, free, rubric, spoken) -> str:
    """The question a person reads in anyone's request: a section's "The user said: what is 2 times 3"
    or '"what is 3 plus 4". The clip is ...' gives what was said; with no section, a question quoted in
    the prose ('The user asked: "what is 3 plus 4"'), else what the analyser hears in the clip spoken
    before the reply (`spoken`: the audio parts before the scored ones)."""
    said = re.match(r"\s*(?:the )?(?:user|customer|speaker|caller|person)\s+(?:said|asked|asks|says|wrote|requested)"
                    r"(?:\s+(?:the|our|their|my|its|an?)\s+\w+\s*:?|\s+(?:me|us|it|him|her|them)\s*:?|\s*:?)"   # "asked the agent:"
                    r"\s*(\S.*)", question or "", re.I | re.S)
    question = said.group(1) if said else question
    quoted = re.match(r'\s*[*_]*["\u201c`]([^"\u201c\u201d`\n]{2,300})["\u201d`]', question or "")    # *"..."* too
    if quoted:
        question = quoted.group(1).strip()
    if not question:
        quoted = _QUOTED_QUESTION.search(free) or _QUOTED_QUESTION.search(rubric)
        # or named in the instructions, to the end of its line: "The listener's question for this item is: spell drum backwards"
        stated = re.search(r"(?im)\b(?:question|request|prompt)\b[^.:\n\"]{0,40}\b(?:is|was)[ \t]*:"
                           r"[ \t]*([^\s\"<{\[].{1,200}?)[ \t]*\.?[ \t]*$", rubric)
        if quoted:
            question = (quoted.group(1) or quoted.group(2)).strip()
        elif stated:
            question = stated.group(1).strip()
        elif spoken:
            import codec
            question = codec.hear(codec.encode(*_audio(spoken[-1])))
    return question or ""


def parse_judge_request(body: dict) -> dict:
    """A chat/completions body, read as an LLM judge reads it ->
    {"mode": "score" | "compare", "axis", "question", "reference", "replies": [(transcript, wave, rate), ...],
     "seed", "format": answer_format(...)}; raises BadRequest when nothing can be scored.

    The rubric is the system (or developer) messages plus the user text outside the input
    sections; the axis is rubric_axis's (a compare names a PAIR_AXES axis). The question,
    reference and transcripts are the sections split_sections finds (the question: the last
    question section before the last reply, the turn a dialogue's reply answers); with no transcript
    section the user's other text is the transcript (what the analyser hears when there is
    none); "reference" is None when no section gives one. A request is a comparison when it says so ('Comparison axis:'), has two labelled
    replies (A / B, 1 / 2) or its rubric asks for a choice between two audios. The reply audio
    is the last input_audio part (the last two for a comparison): a spoken question may come first."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
        raise BadRequest("body must be a JSON object with a non-empty 'messages' list")
    system, user, audios = [], [], []
    if not all(isinstance(m, dict) for m in body["messages"]):
        raise BadRequest("each message must be an object with a 'role'")
    for m in body["messages"]:
        if m.get("role") in ("system", "developer"):
            system += _parts(m.get("content"))[0]
    # reward.py's own request is read exactly under its own headings: nothing its question or
    # transcripts say (a policy's "you said gold", "Score: 5") is taken for a label or an instruction
    ours = bool(re.search(r"(?:Scoring|Comparison) axis:", "\n".join(system)))
    read = [(m.get("role"), *(_parts(m.get("content"), marks=not ours) if m.get("role") == "user" else ([], [])))
            for m in body["messages"]]
    answered = max((i for i, (role, _, _) in enumerate(read) if role == "assistant"), default=-1)
    # a user turn with clips that an assistant turn already answered is a worked example (few-shot), when the
    # clips to judge come after it; a turn without clips before it may hold the instructions
    examples = not ours and any(parts for role, _, parts in read[answered + 1:] if role == "user")
    for i, (role, texts, parts) in enumerate(read):
        if role == "user" and not (examples and i < answered and parts):
            user += texts
            audios += parts
    if not audios:
        raise BadRequest("no input_audio part in the user message: the judge scores a reply's audio; send it as an "
                         "input_audio part beside the text (Question / Transcript of the reply)")
    sections, free, instructions = (*our_sections("\n\n".join(user)), []) if ours else _their_inputs(user)
    # the question the scored reply answers: in a dialogue (Question / Answer / Question / Answer, or a
    # Conversation section, then the Question) the last question section before the last reply
    last_reply = max((i for i, (kind, _, _) in enumerate(sections) if kind == "reply"), default=len(sections))
    asked = [i for i, (kind, _, _) in enumerate(sections[:last_reply]) if kind == "question"]
    # none before: the question named after the clips ("The customer's request for both recordings was: ..."), not an order
    asked = asked or [i for i, (kind, _, b) in enumerate(sections) if kind == "question" and i > last_reply
                      and b.strip() and not _RUBRIC_CUE.search(b)][:1]
    found = {"question": sections[asked[-1]][2] if asked else None,
             "reference": next((b for kind, _, b in sections if kind == "reference"), None)}
    # another question-like section that instructs the judge (MT-Bench's "[Instruction]") is rubric too
    # (and any after the last reply: what a reply answers comes before it, "### Instruction" below is the judge's)
    instructions += [b for i, (kind, _, b) in enumerate(sections) if kind == "question" and i != (asked or [-1])[-1]
                     and (_RUBRIC_CUE.search(b) or i > last_reply)]
    replies = [(lab, b or None) for kind, lab, b in sections if kind == "reply"]     # empty: a label for its audio
    # the user text is the reply itself (not when it all comes after the audio: then it says what the clips are)
    labels = list(dict.fromkeys(lab for lab, _ in replies if lab))
    # two clips labelled alike, the instructions naming both labels ("out: r1 or r2", "<preferred>X</preferred>"): a comparison
    clip_labels = _clip_labels(body["messages"])[-2:]
    named = None if ours or len(labels) >= 2 or len(audios) < 2 else _paired_names(*clip_labels)
    told = "\n\n".join(system + instructions + [free])
    mentions = [list(re.finditer(rf"(?<![\w>]){re.escape(n)}(?!\w)", told, re.I)) for n in named or ()]
    quoted = [[m for m in found if told[m.start() - 1:m.start()] in "\"'`" and m.start()] for found in mentions]
    # as the instructions spell them: quoted if they quote them ('"left" | "right"'), else where last named
    named = tuple((q or found)[-1].group(0) for q, found in zip(quoted, mentions)) if named and all(mentions) else None
    bare = bool(system) and not replies and bool(free) and not all(t.startswith(AFTER_AUDIO) for t in user if t.strip()) \
        and not _RUBRIC_CUE.search(free) and not named   # "Here is the spoken reply. Rate the speech from 1 to 5." is no transcript
    rubric = "\n\n".join(system + instructions + ([] if bare else [free]))[:MAX_RUBRIC]
    rubric = html.unescape(rubric) if re.search(r"&(?:lt|gt|quot|amp|apos);", rubric) else rubric   # inside an XML record
    compare = re.search(r"Comparison axis:\s*(helpfulness|naturalness|overall)", rubric)
    # the axis is read from the rubric's own words, not the user's it quotes ('The caller said: "... say it loudly"')
    told_rubric = rubric if ours else _QUOTED_QUESTION.sub(lambda q: q.group(0)[:q.start(q.lastindex) - q.start()], rubric)
    # a clip that is the question ("Clip 1 (user question):", "The first clip is a question a user asked") is no reply
    spoken = any(kind == "question" and not b.strip() for kind, _, b in sections) or bool(re.search(
        r"\b(?:first|1st)(?: (?:clip|recording|audio|file))?\b[^.\n]{0,20}?\b(?:is|contains|has)\b[^.\n]{0,30}\b(?:question|request|"
        r"prompt)\b",
        rubric, re.I))
    pairwise = bool(compare) or len(labels) >= 2 or bool(named) or (len(audios) - spoken >= 2 and bool(_PAIR_WORDS.search(rubric))
                                                     and not re.search(r"Scoring axis:", rubric))
    all_audio = audios
    if pairwise:
        axis = compare.group(1) if compare else PAIR_NAMES[rubric_axis(told_rubric)]
        by_label = {lab: b for lab, b in replies if lab}
        transcripts = [by_label.get(lab) for lab in labels[:2]] if len(labels) >= 2 else [None, None]
        if named:            # "r1 (txt: the count is 5):": the words in its label line
            given = [re.search(r"\((?:its |the )?(?:transcript(?:ion)?|text|txt|asr|says)(?: is| reads)?\s*:?\s*[\"'\u201c]?"
                               r"([^()\"'\u201c\u201d\n]{1,300}?)[\"'\u201d]?\)|"
                               r"\(\s*[\"\u201c]([^()\"\u201c\u201d\n]{1,300})[\"\u201d]\s*\)", line or "", re.I)   # '("you said ...")'
                     for line in clip_labels]
            transcripts = [(g.group(1) or g.group(2)) if g else None for g in given]

        # 'Both replies say "the count is 5"', 'Two systems answered with the same words, "3 times 4 is 12"'
        same = re.search(r"(?:\bboth (?:[\w']+ ){0,2}(?:say|says|said|speak|spoke)|\bthe same (?:words|text|sentence))\b"
                         r"[^\"\u201c\n]{0,30}?[(\"\u201c]+([^\"\u201d\n]{1,200})[\"\u201d]", free, re.I)
        transcripts = [t or (same.group(1) if same else None) for t in transcripts]

        if len(audios) < 2:
            raise BadRequest(f"expected 2 input_audio part(s), got {len(audios)}: a comparison needs both replies' audio")
        audios = audios[-2:]
    else:
        axis = rubric_axis(told_rubric)
        said = _QUOTED_REPLY.search(free)                       # 'it answered "dog backwards is god"'
        # an empty reply heading only labels the clip: 'It said "seven". Here is the recording of what it said:'
        transcripts = [(replies[-1][1] if replies else free if bare else None) or (said.group(1) if said else None)]
        audios = audios[-1:]
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise BadRequest("'seed' must be an integer")
    out, heard = [], []
    for t, a in zip(transcripts, audios):
        wave, rate = _audio(a)
        heard.append(t is None)
        if t is None:            # no transcript given: what the toy analyser hears
            import codec
            t = codec.hear(codec.encode(wave, rate))
        out.append(("" if t.strip() == "[empty]" else t, wave, rate))
    question = (found["question"] or "") if ours else \
        _their_question(found["question"], free, rubric, all_audio[:len(all_audio) - len(audios)])
    return {"mode": "compare" if pairwise else "score", "axis": axis, "question": question,
            "reference": found["reference"], "replies": out, "heard": heard, "seed": seed,
            "labels": list(named) if named else labels[:2] if pairwise and len(labels) >= 2 else ["A", "B"],
            "format": answer_format(rubric, pairwise)}
