"""What names an input in a judge prompt, and the layouts inputs come in: headings, XML, JSON, fields.

    import judge_inputs
    judge_inputs.heading_kind("Transcript of answer A")      # ('reply', 'A')
    judge_inputs.untag("<question>what is 2 plus 2</question>")   # as a "question:" heading over its text
    judge_inputs.toy_question("", "| KSK-114 | how many letters in bread? | ...")   # 'how many letters in bread?'

judge_request.py finds a request's inputs by their headings; this file says what a heading names
(heading_kind: a question, a reference, a reply and its label, or the end of one), what a sentence
ending in a colon introduces (introduced_kind), and turns the other layouts inputs come in into
headed sections: XML elements (untag), one JSON object (unjson), fields inside a line or a CSV row
(unfield); an HTML page's text becomes its lines (unhtml). It also holds the toy world's questions,
the only ones the toy judge understands: their grammar (TOY_TASKS), their answers (toy_reference), the
one a request writes where no heading names it (toy_question), a fast reply heard without word gaps
split into the words a listener knows (heard_words), and a heard reply's words as the request writes them
where no layout names them a transcript (written_as_heard). All of this is heuristic: README, *Use your own
judge prompt*, says how far it carries on prompts it was not built from.

Deviations: none from the paper (it does not say how its judge parses prompts).
"""
import bisect
import csv
import json
import re


_QUESTION_WORDS = {"question", "instruction", "request", "query", "prompt", "input", "turn", "message", "utterance",
                   "context", "dialogue", "conversation", "chat", "user"}
_REPLY_WORDS = {"answer", "response", "reply", "output", "completion", "transcript", "transcription", "assistant", "model",
                "recording", "clip", "asr", "resp", "ans", "txt", "agent", "take"}
# what a labelled reply may be called in a listening test: "Audio 1", "Sample A", "first take", "System B"
_LABELLED_REPLY = {"audio", "sample", "take", "version", "candidate", "option", "system", "rendering", "rendition",
                   "recording", "clip", "checkpoint", "model", "variant", "voice",
                   "vendor", "supplier", "provider", "engine", "unit", "programme", "program", "narrator", "firmware"}
ASKERS = {"user", "customer", "caller", "person", "human", "pupil", "student", "child", "client", "player", "visitor", "patient",
           "guest", "listener", "driver", "wearer", "occupant", "learner", "parent", "shopper", "traveller", "traveler"}
_ASKER_SAID = re.compile(rf"\b(?:{'|'.join(sorted(ASKERS | {'speaker'}))}) (?:said|says|wrote|typed)\b", re.I)   # "the guest said:"
_FILLER = {"the", "a", "an", "of", "to", "be", "for", "s", "text", "spoken", "audio", "candidate", "generated", "ai", "bot",
           "its", "original", "user", "users", "start", "model", "assistant", "evaluate", "evaluated", "judge", "judged",
           "assess", "assessed", "rate", "rated", "score", "scored", "grade", "graded",     # "Response to evaluate"
           "transcribed", "recording", "clip", "final", "last", "latest",     # "Assistant's final turn"
           "device", "orth", "orthographic", "wav",                  # "ASR of device output", "resp orth."
           "captured", "speaker",                                    # "Captured speaker output"
           "above", "below",                                          # "Transcript of the answer above"
           "review", "reviewed", "script",                            # "Take to review", "Script text of the take"
           "what", "said", "says", "asked", "asks", "replied", "answered", "responded", "spoke", "heard",   # "What ... said"
           "logged", "written", "typed"}                             # "Reply logged", "Our written transcript"

AFTER_AUDIO = "\x00after audio\x00"     # a line split_sections reads as the end of the section before it


