"""How the local judge reads a judge request: where its rubric, question, reference, replies and audio are.

    import judge_request
    req = judge_request.parse_judge_request(body)     # a chat/completions JSON body -> a request dict

judge.py scores what this file reads; judge_inputs.py says what a heading names and reads the
layouts inputs come in (XML, JSON, fields, HTML); judge_sections.py cuts the user text into its
inputs; judge_axis.py and judge_rubric.py read the rubric this file finds (its axis; its scale and
answer form). A request may come from our own reward.py (its "Scoring axis:" /
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
from judge_lines import answer_line, values_of
from judge_inputs import (AFTER_AUDIO, TOY_TASKS, heading_kind, heard_words, known_words, sentences, toy_question,
                          toy_reference, unfield, unhtml, unjson, untag, written_as_heard)
from judge_choices import (asked_by_kind, json_pick_labels, labels_apart, labels_as_asked, offered_list, offered_pair,
                           ordered_names, paired_names)
from judge_rubric import PAIR_NAMES, answer_format
from judge_sections import PLACEHOLDER_CLIP, RUBRIC_CUE, our_sections, split_sections
from judge_votes import request_text


MAX_BODY = 8 * 1024 * 1024
MAX_RUBRIC = 20_000     # characters of rubric read for its axis and format (its regexes stay fast)


class BadRequest(Exception):
    pass


_PAIR_WORDS = re.compile(r"<choice>|\[\[A\]\]|\bA or B\b|\bwhich of the two\b|\bthe better of\b|"
                         r"\btwo (?:[\w-]+ )?(?:replies|responses|answers|outputs|recordings|clips|assistants|bots|"
                         r"models|systems|builds|takes|versions)\b|\b(?:listen to|compare) both\b|\bfirst[\"'`]? or [\"'`]?second\b|"
                         r"\bwhich one (?:\w+ly )?(?:is|was|did|does|sounds|gives|answers|follows|got|gets|has)\b|\bwhich (?:[\w-]+ )?(?:is|was|did|does|sounds) (?:better|best)\b|"
                         r"\bfirst\s*(?:,|/)\s*second\b|"
                         r"\bcompare the two\b|<winner>|\bpairwise\b|\btwo arms\b|"
                         r"\bwhich (?:response|reply|answer|candidate|sample|clip|recording|version|voice|rendering) "
                         r"(?:is|was|sounds|gives|answers|follows|better|gets|got|did|does|has)\b|"
                         r"\bA,\s*B,?\s+or\s+(?:tie|same|equal|neither|draw)\b", re.I)      # "Put A, B or tie inside <answer> tags"


_QUOTED_QUESTION = re.compile(r"\b(?:asked|asks|ask|told|prompted(?: with)?|question(?: was| is)?|(?<!it )(?<!bot )(?:said|says)|"
                              r"request(?:ed)?(?: was| is)?|"         # (not 'bot A (it said "3 plus 5 is 9")': a reply's words)
                              r"instruction|command|(?:is )?asking(?: to)?|(?:request|question|prompt),? (?:which|that) [^\"\n:]{0,60}?|"
                              r"question (?:that|which) (?:\w+ ){0,5}?(?:is|was)(?: given| stated)?(?: as)?|"
                              r"cue(?: to (?:\w+ ){0,2}?\w+)? (?:was|is)|(?:player|user|caller|customer|child)(?:'s)? line|"
                              r"(?:prompt|question|request|line) (?:I|we) (?:gave|sent|used|played)(?: \w+)? (?:was|is)|"   # 'The prompt I gave it was "..."'
                              r"answering|(?:prompt|instruction|question|request)\s++(?:given|sent|posed)\s++to\s++"
                              r"(?:\w+\s++){0,2}?\w+\s++(?:was|is)|"          # "The prompt given to both systems was: "...""
                              r"(?:answers|replies|responses) to|(?<='s )(?:answer|reply|response) to)"     # 'two answers to "..."',
                              #                                      "each vendor's response to ...", not 'limit your answer to "yes"'
                              r"(?:\s++to(?=\s))?"                                 # 'says to the robot sidekick: "..."'
                              r"(?:\s++(?:(?:a|an|my|the|our|its|this|that|their)\s++)?\w++(?:\s++\w++){0,2}(?:\s++to)?)?"   # 'asked a voice assistant "..."'
                              r"(?:\s*+\([^()\n]{0,40}\))?\s*+:?\s*+"             # "asked the following (orthographic prompt):"
                              # single quotes not an apostrophe's: not "the model's spoken answer. ... the answer's"
                              r"(?:[\"\u201c]([^\"\u201c\u201d\n]{2,300})[\"\u201d]|(?<!\w)'([^'\n]{2,300})'(?!\w))", re.I)
_QUOTED_REPLY = re.compile(r"\b(?:answered|replied|responded|said back|(?:it|the assistant|the model|the bot) said|"
                           r"(?:reply|answer|response) (?:was|is))\s*:?\s*[\"\u201c]([^\"\u201c\u201d\n]{1,300})[\"\u201d]",
                           re.I)


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


# a toy question as a listener hears it, its word gaps and all: "what is 3 plus 4 say it loudly", "whatis3plus4"
_HEARD_QUESTION = re.compile("(?:" + "|".join(task.replace(" ", " ?") for task in TOY_TASKS) + r")(?: ?say ?it ?[a-z]+)?")


def speaks_question(part) -> bool:
    """Whether a clip speaks one of the toy world's questions: a listener hears which clip asks and which
    answer, whatever the text calls them (a reply is never a question of these five kinds)."""
    import codec
    wave, rate = _audio(part)
    return bool(_HEARD_QUESTION.fullmatch(codec.hear(codec.encode(wave, rate)).strip()))


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
            text = text.replace("\u2018", "'").replace("\u2019", "'") if marks else text     # ‘which is smaller ...’
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
                last = sentences(lines[-1])[-1] if lines else last     # "... both answered. first clip is the old tablet:"
                last = re.split(r"[ \t]\|[ \t]", last)[-1].strip(" \t|") if last else last   # "Q: spell road backwards | booth A:"
            elif isinstance(part, dict) and part.get("type") in ("input_audio", "audio_url"):
                labels.append(last)
                last = None
    return labels


def _unprefixed(text) -> str:
    """A text whose lines carry a prefix, read without it where three lines or more do: an e-mail's quotes ("> Could
    you compare ...", ">> ...") or a log's tag ("RC> pilot call-in: ...", "RC> unit response attached. ...")."""
    tag = re.match(r"[ \t]*([A-Za-z]{1,4}>)", text)
    prefix = rf"{re.escape(tag.group(1))}[ \t]?" if tag else r"(?:>[ \t]?)+"
    return re.sub(rf"(?m)^[ \t]*{prefix}", "", text) if len(re.findall(rf"(?m)^[ \t]*{prefix}", text)) >= 3 else text