def heading_kind(name) -> tuple | None:
    """('question' | 'reference' | 'reply' | 'end', label or None) for a section heading, or
    None when the name is not one a judge prompt uses for its inputs."""
    if name.strip() in ("Q", "q"):             # "Q: ... / A: ..." (split_sections reads the A after a Q)
        return "question", None
    if len(name) > 100:                        # a heading is a few words (a JSON key may be anything)
        return None
    if re.fullmatch(r"\s*(?:transcribed|transcription|transcript)\s*", name, re.I):
        return "reply", None                       # "Clip 2 is the helper's answer. Transcribed: "12 minus 5 is 7""
    if re.match(r"\s*how\b", name, re.I) or re.search(r"\s[-\u2013\u2014]\s+how\b", name, re.I):
        return None                                # "deliv. (n.) - how a thing is said": what a criterion means, no input
    if re.search(r"\b(?:counts|matters|weighs)\b", re.sub(r"\([^()]*\)", " ", name), re.I):
        return None                                # "what it said counts most (about 70%)": a criterion's weight, no input
    if re.search(r"\basked to (?:reply|answer|respond|write|give|state|rate|score|judge|choose|pick|say|decide|mark|grade|"
                 r"return|output)\b", name, re.I):
        return None                                # "The reviewer is asked to reply with a single line": an order to the judge
    if re.fullmatch(r"\s*(?:I|we) (?:(?:only|just|now|also) )?ask(?: you)?(?: only| just)?\s*", name, re.I):
        return None                                # "I ask only: whose VOICE did ...?": the writer asking the judge
    parts = re.split(r"\s+(?:--?|\u2013|\u2014)\s+|(?<=\w):\s+", name, maxsplit=1)     # "clip 1: user question" too
    if len(parts) == 2:       # "Recording 1 - the caller's question", "Recording 2 - voice A's answer": what it holds
        described, named = heading_kind(parts[1]), heading_kind(parts[0])
        if re.fullmatch(r"[ \t]*(?:(?:as |what (?:we|i) )?heard(?: as)?|it said)[ \t]*", parts[1], re.I):
            described = "reply", None       # "G-BUZZ -- heard: the smaller is 71": what a named clip was heard saying
        if described and described[0] == "reply" and not described[1] and named and named[0] == "reply":
            return named      # "Reply A - transcript"
        if described:
            return described
    if re.search(r"\((?:the )?(?:user'?s? |spoken )?(?:request|question|prompt|query)\)", name, re.I) or \
            re.search(rf"\((?:the )?(?:{'|'.join(sorted(ASKERS))})(?:'s)?(?: (?:request|question|prompt|query|side|turn))?\)", name, re.I):
        return "question", None                    # "Clip 1 (user request)", "Clip 1 (caller)": the spoken question, not a first reply
    code = re.fullmatch(r"\s*([A-Z][12])\s+(?:said|says|answered|replied|output|response|reply|answer)\s*", name)
    if code:
        return "reply", code.group(1)              # "R1 said:" / "R2 said:": a reply under its code
    if re.match(r"A [a-z]+ [a-z]+ ", name):        # "A user asked a voice assistant": the article, no label
        name = name[2:]
    label = re.search(r"(?<![A-Za-z0-9])([AB12XY])(?![A-Za-z0-9])|\(([ab])\)", name)
    label = (label.group(1) or label.group(2)).upper() if label else None
    side = None if label else re.match(r"\s*(left|right)\b(?![ _.-]*answer\b)[ _.-]*(?=\w)", name, re.I)
    if side:                                       # "left.transcript", "RIGHT audio" (not "Right answer")
        label, name = {"left": "1", "right": "2"}[side.group(1).lower()], name[side.end():]
    if not label and re.search(r"\([^()]*\b(?:transcript\w*|asr|subtitles?|captions?)\b[^()]*\)", name, re.I):
        named = heading_kind(re.sub(r"\([^()]*\)", " ", name).strip() or "reply")
        if not named or named[0] == "reply":        # "Pip's line (subtitle track)": a reply's words, whoever speaks them
            return "reply", named[1] if named else None
    plain = re.sub(r"\([^()]*\)", " ", name)          # "QUESTION (for context only)", "Answer (transcribed)"
    words = re.sub(r"[^a-z0-9 ]", " ", plain.lower().replace("\u2019", "'").replace("'s", " ")).split()
    lead = 0                                       # "And here is the second answer": from "second answer"
    while lead < len(words) - 1 and (words[lead] in ("and", "here", "now", "this", "is", "are", "the", "read")   # "Read the user request"
                                     or words[lead] == "our" and words[lead + 1] in ("transcript", "transcription", "written", "typed")):
        lead += 1                                  # "Our transcript of what it said"
    words = words[lead:]
    given = next((i for i, w in enumerate(words[1:-1], 1) if w in ("given", "sent", "posed", "put", "spoken", "typed", "played", "read")
                  and words[i + 1] in ("to", "by", "at", "into")), len(words))       # "Visitor request typed at the kiosk"
    words = words[:given]                          # "Prompt given to the system": a prompt, whoever it went to
    told_to = next((i for i, w in enumerate(words[1:-1], 1) if w in ("says", "said", "asks", "asked") and words[i + 1] == "to"),
                   len(words) - 1)
    words = words[:told_to + 1]                    # "The player character says to the wizard NPC": who says it, not to whom
    if len(words) >= 2 and words[-1] in ("score", "rating", "grade", "verdict", "mark") and words[-2] != "to":
        return None                                # "Take score:", "Response rating:": the answer's line ("Response to score" is not)
    if not label and len(words) >= 2 and words[-1] == "given" and words[0] in ("task", "question", "prompt", "instruction", "request",
                                                                             "direction", "line"):
        return "question", None                    # "Task the assistant was given"
    if len(words) > 2 and words[-2:] in (["under", "test"], ["being", "tested"]):
        words = words[:-2]                         # "Caller utterance under test": what is tested is the question
    if not label and len(words) >= 3 and words[-2] == "as" and words[-1] in ("performed", "spoken", "delivered", "recorded"):
        return "reply", None                       # "Script as performed": the words the reply spoke
    if words[-1:] in (["begins"], ["starts"]):      # "Assistant 1's answer begins"
        words = words[:-1]
    elif words[-1:] in (["ends"], ["end"]) and len(words) > 1:
        words = ["end"] + words[:-1]
    elif words[-1:] in (["was"], ["is"], ["were"]) and len(words) > 1:     # "Question to model was"
        words = words[:-1]
    if label:
        words = [w for w in words if w.upper() != label]
        if words[:1] in (["first"], ["second"]) and len(words) > 1:     # "First reply (A)": the label names it
            words = words[1:]
    elif words[:1] in (["first"], ["second"]) and len(words) > 1:     # "First recording", "Second answer"
        label, words = {"first": "1", "second": "2"}[words[0]], words[1:]
    if not label and re.fullmatch(r"(?:the )?(?:(?:user|customer|caller|client) )?(?:question|request|prompt|query) (?:(?:that|which) "
                                  r"(?:\w+ ){0,4}(?:answers|answered|is answering|responds to|replies to)|(?:for|to|behind|of) "
                                  r"(?:\w+ ){0,2}(?:recordings?|clips?|repl(?:y|ies)|answers?|responses?|takes?))", " ".join(words)):
        return "question", None                    # "The user's request that this recording answers was", "... for both recordings"
    if not label and 2 <= len(words) <= 10 and (words[-1] in ("answering", "responding") and (not set(words) & _REPLY_WORDS or
                                                                                            {"line", "script"} & set(words))
                                                 or words[-1] in ("question", "request", "prompt", "query")
                                                 and set(words) & {"answering", "answered", "responding"}):
        return "question", None                    # "The line the actor was answering", "The reply was answering this request"
    if not label and 2 <= len(words) <= 10 and words[-1] == "to" and words[-2] in (
            "reply", "answer", "response", "replies", "answers", "responses", "replying", "answering", "responding"):
        return "question", None                    # "That was the assistant's reply to: ...", "... are answers to: ..."
    if not label and 3 <= len(words) <= 10 and words[-1] in ("question", "prompt", "request", "query") and "to" in words[-3:-1]:
        return "question", None                    # "Evaluate two voice responses to the question: ..."
    if not words or len(words) > 6:
        return None
    if words[0] == "the":
        words = words[1:] or words
    if words[0] == "end" and set(words[1:]) <= _REPLY_WORDS | _LABELLED_REPLY | _QUESTION_WORDS | _FILLER | {"of", "input", "inputs"}:
        return "end", label                        # "End of answer", not "End with exactly one line"
    if not label and words in (["customer"], ["caller"], ["client"], ["child"], ["pupil"], ["student"], ["person"]):
        return "question", None                    # "Customer: how many letters in apple"
    if not label and words[0] in ("question", "prompt", "request", "query", "instruction", "direction", "cue") and len(words) <= 6 and set(words[1:]) \
            <= _FILLER | ASKERS | {"it", "was", "is", "being", "answering", "answered", "responding", "that", "which", "posed",
                                    "given", "from", "by", "under", "test", "tested"}:
        return "question", None                    # "The question it was answering", "Question from child", "Prompt under test"
    if ({"reference", "expected", "gold", "ideal", "target", "official"} & set(words) or "ground truth" in " ".join(words)
            or " ".join(words[-2:]) in ("correct answer", "right answer", "answer key")) and not {"output", "format"} & set(words) \
            and words[-1] not in ("points", "point", "scale", "levels", "marks", "values", "anchors"):
        return "reference", None                   # (not "expected_output": the judge's own answer's form, nor "Reference
        #                                            points: 100 = right ...; 25 = wrong": a scale's anchors)
    if not label and (len(words) in (2, 3) and words[-1] in ("question", "prompt", "request", "query", "instruction", "utterance")
                      or len(words) <= 3 and words[-1] == "card" and set(words) & {"question", "prompt", "request"}
                      or words == ["stimulus"]) and not \
            set(words[:-1]) & ({"system", "judge", "grading", "scoring", "evaluation", "evaluator", "rating", "example", "sample",
                                "oracle", "reviewer", "rater", "annotator",             # "Oracle question": the judge's
                                "your", "my", "next", "following", "follow", "up",
                                "only", "one", "main", "real", "key", "quick", "simple"} | _REPLY_WORDS):   # "only question: did it ...?"
        return "question", None                    # "Scripted prompt", "Client prompt card", "Stimulus (...)" (not "System prompt")
    if not label and (len(words) == 2 and words[0] in ASKERS and words[1] in ("line", "turn", "utterance", "words")
                      or words[1:] == ["call", "in"] and words[0] in ASKERS):
        return "question", None                    # "Player line", "Caller utterance", "Listener call-in (VO)"
    said_as = [w for w in words if w not in ("spoken", "recorded", "transcribed")]     # "The guide's spoken answer"
    if not label and len(said_as) == 2 and said_as[1] in ("answer", "response", "reply") and said_as[0] not in (
            "preferred", "better", "best", "winning", "chosen", "your", "my", "short", "final", "example", "sample"):
        return "reply", None                       # "Tutor's answer", "Bot response" (not "Preferred response: A")
    if not label and len(words) == 2 and words[1] in ("recording", "take") and words[0] not in \
            _QUESTION_WORDS | ASKERS | {"example", "sample", "reference", "your", "my", "preferred", "better", "best", "winning", "chosen"}:
        return "reply", None                       # "Master recording", "Final take"
    if not label and set(words) & {"asked", "asks"} and set(words) & ASKERS:
        return "question", None                    # "The user asked the assistant", "What the caller asked"
    core = [w for w in words if w not in _FILLER]
    if not label and not core and "audio" in words:     # "Generated audio:", "Assistant audio:": the clip comes next
        return "end", None
    if set(words) & (_REPLY_WORDS - {"model"}) and set(core) <= _REPLY_WORDS | {"turn"}:    # "Assistant's final turn"
        return "reply", label
    if label and set(words) & (_LABELLED_REPLY | _REPLY_WORDS) and set(words) <= _LABELLED_REPLY | _REPLY_WORDS | _FILLER | {"next", "turn"}:
        return "reply", label                      # "Checkpoint A", "voice B's answer"
    if not label and set(words) <= _QUESTION_WORDS | _FILLER | ASKERS | {"test", "side"} and set(words) & _QUESTION_WORDS:
        # "the caller's question", "Patient-side test question"
        return "question", None
    # who said what, in a few words: "Text it spoke", "The words spoken are", "What the model said" (a reply);
    # "The speaker was asked", "The customer said" (the question). Not "Language spoken" (no one speaks).
    told = set(words) & {"said", "says", "spoke", "spoken", "replied", "answered", "responded", "asked", "asks", "asking", "ask",
                         "wrote"}
    if not label and len(words) <= 5 and told and words[0] != "how":       # (not "HOW it said it": the manner)
        if set(words) & ASKERS or told <= {"asked", "asks", "asking", "ask"}:      # "User was asking"
            return "question", None
        if set(words) & {"it", "assistant", "model", "bot", "agent", "system", "tutor", "words", "text", "reply", "response"} or \
                words[0] == "what" and (words[-1] == "back" or told & {"replied", "answered", "responded"}):
            return "reply", None            # (and "what the teapot said back": whoever said it; not "What the boater said")
    return None