def _their_inputs(texts) -> tuple[list, str, list]:
    """Anyone's user text -> (sections, free text, sections that instruct the judge), read as a person
    reads it: inputs given as one JSON object or as XML elements; a reply-like section that instructs
    the judge ("## Output / Return only a JSON object") beside another reply is rubric; a reply whose
    text says "... its transcript is: ..." is what follows the phrase."""
    sections, free = split_sections(untag("\n\n".join(unfield(unjson(unhtml(_unprefixed(t)))) for t in texts)))
    told = [i for i, (kind, lab, b) in enumerate(sections) if kind == "reply" and not lab and RUBRIC_CUE.search(b)]
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
        quoted = re.fullmatch(r'\s*["\u201c`]([^"\u201c\u201d`\n]+)["\u201d`][\s.)]*|\s*(\*{1,2}|_{1,2})([^*_\n]+)\2[\s.]*', body)
        return quoted.group(quoted.lastindex) if quoted else body        # '"...".)' too, and "*the smaller is 15*"
    # an empty reply heading right over the same reply's words ("Response (audio):" then "Response (transcript):
    # ...", "Response A" over "Transcript: ...") only labels its audio: one reply, with that text (split_sections
    # leaves out an empty heading after the words, "Text it spoke: ..." then "Recording:")
    # A labelled reply's empty heading anywhere after its words ("Audio for candidate_a:" below the record) too.
    # a record's field inside the section ('user_turn:' over 'text: "what is 2 plus 2"'): its value; a placeholder
    # where the words would be ("resp=<audio>", "reply_wav: (attached)"): no words, the clip is the input
    field = r"\s*(?:text|transcript(?:ion)?|content|utterance|words|asr|value)[ \t]*[:=][ \t]*[\"\u201c']?([^\"\u201d'\n]+?)[\"\u201d']?\s*"
    placeholders = {i for i, (_, _, b) in enumerate(sections) if re.fullmatch(PLACEHOLDER_CLIP, b, re.I)}
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


def _their_question(question, free, rubric, spoken, clip_named=False) -> str:
    """The question a person reads in anyone's request: a section's "The user said: what is 2 times 3"
    or '"what is 3 plus 4". The clip is ...' gives what was said; with no section, a question quoted in
    the prose ('The user asked: "what is 3 plus 4"'), else what the analyser hears in the clip spoken
    before the reply (`spoken`: the audio parts before the scored ones). Where a heading names the question's clip
    and gives no words ("A customer asked (her recording):", `clip_named`), the clip is heard first: a quote in the
    prose after it is a reply's ('TINGMO said "the count is 8":')."""
    said = re.match(r"\s*(?:the )?(?:user|customer|speaker|caller|person)\s+(?:said|asked|asks|says|wrote|requested)"
                    r"(?:\s+(?:the|our|their|my|its|an?)\s+\w+\s*:?|\s+(?:me|us|it|him|her|them)\s*:?|\s*:?)"   # "asked the agent:"
                    r"\s*(\S.*)", question or "", re.I | re.S)
    question = said.group(1) if said else question
    quoted = re.match(r'\s*[*_]*["\u201c`]([^"\u201c\u201d`\n]{2,300})["\u201d`]', question or "") or \
        re.fullmatch(r"\s*(\*\*|__)([^*_\n]{2,300})\1\s*", question or "") or \
        re.fullmatch(r"\s*'([^'\n]{2,300})'\s*|\s*\u00ab\s*([^\u00ab\u00bb\n]{2,300}?)\s*\u00bb\s*", question or "")
    # (*"..."* too, **...** alone, and '...' or \u00ab...\u00bb alone)
    if quoted:
        question = quoted.group(quoted.lastindex).strip()
    if not question and clip_named and spoken:
        import codec
        question = codec.hear(codec.encode(*_audio(spoken[-1])))
    if not question:
        quoted = _QUOTED_QUESTION.search(free) or _QUOTED_QUESTION.search(rubric)
        # or named in the instructions, to the end of its line: "The listener's question for this item is: spell drum backwards"
        # (or without the colon where a question's first word follows: "the question was what is 8 times 9")
        # (a clause between without commas: not "the question of the user, second audio is what my model is answering")
        pointer = "(?:[ \t]*[\u2190-\u21ff\u27a1\U0001f446-\U0001f449]\ufe0f?)?"       # "was \U0001f449 what is 3 plus 5"
        stated = re.search(rf"(?im)\b(?:question|request|prompt)\b(?:[^.:\n\"]{{0,40}}\b(?:is|was)[ \t]*:| from (?:a|an|the|my|our) [^.:\n\"]{{1,40}}:|"
                           rf"[^.:,\n\"]{{0,40}}\b(?:is|was)"
                           rf"{pointer}(?=[ \t]+(?:what|how|which|who|where|when|why|spell|repeat|say|tell|count|name)\b))"
                           r"[ \t]*([^\s\"<{\[].{1,200}?)[ \t]*$", rubric)     # (its stop: below, where a sentence holds it)
        if quoted:
            question = (quoted.group(1) or quoted.group(2)).strip()
        elif stated:
            question = stated.group(1).strip()
        elif spoken:
            import codec
            question = codec.hear(codec.encode(*_audio(spoken[-1])))
    return question or ""


def _or_joined(text) -> str:
    """Answers to pick from, one a line with "or" alone before the last ("ENTRY: ACCURATE" / "or" / "ENTRY: INACCURATE"),
    on one line as they are written so: "ENTRY: ACCURATE  or  ENTRY: INACCURATE"; three or more on the same key as
    "FINISH: MAGNOLIA, FINISH: DUCK EGG, or FINISH: SAME COAT"."""
    lines = text.split("\n")
    for i in range(len(lines) - 2, 0, -1):
        if i + 1 >= len(lines) or not re.fullmatch(r"[ \t]*(?:or|OR)[ \t]*", lines[i]) or \
                not all(re.fullmatch(r"[ \t]*\S[^\n]{0,60}", x) for x in (lines[i - 1], lines[i + 1])):
            continue
        key = re.match(r"[ \t]*([^:\s]*)", lines[i + 1]).group(1)       # (none where the line starts with a colon: ":(")
        first = i - 1
        while first > 0 and key and re.match(rf"[ \t]*{re.escape(key)}(?![^:\s])", lines[first - 1]) and len(lines[first - 1]) <= 60:
            first -= 1
        options = [x.strip() for x in lines[first:i]] + [lines[i + 1].strip()]
        joined = f"{options[0]}  {lines[i].strip()}  {options[1]}" if len(options) == 2 else \
            ", ".join(options[:-1]) + f", {lines[i].strip()} {options[-1]}"
        lines[first:i + 2] = [joined]
    return "\n".join(lines)