_CONTENT = re.compile("\x00after audio\x00|[^\\s:]")      # AFTER_AUDIO, or a character that says something


def unhtml(text) -> str:
    """An HTML page's text ('<p><b>Question:</b> spell lemon backwards</p>') as the lines a reader sees: block tags
    end a line, inline ones go; other tags (<score>, <answer>, <question>) stay for the reader."""
    if not re.search(r"</(?:p|b|li|div|strong|em|h[1-6])>|<br\s*/?>", text, re.I):
        return text
    text = re.sub(r"</?(?:p|div|li|ul|ol|h[1-6]|tr|table|br|hr)(?:\s[^<>\n]{0,80})?\s*/?>", "\n", text, flags=re.I)
    return re.sub(r"</?(?:b|i|u|em|strong|span|font|small|big|code)(?:\s[^<>\n]{0,80})?>", "", text, flags=re.I)


def untag(text) -> str:
    """Inputs given as XML elements ("<question>...</question><response>...</response>") as the
    headed sections split_sections reads; an element that is not an input (<score>N</score>) stays.
    One pass over the tags, each closing tag paired with the latest opening of its name; only an
    input element's body is copied, and those read never overlap (a regex per element rescans to the
    end from every unclosed "<question>"; copying every nested element's body is quadratic in depth)."""
    opened, pairs, reply_opens, kinds = {}, [], [], {}
    for m in re.finditer(r"<(/?)([A-Za-z][\w-]{0,40})((?:\s+[\w-]+=\"[^\"<>\n]{0,40}\")*)\s*>", text):
        if not m.group(1):
            opened[m.group(2)] = m
            if m.group(2) not in kinds:
                kinds[m.group(2)] = heading_kind(m.group(2).replace("_", " "))
            if (kinds[m.group(2)] or ("",))[0] == "reply":
                reply_opens.append(m.start())         # in text order: bisect finds one inside a container
        elif m.group(2) in opened:
            pairs.append((opened.pop(m.group(2)), m))
    pieces, done = [], 0
    for start, end in sorted(pairs, key=lambda pair: pair[0].start()):
        if start.start() < done:
            continue
        # <reply id="first">: the attribute names which reply
        named = re.search(r'\b(?:id|name|label)="([^"]{1,20})"', start.group(3))
        name = (f"{named.group(1)} " if named else "") + start.group(2).replace("_", " ")
        name = re.sub(r"(?<= )[ab]\Z", lambda m: m.group(0).upper(), name)     # <response_a> / <response_b>: replies A and B
        kind = heading_kind(name)
        if not kind:
            continue             # not an input (<score>, <t17>): left as it is, its body never copied
        inner = bisect.bisect_right(reply_opens, start.start())
        if kind[0] == "question" and inner < len(reply_opens) and reply_opens[inner] < end.start():
            continue             # <conversation> holding <user_turn> / <assistant_turn>: read the turns inside it
        said = next((m for m in _CONTENT.finditer(text, start.end(), end.start()) if m.group(0) != AFTER_AUDIO), None)
        line_start, line_end = text.rfind("\n", 0, start.start()) + 1, text.find("\n", end.end())
        alone = not text[line_start:start.start()].strip()
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        if not alone and (not said or re.fullmatch(r"\s*(?:N|X|n|x|\.\.\.|[A-C]|\d{1,3}|(?i:tie|same|equal|neither|both|draw|none))\s*",
                                                                     text[start.end():end.start()])
                          or len(re.findall(rf"<{re.escape(start.group(2))}>[^<>\n]{{1,30}}</{re.escape(start.group(2))}>", line)) >= 2):
            continue             # "put its letter inside <answer></answer> tags", "as <answer>N</answer>", "<take>dawn</take> or
            #                      <take>dusk</take>": the answer's form
        if not said:             # <response_audio> around the clip: no words; a reply's name labels its clip ("<reply>" audio "</reply>")
            clip = AFTER_AUDIO in text[start.end():end.start()]
            pieces += [text[done:start.start()], (f"\n{name}:\n" if kind[0] in ("reply", "question") and clip else "\n")
                       + (f"{AFTER_AUDIO}\n" if clip else "")]
            done = end.end()
        elif kind[0] != "end":   # each element copied once: the elements read never overlap
            body = text[start.end():end.start()]
            nested = re.search(r"<(transcript(?:ion)?|text|asr)>(.{0,4000}?)</\1>", body, re.S) if kind[0] == "reply" else None
            body = nested.group(2) if nested else body
            pieces += [text[done:start.start()], f"\n{name}:\n{body.strip()}\n{AFTER_AUDIO}\n"]    # the element ends its section
            done = end.end()
    return "".join(pieces) + text[done:]


def unjson(text) -> str:
    """Inputs given as one JSON object ({"question": "...", "response": "..."}, alone, in a fenced
    block or on a line of its own) as the headed sections split_sections reads; a key that is not an
    input stays as it was.
    Fences are found by one split, not a regex per fence (linear in an 8 MB body)."""
    def sections(raw):
        try:
            obj = json.loads(raw)
        except ValueError:
            return None
        # "candidate_a" -> "candidate A": a key's last letter is a reply's label
        name = (lambda key: re.sub(r"(?<= )([abxy])$", lambda m: m.group(1).upper(), str(key).replace("_", " ")))  # noqa: E731
        if not isinstance(obj, dict) or not any(heading_kind(name(k)) for k in obj):
            return None
        # a nested input, {"candidate_a": {"transcript": "..."}}: its text is the first input key's
        obj = {k: next((x for kk, x in v.items() if isinstance(x, str) and heading_kind(name(kk))), v)
               if isinstance(v, dict) and heading_kind(name(k)) else v for k, v in obj.items()}
        # "response_audio": "<attached below>" stands for the clip (sent as audio): not a transcript, not rubric
        clip = (lambda key: "audio" in name(key) and not re.search(r"transcri|text|asr", name(key), re.I))   # noqa: E731
        return "\n".join(f"\n{name(k)}:\n{v}\n" if isinstance(v, str) and heading_kind(name(k)) else
                         f"{k}: {v if isinstance(v, str) else json.dumps(v)}"
                         for k, v in obj.items() if not (clip(k) and isinstance(v, str)))
    whole = text.strip()
    if whole.startswith("{") and whole.endswith("}"):
        read = sections(whole)
        return text if read is None else read
    pieces, out = text.split("```"), []
    for i, piece in enumerate(pieces):
        closed = i % 2 == 1 and i < len(pieces) - 1          # between two fences
        body = re.sub(r"\A(?:json)?[ \t]*\n", "", piece).strip() if closed else ""
        read = sections(body) if body.startswith("{") else None
        if read is not None:
            out.append(read)                                 # the fences go with the JSON they held
        elif i % 2:
            out.append("```" + piece + ("```" if closed else ""))
        else:            # a JSON object on a line of its own ("Record:\n{...}"), not an example of the answer ("e.g.\n{...}")
            # or over lines of its own, "{" to the first "}" at the start of a line, below a sentence (each line
            # read once: an attempt that fails goes on after its "}", so many "{" lines cost no more than one)
            piece = _json_blocks(piece, sections)
            lines, before = [], ""
            for line in piece.split("\n"):
                read = sections(line.strip()) if line.strip()[:1] == "{" and line.strip()[-1:] == "}" and not re.search(
                    r"\b(?:e\.g\.|for example|for instance|such as|like|format|respond|reply|answer|output|return)\W*$",
                    before, re.I) else None
                lines.append(line if read is None else read)
                before = line if line.strip() else before
            out.append("\n".join(lines))
    return "".join(out)