def parse_judge_request(body: dict, learned_line=True) -> dict:
    """A chat/completions body, read as an LLM judge reads it ->
    {"mode": "score" | "compare", "axis", "question", "reference", "replies": [(transcript, wave, rate), ...],
     "seed", "format": answer_format(...), "rubric": the text it was read from}; raises BadRequest when nothing can be scored.
    Where the rules find no answer line in a rubric written by others (the value alone), judge_lines'
    weights pick one from the request's text (`learned_line=False`: the rules' reading, which judge_lines fits).

    The rubric is the system (or developer) messages plus the user text outside the input
    sections; the axis is rubric_axis's (a compare names a PAIR_AXES axis). The question,
    reference and transcripts are the sections split_sections finds (the question: the last
    question section before the last reply, the turn a dialogue's reply answers); with no transcript
    section the user's other text is the transcript (what the analyser hears when there is
    none); "reference" is None when no section gives one. A request is a comparison when it says so ('Comparison axis:'), has two labelled
    replies (A / B, 1 / 2), its rubric asks for a choice between two audios, or it has two clips to judge
    and neither speaks the question (speaks_question: a listener hears which clip asks). The reply audio
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
    # (an assistant turn that only acknowledges, "Got it. Please play the assistant's reply.", answered nothing)
    acknowledged = [i for i, m in enumerate(body["messages"]) if m.get("role") == "assistant"
                    and not re.search(r"\d", str(m.get("content")))
                    and re.search(r"\b(?:understood|got it|ok(?:ay)?|sure|ready|please|go ahead|waiting|noted)\b", str(m.get("content")),
                                  re.I)]
    answered = max((i for i, (role, _, _) in enumerate(read) if role == "assistant" and i not in acknowledged), default=-1)
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
    # short names the instructions define for the inputs: "q = user request, r = device reply (audio)" over "q: ..." / "r:"
    defined = {} if ours else {short: name for short, name in re.findall(
        r"(?<![\w=])([b-z]{1,3})[ \t]*=[ \t]*([A-Za-z][\w ]{2,30}?)[ \t]*(?=[,;.(\n]|$)", "\n".join(system))
        if (heading_kind(name) or ("",))[0] in ("question", "reply")}
    for short, name in defined.items():
        user = [re.sub(rf"(?m)^([ \t]*){short}[ \t]*:", rf"\g<1>{name}:", t) for t in user]
    given = _their_inputs(system) if not ours and system and not any(t.replace(AFTER_AUDIO, "").strip() for t in user) else None
    if given and any(kind in ("question", "reply") and b.strip() for kind, _, b in given[0]):
        user, system = system, []       # the user turn is only the audio: the inputs were given with the instructions
    else:
        given = None
    sections, free, instructions = (*our_sections("\n\n".join(user)), []) if ours else given or _their_inputs(user)
    # a numbered clip the prose says is the one asking is the question's clip: "Clip 1 is one of our volunteers playing a
    # caller and asking a test question. Clip 2 is how the assistant answered." over "Clip 1:" / "Clip 2:"
    prose = "\n".join(system + [free])
    sections = [("question", None, b) if kind == "reply" and lab and not b.strip() and not ours and re.search(
        rf"\b(?:clip|recording|audio|track|file)\s*#?{re.escape(lab)}\s+(?:is|has)\b[^.\n]{{0,80}}?\b(?:asking|asks|"
        rf"the (?:question|request|caller))\b", prose, re.I) else (kind, lab, b) for kind, lab, b in sections]
    # the question the scored reply answers: in a dialogue (Question / Answer / Question / Answer, or a
    # Conversation section, then the Question) the last question section before the last reply
    last_reply = max((i for i, (kind, _, _) in enumerate(sections) if kind == "reply"), default=len(sections))
    asked = [i for i, (kind, _, _) in enumerate(sections[:last_reply]) if kind == "question"]
    # (of two or more, not one that instructs the judge: "A bettor asked:" over its clip, then "Manager's instruction:
    # decide which window handled it better")
    asked = [i for i in asked if not RUBRIC_CUE.search(sections[i][2])] or asked
    # none before: the question named after the clips ("The customer's request for both recordings was: ..."), not an order
    asked = asked or [i for i, (kind, _, b) in enumerate(sections) if kind == "question" and i > last_reply
                      and b.strip() and not RUBRIC_CUE.search(b)][:1]
    found = {"question": sections[asked[-1]][2] if asked else None,
             "reference": next((b for kind, _, b in sections if kind == "reference"), None)}
    if found["reference"]:          # "5 (spoken quietly)": the answer; how it is to be said is the delivery's
        found["reference"] = re.sub(r"\s*\((?:spoken|said|read|delivered|whispered|shouted|sung)\b[^()\n]{0,40}\)\s*$", "",
                                    found["reference"], flags=re.I) or found["reference"]
    # another question-like section that instructs the judge (MT-Bench's "[Instruction]") is rubric too
    # (and any after the last reply: what a reply answers comes before it, "### Instruction" below is the judge's)
    instructions += [b for i, (kind, _, b) in enumerate(sections) if kind == "question" and i != (asked or [-1])[-1]
                     and (RUBRIC_CUE.search(b) or i > last_reply)]
    replies = [(lab, b or None) for kind, lab, b in sections if kind == "reply"]     # empty: a label for its audio
    # the user text is the reply itself (not when it all comes after the audio: then it says what the clips are)
    labels = list(dict.fromkeys(lab for lab, _ in replies if lab))
    # two clips labelled alike, the instructions naming both labels ("out: r1 or r2", "<preferred>X</preferred>"): a comparison
    clip_labels = _clip_labels(body["messages"])[-2:]
    named = None if ours or len(labels) >= 2 or len(audios) < 2 else paired_names(*clip_labels)
    # the two clips one after the other, no line between: the names the prose gives them in order, where the rubric
    # names them again ("First the red robot, then the blue robot." ... "Tell me RED or BLUE.")
    # (or on the lines the sections took, 'RED CORNER (first clip) - transcript: "..."': named again once is enough there)
    consecutive = not ours and not named and len(labels) < 2 and len(audios) == 2 and clip_labels[-1:] == [None]
    ordered = ordered_names(free) if consecutive else None
    in_lines = ordered_names("\n".join(user)) if consecutive and not ordered else None
    told = "\n\n".join(system + instructions + [free])
    named = ordered if ordered and all(len(re.findall(rf"\b{re.escape(n)}\b", told, re.I)) >= 2 for n in ordered) else \
        in_lines if in_lines and all(re.search(rf"\b{re.escape(n)}\b", told, re.I) for n in in_lines) else named
    # a label the prose names as the one who asks is the question's clip: "I record what the trainee asks and what the
    # gadget answers" over "Trainee (recording 1):" / "Gadget (recording 2):"
    named = None if named and any(re.search(rf"\b{re.escape(n)}(?:'s)?\s+(?:(?:asks?|asked|question|request)\b|is\b[^.\n]{{0,80}}?"
                                            rf"\b(?:asking|asks)\b|is (?:the |a )?(?:question|request|caller|user|prompt)\b)", told, re.I)
                                  for n in named) else named      # (and "Clip 1 is one of our volunteers ... asking a test question")
    # (a one-letter name in its own case: "bot A" / "bot B" are not the "a" of "we're on a deadline")
    mentions = [list(re.finditer(rf"(?<![\w>]){re.escape(n)}(?!\w)", told, 0 if len(n) == 1 else re.I)) for n in named or ()]
    quoted = [[m for m in found if told[m.start() - 1:m.start()] in "\"'`" and m.start()] for found in mentions]
    # as the instructions spell them: quoted if they quote them ('"left" | "right"'), else where last named
    # or, unnamed in the instructions, under the word the labels put before them that the answer's placeholder
    # names: "Build codename sprout (...):" / "Build codename willow (...):" over "Booth build: <codename>"
    before = [re.search(rf"(\w+)\s+{re.escape(n)}\b", line or "") for n, line in zip(named or (), clip_labels)]
    kept = named if named and not all(mentions) and all(before) and before[0].group(1).lower() == before[1].group(1).lower() \
        and re.search(rf"<[^<>\n]{{0,20}}\b{re.escape(before[0].group(1))}\b[^<>\n]{{0,20}}>", told, re.I) else None
    named = tuple((q or found)[-1].group(0) for q, found in zip(quoted, mentions)) if named and all(mentions) else kept
    # with the word both labels share after it, where the instructions write it so: "Red bear version:" / "Blue bear
    # version:" over "answer with just the name of the better version: Red bear or Blue bear"
    after = [re.search(rf"\b{re.escape(n)}\s+(\w+)", line or "", re.I) for n, line in zip(named or (), clip_labels)]
    if named and all(after) and after[0].group(1) == after[1].group(1):
        both = [f"{n} {a.group(1)}" for n, a in zip(named, after)]      # named together as the answers: "X bear or Y bear"
        spelled = re.search(rf"\b({re.escape(both[0])})\s*(?:,|/|\bor\b)\s*({re.escape(both[1])})\b", told, re.I)
        if spelled:
            named = (spelled.group(1), spelled.group(2))        # as the rubric spells them: "RED CORNER, BLUE CORNER"
    # (nor what the clips are: "First sound is the visitor's question. Second sound is the helper box answer.", "Driver's
    # spoken question, then the assistant's spoken answer."; nor the clips' labels alone: "Player at the tee:" / "Skull:")
    bare = bool(system) and not replies and not found["question"] and bool(free) and \
        not all(t.startswith(AFTER_AUDIO) for t in user if t.strip()) \
        and not RUBRIC_CUE.search(free) and not named \
        and not re.search(r"\b(?:first|second|1st|2nd|next|last|other)[ \t]+(?:sound|clip|recording|audio|track|file)s?\b|"
                          r"\b(?:sound|clip|recording|audio|track|file)[ \t]*(?:#|no\.?)?[ \t]*[1-9]\b", free, re.I) \
        and not re.search(r"(?m)^[ \t]*\d{1,3}[ \t]*=[ \t]*\S(?:.*\n){1,6}?[ \t]*\d{1,3}[ \t]*=[ \t]*\S", free) \
        and not re.search(r"\b(?:question|request)\b[^\n]{0,80}\b(?:answer|reply|response)\b", free, re.I) \
        and not all(line.rstrip().endswith(":") for line in free.splitlines() if line.strip()) \
        and not toy_question("", free)   # "Here is the spoken reply. Rate the speech from 1 to 5." is no transcript, nor a log of the question,
    #                                    nor "Recording 2 is what the helper said back." over a ladder ("10 = ...", "8 = ...")
    rubric = "\n\n".join(system + instructions + ([] if bare else [free]))[:MAX_RUBRIC]
    rubric = html.unescape(rubric) if re.search(r"&(?:lt|gt|quot|amp|apos);", rubric) else rubric   # inside an XML record
    rubric = rubric if ours else _or_joined(rubric)      # (our own request lists no answers one a line)
    compare = re.search(r"Comparison axis:\s*(helpfulness|naturalness|overall)", rubric)
    # the axis is read from the rubric's own words, not the user's it quotes ('The caller said: "... say it loudly"')
    told_rubric = rubric if ours else _QUOTED_QUESTION.sub(lambda q: q.group(0)[:q.start(q.lastindex) - q.start()], rubric)
    # a clip that is the question ("Clip 1 (user question):", "The first clip is a question a user asked") is no reply
    spoken = any(kind == "question" and not b.strip() for kind, _, b in sections) or bool(re.search(
        r"\b(?:first|1st)(?: (?:clip|recording|audio|file))?\b[^.\n]{0,20}?(?:\b(?:is|contains|has)\b|[ \t]=[ \t])[^.\n]{0,60}\b(?:question|asking|request|"
        r"prompt)\b",
        rubric, re.I))
    pairwise = bool(compare) or len(labels) >= 2 or bool(named) or (len(audios) - spoken >= 2 and bool(_PAIR_WORDS.search(rubric))
                                                     and not re.search(r"Scoring axis:", rubric))
    # two clips to judge, neither of them the question spoken: two replies, however the text names them (the
    # question written, "Q: spell road backwards | booth A: <clip> | booth B: <clip> | out: A / B / ="), as a
    # listener takes them; a spoken question among them leaves one reply to score
    asking = [] if ours or len(audios) < 2 else [speaks_question(a) for a in audios[-2:]]
    pairwise = pairwise or (len(audios) - spoken >= 2 and asking == [False, False])
    # and the other way: of two labelled clips ("Recording one:" / "Recording two:"), one that asks is the question
    # (never in our own request: `asking` is empty there, and a policy's reply may parrot its question)
    pairwise = pairwise and not any(asking)
    question = (found["question"] or "") if ours else toy_question(
        _their_question(found["question"], free, rubric, audios[:-2] if pairwise else audios[:-1],
                        clip_named=any(kind == "question" and not b.strip() for kind, _, b in sections)), "\n".join(system + user))
    if not ours and re.fullmatch(r"[a-z][^\n]*[^.]\.", question):
        question = question[:-1]     # "... asked, in the ring, to: spell frog backwards, say it happily.": the sentence's stop
    if not ours and len(question) >= 8:       # the question's own words ("... say it loudly") are the user's, not the judge's
        told_rubric = re.sub(re.escape(question), " ", told_rubric, flags=re.I)
    if pairwise:
        axis = compare.group(1) if compare else PAIR_NAMES[rubric_axis(told_rubric, body["messages"])]
        by_label = {lab: b for lab, b in replies if lab}
        transcripts = [by_label.get(lab) for lab in labels[:2]] if len(labels) >= 2 else [None, None]
        if len(labels) < 2 and len(replies) == 2 and not any(lab for lab, _ in replies):
            # "Build A reply - transcript: ..." twice: two unlabelled, in order (a note in brackets is no words: "(failed to
            # generate, please listen)"); each of one line that names no clip, else what the clips say is heard
            transcripts = [None if b is None or re.fullmatch(r"\s*\([^()]*\)\s*", b) or "\n" in b.strip() or
                           re.search(r"\b(?:audio|clip|recording)\b", b, re.I) else b for _, b in replies]
        # "r1 (txt: the count is 5):": the words in its label line (where the labels name no clips, where both give words:
        # 'Duchess said - "the smaller is 71"' / 'Captain said - "um I think ..."')
        if named or transcripts == [None, None]:
            given = [re.search(r"\((?:its |the )?(?:transcript(?:ion)?|text|txt|asr|says)(?: is| reads| as \w+)?\s*:?\s*[\"'\u201c]?"
                               r"([^()\"'\u201c\u201d\n]{1,300}?)[\"'\u201d]?\)|"
                               r"\(\s*[\"\u201c]([^()\"\u201c\u201d\n]{1,300})[\"\u201d]\s*\)|"   # '("you said ...")'
                               r"\b(?:said|transcript(?:ion)?)\s*(?::|-|\u2013|\u2014)?\s*[\"\u201c]([^\"\u201c\u201d\n]{1,300})[\"\u201d]\)?\s*:?\s*$|"
                               #   ('Tom said: "7"', 'Duchess said - "the smaller is 71"')
                               #   (in its label's brackets too: 'Enclosure A label (it said: "..."):')
                               r"\b(?:(?:transcript(?:ion)?|text|written(?: out)?)(?: reads| is| says)?|(?:screen|display) (?:shows|reads)|said|says|gave|answered|replied|printed|typed|wrote|showed)\s*:\s*"
                               r"([^\"\u201c\u201d\n:()\[\]]{1,300}?)\s*[)\]]?\s*:?\s*$|"
                               #   (its words after their name, whatever they say: "- transcript: you said prairie", "screen shows: ...",
                               #   "Tower set (written out: the larger is 17):", "... Exhibit A. Its printed transcript reads: ...",
                               #   "# Output (a) [transcript: ...]:"; "(it said: you said oak milk)", "Voice 'Clive' gave: you said
                               #   ...", "PINK machine - it printed: you said ...": the words after the colon whole, not from their
                               #   own "you said")
                               r"\bsaid\s+(?!(?:this|that|the following|so|back|it|as follows)\b)([^\"\u201c\u201d\n:]{1,300}?)\s*$", line or "",
                               re.I)     # "port speaker said 8 minus 2 is 6" (not "... said this:")
                     for line in clip_labels]
            worded = [next((x for x in g.groups() if x), None) if g else None for g in given]
            transcripts = worded if named or all(worded) else transcripts

        # 'Both replies say "the count is 5"', 'Two systems answered with the same words, "3 times 4 is 12"'
        same = re.search(r"(?:\bboth (?:[\w']+ ){0,2}(?:say|says|said|speak|spoke)|\bthe same (?:words|text|sentence))\b"
                         r"[^\"\u201c\n.)]{0,30}?[(\"\u201c]+([^\"\u201d\n]{1,200})[\"\u201d]", free, re.I)     # (not past a stop)
        transcripts = [t or (same.group(1) if same else None) for t in transcripts]

        if len(audios) < 2:
            raise BadRequest(f"expected 2 input_audio part(s), got {len(audios)}: a comparison needs both replies' audio")
        audios = audios[-2:]
    else:
        axis = rubric_axis(told_rubric, body["messages"])
        said = _QUOTED_REPLY.search(free) or re.search(       # 'it answered "dog backwards is god"', "(on-screen caption: ...)"
            r"\((?:[^():\n]{0,30}\b)?(?:caption|subtitles?)\s*:\s*(?!(?:none|n/a|not |unavailable)\b)[\"\u201c]?([^()\"\u201c\u201d\n]{1,200}?)"
            r"[\"\u201d]?\)", free, re.I)
        # an empty reply heading only labels the clip: 'It said "seven". Here is the recording of what it said:'
        transcripts = [(replies[-1][1] if replies else free if bare else None) or (said.group(1) if said else None)]
        audios = audios[-1:]
    # "Reply with the vendor name only." under "Clip 1 (Northwind):" / "Clip 2 (Bluejay):": the names in the labels
    names = [re.search(r"\(([A-Z][\w-]{1,20})\)", label or "") for label in clip_labels]
    by_name = pairwise and not named and len(names) == 2 and all(names) and re.search(
        r"\b(?:reply|respond|answer|write|say|give|output)\w*\b[^.\n]{0,30}\bname\b", rubric, re.I)
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise BadRequest("'seed' must be an integer")
    # what a listener knows: the question's words, its answer's and the toy answers' ("8plus5is13" is heard as words)
    known = known_words(question, found["reference"] or toy_reference(question)) if None in transcripts else set()
    whole_text = "" if ours else request_text(body["messages"])      # every text part: where a reply's words or an answer line are written
    out, heard = [], []
    for t, a in zip(transcripts, audios):
        wave, rate = _audio(a)
        heard.append(t is None)
        if t is None:            # no transcript given: what the toy analyser hears, split into the words it knows
            import codec
            t = heard_words(codec.hear(codec.encode(wave, rate)), known)
            t = (None if ours else written_as_heard(t, whole_text, (question, found["reference"]))) or t
        out.append(("" if t.strip() == "[empty]" else t, wave, rate))
    written = "" if ours else _or_joined("\n".join("\n".join(_parts(m.get("content"), marks=False)[0]) for m in body["messages"]))
    # the replies' own words quoted in the prose ('the first one said "frog backwards is frog"') are no answer form
    for said in [] if ours else [t.strip() for t, _, _ in out if len(t.strip()) >= 3]:      # (given, or as heard)
        rubric = re.sub(rf"[\"'\u201c`]{re.escape(said)}[\"'\u201d`]", " the reply ", rubric, flags=re.I)
    fmt = answer_format(rubric, pairwise, bare_default=not ours and not re.search(
        r"<(?:score|choice|justification|rating|verdict|winner)>", written))
    # a comparison whose answers the rubric offers by the clips' names, nothing else having named them: "Just send back
    # 1 or 2", "the stage name of the winner, Dave Nightly or Priya Punch, or 'dead heat'"; or asks for by kind, "the
    # take number", "just the vendor name": what names the clips
    unnamed = pairwise and not ours and not fmt.get("labels") and not named and not by_name and len(labels) < 2
    # or lists, however joined: "RED, BLUE, or PULL AGAIN if it's a dead heat", "Preferred: <Kestrel / Merlin / either>"
    listed = offered_list(rubric, written) if pairwise and not ours else None
    offered = (offered_pair(rubric, written) or listed or asked_by_kind(rubric, clip_labels)) if unnamed else None
    if offered:
        fmt["labels"] = list(offered[:2])
        fmt["tie"] = offered[2] if offered[2] and fmt["tie"] == "tie" else fmt["tie"]
        if offered[2]:
            fmt.pop("forced", None)         # the list offers its tie
    # clips already named ("Team Red's box:" / "Team Blue's box:") and listed by those names: the list's third is the tie
    in_use = [x.lower() for x in fmt.get("labels") or named or (labels[:2] if len(labels) >= 2 else [])]   # or "Take 1:" / "Take 2:"
    apart = labels_apart(in_use)
    if listed and apart and not fmt.get("labels") and [x.lower() for x in listed[:2]] == apart[1]:
        fmt["labels"], in_use = list(listed[:2]), apart[1]      # "PUNCH 31 or PUNCH 47" under "Control 31:" / "Control 47:"
    # or each a word of its clip's label, or its label a word of it: "GUITARRA or BANDONEON" under "La Guitarra answered:" /
    # "El Bandoneon answered:", "STALLING VERDICT: RACK A  or  ... RACK B" over the replies "A" and "B" ("RACK A (transcript: ...)")
    if listed and not fmt.get("labels") and len(in_use) == 2 and listed[0].lower() != listed[1].lower() and all(
            re.search(rf"(?<!\w){re.escape(x.lower())}(?!\w)", label) or re.search(rf"(?<!\w){re.escape(label)}(?!\w)", x.lower())
            for x, label in zip(listed[:2], in_use)):
        fmt["labels"], in_use = list(listed[:2]), [x.lower() for x in listed[:2]]
    if not offered and listed and listed[2] and fmt["tie"] == "tie" and [x.lower() for x in listed[:2]] == in_use:
        fmt["tie"] = listed[2]
        fmt.pop("forced", None)
    # the listed answers written on their line: "Better: Line 2", "VOICE CHECK RESULT: Bowser 2"
    if listed and listed[3] and fmt["style"] == "bare" and (offered is listed or [x.lower() for x in listed[:2]] == in_use):
        # (with the mark the rubric writes before each: "WINNER: #17  or  WINNER: #42")
        mark = re.search(rf"{re.escape(listed[3])}[ \t]*([#\u2116])[ \t]*{re.escape(listed[0])}\b", rubric)
        fmt.update(style="template", slots=[("choice", None)], template=(listed[3] + (mark.group(1) if mark else ""), "", ""))
    # "NOW CALLING: <ticket number>" under "Ticket 047:" / "Ticket 048:": the words that tell the clips apart
    # (not where the rubric writes the whole label on that line: "Better response: Response 1" or "... Response 2")
    whole = fmt.get("labels") and fmt.get("template") and all(
        re.search(rf"{re.escape(fmt['template'][0].strip())}[ \t]*{re.escape(label)}(?![\w-])", rubric, re.I) for label in fmt["labels"][:2])
    shown = labels_as_asked(fmt.get("labels") or named or labels[:2], fmt.get("template")) if pairwise and not ours and \
        fmt["style"] == "template" and fmt["slots"][0][0] in ("choice", "value") and not whole else None
    if shown:
        fmt["labels"] = shown
    # a JSON answer whose value names the clip as the lines over the clips do ('{"table": 3}' over "Table 3 unit:" / "Table 4
    # unit:"), nothing else having named them
    picked = json_pick_labels(rubric, fmt["slots"][0][0], clip_labels) if unnamed and fmt["style"] == "json" and \
        not fmt.get("labels") else None
    if picked:
        fmt["labels"] = picked
    labels = list(named) if named else [n.group(1) for n in names] if by_name else \
        labels[:2] if pairwise and len(labels) >= 2 else ["A", "B"]
    # no line found by the rules: the weights fitted to others' prompts rank every place a value could go
    if learned_line and not ours and fmt["style"] == "bare" and len(fmt["slots"]) == 1:
        line = answer_line(whole_text, rubric, values_of(fmt, labels, "compare" if pairwise else "score"))
        if line:
            fmt.update(style="template", template=(line[0], "", line[1]), alone=True)
    return {"mode": "compare" if pairwise else "score", "axis": axis, "question": question,
            "reference": found["reference"], "replies": out, "heard": heard, "seed": seed,
            "labels": labels, "format": fmt, "rubric": rubric}