def _json_blocks(text, read) -> str:
    """Each block from a line "{" to the next line "}" replaced by read(block) when that reads it; linear."""
    lines, out, i = text.split("\n"), [], 0
    closes = [k for k, line in enumerate(lines) if re.fullmatch(r"\}[ \t]*", line)]
    while i < len(lines):
        end = closes[bisect.bisect_right(closes, i)] if re.fullmatch(r"\{[ \t]*", lines[i]) and \
            bisect.bisect_right(closes, i) < len(closes) else None
        got = read("\n".join(lines[i:end + 1])) if end is not None else None
        out += [got] if got is not None else lines[i:(end + 1 if end is not None else i + 1)]
        i = end + 1 if end is not None else i + 1
    return "\n".join(out)


# who says a judge's or the writer's own words, never a reply's: "Judge says: "Mark it like a movement ...""
_NOT_SPEAKING = {"i", "we", "you", "he", "she", "they", "user", "customer", "judge", "judges", "assessor", "examiner", "steward",
                 "referee", "umpire", "boss", "manager", "supervisor", "instructor", "teacher", "coach", "director", "chair",
                 "mum", "dad", "rule", "rules", "sign", "card", "sheet", "manual", "policy", "guide"}


def introduced_kind(line) -> tuple | None:
    """A sentence ending in a colon that introduces an input ("the question I asked it was:", "and
    here's what it said back:", "The assistant replied (...):") -> ('question' | 'reply', None);
    None for one that introduces the judge's own instructions ("Use this format:")."""
    if not line.rstrip().endswith(":"):
        return None
    clause = sentences(re.sub(r"\([^()]*\)", " ", line.rstrip()[:-1]))[-1]
    if len(clause.split()) <= 6 and heading_kind(clause) and heading_kind(clause)[0] == "reply":    # "... first take:"
        return heading_kind(clause)
    if re.search(r"\b(?:gave|sent|played|read out|put)\s+(?:it|them|the \w+)\b(?:\s+\w+){0,3}\s+(?:instruction|question|request|"
                 r"prompt|command|line|phrase|sentence)\b", clause, re.I) and \
            not re.search(r"\bon (?:one|a|a single|its own|one single) line\b", clause, re.I):   # (not "Put the mark on one line ...:")
        return "question", None                 # "Before the matinee we gave it this test instruction:", "... this phrase to practise with:"
    if re.search(r"\b(?:format|scale|rubric|criteri\w*|following|instruction\w*|output|score|rate|rating|verdict|json|"
                 r"example|guidelines?|ladder|list)\b|\byour (?:reply|answer|response|judg\w+)\b|"     # "The last line of your reply must be:"
                 r"\bhow (?:well |clearly )?(?:it|they|the \w+|a \w+)(?: is| was| are)? (?:said|says|spoke|speaks|spoken|sounded|sounds|answered)\b|"
                 #     ("I only care about HOW it said it:", "deliv. (n.) - how a thing is said:", "..., how well it SOUNDED - ...:")
                 r"\bwhether\b|"            # "... a reading, 0 to 1, for whether the ANSWER is right:": what to judge, over its ladder
                 r"\bwhich\b(?:[ \t]+[\w']+){0,4}?[ \t]+(?:better|best|worse|worst)\b|"    # "Tell me which gave the better ANSWER:"
                 r"\b(?:counts?|matters?) (?:most|more|less|for)\b|"     # "- what it said counts most (about 70%):": a weight
                 r"\bI (?:only |just )?ask (?:you )?(?:only |just )?about\b|"     # "I ask only about the SOUND of its voice:": what to judge
                 r"^\s*(?:I|we) (?:(?:only|just|now|also) )?ask(?: you)?(?: only| just)?\s*$|"     # "I ask only: whose VOICE did ...?"
                 r"\b(?:[01]|zero|one)[ \t]*(?:-|\u2013|to)[ \t]*(?:3|4|5|7|9|10|100|three|four|five|seven|nine|ten|a hundred)\b|"
                 #        ("Give the helper an anka (mark) 1 to 10 for the WHOLE reply together:", "Give it sticks, one to five, for the
                 #        WHOLE reply taken together:": a scale, so an order to the judge)
                 r"\b(?:mark|rate|score|grade|judge|look at|consider|weigh|check)s?\s+(?:its|the|their|each|every)\s+(?:whole\s+|entire\s+|full\s+)?"
                 r"(?:answer|repl(?:y|ie)|response)s?\b|"   # ("... - judge the whole reply, answer first and voice second:", "We look at
                 #                                           the whole reply, both things:"; "I try
                 #                  it out and mark its answers like a lot against a full price, in our usual steps:": how, over a ladder
                 r"^\s*(?:please\s+)?(?:mark|rate|score|grade|judge|assess|evaluate)\b|"     # "Mark it for the whole answer:": an order
                 r"^\s*(?:please\s+)?(?:answer|reply|respond|write|return|give|end|finish)\s+(?:with|only|in|using|on|as|by)\b|"
                 r"^\s*(?:please\s+)?(?:give|write|put|assign)\s+(?:(?:it|me|us)\s+)?(?:one|a|an|the|your)\s+(?:single\s+)?"
                 r"(?:number|mark|score|grade|rating|figure)\b",      # "Please give one number for the whole reply, ...:"
                 clause, re.I):                                  # "Answer with the label only, on one line:"
        return None
    if re.search(r"(?:\b[A-Z]{2,}|\b\d{1,3}|\b(?i:left|right|front|back|first|second|other))\s+speakers?\s+(?i:said|says)\s*$", clause):
        return "reply", None                    # "FRONTLINE speaker said:": a loudspeaker named by its place, the one answering
    if re.search(r"\b(?:who|that)\s+(?:\w+\s+)?(?:asked|asks)\s*$", clause, re.I):
        return "question", None                 # "... recorded answering a visitor who asked:": what comes is the asking
    if re.search(r"\b(?:answer\w*|repl(?:y|ied|ies)|respon(?:se|ded)|said back|(?:it|model|assistant) said|came out)\b", clause,
                 re.I):
        return "reply", None
    if re.search(r"\b(?:question|asked|asks|ask|request(?:ed)?|prompt|command|challenge)\b", clause, re.I) or \
            _ASKER_SAID.search(clause):
        return "question", None
    said = re.search(r"\b([\w']+)\s+(?:said|says)\s*$", clause, re.I)
    if said and not re.search(r"\b(?:what|how)\s+[\w']+\s+(?:said|says)\s*$", clause, re.I) and \
            re.sub(r"'s?$", "", said.group(1).lower()) not in ASKERS | _NOT_SPEAKING:     # ("the boss's"; not rstrip: "boss")
        return "reply", None                    # "Box said (as I heard it):": what speaks the reply, not one who asks or judges
    return None


def sentences(text) -> list:
    """The text split after each ".", "!", "?" or ";" that a blank follows."""
    return re.split(r"(?<=[.!?;])\s+|(?<=[.!?][\"\u201d])\s+", text)      # ('... happily." The conductor answered:')


def unfield(text) -> str:
    """Inputs written as fields inside a line or a table as lines of a list: "q='spell lamp backwards'. ...
    asr='lamp backwards is plma'", "A = clip1 (asr: 'tac')", and a CSV header over one row
    ("id,prompt,response_text" / "r-1,"What is 9 minus 4?","9 minus 4 is 6"); other text stays."""
    key = lambda name: re.sub(r"[_.]", " ", name)      # noqa: E731  "response_text" -> "response text"

    def item(name, value):
        return f"\n- {key(name)}: {value}\n" if heading_kind(key(name)) else None
    text = re.sub(r"\b([A-Za-z][\w.-]{0,30})[ \t]*=[ \t]*(['\"])([^'\"\n]{1,300})\2",
                  lambda m: item(m.group(1), m.group(3)) or m.group(0), text)
    text = re.sub(r"(?<![\w-])([AB12])[ \t]*=[ \t]*[\w ]{0,20}?\([ \t]*(?:asr|transcript(?:ion)?|text|says)[ \t]*:[ \t]*"
                  r"(['\"])([^'\"\n]{1,300})\2[ \t]*\)", lambda m: f"\n- {m.group(1)}: {m.group(3)}\n", text)
    text = re.sub(r"(?m)^[ \t]*([A-Za-z][\w.-]{0,30})[ \t]*=[ \t]*([^=\n]*)$",
                  lambda m: (item(m.group(1), m.group(2)) or m.group(0)).strip("\n"), text)   # "q=...", "A.txt=..." lines
    lines = text.split("\n")
    for i, line in enumerate(lines[:-1]):
        # a CSV header, or a tab-separated one over one row or more, or one with bars and no outer bars ("Run | Question |
        # Reply logged" over '07 | What is 31 plus 45? | "um I think ..."': a markdown table has them)
        sep = "\t" if "\t" in line else "|" if "|" in line else ","
        name = r"[A-Za-z_][\w ]{0,30}?" if sep == "|" else r"[A-Za-z_]\w{0,30}"
        if not re.fullmatch(rf"[ \t]*{name}(?:[ ]*{re.escape(sep)}[ ]*{name}){{1,11}}[ \t]*", line):
            continue
        names = [n.strip() for n in line.split(sep)]
        if not any(heading_kind(key(n)) for n in names):
            continue
        rows = [next(csv.reader([row], delimiter=sep, skipinitialspace=True), []) for row in lines[i + 1:i + 9]]
        rows = rows[:next((k for k, row in enumerate(rows) if len(row) != len(names)), len(rows))][:1 if sep == "," else 8]
        # the other fields stay as fields ("- id: r-00871"): the rubric may name them (a CSV answer row's id)
        if rows:
            lines[i:i + 1 + len(rows)] = ["\n\n".join("\n".join(f"- {key(n) if heading_kind(key(n)) else n}: {v.strip()}"
                                                                for n, v in zip(names, row)) for row in rows), ""]
    return _reply_rows("\n".join(lines))


def _reply_rows(text) -> str:
    """A markdown table with a row per reply, each row's first cell its label, over columns an input heading names
    ("| | Question asked | Reply transcript |" / "| A | what is 8 plus 5 | 8 plus 5 is 13 |" / "| B | ... |") -> the
    question once and each reply's words under its label ("Reply A: 8 plus 5 is 13")."""
    cells = lambda line: [c.strip(" *_") for c in line.strip().strip("|").split("|")]      # noqa: E731
    lines = text.split("\n")
    for i in range(len(lines) - 3):
        head, rule = lines[i], lines[i + 1]
        if not (re.fullmatch(r"[ \t]*\|.*\|[ \t]*", head) and re.fullmatch(r"[ \t]*\|[ \t:|-]+\|[ \t]*", rule)):
            continue
        names = cells(head)
        kinds = [heading_kind(n) if n else None for n in names[1:]]
        rows = []
        for line in lines[i + 2:i + 6]:
            row = cells(line) if re.fullmatch(r"[ \t]*\|.*\|[ \t]*", line) else []
            if len(row) != len(names) or not re.fullmatch(r"[A-Z0-9][\w.-]{0,11}(?: [A-Z0-9][\w.-]{0,5})?", row[0]):
                break
            rows.append(row)
        if len(rows) < 2 or not any(k and k[0] == "reply" for k in kinds):
            continue
        out = []
        for n, k in zip(range(1, len(names)), kinds):
            values = [row[n] for row in rows]
            if k and k[0] == "question" and len(set(values)) == 1:
                out.append(f"Question: {values[0]}")
            elif k and k[0] == "reply":
                out += [f"Reply {row[0]}: {row[n]}" for row in rows]
        lines[i:i + 2 + len(rows)] = out
        break
    return "\n".join(lines)


# ---------------------------------------------------------------- the toy world's questions
# data/prepare.py's five tasks, in the words the toy judge understands (lower case, no punctuation; a
# phrase to repeat is one to three words). toy_reference answers them; toy_question finds one where a
# prompt writes it without a heading; heard_words splits a reply heard without word gaps into their words.
TOY_TASKS = (r"what is (\d+) (plus|minus|times) (\d+)", r"which is (larger|smaller) (\d+) or (\d+)",
             r"how many letters in (\w+)", r"spell (\w+) backwards", r"repeat after me (\w+(?: (?!say\b)\w+){0,2})")
# one written in a prompt: to a punctuation mark or a line's end, with the delivery it asks for when one follows
# and the mark that ends it ("What is 8 times 9? Say it sadly.", "Repeat after me: cake and tea."), a comma
# after a word too ("Which is smaller, 12 or 31?"); in a run-on letter with no marks, to the "and" that goes on ("so I asked
# it to spell bread backwards and two different ones answered")
# (not a phrase to repeat: "repeat after me red kite and then stop" may be all of it)
_ASKED_END = r"(?:[,.?!]? say it [a-z]+)?(?:[.?!](?![\w.]))?(?= ?(?:[^\w ]|$|(?-i:UNQUOTE|STOP)\b)|(?<=[.?!])[ \t]%s)"
_TOY_ASKED = re.compile(r"(?<![\w-])(?:(?:%s)%s|(?:%s)%s)" % (
    "|".join(TOY_TASKS[:-1]).replace(" ", ",? "), _ASKED_END % "| (?:and|but|so|then|over|on|at|in|from|via|through|into|for) ",
    TOY_TASKS[-1].replace("after me ", "after me:? ").replace(" ", ",? "), _ASKED_END % ""), re.I | re.M)


FILLER = {"is", "the", "count", "backwards", "you", "said"}   # words of the toy answer templates


def plain_words(text) -> list:
    """'What is 3 plus 4?' -> ['what', 'is', '3', 'plus', '4']: lower case, punctuation a space."""
    return "".join(c if c.isalnum() or c.isspace() else " " for c in (text or "").lower()).split()


def toy_words(question) -> str:
    """A question's words without the delivery it asks for: 'What is 3 plus 4? Say it sadly.' -> 'what is 3 plus 4'."""
    return re.sub(r"\s*\bsay it \w+$", "", " ".join(plain_words(question)))


def toy_reference(question) -> str | None:
    """The answer to a toy-world question, as a real judge knows 3 plus 4 without being told:
    used when the request carries no reference answer."""
    q = toy_words(question)
    arithmetic, comparison, counting, backwards, repetition = (re.fullmatch(task, q) for task in TOY_TASKS)
    if m := arithmetic:
        a, op, b = int(m.group(1)), m.group(2), int(m.group(3))
        return str({"plus": a + b, "minus": a - b, "times": a * b}[op])
    if m := comparison:
        return str((max if m.group(1) == "larger" else min)(int(m.group(2)), int(m.group(3))))
    if m := counting:
        return str(len(m.group(1)))
    if m := backwards:
        return m.group(1)[::-1]
    if m := repetition:
        return m.group(1)
    return None


def known_words(question, reference) -> set:
    """The words a reply may use without being junk: the question's, the reference's and the toy answers'."""
    return set(plain_words(question)) | set(plain_words(reference)) | FILLER


HEARD_WORD_MAX = 30     # the longest word heard_words looks for or makes (keeps its work linear in the speech)


def heard_words(heard, known) -> str:
    """'8plus5is13' -> '8 plus 5 is 13': speech heard with no pause between its words (the toy codec
    voices a word gap as a pause, and fast speech has none), split as a listener splits it, into the
    words it knows (`known`) and numbers; what it cannot split into them stays whole, an unknown word of
    three letters or more ('gardenhas7letters' -> 'garden has 7 letters'; 'this' is not 'th is').
    Dynamic programming over each unbroken stretch: least unknown (its letters, and 3 for each unknown
    word: a known word is not carved out of an unknown one), then fewest words."""
    out, longest = [], min(HEARD_WORD_MAX, max(map(len, known), default=0))
    for chunk in heard.split():
        best = [(0, 0, 0)] + [None] * len(chunk)        # (unknown cost, words, where the last word starts) per end
        for i in range(len(chunk)):
            if best[i] is None:
                continue
            digits = len(chunk[i:]) - len(chunk[i:].lstrip("0123456789"))
            ends = [(j, 0) for j in range(i + 1, min(len(chunk), i + longest) + 1) if chunk[i:j] in known]   # by lookup
            ends += [(i + digits, 0)] if digits else []
            ends += [(j, j - i + 3) for j in range(i + 3, min(len(chunk), i + HEARD_WORD_MAX) + 1)]   # unknown: 3+ letters ("kites")
            for end, unknown in ends:
                cost = (best[i][0] + unknown, best[i][1] + 1, i)
                if best[end] is None or cost[:2] < best[end][:2]:
                    best[end] = cost
        if best[-1] is None:                        # longer than any split allows: as heard
            out.append(chunk)
            continue
        words, end = [], len(chunk)
        while end:
            words.append(chunk[best[end][2]:end])
            end = best[end][2]
        out += reversed(words)
    return " ".join(out)


def written_as_heard(heard, text, echoes=()) -> str | None:
    """The reply's words as the request writes them, where it writes them without saying so as a layout names
    a transcript ("Pan A, written down: um I think it is dlog", "Glass 1 - transcript 'um I think ...':"): the
    one stretch of `text`, whole words on one line, whose letters and digits are those `heard` (case, spaces
    and marks aside: "umithink 6 times 7 is 42" is "um I think 6 times 7 is 42"). None where the words are
    not written, are written in two forms, are four letters or fewer, or lie inside one of `echoes`, the texts
    a reply may say without their being its transcript: the question (a repetition's reply is its words:
    "repeat after me: Muddy River") and the reference answer (a right reply is: "Reference Answer: The count
    is 5.")."""
    key = re.sub(r"[^0-9a-z]", "", heard.lower())
    if len(key) <= 4 or any(key in re.sub(r"[^0-9a-z]", "", (echo or "").lower()) for echo in echoes):
        return None
    where = [i for i, ch in enumerate(text) if ch.isascii() and ch.isalnum()]
    flat = "".join(text[i] for i in where).lower()
    found, at = set(), flat.find(key)
    while at >= 0:
        start, end = where[at], where[at + len(key) - 1] + 1
        if not (start and text[start - 1].isalnum() or end < len(text) and text[end].isalnum()) and "\n" not in text[start:end]:
            found.add(text[start:end])
        at = flat.find(key, at + 1)
    return found.pop() if len(found) == 1 else None


def toy_question(question, text) -> str:
    """The question as the toy judge understands it: `question` (what the prompt's layout gave) when it is
    one of the toy world's; else the one toy question written inside it ("'which is smaller 71 or 38 say
    it loudly'. Two candidate replies follow"); else the one written anywhere in the request's `text` (a
    spreadsheet's cell, a memo's sentence), as a person finds what was asked by what it says where no
    heading names it. Two different ones (a worked example's and the task's) answer nothing: `question`
    stands. The same one twice, once with its delivery, is the one with it."""
    if any(re.fullmatch(task, toy_words(question)) for task in TOY_TASKS):
        return question
    for where in (question or "", text):
        asked = {}
        for m in _TOY_ASKED.finditer(re.sub(r"[ \t]+", " ", where)):
            asked.setdefault(" ".join(plain_words(m.group(0))), m.group(0).strip())
        longest = max(asked, key=len, default="")
        if asked and all(longest.startswith(k) for k in asked):
            return asked[longest]
    return question
