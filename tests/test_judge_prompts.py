"""judge.py reads judge prompts written by others, as an LLM judge would.

The corpus in tests/data/judge_prompts/ holds prompts shaped like the official release's
three rubrics, the paper's Appendix F prompts (Figures 13-16), plain one-line rubrics and
two pairwise referees, written in our own words; manifest.json says how each is sent and
which axis and answer format a reader expects.
"""
import base64
import json
import os
import re

import numpy as np
import pytest
import requests

import codec
import analyses
import judge
import judge_axis
import judge_choices
import judge_forms
import judge_inputs
import judge_levels
import judge_lines
import judge_request
import judge_rubric
import judge_scale
import judge_sections
import reward

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "judge_prompts")
with open(os.path.join(DATA, "manifest.json")) as f:
    CORPUS = json.load(f)["prompts"]
SCORED = [e for e in CORPUS if "{a}" not in e["user"]]
PAIRED = [e for e in CORPUS if "{a}" in e["user"]]

QUESTION, ANSWER = "what is 3 plus 4 say it loudly", "7"      # the toy world's right answer, worked by hand
RIGHT, WRONG = "3 plus 4 is 7", "3 plus 4 is 2"


def spoken(text, style=None):
    wave, rate = codec.decode(codec.speak(text, style))
    return text, wave, rate


def audio_part(wave, rate):
    import reward
    return {"type": "input_audio", "input_audio": {"data": reward.wav_base64(wave, rate), "format": "wav"}}


def request(entry, replies):
    """The chat/completions body a client of this prompt would send. replies: name -> (transcript, wave, rate)
    for "reply", or "a" and "b"."""
    with open(os.path.join(DATA, entry["rubric"])) as f:
        rubric = f.read()
    text = entry["user"].format(question=QUESTION, **{k: t for k, (t, _, _) in replies.items()},
                                **({"transcript": replies["reply"][0]} if "reply" in replies else {}))
    audio = {**replies, "question": spoken(QUESTION)}
    content = ([{"type": "text", "text": text}] if text else []) + [audio_part(*audio[n][1:]) for n in entry["audio"]]
    return {"model": "local", "messages": [{"role": "system", "content": rubric}, {"role": "user", "content": content}]}


def ask(url, body):
    resp = requests.post(url, json=body, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["choices"][0]["message"]["content"]


def read_value(expect, content):
    """The value the rubric asked for, read the way its own client would read it."""
    if "json" in expect:
        return str(json.loads(content)[expect["json"]])
    m = re.search(expect["regex"], content)
    assert m, f"answer not in the rubric's format: {content!r}"
    return m.group(1)


def told(entry, reply):
    """(question, reference, transcript) as the judge is told them by this prompt's user text."""
    question = QUESTION if "{question}" in entry["user"] else ""
    transcript = reply[0] if "{transcript}" in entry["user"] else codec.hear(codec.encode(*reply[1:]))
    return question, ANSWER if question else None, transcript


def expected_scores(entry, reply):
    """The noise-free toy judge's score on each axis for this reply as this prompt presents it."""
    question, reference, transcript = told(entry, reply)
    return {axis: judge.ToyJudge().score(axis, question, reference, transcript, *reply[1:])[0]
            for axis in ("semantic", "acoustic", "holistic")}


def on_scale(score, scale):
    """A 1-5 score on the rubric's scale, worked by hand: 1-10 spreads 1..5 evenly, halves up."""
    return {(1, 5): {s: s for s in range(1, 6)}, (1, 10): {1: 1, 2: 3, 3: 6, 4: 8, 5: 10}}[tuple(scale)][score]


@pytest.mark.parametrize("entry", SCORED, ids=[e["rubric"] for e in SCORED])
def test_every_corpus_prompt_gets_a_valid_score_on_the_axis_a_reader_expects(judge_url, entry):
    """Bug: a rubric not in our own words gets a 400 (and the official client's silent 2.5), or
    is scored on the wrong axis (e.g. 'ignoring semantic correctness' counted as asking for
    semantics, or the paper's two-score prompt answered with one), or answered in our format
    rather than the one it asks for (JSON, 'Rating: N', <score-semantic>), or off its 1-10 scale.
    The reply is right but spoken quietly when loudness was asked, so every axis gives a
    different score and the value names the axis it was scored on."""
    reply = spoken(RIGHT, "quietly")
    want = expected_scores(entry, reply)
    assert len(set(want.values())) == 3, f"the test reply must tell the axes apart: {want}"
    content = ask(judge_url, request(entry, {"reply": reply}))
    for expect in entry["expect"]:
        value = read_value(expect, content)
        assert value.isdigit() and entry["scale"][0] <= int(value) <= entry["scale"][1]
        assert int(value) == on_scale(want[expect["axis"]], entry["scale"]), (expect, content)


@pytest.mark.parametrize("entry", [e for e in SCORED if "{question}" in e["user"]],
                         ids=[e["rubric"] for e in SCORED if "{question}" in e["user"]])
def test_content_axes_rank_a_right_answer_above_a_wrong_one(judge_url, entry):
    """Bug: the question or transcript is taken from the wrong heading (or not found), or the
    judge only knows the answer when a reference is sent (no peer prompt sends one), so a
    wrong answer scores as well as the right one on the semantic and holistic axes."""
    for expect in entry["expect"]:
        if expect["axis"] == "acoustic":
            continue
        right, wrong = (int(read_value(expect, ask(judge_url, request(entry, {"reply": spoken(t, "loudly")}))))
                        for t in (RIGHT, WRONG))
        assert right > wrong, (entry["rubric"], expect, right, wrong)


@pytest.mark.parametrize("entry", PAIRED, ids=[e["rubric"] for e in PAIRED])
def test_pairwise_corpus_prompts_pick_the_better_reply_in_either_order(judge_url, entry):
    """Bug: a referee prompt with two labelled replies is scored as one reply or refused, the
    verdict ignores its format ([[A]] / [[C]], JSON "winner") or its labels (1 / 2), or the axis
    is wrong (helpfulness must prefer the right answer, naturalness the requested loudness
    and neither may prefer the other side's quality)."""
    expect = entry["expect"][0]
    if expect["axis"] == "semantic":
        better, worse, same_on_axis = spoken(RIGHT, "loudly"), spoken(WRONG, "loudly"), spoken(RIGHT, "quietly")
    else:
        better, worse, same_on_axis = spoken(RIGHT, "loudly"), spoken(RIGHT, "quietly"), spoken(WRONG, "loudly")
    verdict = [read_value(expect, ask(judge_url, request(entry, {"a": a, "b": b})))
               for a, b in ((better, worse), (worse, better), (better, same_on_axis))]
    assert verdict == [expect["first"], expect["second"], expect["tie"]]


def test_openai_sdk_client_with_a_rubric_of_ones_own(judge_url):
    """Bug: a request built by the `openai` package (its own JSON layout, headers and path
    joining under base_url) is refused or misread; a rubric in one's own words must score the
    right answer above the wrong one."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=judge_url.rsplit("/chat/completions", 1)[0], api_key="unused", max_retries=0)
    scores = []
    for text in (RIGHT, WRONG):
        _, wave, rate = spoken(text, "loudly")
        out = client.chat.completions.create(model="local-judge", messages=[
            {"role": "system", "content": "You check spoken answers for correctness. End with <score>1-5</score>."},
            {"role": "user", "content": [{"type": "text", "text": f"Prompt: {QUESTION}\nSpoken answer: {text}"},
                                         audio_part(wave, rate)]}])
        scores.append(int(re.search(r"<score>(\d)</score>", out.choices[0].message.content).group(1)))
    assert scores[0] > scores[1] and scores[0] == 5


def test_rubric_inside_the_user_message_and_audio_as_a_data_url(judge_url):
    """Bug: the rubric is only looked for in a system message, so a single user message with
    the rubric above its headings is scored on the wrong axis; or an audio_url data part
    (vLLM-style) is not heard."""
    _, wave, rate = spoken(RIGHT, "quietly")
    import reward
    url = "data:audio/wav;base64," + reward.wav_base64(wave, rate)
    body = {"model": "m", "messages": [{"role": "user", "content": [
        {"type": "text", "text": f"Judge only the delivery of the voice, not the facts. Score: N\n\n"
                                 f"Question: {QUESTION}\nAnswer: {RIGHT}"},
        {"type": "audio_url", "audio_url": {"url": url}}]}]}
    content = ask(judge_url, body)
    want = judge.ToyJudge().score("acoustic", QUESTION, ANSWER, RIGHT, wave, rate)[0]
    assert re.search(r"(?m)^Score: (\d)$", content).group(1) == str(want) == "3"


@pytest.mark.parametrize("text,axis", [
    ("Judge only the content and ignore the voice.", "semantic"),
    ("Rate the delivery; whether it is correct does not matter.", "acoustic"),
    ("Rate the prosody without judging semantic correctness.", "acoustic"),
    ("Weigh content and delivery.", "holistic"),
    ("Grade it.", "holistic"),
    ("Rate the overall naturalness of the voice.", "acoustic"),
    ("**Holistic evaluation**\nConsider accuracy first.", "holistic"),
    ("Scoring axis: acoustic. Mention the content in your justification.", "acoustic"),
])
def test_rubric_axis_reads_what_is_asked_not_what_is_excluded(text, axis):
    """Bug: a word the rubric tells the judge to leave out counts as asked for (a semantic
    rubric that says 'ignore the voice' read as holistic), or our own unambiguous
    'Scoring axis:' line loses to words elsewhere in the rubric."""
    assert judge_axis.rubric_axis(text) == axis


def test_unscorable_requests_keep_a_clear_400(judge_url):
    """Bug: reading free-form prompts makes the judge score what cannot be scored (no audio,
    audio that is not a WAV, no messages, a remote audio URL it must not fetch) instead of a
    400 naming the problem."""
    _, wave, rate = spoken(RIGHT)
    good = [{"type": "text", "text": f"Question:\n{QUESTION}\n\nAnswer:\n{RIGHT}"}, audio_part(wave, rate)]
    bad_wav = {"type": "input_audio", "input_audio": {"data": base64.b64encode(b"no RIFF here").decode(), "format": "wav"}}
    cases = [({"model": "m", "messages": []}, "messages"),
             ({"model": "m", "messages": [{"role": "user", "content": good[:1]}]}, "input_audio"),
             ({"model": "m", "messages": [{"role": "user", "content": [good[0], bad_wav]}]}, "WAV"),
             ({"model": "m", "messages": [{"role": "user", "content": [
                 good[0], {"type": "audio_url", "audio_url": {"url": "https://example.com/a.wav"}}]}]}, "data:"),
             ({"model": "m", "seed": 1.5, "messages": [{"role": "user", "content": good}]}, "'seed' must be an integer")]
    for body, message in cases:
        resp = requests.post(judge_url, json=body, timeout=30)
        assert resp.status_code == 400 and message in resp.json()["error"]["message"], (body, resp.text)
    assert requests.post(judge_url, json={"model": "m", "messages": [{"role": "user", "content": good}]},
                         timeout=30).status_code == 200


def test_audio_at_a_rate_the_codec_cannot_hear_is_a_400_not_a_500(judge_url):
    """catches: the codec's ValueError for a sample rate below its 12 kHz floor answered as a 500 (a server fault,
    which reward.JudgeClient retries four times with backoff) instead of a 400 naming the rate."""
    import reward
    wave, rate = codec.decode(codec.speak(RIGHT))
    low = reward.wav_base64(codec.resample(wave, rate, 8000), 8000)
    body = reward.build_request("m", "acoustic", QUESTION, RIGHT, low, ANSWER)
    resp = requests.post(judge_url, json=body, timeout=30)
    assert resp.status_code == 400 and "sample rate 8000" in resp.json()["error"]["message"], resp.text


def test_a_noisy_pairwise_judge_draws_per_seed_and_repeats_a_seed():
    """The LLM judge compares two equally good replies: which one it prefers is a draw of its
    noise, so it moves with the request's seed and repeats for the same seed (train.py's DPO
    pairs and the side-by-side send one seed per comparison). Bug caught: the compare path not
    passing the seed on, so every seed gets the one verdict the content fixes."""
    toy = judge.ToyJudge(noise="llm")
    body = request(PAIRED[0], {"a": spoken(RIGHT, "loudly"), "b": spoken(RIGHT, "loudly")})
    verdicts = [judge.answer_body(toy, json.dumps(dict(body, seed=s)).encode())[1] for s in range(12)]
    assert len(set(verdicts)) > 1
    assert judge.answer_body(toy, json.dumps(dict(body, seed=3)).encode())[1] == verdicts[3]


def test_a_failed_pairwise_call_is_not_a_tie_vote():
    """Bug (eval.py side-by-side): a failed call (None) counted as a 'tie' vote turns item 0's
    win (one valid vote, two failed calls) into a tie by majority; failures must be left out of
    the majority and counted, and an item with no valid vote must not enter the rates."""
    # 3 raters; item 0 shown in order (mine = A), item 1 flipped (mine = B), item 2 all failed
    picked = ["A", None, None, "A", "A", None, None, None, None]
    out = analyses.sbs_axis(picked, flips=[False, True, False], raters=3)
    assert (out["win"], out["tie"], out["loss"]) == (1, 0, 1)
    assert out["failed_calls"] == 6 and out["judged_items"] == 2 and out["unjudged_items"] == 1
    assert out["win_rate"] == out["loss_rate"] == 0.5 and out["tie_rate"] == 0.0
    assert out["p_value"] == 1.0                                   # Eq. 17 with W = L = 1: 2 min(3/4, 3/4) -> 1
    none = analyses.sbs_axis([None, None], flips=[False], raters=2)
    assert none["win_rate"] is None and none["unjudged_items"] == 1 and none["failed_calls"] == 2


def test_headings_are_lines_that_look_like_headings():
    """Bug: a transcript line that is a bare heading word ('Response') starts a new section and
    cuts the transcript short, or a markdown heading ('## Response') is not recognised."""
    sections, free = judge_request.split_sections("Question:\nwhat\n\nAnswer:\nfirst\nResponse\nmore\n\n## Response\nsecond")
    assert sections == [("question", None, "what"), ("reply", None, "first\nResponse\nmore"), ("reply", None, "second")]
    assert free == ""


def test_a_long_rubric_without_punctuation_is_read_in_linear_time():
    """Bug: a clause regex that backtracks over the whole text (quadratic) lets one long
    rubric hold a server thread for minutes (20,000 characters took 40 s), or blanking each
    cue's clause by a scan to the end of the text (a rubric of cues without a full stop).
    Measured as scaling, not as a wall-time bound (a loaded machine must not fail it): ten times the text may take
    at most forty times as long (linear: about 10x; the quadratic bug: about 100x)."""
    import time

    def best_seconds(*texts, rounds=5):
        """The fastest of `rounds` reads of each text, the texts taken in turn in every round, so a
        loaded machine slows both sizes alike rather than whichever was measured during a busy spell."""
        best = [float("inf")] * len(texts)
        for _ in range(rounds):
            for i, text in enumerate(texts):
                t0 = time.perf_counter()
                judge_axis.rubric_axis(text)
                best[i] = min(best[i], time.perf_counter() - t0)
        return best

    n = judge_request.MAX_RUBRIC
    for unit in ("word ", "ignore it does not matter "):          # no stop at all; a cue in every clause
        small, large = best_seconds(unit * (n // 10 // len(unit)), unit * (n // len(unit)))
        assert large < 40 * max(small, 1e-4), (unit, small, large)


def user_body(text, *parts, system=None, role="system"):
    """A chat/completions body: an optional rubric message, then one user message of `text` and `parts`."""
    head = [{"role": role, "content": system}] if system is not None else []
    content = ([{"type": "text", "text": text}] if text else []) + list(parts)
    return {"model": "m", "messages": head + [{"role": "user", "content": content}]}


def test_an_input_audio_part_without_a_format_is_read_as_wav():
    """catches: an input_audio part that leaves out "format" refused with a 400 (WAV is the only format, so the
    default), instead of being heard."""
    _, wave, rate = spoken(RIGHT)
    part = audio_part(wave, rate)
    del part["input_audio"]["format"]
    req = judge_request.parse_judge_request(user_body(f"Question:\n{QUESTION}\n\nAnswer:\n{RIGHT}", part))
    (transcript, heard, heard_rate), = req["replies"]
    assert transcript == RIGHT and heard_rate == rate and len(heard) == len(wave)


def test_a_stereo_reply_is_heard_as_the_mean_of_its_channels():
    """catches: a stereo WAV read as its left channel only (a reply whose voice is on the right is heard as
    silence). Left 0.2, right 0.4 everywhere: the judge hears 0.3."""
    import io
    import soundfile as sf
    buf = io.BytesIO()
    sf.write(buf, np.tile([0.2, 0.4], (800, 1)), 16000, format="WAV", subtype="PCM_16")
    part = {"type": "input_audio", "input_audio": {"data": base64.b64encode(buf.getvalue()).decode(), "format": "wav"}}
    (_, wave, rate), = judge_request.parse_judge_request(user_body(f"Answer:\n{RIGHT}", part))["replies"]
    assert rate == 16000 and wave.shape == (800,) and np.allclose(wave, 0.3, atol=1e-4)


def test_audio_url_parts_in_the_forms_clients_send():
    """catches: an audio/x-wav data URL (the MIME type some libraries write for WAV) refused, or an audio_url
    given as the bare URL string rather than {"url": ...} answered with a 500."""
    _, wave, rate = spoken(RIGHT)
    b64 = audio_part(wave, rate)["input_audio"]["data"]
    for part in ({"type": "audio_url", "audio_url": {"url": "data:audio/x-wav;base64," + b64}},
                 {"type": "audio_url", "audio_url": "data:audio/wav;base64," + b64}):
        (transcript, heard, _), = judge_request.parse_judge_request(user_body(f"Answer:\n{RIGHT}", part))["replies"]
        assert transcript == RIGHT and len(heard) == len(wave), part


def test_a_developer_message_is_the_rubric_as_a_system_message_is():
    """catches: the rubric read only from a "system" message, so one sent as "developer" (newer chat APIs'
    name for it) is dropped and a voice-only rubric is scored on the holistic axis."""
    _, wave, rate = spoken(RIGHT)
    for role in ("system", "developer"):
        req = judge_request.parse_judge_request(user_body(f"Question:\n{QUESTION}\n\nAnswer:\n{RIGHT}",
                                                          audio_part(wave, rate), role=role,
                                                          system="Rate only how natural the voice sounds."))
        assert req["axis"] == "acoustic", role


def test_audio_outside_the_user_message_is_not_the_reply():
    """catches: audio parts taken from any role, so a request whose only audio is an assistant turn (a
    few-shot example) is scored instead of refused as having no reply audio."""
    _, wave, rate = spoken(RIGHT)
    body = user_body(f"Question:\n{QUESTION}\n\nAnswer:\n{RIGHT}", system="Rate the answer.")
    body["messages"].insert(1, {"role": "assistant", "content": [audio_part(wave, rate)]})
    with pytest.raises(judge_request.BadRequest, match="no input_audio part in the user message"):
        judge_request.parse_judge_request(body)


def test_user_text_is_the_rubric_without_a_system_message_and_the_transcript_with_one():
    """catches: (1) with no system message, user text without headings taken as the reply's transcript (so
    the rubric is lost: the holistic axis, our tag format) instead of as the rubric; (2) with a system
    rubric, a bare transcript also read as rubric (a reply about "correct content" turns a voice rubric
    holistic)."""
    _, wave, rate = spoken(RIGHT, "quietly")
    req = judge_request.parse_judge_request(user_body("Judge only the delivery of the voice. Score: N",
                                                      audio_part(wave, rate)))
    assert req["axis"] == "acoustic" and req["format"]["style"] == "line"
    assert req["replies"][0][0] == codec.hear(codec.encode(wave, rate))           # no transcript: what is heard
    said = "the content of my answer is correct"
    req = judge_request.parse_judge_request(user_body(said, audio_part(wave, rate),
                                                      system="You are a judge.\nRate how natural the voice sounds."))
    assert req["axis"] == "acoustic" and req["replies"][0][0] == said


def test_a_comparison_after_a_spoken_question_compares_the_last_two_audios():
    """catches: a comparison that takes the first two audio parts, so a spoken question sent first (as the
    paper's prompts send it) is judged as reply A and reply B is never heard."""
    a, b = spoken(RIGHT, "loudly"), spoken(WRONG, "quietly")
    entry = dict(PAIRED[0], audio=["question", "a", "b"])
    req = judge_request.parse_judge_request(request(entry, {"a": a, "b": b}))
    assert req["mode"] == "compare" and [r[0] for r in req["replies"]] == [RIGHT, WRONG]
    assert [len(r[1]) for r in req["replies"]] == [len(a[1]), len(b[1])]


def test_our_empty_transcript_placeholder_is_an_empty_transcript():
    """catches: reward.py's '[empty]' (sent for a reply that said nothing) judged as the text '[empty]'
    rather than as an empty transcript, in a score and in a comparison."""
    import reward
    _, wave, rate = spoken("")
    body = reward.build_request("m", "semantic", QUESTION, "", reward.wav_base64(wave, rate), ANSWER)
    assert judge_request.parse_judge_request(body)["replies"][0][0] == ""
    pair = reward.build_pair_request("m", "helpfulness", QUESTION, ("", wave, rate), (RIGHT, wave, rate))
    assert [r[0] for r in judge_request.parse_judge_request(pair)["replies"]] == ["", RIGHT]


def test_our_reference_answer_reaches_the_judge():
    """catches: the "Reference answer:" heading reward.py writes not read as the reference (the judge then
    falls back on its own answer). 8 is deliberately not the toy world's 3 plus 4."""
    import reward
    _, wave, rate = spoken(RIGHT)
    req = judge_request.parse_judge_request(reward.build_request("m", "semantic", QUESTION, RIGHT,
                                                                 reward.wav_base64(wave, rate), "8"))
    assert (req["question"], req["reference"], req["replies"][0][0]) == (QUESTION, "8", RIGHT)


def test_a_rescaled_score_rounds_halves_up():
    """catches: Python's round() (halves to even) in rescale: on a 0-10 scale Likert 2 is 2.5 and 4 is 7.5,
    which the judge writes as 3 and 8 (on_scale's rule), not 2 and 8."""
    assert [judge_scale.rescale(s, (0, 10)) for s in range(1, 6)] == [0, 3, 5, 8, 10]
    assert [judge_scale.rescale(s, (1, 10)) for s in range(1, 6)] == [on_scale(s, (1, 10)) for s in range(1, 6)]


def test_a_rubric_that_asks_for_json_without_quoting_a_key_gets_json():
    """catches: a rubric that asks for JSON but quotes no key answered in our tags (its client's json.loads fails)."""
    assert judge_rubric.answer_format("Rate the reply from 1 to 5 and answer in JSON.") == {
        "scale": (1, 5), "tie": "tie", "style": "json", "slots": [("score", None)]}
    content = judge.ToyJudge().answer({"mode": "score", "axis": "semantic", "question": QUESTION, "reference": ANSWER,
                                       "replies": [spoken(RIGHT)], "seed": None,
                                       "format": judge_rubric.answer_format("Rate it 1-5. Answer in JSON.")})
    assert json.loads(content)["score"] == 5


def test_a_transcript_keeps_its_own_colon_lines_and_bold_headings_are_headings():
    """catches: (1) a line like "step one: 3 plus 4" inside a transcript read as a new heading, cutting the
    transcript short; (2) a bare bold heading line ("**Answer**") not read as a heading."""
    sections, _ = judge_request.split_sections("Question:\nwhat\n\nAnswer:\nstep one: 3 plus 4\nis 7")
    assert sections == [("question", None, "what"), ("reply", None, "step one: 3 plus 4\nis 7")]
    sections, _ = judge_request.split_sections("**Question**\nwhat\n\n**Answer**\nseven")
    assert sections == [("question", None, "what"), ("reply", None, "seven")]


def test_a_content_part_that_is_not_an_object_is_a_400():
    """catches: a content list item that is a bare string skipped silently (its text lost) instead of refused."""
    _, wave, rate = spoken(RIGHT)
    with pytest.raises(judge_request.BadRequest, match="must be objects"):
        judge_request.parse_judge_request(user_body("", f"Answer:\n{RIGHT}", audio_part(wave, rate)))


def test_a_scoring_rubric_that_mentions_two_things_after_a_spoken_question_is_still_a_score():
    """catches: a rubric with our "Scoring axis:" line read as a comparison because it says "which of the two"
    and the request carries two audios (the spoken question, then the reply)."""
    import reward
    question, reply = spoken(QUESTION), spoken(RIGHT, "quietly")
    rubric = reward.RUBRICS["acoustic"] + "\nIf the question asks which of the two numbers is larger, say one."
    req = judge_request.parse_judge_request(user_body(f"Question:\n{QUESTION}\n\nTranscript of the reply:\n{RIGHT}",
                                                      audio_part(*question[1:]), audio_part(*reply[1:]), system=rubric))
    assert (req["mode"], req["axis"]) == ("score", "acoustic") and len(req["replies"]) == 1
    assert len(req["replies"][0][1]) == len(reply[1])                  # the reply's audio, not the question's


def test_in_a_two_turn_dialogue_the_last_answer_is_the_reply_to_the_last_question():
    """catches: the transcript taken from the first answer section of several, while the audio judged is the
    last part: a dialogue's earlier answer judged in place of the reply that was sent; or the reply judged
    against the dialogue's first question ("hello": no answer to check) instead of the turn it answers,
    also where a conversation section precedes the question."""
    _, wave, rate = spoken(RIGHT)
    text = f"Question:\nhello\n\nAnswer:\nhi there\n\nQuestion:\n{QUESTION}\n\nAnswer:\n{RIGHT}"
    req = judge_request.parse_judge_request(user_body(text, audio_part(wave, rate)))
    assert req["replies"][0][0] == RIGHT and req["question"] == QUESTION
    text = f"Conversation:\nhello, then hi there\n\nQuestion:\n{QUESTION}\n\nAnswer:\n{RIGHT}"
    assert judge_request.parse_judge_request(user_body(text, audio_part(wave, rate)))["question"] == QUESTION


def test_two_labelled_replies_make_a_comparison_whatever_the_rubric_says():
    """catches: a comparison recognised only by the rubric's words ("which of the two", [[A]]), so a plain
    rubric over "Response A" and "Response B" is scored as one reply (B's) instead of compared."""
    a, b = spoken(RIGHT, "loudly"), spoken(WRONG, "loudly")
    text = f"Question:\n{QUESTION}\n\nResponse A:\n{RIGHT}\n\nResponse B:\n{WRONG}"
    req = judge_request.parse_judge_request(user_body(text, audio_part(*a[1:]), audio_part(*b[1:]),
                                                      system="Judge the content of the replies."))
    assert (req["mode"], req["axis"], req["labels"]) == ("compare", "helpfulness", ["A", "B"])
    assert [r[0] for r in req["replies"]] == [RIGHT, WRONG]


def test_an_end_marker_ends_its_reply():
    """catches: "[The End of Assistant A's Answer]" not ending the section, so the rubric's closing
    instruction after it is read as part of reply A's transcript (and lost from the rubric)."""
    text = ("[The Start of Assistant A's Answer]\nseven\n[The End of Assistant A's Answer]\n"
            "Give your verdict as [[A]] or [[B]].")
    sections, free = judge_request.split_sections(text)
    assert sections == [("reply", "A", "seven")] and free == "Give your verdict as [[A]] or [[B]]."


with open(os.path.join(DATA, "others.json")) as f:
    OTHERS = json.load(f)["cases"]


def with_speech(node):
    """others.json's body with each '@speak:TEXT|STYLE' audio spoken by the toy codec (judge_lines' fit reads the
    corpora the same way)."""
    return judge_lines.speak_clips(node)


@pytest.mark.parametrize("case", OTHERS, ids=[c["name"] for c in OTHERS])
def test_prompts_in_other_styles_are_read_and_answered_as_a_reader_expects(case):
    """A second corpus of prompts written in styles the first lacks (others.json: MT-Bench's
    [Instruction] block, Prometheus's headings and [RESULT], a G-Eval form slot, a rubric after
    the inputs, "Output (a)", [[1]] / [[2]] / [[tie]], "out of 10", "1 (wrong) to 10 (right)",
    a 7-point scale, per-aspect tags like <content_score>, a label before its audio, "focus
    solely on the voice", "not how it sounds", "a voice assistant"). Each case's `why` names
    the bug it caught on 2026-12-05: the wrong axis, scale or format, a rubric read as the
    transcript or the question, a reply judged as empty."""
    import codec
    want = case["expect"]
    req = judge_request.parse_judge_request(with_speech({"messages": case["messages"]}))
    assert req["mode"] == want["mode"]
    if "axis" in want:
        assert req["axis"] == want["axis"]
    if want["mode"] == "score" and "scale" in want:      # (a verdict in words has none)
        assert list(req["format"]["scale"]) == want["scale"]
    if "question" in want:
        assert req["question"] == want["question"]
    if "slots" in want:
        assert dict(req["format"]["slots"]) == want["slots"]
    if "transcripts" in want:
        # "<heard>": the clip's words as the codec hears them (fast speech has no gaps; the judge splits it into words)
        heard = [codec.hear(codec.encode(wave, rate)) for _, wave, rate in req["replies"]]
        got = [t.replace(" ", "") if w == "<heard>" else t for (t, _, _), w in zip(req["replies"], want["transcripts"])]
        assert got == [h.replace(" ", "") if w == "<heard>" else w for w, h in zip(want["transcripts"], heard)]
    content = judge.ToyJudge().answer(req)
    for how, value in want["answers"]:
        got = str(json.loads(content)[how[5:]]) if how.startswith("json:") else re.search(how, content)
        assert got is not None, f"answer not in the rubric's format: {content!r}"
        assert (got if isinstance(got, str) else got.group(1)) == value, content


@pytest.mark.parametrize("text,axis", [
    ("You are grading a voice assistant's answer. Judge only how correct it is.", "semantic"),
    ("Rate whether the answer is correct, not how it sounds.", "semantic"),
    ("The answer has content and a voice. Concentrate solely on the voice.", "acoustic"),
    ("Judge not only the content but also the voice.", "holistic"),
    # the order names correctness, the voice only as the medium (holistic until the asking sentence decided: 2026-12-06)
    ("Rate the correctness. The voice is just the medium.", "semantic"),
    ("Rate the correctness and the delivery; the delivery is just as important.", "holistic"),    # "just" narrows nothing
    ("You are an honest and helpful judge.\nRate only the naturalness of the voice.", "acoustic"),   # a persona, no title
    ("Is it spoken as loudly as the user asked?", "acoustic"),
    ("Does it give the right result?", "semantic"),
])
def test_rubric_axis_sees_past_the_subject_and_follows_a_narrowing(text, axis):
    """Bug: "voice" in "a voice assistant" (what is judged, not how) read as a criterion; a clause
    that narrows the judging ("solely on the voice") outvoted by a mention of the other side; a
    "not how it sounds" still counted; "not only ... but also" or "just the medium" read as narrowing."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,scale", [
    ("Score from 1 (completely wrong) to 10 (fully correct).", (1, 10)),
    ("Use a 7-point scale.", (1, 7)),
    ("(0 = silent, 100 = perfect)", (0, 100)),
    ("Give a mark out of 10.", (1, 10)),
    ("Finish with 'Score: X/10'.", (1, 10)),
    ("Rate the prosody on a 1-10 scale.", (1, 10)),
    ("Rate it, 3 plus 4 is 7.", (1, 5)),
])
def test_rubric_scale_reads_the_ways_people_name_a_range(rubric, scale):
    """Bug: only "1-10" next to a scoring word read, so an anchored or "out of" range is answered
    on 1-5 (a perfect reply read as 5 of 10); or numbers that are not a range (the question's
    arithmetic) taken for one."""
    assert judge_scale.rubric_scale(rubric) == scale


@pytest.mark.parametrize("name,kind", [
    ("The instruction to evaluate", ("question", None)), ("Response to evaluate", ("reply", None)),
    ("Response to be rated", ("reply", None)), ("Answer A to be judged", ("reply", "A")),
    ("Reference Answer (Score 5)", ("reference", None)), ("Score Rubrics", None), ("Task", None), ("Feedback", None),
    ("ASR transcript", ("reply", None)), ("Assistant answer (transcribed)", ("reply", None)), ("Q", ("question", None)),
    ("A", None), ("First recording", ("reply", "1")), ("Second answer", ("reply", "2")),
    ("Question recording", ("question", None)),
])
def test_heading_kind_reads_what_an_evaluation_prompt_calls_its_inputs(name, kind):
    """Bug: a heading that says what the judge does with its input ("to evaluate", "to be rated")
    not read as that input, so the rubric, question and reply all land in one transcript; or a
    heading of the rubric's own ("Score Rubrics", "Task") taken for an input; "Q:" / "A:" and
    "First / Second recording" not read, or an ordinal not taken for the reply's label."""
    assert judge_inputs.heading_kind(name) == kind


@pytest.mark.parametrize("transcript", ["# Results\n\nWhich is better? Rate it [[A]] <score>5</score>.", "[empty]", "",
                                        "It rained.\nIn the end: the fox went home.", "Q: hmm\nA: yes\nB: no"])
def test_our_own_request_keeps_a_transcript_whole_whatever_it_says(transcript):
    """reward.py's requests put the whole rubric in the system message, so the reader's rules for
    a rubric after the inputs ("## Task", a closing "Which is better? [[A]]") must not cut what a
    policy said; and "[empty]", our word for a reply with no text, is an empty transcript, not a
    heading. Bug caught: a reply's transcript that opens with a markdown heading, holds a judge-like
    paragraph or "In the end:" / "A:" / "B:" lines scored as something shorter (or as what the audio
    says), or read as two replies and refused; a question of choices ("A: 3 / B: 5") or with an XML
    element cut short."""
    import reward
    _, wave, rate = spoken(RIGHT, "loudly")
    for question in ("Which is larger?\nA: 3\nB: 5", "Translate <answer>hola</answer> to English"):
        req = judge_request.parse_judge_request(reward.build_request("m", "semantic", question, transcript,
                                                                     reward.wav_base64(wave, rate)))
        assert req["mode"] == "score" and req["question"] == question
    for axis in ("semantic", "acoustic"):
        req = judge_request.parse_judge_request(reward.build_request("m", axis, QUESTION, transcript,
                                                                     reward.wav_base64(wave, rate)))
        assert req["axis"] == axis and req["replies"][0][0] == ("" if transcript in ("", "[empty]") else transcript)
    pair = judge_request.parse_judge_request(reward.build_pair_request("m", "helpfulness", QUESTION, (transcript, wave, rate),
                                                                       (RIGHT, wave, rate)))
    assert [t for t, _, _ in pair["replies"]] == ["" if transcript in ("", "[empty]") else transcript, RIGHT]


def test_a_bracketed_line_inside_anothers_transcript_stays_in_it():
    """A transcript may hold a bracketed non-speech note on its own line ("[laughs]"); in others'
    prompts only a markdown or bold heading ends a reply early. Bug caught: any bracketed line of
    an unknown kind taken for a heading, so the rest of the reply is read as rubric."""
    _, wave, rate = spoken(RIGHT, "loudly")
    body = {"messages": [{"role": "system", "content": "Rate how correct the answer is: <score>N</score>."},
                         {"role": "user", "content": [
                             {"type": "text", "text": f"Question: {QUESTION}\nAnswer: 3 plus 4\n[laughs]\nis 7"},
                             audio_part(wave, rate)]}]}
    assert judge_request.parse_judge_request(body)["replies"][0][0] == "3 plus 4\n[laughs]\nis 7"


def test_judge_read_shows_a_prompt_of_ones_own_as_the_server_reads_it(tmp_path, capsys, monkeypatch):
    """`python judge.py read body.json`: how the local judge reads a request (mode, axis, scale,
    format, question, transcripts) and the answer it would give, so a prompt of one's own can be
    checked before training against it. Bug caught: a reading other than the server's (the
    MT-Bench case is semantic on 1-10 in [[N]]), a verdict's words or a template not shown, or a bad body ending in a traceback instead of
    one line naming the file, status 2."""
    import sys
    case = next(c for c in OTHERS if c["name"] == "mtbench_instruction_block")
    body = tmp_path / "body.json"
    body.write_text(json.dumps(with_speech({"messages": case["messages"]})))
    monkeypatch.setattr(sys, "argv", ["judge.py", "read", str(body)])
    judge.main()
    out = capsys.readouterr().out
    assert re.search(r"(?m)^axis +semantic$", out) and re.search(r"(?m)^scale +1-10$", out)
    assert re.search(r"(?m)^question +what is 3 plus 4 say it loudly$", out) and "Rating: [[10]]" in out
    for name, shown in (("yes_no_verdict_right", r"(?m)^scale +NO / YES$"),      # a verdict's words, and a template
                        ("score_equals_template", r"(?m)^format +template 'score=<N>'")):
        case = next(c for c in OTHERS if c["name"] == name)
        body.write_text(json.dumps(with_speech({"messages": case["messages"]})))
        judge.main()
        assert re.search(shown, capsys.readouterr().out)
    body.write_text('{"messages": []}')
    with pytest.raises(SystemExit) as stop:
        judge.main()
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1 and str(body) in err[0] and "messages" in err[0]


def assert_linear(read, small, large, rounds=5, floor=1e-4):
    """read(small) and read(large), the fastest of `rounds` each (taken in turn, so a busy spell slows
    both alike): ten times the input may take at most forty times as long (linear: about 10x; a
    quadratic bug: about 100x). Scaling, not a wall-time bound, so a loaded machine does not fail it."""
    import time
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, size in enumerate((small, large)):
            t0 = time.perf_counter()
            read(size)
            best[i] = min(best[i], time.perf_counter() - t0)
    assert best[1] < 40 * max(best[0], floor), (small, large, best)


def test_xml_tagged_inputs_are_read_in_linear_time():
    """The user text is not capped like the rubric (a body may be 8 MB), so reading XML-tagged
    inputs must not rescan it from every opening tag. Bug caught: one regex per element with a lazy
    body, quadratic over unclosed "<question>" tags (104,000 characters took 3.5 s, an 8 MB body
    hours). Scaling, not wall time: ten times the text may take at most forty times as long."""
    assert_linear(lambda n: judge_inputs.untag("<question> x " * n), 1000, 10000, rounds=3)
    end = judge_inputs.AFTER_AUDIO        # an element's close ends its section
    assert judge_inputs.untag("<question>q</question>\n<response>r</response>") == f"\nquestion:\nq\n{end}\n\n\nresponse:\nr\n{end}\n"
    assert_linear(lambda n: judge_inputs.untag("<reply>" + "<transcript> x " * n + "</reply>"), 1000, 10000, rounds=3)


def test_q_and_a_are_read_as_a_pair_and_a_lone_a_or_b_is_left_in_its_section():
    """"Q: ... / A: ..." is a question and its answer; "A: 3 / B: 5" inside a question (the choices
    of a multiple-choice question) stays in it. Bug caught: every "A:" and "B:" line read as a
    labelled reply, so a multiple-choice question became a comparison and was refused for want of
    a second audio (a 400 where the old reader scored it)."""
    sections, _ = judge_request.split_sections("Q: what is 3 plus 4\nA: 3 plus 4 is 7")
    assert sections == [("question", None, "what is 3 plus 4"), ("reply", None, "3 plus 4 is 7")]
    sections, _ = judge_request.split_sections("Question: Which is larger?\nA: 3\nB: 5\n\nAnswer: B is larger")
    assert sections == [("question", None, "Which is larger?\nA: 3\nB: 5"), ("reply", None, "B is larger")]


@pytest.mark.parametrize("text,axis", [
    ("Consider both correctness and delivery. Penalize the delivery only when it hurts intelligibility.", "holistic"),
    ("Evaluate the answer's content and delivery. Rate 5 only if the content is fully correct.", "holistic"),
    ("Rate the helpfulness, accuracy and clarity of the answer.", "semantic"),
    ("Rate the naturalness of the voice: penalize wrong intonation.", "acoustic"),
    ("The user asked it to whisper; judge the correctness.", "semantic"),
    ("Rate correctness. Don't consider voice quality.", "semantic"),
    ("Rate correctness. You shouldn't judge the voice, and you don't need to mention it.", "semantic"),
])
def test_rules_for_others_prompts_leave_plain_rubrics_as_they_were_read(text, axis):
    """A reviewer's cases, each read this way before the rules for others' prompts and by any
    careful reader. Bug caught: a conditional "only when / only if" taken for narrowing, "clarity"
    or "whisper" (a request's words) or "wrong intonation" counted for the other side; a negation
    written as a contraction ("don't consider", "shouldn't judge") missed, as "n't" has no word
    boundary before it (the reader's rules had it since before this session's changes)."""
    assert judge_axis.rubric_axis(text) == axis


def test_others_rules_do_not_cut_a_reply_or_misread_a_count():
    """Bug caught: a reply's later paragraph cut off as rubric because it holds an everyday word
    ("the rate is set", "the final score was 3 to 1"); "in 1 to 3 sentences" read as the score's
    range; "judge nothing but the pronunciation" read as asking for a bare number."""
    _, wave, rate = spoken(RIGHT, "loudly")
    for reply in ("It is 5 percent.\n\nThe rate is set by the central bank.", "We won.\n\nThe final score was 3 to 1."):
        body = {"messages": [{"role": "system", "content": "Rate how correct the answer is: <score>N</score>."},
                             {"role": "user", "content": [{"type": "text", "text": f"Question: {QUESTION}\nAnswer: {reply}"},
                                                          audio_part(wave, rate)]}]}
        assert judge_request.parse_judge_request(body)["replies"][0][0] == reply
    assert judge_scale.rubric_scale("Justify your rating in 1 to 3 sentences, then rate it from 1 to 10.") == (1, 10)
    assert judge_rubric.answer_format("Judge nothing but the pronunciation.")["style"] == "tag"


# ---------------------------------------------------------------- general readings (2026-12-05, the fifth batch)

@pytest.mark.parametrize("rubric,words", [
    ("Is the reply correct? Answer yes or no.", ["no", "yes"]),
    ("Say whether it is right: YES/NO", ["NO", "YES"]),
    ('Respond with "incorrect" or "correct".', ["incorrect", "correct"]),
    ("How does the voice sound? Answer with one of: Excellent, Good, Fair, Poor.", ["Poor", "Fair", "Good", "Excellent"]),
    ("Judge whether the answer is correct or incorrect. Give a score as <score>N</score>.", None),
    ("Is the voice good or bad? Rate it.", None),
    ("Rate it 1-5. Poor and fair replies score low.", None),
])
def test_answer_words_are_the_ones_offered_as_the_answer_not_a_mention(rubric, words):
    """Bugs caught: "whether the answer is correct or incorrect" (the noun 'answer', a mention) read as
    a verdict asked for, so a 1-5 score is answered "correct"; the verdict's two words swapped
    (a right reply answered "no"); a ladder kept in the order written, not worst first."""
    assert judge_levels.answer_words(rubric) == words


def test_words_and_fractions_are_hand_worked_from_the_likert_score():
    """A two-word verdict is positive from 4 up (3, a middling reply, is not "correct"); a four-word
    ladder takes the nearest level, (s - 1) * 3 / 4 rounded half up: 1 2 3 4 5 -> 0 1 2 2 3; 0-1 is
    (s - 1) / 4. Bugs caught: a verdict positive from 3 (the midpoint), the ladder's levels off by one,
    a 0-1 scale rounded to 0 or 1 (an integer rescale)."""
    assert [judge_scale.rescale(s, (1, 5), ["NO", "YES"]) for s in range(1, 6)] == ["NO", "NO", "NO", "YES", "YES"]
    ladder = ["Poor", "Fair", "Good", "Excellent"]
    assert [judge_scale.rescale(s, (1, 5), ladder) for s in range(1, 6)] == ["Poor", "Fair", "Good", "Good", "Excellent"]
    assert [judge_scale.rescale(s, (0, 1)) for s in range(1, 6)] == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("rubric,template", [
    ("End your reply with `score=<N>`.", ("score=", "<N>", "")),
    ("Finish with a line like **Score:** N and nothing else.", ("**Score:** ", "N", "")),
    ("Answer in the form: Stars: N", ("Stars: ", "N", "")),
    ("Reply with 'Better response: <1 or 2>'.", ("Better response: ", "<1 or 2>", "")),
    ("Close with `Delivery: X/10`.", None),                  # no word saying what it holds: the line style reads it
    ('Quote the user, as in "what is 3 plus 4".', None),
])
def test_an_answer_line_shown_to_copy_is_the_template(rubric, template):
    """Bugs caught: a sentence's tail kept after the value ("**Score:** 4 and nothing else"), a quoted
    phrase with no placeholder (the question) taken for the answer's form, a line introduced as the form
    ("in the form: Stars: N") refused for not saying 'score'."""
    assert judge_forms.answer_template(rubric) == template


@pytest.mark.parametrize("line,kind", [
    ("hey, can you rate it? the question I asked it was:", ("question", None)),
    ("and here's what it said back:", ("reply", None)),
    ("The assistant replied (the words are wrong, that's fine):", ("reply", None)),
    ("Output your answer in exactly this format:", None),
    ("Use the following scale:", None),
    ("The question was what is 3 plus 4.", None),
])
def test_a_sentence_ending_in_a_colon_introduces_an_input_unless_it_introduces_instructions(line, kind):
    """Bug caught: "Output your answer in this format:" opening a reply section (the format's lines read
    as the transcript), or the question introduced in prose left in the rubric (its 'loudly' turning a
    content rubric acoustic)."""
    assert judge_inputs.introduced_kind(line) == kind


def test_a_list_item_input_is_one_line_and_text_after_the_audio_is_not_the_section_before_it():
    """Bugs caught: a numbered step's question running on into the next steps (the judge's instructions
    read as the question); the task written in a text part after the clip appended to the question."""
    sections, free = judge_request.split_sections("Steps:\n1. The user asked: how many letters in cat\n"
                                                  "2. Listen to the reply.\n3. Score it 1-5.")
    assert sections == [("question", None, "how many letters in cat")]
    assert free == "Steps:\n2. Listen to the reply.\n3. Score it 1-5."
    text = f"Question: what is 3 plus 4\n{judge_inputs.AFTER_AUDIO}\nRate the answer above 1-10."
    sections, free = judge_request.split_sections(text)
    assert sections == [("question", None, "what is 3 plus 4")] and free == "Rate the answer above 1-10."


def test_json_keys_shown_with_an_ellipsis_are_the_slots_without_the_word_json():
    """Bug caught: a JSON answer shown as {"correctness": ..., "delivery": ...} (no 'JSON' named, no
    number shown) answered as one <score> tag instead of a value per key, each on its own axis."""
    fmt = judge_rubric.answer_format('Answer as {"correctness": ..., "delivery": ...} and nothing else.')
    assert fmt["style"] == "json" and fmt["slots"] == [("correctness", "semantic"), ("delivery", "acoustic")]


@pytest.mark.parametrize("rubric,scale", [
    ("Output a correctness score in [0, 1].", (0, 1)),
    ("Give an integer in [1, 10].", (1, 10)),
    ("Score from 0 (unintelligible) to 4 (perfect).", (0, 4)),
    ("Use 0 (not at all) to 4 (perfectly).", (0, 4)),
    ("The answer is one of [3, 8].", (1, 5)),
])
def test_interval_and_anchored_scales(rubric, scale):
    """Bugs caught: "[0, 1]" or "[1, 10]" (interval notation) answered on 1-5; an anchored range with no
    scoring word before it missed; a list of two numbers in the question ("[3, 8]") taken for a scale."""
    assert judge_scale.rubric_scale(rubric) == scale


@pytest.mark.parametrize("name,kind", [
    ("Audio 1", ("reply", "1")), ("Sample B", ("reply", "B")), ("first take", ("reply", "1")),
    ("Reply X", ("reply", "X")), ("Assistant's final turn (audio)", ("reply", None)), ("asr_text", ("reply", None)),
    ("Score 1", None), ("Audio", ("end", None)), ("Generated audio", ("end", None)),
])
def test_listening_test_labels_and_final_turns_are_replies(name, kind):
    """Bugs caught: "Score 1" (a rubric's anchor line) read as reply 1, so a Prometheus rubric becomes a
    comparison; "Audio 1" / "Sample B" / "first take" not read as labelled replies (a comparison scored as
    one reply); the final turn of a dialogue not the reply; an unlabelled "Generated audio:" read as a
    reply of its own (an empty one after the transcript's) or as part of the transcript above it."""
    assert judge_inputs.heading_kind(name.replace("_", " ")) == kind


def test_an_answer_wanted_alone_has_no_justification_line():
    """'Reply with only "Audio 1" or "Audio 2"' and 'just tell me 1 or 2, nothing else' are answered by
    the label alone; a template without such words keeps the justification above it. Bugs caught: the
    justification written above an answer its parser reads whole; a bare label never used for a pair."""
    fmt = judge_rubric.answer_format('Which is more natural? Reply with only "Audio 1" or "Audio 2".', pairwise=True)
    assert fmt["style"] == "template" and fmt.get("alone") and fmt["labels"] == ["1", "2"]
    assert judge_rubric.render("template", "why", [("choice", "2")], template=fmt["template"], alone=True) == "Audio 2"
    assert judge_rubric.answer_format("which take is right? just tell me 1 or 2, nothing else.", pairwise=True)["style"] == "bare"
    fmt = judge_rubric.answer_format("Rate it 1-5. End your reply with `score=<N>`.")
    assert not fmt.get("alone") and judge_rubric.render("template", "why", [("v", 4)], template=fmt["template"]) == "why\nscore=4"


def test_a_json_key_that_names_no_axis_takes_the_axis_of_the_line_describing_it():
    """Bug caught: a key such as "style" scored on the rubric's own axis (holistic here) because its
    name says nothing, though its line asks about the voice."""
    fmt = judge_rubric.answer_format('Give two scores from 1 to 5:\n- "correctness": is the answer right?\n'
                                      '- "style": does the voice follow how the user asked it to be said?\n'
                                      'Respond with JSON only, e.g. {"correctness": 3, "style": 4}.')
    assert fmt["slots"] == [("correctness", "semantic"), ("style", "acoustic")]


def test_an_input_introduced_inside_a_line_is_read_and_an_order_is_not():
    """Bugs caught: "I asked it: spell dog backwards" inside a longer line left in the rubric (its
    'happily' making a content rubric acoustic); an order such as "Reply in the form: Stars: N" or
    "Answer with a single word: first, second, or tie" read as a reply (its format lost from the rubric)."""
    sections, free = judge_request.split_sections("hey, a second opinion please. I asked it: spell dog backwards\nrate it 1-5")
    assert sections == [("question", None, "spell dog backwards")] and "spell dog" not in free
    for order in ("Reply in the form: Stars: N", "Answer with a single word: first, second, or tie."):
        assert judge_request.split_sections(order) == ([], order)


def test_a_reply_quoted_in_prose_is_its_transcript_and_who_asked_is_not_the_question():
    """'it answered "..."' gives the transcript (the words the judge is told, as a written transcript
    is, over what the toy analyser hears in the audio); "The user asked ..." opening a question section
    is not part of the question. Bugs caught: the quoted reply ignored (the audio's words judged
    instead), or the question read with its "The user asked" (a reader's question has no such words)."""
    body = with_speech({"messages": [{"role": "user", "content": [
        {"type": "text", "text": 'Rate it 1-5 as <score>N</score>. I asked my bot something and it answered "3 plus 4 is 7".\n'
                                 "Question: The user asked what is 3 plus 4 say it loudly"},
        {"type": "input_audio", "input_audio": {"data": "@speak:hello there|", "format": "wav"}}]}]})
    req = judge_request.parse_judge_request(body)
    assert req["replies"][0][0] == "3 plus 4 is 7" and req["question"] == "what is 3 plus 4 say it loudly"


@pytest.mark.parametrize("text,axis", [
    ("Your job is to rate how well the speaking style matches. Use 0 (style completely wrong) to 100.", "acoustic"),
    ("Your task is to decide which reply has the better delivery; graders who judge content will be flagged.", "acoustic"),
    ("Forget about the voice. Is the answer correct?", "semantic"),
    ("Speaking style, emotion and audio quality are out of scope. Assess factual accuracy.", "semantic"),
    ("Judge the voice. The content of the answer is checked elsewhere and is not part of this check.", "acoustic"),
    ("Did it answer correctly, and did it speak in the way the user asked?", "holistic"),
    ("Correctness (1-5) - whether the answer is right. An answer in an odd voice is still correct.", "semantic"),
    ("Correctness (1-5) - is it right?\nDelivery (1-5) - is the voice clear?", "holistic"),
])
def test_rubric_axis_reads_a_stated_job_more_negations_and_a_single_metric(text, axis):
    """Bugs caught: "Your job is to rate ..." not narrowing the axis over a word elsewhere (a scale note's
    'wrong', a warning about content); "forget about", "is not part of", "checked elsewhere" not
    negating; a listed subject ("style, emotion and quality are ...") negated from its last comma only;
    "speak in the way the user asked" not read as delivery; a G-Eval metric not naming the axis, or two
    metrics read as one."""
    assert judge_axis.rubric_axis(text) == axis


def test_json_keys_named_in_prose_and_a_label_placeholder_that_is_not_a_tag():
    """Bugs caught: 'keys "rationale" (string) and "rating" (integer)' answered with a 'score' key (the
    client's json.loads finds no 'rating'); '"Overall: <score>"' answered as a <score> tag; 'out of 10,
    where 0 means wrong' answered on 1-10 (a perfect reply scored 10 either way, a middling one not)."""
    fmt = judge_rubric.answer_format('Output a JSON object with keys "rationale" (string) and "rating" (integer).')
    assert fmt["style"] == "json" and fmt["slots"] == [("rating", None)]
    fmt = judge_rubric.answer_format('Rate on a 7-point scale, then on its own line write "Overall: <score>".')
    answer = judge.ToyJudge().answer({"mode": "score", "axis": "semantic", "question": QUESTION, "reference": ANSWER,
                                      "replies": [spoken(RIGHT)], "seed": None, "format": fmt})
    assert fmt["style"] != "tag" and answer.endswith("Overall: 7")
    assert judge_rubric.answer_format("Use <score>N</score>.")["style"] == "tag"     # a tag with its closing one stays
    assert judge_scale.rubric_scale("Give it a score out of 10, where 0 means totally wrong.") == (0, 10)


def test_instructions_under_an_output_heading_are_rubric_not_a_second_reply():
    """Bug caught: '## Output / Return only a JSON object ...' after the inputs read as the reply's
    transcript (the last reply section wins), so the judge scores its own instructions."""
    body = with_speech({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "## Input\n**Question:** how many letters in cat\n**Assistant transcript:** the count is 7\n"
                                 "**Assistant audio:**"},
        {"type": "input_audio", "input_audio": {"data": "@speak:the count is 7|", "format": "wav"}},
        {"type": "text", "text": '## Output\nReturn only a JSON object: {"score": <1-5>}'}]}]})
    req = judge_request.parse_judge_request(body)
    assert [t for t, _, _ in req["replies"]] == ["the count is 7"] and req["format"]["style"] == "json"


@pytest.mark.parametrize("transcript", ["you said gold", "the answer", "Sample A", "the user", "audio"])
def test_our_own_request_keeps_a_transcript_that_reads_like_a_label(transcript):
    """reward.py's request puts the transcript's last line right before the audio part. Bug caught (in
    this session's first version of the label rule): "you said gold" ('gold' as in a gold answer) got a
    colon as a label before its audio, the policy's reply was scored as "you said gold:", and the default
    run's rewards changed from step 44; another prompt's transcript "the answer" would lose its text."""
    import reward
    wave, rate = spoken(transcript)[1:]
    body = reward.build_request("m", "semantic", "repeat after me gold", transcript, reward.wav_base64(wave, rate))
    assert [t for t, _, _ in judge_request.parse_judge_request(body)["replies"]] == [transcript]
    other = with_speech({"messages": [{"role": "user", "content": [
        {"type": "text", "text": f"Rate the correctness 1-5 as <score>N</score>.\nTranscript:\n{transcript}"},
        {"type": "input_audio", "input_audio": {"data": f"@speak:{transcript}|", "format": "wav"}}]}]})
    if transcript in ("you said gold", "the answer"):         # a transcript, not a label, in anyone's request
        assert [t for t, _, _ in judge_request.parse_judge_request(other)["replies"]] == [transcript]


def test_the_answer_format_of_a_long_rubric_full_of_verdict_words_is_read_in_linear_time():
    """Bug caught: each "yes or no" (or "good, bad") in a rubric searched the whole text before it for
    an answering verb, so a 20,000-character rubric of them took 1.3 s of a server thread (quadratic).
    Measured as scaling, as the test above: ten times the text at most forty times as long."""
    n = judge_request.MAX_RUBRIC
    for unit in ("maybe yes or no. ", "good, bad, fine. ", '"a: b" "a: c" ', "x: like "):
        assert_linear(lambda size: judge_rubric.answer_format(unit * (size // len(unit))), n // 10, n)


def test_user_text_full_of_fences_or_introductions_is_read_in_linear_time():
    """Bug caught: one regex per code fence that scanned to the end of the text for a closing one
    ('```' then '{' repeated: 100,000 characters took 4.4 s, an 8 MB body would take hours), and
    fenced JSON inputs no longer read. Scaling as the tests above: ten times the text at most forty
    times as long."""
    fenced = judge_inputs.unjson('Rate it.\n```json\n{"question": "q", "response": "r"}\n```')
    assert judge_request.split_sections(fenced) == ([("question", None, "q"), ("reply", None, "r")], "Rate it.")
    assert judge_inputs.unjson("a```x```b```c") == "a```x```b```c"
    for unit in ("```\n{ a\n", "I asked it: what\n", "x: y: "):
        assert_linear(lambda size: judge_request.split_sections(judge_inputs.unjson(unit * (size // len(unit)))),
                      10_000, 100_000)


@pytest.mark.parametrize("question,transcript", [
    ("The user asked: what is 3 plus 4", "the transcript is 7"),
    ("caller asked what is 2 times 3", "The transcript reads 7. Score: 10/10"),
    ("what is 3 plus 4", judge_inputs.AFTER_AUDIO + "\n7"),
])
def test_our_own_request_is_read_whole_whatever_its_question_and_transcript_say(question, transcript):
    """Bugs caught (a review of this session's change): the readings meant for others' prompts ran on
    reward.py's own requests too: "The user asked:" cut from the question (the toy judge then finds a
    reference it did not before), "the transcript is" cut from the transcript, a transcript that reads
    like judge instructions moved into the rubric, the after-audio mark ending a section."""
    import reward
    wave, rate = spoken("3 plus 4 is 7")[1:]
    req = judge_request.parse_judge_request(reward.build_request("m", "semantic", question, transcript,
                                                                 reward.wav_base64(wave, rate)))
    assert req["question"] == question and [t for t, _, _ in req["replies"]] == [transcript]
    assert "alone" not in req["format"]


@pytest.mark.parametrize("rubric,answer", [
    ("Answer yes or no questions carefully, then rate the reply as <score>N</score>.", r"<score>\d</score>"),
    ("Rate the answer's correctness. Say YES or NO in your reasoning if it is correct, then output Score: N", r"Score: \d"),
    ("Rate the reply. Poor, fair, good, excellent map to 1-4. Output the number only.", r"^\d+$"),
])
def test_words_in_a_rubric_do_not_replace_a_number_it_asks_for(rubric, answer):
    """Bug caught (the review): a verdict or a ladder of words mentioned in a rubric that shows a numeric
    slot answered in words ("<score>yes</score>", "Score: YES", "good")."""
    content = judge.ToyJudge().answer({"mode": "score", "axis": "semantic", "question": QUESTION, "reference": ANSWER,
                                       "replies": [spoken(RIGHT)], "seed": None,
                                       "format": judge_rubric.answer_format(rubric)})
    assert re.search(answer, content), content


def test_a_topic_word_is_not_a_criterion():
    """Bug caught (the review): 'math' read as a content criterion, so a voice rubric mentioning a math
    question became holistic."""
    assert judge_axis.rubric_axis("Rate how natural the voice sounds. The user asked a math question.") == "acoustic"


def test_runs_of_quote_marks_and_long_sections_are_read_in_linear_time():
    """Bugs caught (the review): a verdict pattern retried at every length of a run of '*' (20,000 took
    87 s), "its transcript is" searched from every position of a long answer (200 KB took 269 s), each
    "format:" copying the rest of the rubric. Scaling as above: ten times the text at most forty times
    as long."""
    import reward
    wave, rate = spoken("seven")[1:]
    audio = {"type": "input_audio", "input_audio": {"data": reward.wav_base64(wave, rate), "format": "wav"}}
    reads = [lambda n: judge_rubric.answer_format("Rate the reply." + "*" * n),
             lambda n: judge_rubric.answer_format("format: " * (n // 8)),
             lambda n: judge_request.parse_judge_request({"messages": [{"role": "user", "content": [
                 {"type": "text", "text": "Answer:\n" + "ab " * (n // 3)}, audio]}]})]
    for read in reads:
        assert_linear(read, 2_000, 20_000, rounds=3, floor=1e-3)


@pytest.mark.parametrize("rubric,scale", [
    ("## Scale\n- 10: fully correct\n- 7-9: minor issues\n- 4-6: partly correct\n- 1-3: incorrect", (1, 10)),
    ("5 - matches the reference\n4 - correct with extras\n3 - close\n2 - wrong\n1 - wrong and off-topic", (1, 5)),
    ("**0**: silent\n**1-2**: hard to follow\n**3**: clear", (0, 3)),
    ("Steps:\n1) listen\n2) think\n3) write your rating", (1, 5)),
    ("Read the rubric.\n1. Listen\n2. Decide\n3. Answer", (1, 5)),
])
def test_a_ladder_of_anchors_one_per_line_names_the_scale(rubric, scale):
    """Bugs caught: a 1-10 rubric written as a list of bands ("- 10:", "- 7-9:", "- 1-3:") answered on
    1-5 (a 3 read as "partly correct" by the client's parser); a numbered list of steps taken for a scale."""
    assert judge_scale.rubric_scale(rubric) == scale


@pytest.mark.parametrize("text,axis", [
    ("Forget whether the spelling is right, I'm only tuning the voice.", "acoustic"),
    ("Forget about the voice, I just want to know: is it correct?", "semantic"),
    ("Ignore the voice: loudness, tone and pace. Is it correct?", "semantic"),
    ("Ignore the voice, tone and pace. Is it correct?", "semantic"),
    ("Grade the answer for correctness. Delivery, voice and tone are not graded here.", "semantic"),
    ("Compare the voices. The factual content is reviewed by another team.", "acoustic"),
    ("Mark the answer for correctness only: I don't mind how the voice sounds.", "semantic"),
    ("For this task you compare two responses on delivery only. Is the information correct?", "acoustic"),
    ("# Voice answer review\nGive one overall score covering the answer's correctness and the voice.", "holistic"),
    ("Rate the voice quality.", "acoustic"),
])
def test_negations_end_where_a_new_subject_starts_and_more_verbs_leave_out_or_narrow(text, axis):
    """Bugs caught: a negation running past a comma into the next subject ("Forget ..., I'm only tuning
    the voice" reads as content), or ending at a list's comma or colon (the voice's qualities left in);
    "are not graded here", "is reviewed by another team", "I don't mind" not negating; "mark" and
    "compare" not judging verbs, so "... only" does not narrow; "voice answer" (the thing judged) read as
    a criterion."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("name,kind", [
    ("Prompt given to the system", ("question", None)), ("Answer given by the model", ("reply", None)),
    ("Here is the first answer", ("reply", "1")), ("And here is the second answer", ("reply", "2")),
    ("This clip", ("reply", None)), ("The end", ("end", None)), ("System prompt", None),
])
def test_heading_kind_reads_a_participle_phrase_and_a_here_is(name, kind):
    """Bugs caught: "Prompt given to the system:" not a question heading (the question lost); "Here is the
    first answer:" not a labelled reply (two clips scored as one reply); the system prompt read as the question."""
    assert judge_inputs.heading_kind(name) == kind


def test_a_line_that_quotes_the_question_and_then_introduces_a_reply_gives_both():
    """'The user asked: "...". Here is the first answer:' then audio, 'And here is the second answer:' then
    audio: a comparison of two replies on the quoted question, answered in the words offered. Bugs caught:
    the second sentence kept inside the question section (one reply, scored); the question with its quotes."""
    body = with_speech({"messages": [
        {"role": "system", "content": "You check whether spoken answers are correct; ignore how the voice sounds."},
        {"role": "user", "content": [
            {"type": "text", "text": 'The user asked: "spell dog backwards". Here is the first answer:'},
            {"type": "input_audio", "input_audio": {"data": "@speak:dog backwards is dog|", "format": "wav"}},
            {"type": "text", "text": "And here is the second answer:"},
            {"type": "input_audio", "input_audio": {"data": "@speak:dog backwards is god|", "format": "wav"}},
            {"type": "text", "text": "Which answer is correct? Respond with exactly one word: first, second, or tie."}]}]})
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"], req["labels"]) == ("compare", "spell dog backwards", ["1", "2"])
    assert judge.ToyJudge().answer(req) == "second"


def test_who_was_asked_and_what_was_asked_for_are_not_the_question():
    """Bugs caught: "the customer asked the agent: what is 2 times 3" read as "the agent: what is ...";
    "... matches what the user asked for: the emotion, energy and tone" (a description of the style)
    taken for the question over the request quoted earlier."""
    sections, _ = judge_request.split_sections("Context: the customer asked the agent: what is 2 times 3")
    assert judge_request._their_question(sections[0][2], "", "", []) == "what is 2 times 3"
    text = ('The clip is our bot answering the request "spell dog backwards say it happily". What we need is how well '
            "the speaking style matches what the user asked for: the emotion, energy and tone of the voice.")
    assert judge_request.split_sections(text)[0] == []


@pytest.mark.parametrize("rubric,pairwise,style,answer", [
    ("Finish with 'Better response: A', 'Better response: B' or 'Better response: Tie'.", True, "template",
     "why\nBetter response: B"),
    ("Notes, then a final line: **Overall: N/10**", False, "line", "why\nOverall: 8/10"),     # 1 + 3 * 9 / 4
    ("Which clip sounds more like what I asked for? Just say A or B.", True, "bare", "B"),
])
def test_options_in_single_quotes_a_bold_answer_line_and_just_say(rubric, pairwise, style, answer):
    """Bugs caught: answers listed in single quotes not offered as options (the client's "Better response:"
    parser finds a <choice> tag); a bold "**Overall: N/10**" line not read as the answer line; "Just say A
    or B" answered with a justification and a tag."""
    fmt = judge_rubric.answer_format(rubric, pairwise=pairwise)
    value = "B" if pairwise else judge_scale.rescale(4, fmt["scale"])
    assert fmt["style"] == style
    assert judge_rubric.render(fmt["style"], "why", [(fmt["slots"][0][0], value)], fmt.get("suffix", ""),
                               fmt.get("template"), fmt.get("alone")) == answer


def test_xml_elements_with_an_id_a_nested_transcript_and_a_wrapper_around_the_clip():
    """<reply id="first"><transcript>..</transcript><audio>CLIP</audio></reply> is reply 1 with that
    transcript; <response_audio>CLIP</response_audio> only wraps the clip; text after an element's close
    is not in its section. Bugs caught: tags with attributes left as text (the question runs into them);
    the reply's text read with its inner tags; the wrapper read as an empty reply whose ":" (a label's
    colon added before the clip) became the transcript; the rubric after the last element read as its text."""
    end = judge_inputs.AFTER_AUDIO
    text = (f'<question>which is larger 41 or 14</question>\n<reply id="first">\n<transcript>the larger is 41</transcript>\n'
            f'<audio>\n{end}\n</audio>\n</reply>\n<reply id="second">\n<transcript>the larger is 14</transcript>\n<audio>\n'
            f'{end}\n</audio>\n</reply>\n\nThink step by step, then answer <preferred>first</preferred>.')
    sections, free = judge_request.split_sections(judge_inputs.untag(text))
    assert sections == [("question", None, "which is larger 41 or 14"), ("reply", "1", "the larger is 41"),
                        ("reply", "2", "the larger is 14")] and free.startswith("Think step by step")
    text = f"<response_transcript>6 times 7 is 43.</response_transcript>\n<response_audio>\n{end}\n</response_audio>\nRate it."
    assert judge_request.split_sections(judge_inputs.untag(text))[0] == [("reply", None, "6 times 7 is 43.")]
    assert judge_request._parts([{"type": "text", "text": "<response_audio>"},
                                 {"type": "input_audio", "input_audio": {}}])[0] == ["<response_audio>"]


@pytest.mark.parametrize("name,kind", [
    ("Text it spoke", ("reply", None)), ("The words spoken are", ("reply", None)), ("What the assistant said", ("reply", None)),
    ("The speaker was asked", ("question", None)), ("What the user said", ("question", None)),
    ("Answer key", ("reference", None)), ("Scoring rules we said", None), ("Language spoken", None),
    ("The customer said", ("question", None)),
])
def test_heading_kind_reads_who_said_or_was_asked_and_an_answer_key(name, kind):
    """Bugs caught: "Text it spoke:" or "The words spoken are:" not heading the reply (the whole user text
    taken for the transcript); "The speaker was asked:" not heading the question; "Answer key:" read into
    the question (a reference answer lost, "Answer key: 24" judged as part of what was asked); "Language spoken:"
    or "Scoring rules we said" (no speaker of the reply) read as the reply; "The customer said" read as the reply."""
    assert judge_inputs.heading_kind(name) == kind


def test_a_labelled_reply_keeps_its_transcript_beside_an_empty_heading_for_its_audio():
    """'Response A' alone on a line over 'Transcript: ...' is reply A's transcript; 'Response 1 (transcript:
    ...):' gives it in the heading; an empty '(audio)' heading before or after a transcript only labels the
    clip. Bugs caught: "Response A" (no colon) read as text, so two replies become one; the empty audio heading
    read as a reply of its own, its transcript (none) replacing the one given, so the analyser's hearing is
    judged instead of the words the prompt gives."""
    end = judge_inputs.AFTER_AUDIO
    text = f"Response A\nTranscript: 2 plus 2 is 4\n\n{end}\n\nResponse B\nTranscript: 2 plus 2 is 5\n\n{end}\nWhich is right?"
    sections, _ = judge_request._their_inputs([text])[:2]
    assert sections == [("reply", "A", "2 plus 2 is 4"), ("reply", "B", "2 plus 2 is 5")]
    sections, _ = judge_request._their_inputs(["Response 1 (transcript: the smaller is 27):"])[:2]
    assert sections == [("reply", "1", "the smaller is 27")]
    for text in ("Assistant reply (text): The count is 4.\nAssistant reply (audio):",
                 "Response (audio):\n\nResponse (transcript): The count is 4."):
        assert judge_request._their_inputs([text])[0] == [("reply", None, "The count is 4.")]
    # a dialogue's earlier turn is not the final turn's transcript: only a twin right beside it is
    sections = judge_request._their_inputs(["Assistant: hi there\nUser: what is 2 plus 2\nAssistant:"])[0]
    assert sections[-1] == ("reply", None, "")


def test_a_heading_after_a_sentence_and_a_json_record_on_its_own_line():
    """Bugs caught: "... the same question. Question: what is 2 plus 2" (a heading after a sentence on one
    line) left in the rubric, the question lost; a JSON record on a line of its own ("Record:\\n{...}") not
    read, nor its nested candidates; "response_audio": "<attached below>" taken for a transcript."""
    sections, _ = judge_request.split_sections("Two versions answered the same question. Question: what is 2 plus 2")
    assert sections == [("question", None, "what is 2 plus 2")]
    record = ('Record:\n{"id": "p-1", "prompt": "spell frog backwards", "candidate_a": {"transcript": "frog backwards is frog"}, '
              '"candidate_b": {"transcript": "frog backwards is gorf"}, "response_audio": "<attached below>"}')
    sections, _ = judge_request.split_sections(judge_inputs.unjson(record))
    assert sections == [("question", None, "spell frog backwards"), ("reply", "A", "frog backwards is frog"),
                        ("reply", "B", "frog backwards is gorf")]


def test_instructions_under_a_heading_that_names_an_input_are_rubric():
    """'### Output' over "One short paragraph of justification, then a last line ..." after the reply is
    the rubric's. Bug caught: read as a second reply, whose text (the instructions) became the transcript."""
    text = "Transcript: you said red sky\n\nRecording:\n\n### Output\nOne short paragraph of justification, then a last line."
    assert [s for s in judge_request._their_inputs([text])[0] if s[0] == "reply"] == [("reply", None, "you said red sky")]


def assert_answer_form(rubric, pairwise, want):
    """The answer form a rubric is read as holds every field `want` names (the others are not checked)."""
    fmt = judge_rubric.answer_format(rubric, pairwise)
    assert {k: fmt.get(k) for k in want} == want


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Output exactly one of A, B or Tie inside <verdict></verdict> tags.", True, {"tie": "Tie"}),
    ("Give your answer as <preferred>first</preferred> or <preferred>second</preferred>.", True,
     {"labels": ["first", "second"], "style": "tag"}),
    ("Rate on the five-point MOS scale. Reply in the form\nRating: <Excellent|Good|Fair|Poor|Bad>", False,
     {"levels": ["Bad", "Poor", "Fair", "Good", "Excellent"]}),
    ("Output format:\nAnalysis: <2-3 sentences>\nScore: <X>/10", False, {"suffix": "/10", "scale": (1, 10)}),
    ("Write a brief justification, then end with `Final score: N/10`.", False, {"slots": [("Final score", None)]}),
    ("Answer with a single letter: X or Y.", True, {"style": "bare"}),
])
def test_answer_forms_of_batch_nine(rubric, pairwise, want):
    """Bugs caught: a tie written "tie" where the rubric offers "Tie" (a case-sensitive parser misses it);
    the words shown inside a tag not used as the labels ("<preferred>1</preferred>"); a placeholder listing
    MOS words answered with a number because a "five-point" scale is named, or Bad and Poor ranked equal;
    "<X>/10" written without its "/10"; the line's name cut to "score" before a backtick; a justification
    above an answer asked for as a single letter."""
    assert_answer_form(rubric, pairwise, want)


def test_more_ways_of_asking_for_a_choice_between_two_clips():
    """Bug caught: "Which response gives the more correct answer?" with two clips scored as one reply (the
    last clip), when nothing else labels the replies; "two samples: the question and the reply" read as a pair."""
    assert judge_request._PAIR_WORDS.search("Which response gives the more correct and complete answer?")
    # "two samples" / "two versions" may be the question's clip and the reply's (found in review)
    assert not judge_request._PAIR_WORDS.search("You will receive two samples: the spoken question and then the reply.")
    assert not judge_request._PAIR_WORDS.search("Rate the response on a scale of 1 to 5.")


@pytest.mark.parametrize("text,axis", [
    ("Two tracks: CA - Content Accuracy: is it right? DQ - Delivery Quality: clarity, prosody.\n"
     "DQ is rated by a separate pool. In this task you rate CA only.", "semantic"),
    ("Rate the Delivery Quality (DQ) only. Content Accuracy (CA) is not rated here.", "acoustic"),
    ("The assistant answered by voice; judge only what it said, not how it sounds.", "semantic"),
    ("Rate the delivery. 1 = completely wrong manner, 5 = perfect delivery.", "acoustic"),
    ("Rate the answer. 1 = wrong, 5 = right.", "semantic"),
])
def test_abbreviations_are_spelled_out_and_a_medium_or_a_manner_is_not_a_criterion(text, axis):
    """Bugs caught: "rate CA only" not narrowing because CA is an abbreviation the rubric defined, and "DQ is
    rated by a separate pool" not leaving delivery out; "what it said" (past tense) not content; "answered
    by voice" (the medium) or "wrong manner" (a delivery anchor) read as a criterion of the other side."""
    assert judge_axis.rubric_axis(text) == axis


def test_spell_out_needs_the_initials_to_match():
    """Bug caught: any capitals next to words taken for an abbreviation ("OK - Good Answer")."""
    assert judge_axis.spell_out("CA - Content Accuracy. Rate CA.") == "Content Accuracy - Content Accuracy. Rate Content Accuracy."
    assert judge_axis.spell_out("OK - Good Answer. Say OK.") == "OK - Good Answer. Say OK."


def test_a_note_or_quotes_around_a_transcript_and_a_heading_that_labels_the_clip():
    """Bugs caught: "(spoken response: ASR transcript below, recording attached)" or the quotes around the
    words read as part of the transcript; "RESPONSE (audio): attached below" read as a reply whose text
    ("attached below", then the rubric under it) replaced the ASR transcript; a heading with a comma inside
    its parentheses ("ASSISTANT (turn under evaluation, transcript):") not a heading at all."""
    read = lambda text: judge_request._their_inputs([text])[0]      # noqa: E731
    assert read("Response to evaluate:\n(spoken response: ASR transcript below)\ndog backwards is gdo") == \
        [("reply", None, "dog backwards is gdo")]
    assert read('Audio 1 - transcript: "the count is 5"') == [("reply", "1", "the count is 5")]
    sections = read("RESPONSE (asr): 9 minus 3 is 12\nRESPONSE (audio): attached below\n\nGive one overall reward in [0, 1].")
    assert sections == [("reply", None, "9 minus 3 is 12")]
    sections = read("USER: what is 2 plus 5\nASSISTANT: 7\nUSER: spell lamp backwards\n"
                    "ASSISTANT (turn under evaluation, transcript): lamp backwards is pmla")
    assert sections[-2:] == [("question", None, "spell lamp backwards"), ("reply", None, "lamp backwards is pmla")]


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Line 1: `CA=<score>`\nLine 2: one-sentence justification.", False, {"style": "template", "template": ("CA=", "<score>", "")}),
    ("Use the five-point rating:\n5 Excellent\n4 Good\n3 Fair\n2 Poor\n1 Bad\nAnswer in the form `MOS: <label>`.", False,
     {"levels": ["Bad", "Poor", "Fair", "Good", "Excellent"]}),
    ("Answer with exactly one word: First or Second.", True, {"labels": ["First", "Second"]}),
    ('Output JSON only: {"winner": "response_1" | "response_2" | "tie", "rationale": "..."}', True,
     {"labels": ["response_1", "response_2"], "tie": "tie"}),
    ("Your answer should ONLY contain: Output (a) or Output (b).", True, {"style": "option", "slots": [("Output", None)]}),
    ("Reply with one token: 1 if Response 1 is better, 2 if Response 2 is, equal if they are equally good.", True,
     {"tie": "equal"}),
    ("Give the five-point absolute category rating:\n5 Excellent\n1 Bad", False, {"style": "tag"}),
])
def test_answer_forms_of_batch_ten(rubric, pairwise, want):
    """Bugs caught: 'CA=<score>' not read as the answer line (the placeholder's own word taken for its name);
    '<label>' answered with a number although the rubric's ladder gives words; "First or Second" answered 1
    or 2; a JSON key's offered values ("response_1") not used; unquoted "Output (a) or Output (b)" answered
    "A"; "equal if they are ..." not the tie; "rating:" at a line's end read as an answer line whose value is
    on the next line (the ladder's "5 Excellent")."""
    assert_answer_form(rubric, pairwise, want)


def test_a_placeholder_with_decimals_is_filled_with_as_many():
    """Bug caught: "REWARD=<x.xx>" answered "REWARD=0.5", which a parser reading two decimals misses. Guard: a
    placeholder with no decimals keeps the value as it is."""
    asked = ("Question: repeat after me blue ink say it loudly\nThe reply:", ("you said blue ink", "quietly"))
    assert judge_rubric.answer_format("Reply with one line exactly like this:\nREWARD=<x.xx>")["digits"] == 2
    assert _last_answer_line(*asked, "Score the delivery from 0 to 1. Reply with one line exactly like this:\nREWARD=<x.xx>") \
        == "REWARD=0.50"
    assert _last_answer_line(*asked, "Score the delivery from 1 to 5. Reply with one line exactly like this:\nscore=<N>") == "score=3"


def test_inputs_of_batch_eleven():
    """Bugs caught: "this is the question my bot got: ..." left in the rubric (no question); a question quoted
    after "answers to" lost; a question or transcript in backticks read with them; "**Reply audio:** attached
    below" read as a reply whose text ("attached below") replaced the transcript; "[Turn 2] User:" lines not
    read as turns, so the whole conversation became the question."""
    read = lambda text: judge_request._their_inputs([text])[0]      # noqa: E731
    assert read("ok so this is the question my bot got: which is smaller 27 or 19") == \
        [("question", None, "which is smaller 27 or 19")]
    assert judge_request._QUOTED_QUESTION.search('which of these two answers to "which is larger 61 or 16" is right?')
    sections = read("**Prompt given to the assistant:** `repeat after me red fish`\n"
                    "**What the assistant said (transcript):** `you said red fish`\n**Reply audio:** attached below")
    assert sections[1:] == [("reply", None, "you said red fish")]
    assert judge_request._their_question(sections[0][2], "", "", []) == "repeat after me red fish"
    sections = read("Conversation:\n\n[Turn 1] User: what is 2 plus 2\n[Turn 1] Assistant: 2 plus 2 is 4\n"
                    "[Turn 2] User: what is 9 minus 3\n[Turn 2] Assistant (graded turn):")
    assert sections[-2:] == [("question", None, "what is 9 minus 3"), ("reply", None, "")]


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Answer with a single line: Score: <n>/7", False, {"suffix": "/7", "scale": (1, 7)}),
    ("Reply with `Score: [N]` and nothing else.", False, {"style": "template", "template": ("Score: [", "N", "]")}),
    ("ignore how they sound, i only care about the answer. reply with just 1 or 2", True, {"labels": ["1", "2"]}),
])
def test_answer_forms_of_batch_eleven(rubric, pairwise, want):
    """Bugs caught: "<n>/7" (a lower-case placeholder) written without its "/7"; "Score: [N]" answered
    "Score: 3", which a parser reading "[3]" misses; "reply with just 1 or 2" answered "A" or "B"."""
    assert_answer_form(rubric, pairwise, want)


def test_a_subject_rated_in_a_separate_pass_is_left_out():
    """Bug caught: "Voice quality and speaking style are rated in a separate pass; ignore them here" left
    in, so a content comparison read as overall."""
    assert judge_axis.rubric_axis("Which response answers correctly? Voice quality and speaking style are rated in "
                                    "a separate pass; ignore them here.") == "semantic"


def test_an_earlier_turn_is_not_the_transcript_of_the_final_one():
    """An empty heading after a reply labels the clip of that same reply only when the heading above gave
    the reply's words ("Assistant reply (text): ..."); after a dialogue's earlier "Assistant: ..." turn it is
    the final turn, heard from its clip. Bug caught: "Assistant's final turn (audio):" dropped as a twin of the
    turn above, so the judge scores what the assistant said a turn earlier."""
    read = lambda text: judge_request._their_inputs([text])[0]      # noqa: E731
    for label in ("Assistant's final turn (audio):", "Assistant:"):
        assert read(f"User: hello\nAssistant: hi there how can I help\n{label}")[-1] == ("reply", None, "")
    assert read("Assistant reply (text): The count is 4.\nAssistant reply (audio):") == [("reply", None, "The count is 4.")]
    assert read("Text it spoke: you said red sky\n\nRecording:") == [("reply", None, "you said red sky")]


def test_inputs_of_batch_twelve():
    """Bugs caught: "=== Candidate A ===" banners not heading the replies; "Clip 1 (user request):" taken for a
    first reply (a score read as a comparison); a long candidate heading with its transcript in parentheses
    not read; a question section running on into the instructions after a blank line; "Answer: A / B / TIE"
    under "... a line of the form:" read as a reply; a <conversation> element swallowing its <assistant_turn>;
    "Bot transcript:" not a reply heading, so all the user text (the rubric's steps) became the transcript."""
    read = lambda text: judge_request._their_inputs([text])[0]      # noqa: E731
    end = judge_inputs.AFTER_AUDIO
    assert read(f"=== Candidate A ===\nTranscript: 4 times 3 is 11\nAudio:\n{end}\n=== Candidate B ===\nTranscript: 4 times 3 is 13") \
        == [("reply", "A", "4 times 3 is 11"), ("reply", "B", "4 times 3 is 13")]
    assert judge_inputs.heading_kind("Clip 1 (user request)") == ("question", None)
    assert read("Candidate 1 for the next assistant turn (transcript: 9 times 9 is 18):") == [("reply", "1", "9 times 9 is 18")]
    assert read("Prompt spoken by the user: how many letters in cloud\n\nWhich response sounds more natural? Judge the voice only.") \
        == [("question", None, "how many letters in cloud")]
    sections, free = judge_request.split_sections("Finish with a line of the form:\nAnswer: A / B / TIE")
    assert sections == [] and "Answer: A / B / TIE" in free
    text = ("<conversation>\n<user_turn>spell fish backwards</user_turn>\n<assistant_turn>\n<transcript>fish backwards is hsif"
            "</transcript>\n</assistant_turn>\n</conversation>")
    assert judge_request.split_sections(judge_inputs.untag(text))[0] == \
        [("question", None, "spell fish backwards"), ("reply", None, "fish backwards is hsif")]
    assert read("User request: which is larger 42 or 17\nBot transcript: the larger is 42") == \
        [("question", None, "which is larger 42 or 17"), ("reply", None, "the larger is 42")]


@pytest.mark.parametrize("rubric,scale", [
    ("how correct is the answer? 1-10, 10 = perfectly correct. just the number", (1, 10)),
    ("Use 1-5.", (1, 5)),
    ("Answer in 1-3 sentences.", (1, 5)),
    ("Steps 1-3 below", (1, 5)),
    ("## Scale\n- 10: fully correct\n- 7-9: minor issues\n- 4-6: partly correct\n- 1-3: incorrect", (1, 10)),
])
def test_a_bare_range_closing_a_clause_is_the_scale_when_nothing_else_names_one(rubric, scale):
    """Bugs caught: "1-10," after the question answered on 1-5; a count ("1-3 sentences") or a list band
    ("- 1-3: incorrect", read before the ladder it belongs to) taken for the scale."""
    assert judge_scale.rubric_scale(rubric) == scale


def test_a_clause_after_a_dash_and_check_as_a_judging_verb():
    """Bugs caught: "judge only the content - the voice is rated in a separate pass" blanked whole (the
    negation's clause began at the sentence, not the dash), so a content comparison read as overall; "Do NOT
    check whether the answer is right" not leaving content out."""
    assert judge_axis.rubric_axis("Judge only the content of what was said - the voice is rated in a separate pass.") \
        == "semantic"
    assert judge_axis.rubric_axis("Rate the delivery. Do NOT check whether the answer is factually right.") == "acoustic"


@pytest.mark.parametrize("first,second", [("seven\nTranscript of reply A:", "eight"), ("seven", "eight\nTranscript of reply B:"),
                                          ("seven", "eight\nTranscript of reply A:")])
def test_our_own_comparison_is_read_as_before_when_a_transcript_ends_with_our_heading(first, second):
    """A policy transcript whose last line is one of reward.py's own headings opens an empty section of that
    label; as before the reader was split, the later (empty) section is the label's transcript, so the judge
    hears the clip. Bug caught (found in review): an "empty heading keeps the earlier words" rule for others'
    prompts reaching our own requests, so the words before our heading became the transcript."""
    wave = (0.1 * np.sin(np.linspace(0, 200, 16000))).astype(np.float32)
    body = reward.build_pair_request("m", "helpfulness", "what is 3 plus 4", (first, wave, 16000), (second, wave, 16000))
    heard = codec.hear(codec.encode(wave, 16000))
    got = [t for t, _, _ in judge_request.parse_judge_request(body)["replies"]]
    want = {"A": heard if first.endswith(":") or second.endswith("reply A:") else first.split("\n")[0],
            "B": heard if second.endswith("reply B:") else second.split("\n")[0]}
    assert got == [want["A"], want["B"]]


def test_the_review_s_adversarial_inputs_are_read_in_linear_time():
    """Found in review, each quadratic: a JSON key of many "and" words (heading_kind dropped leading words one
    list copy at a time; 400 KB took 48 s); elements nested deep under names that are no input (untag copied
    every body; 1.7 MB took 41 s); a long run of spaces on a line (_HEADING's two adjacent blanks, 10 KB took
    43 s; _QUOTED_QUESTION after "asked"; the rubric's numbered ladder)."""
    key = lambda n: judge_inputs.unjson(json.dumps({"and " * (n // 4) + "answer": "seven", "question": "q"}))  # noqa: E731
    assert_linear(key, 4000, 40000, rounds=3)
    nested = lambda n: judge_inputs.untag("".join(f"<t{i}>" for i in range(n)) + "x" +             # noqa: E731
                                           "".join(f"</t{i}>" for i in reversed(range(n))))
    assert_linear(nested, 1000, 10000, rounds=3)
    assert_linear(lambda n: judge_sections._HEADING.match("a" + " " * n + "b"), 1000, 10000, rounds=3)
    assert_linear(lambda n: judge_request._QUOTED_QUESTION.search("The user asked" + " " * n), 1000, 10000, rounds=3)
    assert_linear(lambda n: judge_rubric.answer_format("Rate it.\n" + " " * n + "y"), 1000, 10000, rounds=3)


@pytest.mark.parametrize("system,parts,want", [
    # a sentence then "Answer: YES or NO." is the answer's form, not a reply
    (None, ["Question: what is 3 plus 4", ("audio", "seven"), "Is the spoken reply correct? Think it through first. "
     "Answer: YES or NO."], {"replies": ["seven"], "answer": "NO"}),
    # a numbered list of steps is no scale, and leaves the verdict
    ("Check the spoken answer.\n1: Listen to the clip.\n2: Compare it with the reference.\n3: Answer YES or NO.",
     ["Question: what is 3 plus 4\nReference: 7\nTranscript: seven", ("audio", "seven")], {"answer": "NO"}),
    # "tie only if both" does not make "only" the tie word
    ('You compare two spoken replies. Output "A", "B" or "tie". Choose tie only if both are equally good.',
     ["Question: what is 3 plus 4", ("audio", "seven"), ("audio", "seven")], {"answer_has": "tie"}),
    # "which is better, the first or second" does not relabel a verdict shown as <choice>A</choice>
    ("Decide which of the two is better: the first or second one. Output <choice>A</choice> or <choice>B</choice>.",
     ["Question: what is 3 plus 4\nResponse A:\n3 plus 4 is 7\nResponse B:\n3 plus 4 is 8", ("audio", "3 plus 4 is 7"),
      ("audio", "3 plus 4 is 8")], {"labels": ["A", "B"], "answer_has": "<choice>A</choice>"}),
    # options listed one per line are not headings
    (None, ["Which response answers the question better?\n\nQuestion: what is 3 plus 4\n\nResponse A:", ("audio", "seven"),
            "Response B:", ("audio", "eight"), "Reply with exactly one of these lines:\nResponse A\nResponse B\nTie"],
     {"replies": ["seven", "eight"]}),
    # a JSON example of the answer is not an input
    (None, ["Question: what is 3 plus 4\nTranscript: seven", ("audio", "seven"), "Is the transcript a correct answer? "
            "Respond with a JSON object on one line, e.g.\n{\"answer\": \"yes\", \"reason\": \"...\"}"],
     {"replies": ["seven"], "slots": ["answer"]}),
    # "two samples: the question and the reply" is one reply, not a pair
    ("You will receive two samples: the user's spoken question and then the assistant's spoken reply. Rate the reply's "
     "correctness from 1 to 5.", [("audio", "what is 3 plus 4"), ("audio", "seven")], {"mode": "score"}),
    # "limit your answer to "yes"" is not a quoted question
    ('Listen to the question and the reply. Is the reply correct? Limit your answer to "yes" or "no".',
     ["User's question:", ("audio", "what is 3 plus 4"), "Assistant's reply:", ("audio", "seven")],
     {"question": "what is 3 plus 4"}),
    # "Language spoken: English" is not the reply
    ("Rate the answer's correctness from 1 to 5.", ["Question: what is 3 plus 4\nLanguage spoken: English\n"
                                                    "The reply is attached.", ("audio", "seven")], {"replies": ["seven"]}),
    # an input layout in backticks is not the answer's template (no form shown: the value alone)
    ("Inputs come as `Question: <question>` followed by the spoken reply. Rate how correct the reply is from 1 to 5.",
     ["Question: what is 3 plus 4", ("audio", "seven")], {"style": "bare", "answer": "1"}),
    # single-quoted reply names in prose are not the verdict's options
    ("Listen to 'Response A' and 'Response B' and judge which one answers more accurately. Answer A, B, or tie.",
     ["Question: what is 3 plus 4\nResponse A:", ("audio", "seven"), "Response B:", ("audio", "seven")], {"answer": "tie"}),
])
def test_plain_prompts_the_review_found_misread(system, parts, want):
    """Each found in review of this change, read right at 66a9162 and misread after a rule for a held-out batch
    (named in each row's comment). Bug caught: that rule reaching a plain prompt it was not written for."""
    content = [{"type": "input_audio", "input_audio": {"data": f"@speak:{p[1]}|", "format": "wav"}} if isinstance(p, tuple)
               else {"type": "text", "text": p} for p in parts]
    body = with_speech({"messages": ([{"role": "system", "content": system}] if system else []) +
                        [{"role": "user", "content": content}]})
    req = judge_request.parse_judge_request(body)
    answer = judge.ToyJudge().answer(req)
    got = {"replies": [t for t, _, _ in req["replies"]], "answer": answer.strip(), "labels": req["format"].get("labels", ["A", "B"]),
           "slots": [s for s, _ in req["format"]["slots"]], "mode": req["mode"], "question": req["question"],
           "style": req["format"]["style"], "answer_has": want.get("answer_has", "") if want.get("answer_has", "") in answer else answer}
    assert {k: got[k] for k in want} == want


@pytest.mark.parametrize("text,axis", [
    ("Rate the overall quality, taking into account both whether the answer is correct and how well it is spoken.",
     "holistic"),
    ("Considering both the correctness of the answer and the quality of the speech, how good is this reply?", "holistic"),
    ("Is it correct and helpful, and is it spoken clearly in the way the user asked?", "holistic"),
    ("Pick the better one, weighing correctness first and speech quality second.", "holistic"),
    ("Rate the overall quality of the speech.", "acoustic"),
    ("Judge only the correctness, not both the answer and the voice.", "semantic"),
])
def test_a_plain_rubric_that_weighs_both_sides_is_holistic(text, axis):
    """Found by a batch of plain prompts (2026-12-06: 16 of 30 read right at 66a9162): "taking into account
    both ... and how well it is spoken" read as content because "how well it is spoken", "quality of the
    speech", "speech quality" and "spoken clearly in the way" named no side; "overall quality of the
    speech" must stay delivery, and a narrowing still wins over "both"."""
    assert judge_axis.rubric_axis(text) == axis


def test_plain_layouts_end_a_section_at_the_judge_s_question_or_order():
    """Bugs caught (plain batch): "Answer: ...\n\nIs the answer correct? Answer yes or no." read with the
    question to the judge inside the transcript; "Question: ...\nHere is the spoken reply. Rate the speech
    from 1 to 5." read with the order inside the question, and then as the transcript; "Reply with A or B."
    answered with a justification and a tag."""
    read = lambda text: judge_request._their_inputs([text])[0]      # noqa: E731
    assert read("Question: which is larger 17 or 71\nAnswer: the larger is 17\n\nIs the answer correct? Answer yes or no.") \
        == [("question", None, "which is larger 17 or 71"), ("reply", None, "the larger is 17")]
    assert read("Question: what is 5 times 2\nHere is the assistant's spoken reply. Rate the speech naturalness from 1 to 5.") \
        == [("question", None, "what is 5 times 2")]
    for rubric in ("Decide which answer is more correct. Reply with A or B.", "Compare how they sound. Answer A or B."):
        assert judge_rubric.answer_format(rubric, pairwise=True)["style"] == "bare"


def test_readings_of_the_second_plain_batch():
    """Bugs caught (a second batch of plain prompts, held out: 26 of 30 at 79381f5): 'The user asked: "...".
    Listen to the reply and rate ... 1 to 10.' kept whole as the question (its scale and axis lost);
    ", meaning clearer" read as content; "better overall (content and speech)" read as content;
    "Write 1 if the first reply is better or 2 if ..." answered with a tag."""
    sections, free = judge_request.split_sections('The user asked: "what is 2 plus 2". Listen to the reply and rate how '
                                                  "well it is spoken on a scale of 1 to 10.")
    assert sections == [("question", None, "what is 2 plus 2")] and "scale of 1 to 10" in free
    assert judge_axis.rubric_axis("Which one sounds better, meaning clearer and more natural?") == "acoustic"
    assert judge_axis.rubric_axis("Say which is better overall (content and speech).") == "holistic"
    fmt = judge_rubric.answer_format("Write 1 if the first reply is better or 2 if the second reply is better.", pairwise=True)
    assert (fmt["style"], fmt.get("labels")) == ("bare", ["1", "2"])


def test_a_question_that_asks_is_it_is_still_the_question():
    """Bug caught: a question section ended at a line that reads like a question to the judge ("Is it true
    that ...?") when that line is the question itself, under its heading."""
    assert judge_request.split_sections("Question:\nIs it true that 2 plus 2 is 4?\nAnswer:\nyes")[0] == \
        [("question", None, "Is it true that 2 plus 2 is 4?"), ("reply", None, "yes")]


def test_inputs_of_batch_thirteen():
    """Bugs caught (batch 13, held out: 13 of 20 at 4d2c415): '<<<USER_TURN>>>' delimiters kept inside the
    question; "Question to model was:" not a heading and "Model answer voice is below." read into the
    transcript; "ASR of device output" / "Device output audio" run into the question; "Answer with the
    label only, on one line:" taken for a sentence introducing the reply; a table of fields not read;
    "Instruction given to the talker" (six words after a sentence) not a heading."""
    read = lambda text: judge_request._their_inputs([text])[:2]      # noqa: E731
    sections, _ = read("### Input\n<<<USER_TURN>>>\nwhich is smaller 47 or 74\n<<<END_USER_TURN>>>\n\n"
                       "### Candidate output\nTranscript (auto-generated): the smaller is 74")
    assert sections[-2:] == [("question", None, "which is smaller 47 or 74"), ("reply", None, "the smaller is 74")]
    sections, free = read("I make a test. Question to model was: spell stone backwards\nModel answer text: stone backwards "
                          "is stone\nModel answer voice is below.")
    assert sections == [("question", None, "spell stone backwards"), ("reply", None, "stone backwards is stone")]
    assert "voice" not in free           # where the clip is: neither the transcript nor a criterion
    assert read("User request (text): what is 9 minus 4 say it slowly\nASR of device output: 9 minus 4 is 5\n"
                "Device output audio:")[0] == [("question", None, "what is 9 minus 4 say it slowly"),
                                               ("reply", None, "9 minus 4 is 5")]
    sections, free = read(f"**Reply (audio only):**\n{judge_inputs.AFTER_AUDIO}\nAnswer with the label only, on one line:\n"
                          "Label: <Excellent|Good|Fair|Poor|Bad>")
    assert sections == [("reply", None, "")] and free.endswith("Label: <Excellent|Good|Fair|Poor|Bad>")
    assert read("| Field | Value |\n|---|---|\n| user_turn | how many letters in bread |\n| left.transcript | the count is 5 |\n"
                "| right.transcript | the count is 4 |")[0] == [("question", None, "how many letters in bread"),
                                                             ("reply", "1", "the count is 5"), ("reply", "2", "the count is 4")]
    assert read('Trial 7. Instruction given to the talker: "what is 9 minus 4 say it slowly"')[0] == \
        [("question", None, '"what is 9 minus 4 say it slowly"')]
    assert read("Reply A transcript: two\nThe last line of your reply must be:\nVERDICT: <A or B>")[0] == [("reply", "A", "two")]


def test_answer_forms_of_batch_thirteen():
    """Bugs caught: 'a line exactly of the form OVERALL=<score>' inside a numbered step, and
    "The last line of your reply must be:\nDELIVERY_SCORE: <value>", answered with our tag."""
    assert judge_forms.answer_template("6. Finish with a line exactly of the form OVERALL=<score>") == ("OVERALL=", "<score>", "")
    assert judge_forms.answer_template("The last line of your reply must be:\nDELIVERY_SCORE: <value>") == \
        ("DELIVERY_SCORE: ", "<value>", "")


def _pair_request(rubric, first, second, question="what is 2 plus 2"):
    """A comparison of two spoken replies ((text, style) each) with their transcripts, in one user message."""
    def clip(text, style):
        return {"type": "input_audio", "input_audio": {"data": f"@speak:{text}|{style}", "format": "wav"}}
    body = {"messages": [{"role": "system", "content": rubric}, {"role": "user", "content": [
        {"type": "text", "text": f"Question: {question}\nResponse A transcript: {first[0]}"}, clip(*first),
        {"type": "text", "text": f"Response B transcript: {second[0]}"}, clip(*second)]}]}
    return judge_request.parse_judge_request(with_speech(body))


def test_a_choice_with_no_tie_offered_is_forced_and_one_offered_is_kept():
    """Bug caught: "Respond with exactly one word: A or B." with two replies equal on the asked axis was
    answered "tie", a word the rubric does not allow. A forced choice takes the reply better overall
    (content then, when delivery ties), else the first; a rubric that offers a tie still gets it."""
    forced = "Which reply sounds more natural? Respond with exactly one word: A or B."
    wrong_then_right = _pair_request(forced, ("2 plus 2 is 5", ""), ("2 plus 2 is 4", ""))
    assert wrong_then_right["format"].get("forced") and judge.ToyJudge().answer(wrong_then_right) == "B"
    assert judge.ToyJudge().answer(_pair_request(forced, ("2 plus 2 is 4", ""), ("2 plus 2 is 4", ""))) == "A"
    offered = "Which reply sounds more natural? Respond with exactly one word: A, B or tie."
    assert judge.ToyJudge().answer(_pair_request(offered, ("2 plus 2 is 5", ""), ("2 plus 2 is 4", ""))) == "tie"


@pytest.mark.parametrize("name,kind", [
    ("First reply (A)", ("reply", "A")),                    # the label in parentheses names it, not "first"
    ("Recording 1 - the caller's question", ("question", None)),      # what follows the dash says what it holds
    ("Recording 2 - voice A's answer", ("reply", "A")),
    ("Checkpoint B", ("reply", "B")),
    ("Model A", ("reply", "A")),
    ("The question it was answering", ("question", None)),
    ("Question to model was", ("question", None)),
    ("ASR of device output", ("reply", None)),
    ("Right answer", ("reference", None)),                  # "right" is no label here
    ("Model", None),             # a guard: "Model: v2" is metadata (a label makes "Model A" a reply)
])
def test_headings_of_batch_fourteen_and_the_third_plain_batch(name, kind):
    """Bugs caught (batch 14, held out: 4 of 20 at f2e73c4; a third plain batch, 17 of 30; batch 13's
    "Question to model was" and "ASR of device output"): each of these headings read as no input, or as the
    wrong one."""
    assert judge_inputs.heading_kind(name) == kind


def test_inputs_of_batch_fourteen_and_the_third_plain_batch():
    """Bugs caught: fields inside a line (q='...', asr='...'; "A = clip1 (asr: '...')"), a CSV header over its
    row, "A: ..." / "B: ..." replies, "(audio attached, transcript: ...)", "(says: ...)", "The correct answer
    is 5." kept inside the question, "(transcript) ..." and "(audio)" marks and '"..."; audio:' kept in a
    transcript, a sentence that only mentions a request ("which clip sounds better for that request:")
    taken for the question's heading, and an empty "<answer></answer>" in a sentence dropped as an input."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[:2]      # noqa: E731
    assert read("judge. axis=content only. q='spell lamp backwards'. resp=audio below, asr='lamp backwards is plma'. "
                "out: PASS or FAIL")[0] == [("question", None, "spell lamp backwards"), ("reply", None, "lamp backwards is plma")]
    assert read("pairwise eval. A = clip1 (asr: 'cat backwards is tac'), B = clip2 (asr: 'tac'). reply w/ one line")[0] == \
        [("reply", "A", "cat backwards is tac"), ("reply", "B", "tac")]
    assert read('Grade the row.\n\nid,prompt,response_text,response_audio\nr-1,"What is 9 minus 4?","9 minus 4 is 6",'
                "<audio attached below>")[0] == [("question", None, "What is 9 minus 4?"), ("reply", None, "9 minus 4 is 6")]
    assert read("Question: which is larger 38 or 71\n\nA: the larger is 38", f"{judge_inputs.AFTER_AUDIO}\nB: the larger is 71")[0] \
        == [("question", None, "which is larger 38 or 71"), ("reply", "A", "the larger is 38"), ("reply", "B", "the larger is 71")]
    assert read("User question: What is 6 times 7?\nA (transcript: 6 times 7 is 42)", f"{judge_inputs.AFTER_AUDIO}\n"
                "B (transcript: 6 times 7 is 24)")[0] == [("question", None, "What is 6 times 7?"),
                                                          ("reply", "A", "6 times 7 is 42"), ("reply", "B", "6 times 7 is 24")]
    assert read('Question: what is 3 plus 4\nResponse (audio attached, transcript: "3 plus 4 is")')[0] == \
        [("question", None, "what is 3 plus 4"), ("reply", None, "3 plus 4 is")]
    assert read("The user asked: how many letters in bread\nThe correct answer is 5.\n\nResponse 1 (says: the count is 6)")[0] \
        == [("question", None, "how many letters in bread"), ("reference", None, "5"), ("reply", "1", "the count is 6")]
    assert read("[The Start of Assistant A's Answer]\n(transcript) 15 minus 6 is 8\n(audio)")[0] == [("reply", "A", "15 minus 6 is 8")]
    assert read('Response A - transcript: "garden has 7 letters"; audio:')[0] == [("reply", "A", "garden has 7 letters")]
    assert read("Reply A \u2014 transcript: you said green lake")[0] == [("reply", "A", "you said green lake")]   # an em dash
    sections, free = read("Someone asked our assistant. Forget about the words; which clip sounds better for that request: "
                          "the tone, the loudness?")
    assert sections == [] and "the tone" in free
    sections, free = read("Decide which response is better and put its letter inside <answer></answer> tags.\n\nResponse A: seven")
    assert sections == [("reply", "A", "seven")] and "<answer></answer>" in free
    # choices beside an "Answer:" are not replies (a multiple-choice question)
    assert read("Question: Which is larger?\nA: 3\nB: 5\n\nAnswer: B is larger")[0] == \
        [("question", None, "Which is larger?\nA: 3\nB: 5"), ("reply", None, "B is larger")]


@pytest.mark.parametrize("prose,question", [
    ('The user told it: "repeat after me green river say it loudly". The bot\'s transcript is "you said green river".',
     "repeat after me green river say it loudly"),
    ('For context, the talker was prompted with: "repeat after me green river, say it loudly"',
     "repeat after me green river, say it loudly"),
    ('The prompt given to both systems was: "repeat after me little star, say it slowly".', "repeat after me little star, say it slowly"),
])
def test_more_ways_of_quoting_the_question_in_prose(prose, question):
    """Bug caught: these quoted questions were not found (the reply judged with no request in view)."""
    assert judge_request._their_question(None, prose, "", []) == question


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Your answer must be in the form:\nPreferred response: A\nor\nPreferred response: B", True,
     {"style": "template", "labels": ["A", "B"], "template": ("Preferred response: ", "", "")}),
    ("pairwise eval. reply w/ one line: verdict=A | verdict=B | verdict=TIE", True,
     {"style": "template", "labels": ["A", "B"], "tie": "TIE", "template": ("verdict=", "", "")}),
    ("Which voice is better? Answer with exactly one of: LEFT, RIGHT, SAME (use SAME if you can't tell).", True,
     {"style": "bare", "labels": ["LEFT", "RIGHT"], "tie": "SAME"}),
    ("4. Write X, Y or EQUAL on the first line, then one line of justification.", True,
     {"style": "bare", "labels": ["X", "Y"], "tie": "EQUAL"}),
    ("Which clip sounds better? Answer 'first' or 'second'.", True, {"labels": ["first", "second"], "alone": True}),
    ('Which is more accurate? Reply with "Response 1" or "Response 2".', True, {"alone": True, "labels": ["1", "2"]}),
    ("Output exactly three lines:\nC1: <n>\nC2: <n>\nFINAL: <n>", False,
     {"style": "line", "slots": [("C1", None), ("C2", None), ("FINAL", None)]}),
    ("metric:\n  scale: {min: 0, max: 100}\noutput_schema: {\"score\": int}", False, {"scale": (0, 100)}),
    ("If the spoken answer agrees with the reference answer, output PASS; otherwise output FAIL.", False,
     {"levels": ["FAIL", "PASS"]}),
    ("Respond with the category number only (1, 2, 3, 4 or 5).", False, {"style": "bare"}),
])
def test_answer_forms_of_batch_fourteen_and_the_third_plain_batch(rubric, pairwise, want):
    """Bugs caught: each answered in our own tag (or with "tie", or with the wrong labels or scale)."""
    assert_answer_form(rubric, pairwise, want)


def test_a_block_of_answer_lines_takes_each_criterion_s_axis():
    """Bug caught: 'C1: <n>' / 'C2: <n>' / 'FINAL: <n>' answered with FINAL alone; each line is one value on
    the axis its criterion's line names ("C1. Answer correctness", "C2. Spoken delivery")."""
    rubric = ("Criteria\n  C1. Answer correctness (weight 70%): is the requested answer right?\n"
              "  C2. Spoken delivery (weight 30%): clarity and the requested speaking style.\n"
              "Final score = 0.7 x C1 + 0.3 x C2.\nOutput exactly three lines:\nC1: <n>\nC2: <n>\nFINAL: <n>")
    assert judge_rubric.answer_format(rubric)["slots"] == [("C1", "semantic"), ("C2", "acoustic"), ("FINAL", None)]


@pytest.mark.parametrize("text,axis", [
    ("Which reply is more helpful? Voice, volume and length don't matter.", "semantic"),     # the whole list, not "volume" on
    ("If the spoken answer agrees with the reference answer, output PASS.", "semantic"),
    ("Here's the recording of what it said. How good is it OVERALL - both whether it's actually right and how it sounded?",
     "holistic"),
    ("Here's the recording of what it said. How natural does the voice sound?", "acoustic"),   # "what it said" names the clip
])
def test_rubric_axis_of_batch_fourteen_and_the_third_plain_batch(text, axis):
    """Bugs caught: a list before "don't matter" left its first item standing ("Voice,"), "agrees with the
    reference answer" named no side, "a recording of what it said" read as content, and "both whether it's
    actually right and how it sounded" as content only."""
    assert judge_axis.rubric_axis(text) == axis


def test_fast_speech_is_heard_as_words():
    """The toy codec voices a word gap as a pause and fast speech has none, so "8 plus 5 is 13" said quickly is
    heard "8plus5is13"; a listener still hears its words. Bugs caught: an audio-only fast reply judged as one
    unknown word (content 1, where "moon backwards is moon" scores 2) and its pace never checked (no word
    gaps to count: delivery 5 for a reply that ignored "say it slowly")."""
    known = {"moon", "backwards", "is", "spell", "letters", "in", "garden", "how", "many", "minus"}
    assert judge_inputs.heard_words("moonbackwardsismoon 8plus5is13", known | {"plus"}) == "moon backwards is moon 8 plus 5 is 13"
    assert judge_inputs.heard_words("gardenhas7letters", known) == "garden has 7 letters"       # an unknown word stays whole
    assert judge_inputs.heard_words("9minus4is5 this", known) == "9 minus 4 is 5 this"          # not "th is": known words are not carved
    assert judge_inputs.heard_words("xyz", known) == "xyz"

    def audio_only(text, style, question):
        body = {"messages": [{"role": "user", "content": [
            {"type": "text", "text": f"Question: {question}\nRate the reply's delivery from 1 to 5. Just the number."},
            {"type": "input_audio", "input_audio": {"data": f"@speak:{text}|{style}", "format": "wav"}}]}]}
        req = judge_request.parse_judge_request(with_speech(body))
        return req, judge.ToyJudge().answer(req)
    req, answer = audio_only("9 minus 4 is 5", "quickly", "what is 9 minus 4 say it slowly")
    assert req["heard"] == [True] and req["replies"][0][0] == "9 minus 4 is 5" and answer == "4"   # as `judge.py read` shows
    assert audio_only("9 minus 4 is 5", "slowly", "what is 9 minus 4 say it slowly")[1] == "5"


def test_a_transcript_written_where_no_layout_names_it_is_read_as_written():
    """Round 74: the reply's words written in the request in a form the reader's layouts do not name ("Pan A,
    written down: um I think it is dlog", "Glass 1 - transcript 'um I think ...':") were read as heard, "um i
    think it is dlog" or "umithink 6 times 7 is 42", five prompts of eighty. Bugs caught: the written words
    never looked for (as heard); case or spaces not set aside in the match (never found); a stretch ending
    inside a word taken ("think it is 4" in "I think it is 42"); a repetition's reply taken from its question
    ("Repeat after me: Muddy River" is the question, not a transcript) or a right reply's from the reference
    answer ("The count is 5." for a reply heard "the count is 5": round 74's first draft, caught by
    p26_prometheus_absolute_overall_1to5); two written forms resolved by a guess."""
    written = judge_inputs.written_as_heard
    asked = ("what is 6 times 7", None)          # the question, no reference answer
    assert written("umithink 6 times 7 is 42", "Glass 1 - transcript 'um I think 6 times 7 is 42':\nGlass 2", asked) == \
        "um I think 6 times 7 is 42"
    assert written("um i think its 42", "A, written down: Um, I think it's 42.", asked) == "Um, I think it's 42"
    assert written("think it is 4", "I think it is 42", asked) is None            # not whole words
    assert written("muddy river", "Repeat after me: Muddy River\nClip 1 said: Muddy River", ("repeat after me muddy river",)) is None
    assert written("the count is 5", "Reference answer: The count is 5.", ("how many letters in bread", "The count is 5.")) is None
    assert written("um i think 42", "A: um I think 42\nB: Um I think 42", asked) is None   # two forms
    assert written("um i think 42", "A: um I think\n42", asked) is None          # across a line break
    assert written("um i think 42", "A: um I think 42 and then um I think 42", asked) == "um I think 42"

    def compare(note_a, note_b):
        body = {"messages": [{"role": "user", "content": [
            {"type": "text", "text": "Two talking pans. Which pan answered better overall?\nThe kid's question: spell gold "
                                     "backwards, say it happily.\n\nPan A:"},
            {"type": "input_audio", "input_audio": {"data": "@speak:um I think it is dlog|happily", "format": "wav"}},
            {"type": "text", "text": f"{note_a}\n\nPan B:"},
            {"type": "input_audio", "input_audio": {"data": "@speak:gold backwards is dlog|", "format": "wav"}},
            {"type": "text", "text": f"{note_b}\n\nAnswer on one line: PAYDIRT: A or PAYDIRT: B"}]}]}
        return [t for t, _, _ in judge_request.parse_judge_request(with_speech(body))["replies"]]
    assert compare("Pan A, written down: um I think it is dlog", "Pan B, written down: gold backwards is dlog") == \
        ["um I think it is dlog", "gold backwards is dlog"]
    heard = codec.hear(codec.encode(*spoken("um I think it is dlog", "happily")[1:]))      # no words written: as heard
    assert compare("(no notes)", "(no notes)")[0].replace(" ", "") == heard.replace(" ", "") != "umIthinkitisdlog"


def test_a_reply_said_after_its_labels_colon_is_read_whole():
    """Round 76: a clip's label line giving its words after "said:" or "gave:" ("LEFT cup coaster (it said: you said
    oak milk)", "Voice 'Clive' gave: you said exit stage") was read from the reply's own "you said", "oak milk)" and
    "exit stage": four prompts of eighty. Bugs caught: "said:" / "gave:" not taken as the words' name (cut at the
    later "you said"); the closing bracket kept."""
    def transcripts(label_a, label_b):
        body = {"messages": [{"role": "user", "content": [
            {"type": "text", "text": f"Judge the voice only. The crowd asked: repeat after me oat milk say it happily\n\n{label_a}"},
            {"type": "input_audio", "input_audio": {"data": "@speak:you said oak milk|happily", "format": "wav"}},
            {"type": "text", "text": label_b},
            {"type": "input_audio", "input_audio": {"data": "@speak:you said oat milk|", "format": "wav"}},
            {"type": "text", "text": "Reply with ONE word only: LEFT or RIGHT"}]}]}
        return [t for t, _, _ in judge_request.parse_judge_request(with_speech(body))["replies"]]
    assert transcripts("LEFT cup (it said: you said oak milk)", "RIGHT cup (it said: you said oat milk)") == \
        ["you said oak milk", "you said oat milk"]
    assert transcripts("Voice 'Left' gave: you said oak milk", "Voice 'Right' gave: you said oat milk") == \
        ["you said oak milk", "you said oat milk"]
    assert transcripts("LEFT cup - its speaker said you said oak milk", "RIGHT cup - its speaker said you said oat milk") == \
        ["you said oak milk", "you said oat milk"]        # no colon: from the first "said", as before


def test_inputs_of_batch_fifteen_and_the_fourth_plain_batch():
    """Bugs caught (batch 15, held out: 6 of 20 at 570b064; a fourth plain batch, 14 of 30): 'response_audio:
    attached below' in a record read as the transcript; a table row of bold field names not read, and a
    row below the inputs run into the last reply; '"A user asked a voice assistant: ..."' read as reply A (the
    article as a label) and "The user asked the assistant:" as a reply; "Question from child:" not a heading;
    a reply's "Transcript:" after its clip left without its label; '> What is 6 times 7?' kept its quote mark;
    "ASR transcript, for convenience: ..." kept its label; 'Response 1 - "..."' and 'Reply A says "...":'
    not read as replies; "A (asr: ...)" after "q:" read as the answer to a question."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    assert read("sample:\n  user_prompt: \"what is 2 plus 2\"\n  response_audio: attached below\nscoring:\n  axis: content") == \
        [("question", None, '"what is 2 plus 2"'), ("reply", None, "")]
    assert read("| Field | Value |\n|---|---|\n| **User request** | what is 2 plus 2 |\n| **Reply A transcript** | four |\n"
                "| **Reply B transcript** | five |\n| **Criterion** | the right words matter most |") == \
        [("question", None, "what is 2 plus 2"), ("reply", "A", "four"), ("reply", "B", "five")]
    assert read('A user asked a voice assistant: "which is smaller 18 or 81"') == [("question", None, '"which is smaller 18 or 81"')]
    assert read('The user asked the assistant: "how many letters in bread"\n\nClip A:')[0] == \
        ("question", None, '"how many letters in bread"')
    assert read('Question from child: "Repeat after me blue kite"') == [("question", None, '"Repeat after me blue kite"')]
    assert read("[The Start of Assistant B's Answer]", f"{judge_inputs.AFTER_AUDIO}\nTranscript: the smaller is 58\n"
                "[The End of Assistant B's Answer]") == [("reply", "B", "the smaller is 58")]
    assert read("## Question\n> What is 6 times 7?\n\n## Model response\nASR transcript, for convenience: `6 times 7 is 41`") == \
        [("question", None, "What is 6 times 7?"), ("reply", None, "6 times 7 is 41")]
    assert read('Question: what is 2 plus 2\n\nResponse 1 - "four"', f'{judge_inputs.AFTER_AUDIO}\nReply B says "five":') == \
        [("question", None, "what is 2 plus 2"), ("reply", "1", "four"), ("reply", "B", "five")]
    assert read('q: What is 8 plus 5\nA (asr: "8 plus 5 is 13"):', f'{judge_inputs.AFTER_AUDIO}\nB (asr: "13"):') == \
        [("question", None, "What is 8 plus 5"), ("reply", "A", "8 plus 5 is 13"), ("reply", "B", "13")]


def test_a_spoken_question_is_not_one_of_two_replies():
    """Bug caught: "two audio clips: first the user's spoken question, then the assistant's answer" (or a
    "Clip 1 (user question)" label) made a comparison of the question and the answer."""
    def clip(text):
        return {"type": "input_audio", "input_audio": {"data": f"@speak:{text}|", "format": "wav"}}
    for system, labels in [("I'm attaching two audio clips. The first clip is a question a user asked our assistant. The "
                            "second clip is the assistant's spoken answer. Is the answer correct? Reply YES or NO only.", ["", ""]),
                           ("Each turn has two audio clips. Respond with exactly one word: CORRECT or INCORRECT.",
                            ["Clip 1 (user question):", "Clip 2 (assistant answer):"])]:
        content = [p for label, text in zip(labels, ["spell lemon backwards", "lemon backwards is lemon"])
                   for p in ([{"type": "text", "text": label}] if label else []) + [clip(text)]]
        req = judge_request.parse_judge_request(with_speech({"messages": [{"role": "system", "content": system},
                                                                          {"role": "user", "content": content}]}))
        assert (req["mode"], req["question"]) == ("score", "spell lemon backwards")
        assert judge.ToyJudge().answer(req).strip() in ("NO", "INCORRECT")


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("5. Your final line must read: Preferred: Response 1  or  Preferred: Response 2", True,
     {"style": "template", "labels": ["1", "2"], "template": ("Preferred: Response ", "", "")}),
    ("Finish with exactly one line: Verdict: A, Verdict: B, or Verdict: TIE", True,
     {"style": "template", "labels": ["A", "B"], "tie": "TIE"}),
    ("Think it through, then give your final choice as <answer>A</answer> or <answer>B</answer>.", True,
     {"style": "tag", "slots": [("answer", None)]}),
    ("Reply with exactly one label: A_BETTER, B_BETTER, or EQUAL.", True,
     {"style": "bare", "labels": ["A_BETTER", "B_BETTER"], "tie": "EQUAL"}),
    ("Reply with the word First or Second.", True, {"style": "bare", "labels": ["First", "Second"]}),
    ("Ties are not allowed. Your final line must read: Winner: A or Winner: B", True, {"forced": True}),
    ("You must choose one, equal is not possible. Please write only \"Answer 1\" or \"Answer 2\".", True, {"forced": True}),
    ("Please give one score from 0 until 10 for the answer in total.", False, {"scale": (0, 10)}),
    ("Output an integer between 0 and 100 and nothing else.", False, {"style": "bare"}),
    ("## Labels\n- Excellent\n- Good\n- Fair\n- Poor\n- Bad\n\n## Output\nOne line: `Verdict: <label>`", False,
     {"levels": ["Bad", "Poor", "Fair", "Good", "Excellent"]}),
    ("verdict:\n  content_score: <fill>", False, {"style": "line", "slots": [("content_score", None)]}),
])
def test_answer_forms_of_batch_fifteen_and_the_fourth_plain_batch(rubric, pairwise, want):
    """Bugs caught: each answered in our own tag, with "tie" where none is allowed, or on the wrong scale."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("We audit the content. Delivery (voice quality, speed, loudness, style) is out of scope for this pass.", "semantic"),
    ("Note: speaking style (volume etc.) is not part of this check. Is the final answer right?", "semantic"),
    ("Rate how the response is SPOKEN: clarity, loudness, pace. Do not judge wording; a separate annotator checks content.",
     "acoustic"),
    ("Tell me which clip sounds more natural. Ignore whether the answer is correct; the content team covers that.", "acoustic"),
    ("Look at the whole response: is the answer right, and is it spoken well (clear, natural)?", "holistic"),
    ("Which response answers the question better?", "semantic"),
    ("Compare two spoken replies overall (is it right + does it sound good).", "holistic"),
])
def test_rubric_axis_of_batch_fifteen_and_the_fourth_plain_batch(text, axis):
    """Bugs caught: a parenthesis split the clause a negation covers ("Delivery (voice, speed, loudness) is out of
    scope" left "loudness"; "(volume etc.)" ended the clause at "etc."); "a separate annotator checks content"
    and "the content team covers that" counted content; "is the answer right", "answers the question" and
    "does it sound good" named no side."""
    assert judge_axis.rubric_axis(text) == axis


def _two_clips(labels, texts, rubric, system=None, question=None):
    """A comparison body: an optional question line, then each label line followed by its clip, then the rubric."""
    content = ([{"type": "text", "text": question}] if question else [])
    for label, text in zip(labels, texts):
        content += [{"type": "text", "text": label}, {"type": "input_audio", "input_audio": {"data": f"@speak:{text}|", "format": "wav"}}]
    content.append({"type": "text", "text": rubric})
    return with_speech({"messages": ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": content}]})


@pytest.mark.parametrize("labels,rubric,names", [
    (["r1 (txt: the count is 5):", "r2 (txt: the count is 6):"], "which r answers q better? out: r1 or r2, nothing else.",
     ("r1", "r2")),
    (["Maya's bot said:", "Leo's bot said:"], "Please finish with 'Winner: Maya' or 'Winner: Leo'.", ("Maya", "Leo")),
    (["Left build audio:", "Right build audio:"], 'Answer JSON: {"winner": "left" | "right" | "tie"}', ("left", "right")),
    (["M1:", "M2:"], "Whose delivery is better? Answer M1 or M2.", ("M1", "M2")),
])
def test_two_clips_labelled_alike_are_a_comparison_under_their_own_labels(labels, rubric, names):
    """Bugs caught (batch 16, held out: 5 of 20 after batch 15's fixes; the fourth plain batch's M1 / M2): two clips
    whose label lines differ in one word the rubric names ("r1" / "r2", "Maya" / "Leo", "left" / "right") read as
    one scored reply. The labels are spelled as the rubric spells them (quoted if it quotes them)."""
    req = judge_request.parse_judge_request(_two_clips(labels, ["the count is 5", "the count is 6"], rubric,
                                                       question="q: how many letters in apple\n"))
    assert (req["mode"], tuple(req["labels"])) == ("compare", names)
    answer = judge.ToyJudge().answer(req).strip()          # the first reply is right, the second one off by one
    final = json.loads(answer)["winner"] if answer.startswith("{") else answer.splitlines()[-1]
    assert final.endswith(names[0])


def test_clip_labels_that_are_not_a_pair_stay_apart():
    """A guard on the rule above: lines that differ in more than one word, name the question, or differ in a
    number only ("Here is a spoken request" / "And here is the answer"; "Clip 1 (user question)" / "Clip 2
    (assistant answer)") are no pair of replies."""
    assert judge_choices.paired_names("Here is a spoken request from a user:", "And here is the assistant's spoken answer:") is None
    assert judge_choices.paired_names("Clip 1 (user question):", "Clip 2 (assistant answer):") is None
    assert judge_choices.paired_names("Question audio:", "Answer audio:") is None
    assert judge_choices.paired_names("Left build audio:", "Right build audio:") == ("Left", "Right")


def test_inputs_of_batch_sixteen_and_the_fifth_plain_batch():
    """Bugs caught: "Second clip: reply A." read as reply 2 with the words "reply A."; "End with exactly one
    line: Better: A or Better: B" read as an end marker (and lost); "Tutor's answer" and "Scripted prompt" not
    headings; '"..." (audio below)' kept its note; "Audio for A, then audio for B:" run into reply B; a JSON
    record over several lines below a sentence not read; "Round 3's challenge was:" and "I gave it this
    command:" introducing no question; "and this is what came out:" no reply."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[:2]      # noqa: E731
    after = judge_inputs.AFTER_AUDIO
    assert read("First clip: the user's request.", f"{after}\nSecond clip: reply A.", f"{after}\nThird clip: reply B.")[0] == \
        [("question", None, ""), ("reply", "A", ""), ("reply", "B", "")]
    sections, free = read("Which reply is better? End with exactly one line: Better: A  or  Better: B")
    assert sections == [] and "Better: B" in free
    assert read('Student\'s question: What is 4 times 3?\nTutor\'s answer: "well I think 4 times 3 is 12" (audio below)')[0] == \
        [("question", None, "What is 4 times 3?"), ("reply", None, "well I think 4 times 3 is 12")]
    assert read("Scripted prompt: what is 9 minus 4")[0] == [("question", None, "what is 9 minus 4")]
    assert read("Response A transcript: seven\nResponse B transcript: eight\n\nAudio for A, then audio for B:")[0] == \
        [("reply", "A", "seven"), ("reply", "B", "eight")]
    assert read('SxS item. The inputs are in the JSON below.\n{\n  "request": "spell lemon backwards",\n  "criterion": "overall"\n}')[0] \
        == [("question", None, "spell lemon backwards")]
    assert read("Round 3's challenge was:\n\nwhat is 6 times 7 say it loudly\n\nMaya's bot said:")[0][0] == \
        ("question", None, "what is 6 times 7 say it loudly")
    assert read("I gave it this command:\n\n    repeat after me green river\n\nand this is what came out:")[0] == \
        [("question", None, "repeat after me green river"), ("reply", None, "")]


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Write any notes, then put the verdict on the LAST line exactly as\n   VERDICT: PASS\n   or\n   VERDICT: FAIL", False,
     {"style": "template", "levels": ["FAIL", "PASS"], "template": ("VERDICT: ", "", "")}),
    ("Fill in the field below and return only that line:\nOVERALL_RATING: ___", False,
     {"style": "line", "slots": [("OVERALL_RATING", None)]}),
    ("please end with a line exactly like\n\nDelivery: 6/10\n\n(that 6 is just an example)", False,
     {"style": "template", "template": ("Delivery: ", "6", "/10")}),
    ("Using the five-point category scale Excellent, Good, Fair, Poor, Bad, reply with exactly one of those five words.", False,
     {"levels": ["Bad", "Poor", "Fair", "Good", "Excellent"]}),
    ("Grade it with one of these words:\nExcellent - correct and to the point\nGood - correct but wordy\nFair - almost right\n"
     "Poor - wrong\nBad - nonsense", False, {"levels": ["Bad", "Poor", "Fair", "Good", "Excellent"]}),
    ("Is the delivery good? Answer yes if it is good, no if there's a noticeable problem. One word: yes or no.", False,
     {"levels": ["no", "yes"]}),
    ("Reply with 'Score: N' only.", False, {"alone": True}),
    ("- Answer with exactly one token: 1 (Response 1 sounds better), 2 (Response 2 sounds better) or same (no difference).",
     True, {"labels": ["1", "2"], "tie": "same"}),
])
def test_answer_forms_of_batch_sixteen_and_the_fifth_plain_batch(rubric, pairwise, want):
    """Bugs caught: each answered in our own tag or on the wrong labels."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("Score the content. Do **not** take voice quality, volume or speed into account; a separate annotator handles delivery.",
     "semantic"),
    ("I only care whether the ANSWER is right -- the tone of voice is marked separately in another part, so ignore it.", "semantic"),
    ("Think about whether it is correct AND whether it sounds right. Rate from 1 to 10.", "holistic"),
    ("look at everything: whether the answer is right and whether it follows the requested speaking style.", "holistic"),
    ("Getting the answer right matters most, but speaking clearly also counts.", "holistic"),
    ("We already check the words, so don't worry about whether the answer is right. Does the speaking style match?",
     "acoustic"),
])
def test_rubric_axis_of_batch_sixteen_and_the_fifth_plain_batch(text, axis):
    """Bugs caught: markup left doubled spaces ("Do  not  take") so the negation was missed; "marked separately
    in another part" not a leaving-out; "whether it sounds right", "the answer is right" and "speaking clearly"
    named no side; and, once "the answer is right" counts, "don't worry about whether the answer is right"
    must still leave it out."""
    assert judge_axis.rubric_axis(text) == axis


def test_a_known_word_is_not_split_off_an_unknown_one():
    """Bug caught: "you said red kites" heard as "you said red kite s" (a one-letter unknown word at the end),
    scoring content 2 where the near miss scores 3."""
    assert judge_inputs.heard_words("you said red kites", {"you", "said", "red", "kite"}) == "you said red kites"


def test_inputs_of_batch_seventeen_and_the_sixth_plain_batch():
    """Bugs caught (batch 17, held out: 10 of 20 at 2e94c19; a sixth plain batch, 22 of 30): '"...".)' and
    'see attached audio. Logged transcript: "..."' kept around the words; 'Text of bot answer is: "...".
    Please ...' kept the rubric in the transcript; "[clip 1: user question]" not the question;
    "[Response A] transcript: ..." and "[Assistant 1] (transcript: ...)" not replies; "resp orth.: ..." not
    a heading; 'App X ("you said green rover"):' lost its words."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    after = judge_inputs.AFTER_AUDIO
    assert read(f'{after}\n(What it said, word for word: "lemon backwards is lemon".)') == [("reply", None, "lemon backwards is lemon")]
    assert read('Device response: see attached audio. Logged transcript: "the count is 4"') == [("reply", None, "the count is 4")]
    assert read('Text of bot answer is: "the larger is 37". Please you give one score from 1 until 5.') == \
        [("reply", None, "the larger is 37")]
    assert read("[clip 1: user question]", f"{after}\n[clip 2: assistant reply]") == [("question", None, ""), ("reply", "2", "")]
    assert read("Prompt: spell moon\n\n[Response A] transcript: moon backwards is moon", f"{after}\n[Assistant 2] (transcript: noom)") \
        == [("question", None, "spell moon"), ("reply", "A", "moon backwards is moon"), ("reply", "2", "noom")]
    assert read(f"prompt (txt): what is 9 minus 4\nresp (wav):\n\n{after}\nresp orth.: 9 minus 4 is 5") == \
        [("question", None, "what is 9 minus 4"), ("reply", None, "9 minus 4 is 5")]
    body = _two_clips(['App X ("you said green rover"):', 'App Y ("you said green river"):'], ["you said green rover",
                                                                                              "you said green river"],
                      "Which app did better overall? Please answer with only the letter of the app: X or Y.",
                      question='I gave both apps the same instruction: "repeat after me green river say it loudly".\n')
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["labels"], req["question"]) == ("compare", ["X", "Y"], "repeat after me green river say it loudly")
    assert [t for t, _, _ in req["replies"]] == ["you said green rover", "you said green river"]


@pytest.mark.parametrize("prose,question", [
    ('User asked: *"What is 6 times 7?"*', "What is 6 times 7?"),
    ('The user is asking to the bot: "which is larger 37 or 73". The bot is answering with this voice:', "which is larger 37 or 73"),
])
def test_the_question_quoted_in_emphasis_or_by_asking(prose, question):
    """Bugs caught: an emphasised quote kept its asterisks; "is asking to the bot" quoted no question."""
    sections, free = judge_request._their_inputs([prose])[:2]
    asked = sections[0][2] if sections and sections[0][0] == "question" else None
    assert judge_request._their_question(asked, free, "", []) == question


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("You check whether a spoken answer is correct.\nWrite one line: Verdict: correct\nor: Verdict: incorrect", False,
     {"style": "template", "levels": ["incorrect", "correct"], "template": ("Verdict: ", "", "")}),
    ('Respond with JSON: {"better": "A"}, {"better": "B"}, or {"better": "same"} when the delivery is equally good.', True,
     {"style": "json", "labels": ["A", "B"], "tie": "same"}),
    ("SCALE: 0.0, 0.25, 0.5, 0.75 or 1.0, where 1.0 = exactly correct and concise.", False, {"scale": (0, 1)}),
    ("Which is better overall? Reply with 1 or 2, or 0 if they are equally good. Just the digit.", True,
     {"style": "bare", "labels": ["1", "2"], "tie": "0"}),
])
def test_answer_forms_of_batch_seventeen_and_the_sixth_plain_batch(rubric, pairwise, want):
    """Bugs caught: each answered in our own tag or form ("tie" for "same"; a 1-5 scale for 0-1 in quarters)."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("## Task\nRate the content correctness.\n\n## What NOT to judge\n- voice quality, pitch, speed, loudness\n- grammar\n\n"
     "## Scale\n1 = wrong, 10 = right", "semantic"),
    ("Do not judge the voice.\nScore the correctness from 1 to 5.", "semantic"),        # a guard: one line, not the next
    ("Check: does the reply follow the speaking instruction and sound good? Content correctness is checked elsewhere.",
     "acoustic"),
    ("You check whether a spoken answer to a simple question is correct. Say nothing about voice or style.", "semantic"),
    ("Decide if the response is good overall: the answer must be right AND spoken well, following any requested speaking "
     "style.", "holistic"),
    ("Please not look if the number is correct, this I check after. Which one is speaking more natural?", "acoustic"),
])
def test_rubric_axis_of_batch_seventeen_and_the_sixth_plain_batch(text, axis):
    """Bugs caught: a "What NOT to judge" heading over its list left the list counted; "sound good", "the answer
    must be right" named no side; "Say nothing about voice or style" and "Please not look if ..." left nothing
    out. The guard: "Do not judge the voice." on a line of its own leaves out only its own line."""
    assert judge_axis.rubric_axis(text) == axis


def test_a_json_record_over_lines_of_its_own_is_read_in_linear_time():
    """A JSON record over lines of its own is looked for from every line "{" (a regex from each one to the
    next "}" took 1.8 s on 20,000 such lines, 0.5 ms on 2,000: quadratic); the toy listener's split of fast
    speech grows with its length only."""
    assert_linear(lambda n: judge_inputs.unjson("x\n" + "{\n" * n + "}\n"), 2000, 20000, rounds=3)
    known = {f"w{i}" for i in range(2000)}
    assert_linear(lambda n: judge_inputs.heard_words("a" * n, known), 1000, 10000, rounds=3)


def test_inputs_and_answers_of_batch_eighteen():
    """Bugs caught (batch 18, held out: 8 of 20 at 9e45a31): "The audio of the reply is attached below." run into
    the transcript; "key=value" lines of their own ("q=...", "A.txt=...") not read; "Reply A, transcript:" not a
    heading; "you have to pick one, no ties. just answer A or B" read as the labels "one" / "no" and the tie
    "ties"; "Bot's spoken response (transcript: ...)" (an apostrophe in the name) not read."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    after = judge_inputs.AFTER_AUDIO
    assert read('**Model reply (ASR transcript):** "6 times 7 is 41"\n\nThe audio of the reply is attached below.') == \
        [("reply", None, "6 times 7 is 41")]
    assert read("pairwise | ties=not allowed\nq=repeat after me red kite\nA.txt=you said red bite\nA.wav=",
                f"{after}\nB.txt=you said red kite\nB.wav=") == \
        [("question", None, "repeat after me red kite"), ("reply", "A", "you said red bite"), ("reply", "B", "you said red kite")]
    assert read('Reply A, transcript: "seven"', f'{after}\nReply B, transcript: "eight"') == [("reply", "A", "seven"), ("reply", "B", "eight")]
    assert read('Bot\'s spoken response (transcript: "the larger is 83"):') == [("reply", None, "the larger is 83")]
    fmt = judge_rubric.answer_format("which sounds better? you have to pick one, no ties. just answer A or B", True)
    assert fmt.get("labels", ["A", "B"]) == ["A", "B"] and fmt["tie"] == "tie" and fmt.get("forced")
    assert judge_rubric.answer_format("pairwise | ties=not allowed | out: winner=<A|B>", True).get("forced")


@pytest.mark.parametrize("heading,kind", [
    ("Prompt under test", ("question", None)),
    ("User was asking", ("question", None)),
    ("The user ask", ("question", None)),
    ("Customer", ("question", None)),
    ("Player line", ("question", None)),
    ("Visitor request typed at the kiosk", ("question", None)),
    ("Scripted caller question", ("question", None)),
    ("Client prompt card", ("question", None)),
    ("Stimulus (the instruction the model heard)", ("question", None)),
    ("Direction given to the talent", ("question", None)),
    ("The line the actor was answering", ("question", None)),
    ("That was the assistant's reply to", ("question", None)),
    ("Both recordings below are answers to", ("question", None)),
    ("Evaluate two voice responses to the question", ("question", None)),
    ("The user's request that this recording answers was", ("question", None)),
    ("The customer's request for both recordings was", ("question", None)),
    ("Master recording", ("reply", None)),
    ("Pip's line (subtitle track)", ("reply", None)),
    ("Agent reply A - transcript", ("reply", "A")),
    ("Take to review", ("reply", None)),
    ("Transcript of the answer above", ("reply", None)),
    ("Here is the recording of one student's assistant answering", None),     # a guard: a reply answering, not a question
    ("System prompt", None),                                                   # a guard: the judge's own
])
def test_headings_others_name_their_inputs_with(heading, kind):
    """Bugs caught (held-out rounds 7-11, 2026-12-06): each heading named nothing (or, for "Agent reply A -
    transcript", no label), so its question or reply was missed. The guards: a heading about a reply that is
    answering ("... assistant answering") is no question; "System prompt" is the judge's."""
    assert judge_inputs.heading_kind(heading) == kind


def test_inputs_of_rounds_seven_to_eleven():
    """Bugs caught (held-out rounds 7-11, 2026-12-06: batches 18-23, plain 7-12): a question given on its
    heading's line ran on into the next line about the replies ('Both answers say "21".') or the next
    paragraph; "Q: ... / A (transcribed): ..." and "[user] ... / [model transcript] ..." not read; a YAML
    record's 'text: "..."' kept its key; "<audio>", "(attached)" and "not provided, listen to the recording"
    taken for words; a code block's closing fence kept in the transcript; emoji before a heading; a sentence
    run on into 'Question: ... Bot reply text: "...". Audio:'; "**Output:** a single line ..." read as a reply;
    "<p><b>Question:</b> ...</p>" not a heading."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    after = judge_inputs.AFTER_AUDIO
    assert read('Request to the assistant: which is larger 12 or 21\nBoth answers say "21". Which audio sounds better?\n\nAudio 1:',
                f"{after}\nAudio 2:") == [("question", None, "which is larger 12 or 21"), ("reply", "1", ""), ("reply", "2", "")]
    assert read("The user asked: What is 9 plus 8?\n\nThe assistant's reply is in the audio below. "
                'Transcript: "sorry I do not know"') == [("question", None, "What is 9 plus 8?"), ("reply", None, "sorry I do not know")]
    assert read("Q: What is 8 times 9?\nA (transcribed): 8 times 9 is 63") == \
        [("question", None, "What is 8 times 9?"), ("reply", None, "8 times 9 is 63")]
    assert read("[user] what is 9 minus 4\n[model transcript] 9 minus 4 is 6\n[model audio]") == \
        [("question", None, "what is 9 minus 4"), ("reply", None, "9 minus 4 is 6")]
    assert read('user_turn:\n  text: "What is 3 plus 4"\nassistant_turn:\n  transcript: "3 plus 4 is 8"') == \
        [("question", None, "What is 3 plus 4"), ("reply", None, "3 plus 4 is 8")]
    assert read('prompt="how many letters in garden"\nresp=<audio>') == [("question", None, "how many letters in garden"),
                                                                           ("reply", None, "")]
    assert read("reply_txt: 8 plus 5 is 12\nreply_wav: (attached)") == [("reply", None, "8 plus 5 is 12")]
    assert read("1. Request: what is 9 minus 4\n2. Transcript: not provided, listen to the recording") == \
        [("question", None, "what is 9 minus 4"), ("reply", None, "")]
    assert read("```\nquestion: how many letters in bread\nassistant_transcript: the count is 4\n```\nHere's the audio:") == \
        [("question", None, "how many letters in bread"), ("reply", None, "the count is 4")]
    assert read("\u2753 Question: what is 9 minus 4\n\U0001f4dd Reply transcript: 9 minus 4 is 5") == \
        [("question", None, "what is 9 minus 4"), ("reply", None, "9 minus 4 is 5")]
    assert read('We test our bot. Question: what is 6 times 7. Bot reply text: "6 times 7 is". Audio:') == \
        [("question", None, "what is 6 times 7"), ("reply", None, "6 times 7 is")]
    assert read("**Output:** a single line `Preferred: A` or `Preferred: B`.\n\n**User utterance:** repeat after me green river") \
        == [("question", None, "repeat after me green river")]
    assert read("<p><b>Question:</b> spell lemon backwards</p>\n<p><b>Answer (transcript):</b> lemon backwards is lemon</p>") \
        == [("question", None, "spell lemon backwards"), ("reply", None, "lemon backwards is lemon")]


def test_inputs_of_rounds_seven_to_eleven_in_a_whole_request():
    """Bugs caught: a worked example (a user turn with its clips, answered by an assistant turn) read as the
    inputs, so the example's question was scored; the question named only after the clips ("The customer's
    request for both recordings was: ...") or only in the instructions ("The listener's question for this item
    is: ...") not read; two clips labelled "Second clip: Nova's rendering" / "Third clip: Echo's rendering"
    (ordinals aside, one word apart) not a comparison under their names."""
    def turn(*parts):
        return {"role": "user", "content": [{"type": "text", "text": p} if isinstance(p, str) else audio_part(*spoken(*p)[1:])
                                            for p in parts]}
    system = {"role": "system", "content": "For each call you get two recordings: first the customer's question, then the "
                                           "agent's spoken answer. Answer YES if the answer is correct, NO if it is not."}
    body = {"messages": [system, turn("Customer's question:", ("what is 2 plus 2",), "Agent's answer:", ("2 plus 2 is 4",)),
                         {"role": "assistant", "content": "YES"},
                         turn("Customer's question:", ("what is 9 minus 4",), "Agent's answer:", ("9 minus 4 is 4",))]}
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"], [t for t, _, _ in req["replies"]]) == ("score", "what is 9 minus 4", ["9 minus 4 is 4"])
    body = {"messages": [{"role": "system", "content": "Rate them overall. Finish with VERDICT: P or VERDICT: Q."},
                         turn("Recording P:", ("the smaller is 18", "sadly"), "Recording Q:", ("the smaller is 18", "loudly"),
                              "The customer's request for both recordings was: which is smaller 18 or 81 say it sadly")]}
    assert judge_request.parse_judge_request(body)["question"] == "which is smaller 18 or 81 say it sadly"
    body = {"messages": [{"role": "system", "content": "The listener's question for this item is: spell drum backwards\n"
                                                       "Rate the reply from 1 to 5."}, turn("Reply:", ("drum backwards is murd",))]}
    assert judge_request.parse_judge_request(body)["question"] == "spell drum backwards"
    body = {"messages": [{"role": "system", "content": "Which vendor sounds more natural? Answer in the form: Winner: <Nova or Echo>"},
                         turn("First clip: the user's spoken request.", ("repeat after me green river say it sadly",),
                              "Second clip: Nova's rendering of the reply.", ("you said green river", "happily"),
                              "Third clip: Echo's rendering of the reply.", ("you said green river", "sadly"))]}
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["labels"]) == ("compare", ["Nova", "Echo"])


@pytest.mark.parametrize("prose,question", [
    ('Our quiz NPC got the player line "What is 9 minus 4 say it slowly". Two builds answered.', "What is 9 minus 4 say it slowly"),
    ('I asked two speech models to "spell lamp backwards". Which one gave the correct answer?', "spell lamp backwards"),
    ('The prompt I gave it was "how many letters in garden say it sadly" (she likes it gloomy).',
     "how many letters in garden say it sadly"),
    ("The host's cue to the voice was: \"how many letters in bread say it quietly\".", "how many letters in bread say it quietly"),
    ('Hello. The user ask to the assistant: "what is 9 minus 4 say it sadly". I have two recordings.',
     "what is 9 minus 4 say it sadly"),
])
def test_the_question_quoted_in_prose_of_rounds_seven_to_eleven(prose, question):
    """Bugs caught: a question quoted after "the player line", "asked two speech models to", "The prompt I gave
    it was", "cue to the voice was" or "ask to the assistant" was not read (empty question)."""
    sections, free = judge_request._their_inputs([prose])[:2]
    asked = sections[0][2] if sections and sections[0][0] == "question" else None
    assert judge_request._their_question(asked, free, "", []) == question


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("End your answer with: Overall: <1-5>", False, {"style": "line", "slots": [("Overall", None)]}),
    ("response_format: |\n  overall: <integer 0-10>", False, {"style": "line", "slots": [("overall", None)]}),
    ('Answer with `1`, `2`, or `same`, on a line starting with "Better:".', True, {"style": "line", "slots": [("Better", None)]}),
    ("Write your grade as N/10.", False, {"style": "template", "template": ("", "N", "/10")}),
    ("Give your rating in the format N/10.", False, {"style": "template", "template": ("", "N", "/10")}),
    ("Write your decision on the first line as ACCEPT or REJECT.", False, {"levels": ["REJECT", "ACCEPT"]}),
    ("Respond with YES if the answer is correct and NO if it is not. Output nothing else.", False, {"levels": ["NO", "YES"]}),
    ("on one line reading 'Determination: COMPLIANT' or 'Determination: NON-COMPLIANT'.", False,
     {"style": "template", "levels": ["NON-COMPLIANT", "COMPLIANT"]}),
    ('Return a JSON object with integer values for the keys "content", "delivery" and "overall".', False,
     {"style": "json", "slots": [("content", "semantic"), ("delivery", "acoustic"), ("overall", "holistic")]}),
    ('output:\n  format: json\n  keys:\n    preferred: "A" or "B"\n    confidence: number between 0 and 1', True,
     {"style": "json", "slots": [("preferred", None)]}),
    ("Write the point inside tag like this: <point>NUMBER</point>", False, {"style": "tag", "slots": [("point", None)]}),
    ("output ONLY the int. no words, no json", False, {"style": "bare"}),
    ("- out: digit only", False, {"style": "bare"}),
    ("output_format=bare_integer", False, {"style": "bare"}),
    ("Answer with exactly one word: LEFT or RIGHT.", True, {"style": "bare", "labels": ["LEFT", "RIGHT"]}),
    ("Respond with one letter, A or B.", True, {"style": "bare", "alone": True}),
    ("Answer with the speaker's colour only: Red or Blue.", True, {"style": "bare", "alone": True}),
    ("eval-bot v2. output format strictly: score=<value>. no prose.", False, {"alone": True}),
    ("Answer with the winning voice's name, e.g. <winner>Aria</winner>, or <winner>TIE</winner> if neither is better.", True,
     {"style": "tag", "tie": "TIE", "labels": None}),
    ("<response_format>Grade: N/5</response_format>", False, {"style": "line", "slots": [("Grade", None)], "suffix": "/5"}),
])
def test_answer_forms_of_rounds_seven_to_eleven(rubric, pairwise, want):
    """Bugs caught: each answered in our own <score>/<choice> tag, or with a justification where the rubric
    wanted the value alone, or (Aria/TIE) took the tie for the second label."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("rubric,scale", [
    ("scale:\n  min: 1   # completely wrong\n  max: 10  # fully correct", (1, 10)),
    ("scale_min=0\nscale_max=10", (0, 10)),
    ("You'll use 0 to 10, where 0 means completely wrong and 10 means exactly right.", (0, 10)),
])
def test_scales_of_rounds_seven_to_eleven(rubric, scale):
    """Bugs caught: a YAML range with comments, "scale_min="/"scale_max=" and "use 0 to 10" read as 1-5."""
    assert judge_scale.named_scale(rubric) == scale


@pytest.mark.parametrize("text,axis", [
    ("You are a trained listener. You rate speech delivery, not meaning.", "acoustic"),
    ("I'm NOT asking whether the answer is right. I'm only asking which one sounds more natural.", "acoustic"),
    ("Please consider whether what it said is right, and whether the way it said it suits the request.", "holistic"),
    ("Mark it as a whole: is it right, and is it said clearly?", "holistic"),
    ("Decide whether the information is correct. Tone, pace and volume are scored in items 6-8, NOT here.", "semantic"),
    ("Decide which agent said the more correct thing. Volume, tone and speed are audited separately by our voice team, "
     "so do NOT factor them in.", "semantic"),
    ("\U0001f3af Rate how well it DELIVERS its answer.\n\n\U0001f6ab IGNORE\n- Whether the answer is correct.\n\n"
     "\U0001f4cf SCALE\n1 = terrible, 5 = perfect", "acoustic"),
    ("instructions:\n  criterion: naturalness\n  meaning: which reply sounds more natural and better matches the requested "
     "emotion, volume and pace\n  ignore: correctness of the content\n  allow_tie: false", "acoustic"),
    ("Give a correctness score from 0 to 10 (10 = exactly right; delivery does not matter).", "semantic"),
    ("Rate the reply (is it correct? does its voice fit?) from 1 to 5.", "holistic"),      # a guard: no cue
    ("Which is better overall (correct answer and good speech)?", "holistic"),
    ("Which answer helps more? Ignore whether the arithmetic is right; we rate correctness in a separate study. "
     "Judge how natural it sounds.", "acoustic"),
    ("Ada never comments on whether a line is factually right - she leaves that to the fact-checkers. She judges only the "
     "performance: is every word clear, and are the volume and pace what the direction called for?", "acoustic"),
])
def test_rubric_axis_of_rounds_seven_to_eleven(text, axis):
    """Bugs caught: ", not meaning", "NOT asking whether", "scored in items 6-8", "audited separately by our voice
    team", "do NOT factor them in", an "IGNORE" heading over its list, "we rate correctness in a separate study"
    and "never comments on" left nothing out; "the way it said it", "said clearly", "good speech" named no side;
    a YAML "meaning:" key read as content; a cue inside a parenthesis left out the whole sentence around it.
    The guard: a parenthesis with no cue leaves both sides in."""
    assert judge_axis.rubric_axis(text) == axis


def test_the_question_the_rubric_quotes_is_not_read_for_its_axis():
    """Bug caught: 'The caller said: "repeat after me green river say it loudly"' counted "loudly" as a delivery
    cue, so a content-only comparison was read as overall."""
    body = _two_clips(["Agent A:", "Agent B:"], ["you said green river", "you said green river"], "",
                      system='The caller said: "repeat after me green river say it loudly". Decide which agent said the more '
                             "correct and useful thing. Reply with exactly one of: A, B, SAME.")
    assert judge_request.parse_judge_request(body)["axis"] == "helpfulness"


def test_inputs_and_forms_of_round_twelve():
    """Bugs caught (held-out round 12, 2026-12-06: batch 24, plain 13, 10 of 20 and 27 of 30 at 75c0748): a
    worked example's "Question:" / "Reply:" lines read as the inputs (the example scored, not the item); a
    question quoted after "The question that was asked by the user is given as:" or "this request, which I voiced
    to the assistant:" not read; "Driver utterance (from the test script)" no heading; "Reply with the number.",
    "a bare decimal number" and "Answer with just 'Take 1' or 'Take 2'" answered in our tag; options in a
    one-line paragraph's last sentence ("... RESULT: PASS or RESULT: FAIL.") lost among its commas."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    assert read('Rate it 1-5.\n\nWorked example (for calibration only, do not score it):\n  Question: "what is 6 times 7"\n'
                '  Reply: "banana phone 12"\n  Score: 2.\n\nNow the real item.\nQuestion: "repeat after me green river"\n'
                'Reply: "you said green river"') == [("question", None, '"repeat after me green river"'),
                                                      ("reply", None, "you said green river")]
    for prose in ('The question that was asked by the user is given as: "what is 3 plus 8"',
                  'My client signed this request, which I voiced to the assistant: "what is 3 plus 8"'):
        sections, free = judge_request._their_inputs([prose])[:2]
        assert judge_request._their_question(None, free, "", []) == "what is 3 plus 8"
    assert judge_inputs.heading_kind("Driver utterance (from the test script)") == ("question", None)
    for rubric in ("Rate the answer's correctness. 1 to 5.\nReply with the number. Nothing else.",
                   "The score is to be returned as a bare decimal number, with no other text."):
        assert judge_rubric.answer_format(rubric)["style"] == "bare"
    fmt = judge_rubric.answer_format("No ties, I need one. Answer with just 'Take 1' or 'Take 2'.", True)
    assert (fmt["style"], fmt["template"], fmt["labels"]) == ("template", ("Take ", "", ""), ["1", "2"])
    fmt = judge_rubric.answer_format("You are the gate for build 7.3.0-rc2, the in-dash assistant. Judge the response as a "
                                     "whole. Write exactly one line: RESULT: PASS or RESULT: FAIL.")
    assert (fmt["style"], fmt["template"], fmt["levels"]) == ("template", ("RESULT: ", "", ""), ["FAIL", "PASS"])


@pytest.mark.parametrize("text,axis", [
    ("Here are two audio replies. Ignoring the content, which one sounds better as speech (clarity, volume, pace, tone)?",
     "acoustic"),
    ("Rate the answer overall (correctness and how good it sounds) from 0 to 100.", "holistic"),
    ("Decide which reply has the better speech delivery: clear pronunciation, natural pace. The correctness of the words "
     "is not your concern.", "acoustic"),
    ("I'm picking the take for its sound only: natural, clean, clear. Copy accuracy is someone else's job.", "acoustic"),
    ("Judge the response as a whole: the answer has to be right AND it has to be spoken the way the driver asked.",
     "holistic"),
])
def test_rubric_axis_of_round_twelve(text, axis):
    """Bugs caught: "Ignoring the content, which one sounds better ..." left the whole question out (the comma
    before "which" did not end the left-out clause) and "sounds better" named no side; "how good it sounds" and
    "has to be right" named no side; "is not your concern" and "is someone else's job" left nothing out."""
    assert judge_axis.rubric_axis(text) == axis


def test_inputs_and_questions_of_round_thirteen():
    """Bugs caught (held-out round 13, 2026-12-06: batch 25, plain 14, 10 of 20 and 25 of 30 at f462f41): "The player
    character says to the wizard NPC:" and "Child's question played to both units:" named no question (the question
    was lost); a transcript on its heading's line ran on into the next paragraph when that paragraph ordered
    "Decide whether ..." or "Explain your reasoning, then ..."; "the user's spoken question and the model's spoken
    answer. ... the answer's content" read as a question quoted between the two apostrophes."""
    assert judge_inputs.heading_kind("The player character says to the wizard NPC") == ("question", None)
    assert judge_inputs.heading_kind("Child's question played to both units") == ("question", None)
    assert judge_inputs.heading_kind("The assistant said to the user") == ("reply", None)      # a guard: who says it
    for rubric in ("Decide whether this reply is acceptable overall. Explain briefly, then end with 'Verdict: PASS'.",
                   "Explain your reasoning, then finish with one line: 'Final verdict: Response 1' or 'Final verdict: Tie'."):
        sections = judge_request._their_inputs([f"User question: how many letters in bread\n\nReply transcript: the count "
                                                f"is 6\n\n{rubric}"])[0]
        assert sections == [("question", None, "how many letters in bread"), ("reply", None, "the count is 6")]
    rubric = ("You will receive the user's spoken question and the model's spoken answer. Grade ONLY the correctness of "
              "the answer's content on a 1-10 scale.")
    assert judge_request._their_question(None, "", rubric, []) == ""
    assert judge_request._their_question(None, "", "The user asked 'what is 3 plus 8' today.", []) == "what is 3 plus 8"


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Which take do we keep? Answer with one line: Pick: Take 1, Pick: Take 2, or Pick: Neither (if they are equally good).",
     True, {"style": "template", "template": ("Pick: ", "", ""), "labels": ["Take 1", "Take 2"], "tie": "Neither"}),
    ("After the two checklists, finish with one line naming the response with the better delivery: FINAL: A, FINAL: B or "
     "FINAL: TIE", True, {"style": "template", "template": ("FINAL: ", "", ""), "labels": ["A", "B"], "tie": "TIE"}),
    ("Which answer is more correct? Reply with exactly one of: Answer 1, Answer 2, Same", True,
     {"style": "bare", "labels": ["Answer 1", "Answer 2"], "tie": "Same"}),
    ("Which voice sounds better? Reply with exactly Voice X, Voice Y, or SAME if you can't tell them apart.", True,
     {"style": "bare", "labels": ["Voice X", "Voice Y"], "tie": "SAME"}),
    ("Which build was better? Answer with the build number only (4.2 or 4.3), or 'no preference' if they are equally good.",
     True, {"style": "bare", "alone": True, "labels": ["4.2", "4.3"], "tie": "no preference"}),
    ("Answer with exactly one of: A>B (A is delivered better), B>A (B is delivered better), A=B (equally good).", True,
     {"style": "bare", "labels": ["A>B", "B>A"], "tie": "A=B"}),
    ('{"task": "pairwise", "output": "a JSON object {\\"winner\\": \\"first\\" | \\"second\\" | \\"equal\\"} and nothing else"}',
     True, {"style": "json", "slots": [("winner", None)], "labels": ["first", "second"], "tie": "equal"}),
    ('Respond with only a JSON object of the form {"answer_correct": "YES"} or {"answer_correct": "NO"}.', False,
     {"style": "json", "slots": [("answer_correct", None)], "levels": ["NO", "YES"]}),
    ("clip_id: vx_0193\nOutput exactly one CSV row with the columns clip_id,overall_score and no header row.", False,
     {"style": "template", "template": ("vx_0193,", "N", ""), "alone": True}),
    ("Output exactly one CSV row, no header, no commentary, columns clip_id,overall_1to10. The clip_id for this item is "
     "vb-0417.", False, {"template": ("vb-0417,", "N", "")}),
    ("- id: r-00871\nReturn CSV: a header line `id,answer_accuracy` followed by one data line. No other text.", False,
     {"template": ("id,answer_accuracy\nr-00871,", "N", "")}),
    ("Write X, Y or EQUAL on the first line, then one line of justification.", True,      # a guard: "Y or" is no label
     {"style": "bare", "labels": ["X", "Y"], "tie": "EQUAL"}),
    ("Return CSV with the columns clip_id,score.", False, {"style": "tag"}),     # a guard: no id given, no row to fill
])
def test_answer_forms_of_round_thirteen(rubric, pairwise, want):
    """Bugs caught: each answered in our own <choice> / <score> tag, or under the wrong labels: options of two words
    ("Take 1", "Answer 1", "Voice X") or with a note after one ("Neither (if ...)"), a sentence's commas before the
    first option, labels in a parenthesis and a tie of two quoted words, the A>B / B>A / A=B relations, a JSON
    object's escaped quotes, a JSON object's YES / NO values as a verdict (answered 3), and a CSV row to fill
    with the clip's id (three batches wrote one). The guards: "Y or" is not a two-word label; a CSV row whose
    other column's value the rubric never gives is not guessed."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("=== VOICEBOT QA SCORECARD ===\nScoring guidance: assess the interaction as a whole, i.e. accuracy of what the bot "
     "said AND how it said it.", "holistic"),
    ("Only the correctness of what the assistant says is in scope; audio quality is validated separately.", "semantic"),
    ("Judge each reply as a whole (is the answer right, and is it spoken well) and tell me which unit did better.",
     "holistic"),
])
def test_rubric_axis_of_round_thirteen(text, axis):
    """Bugs caught: the title "VOICEBOT QA SCORECARD" read as a delivery title (the product's name, as "voice
    assistant"); "Only ... is in scope" did not narrow and "validated separately" left nothing out; "spoken well"
    named no side, so "as a whole" with "the answer is right" read as content only."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Finish with one line: VERDICT: P, VERDICT: Q, or VERDICT: EQUAL if they are equally good.", True,
     {"style": "template", "template": ("VERDICT: ", "", ""), "labels": ["P", "Q"], "tie": "EQUAL"}),
    ("If the two sound equally good, say No preference. Reply with exactly one of: Alpha, Beta, No preference.", True,
     {"style": "bare", "labels": ["Alpha", "Beta"], "tie": "No preference"}),
    ("Verdict options: BASELINE, CANDIDATE, or NO_PREFERENCE when their delivery is equally good. Output format: "
     "`verdict=<option>`", True, {"style": "template", "template": ("verdict=", "<option>", ""),
                                  "labels": ["BASELINE", "CANDIDATE"], "tie": "NO_PREFERENCE"}),
    ("tie allowed if equally good. reply w/ one line: verdict=A | verdict=B | verdict=TIE", True,    # a guard: the
     {"template": ("verdict=", "", ""), "labels": ["A", "B"], "tie": "TIE"}),                      # "if" is no answer's
])
def test_answer_forms_left_out_in_earlier_rounds(rubric, pairwise, want):
    """Bugs caught (prompts of batches 21, 23 and 24, misread and left out until 2026-12-06, fixed at 4e7e1f5): the
    tie's condition ("EQUAL if they are equally good") kept the options from reading; "No preference" read as
    labels "Alpha" / "Bet" and tie "a" (no word boundary); "Verdict options:" listed no answers to fill
    "`verdict=<option>`" with. The guard: stripping a condition must not eat an answer after a sentence's "if"."""
    assert_answer_form(rubric, pairwise, want)


def test_an_answer_heading_that_orders_is_the_answers_form():
    """Bug caught (batch 23's crowd-work prompt, left out until 4e7e1f5): "Answer: type LEFT or RIGHT." read as a
    reply headed "Answer" (so the rubric lost its answer form, and the judge answered <choice>2</choice>)."""
    body = _two_clips(["LEFT clip:", "RIGHT clip:"], ["you said green river", "you said green river"], "",
                      question="A voice assistant was asked: repeat after me green river\n\nPick the clip whose delivery is "
                               "more natural. There is no 'same' option: pick one.\nAnswer: type LEFT or RIGHT.\n")
    req = judge_request.parse_judge_request(body)
    assert (req["format"]["style"], req["format"]["labels"]) == ("bare", ["LEFT", "RIGHT"])


def _request(*messages):
    """A body from (role, [text or ("audio", TEXT, STYLE)]) pairs, each audio spoken by the toy codec."""
    parts = lambda items: [{"type": "text", "text": x} if isinstance(x, str) else      # noqa: E731
                           {"type": "input_audio", "input_audio": {"data": f"@speak:{x[1]}|{x[2]}", "format": "wav"}}
                           for x in items]
    return with_speech({"messages": [{"role": role, "content": items if isinstance(items, str) else parts(items)}
                                     for role, items in messages]})


def test_inputs_of_round_fourteen_in_a_whole_request():
    """Bugs caught (held-out round 14, 2026-12-06: batch 26, plain 15, 5 of 20 and 26 of 30 at 4e7e1f5): the question
    and transcripts given in the system message over a user turn of audio only were not read (the question
    empty); a question played in an earlier user turn that the assistant only acknowledged ("Got it. Please play
    the assistant's reply.") was dropped as a worked example; "q = user request, r = device reply" defined the
    headings "q:" / "r:" and "r:" was read as the reply's words; "Reply with the vendor name only." under
    "Clip 1 (Northwind):" / "Clip 2 (Bluejay):" answered "2"."""
    req = judge_request.parse_judge_request(_request(
        ("system", "Compare two spoken replies and pick the better one overall.\n\nUser's question: which is larger 23 or "
                   "58 say it loudly\nReply A transcript: the larger is 23\nReply B transcript: the larger is 58\n\n"
                   "Output your decision as <verdict>A</verdict>, <verdict>B</verdict> or <verdict>tie</verdict>."),
        ("user", [("audio", "the larger is 23", "loudly"), ("audio", "the larger is 58", "")])))
    assert (req["mode"], req["question"], [t for t, _, _ in req["replies"]]) == \
        ("compare", "which is larger 23 or 58 say it loudly", ["the larger is 23", "the larger is 58"])
    req = judge_request.parse_judge_request(_request(
        ("user", ["I'll play you the caller's question first and then the assistant's reply."]),
        ("assistant", "Understood. Please play the caller's question."),
        ("user", ["Caller's question:", ("audio", "what is 7 plus 8", "")]),
        ("assistant", "Got it. Please play the assistant's reply."),
        ("user", ["Assistant's reply:", ("audio", "7 plus 8 is 16", ""), "Rate its correctness 1-5. Output only <score>N</score>."])))
    assert req["question"] == "what is 7 plus 8"
    req = judge_request.parse_judge_request(_request(
        ("system", "smart-home QA. each item: q = user request, r = device reply (audio). rate r 1-5. output: single digit."),
        ("user", ["q: spell moon backwards say it quietly\nr:", ("audio", "moon backwards is noom", "loudly")])))
    assert (req["question"], req["replies"][0][0]) == ("spell moon backwards say it quietly", "moon backwards is noom")
    req = judge_request.parse_judge_request(_request(("user", [
        'The scripted request is: "repeat after me red kite say it happily". Judge the voice only.\n\nClip 1 (Northwind):',
        ("audio", "you said red kite", "sadly"), "Clip 2 (Bluejay):", ("audio", "you said red kite", "happily"),
        "Reply with the vendor name only."])))
    assert req["labels"] == ["Northwind", "Bluejay"] and judge.ToyJudge().answer(req).strip() == "Bluejay"


def test_inputs_and_questions_of_round_fourteen():
    """Bugs caught: "3.1 Customer question (verbatim):" (a two-level number) and "Caller utterance under test",
    "Patient-side test question", "Captured speaker output" named nothing; "Oracle question:" (the judge's, after
    the reply) was taken for the user's; "attached audio clip" and "audio recording below (no transcript was
    supplied)." were read as the reply's words; "Field 2 - Response: the recording above" ran on into "Field 3 -
    Overall score: ..."; 'says to the robot sidekick: "..."' and "the question was what is 8 times 9" gave no
    question. The guards: "Speaker" alone is no input, and "the question of the user, second audio is what my
    model is answering" names no question."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    assert read('3. Test item\n   3.1 Customer question (verbatim): "What is 9 minus 4?"\n   3.2 Assistant response: audio '
                'recording below (no transcript was supplied).') == [("question", None, '"What is 9 minus 4?"'), ("reply", None, "")]
    assert read('{"learner_question": "what is 5 times 6", "tutor_reply": "attached audio clip"}') == \
        [("question", None, "what is 5 times 6"), ("reply", None, "")]
    assert read("REVIEW FORM\nField 1 - Visitor request: repeat after me moon river\nField 2 - Response: the recording above\n"
                "Field 3 - Overall score: use 0 to 1.") == [("question", None, "repeat after me moon river"), ("reply", None, "")]
    for heading, kind in (("Caller utterance under test", ("question", None)), ("Patient-side test question", ("question", None)),
                          ("Captured speaker output", ("reply", None)), ("Oracle question", None), ("Speaker", None)):
        assert judge_inputs.heading_kind(heading) == kind, heading
    for prose, question in (('In one scene a character says to the robot sidekick: "repeat after me moon river".',
                             "repeat after me moon river"),
                            ("which is better overall. the question was what is 8 times 9", "what is 8 times 9"),
                            ("First audio is the question of the user, second audio is what my model is answering.", "")):
        assert judge_request._their_question(None, prose, prose, []) == question, prose


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Respond with exactly one word: YES if the answer is correct, NO if it is not.", False, {"levels": ["NO", "YES"]}),
    ("scale 0-10\nout: bare int, nothing else", False, {"style": "bare"}),
    ("Write exactly one line:\nCorrectness preference: <A|B|Equal>\nDo not add explanations.", True,
     {"style": "line", "labels": ["A", "B"], "tie": "Equal"}),
    ('Field 3 - Overall score: use 0 to 1 in steps of 0.25.\n\nReturn only the completed Field 3 line, e.g. "Field 3: 0.50".',
     False, {"style": "line", "slots": [("Field 3", None)], "scale": (0, 1)}),
    ("first one is a second one is b. just say a or b no explanation pls", True, {"labels": ["a", "b"]}),
    ("Answer with the mascot's name (Pip or Mo), or Both if they're equally good.", True,
     {"style": "bare", "alone": True, "labels": ["Pip", "Mo"], "tie": "Both"}),
    ("Return only the completed line:\nOverall Score: ___", False, {"style": "line", "slots": [("Overall Score", None)]}),   # a guard
])
def test_answer_forms_of_round_fourteen(rubric, pairwise, want):
    """Bugs caught: each answered in our own tag, or under the default labels and tie: "YES if ..., NO if ..." after
    "with exactly one word:" (more than 20 characters from the verb), "bare int", a placeholder listing the
    answers, "the completed Field 3 line", "just say a or b" (answered "B"), the names in a parenthesis after "Answer
    with the mascot's name". The guard: a completed line that names no field keeps the line the rubric shows."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("SPOKEN DIALOGUE PREFERENCE ANNOTATION - GUIDELINE v2.3\nDimension C: Correctness (annotator handbook)\n\nCompare two "
     "responses. Delivery and Overall preference are annotated in separate passes by other annotators.\n- Delivery: "
     "loudness, pace, pitch. NOT assessed in this pass.", "semantic"),
    ("# npc_voice_review.yaml\n# pick the better one OVERALL: right answer AND spoken the way the player asked.", "holistic"),
    ("Task: rate the prosody and delivery of a reply on a 1-5 scale.\n1 = very poor (clearly wrong loudness/pace for the "
     "request)\nDo not consider whether the reply's content is correct.", "acoustic"),
    ("## ANNOTATION TASK #A-55817\nProject: VoiceQA-Overall\n\nGive ONE overall rating: what was said and how it was said.",
     "holistic"),
    ("Evaluation criteria for voice replies:\n1. Is the content correct?\n2. Is the speech clear and natural?", "holistic"),   # a guard
])
def test_rubric_axis_of_round_fourteen(text, axis):
    """Bugs caught: a subtitle under the title ("Dimension C: Correctness") was not read, nor "in separate passes"
    (so both sides stayed: overall); a YAML file's name ("npc_voice_review.yaml") read as a delivery title;
    "wrong loudness" read as a content cue; "VoiceQA" (a project's name) read as a voice cue. The guard: a
    numbered criterion under the title is no subtitle."""
    assert judge_axis.rubric_axis(text) == axis


def test_inputs_and_questions_of_round_fifteen():
    """Bugs caught (held-out round 15, 2026-12-06: batch 27, plain 16, 12 of 20 and 27 of 30 at 013c73e): "we gave it
    this test instruction: ..." named no question ("instruction" read as the judge's); "Script as performed" named
    no reply, so the question ran on into it; "customer_utterance: ..." ran on into "agent_name: ..."; "Reference
    answer: 5" ran on into the next paragraph (the reference read as "5 ... Two replies follow."); a tab-separated
    export's rows were not read; "Listener call-in (VO)" named nothing; "A guest said to the concierge at 23:40:
    **...**" split at the time's colon; "the prompt we fed both our bots was 👉 what is 3 plus 5" gave no
    question, and 'bot A (it said "3 plus 5 is 9")' was taken for it. The guard: "The bot says to the user" is
    still a reply's heading (who says it, whoever it is said to)."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    assert read("Before the matinee we gave it this test instruction: repeat after me red kite\n\nTake 1:") == \
        [("question", None, "repeat after me red kite"), ("reply", "1", "")]
    assert read("Direction given to the voice: what is 9 minus 4\nScript as performed: 9 minus 4 is 5") == \
        [("question", None, "what is 9 minus 4"), ("reply", None, "9 minus 4 is 5")]
    assert read("customer_utterance: spell frog backwards\nagent_name: KioskVoice v4.1\nagent_response_transcript: frog") == \
        [("question", None, "spell frog backwards"), ("reply", None, "frog")]
    assert read("Question: what is 9 minus 4\nReference answer: 5\n\nTwo voice assistant replies follow.\nReply A:") == \
        [("question", None, "what is 9 minus 4"), ("reference", None, "5"), ("reply", "A", "")]
    assert read("row\tuser_prompt\tresponse_id\tresponse_transcript\n14\twhich is larger 42 or 67\tresp_0412\tthe larger is 42\n"
                "15\twhich is larger 42 or 67\tresp_0413\tthe larger is 67")[:2] == \
        [("question", None, "which is larger 42 or 67"), ("reply", None, "the larger is 42")]
    assert read("KRVW overnight desk\nListener call-in (VO): which is smaller 15 or 31\nBot transcript: the smaller is 15") == \
        [("question", None, "which is smaller 15 or 31"), ("reply", None, "the smaller is 15")]
    sections, free = judge_request._their_inputs(["A guest said to the in-room concierge at 23:40: **which is smaller 15 or 31**"])[:2]
    assert judge_request._their_question(sections[0][2], free, free, []) == "which is smaller 15 or 31"
    prose = 'the prompt we fed both our bots was \U0001f449 what is 3 plus 5\n\nbot A (it said "3 plus 5 is 9")'
    assert judge_request._their_question(None, prose, prose, []) == "what is 3 plus 5"
    assert judge_inputs.heading_kind("The bot says to the user") == ("reply", None)


def test_a_one_letter_label_is_matched_in_its_own_case():
    """Bug caught (batch 27's hackathon prompt): two clips labelled 'bot A (it said ...)' / 'bot B (...)' took their
    spelling from the instructions' last mention, and "we're on a deadline" gave "a" for A."""
    body = _two_clips(['bot A (it said "3 plus 5 is 9"):', 'bot B (it said "3 plus 5 is 8"):'], ["3 plus 5 is 9", "3 plus 5 is 8"],
                      "which one is better OVERALL, the answer and the voice both count? just drop A or B, no essay, we're on a deadline",
                      question="the prompt we fed both our bots was: what is 3 plus 5\n")
    req = judge_request.parse_judge_request(body)
    assert req["labels"] == ["A", "B"] and judge.ToyJudge().answer(req).strip() == "B"


@pytest.mark.parametrize("text,axis", [
    ("## Concierge voice check - Suite 1204\n\nPlease give ONE overall rating that covers both the answer itself and the way "
     "it was spoken.", "holistic"),
    ("which one slaps harder OVERALL?? like the actual answer AND the vibe/voice, both count", "holistic"),
    ("I would like you to assess the delivery alone. Please set aside entirely whether the words themselves are correct.",
     "acoustic"),
    ("You are a speech evaluation expert comparing two spoken responses for naturalness. The content of the responses is "
     "not to be judged.", "acoustic"),
    ("You are a listening-test rater. You judge only how speech sounds, never what it says.", "acoustic"),
    ("## Content accuracy check\n\nRate whether the answer is right.", "semantic"),          # a guard: the title and body agree
])
def test_rubric_axis_of_round_fifteen(text, axis):
    """Bugs caught: a title naming one side ("voice check") outweighed a body that weighs both ("covers both");
    "both count", "alone", "set aside", "is not to be judged", "how speech sounds" and ", never what it says" were
    not read."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("| Rating | Meaning |\n|---|---|\n| Excellent | correct |\n| Good | minor issue |\n| Fair | issues |\n| Poor | major |\n"
     "| Bad | unusable |\n\nReply with a single line: `Rating: <word>`", False,
     {"levels": ["Bad", "Poor", "Fair", "Good", "Excellent"]}),
    ("which one is better? just drop A or B, no essay pls", True, {"style": "bare", "alone": True}),
])
def test_answer_forms_of_round_fifteen(rubric, pairwise, want):
    """Bugs caught: a word ladder written as a table's rows answered "Rating: 3"; "just drop A or B, no essay"
    answered in our tag."""
    assert_answer_form(rubric, pairwise, want)


def test_inputs_and_questions_of_round_sixteen():
    """Bugs caught (held-out round 16, 2026-12-06: batch 28, plain 17, 5 of 20 and 26 of 30 at 958a1c8): "Prompt read
    to DepoAssist", "Task the assistant was given", "Script line the assistant is answering" and "Probe utterance"
    named no question; "[Question] ... [Task]" ran the question on into the task; "Here is a user's question to a
    voice assistant: ..." introduced nothing; an e-mail's quoted request ('> ... to the question' / '> "what is 8 plus
    5"?') gave no question; "each vendor's response to the same test utterance: "..."" gave none; a question in
    single curly quotes ran on into the rubric after it. The guard: "[laughs]" inside a transcript stays in it."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    for heading in ("Prompt read to DepoAssist", "Task the assistant was given", "Script line the assistant is answering",
                    "Probe utterance"):
        assert judge_inputs.heading_kind(heading) == ("question", None), heading
    assert read("[Question]\nwhich is larger 12 or 57\n\n[Task]\nRate the answer.")[0] == ("question", None, "which is larger 12 or 57")
    assert read("Here is a user's question to a voice assistant: what is 9 minus 4\n\nFirst response:")[0] == \
        ("question", None, "what is 9 minus 4")
    assert read("Transcript: 3 plus 4\n[laughs]\nis 7")[0] == ("reply", None, "3 plus 4\n[laughs]\nis 7")
    mail = ("Forwarding Priya's request below.\n\n> Could you compare the two voice replies our assistant gave to the question\n"
            '> "what is 8 plus 5 say it quickly"?\n> Please reply with just A, B, or tie.')
    sections, free = judge_request._their_inputs([mail])[:2]
    assert judge_request._their_question(None, free, free, []) == "what is 8 plus 5 say it quickly"
    prose = "The two samples above are each vendor's response to the same test utterance: \"how many letters in bread\"."
    assert judge_request._their_question(None, prose, prose, []) == "how many letters in bread"
    sections = read("The user asked the assistant: \u2018which is smaller 71 or 38\u2019. Two candidate replies follow.".replace(
        "\u2018", "'").replace("\u2019", "'"))
    assert sections == [("question", None, "which is smaller 71 or 38")]


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Answer `Take 1` or `Take 2`, or `No preference` if they are genuinely equal. Just the label please, no notes.", True,
     {"style": "bare", "labels": ["Take 1", "Take 2"], "tie": "No preference"}),     # whole answers: bare (was an empty template)
    ('Return a JSON object {"overall": <integer 0-100>, "comment": "<short comment>"}.', False,
     {"style": "json", "scale": (0, 100)}),
    ("Your response should be formatted as follows:\nExplanation: (your explanation)\nRating: (int)", False,
     {"style": "template", "template": ("Rating: ", "(int)", "")}),
    ("Scale: 0 (unusable) to 10 (ship it).\nReply by filling in the field exactly as: `Delivery score (0-10): <n>`", False,
     {"template": ("Delivery score (0-10): ", "<n>", "")}),
    ("Use the audit's rating terms: Excellent, Good, Fair, Poor or Bad.\nRecord your answer as: D4 rating: <term>", False,
     {"style": "line", "slots": [("D4 rating", None)]}),
    ("Kindly answer with a single character: \u20181\u2019 if Reply 1 is better, \u20182\u2019 if Reply 2 is better, or "
     "\u20180\u2019 if there\u2019s nothing to choose between them.", True, {"style": "bare", "labels": ["1", "2"], "tie": "0"}),
    ("Write exactly one line: Score: <0-10>", False, {"scale": (0, 10)}),            # a guard: the range still read
])
def test_answer_forms_of_round_sixteen(rubric, pairwise, want):
    """Bugs caught: three quoted options whose tie shares no start with the two labels; a JSON placeholder's range
    ("<integer 0-100>") read no scale; AudioBench's "Rating: (int)" had no placeholder; the range in the key's
    parenthesis ("Delivery score (0-10):") taken for the hole; "D4 rating" cut to "rating"; curly single quotes and
    "with a single character:" hid the "1 if ... 2 if ... 0 if" labels."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("| 14.3 | Night-cabin voice response | Spoken reply must be clear and delivered in the manner requested (volume, pace, "
     "tone). Content accuracy is verified separately under item 14.1 and is not part of this item. |", "acoustic"),
    ("Criterion D4 (audio delivery): rate how well the voice output is delivered. Content accuracy is assessed under D3, "
     "not here.", "acoustic"),
    ('Experiment: EXP-311 "TTS pacing v2"\n\nI only need the content comparison: which arm gave the more correct answer? '
     "Ignore how it sounds.", "semantic"),
])
def test_rubric_axis_of_round_sixteen(text, axis):
    """Bugs caught: "item 14.1" ended a clause at its decimal point, so "Content accuracy ... is not part of this
    item" kept its content cue; "assessed under D3" left nothing out; a title quoting an experiment's name ("TTS
    pacing v2") read as a delivery title."""
    assert judge_axis.rubric_axis(text) == axis


def test_a_pairwise_spec_asks_for_a_choice():
    """Bug caught: an XML request whose <task> is "pairwise", over two clips with no label between them, was read
    as one scored reply."""
    body = _two_clips(["", ""], ["9 minus 3 is 5", "9 minus 3 is 6"],
                      "", question='<evaluation_request>\n  <task>pairwise</task>\n  <user_turn>what is 9 minus 3</user_turn>\n'
                                   "  <output_format>&lt;preferred&gt;A&lt;/preferred&gt; or &lt;preferred&gt;B&lt;/preferred&gt;"
                                   "</output_format>\n</evaluation_request>\n")
    req = judge_request.parse_judge_request(body)
    assert req["mode"] == "compare" and "<preferred>B</preferred>" in judge.ToyJudge().answer(req)     # 9 - 3 is 6: B


def test_inputs_and_labels_of_round_seventeen():
    """Bugs caught (held-out round 17, 2026-12-06: batch 29, plain 18, 4 of 20 and 30 of 30 at d294e50): "Red bear
    version:" / "Blue bear version:" under "answer with just the name: Red bear or Blue bear" answered "Red";
    "**Wearer said:** ..." and "The demo script has a visitor ask: ..." named no question; "bot_reply_audio:
    attached below" was read as the reply's words. The guard: a shared word after the names that the rubric
    does not write with both of them as the answers ("Osprey recording") is not added."""
    body = _two_clips(["Red bear version:", "Blue bear version:"], ["you said green river", "you said green river"],
                      "Please answer with just the name of the better version: Red bear or Blue bear.",
                      question="Whose voice suits the request better? The child asked: repeat after me green river\n")
    assert judge_request.parse_judge_request(body)["labels"] == ["Red bear", "Blue bear"]
    body = _two_clips(["Kestrel recording:", "Osprey recording:"], ["you said green river", "you said green river"],
                      "Which agent did better, Kestrel or Osprey? The Osprey recording was made later.",
                      question="The caller asked: repeat after me green river\n")
    assert judge_request.parse_judge_request(body)["labels"] == ["Kestrel", "Osprey"]
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    assert judge_inputs.heading_kind("Wearer said") == ("question", None)
    assert read("The demo script has a visitor ask: what is 9 minus 4\nThe assistant answered (transcript): 9 minus 4 is 6") == \
        [("question", None, "what is 9 minus 4"), ("reply", None, "9 minus 4 is 6")]
    assert read("user_request: which is smaller 18 or 81\nbot_reply_transcript: the smaller is 18\nbot_reply_audio: attached below") == \
        [("question", None, "which is smaller 18 or 81"), ("reply", None, "the smaller is 18")]
    prose = "Those are two voice assistants answering the same prompt from a child in my practice: repeat after me red kite"
    assert judge_request._their_question(None, prose, prose, []) == "repeat after me red kite"


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Which candidate is more accurate? Close the ticket with one line:\nStandards verdict: A, B or SAME (SAME if equal).", True,
     {"style": "line", "slots": [("Standards verdict", None)], "labels": ["A", "B"], "tie": "SAME"}),
    ("pls just write take 1 or take 2, nothing else bc i paste it straight into the bug tracker", True,
     {"labels": ["take 1", "take 2"], "alone": True}),
    ("4. Label which stimulus has the more appropriate prosody: S1 or S2. If their prosody is equally appropriate, label EQ.\n"
     "5. Output the label only.", True, {"style": "bare", "alone": True, "tie": "EQ"}),
    ("If the two sound equally good, say No preference. Reply with exactly one of: Alpha, Beta, No preference.", True,
     {"tie": "No preference"}),                                          # a guard: "say No" is no tie word
])
def test_answer_forms_of_round_seventeen(rubric, pairwise, want):
    """Bugs caught: a line keyed over its options answered with the bare label; "write take 1 or take 2" answered "2";
    "label EQ" and "Output the label only" not read. The guard: a capitalised word after "equally good, say" is the
    tie only in capitals ("No preference" stays whole)."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("1. Scope. This test covers the correctness of the information in the spoken answer only.\n2. Out of scope. Voice "
     "quality, tone, speed and loudness are covered by the UX stream and must not influence this score.", "semantic"),
    ("Accuracy of the information is the only criterion; voice and audio quality are excluded.", "semantic"),
])
def test_rubric_axis_of_round_seventeen(text, axis):
    """Bugs caught: "2. Out of scope. Voice quality, tone, ..." kept "Voice quality, tone" (only the clause with "must
    not influence" was left out); "are excluded" left nothing out."""
    assert judge_axis.rubric_axis(text) == axis


def test_toy_reference_answers_every_question_the_data_asks():
    """An independent oracle: data/prepare.py's five task generators give each question's reference; the
    judge's own grammar (judge_inputs.TOY_TASKS) must answer every one alike, written in any case with a "?"
    and a delivery after it, and find it in a sentence. Bugs caught: a task the grammar lacks or spells
    differently ("which is larger" as "which is bigger"), a phrase to repeat cut to one word, "say it sadly"
    kept in the repeated phrase, a question not found when a sentence goes on after its "?"."""
    import random
    from data.prepare import TASKS
    rng = random.Random(0)
    for name, make in sorted(TASKS.items()):
        for _ in range(60):
            question, reference, _ = make(rng)
            assert judge.toy_reference(question) == reference, (name, question)
            assert judge.toy_reference(question.capitalize() + "? Say it sadly.") == reference, (name, question)
            written = f"Row 3 | {question.capitalize()}? Say it sadly. | expected: correct | actual: see the clip"
            assert judge_inputs.toy_question("", written) == f"{question.capitalize()}? Say it sadly.", (name, written)


def test_a_toy_question_is_found_where_no_heading_names_it():
    """Held-out rounds 13-17 misread 25 of their 65 prompts' questions, 18 of them not found at all: a
    spreadsheet's cell, a memo's sentence, a YAML field the layout did not name. The toy judge understands only
    the toy world's questions, so where the layout gives none it understands it takes the one toy question the
    request writes (as a person finds what was asked by what it says). Bugs caught: a question in a table's
    cell not read (b29's acceptance grid); a layout's question with the next field run on ("... say it
    happily\\nScript as performed: ...") kept whole; the guards: two different toy questions (a worked
    example's and the task's) are no answer, and a question that is not a toy one stays as the layout read it."""
    grid = ("| TC-ID | Input (customer says) | Actual | Result |\n|---|---|---|---|\n"
            "| KSK-114 | how many letters in bread say it quietly | the count is 5 | |\n")
    assert judge_inputs.toy_question("", grid) == "how many letters in bread say it quietly"
    assert judge_inputs.toy_question("what is 9 minus 4 say it happily\nScript as performed: 9 minus 4 is 5", "") == \
        "what is 9 minus 4 say it happily"
    assert judge_inputs.toy_question("\u2018which is smaller 71 or 38 say it loudly\u2019. Two replies follow.", "") == \
        "which is smaller 71 or 38 say it loudly"
    # the same question twice, once with the delivery it asks for: the one with it
    assert judge_inputs.toy_question("", "Input: spell lemon backwards\nThe user said: spell lemon backwards, say it slowly.") == \
        "spell lemon backwards, say it slowly."
    # guards
    both = "Worked example: what is 2 plus 2 -> '2 plus 2 is 4' scores 5.\nNow the real one: what is 8 times 9."
    assert judge_inputs.toy_question("", both) == ""
    assert judge_inputs.toy_question("What is the capital of France?", "Reply: Paris. Rate it 1-5.") == "What is the capital of France?"
    assert judge_inputs.toy_question("What is 8 times 9?", "Worked example: what is 2 plus 2") == "What is 8 times 9?"
    assert judge_inputs.toy_question("", "repeat after me red kite and then stop") == ""     # a phrase runs on: not guessed
    body = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": grid + "\nKiosk audio for KSK-114 (attached). Fill the Result cell: PASS or FAIL only."},
        {"type": "input_audio", "input_audio": {"data": "@speak:the count is 5|quietly", "format": "wav"}}]}]}
    req = judge_request.parse_judge_request(with_speech(body))
    assert req["question"] == "how many letters in bread say it quietly"
    assert judge.ToyJudge().answer(req) == "PASS"


@pytest.mark.parametrize("text,axis", [
    ("[Does the spoken response say the requested words correctly, and is it spoken in the manner the user asked for?]\n"
     "Score 4: The words are right but the delivery only partly matches the request.", "holistic"),
    ("You are checking a voice assistant's answers against an answer key. Does the assistant's answer match the answer key?",
     "semantic"),
    ("Consider correctness and helpfulness; the assistant's answer is a voice recording, so grade what it says.", "semantic"),
    ("Our clue-line answers solvers' questions by voice. Please don't mark the voice. All I need to know is whether the "
     "answer the solver got is right.", "semantic"),
    ("This review covers accuracy only for the inmate account IVR (voice self-service).", "semantic"),
    ("Only the correctness of the answer counts - the bot's voice is not being judged.", "semantic"),
    ("Judge only the voice; the words are not being judged.", "acoustic"),                                   # guard
])
def test_rubric_axis_of_round_eighteen(text, axis):
    """Bugs caught (held-out round 18, 2026-12-06: batch 30 and plain 19, 7 of 20 and 26 of 30 at 0db683b):
    "the delivery only partly matches" read as a narrowing to delivery (Prometheus' score descriptions); "match the
    answer key" not read as content; "a voice recording", "by voice" and "voice self-service" read as the voice to
    judge; "is not being judged" left nothing out; "the answer the solver got is right" not read as content."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ('Which is better? If equally good, say "Equal".\nAnswer with "Response A", "Response B" or "Equal".', True,
     {"alone": True, "tie": "Equal", "labels": ["Response A", "Response B"]}),
    ("Which take is more accurate? Record the finding as exactly one of: TAKE 1, TAKE 2, NO DIFFERENCE. Write the finding only.",
     True, {"alone": True, "style": "bare", "labels": ["TAKE 1", "TAKE 2"], "tie": "NO DIFFERENCE"}),
    ("Which station's audio is better? Reply with that station's call sign only. 73.", True, {"alone": True, "style": "bare"}),
    ("Report the result like a game score: 1-0 if White's answer is better, 0-1 if Black's is better, 1/2-1/2 if they "
     "are equally good. Write the result only.", True,
     {"alone": True, "style": "bare", "labels": ["1-0", "0-1"], "tie": "1/2-1/2"}),
    ("Marking: 1 = fail, 10 = line-check standard.\nReturn ONLY the completed last line of the form, nothing else:\n"
     "OVERALL: __/10", False, {"scale": (1, 10), "style": "line", "slots": [("OVERALL", None)], "suffix": "/10"}),
    ("Rate the correctness of what it says in cue 2, 0-10 (10 = completely correct answer). Reply with the integer only.",
     False, {"scale": (0, 10), "style": "bare"}),
    ("Fill in the sheet line below and return only that line:\nPreferred channel: Mic _", True,
     {"style": "template", "template": ("Preferred channel: Mic ", "_", "")}),
    ("Output 1 if Response A is better, 2 if Response B is better.", True, {"labels": ["1", "2"]}),       # guard
])
def test_answer_forms_of_round_eighteen(rubric, pairwise, want):
    """Bugs caught: three quoted answers ('"Response A", "Response B" or "Equal"') not asked alone; "Record the
    finding as exactly one of: ..." and "Write the finding only" not read; "Reply with that station's call sign
    only" answered with a justification first; answers given with their conditions ("1-0 if ..., 0-1 if ...")
    answered "a game score: Black"; a form's blank "__/10" not the line to fill; "0-10 (10 = ...)" no scale; a
    blank after the label's own word ("Mic _") not a template."""
    assert_answer_form(rubric, pairwise, want)


def test_inputs_of_round_eighteen():
    """Bugs caught: "**Candidate A** - transcript: ..." (a bold name before the heading's words) not a reply; two
    clips labelled "Mic 1 (ASR: ...):" / "Mic 2 (ASR: ...):" read as one scored reply (a number was never a name);
    a watch log that writes the question (PROMPT "what is 4 times 2 say it quietly") read as the reply's words
    under a system rubric; "Preferred channel: Mic _" answered "Mic 2" alone."""
    read = lambda *texts: judge_request._their_inputs(list(texts))[0]      # noqa: E731
    assert read("Context: a broadcast voice.\n\n**Candidate A** - transcript: the answer is 5\n",
                "**Candidate B** - transcript: 8 minus 3 is 5")[1:] == [("reply", "A", "the answer is 5"), ("reply", "B", "8 minus 3 is 5")]
    body = _two_clips(["Mic 1 (ASR: the larger is 88):", "Mic 2 (ASR: the larger is 88):"], ["the larger is 88", "the larger is 88"],
                      "Fill in the sheet line below and return only that line:\nPreferred channel: Mic _",
                      question="Test phrase sent to the announcer voice: which is larger 88 or 46\n")
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["labels"]) == ("compare", ["Mic 1", "Mic 2"])
    assert re.fullmatch(r"Preferred channel: Mic [12]", judge.ToyJudge().answer(req))
    body = with_speech({"messages": [
        {"role": "system", "content": "Grade DELIVERY ONLY, 0-10. Reply with one log entry: DELIVERY=<grade>."},
        {"role": "user", "content": [{"type": "text", "text": 'WATCH LOG\n0412Z PROMPT "what is 4 times 2 say it quietly"\n'
                                                              "0413Z REPLY (audio follows)"},
                                     {"type": "input_audio", "input_audio": {"data": "@speak:4 times 2 is 8|loudly", "format": "wav"}}]}]})
    req = judge_request.parse_judge_request(body)
    assert req["question"] == "what is 4 times 2 say it quietly" and req["replies"][0][0] == "4 times 2 is 8"


def test_names_with_dots_and_dashes_name_a_pair():
    """Bugs caught (batch 29, left out at round 17): clips labelled "Audio of FW-2.1:" / "Audio of FW-2.2:" were no
    pair (the names were split at their dots and dashes into numbers) and the winner was written "A"; "(transcript
    as submitted: ...)" in a clip's label was not its words; "Award recommendation: BIDDER-1  or  Award
    recommendation: BIDDER-2" was read as one template whose hole was "1  or  Award"."""
    body = _two_clips(["Audio of FW-2.1:", "Audio of FW-2.2:"], ["5 plus 9 is 14", "5 plus 9 is 13"],
                      "Which firmware is better overall? Respond with the winner tag only: <winner>FW-2.1 | FW-2.2 | TIE</winner>.",
                      question="utterance: what is 5 plus 9\n")
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["labels"]) == ("compare", ["FW-2.1", "FW-2.2"])
    assert judge.ToyJudge().answer(req) == "<winner>FW-2.1</winner>"
    body = _two_clips(["BIDDER-1 sample response (transcript as submitted: 3 plus 4 is 7):",
                       "BIDDER-2 sample response (transcript as submitted: 3 plus 4 is):"], ["3 plus 4 is 7", "3 plus 4 is"],
                      "Record the outcome on one line exactly as:\nAward recommendation: BIDDER-1  or  Award recommendation: BIDDER-2",
                      question="Demonstration prompt read to both systems: what is 3 plus 4\n")
    req = judge_request.parse_judge_request(body)
    assert [t for t, _, _ in req["replies"]] == ["3 plus 4 is 7", "3 plus 4 is"]
    assert judge.ToyJudge().answer(req).splitlines()[-1] == "Award recommendation: BIDDER-1"


@pytest.mark.parametrize("text,axis", [
    ("SCOPE OF THIS STEP: content accuracy of the spoken answer only. Voice quality is out of scope.\n"
     "ROLE: verifier for the dispensing unit's voice prompt module.", "semantic"),
    ("Please compare how the two programmes SOUND: loudness, pace, pitch, clarity. What they say is not the point here.",
     "acoustic"),
    ("Two kiosk booths run different voice software. Section C covers ACCURACY OF INFORMATION ONLY.", "semantic"),
    ("You review voice lines for an escape room. Rate lines on both of those together.", "acoustic"),     # guard: lines are spoken
])
def test_rubric_axis_of_round_nineteen(text, axis):
    """Bugs caught (held-out round 19, 2026-12-06: batch 31 and plain 20, 10 of 20 and 29 of 30 at e6e40df): "voice
    prompt module", "voice software" read as the voice to judge; "What they say is not the point here" left
    nothing out. The guard: "voice lines" (a game's spoken lines) are still what is judged."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,want", [
    ('4. Grades are awarded on the five-point scale: A (excellent), B (good), C (satisfactory), D (deficient), E '
     '(unacceptable).\n5. The grade shall be returned in the form "Grade: X", where X is a single letter.',
     {"levels": ["E", "D", "C", "B", "A"], "style": "line", "slots": [("Grade", None)]}),
    ("Record the result as a score from 0 to 1 in steps of 0.25, on one line: ITEM 4.2: <score>",
     {"scale": (0, 1), "style": "template", "template": ("ITEM 4.2: ", "<score>", "")}),
    ('Consider both accuracy and delivery. Give a score from 0 to 10 in the form "X/10".',
     {"scale": (0, 10), "style": "template", "template": ("", "N", "/10")}),
    ("Answer A if the first is better, B if the second is; C if equal.", {"style": "tag"}),     # guard: no grades
])
def test_answer_forms_of_round_nineteen(rubric, want):
    """Bugs caught: letter grades A-E answered with a number; a key with a dot ("ITEM 4.2: <score>") not a template;
    'in the form "X/10"' (quoted) not read."""
    assert_answer_form(rubric, False, want)


def test_inputs_of_round_nineteen():
    """Bugs caught: "Which is smaller, 12 or 31? Say it happily." (a comma after a word) not found as a toy question;
    a question introduced by a sentence ("This week's test question was:") ran on through the next paragraphs, so
    the rubric below it was lost; "Recording from the unit on level P2:" / "... P3:" (the name the label's last
    word) no pair; "REPLY: attached audio (no transcript, ASR is off on the devboard)" read as the reply's words."""
    assert judge_inputs.toy_question("", "Both got:\n\nWhich is smaller, 12 or 31? Say it happily.\n\nPlease weigh it.") == \
        "Which is smaller, 12 or 31? Say it happily."
    sections, free = judge_sections.split_sections(
        "Before it goes live, the vendor asks it simple questions. This week's test question was:\n\nWhat is 8 plus 5?\n\n"
        "I only care whether what it SAID is right. Mark it out of 10.")
    assert sections == [("question", None, "What is 8 plus 5?")] and "Mark it out of 10" in free
    # a "Conversation:" section may run to several paragraphs (the guard)
    sections, _ = judge_sections.split_sections("Conversation:\nhi there\n\nhello, how can I help\n\nwhat is 2 plus 2\n\n"
                                                "Response: 2 plus 2 is 4")
    assert sections[0] == ("question", None, "hi there\n\nhello, how can I help\n\nwhat is 2 plus 2")
    body = _two_clips(["Recording from the unit on level P2:", "Recording from the unit on level P3:"],
                      ["you said green river", "you said green river"],
                      "Which unit's delivery is better? Answer with P2 or P3 only. If they sound equally good, answer SAME.",
                      question='Each unit was given the prompt "repeat after me green river say it loudly".\n')
    assert judge_request.parse_judge_request(body)["labels"] == ["P2", "P3"]
    body = with_speech({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Rate it 1..5 overall.\n PROMPT: \"How many letters in milk?\"\n"
                                 " REPLY:  attached audio (no transcript, ASR is off on the devboard)\n"},
        {"type": "input_audio", "input_audio": {"data": "@speak:the count is 4|", "format": "wav"}}]}]})
    assert judge_request.parse_judge_request(body)["replies"][0][0] == "the count is 4"


def test_an_lqa_form_and_a_vendor_pair_are_read():
    """Bugs caught (batch 29, left out at round 17): a form titled "LQA FORM v4 (voice deliverables)" over a body that
    contracts "the ACCURACY category only" and says audio delivery is "NOT assessed" read as delivery (the title won);
    "a number from 0.00 (...) to 1.00 (...)" no scale; "Vendor X output, transcript:" / "Vendor Y ..." no labels;
    "voice localisation pilot" read as the voice to judge. The guard: a title naming one side over a body that does
    not leave it out still names the axis."""
    form = ("LQA FORM v4 (voice deliverables)\nError categories: Accuracy (mistranslation, omission) | Fluency | Style | "
            "Audio/Delivery\nSeverities: Minor / Major / Critical\n\nFor this project the client has contracted the ACCURACY "
            "category only: is the information in the spoken output correct and complete for the request? Fluency, style and "
            "audio delivery are NOT assessed and must not lower the score.\n\n"
            "Accuracy score: a number from 0.00 (critical accuracy failure) to 1.00 (no accuracy errors).\n"
            'Return JSON only: {"accuracy_score": <number>}')
    assert judge_axis.rubric_axis(form) == "semantic"
    assert judge_rubric.answer_format(form, False)["scale"] == (0, 1)
    assert judge_axis.rubric_axis("## Voice check\nIs the answer correct, and is it spoken as asked?") == "acoustic"   # guard
    assert judge_inputs.heading_kind("Vendor X output") == ("reply", "X")
    assert judge_axis.rubric_axis("Vendor LQA comparison - voice localisation pilot, batch 3\nCategory in scope: ACCURACY.") \
        == "semantic"


@pytest.mark.parametrize("text,axis", [
    ("Before each show our pre-show voice does a little 'ask me a sum' bit. Judge them on everything: whether the answer's "
     "right AND how it comes across in the auditorium.", "holistic"),
    ('q was "what is 9 minus 3". is the ANSWER correct? dont care abt the voice. YES or NO only pls', "semantic"),
    ("the words r exactly the same in both so dont worry abt the words, i only need to know wich one SOUNDS better",
     "acoustic"),
])
def test_rubric_axis_of_round_twenty(text, axis):
    """Bugs caught (held-out round 20, 2026-12-06: batch 32 and plain 21, 14 of 20 and 29 of 30 at 485331c): "Judge
    them on everything" and "whether the answer's right" not read (the voice of "voice builds" alone named the
    axis); "dont care abt the voice" (no apostrophe) left nothing out. The guard: a clause after "dont worry abt the
    words," that goes on with a lower-case "i only need ..." is not left out with it."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Kindly grade the correctness only. Use our usual grade letters: A (fully correct and clean), B, C, D, F (entirely "
     "wrong). Please return a single line of the form\n\nGrade: <letter>", False,
     {"levels": ["F", "D", "C", "B", "A"], "style": "line"}),
    ("Our sheet uses 0 to 1 in quarter steps (0, 0.25, 0.5, 0.75, 1). Fill in the line below and nothing else:\n\n"
     "Take score: ", False,
     {"scale": (0, 1), "style": "line", "slots": [("Take score", None)]}),     # guard: the request lost this line (below)
    ("Which recording is delivered better? Answer A or B; if they are equally good, answer EQUAL.", True,
     {"alone": True, "tie": "EQUAL"}),
    ("Which robot did better overall? Tell me RED or BLUE.", True, {"alone": True}),
    ("Which is better? Answer A or B; explain your choice.", True, {"alone": None}),           # guard
    ("Choose one: A, B, C, D or E.", False, {"levels": None}),                                  # guard: no grades
])
def test_answer_forms_of_round_twenty(rubric, pairwise, want):
    """Bugs caught: grade letters with only the ends' meanings ("A (fully correct), B, C, D, F (entirely wrong)")
    answered with a number; "Take score:" read as a take's heading, so the line to fill was lost; "Answer A or B; if
    they are equally good, answer EQUAL." and "Tell me RED or BLUE." answered after a justification."""
    assert_answer_form(rubric, pairwise, want)


def test_inputs_of_round_twenty():
    """Bugs caught: "Clip 1 (caller):" / "Clip 2 (agent):" read as a pair (the caller's clip is the question); two
    clips one after the other named only in the prose ("First the red robot, then the blue robot.") read as one
    scored reply. The guard: an order in the prose whose words the rubric does not name again is no pair of names."""
    assert judge_inputs.heading_kind("Clip 1 (caller)") == ("question", None)
    assert judge_inputs.heading_kind("Take score") is None and judge_inputs.heading_kind("Response to score") == ("reply", None)

    def two_in_a_row(prose, rubric):
        return with_speech({"messages": [{"role": "user", "content": [
            {"type": "text", "text": prose},
            {"type": "input_audio", "input_audio": {"data": "@speak:the count is 4|", "format": "wav"}},
            {"type": "input_audio", "input_audio": {"data": "@speak:the count is 3|", "format": "wav"}},
            {"type": "text", "text": rubric}]}]})
    req = judge_request.parse_judge_request(two_in_a_row(
        "A child asked each robot 'how many letters in kite'. First the red robot, then the blue robot.",
        "Which robot did better overall? Tell me RED or BLUE."))
    assert (req["mode"], req["labels"]) == ("compare", ["RED", "BLUE"]) and judge.ToyJudge().answer(req) == "RED"
    req = judge_request.parse_judge_request(two_in_a_row(
        "A child asked 'how many letters in kite'. First the question was played, then the replies.",
        "Which reply is better? Answer A or B."))
    assert req["labels"] == ["A", "B"]


def test_two_clips_named_under_the_placeholders_word():
    """Bug caught (batch 29, left out at round 17): "Build codename sprout (transcript: ...):" / "Build codename willow
    (...):" over "Give your pick on one line as 'Booth build: <codename>'" read as one scored reply: the names were
    never written in the instructions, only the word before them ("codename") in the answer's placeholder. The
    guard: a placeholder naming another word ("<number>") does not name the clips (they are still two replies to
    one question, so compared, since test_two_clips_neither_asking_are_two_replies_compared)."""
    def body(rubric):
        return _two_clips(["Build codename sprout (transcript: the count is 5):", "Build codename willow (transcript: the count is 4):"],
                          ["the count is 5", "the count is 4"], rubric, question="Visitor's request: how many letters in bread\n")
    req = judge_request.parse_judge_request(body("Pick the better build. Give your pick on one line as 'Booth build: <codename>'."))
    assert (req["mode"], req["labels"]) == ("compare", ["sprout", "willow"])
    assert judge.ToyJudge().answer(req).splitlines()[-1] == "Booth build: sprout"
    assert judge_request.parse_judge_request(body("Rate it on one line as 'Score: <number>'."))["labels"] == ["A", "B"]


def test_a_transcript_on_its_headings_line_and_a_subtitle_the_body_overrules():
    """Bugs caught (batch 28, left out at round 16): "Second response (transcript): the answer is 13" ran on into the
    paragraphs below it (a transcript given on its heading's line is that line, as a question's is); a subtitle naming
    the delivery ("Owner: PM, Voice Experiences") outweighed a body that asks for "only the content comparison" and
    says "Ignore how it sounds"."""
    sections, free = judge_sections.split_sections("First response (transcript): 8 plus 5 is 13\nSecond response (transcript): "
                                                   "the answer is 13\n\nThe audio of the first response comes first.")
    assert [b for _, _, b in sections] == ["8 plus 5 is 13", "the answer is 13"] and free.startswith("The audio")
    rubric = ('Experiment: EXP-311 "TTS pacing v2"\nOwner: PM, Voice Experiences\n\nTwo arms: Control and Variant (new pacing '
              "model).\n\nFor this readout I only need the content comparison: which arm gave the more correct answer? Ignore "
              "how it sounds.")
    assert judge_axis.rubric_axis(rubric) == "semantic"


@pytest.mark.parametrize("text,axis", [
    ("Please grade the reply as a whole: whether the sum is right AND how it was spoken (the 'slowly' part matters too).",
     "holistic"),
    ("Which take is better overall? The answer has to be right, and it should sound happy like the kid asked.", "holistic"),
    ('06:02:20 gh-bot INFO voice.query text="what is 9 times 2"\nReview: rate the correctness of that voice.reply\'s content.',
     "semantic"),
    ("GRADE THE REPLY OVERALL BOTH CORRECTNESS AND MANNER OF SPEAKING STOP ANSWER WITH A SINGLE DIGIT ONLY STOP", "holistic"),
    ("Which booth gave the right answer? Content only, the voices are the same model.", "semantic"),
    ("Listen to it purely as a performance: tempo, dynamics, intonation. Whether the sum is right is not my concern here.",
     "acoustic"),
])
def test_rubric_axis_of_round_twenty_one(text, axis):
    """Bugs caught (held-out round 21, 2026-12-06: batch 33 and plain 22, 10 of 20 and 26 of 30 at 773c87f): "whether
    the sum is right" and "sound happy" not read; "voice.query" / "voice.reply" (a log's names) read as the voice to
    judge; "manner of speaking" not read (so "ANSWER WITH A SINGLE DIGIT ONLY" narrowed to content); "Content only,"
    (a clause of two words) no narrowing. The guard: "Whether the sum is right is not my concern" (content, read since
    this round) is left out."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Rate from 1 (unusable) to 5 (perfect).\nLog it on one line, exactly like this: RATING n/5", False,
     {"alone": True, "style": "template", "template": ("RATING ", "n", "/5")}),
    ("Which voice goes on the tannoy? Just write the dog's name, Fly or Meg.", True, {"alone": True, "style": "bare"}),
    ("Stamp the card: write MATCH if the answer is correct, NO MATCH if it is not. Nothing else.", False,
     {"levels": ["NO MATCH", "MATCH"]}),
    ("Mark on the letter scale:\n- A: fully correct\n- B: correct, with minor irrelevant material\n- C: close but wrong\n"
     "- D: wrong\n- E: no answer\n\nRecord the mark as: Grade: <letter>", False, {"levels": ["E", "D", "C", "B", "A"]}),
    ("Use the society's ladder, from best to worst:\n\n Grand Cru - Fine - Table - Rind - Mould\n\nAnswer with the one grade "
     "name only.", False, {"levels": ["Mould", "Rind", "Table", "Fine", "Grand Cru"]}),
    ("Use one of these grades: Excellent (exactly right), Good (right with extra words), Fair (nearly right), Poor (wrong), "
     "Bad (empty).\nRespond with the grade only.", False, {"levels": ["Bad", "Poor", "Fair", "Good", "Excellent"]}),
    ("Score the DELIVERY from 0 to 100. Give your answer as <number>/100.", False,
     {"scale": (0, 100), "template": ("", "N", "/100")}),
    ('Which booth gave the right answer? Answer "Booth 1", "Booth 2", or "Same" if neither is better.', True, {"alone": True}),
    ("Model identifier: m\n\nModel identifier: M\n\nmake sure your output only contains one of the following model "
     "identifiers and nothing else: m or M.", True, {"style": "bare"}),
    ("Write one line:\nVerdict: correct\nVerdict: incorrect", False, {"style": "template"}),             # guard: one a line
])
def test_answer_forms_of_round_twenty_one(rubric, pairwise, want):
    """Bugs caught: "RATING n/5" answered "RATING 3"; "Just write the dog's name" and three quoted answers with a
    condition after the last answered after a justification; MATCH / NO MATCH, letter grades one a line ("- A: ..."),
    a society's own ladder "from best to worst" and ladder words each with its meaning in parentheses not read;
    "as <number>/100" not read; two clips' labels "Model identifier: m" / "Model identifier: M" (a blank line between)
    read as the answer's options. The guard: options one a line with no blank line between are still options."""
    assert_answer_form(rubric, pairwise, want)


def test_a_markdown_worked_example_runs_to_the_next_heading_of_its_level():
    """Bug caught (plain 22, AlpacaEval's template with an example): under "# Example:" the example's "## Output (a):"
    / "<spoken answer>" sections were read as the task's replies (an example ran only to its first blank line)."""
    text = ("# Example:\n## Instruction:\n<spoken question>\n\n## Output (a):\n<spoken answer>\n\n## Output (b):\n<spoken answer>\n\n"
            "# Task:\n## Output (a):\n9 minus 4 is 6\n\n## Output (b):\n9 minus 4 is 5")
    sections, free = judge_sections.split_sections(text)
    assert [b for kind, _, b in sections if kind == "reply"] == ["9 minus 4 is 6", "9 minus 4 is 5"] and "<spoken answer>" in free


@pytest.mark.parametrize("text,axis", [
    ("did it get the answer right? don't be kind, parents do check. the voice is fine, I only need to know about the answer.",
     "semantic"),
    ("please grade the reply on everything at once: whether the answer is right and whether the way it's spoken follows "
     "the request.", "holistic"),
    ("Which bot gave the better ANSWER? (The kids know their text-to-speech settings are a mess, so only grade what was "
     "said.)", "semantic"),
    ("Is the voice fine for a hospital ward? Rate its calm and clarity.", "acoustic"),       # guard: a question, not a leave-out
])
def test_rubric_axis_of_round_twenty_two(text, axis):
    """Bugs caught (held-out round 22, 2026-12-06: batch 34 and plain 23, 10 of 20 and 29 of 30 at caa706a): "the voice
    is fine," not read as leaving the voice out; "the way it's spoken" and "what was said" not read. The guard: "Is
    the voice fine ...?" asks about the voice."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Score the delivery from 0 (jarring) to 100 (perfectly calm) and wrap the number in our tag, like <calm>NN</calm>.", False,
     {"scale": (0, 100), "style": "tag", "slots": [("calm", None)]}),
    ('Please complete this line exactly as it will appear in the minutes, writing 1 or 2 in the gap (or "no preference" if '
     "they are equally good):\nRESOLVED: the board adopts Option ___", True,
     {"style": "template", "template": ("RESOLVED: the board adopts Option ", "___", "")}),
    ("Rate it on 0-10. Voice quality is out of scope.\nReturn the completed line below and nothing else:\nVERIFIED-ARITH: __/10",
     False, {"scale": (0, 10), "style": "line", "slots": [("VERIFIED-ARITH", None)], "suffix": "/10"}),
    ("Type 1 or 2 (or 0 if they're equally good). Only the digit; it goes into a spreadsheet.", True,
     {"alone": True, "tie": "0"}),
    ("Answer in the form: Crew vote: Bow  \u2014 or \u2014  Crew vote: Stroke", True,
     {"style": "template", "template": ("Crew vote: ", "", ""), "labels": ["Bow", "Stroke"]}),
])
def test_answer_forms_of_round_twenty_two(rubric, pairwise, want):
    """Bugs caught: a tag holding "NN" not read; "complete this line ..., writing 1 or 2 in the gap:" over the line
    with its blank ("Option ___") not the template; a key with a hyphen ("VERIFIED-ARITH: __/10"); "Only the digit"
    not asking the label alone; answers set apart by dashes ("Crew vote: Bow \u2014 or \u2014 Crew vote: Stroke")."""
    assert_answer_form(rubric, pairwise, want)


def test_inputs_of_round_twenty_two():
    """Bugs caught: "Two recordings follow. The FIRST is one of our members asking the bot a question" (a long clause
    to "question") read as a pair; "The first clip is the one we nicknamed Bow, the second one Stroke." named no pair;
    a transcript ran on into a markdown heading ("## Which is best, Output (a) or Output (b)?")."""
    sections, _ = judge_sections.split_sections("## Output (b):\nTranscript: you said cloud bell\n\n"
                                                "## Which is best, Output (a) or Output (b)?")
    assert sections[-1][2] == "you said cloud bell"
    body = with_speech({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Two recordings follow. The FIRST is one of our members asking the bot a question. The SECOND "
                                 "is the bot's spoken answer."},
        {"type": "input_audio", "input_audio": {"data": "@speak:what is 2 plus 2|", "format": "wav"}},
        {"type": "input_audio", "input_audio": {"data": "@speak:2 plus 2 is 4|", "format": "wav"}},
        {"type": "text", "text": "How correct is the answer? 1 = wrong, 5 = fully correct. Put the score in <score></score> tags."}]}]})
    req = judge_request.parse_judge_request(body)
    assert req["mode"] == "score" and req["question"] == "what is 2 plus 2"
    assert judge_choices.ordered_names("The first clip is the one we nicknamed Bow, the second one Stroke.") == ("Bow", "Stroke")


@pytest.mark.parametrize("text,axis", [
    ("We need a ruling on CONTENT (is the answer right?). Its voice is not under discussion.", "semantic"),
    ("did the concierge give the CORRECT answer to the child's question? Not bothered about its voice.", "semantic"),
    ("What to assess: the reply, overall, i.e. whether its answer is correct and whether it is spoken as requested.",
     "holistic"),
    ("Judge them on everything: whether the words are right AND whether it's said the way it was asked.", "holistic"),
    ("the words are right, I already checked that, so dont judge them. could you rate just the sound/delivery?",
     "acoustic"),                                                                   # guard: a statement, not the order
])
def test_rubric_axis_of_round_twenty_three(text, axis):
    """Bugs caught (held-out round 23, 2026-12-06: batch 35 and plain 24, 10 of 20 and 29 of 30 at 2ca1fed): "is not
    under discussion" and "Not bothered about its voice" left nothing out; "spoken as requested" and "whether the
    words are right" not read. The guard: "the words are right, I already checked that" says content is done."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Which one's better on the maths? Just type A or B, or tie if there's nothing in it.", True, {"alone": True}),
    ("Voice only, 0-100.\nFill in your slip:\nCRIER'S MARK: __ / 100", False,
     {"scale": (0, 100), "style": "line", "slots": [("CRIER'S MARK", None)], "suffix": "/100"}),
    ("Rate only whether the answer is correct, 1 = completely wrong, 5 = exactly right.\nWrite it the way the logbook "
     "column wants it:  Rating (1-5): N", False, {"style": "line", "slots": [("Rating (1-5)", None)]}),
    ("Judge the DELIVERY only.\nFinish with the sentence: The better-rung reply is: Treble / Tenor / Tie (keep one).", True,
     {"style": "template", "labels": ["Treble", "Tenor"], "tie": "Tie"}),
    ('After a short explanation, output your final verdict as exactly one of: "A is better", "B is better", "Tie".', True,
     {"labels": ["A is better", "B is better"], "tie": "Tie"}),
    ("14:02:13 dispatch.voice WAIT verdict expected=one token: R17 | R22 | EVEN", True,
     {"labels": ["R17", "R22"], "tie": "EVEN"}),
    ("23:40 Child came down.\n00:05 Duty manager wants one thing.\n00:06 Whoever reads this: reply on one line, YES or NO.",
     False, {"scale": (1, 5), "levels": ["NO", "YES"]}),
    ("Field C3, how to return it: one line exactly like score=0.50 (two decimals), nothing else.", False,
     {"template": ("score=", "0.50", ""), "alone": True}),
])
def test_answer_forms_of_round_twenty_three(rubric, pairwise, want):
    """Bugs caught: "Just type A or B" not asking the label alone; a label with "'S" and a second word in capitals
    ("CRIER'S MARK: __ / 100") or with its range in parentheses ("Rating (1-5): N") cut; a sentence to finish ("The
    better-rung reply is: Treble / Tenor / Tie") not the template; answers that share their end ("A is better" / "B
    is better") not listed; "one token: R17 | R22 | EVEN" not read; a log's times ("23:40", "00:05") read as a ladder
    of anchors (a scale of 0-23); an example value "score=0.50" not the value's form."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("We'd like an overall rating: the answer being right matters most, but it should also sound happy, like the child "
     "asked.", "holistic"),
    ("Judge each on everything: a correct answer first, then how it's spoken.", "holistic"),
    ("Acceptance criterion: VOICE QUALITY ONLY, clear, even pace. Answer correctness is tracked in OT-5520.", "acoustic"),
    ("We're choosing between two voice packs. Tell me which pack gave the correct answer.", "semantic"),
    ("We're judging whether the answer is correct and helpful, nothing about the voice.", "semantic"),
])
def test_rubric_axis_of_round_twenty_four(text, axis):
    """Bugs caught (held-out round 24, 2026-12-06: batch 36 and plain 25, 7 of 20 and 29 of 30 at f4aa9bd): "the
    answer being right" and "how it's spoken" not read; "tracked in OT-5520" left nothing out; "voice packs" (a
    product) read as the voice to judge; "nothing about the voice" left nothing out."""
    assert judge_axis.rubric_axis(text) == axis


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Assess the whole garment. One mark out of 100.\nWrite back one line only, filled in like the card:  FIT: __/100",
     False, {"alone": True, "style": "line", "suffix": "/100"}),
    ("Score only whether the answer is correct, as a number between 0 and 1 (0 = wrong, 1 = perfectly correct), two "
     "decimal places, nothing else.", False, {"scale": (0, 1), "style": "bare", "alone": True}),
    ("Who wins? Answer RED CORNER, BLUE CORNER, or DRAW.", True, {"alone": True}),
    ('State which lot wins on content: "Lot 14", "Lot 15", or "no preference" if they are equally good.', True,
     {"alone": True, "tie": "no preference"}),
    ("Judge ONLY the delivery. Reply with exactly one of: Bird A, Bird B, Both the same.", True,
     {"labels": ["Bird A", "Bird B"], "tie": "Both the same"}),
    ('Respond in JSON with the key "preferred" set to "response_1", "response_2" or "tie".', True,
     {"style": "json", "labels": ["response_1", "response_2"], "tie": "tie"}),
])
def test_answer_forms_of_round_twenty_four(rubric, pairwise, want):
    """Bugs caught: "one line only" and three answers in capitals ("Answer RED CORNER, BLUE CORNER, or DRAW.") or
    quoted after "State which lot wins on content:" answered after a justification; "as a number between 0 and 1,
    ..., nothing else" answered in a tag; a tie of three words ("Both the same") cut, so the answer was "Bird"; the
    values a JSON key is "set to" not its labels."""
    assert_answer_form(rubric, pairwise, want)


def test_inputs_of_round_twenty_four():
    """Bugs caught: a markdown table with a row per reply ("| A | what is 8 plus 5 | 8 plus 5 is 13 |") read as one
    reply; "RC> " before every line of a radio log; "R1 said:" / "R2 said:" no labels; a reply's words on its
    heading's line ran on into "clips below in same order." and into "Score DELIVERY only, 0-10: ..."; "In the red
    corner:" / "In the blue corner:" named "RED" / "BLUE" where the rubric answers "RED CORNER"."""
    table = ("| | Question asked | Reply transcript |\n|---|---|---|\n| A | what is 8 plus 5 | 8 plus 5 is 13 |\n"
             "| B | what is 8 plus 5 | 8 plus 5 is 14 |\n\nAudio for A and then B follows.")
    assert judge_request._their_inputs([table])[0] == [("question", None, "what is 8 plus 5"),
                                                       ("reply", "A", "8 plus 5 is 13"), ("reply", "B", "8 plus 5 is 14")]
    log = ('RC> race control.\nRC> pilot call-in: "which is smaller 12 or 31 say it loudly"\nRC> unit response attached. '
           "Transcript: the smaller is 12\nRC> Score DELIVERY only, 0-10: loud enough, clear.")
    sections, free, _ = judge_request._their_inputs([log])
    assert sections[-1] == ("reply", None, "the smaller is 12") and free.startswith("race control.")
    sections, _, _ = judge_request._their_inputs(["Q: which is larger 58 or 85\nR1 said: the larger is 58\nR2 said: the larger "
                                                   "is 85\nclips below in same order. only care if the answer is RIGHT."])
    assert sections[1:] == [("reply", "R1", "the larger is 58"), ("reply", "R2", "the larger is 85")]
    body = _two_clips(["In the red corner:", "In the blue corner:"], ["9 times 2 is 18", "9 times 2 is 18"],
                      "Score it over everything. Who wins? Answer RED CORNER, BLUE CORNER, or DRAW.",
                      question="The lad shouted at it: 'what is 9 times 2'\n")
    assert judge_request.parse_judge_request(body)["labels"] == ["RED CORNER", "BLUE CORNER"]


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("I don't care that it sounds like a robot, I just need to know: is the sum it gave CORRECT? Please answer YES or NO "
     "in capitals, nothing else.", False, {"levels": ["NO", "YES"], "style": "bare", "alone": True}),
    ("Name the better seat overall: answer North or South. If they come out level, answer Pass. One word.", True,
     {"tie": "Pass", "alone": True}),
    ("which one sounds better. just type 1 or 2 nothing else thx", True, {"labels": ["1", "2"], "alone": True}),
    ("Award first prize by writing: First prize: Exhibit <number>\nIf they are equally accurate, write: Equal first", True,
     {"style": "template", "template": ("First prize: Exhibit ", "<number>", "")}),
    ("Only judge the delivery. Output PASS if the reply is spoken well in the requested style, otherwise FAIL. Output only "
     "the single word.", False, {"levels": ["FAIL", "PASS"]}),
    ("Think briefly, then write your choice as <answer>A</answer>, <answer>B</answer> or <answer>tie</answer>.\n"
     "<response_b>\n\n</response_b>", True, {"style": "tag", "slots": [("answer", None)]}),
    ("Give thy judgement from 1, most wretched, to 10, most excellent, and set it down thus:\nVerdict: N of 10", False,
     {"scale": (1, 10), "style": "line", "suffix": " of 10"}),
    ("Is the reply good overall - correct AND clearly, properly spoken? If it is good, call GO; if not, call NO-GO. Reply "
     "with GO or NO-GO only.", False, {"levels": ["NO-GO", "GO"], "alone": True}),
])
def test_answer_forms_of_round_twenty_five(rubric, pairwise, want):
    """Bugs caught (held-out round 25, 2026-12-06: batch 37 and plain 26, 11 of 20 and 27 of 30 at 0fb816b): a
    sentence after "sounds like" taken as the answer line to copy; "If they come out level, answer Pass." not the
    tie; "just type 1 or 2"; "by writing: First prize: Exhibit <number>" not the template; "Output PASS if ...,
    otherwise FAIL." not the verdict; an empty input tag ("<response_b></response_b>") chosen over the answer's
    "<answer>A</answer>"; "from 1, most wretched, to 10" no scale and "N of 10" no suffix; GO / NO-GO."""
    assert_answer_form(rubric, pairwise, want)


def test_rubric_axis_of_round_twenty_five():
    """Bug caught: "correct AND clearly, properly spoken" read as content only."""
    assert judge_axis.rubric_axis("Is the reply good overall - correct AND clearly, properly spoken?") == "holistic"


@pytest.mark.parametrize("rubric,pairwise,want", [
    ('Weighing everything, vote with exactly one of: "A is better", "B is better", "Tie".', True, {"alone": True}),
    ("which one sounds better? answer LEFT or RIGHT, one word", True, {"alone": True}),
    ("Please just tell me 'first' or 'second', or 'neither' if they're equally good.", True,
     {"labels": ["first", "second"], "tie": "neither"}),
    ("TODO rate how it sounded: delivery only, 0 to 10, 10 = exactly as asked.", False, {"scale": (0, 10)}),
    ("Add the missing line in the form `10:02 tone_score=N` and nothing else.", False,
     {"style": "template", "template": ("10:02 tone_score=", "N", ""), "alone": True}),
    ("Is the answer right? Mark it KEPT if it is acceptable, BINNED if it isn't. One word.", False,
     {"levels": ["BINNED", "KEPT"], "style": "bare"}),
    ("Write BIN if the answer is wrong, KEEP if it is right.", False, {"levels": ["BIN", "KEEP"]}),
    ("Write KEEP if the answer is right, otherwise BIN.", False, {"levels": ["BIN", "KEEP"]}),
])
def test_answer_forms_of_round_twenty_six(rubric, pairwise, want):
    """Bugs caught (held-out round 26, 2026-12-06: batch 38 and plain 27, 9 of 20 and 28 of 30 at 076eb33): "vote with
    exactly one of: ..." and "answer X or Y, one word" answered after a justification; "tell me 'first' or 'second'"
    answered "B"; "0 to 10," no scale; a template whose key follows an underscore ("tone_score=N") not found; a
    verdict in the rubric's own words, each with its condition ("KEPT if ..., BINNED if it isn't"), not read."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("We're only checking the answer itself, not how the speaker sounds.", "semantic"),
    ("I only want to know which reply got the words right. How it sounded doesn't matter, we'll sort the voice out "
     "separately.", "semantic"),
    ("Each trainee voices back the answer.\nTrainee X voiced:\n\nTrainee Y voiced:\n\nWhose voiced answer is more "
     "accurate?", "semantic"),
    ("Judge how well it is voiced.", "acoustic"),
    ("The wall's voice timer is tested. Rate the answer overall, the words and the way it was said taken together.",
     "holistic"),
])
def test_rubric_axis_of_round_twenty_six(text, axis):
    """Bugs caught: "the answer itself" not content; "we'll sort the voice out separately" kept the voice; "voice"
    as the verb naming a reply ("voices back", "Trainee X voiced:") and a product ("voice timer") read as the
    delivery. The fourth is a guard: "how well it is voiced" is the delivery."""
    assert judge_axis.rubric_axis(text) == axis


def test_inputs_of_round_twenty_six():
    """Bugs caught: clip labels that differ in one numbered name but also in a leading "And" or a closing "follows"
    ("The recording from the Platform 1 rebuild follows:" / "And the recording from the Platform 2 rebuild:") no
    pair; two clips named in order after the first name ("The East face recording comes first, then the West
    face.") no pair; a card of fields ("Reply: see recording" / "Criteria: ..." / "Overall mark (0-10): __") read as
    one reply running to the card's end. The second pair is a guard: labels that differ only in case are a pair."""
    assert judge_choices.paired_names("The recording from the Platform 1 rebuild follows:",
                                       "And the recording from the Platform 2 rebuild:") == ("Platform 1", "Platform 2")
    assert judge_choices.paired_names("Model identifier: m", "Model identifier: M") == ("m", "M")
    assert judge_choices.ordered_names("The East face recording comes first, then the West face.") == ("East", "West")
    assert judge_choices.ordered_names("Tested tonight. coffin car recording first, then skull car.") == ("coffin", "skull")
    card = ("Member asking: Mr P. Lane\nQuestion asked: what is 9 minus 2\nReply: see recording\nCriteria: the words and the "
            "manner, together\nOverall mark (0-10): __\n\nReturn only the last line, filled in.")
    sections, free, _ = judge_request._their_inputs([card])
    assert sections[-2:] == [("question", None, "what is 9 minus 2"), ("reply", None, "")]
    assert "Overall mark (0-10): __" in free
    body = _two_clips(["", ""], ["blue moon", "blue moon"], "The East face recording comes first, then the West face. "
                      "Judge only the delivery. Which face sounds better? Answer EAST or WEST.",
                      question="## Test phrase: repeat after me blue moon\n")
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["labels"]) == ("compare", ["EAST", "WEST"])


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Reply with a single digit: 1 for the first clip, 2 for the second clip, 0 if they are equally good.", True,
     {"labels": ["1", "2"], "tie": "0", "style": "bare"}),
    ("Use the club's words: DIT for the first reply, DAH for the second, DIT-DAH if they're equally good. Nothing else.",
     True, {"labels": ["DIT", "DAH"], "tie": "DIT-DAH", "style": "bare"}),
    ("Send back only the filled-in Score row, like | Score | 7 |", False,
     {"style": "template", "template": ("| Score | ", "7", " |"), "alone": True}),
    ("Check the sum only. Return one log line in the form\n07:12 RESULT=PASS\nor\n07:12 RESULT=FAIL", False,
     {"style": "template", "template": ("07:12 RESULT=", "", ""), "levels": ["FAIL", "PASS"]}),
])
def test_answer_forms_of_round_twenty_seven(rubric, pairwise, want):
    """Bugs caught (held-out round 27, 2026-12-06: batch 39 and plain 28, 12 of 20 and 24 of 30 at aef239d): each
    answer given with the clip it names ("1 for the first clip, 2 for the second clip, 0 if ...") not the labels;
    an example row whose number is the value's place ("like | Score | 7 |") not the template, and "Send back only"
    not alone; two answer lines one under the other ("... in the form" / "RESULT=PASS" / "or" / "RESULT=FAIL") not
    read where the paragraph above has two sentences (its last sentence, listed after the lines, was read as a
    third answer)."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("I only care whether the sum it gave is RIGHT (it's a noisy market, nobody cares how it sounds).", "semantic"),
    ("We only record whether the ANSWER is factually accurate; manner of speech is catalogued separately.", "semantic"),
    ("Check only whether the reply's content is correct - the handset speaker mangles the voice anyway.", "semantic"),
    ("lock room kiosk - voice check\nRate the answer as a whole: did it say the right words AND say them the way the "
     "visitor asked?", "holistic"),
    ("Rate each reply 1-5 on the whole thing: right words and spoken the way it was asked.", "holistic"),
])
def test_rubric_axis_of_round_twenty_seven(text, axis):
    """Bugs caught: "whether the sum it gave is RIGHT" not content and "nobody cares how it sounds" kept the voice;
    "catalogued separately" left nothing out; a clause narrowed by "only" ran on over " - " into the voice; "the
    right words AND say them the way ..." not both (and a "voice check" title won)."""
    assert judge_axis.rubric_axis(text) == axis


def test_inputs_of_round_twenty_seven():
    """Bugs caught: "Two firmware builds ... answered" not two replies (one word between "two" and "builds"); a
    reference with a note on its delivery ("5 (spoken quietly)") scored as the words to match."""
    body = _request(("user", ["## Test phrase: what is 9 minus 4\n\nTwo firmware builds answered the phrase above. Taking "
                              "everything into account, which is better overall? Reply with a single digit: 1 for the first "
                              "clip, 2 for the second clip, 0 if they are equally good.", ("audio", "5", "slowly"),
                              ("audio", "4", "")]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], judge.ToyJudge().answer(req).strip()) == ("compare", "1")
    body = _request(("user", ["Question: how many letters in bread\n\nResponse:", ("audio", "5", ""),
                              "Reference Answer: 5 (spoken quietly)\n\nRate the content 1-5."]))
    assert judge_request.parse_judge_request(body)["reference"] == "5"


@pytest.mark.parametrize("rubric,pairwise,want", [
    ('Give a score from 1 (poor) to 5 (excellent). Output JSON only: {"naturalness": <score>}', False,
     {"style": "json", "slots": [("naturalness", None)]}),
    ('Score it from 0 to 10; ignore the voice. Write your answer as "<score>/10".', False,
     {"style": "template", "template": ("", "N", "/10")}),
    ("Score the delivery only on a scale from 0 to 100. Return only an integer.", False, {"style": "bare"}),
    ("Answer on one line with STAND 3, STAND 7 or DEAD HEAT.", True, {"alone": True}),
])
def test_answer_forms_of_round_twenty_eight(rubric, pairwise, want):
    """Bugs caught (held-out round 28, 2026-12-06: batch 40 and plain 29, 14 of 20 and 26 of 30 at d80d71e): a JSON
    key's placeholder ('{"naturalness": <score>}') and a fraction's ('"<score>/10"') read as a <score> tag to answer
    in; "Return only an integer" not a bare number; "Answer on one line with X, Y or Z" answered after a
    justification."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("You rank spoken answers on their overall quality: correctness of what is said and how well it is said.", "holistic"),
    ("I've got two candidate voice brains. I only want to know which one gave the CORRECT answer to the question.",
     "semantic"),
    ("We're trialling a voice-cue unit. Content only: did it say the right words?", "semantic"),
    ("HiveHigh - voice QA sprint 3\nRate 1-10 (10 = ship it).", "holistic"),
    ("Please tell me whether the answer is correct, just the facts, I'm not fussed about how it sounds.", "semantic"),
    ("Dummy voice-box trial. Judge the replies holistically.", "holistic"),
])
def test_rubric_axis_of_round_twenty_eight(text, axis):
    """Bugs caught: "how well it is said" not the delivery; "voice brains", a "voice-cue unit", "voice QA" and a "voice-box" (things
    and teams named by the voice) read as the voice to judge; "I only want to know which one gave the CORRECT
    answer" did not narrow; "I'm not fussed about how it sounds" left nothing out."""
    assert judge_axis.rubric_axis(text) == axis


def test_inputs_of_round_twenty_eight():
    """Bugs caught: the question's own words, quoted in the prose, read as the judge's ("... say it loudly" made a
    content-only rubric weigh both); two clips labelled by who speaks ("Trainee (recording 1):" / "Gadget
    (recording 2):") where the prose says the trainee asks, read as a pair of replies; "Which is better overall? Say
    FIRST, SECOND or SAME" after two unlabelled clips not a comparison; a question heading's body in single quotes
    kept its quotes."""
    body = _request(("user", ['The actor\'s cue line to the unit, as written in the book:\n"repeat after me green river say '
                              'it loudly"\n\nContent only: did it say the right words? Use one word: Excellent / Good / '
                              'Fair / Poor / Bad.', ("audio", "green river", "quietly")]))
    assert judge_request.parse_judge_request(body)["axis"] == "semantic"
    body = _request(("user", ["I record what the trainee asks and what the gadget answers. Is the gadget's answer correct? "
                              "Answer Yes or No.\n\nTrainee (recording 1):", ("audio", "how many letters in mountain", ""),
                              "Gadget (recording 2):", ("audio", "8", "")]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"], req["replies"][0][0]) == ("score", "how many letters in mountain", "8")
    body = _request(("system", 'Today\'s prompt to every voice-box is: "what is 5 plus 6 say it sadly". Judge the replies '
                               "holistically."),
                    ("user", [("audio", "12", "sadly"), ("audio", "11", "happily"),
                              "Two voice-boxes, in the order played above. Which is better overall? Say FIRST, SECOND or SAME."]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], judge.ToyJudge().answer(req).strip()) == ("compare", "SECOND")
    body = _request(("user", ["Judge these two overall.\n\nCommentator's instruction: 'repeat after me blue sky say it sadly'"
                              "\n\nStand 3:", ("audio", "blue sky", "sadly"), "Stand 7:", ("audio", "blue", "sadly"),
                              "Answer on one line with STAND 3, STAND 7 or DEAD HEAT."]))
    assert judge_request.parse_judge_request(body)["question"] == "repeat after me blue sky say it sadly"


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Explain briefly, then end with a line 'Final verdict: X' where X is A, B, or tie.", True,
     {"style": "template", "template": ("Final verdict: ", "X", "")}),
    ("Grade only whether the words are correct.\n\nGrade key:\nA \u2014 exactly right\nB \u2014 right, with small extra wording\n"
     "C \u2014 partly right (something missing or changed)\nD \u2014 mostly wrong\nE \u2014 wrong or no answer\n\n"
     "Respond on one line as: Grade: <letter>", False, {"levels": ["E", "D", "C", "B", "A"], "alone": True}),
    ("Jingle test. Clip 1 = the listener request as it came in. Clip 2 = our bot's reply. Rate ONLY the delivery of clip 2 "
     "on 1\u20135. Bare digit please.", False, {"scale": (1, 5)}),
    ("Assess the reply as a whole.\nFill in the line below and return only that line:\nOverall: __/10", False,
     {"scale": (1, 10), "style": "line", "suffix": "/10"}),
])
def test_answer_forms_of_round_twenty_nine(rubric, pairwise, want):
    """Bugs caught (held-out round 29, 2026-12-06: batch 41 and plain 30, 15 of 20 and 29 of 30 at 299f790): a line
    to end with whose placeholder the rubric defines ("'Final verdict: X' where X is A, B, or tie") lost to the bare
    words; grade letters with an em dash and a note in parentheses not read, and "Respond on one line as:" not
    alone; numbered inputs ("Clip 1 = ..., Clip 2 = ...") read as a 1-2 scale; "__/10" no scale, so a 1-5 score was
    written "3/10"."""
    assert_answer_form(rubric, pairwise, want)


def test_rubric_axis_of_round_twenty_nine():
    """Bug caught: "right answer AND delivered in the requested manner" not both (and a "VOICE GUIDE" form's title
    read as the voice to judge)."""
    assert judge_axis.rubric_axis("SAND FESTIVAL - VOICE GUIDE SIGN-OFF FORM\nAssess the reply as a whole: right answer "
                                  "AND delivered in the requested manner.") == "holistic"


def test_inputs_of_round_twenty_nine():
    """Bugs caught: "I only care about HOW it said it: was the voice ..." and "... give one overall word from this
    ladder:" read as introducing the reply's words (the rest of the instructions became its transcript); a question
    in guillemets kept them."""
    assert judge_inputs.introduced_kind("I only care about HOW it said it:") is None
    assert judge_inputs.introduced_kind("Please say whether the answer was right, and give one overall word from this "
                                        "ladder:") is None
    assert judge_inputs.introduced_kind("Here is what the guide answered:") == ("reply", None)
    body = _request(("user", ["Last night a guest asked:\n\n\u00abhow many letters in bread, say it quietly\u00bb\n\nHere is "
                              "what the guide answered (recording attached). Please consider everything together and give "
                              "one overall word from this ladder:\nExcellent / Good / Fair / Poor / Bad",
                              ("audio", "4", "loudly")]))
    req = judge_request.parse_judge_request(body)
    assert (req["question"], req["replies"][0][0], req["heard"]) == ("how many letters in bread, say it quietly", "4", [True])


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Judge their manner of speech alone.\n\nProclaim thy verdict in one word: FIRST, SECOND, or EVEN.", True,
     {"labels": ["FIRST", "SECOND"], "tie": "EVEN", "alone": True}),
    ("Call it: HEADS, TAILS, or EDGE if you really can't separate them. One word.", True, {"tie": "EDGE", "alone": True}),
    ("Which answer is more useful?\nPrint: ITEM 001, ITEM 002, or\nEVEN if equally good.", True, {"tie": "EVEN", "alone": True}),
    ("Judge them overall. Answer with one line: SOLD TO BIDDER A, SOLD TO BIDDER B, or NO SALE if they're equal.", True,
     {"labels": ["SOLD TO BIDDER A", "SOLD TO BIDDER B"], "tie": "NO SALE", "alone": True}),
    ('Reply in JSON, thus: {"preferred_exhibit": 1 or 2, "reason": "..."}', True,
     {"style": "json", "labels": ["1", "2"]}),
    ("MARK CONTENT ONLY, 0-10. ANSWER = NUMBER ONLY, NOTHING ELSE. OVER.", False, {"style": "bare", "alone": True}),
    ("Score from 0 to 1 in steps of 0.25. Reply with one line: WB-SCORE=<value>", False, {"style": "template", "alone": True}),
])
def test_answer_forms_of_round_thirty(rubric, pairwise, want):
    """Bugs caught (held-out round 30, 2026-12-06: batch 42 and plain 31, 10 of 20 and 29 of 30 at 566d3fd): "in one
    word:" and "One word." not alone, EVEN not a tie word, "X if you really can't separate them" and "X if equally
    good" not the tie; "Print:" not an order to answer alone; three answers in capitals whose first two differ in
    their last word ("SOLD TO BIDDER A, SOLD TO BIDDER B, or NO SALE") not the labels; a JSON key's unquoted values
    ("1 or 2") not its labels; "NUMBER ONLY" not a bare number; "Reply with one line:" not alone."""
    assert_answer_form(rubric, pairwise, want)


def test_rubric_axis_of_round_thirty():
    """Bug caught: a "Voice desk assistant" (a thing named by the voice) read as the voice to judge."""
    assert judge_axis.rubric_axis("CATALOGUE CARD\nCollection: Voice desk assistant trials\nAssessor: please grade the response "
                                  "as a whole - what it said and how it said it.") == "holistic"


def test_inputs_of_round_thirty():
    """Bugs caught: a quoted question of two sentences cut after its first ('asked: "What is 2 plus 2? Say it happily."
    The conductor answered:'); a rule line ("--------") under the question read as part of it; a log's "reply=clip"
    read as the reply's words; "First clip: the kid's question (recorded at the workshop)." / "Second clip: what the
    teapot said back." read as two replies; a card's field whose name holds a long parenthesis did not end the reply
    above it; a reply given in an unclosed parenthesis kept its ")". The "boater" line is a guard: "What the boater
    said" (whoever asked) is no reply heading."""
    sections, _ = judge_sections.split_sections('A child in the front carriage asked: "What is 2 plus 2? Say it happily." The '
                                                'conductor answered:')
    assert sections[0] == ("question", None, '"What is 2 plus 2? Say it happily."')
    sections, _ = judge_sections.split_sections("Customer asked: What is 9 minus 2?\n--------------------------------\nITEM 001 "
                                                "answer recording")
    assert sections[0] == ("question", None, "What is 9 minus 2?")
    assert judge_inputs.heading_kind("what the teapot said back") == ("reply", None)
    assert judge_inputs.heading_kind("What the boater said") != ("reply", None)
    body = _request(("user", ["We do a go/no-go on each recorded answer.\n\nFirst clip: the kid's question (recorded at the "
                              "workshop).", ("audio", "how many letters in bread say it quietly", ""),
                              "Second clip: what the teapot said back.", ("audio", "9", "quietly"),
                              "Write PASS if you'd put it on the float, FAIL if not. Just the one word."]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"], req["replies"][0][0]) == ("score", "how many letters in bread say it quietly", "9")
    body = _request(("user", ["Question: what is 9 minus 2\nReply=clip", ("audio", "8", ""), "Is it right? Answer YES or NO."]))
    assert judge_request.parse_judge_request(body)["replies"][0][0] == "8"
    card = ("CATALOGUE CARD\nPatron's request (spoken at the issue desk, transcribed): repeat after me silver moon\nResponse: see "
            "recording\nAssessor: please grade the response as a whole.")
    assert judge_request._their_inputs([card])[0][-1] == ("reply", None, "")
    sections, _ = judge_sections.split_sections("A solver asked, \"Spell lemon backwards.\" The line answered as follows (our "
                                                "transcription: lemon backwards is lemon).")
    assert sections[-1] == ("reply", None, "lemon backwards is lemon")


@pytest.mark.parametrize("rubric,pairwise,want", [
    ("Answer 'Radio 1' or 'Radio 2', that's all.", True, {"alone": True}),
    ("which one gave the correct answer? reply OLD or NEW only please, i read these on my phone", True, {"alone": True}),
    ("Race officer needs a one-word call: Red or Blue.", True, {"alone": True}),
    ("Judge them overall.\n\nWrite exactly one of: Jar 1 / Jar 2 / Dead heat", True, {"tie": "Dead heat"}),
    ("only question: did it SAY it the way it was asked? not bothered if the number's right.\nY or N", False,
     {"levels": ["N", "Y"], "style": "bare"}),
    ("voice_eval: scale=0..100 (0 worst, 100 best)\nvoice_eval: expected_output=\"score=<int>\"", False,
     {"scale": (0, 100), "style": "template", "alone": True}),
    ("Taking into account both the content and the delivery, is Response A better than Response B? Answer Yes or No.", True,
     {"labels": ["Yes", "No"], "tie": "No", "alone": True}),
])
def test_answer_forms_of_round_thirty_one(rubric, pairwise, want):
    """Bugs caught (held-out round 31, 2026-12-06: batch 43 and plain 32, 11 of 20 and 29 of 30 at cf8f970): "that's
    all", "X or Y only please" and "a one-word call: X or Y" not alone; "Dead heat" not a tie; "Y or N" not a verdict
    (and "the number's right" read as asking for a number); "scale=0..100" no scale and a harness's expected_output
    not alone; "is Response A better than Response B? Answer Yes or No." answered with a label."""
    assert_answer_form(rubric, pairwise, want)


@pytest.mark.parametrize("text,axis", [
    ("We swapped its voice chip. Which one gives the correct answer? Both voices are tinny, so ignore sound quality "
     "completely.", "semantic"),
    ("Could you compare just the voice/delivery of the two replies? Both got the sum right, so no need to judge that.",
     "acoustic"),
])
def test_rubric_axis_of_round_thirty_one(text, axis):
    """Bugs caught: the reason given for ignoring a side ("Both voices are tinny, so ignore sound quality") kept
    that side, and a "voice chip" is a thing; "compare just the voice/delivery" did not narrow."""
    assert judge_axis.rubric_axis(text) == axis


def test_inputs_of_round_thirty_one():
    """Bugs caught: "Reply: A, B or SAME" after the clips read as a reply's words; clip labels at the end of a
    paragraph ("... both answered. first clip is the old tablet:") no pair; a table naming the clips ("| Unit Red |
    first clip |") no pair; "only question: did it ...?" read as the user's question; a harness's expected_output
    read as a reference answer. The "user" / "assistant" pair is a guard: a clip that is the user's is no reply."""
    sections, free = judge_sections.split_sections("Listen to each guide's answer.\n\x00after audio\x00\nReply: A, B or SAME")
    assert sections == [] and "Reply: A, B or SAME" in free
    assert judge_choices.paired_names("first clip is the old tablet:", "second clip is the new tablet:") == ("old", "new")
    assert judge_choices.paired_names("That's the user.", "That's the assistant.") is None
    assert judge_choices.ordered_names("| Unit Red | first clip |\n| Unit Blue | second clip |") == ("Red", "Blue")
    assert judge_inputs.heading_kind("only question") is None
    assert judge_inputs.heading_kind("expected_output".replace("_", " ")) is None
    body = _request(("user", ["kayak hut check. someone typed \"What is 6 times 7?\" into it. both answered. first clip is the "
                              "old tablet:", ("audio", "42", ""), "second clip is the new tablet:", ("audio", "41", ""),
                              "which one gave the correct answer? dont care about the voice. reply OLD or NEW only please"]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], judge.ToyJudge().answer(req).strip()) == ("compare", "OLD")


@pytest.mark.parametrize("text,axis", [
    ("I should be grateful if you would adjudicate solely on whether the answer is correct - the engine's voice is not a "
     "matter for the league.", "semantic"),
    ("I'd like a mark for the words only - how true they are to what was asked.", "semantic"),
    ("RATE CORRECTNESS OF ANSWER ONLY NOT VOICE STOP SCALE ZERO TO TEN STOP", "semantic"),
    ("Compare two spoken answers against the reference answer. Which response agrees better with the reference?",
     "semantic"),
    ("Both samples say the same words. Which sample is spoken better, in the manner the instruction asks for?", "acoustic"),
])
def test_rubric_axis_of_round_thirty_two(text, axis):
    """Bugs caught (held-out round 32, 2026-12-06: batch 44 and plain 33, 7 of 20 and 28 of 30 at b937e07):
    "adjudicate solely on" did not narrow and "is not a matter for the league" left nothing out; "how true they are to
    what was asked" not content; "ANSWER ONLY NOT VOICE" kept the voice; "agrees better with the reference" not content;
    "spoken better, in the manner ..." not the delivery."""
    assert judge_axis.rubric_axis(text) == axis


def test_inputs_of_round_thirty_two():
    """Bugs caught: two clips named before their order ("The Lead part's recording is first, the Baritone's second."),
    or by their order alone ("The first ghost (transcript: ...):" / "The second ghost (...):"), no pair; "Which caller
    is better" after two unlabelled clips no comparison; "Blend if you honestly can't split them" not the tie."""
    assert judge_choices.ordered_names("The Lead part's recording is first, the Baritone's second.") == ("Lead", "Baritone")
    assert judge_choices.paired_names('The first ghost (transcript: "9"):', 'The second ghost (transcript: "6"):') == \
        ("first", "second")
    assert judge_rubric.answer_format("Answer with the part name: Lead or Baritone, or Blend if you honestly can't split "
                                      "them.", True)["tie"] == "Blend"
    body = _request(("user", ['Punter\'s question: "What is 2 times 6?"\nCaller A said "12", Caller B said "12" - recordings '
                              "in that order.", ("audio", "12", "quickly"), ("audio", "12", "slowly"),
                              "Which caller is better on everything? Reply A, B, or LEVEL if neither is better."]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], judge.ToyJudge().answer(req).strip()) == ("compare", "LEVEL")


def test_a_clip_the_prose_says_is_asking_is_no_reply():
    """Bug caught (round 32): "Ann is one of our volunteers asking a test question" over clips labelled "Ann's clip:" /
    "Ben's clip:" read as a pair of replies named Ann and Ben."""
    body = _request(("user", ["Ann is one of our volunteers asking a test question; Ben is the assistant. Did Ben answer "
                              "correctly? Answer YES or NO.\n\nAnn's clip:", ("audio", "what is 9 minus 2", ""), "Ben's clip:",
                              ("audio", "7", "")]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["replies"][0][0]) == ("score", "7")


def test_an_example_answer_that_is_a_number_with_its_unit():
    """Bug caught (round 32's b44_watermill_sacks, left out at 3e898b9): "Tell me how many sacks, like '3 sacks'." was
    answered in the default <score> tag; the answer is the example with the value in place of its number. The
    reply here scores 5, not the example's 3: a reader that copied the example whole would answer "3 sacks"."""
    assert judge_forms.answer_template("We grade in sacks, from 1 to 5. Tell me how many sacks, like '3 sacks'.") == \
        ("", "3", " sacks")
    assert judge_forms.answer_template("How many stars? e.g. \u201c4 stars\u201d") == ("", "4", " stars")
    body = _request(("user", ['A lass asked it "What is 6 times 7?" and it said "42".', ("audio", "42", ""),
                              "A mark for the words only, never mind the voice: 1 sack (poor) to 5 sacks (perfect). "
                              "Tell me how many sacks, like '3 sacks'."]))
    assert judge.ToyJudge().answer(judge_request.parse_judge_request(body)).strip().splitlines()[-1] == "5 sacks"


@pytest.mark.parametrize("text,axis", [
    ("SPECIES ...... till helper (voice)\nCHECK ........ is the ANSWER right? that is all. ignore the voice, ignore how it "
     "sounds. only whether what it says is correct.", "semantic"),
    ("Only thing I care about here: is the number right. Don't mark anyone down for how loud or odd they sound.", "semantic"),
    ("Both said the right words, so leave the words out of it. What I need to know is the VOICE: which one spoke the way "
     "the visitor asked - hushed, clear, even?", "acoustic"),
    ("We're letting a voice gadget do the chalking. Mark the ANSWER only - is the arithmetic right - not the voice.",
     "semantic"),
    ("Take the whole thing into account - whether the number's right and whether it was said the way I asked.", "holistic"),
    ("I am not bothered how they sound my hearing is not what it was I only want to know which one got it right",
     "semantic"),
    ("Call it on everything: right answer, and said how the skater asked. Which bot wins overall?", "holistic"),
])
def test_rubric_axis_of_round_thirty_three(text, axis):
    """Bugs caught (held-out round 33, 2026-12-06: batch 45 and plain 34, 10 of 20 and 30 of 30 at b9cde3f): "only
    whether what it says is correct" did not narrow, so a "(voice)" in a label line made it holistic; "is the number
    right" and "whether the number's right" not content; "so leave the words out of it" left nothing out; "voice gadget"
    read as the voice to judge; "not bothered how they sound" in a letter with no stops left out the rest of it
    ("I only want to know which one got it right" too); "said how the skater asked" not the delivery."""
    assert judge_axis.rubric_axis(text) == axis


def test_answer_forms_of_round_thirty_three():
    """Bugs caught: "PASS (correct) or FAIL (not correct)" not read as the verdict's words (the parentheses); "as a single
    line:  Award: <word>" no template; "the digit and nothing else" not a bare number; "Reply with the one word ATTACK or
    DEFENCE" and "just the one word first or second" answered in a tag. Guards: a verdict's YES or NO in capitals stays a
    verdict, and "Reply with A or B" keeps the letters."""
    assert judge_levels.answer_words("Rule with one word: PASS (correct) or FAIL (not correct).") == ["FAIL", "PASS"]
    ladder = "Award one of: Excellent, Good, Fair, Poor, Bad.\nWrite it on the award card as a single line:  Award: <word>"
    assert judge_rubric.answer_format(ladder)["template"] == ("Award: ", "<word>", "")
    assert judge_rubric.answer_format("RETURN ....... the digit and nothing else - it goes onto the label printer")["style"] == "bare"
    own = judge_rubric.answer_format("Which one gives the better answer? Reply with the one word ATTACK or DEFENCE.", True)
    assert (own["style"], own["labels"]) == ("bare", ["ATTACK", "DEFENCE"])
    assert judge_rubric.answer_format("please write back just the one word first or second", True)["style"] == "bare"
    assert "labels" not in judge_rubric.pair_verdict("Which reply is more helpful? Answer YES or NO.")[0]
    assert judge_rubric.answer_format("Which is better? Reply with A or B.", True).get("labels", ["A", "B"]) == ["A", "B"]


def test_inputs_of_round_thirty_three():
    """Bugs caught: "Second clip: the guide's spoken answer." read as the reply's words ("spoken" between the owner and
    "answer"); a toy question in a letter with no stops ("so I asked it to spell bread backwards and two different ones
    answered") not found; a question written in lower case inside a sentence kept the sentence's full stop. Guard: a
    phrase to repeat that runs on ("repeat after me red kite and then stop") is still not guessed."""
    assert judge_inputs.heading_kind("the guide's spoken answer") == ("reply", None)
    assert judge_inputs.toy_question("", "so I asked it to spell bread backwards and two different ones answered") == \
        "spell bread backwards"
    assert judge_inputs.toy_question("", "repeat after me red kite and then stop") == ""
    body = _request(("user", ["Exhibit 14/3. The exhibit was asked, in the ring, to: spell frog backwards, say it happily.\n"
                              "It is judged on the voice only: whether it was delivered in the manner asked.",
                              ("audio", "frog backwards is gorf", "happily"), "Score it from 1 to 5."]))
    assert judge_request.parse_judge_request(body)["question"] == "spell frog backwards, say it happily"


def test_a_yes_no_question_answered_in_the_rubrics_own_two_words():
    """Bug caught (round 32's b44_community_fridge_keep_bin, left out at 7746cf8): "is it fit to keep? Write KEEP or BIN."
    was answered with a <score> tag; the two capitals answer the question, the yes first. A reader that took the
    second word for the yes would answer KEEP for a reply that fails. Guard: a known verdict keeps its own order."""
    asked = "Taking everything into account - the right answer and how it was said - is it fit to keep? Write KEEP or BIN."
    assert judge_levels.answer_words(asked) == ["BIN", "KEEP"]
    assert judge_levels.answer_words("Is the answer right? Answer NO or YES.") == ["NO", "YES"]
    body = _request(("user", ['The kid asked "how many letters in apple". The recorded answer:', ("audio", "12", ""), asked]))
    assert judge.ToyJudge().answer(judge_request.parse_judge_request(body)).strip() == "BIN"


def test_two_replies_named_by_two_word_names_with_their_words_quoted():
    """Bug caught (round 32's b44_stilt_troupe_walker_name, left out at 4220b01): 'Tall Tom said: "7"' / 'Long Lucy said:
    "6"' over two clips read as one reply scored (two words of each label line differ, and the quoted words too);
    "Reply with the walker's name only (Tall Tom or Long Lucy)" answered in a tag. A reader that took the quoted words
    for part of the name, or the first word alone, would find no pair or answer "Long"."""
    assert judge_choices.paired_names('Tall Tom said: "7"', 'Long Lucy said: "6"') == ("Tall Tom", "Long Lucy")
    assert judge_choices.paired_names('Tom said: "7"', 'Lucy said: "6"') == ("Tom", "Lucy")
    body = _request(("user", ["Tonight's quiz question was:\nHow many letters in garden?\n\nTall Tom said: \"7\"",
                              ("audio", "7", "loudly"), 'Long Lucy said: "6"', ("audio", "6", "loudly"),
                              "Ignore the volume. We only want to know who gave the right answer. Reply with the walker's "
                              "name only (Tall Tom or Long Lucy)."]))
    req = judge_request.parse_judge_request(body)
    assert ([t for t, _, _ in req["replies"]], judge.ToyJudge().answer(req).strip()) == (["7", "6"], "Long Lucy")


@pytest.mark.parametrize("text,axis", [
    ("The words are the same in both takes. Which take SOUNDS more like what was asked for?", "acoustic"),
    ("Judge them overall: the words have to be right and the delivery has to match the instruction.", "holistic"),
])
def test_rubric_axis_of_round_thirty_four(text, axis):
    """Bugs caught (held-out round 34, 2026-12-06: batch 46 and plain 35, 12 of 20 and 30 of 30 at d79451f): "SOUNDS more
    like what was asked for" not the delivery; "the words have to be right" not content, so "overall" with the
    delivery read as the delivery alone."""
    assert judge_axis.rubric_axis(text) == axis


def test_answer_forms_of_round_thirty_four():
    """Bugs caught: "want=single integer, no words" and "Reply with just the value" not a bare number; "__ / 10" on a line
    to fill lost its " / 10"; "a percentage from 0% to 100%, like 40%, and nothing more" read on 1-5 in a tag; "[[v3]],
    [[v4]] or [[tie]]" answered on a "Verdict:" line; "Just the name please (Pip or Juno), or Draw." answered in a tag
    with no tie. Guards: "[[A]]" and "[[1]]" keep their own labels."""
    assert judge_rubric.answer_format("range=0..10 integer | want=single integer, no words")["style"] == "bare"
    assert judge_rubric.answer_format("A correctness value from 0 to 1. Reply with just the value, please.")["style"] == "bare"
    assert judge_rubric.answer_format("Fill in this line and send only the line:\nBOARD CHECK - overall: __ / 10")["template"] == \
        ("BOARD CHECK - overall: ", "__", " / 10")
    percent = judge_rubric.answer_format("Give me a percentage from 0% to 100%, like 40%, and nothing more.")
    assert (percent["scale"], percent["template"], percent.get("alone")) == ((0, 100), ("", "40", "%"), True)
    own = judge_rubric.answer_format("Verdict: [[v3]], [[v4]] or [[tie]].", True)
    assert (own["style"], own["labels"], own["tie"]) == ("brackets", ["v3", "v4"], "tie")
    named = judge_rubric.answer_format("Just the name please (Pip or Juno), or Draw.", True)
    assert (named["style"], named["labels"], named["tie"]) == ("bare", ["Pip", "Juno"], "Draw")
    assert judge_rubric.answer_format("Output [[A]], [[B]] or [[C]] for a tie.", True)["labels"] == ["A", "B"]
    assert judge_rubric.answer_format("Output [[1]], [[2]] or [[0]] for a tie.", True)["labels"] == ["1", "2"]


def test_inputs_of_round_thirty_four():
    """Bugs caught: "Clip filed under machine #14:" / "... #27:" no pair (the word before the number in lower case);
    "This week's interval question was: Which is smaller, 47 or 74? The helper's answer is attached." lost the
    question's mark (a sentence followed it)."""
    assert judge_choices.paired_names("Clip filed under machine #14:", "Clip filed under machine #27:") == ("14", "27")
    assert judge_inputs.toy_question("", "This week's question was: Which is smaller, 47 or 74? The answer is attached.") == \
        "Which is smaller, 47 or 74?"


def test_a_numbered_clip_the_prose_says_is_asking_is_the_question():
    """Bug caught (round 32's b44_lost_dog_line_audio_question, left out at f179bb1): "Clip 1 is one of our volunteers
    playing a caller and asking a test question. Clip 2 is how the assistant answered." over "Clip 1:" / "Clip 2:" read as
    a comparison of two replies (the question one of them). Guard: two numbered clips the prose does not say ask
    anything stay a pair."""
    said = "Clip 1 is one of our volunteers playing a caller and asking a test question. Clip 2 is how the assistant answered."
    body = _request(("user", [said + "\n\nClip 1:", ("audio", "what is 9 minus 2", ""), "Clip 2:", ("audio", "it is 7", ""),
                              "Did the assistant give the correct answer? Answer YES or NO in capitals, nothing else."]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"], judge.ToyJudge().answer(req).strip()) == ("score", "what is 9 minus 2", "YES")
    body = _request(("user", ["Question: what is 9 minus 2\n\nClip 1:", ("audio", "it is 7", ""), "Clip 2:", ("audio", "it is 8", ""),
                              "Which clip answers correctly? Answer 1 or 2."]))
    assert judge_request.parse_judge_request(body)["mode"] == "compare"


def test_two_labels_and_a_tie_in_one_repeated_word():
    """Bug caught (round 32's b44_tram_clippie_heading_punch, left out at 34665b6): "write PUNCH 1 or PUNCH 2, or PUNCH
    BOTH if there's nothing between them" was answered in a tag after a justification naming "PUNCH 1" first, and its
    tie was not "PUNCH BOTH". Guard: without a tie in the same word ("write take 1 or take 2") the labels stand as before."""
    punch = judge_rubric.answer_format("Punch the better ticket: write PUNCH 1 or PUNCH 2, or PUNCH BOTH if there's "
                                       "nothing between them.", True)
    assert (punch["style"], punch["labels"], punch["tie"]) == ("bare", ["PUNCH 1", "PUNCH 2"], "PUNCH BOTH")
    take = judge_rubric.answer_format("pls just write take 1 or take 2", True)
    assert (take["labels"], take["tie"]) == (["take 1", "take 2"], "tie")


@pytest.mark.parametrize("text,axis", [
    ("I'm NOT bothered here whether the number's right - our treasurer checks that. I want to know how it was delivered: "
     "pace, clarity.", "acoustic"),
    ("We are trialling a bedside voice companion. Our pharmacist checks separately whether what it says is factually right, "
     "so that is NOT what I need from you. What I have been asked to look at is how it sounds.", "acoustic"),
    ("I'm not after whether the answer is right - I want to know how well it handled HOW it said it: the volume, the pace.",
     "acoustic"),
    ("The trustees ask you to judge only the manner in which it is spoken.", "acoustic"),
    ("Which gave the better answer (right and to the point)? Sound quality not relevant.", "semantic"),
    ("Taking everything into account - getting it right AND the way it was said - which conductor did better?", "holistic"),
    ("Compare the voice assistant's response with the reference answer and grade how correct the content is on a scale of "
     "1 to 5. Do not judge the voice.", "semantic"),
])
def test_rubric_axis_of_round_thirty_five(text, axis):
    """Bugs caught (held-out round 35, 2026-12-06: batch 47 and plain 36, 10 of 20 and 29 of 30 at cad0fca): "NOT bothered
    here whether" left nothing out (an adverb between; round 33's reading of "the number's right" as content made this
    prompt, read right at the session's start, misread); "Our pharmacist checks separately whether ..." and "I'm not after
    whether ..." left nothing out; a "voice companion" read as the voice to judge; "the manner in which it is spoken" not
    the delivery; "not relevant" without "is" left nothing out, and "(right and to the point)" not content; "Taking
    everything into account" not the whole; "the way it was said" not the delivery; "the reference answer and grade how
    correct" read as weighing both ("answer and ... how")."""
    assert judge_axis.rubric_axis(text) == axis


def test_answer_forms_of_round_thirty_five():
    """Bugs caught: "## Fill in this line and return only it" over "OVERALL: _/5" (a heading, no colon) showed no line to
    fill; "reply CORRECT or WRONG thats it" not a verdict; "Rate ... out of 100" read 1-100; "Preferred sample: 1, Preferred
    sample: 2, or Preferred sample: neither" lost to "The reviewer is asked to reply with a single line:" read as the
    question's heading; "One word please: Left, Right or Neither." and "Answer with just the bus: Leyland or Routemaster
    (or 'Dead heat' if truly equal)." answered in a tag or with a letter."""
    filled = judge_rubric.answer_format("## What we want\nAn overall mark, 1 = poor, 5 = excellent.\n\n## Fill in this line and "
                                        "return only it\nOVERALL: _/5")
    assert filled["template"] == ("OVERALL: ", "_", "/5")
    assert judge_levels.answer_words("dont care about the voice. reply CORRECT or WRONG thats it") == ["WRONG", "CORRECT"]
    assert judge_scale.named_scale("Rate the delivery out of 100 and write it as N/100.") == (0, 100)
    assert judge_inputs.heading_kind("The reviewer is asked to reply with a single line") is None
    one = judge_rubric.answer_format("Which one gets the words right? One word please: Left, Right or Neither.", True)
    assert (one["style"], one["labels"], one["tie"]) == ("bare", ["Left", "Right"], "Neither")
    bus = judge_rubric.answer_format("Answer with just the bus: Leyland or Routemaster (or 'Dead heat' if truly equal).", True)
    assert (bus["style"], bus["labels"], bus["tie"]) == ("bare", ["Leyland", "Routemaster"], "Dead heat")


def test_inputs_of_round_thirty_five():
    """Bugs caught: "... recorded answering a visitor who asked:" introduced a reply ("answering"), so the question and
    the paragraph after it were read as a reply's words; "The first clip is the LEFT speaker's unit, the second clip is the
    RIGHT speaker's unit." named no pair (the names in capitals)."""
    assert judge_inputs.introduced_kind("Two candidate voices have been recorded answering a visitor who asked:") == \
        ("question", None)
    assert judge_choices.ordered_names("The first clip is the LEFT speaker's unit, the second clip is the RIGHT speaker's "
                                        "unit.") == ("LEFT", "RIGHT")


def test_round_thirty_six():
    """Bugs caught (held-out round 36, 2026-12-06: batch 48 and plain 37, 15 of 20 and 30 of 30 at 82e4ed5): "The voice,
    the accent, the volume, this is not important for us here." left only "this is not important" out (the list taken up
    again by "this"); "| Answer A | audio 1 |" read "audio 1" as the reply's words; "Reply by filling in this line:"
    introduced a reply; "build 14 answer:" / "build 15 answer:" named no pair (the word before the number in lower case);
    "First clip = my question. Second clip = answer A. Third clip = answer B" over three clips read as one reply scored."""
    assert judge_axis.rubric_axis("Please evaluate only if the answer is correct (the content). The voice, the accent, the "
                                  "volume, this is not important for us here.") == "semantic"
    table = _request(("user", ["| Item | Detail |\n|---|---|\n| Operator question | what is 8 times 6 |\n| Answer A | audio 1 |\n"
                               "| Answer B | audio 2 |", ("audio", "8 times 6 is 48", "quietly"), ("audio", "8 times 6 is 47", ""),
                               "Assess correctness of content only. Output [[A]], [[B]] or [[C]] for a tie."]))
    assert [t for t, _, _ in judge_request.parse_judge_request(table)["replies"]] == ["8 times 6 is 48", "8 times 6 is 47"]
    assert judge_inputs.introduced_kind("Reply by filling in this line:") is None
    assert judge_choices.paired_names("build 14 answer:", "build 15 answer:") == ("14", "15")
    body = _request(("user", ["Three voice clips from my van. First clip = my question. Second clip = answer A. Third clip = "
                              "answer B.", ("audio", "what is 3 plus 5", ""), ("audio", "3 plus 5 is 7", ""),
                              ("audio", "3 plus 5 is 8", ""), "Which answer gets the sum right? Judge what they say only, "
                              "not the voice. Put A, B or tie inside <answer></answer> tags."]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"], judge.ToyJudge().answer(req).strip().splitlines()[-1]) == \
        ("compare", "what is 3 plus 5", "<answer>B</answer>")


@pytest.mark.parametrize("text,axis", [
    ("Decide which spoken response better completes the user's request. Judge the words only, not the voice.", "semantic"),
    ("Both spake the very same words, so weigh not the words but the MANNER of speaking alone - the tone, the cheer.",
     "acoustic"),
])
def test_rubric_axis_of_round_thirty_seven(text, axis):
    """Bugs caught (held-out round 37, 2026-12-06: batch 49 and plain 38, 11 of 20 and 29 of 30 at 47efd4a): "Judge the
    words only" not content; "not the words but the MANNER of speaking" left the manner out with the words (a contrast's
    "but" did not end what "not" leaves out)."""
    assert judge_axis.rubric_axis(text) == axis


def test_answer_forms_of_round_thirty_seven():
    """Bugs caught: "Send back just that one table row with the Score cell filled in." answered in a tag; 'exactly like
    "3 lemons out of 5"' not the answer's form (words and a number after the unit); '{"better_car": 1} or {"better_car":
    2}' answered "Car 1" (the shown values unquoted)."""
    table = ("| Exhibit | Visitor's question | Recording | Score (0-10) |\n|---|---|---|---|\n| St Mary's | Which is larger, 64 or "
             "29? | see attached | |\n\nSend back just that one table row with the Score cell filled in.")
    assert judge_rubric.answer_format(table)["template"] == ("| St Mary's | Which is larger, 64 or 29? | see attached | ", "", " |")
    assert judge_forms.answer_template('She wants it written exactly like "3 lemons out of 5".') == ("", "3", " lemons out of 5")
    car = judge_rubric.answer_format('Reply in JSON only, like {"better_car": 1} or {"better_car": 2}.', True)
    assert (car["style"], car["labels"]) == ("json", ["1", "2"])


def test_inputs_of_round_thirty_seven():
    """Bugs caught: <question> around a clip alone gave no question heading, and <response_a> / <response_b> named no
    replies A and B (their letters in lower case); '<answer>tie</answer>' in the answer's form read as an answer heading
    over the word "tie"; "reply=clip_0541.wav" read as the reply's words; "Preferred take: ___" read as a reply heading;
    "Q: spell road backwards | booth A:" / "| booth B:" named no pair (the label is the last field of a pipe line)."""
    body = _request(("user", ["Decide which spoken response better completes the user's request. Judge the words only, "
                              "not the voice.\n\n<question>\n", ("audio", "repeat after me blue sky", ""),
                              "</question>\n\n<response_a>\n", ("audio", "you said blue sea", ""),
                              "transcript: you said blue sea</response_a>\n\n<response_b>\n", ("audio", "you said blue", ""),
                              "transcript: you said blue</response_b>\n\nWrite your reasoning, then your choice as "
                              "<answer>A</answer>, <answer>B</answer> or <answer>tie</answer>."]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"], [t for t, _, _ in req["replies"]]) == \
        ("compare", "repeat after me blue sky", ["you said blue sea", "you said blue"])
    assert judge.ToyJudge().answer(req).strip().splitlines()[-1] == "<answer>A</answer>"
    body = _request(("user", ['05:41:12 parlour-bot[2] INFO ask source=stall4 q="how many letters in milk say it quietly" '
                              'reply=clip_0541.wav\n\nclip_0541.wav:', ("audio", "the count is 5", "loudly"),
                              "Is this reply good enough to keep? Put PASS or FAIL on the first line."]))
    assert judge_request.parse_judge_request(body)["replies"][0][0] == "the count is 5"
    assert judge_inputs.heading_kind("Preferred take") is None
    body = _request(("system", "Toll plaza 4 - booth voice QA."), ("user", ["Q: spell road backwards | booth A:",
                     ("audio", "road backwards is daor", ""), "| booth B:", ("audio", "um the toll is 3 pounds", ""),
                     "| check: correct answer only, ignore voice | out: A / B / = (same) | 1 char only"]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], judge.ToyJudge().answer(req).strip()) == ("compare", "A")


@pytest.mark.parametrize("text,axis", [
    ("I am not concerned with the manner of its speaking - the tone of voice is neither here nor there to me - only with "
     "whether what it said answers the lady's question properly.", "semantic"),
    ("Judge overall: right answer first and foremost, then whether it was hollered the way the crowd asked.", "holistic"),
    ("Rate the response from 1 to 10 considering everything: whether it does what was asked and how well it is spoken.",
     "holistic"),
])
def test_rubric_axis_of_round_thirty_eight(text, axis):
    """Bugs caught (held-out round 38, 2026-12-06: batch 50 and plain 39, 13 of 20 and 28 of 30 at 62b2598): "not
    concerned with the manner ... - only with whether what it said answers" left the content out with the manner (a
    spaced dash before "only" did not end it); "hollered the way the crowd asked" not the delivery; "whether it does what
    was asked" not content, so "considering everything" with "how well it is spoken" read as the delivery alone."""
    assert judge_axis.rubric_axis(text) == axis


def test_answer_forms_of_round_thirty_eight():
    """Bugs caught: "answer with one line exactly like `Delivery mark: 7/10`" not a template (its key not a score word);
    "Result: [          ]" filled without its brackets; "write it thus, on a line of its own:\\nVerdict: <word>" not the
    answer's line; "[[uphill]] or [[downhill]] - or [[same]]" not the verdict's labels; "write port or starboard or same if
    theyre equal" answered in a tag; 'writing "Assistant 1" or "Assistant 2" on the first line' answered after a
    justification."""
    assert judge_forms.answer_template("Fill in the missing cell: answer with one line exactly like `Delivery mark: 7/10`.") == \
        ("Delivery mark: ", "7", "/10")
    assert judge_forms.answer_template("Fill in the box with CORRECT or INCORRECT and return the filled line only:\n"
                                       "Result: [          ]") == ("Result: [", "", "]")
    ladder = judge_rubric.answer_format("Kindly grade it with one of my words, Excellent, Good, Fair, Poor or Bad, and write it "
                                        "thus, on a line of its own:\nVerdict: <word>")
    assert ladder["template"] == ("Verdict: ", "<word>", "")
    rail = judge_rubric.answer_format("Give your verdict as [[uphill]] or [[downhill]] - or [[same]] if neither is better.", True)
    assert (rail["labels"], rail["tie"]) == (["uphill", "downhill"], "same")
    boat = judge_rubric.answer_format("which one got the answer right\nwrite port or starboard or same if theyre equal", True)
    assert (boat["style"], boat["labels"], boat["tie"]) == ("bare", ["port", "starboard"], "same")
    assert judge_rubric.answer_format('Output which answer is more accurate, writing "Assistant 1" or "Assistant 2" on the first '
                                      'line, then a short explanation.', True).get("alone")


def test_inputs_of_round_thirty_eight():
    """Bugs caught: 'Uphill car's reply - transcript: "9 minus 3 is 6"' / 'Downhill car's reply - transcript: "..."' and
    "port speaker said 8 minus 2 is 6" / "starboard speaker said ..." named no pair (their words differ too); '(speed,
    loudness and tone only - both say the same words). Please reply in the form "Preferred: Recording A"' took the form's
    words for both replies' transcript. Guard: "Biscuit's saddle bag said this:" gives no words ("this")."""
    assert judge_choices.paired_names("Uphill car's reply - transcript: \"9 minus 3 is 6\"",
                                       "Downhill car's reply - transcript: \"9 minus 3 is 5\"") == ("Uphill", "Downhill")
    assert judge_choices.paired_names("port speaker said 8 minus 2 is 6", "starboard speaker said 8 minus 2 is 7") == \
        ("port", "starboard")
    body = _request(("user", ["cook asked both what is 8 minus 2\nport speaker said 8 minus 2 is 6", ("audio", "8 minus 2 is 6", ""),
                              "starboard speaker said 8 minus 2 is 7", ("audio", "8 minus 2 is 7", ""),
                              "which one got the answer right thats all i care about not the voice\nwrite port or starboard or "
                              "same if theyre equal"]))
    req = judge_request.parse_judge_request(body)
    assert ([t for t, _, _ in req["replies"]], judge.ToyJudge().answer(req).strip()) == (["8 minus 2 is 6", "8 minus 2 is 7"], "port")
    body = _request(("user", ['4.1 Two recordings were made of it answering Mr Doyle, who asked: "Spell owl backwards, say it '
                              'quickly."\n4.2 Recording A (transcript: "owl backwards is lwo"):', ("audio", "owl backwards is lwo",
                              "quickly"), '4.3 Recording B (transcript: "owl backwards is lwo"):', ("audio", "owl backwards is lwo",
                              "slowly"), "4.4 ACTION: the committee asks the reviewer to state which recording is delivered more "
                              "appropriately (speed, loudness and tone only - both say the same words). Please reply in the form "
                              '"Preferred: Recording A", "Preferred: Recording B" or "Preferred: no preference".']))
    assert [t for t, _, _ in judge_request.parse_judge_request(body)["replies"]] == ["owl backwards is lwo"] * 2
    body = _request(("user", ["Biscuit's saddle bag said this:", ("audio", "you said sun hat", "quietly"), "Pickle's saddle bag "
                              "said this:", ("audio", "you said sun hat", "loudly"), "Which did it better? Just listen to HOW it "
                              "was said. Write only the donkey's name (Biscuit or Pickle), nothing else."]))
    assert "this:" not in [t for t, _, _ in judge_request.parse_judge_request(body)["replies"]]


@pytest.mark.parametrize("text,axis", [
    ("Oyakata only wants to know which one SOUNDS better doing what it was told. Whether the words are right is not the "
     "question today.", "acoustic"),
    ("Line 8. Appraisal required: CONTENT ONLY - did it repeat the words back correctly? (voice condition is appraised "
     "separately on line 9)", "semantic"),
    ("dont care if the number is right im only asking about how it spoke it speed clarity all that", "acoustic"),
    ("How good is that as an ANSWER? Just the answer mind, not the scale's voice, which is dreadful.", "semantic"),
    ("MARBLES CHAMPIONSHIP - voice scorer trial. The referee's ruling is on the ANSWER ONLY - is the number right.",
     "semantic"),
])
def test_rubric_axis_of_round_thirty_nine(text, axis):
    """Bugs caught (held-out round 39, 2026-12-06: batch 51 and plain 40, 10 of 20 and 29 of 30 at 87ece7e): "is not the
    question today" left nothing out; "appraised separately on line 9" left nothing out; "dont care ... im only asking
    about how it spoke it" left the delivery out too (no stop before "im only"); "Just the answer" not content; a "voice
    scorer" read as the voice to judge."""
    assert judge_axis.rubric_axis(text) == axis


def test_answer_forms_of_round_thirty_nine():
    """Bugs caught: "If the delivery is good, log RELAY OK; if it is not, log RELAY FAULT." not a verdict; "reply with just
    the word ONE, TWO, or SAME" and "Punch in the slot code only: A1, B7, or SAME" not the labels; "finish with 'Final
    answer: <A, B or tie>'" answered with the bare letter."""
    assert judge_levels.answer_words("If the delivery is good, log RELAY OK; if it is not, log RELAY FAULT. One line, nothing "
                                    "else.") == ["RELAY FAULT", "RELAY OK"]
    word = judge_rubric.answer_format("Which answer is better overall? Please reply with just the word ONE, TWO, or SAME.", True)
    assert (word["style"], word["labels"], word["tie"]) == ("bare", ["ONE", "TWO"], "SAME")
    slot = judge_rubric.answer_format("Punch in the slot code only: A1, B7, or SAME if they're equally right.", True)
    assert (slot["labels"], slot["tie"]) == (["A1", "B7"], "SAME")
    final = judge_rubric.answer_format("Explain briefly, then finish with 'Final answer: <A, B or tie>'.", True)
    assert (final["style"], final["template"][0]) == ("template", "Final answer: ")


def test_inputs_of_round_thirty_nine():
    """Bugs caught: 'RED CORNER (first clip) - transcript: "..."' / 'BLUE CORNER (second clip) - ...', 'Take "ARTHUR" (first
    clip): ...' and "Slot A1 is the first recording, slot B7 is the second." named no pair of the two clips that follow;
    "skipper asked it which is smaller 63 or 28 say it quickly over the vhf" gave no question (a preposition ran on)."""
    assert judge_choices.ordered_names('RED CORNER (first clip) - transcript: "the larger is 17"\nBLUE CORNER (second clip) - '
                                        'transcript: "the larger is 41"') == ("RED", "BLUE")
    assert judge_choices.ordered_names('Take "ARTHUR" (first clip): 5 plus 5 is 10\nTake "LANCELOT" (second clip): 5 plus 5 '
                                        'is 10') == ("ARTHUR", "LANCELOT")
    assert judge_choices.ordered_names("Shooter 1 (first clip) said: the count is 5\nShooter 2 (second clip) said: the "
                                        "count is 5") == ("Shooter 1", "Shooter 2")
    assert judge_choices.ordered_names("Slot A1 is the first recording, slot B7 is the second.") == ("A1", "B7")
    assert judge_inputs.toy_question("", "our tug skipper asked it which is smaller 63 or 28 say it quickly over the vhf") == \
        "which is smaller 63 or 28 say it quickly"
    body = _request(("user", ["Tonight's question, typed into it: Which is larger, 41 or 17? Say it happily.\n\nRED CORNER (first "
                              'clip) - transcript: "the larger is 17"\nBLUE CORNER (second clip) - transcript: "the larger is '
                              '41"\n\nWhich corner wins overall? Return JSON only: {"corner": "red"} or {"corner": "blue"}, or '
                              '{"corner": "draw"} if it\'s level.'], ), ("user", [("audio", "the larger is 17", "happily"),
                                                                                     ("audio", "the larger is 41", "sadly")]))
    assert judge_request.parse_judge_request(body)["mode"] == "compare"


def test_round_forty():
    """Bugs caught (held-out round 40, 2026-12-06: batch 52 and plain 41, 10 of 20 and 30 of 30 at 6d8be88): "Judge it as
    a whole: the answer has to be right, and it has to be spoken properly." not the whole ("spoken properly" not the
    delivery); "i've got this voice thing" read as the voice to judge; "Fill in this line and return it alone:" answered
    after a justification; "[[Option 1]] or [[Option 2]]" and "VERDICT: <Van 1 | Van 2 | EVEN>" not the verdict's labels;
    'reply 1 was "the count is 3", reply 2 was "the count is 4"' taken for the answer's options over "just say 1 or 2";
    "What it said: 4 plus 4 is 8 (recording below)" ran on into the rubric; "the first clip is the visitor asking" and
    "Clip order: Ivory, then Blush." not read; "which one actually got it RIGHT?" asked no choice."""
    assert judge_axis.rubric_axis("Judge it as a whole: the answer has to be right, and it has to be spoken properly.") == "holistic"
    assert judge_axis.rubric_axis("i've got this voice thing on my phone. which one actually got it RIGHT? don't care how it "
                                  "sounds") == "semantic"
    assert judge_rubric.answer_format("Fill in this line and return it alone:\nDELIVERY_SCORE=<value>").get("alone")
    option = judge_rubric.answer_format("Put your pick in double square brackets, e.g. [[Option 1]] or [[Option 2]].", True)
    assert (option["style"], option["labels"]) == ("brackets", ["Option 1", "Option 2"])
    assert judge_rubric.answer_format("If you can't separate them, say EVEN.\nFill in: VERDICT: <Van 1 | Van 2 | EVEN>",
                                      True)["labels"] == ["Van 1", "Van 2"]
    said = judge_rubric.answer_format('reply 1 was "the count is 3", reply 2 was "the count is 4". which one got it right? just '
                                      'say 1 or 2 thx', True)
    assert said["labels"] == ["1", "2"] and "template" not in said
    sections, _ = judge_sections.split_sections("My question to it: what is 4 plus 4 say it quietly\nWhat it said: 4 plus 4 is 8 "
                                                "(recording below)\nI want to know about the VOICE only. Out of 10 please.")
    assert [body for kind, _, body in sections if kind == "reply"] == ["4 plus 4 is 8"]
    assert judge_choices.ordered_names("Clip order: Ivory, then Blush.") == ("Ivory", "Blush")
    body = _request(("user", ["Below are two clips: the first clip is the visitor asking, the second is the exhibit's answer. "
                              "Give the answer an overall mark out of 10. Reply with just the number."],),
                    ("user", [("audio", "how many letters in paper say it slowly", ""), ("audio", "the count is 6", "slowly")]))
    req = judge_request.parse_judge_request(body)
    assert (req["mode"], req["question"]) == ("score", "how many letters in paper say it slowly")


def test_round_forty_one():
    """Bugs caught (held-out round 41, 2026-12-06: batch 53 and plain 42, 12 of 20 and 29 of 30 at a014e25): "give short,
    decisive calls" read as a list of three answers (its second comma optional) and "Booth Left / Booth Right / level" not
    (a second word of four letters); "answer on a single line in the form\\nVerdict: <word>" showed no line; "Not bothered
    about the voice, the train's too loud anyway" kept "too loud" as the delivery; "a ticket machine with a voice" read as
    the voice to judge; "how it came across when spoken" not the delivery; "Champion (5) > Reserve (4) > ..." not a ladder
    (its numbers); "Consider only the delivery ... Output PASS if ..., otherwise FAIL." after a transcript line read as the
    reply's words."""
    booth = judge_rubric.answer_format("You give short, decisive calls.\nCall it: answer with exactly one of Booth Left / Booth "
                                       "Right / level (level only if you genuinely can't separate them).", True)
    assert (booth["labels"], booth["tie"]) == (["Booth Left", "Booth Right"], "level")
    assert judge_rubric.answer_format("Choose one word from: Excellent, Good, Fair, Poor, Bad.\n\nFor my log, please answer on a "
                                      "single line in the form\nVerdict: <word>")["template"] == ("Verdict: ", "<word>", "")
    assert judge_axis.rubric_axis("Is what it SAID correct? (Not bothered about the voice, the train's too loud anyway.)") == "semantic"
    assert judge_axis.rubric_axis("We rigged a ticket machine with a voice so kids can ask it puzzles. Grade the ANSWER ITSELF "
                                  "(right or wrong) - ignore the crackly old-speaker sound.") == "semantic"
    assert judge_axis.rubric_axis("Which one did better overall - getting the answer right and also how it came across when "
                                  "spoken?") == "holistic"
    assert judge_levels.answer_words("Award it one of our five show grades, best to worst:\n  Champion (5) > Reserve (4) > Highly "
                                    "Commended (3) > Commended (2) > Unplaced (1)") == \
        ["Unplaced", "Commended", "Highly Commended", "Reserve", "Champion"]
    sections, free = judge_sections.split_sections("User prompt: How many letters in bread? Say it quietly.\nTranscript: the count "
                                                   "is 5\n\nConsider only the delivery, not the content. Output PASS if the "
                                                   "delivery follows the requested style, otherwise FAIL.")
    assert [body for kind, _, body in sections if kind == "reply"] == ["the count is 5"] and "Output PASS" in free


def _last_answer_line(*content):
    """The toy judge's answer to a user turn of text and clips (_clips_body), its last line."""
    return judge.ToyJudge().answer(judge_request.parse_judge_request(_clips_body(*content))).strip().splitlines()[-1]


def _clips_body(*content):
    """A user turn of text and clips in order: a str is a text part, a (words, style) pair a clip speaking them."""
    return with_speech({"messages": [{"role": "user", "content": [
        {"type": "text", "text": c} if isinstance(c, str) else
        {"type": "input_audio", "input_audio": {"data": f"@speak:{c[0]}|{c[1]}", "format": "wav"}} for c in content]}]})


def test_two_clips_neither_asking_are_two_replies_compared():
    """Bug caught (the largest class of held-out misreadings, 24 of 35 mode misses in batches 30 to 53): two clips
    answering one written question, named in ways no reading knew ("Tuesday's take:", or not at all) and asked for
    in words no pair cue knew ("Whose spelling holds up?"), read as one scored reply, the first clip taken for the
    question. A listener hears that neither clip asks anything: two replies, compared. Guards, where a rule that
    counts clips without listening to them fails: a clip that speaks the question (with word gaps, spoken fast
    without them, or the question written as well) leaves one reply to score."""
    pair = judge_request.parse_judge_request(_clips_body(
        "Warm-up question for the stall tonight: what is 6 times 7\nTuesday's take:", ("6 times 7 is 48", ""),
        "Friday's take:", ("6 times 7 is 42", ""), "Which one would you keep? Answer 1 or 2."))
    assert (pair["mode"], [t for t, _, _ in pair["replies"]]) == ("compare", ["6 times 7 is 48", "6 times 7 is 42"])
    assert judge.ToyJudge().answer(pair).strip() == "2"
    unlabelled = judge_request.parse_judge_request(_clips_body(
        "I asked it to spell lamp backwards and kept two of its goes.", ("lamp backwards is pmal", ""),
        ("lamp backwards is lamp", ""), "Whose spelling holds up? Answer 1 or 2."))
    assert (unlabelled["mode"], unlabelled["question"]) == ("compare", "spell lamp backwards")
    assert judge.ToyJudge().answer(unlabelled).strip() == "1"
    for asked in (("what is 6 times 7", ""), ("what is 6 times 7", "quickly"), ("which is smaller 12 or 31 say it sadly", "")):
        for written in ("", "Question: " + asked[0] + "\n"):
            req = judge_request.parse_judge_request(_clips_body(written + "Clip:", asked, "Clip:", ("the answer is 6", ""),
                                                                 "Score the reply from 1 to 5, number only."))
            assert (req["mode"], [t for t, _, _ in req["replies"]]) == ("score", ["the answer is 6"]), (asked, written)


def test_an_answer_form_nowhere_shown_is_the_value_alone():
    """Bug caught (held-out round 42: six kept prompts from five batches, among them "Which take sounds better?" over
    two clips, and a large-print "REPLY  WITH  THE  NUMBER"): a rubric that shows no answer form was answered in our
    own <justification> / <score> tags, which no writer who never saw them expects; the value alone is what they
    wrote down. The guard: a request that shows a tag anywhere (a system message read as the inputs keeps none of
    its tags in the rubric) is answered in tags."""
    def answer(rubric, texts=("Question: what is 3 plus 4\nKiosk reply:",), clips=(("3 plus 4 is 7", ""),)):
        content = [part for text, clip in zip(texts, clips) for part in (text, clip)]
        req = judge_request.parse_judge_request(_clips_body(*content, rubric))
        return req, judge.ToyJudge().answer(req).strip()
    assert answer("How right was it? Give it 1 to 5.")[1] == "5"
    req, said = answer("Which take sounds better?", ("Question: what is 3 plus 4\nTake 1:", "Take 2:"),
                       (("3 plus 4 is 7", "quietly"), ("3 plus 4 is 7", "")))
    assert (req["mode"], said) == ("compare", req["labels"][1])
    shown = with_speech({"messages": [
        {"role": "system", "content": "The caller asked: what is 3 plus 4. The next turn is only the kiosk's spoken reply. "
                                      "How right was it, 1 to 5? Answer in the form <score>N</score>."},
        {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "@speak:3 plus 4 is 7|", "format": "wav"}}]}]})
    assert judge.ToyJudge().answer(judge_request.parse_judge_request(shown)).endswith("<score>5</score>")


def test_a_list_of_criteria_is_not_the_verdicts_labels():
    """Bug caught (round 42: batch 55's salon, batch 57's cadets): "VOICE ONLY: volume, tone, pace, and whether it
    was said as asked" was read as the answers to pick from (after "only:", as in "the slot code only: A1, B7, or
    SAME"): the verdict came out "volume", or the tie "pace". What a rubric judges by is never a clip's name. The
    guard: a list of names after "only:" is still the labels."""
    def verdict(rubric, second="quietly"):
        req = judge_request.parse_judge_request(_clips_body("Question: repeat after me red barn say it quietly\nStall 1:",
                                                            ("you said red barn", "loudly"), "Stall 2:", ("you said red barn", second),
                                                            rubric))
        return judge.ToyJudge().answer(req).strip().splitlines()[-1]
    rubric = ('This one is about the VOICE ONLY: volume, tone, pace, and whether it was said as asked. Which stall did '
              'better? Reply with just "Stall 1" or "Stall 2", or "Level" if you cannot split them.')
    assert (verdict(rubric), verdict(rubric, second="loudly")) == ("Stall 2", "Level")
    assert verdict("Which stall sounded right? The stall's name only: Mint, Sage, or Same.") == "Sage"


def test_of_two_labelled_clips_one_that_asks_is_the_question():
    """Bug caught (held-out round 43, batch 59's street-cleaning depot, misread at the session's start too):
    "Recording one:" / "Recording two:" over a clip that speaks the question and one that answers it read as two
    replies compared (two labels), and answered "one". A listener hears that the first clip asks: one reply,
    scored. The guard: "Comparison axis:" (our own request) is a comparison whatever its clips say."""
    req = judge_request.parse_judge_request(_clips_body(
        "Recording one is a driver's question, recording two is the terminal's answer.\nRecording one:",
        ("how many letters in bread say it quietly", ""), "Recording two:", ("the count is 5", "quietly"),
        "Give it one overall mark from 1 to 5. Number only."))
    assert (req["mode"], req["question"], [t for t, _, _ in req["replies"]]) == (
        "score", "how many letters in bread say it quietly", ["the count is 5"])
    assert judge.ToyJudge().answer(req).strip() == "5"
    parrot, right = (("what is 3 plus 4", *codec.decode(codec.speak("what is 3 plus 4"))),        # a reply that parrots the question
                     ("3 plus 4 is 7", *codec.decode(codec.speak("3 plus 4 is 7"))))
    ours = judge_request.parse_judge_request(reward.build_pair_request("toy", "helpfulness", "what is 3 plus 4", parrot, right))
    assert (ours["mode"], judge.ToyJudge().answer(ours).strip().endswith("<choice>B</choice>")) == ("compare", True)


@pytest.mark.parametrize("messages,want", [
    # a transcript's section ends where the rubric's paragraph starts: "Give a correctness score ..." (an adjective
    # between "a" and "score") was read as more of the reply's words, and the 0-10 scale and 'Score: N' with it
    ([("user", ["### Question\nSpell lamp backwards.\n\n### Response\n", ("lamp backwards is lamp", ""),
                "\nTranscript: lamp backwards is lamp\n\nGive a correctness score from 0 (completely wrong) to 10 (fully "
                "correct). Output a single line in the form 'Score: N'."])],
     {"replies": ["lamp backwards is lamp"], "scale": (0, 10), "answer": "Score: 3"}),
    # "(0 worst, 10 best)": the bottom of "out of 10" is 0
    ([("user", ["Recording one is the question, recording two the answer.\nRecording one:", ("how many letters in bread", ""),
                "Recording two:", ("the count is 5", ""), "One mark out of 10 (0 worst, 10 best). Number only."])],
     {"scale": (0, 10), "answer": "10"}),
    # labels in quotes: "Reply with just 'a' or 'b'." answers as spelled
    ([("user", ["Question: what is 9 plus 4\nThe two replies follow, a then b.", ("9 plus 4 is 12", ""), ("9 plus 4 is 13", ""),
                "Which one is correct? Reply with just 'a' or 'b'."])],
     {"answer": "b"}),
])
def test_plain_prompts_of_round_forty_two(messages, want):
    """Bugs caught (held-out rounds 42 and 43, misread at the session's start too): plain batch 43's reference
    grader and AlpacaEval-like 'a' / 'b', batch 59's depot mark (each row's comment)."""
    body = with_speech({"messages": [{"role": role, "content": [
        {"type": "text", "text": c} if isinstance(c, str) else
        {"type": "input_audio", "input_audio": {"data": f"@speak:{c[0]}|{c[1]}", "format": "wav"}} for c in parts]}
        for role, parts in messages]})
    req = judge_request.parse_judge_request(body)
    got = {"replies": [t for t, _, _ in req["replies"]], "scale": req["format"]["scale"],
           "answer": judge.ToyJudge().answer(req).strip().splitlines()[-1]}
    assert {k: got[k] for k in want} == want


@pytest.mark.parametrize("rubric,want", [
    ("SCALE 1 (FAIL) TO 10 (EXEMPLARY). REPORT AS: SCORE: N OUT OF 10", {"style": "line", "suffix": " OUT OF 10"}),
    ("Fill in the line below.\nRESULT: __ out of 10", {"style": "line", "suffix": " out of 10"}),
    ("A mark from 0 to 10, please, written as '<N> out of 10' and nothing more.", {"template": ("", "N", " out of 10")}),
    ("Verdict: N of 10", {"suffix": " of 10"}),          # guards: the forms read before
    ("Answer as 7/10.", {"template": ("", "N", "/10")}),
])
def test_a_value_written_out_of_its_top(rubric, want):
    """Bugs caught (held-out rounds 42 to 44: batches 54, 61 and 64): "SCORE: N OUT OF 10", "RESULT: __ out of 10" and
    "'<N> out of 10'" answered "SCORE: 6" or "5", the "out of 10" the rubric shows left off."""
    assert_answer_form(rubric, False, want)


def test_answers_offered_by_the_clips_names():
    """Bug caught (held-out rounds 42 to 44: batches 57, 59 and 62, and batch 52's tractor rally left out since
    round 40): a comparison whose last instruction offers its answers by the clips' names, nothing else having
    named them ("Just send back 1 or 2.", "Answer with the number 1 or 2 and nothing else.", "the stage name of the
    winner, Dave Nightly or Priya Punch, or 'dead heat'"), answered "A" / "B". Names that are not ordinals must be
    written elsewhere in the request, and are put in the clips' order. Guards: instruction words are no names
    ("Respond with the callsign only, or SAY AGAIN if ..." offers no pair); a verdict pair (yes or no) is none."""
    def read(*content):
        req = judge_request.parse_judge_request(_clips_body(*content))
        return req, judge.ToyJudge().answer(req).strip().splitlines()[-1]
    q = "I asked it how many letters in apple. Old one first, new one second."
    assert read(q, ("the count is 4", ""), ("the count is 5", ""), "Which one got it right? Just send back 1 or 2.")[1] == "2"
    req, said = read("Tonight's request: how many letters in bread say it quietly\nFirst up, DAVE NIGHTLY:", ("the count is 5", "loudly"),
                     "And now, PRIYA PUNCH:", ("the count is 5", "quietly"), "Who nailed the delivery? Give me just the stage name "
                     "of the winner, Priya Punch or Dave Nightly, or 'dead heat' if there's nothing in it.")
    assert (req["format"]["labels"], req["format"]["tie"], said) == (["Dave Nightly", "Priya Punch"], "dead heat", "Priya Punch")
    told = "Respond with the callsign only, or SAY AGAIN if you can't separate them."
    assert judge_choices.offered_pair(told, "Dinghy Alpha:\nDinghy Bravo:\nBase asked: say it slowly, only once.\n" + told) is None
    assert judge_choices.offered_pair("Is either right? Answer yes or no.", "yes no") is None


def test_the_replies_quoted_words_are_no_answer_form():
    """Bug caught (held-out round 45: batch 67's wetsuit repairer, batch 68's debating society; batch 57's pizza
    takeaway): the replies' own words quoted in the prose ('the first one said "frog backwards is frog" and the
    second one said "frog backwards is gorf"') were read as the answers to pick from, a template "frog backwards
    is " with labels "frog" / "gorf", and the verdict came out as a reply's words. Guard: the quoted words are still
    the replies' transcripts."""
    req = judge_request.parse_judge_request(_clips_body(
        'I asked both "spell frog backwards", the first one said "frog backwards is frog" and the second one said "frog '
        'backwards is gorf", recordings attached in that order. Which answer is more correct? Content only. Answer with '
        "one word: first, second, or neither", ("frog backwards is frog", ""), ("frog backwards is gorf", "")))
    assert ([t for t, _, _ in req["replies"]], judge.ToyJudge().answer(req).strip()) == (
        ["frog backwards is frog", "frog backwards is gorf"], "second")


def test_answers_asked_for_by_kind():
    """Bug caught (rounds 42 and 45: batch 54's storage site, batch 67's darkroom, batch 68's lip-sync takes): a
    comparison asking for "just the vendor name" or "the take number" was answered "A": nothing had named the clips
    in the rubric's words. The number is the clip's order; the name is what the two clips' label lines differ in
    ("Lockbox said (...):" / "Stackwell said (...):", "Reply from Fixer:" / "Reply from Stop Bath:"). The guard:
    label lines that do not differ name nothing."""
    def said(first_label, second_label, rubric):
        req = judge_request.parse_judge_request(_clips_body(
            "A customer asked: spell star backwards\n" + first_label, ("star backwards is star", ""), second_label,
            ("star backwards is rats", ""), rubric))
        return judge.ToyJudge().answer(req).strip()
    assert said('Lockbox said (transcript "star backwards is star"):', 'Stackwell said (transcript "star backwards is rats"):',
                "Which vendor gave the correct answer? Reply with just the vendor name.") == "Stackwell"
    assert said("Reply from Fixer:", "Reply from Stop Bath:", "Write just the name of the better pack.") == "Stop Bath"
    takes = judge_request.parse_judge_request(_clips_body("A customer asked: spell star backwards. Two takes follow.",
                                                          ("star backwards is star", ""), ("star backwards is rats", ""),
                                                          "Which take is right? Answer with the take number only."))
    assert judge.ToyJudge().answer(takes).strip() == "2"
    assert judge_choices.asked_by_kind("Reply with just the vendor name.", ["Clip:", "Clip:"]) is None


def test_answers_listed_however_joined():
    """Bug caught (held-out rounds 43 to 47: batches 61, 65, 68, 72, 74 and 75, misread at every reader before): a
    comparison whose last instruction lists its answers joined by commas, slashes or a table's cell ("RED, BLUE, or
    PULL AGAIN if it's a dead heat", "Preferred: <Kestrel / Merlin / either>", "| Answer with | Booth 1, Booth 2, or
    Equal |", "LEFT, RIGHT or DRAW?" standing alone, "Text back 'first' or 'second', that's all I need.") was answered
    "A", "B" or "tie": only "X or Y" after an answer verb was read. The two named clips, the third is the tie, also
    where the clips' labels had named them already. Guards: criteria listed ("pace, clarity or tone") are no answers,
    though the request writes them elsewhere; commas alone list no answers; a JSON value's quotes are no tie's."""
    read = _last_answer_line
    same = "The question both were asked: how many letters in lamp say it slowly\n"
    # named by their labels already: the list's third is their tie (the two deliver alike)
    assert read(same + "The red kiosk's clip:", ("the count is 4", "slowly"), "The blue kiosk's clip:", ("the count is 4", "slowly"),
                "Judge only how it was said. Tell me the winner as one of: RED, BLUE, or GO AGAIN if there's nothing in it.") \
        == "GO AGAIN"
    assert read("| Item | Detail |\n|---|---|\n| Question put to both | what is 9 minus 3 |\n| Till 1 reply | first clip below |\n"
                "| Till 2 reply | second clip below |\n| Judge | the answer's correctness only |\n| Answer with | Till 1, Till 2, or "
                "Equal (nothing else) |", ("9 minus 3 is 5", ""), ("9 minus 3 is 6", "")) == "Till 2"
    assert read("Two suppliers, Heron and Osprey, sent samples for the question: what is 9 minus 3\nHeron:", ("9 minus 3 is 6", ""),
                "Osprey:", ("9 minus 3 is 5", ""), "Which supplier's answer is right? Complete this line and send only it:\n"
                "Preferred: <Heron / Osprey / either>") == "Preferred: Heron"
    assert read("Asked: what is 9 minus 3\nThe left speaker played first, the right one second. I only care whether the answer "
                "is right. LEFT, RIGHT or DRAW?",
                ("9 minus 3 is 6", ""), ("9 minus 3 is 6", "slowly")) == "DRAW"
    assert read("The test question was what is 9 minus 3, two versions below, the first one and the second one.\n"
                "Text back 'first' or 'second', that's all I need.", ("9 minus 3 is 5", ""), ("9 minus 3 is 6", "")) == "second"
    told = "Pace, clarity or tone matter most here; say which is better on pace, clarity or tone."
    assert judge_choices.offered_list(told, "We care about pace and clarity.\n" + told) is None
    assert judge_choices.offered_list("Answer with Heron, Osprey.", "Heron: ... Osprey: ...\nAnswer with Heron, Osprey.") is None
    told = 'Output JSON only: {"winner": "A" | "B" | "tie"}'
    assert judge_choices.offered_list(told, "Reply A:\nReply B:\n" + told) == ("A", "B", None, "")     # not 'tie"}'


def test_a_verdict_asked_last_is_the_answer():
    """Bug caught (held-out round 44: batch 60's sterile services): "PASS if the reply is good overall ... to a standard
    of at least 4 on a 5-point scale; otherwise FAIL. Write PASS or FAIL and nothing else." was answered "4": a scale
    named anywhere made the answer a number. Where the last answer instruction asks for a verdict's two words, the
    scale named before is the verdict's threshold. Guard: an instruction that asks for a number as well stays a number."""
    def said(rubric):
        req = judge_request.parse_judge_request(_clips_body(
            "Question read to the unit: what is 9 minus 3\n" + rubric, ("9 minus 3 is 6", "")))
        return judge.ToyJudge().answer(req).strip()
    assert said("Acceptance rule: PASS if the answer is right, to a standard of at least 4 on a 5-point scale; otherwise "
                "FAIL.\nWrite PASS or FAIL and nothing else.") == "PASS"
    assert said("Acceptance rule: at least 4 on a 5-point scale passes.\nWrite PASS or FAIL, then the score as <score>N</score>.") \
        .endswith("<score>5</score>")


@pytest.mark.parametrize("rubric,axis", [
    # the side the context also names is left out by a pronoun ("never mind that"), or stated as a reason
    ("Voice A said 5 plus 2 is 7, voice B said 5 plus 2 is 8. B got the sum wrong; ignore that, the answers are my "
     "nephew's job. Which one does the sad delivery properly?", "acoustic"),
    ("- two builds to choose from before the morning shift\n- pick the one whose answer is correct. How it sounds doesn't "
     "matter, we can't hear the tone over the pumps anyway.", "semantic"),
    ("Compare only how the two replies SOUND: clarity, naturalness, and the speaking style the user asked for. The "
     "content of the answers may differ; ignore it.\nWhich reply is delivered better?", "acoustic"),
    # guards: an asking sentence for the whole names no side; nor does a table's header; nor a parenthesis' questions
    ("The two voices differ a lot. Judge them on everything: whether the answer is right and how it comes across.", "holistic"),
    ("Their voices differ too. Who did better overall, counting both getting it right and saying it right?", "holistic"),
    ("The voices differ. Evaluate the models on the quality and relevance of their outputs, and select the best.", "holistic"),
    ("One got the sum wrong, the other's voice is odd. Judge the whole performance, words and delivery together.", "holistic"),
    ("Is the delivery clear? Loud enough? Is the answer correct?\n| Score | Meaning |\n|---|---|\n| 5 | all of it |", "holistic"),
    ("Rate the reply (is it correct? does its voice fit?) from 1 to 5.", "holistic"),
])
def test_the_asking_sentence_names_the_side(rubric, axis):
    """Bug caught (held-out rounds 46 to 48: batches 71, 79, 80 and 81, plain batch 49; batches 55 and 58 earlier): a
    rubric whose asking sentence ("Which one sounds better?", "pick the one whose answer is correct") names one side
    while its context names the other in a way no negation reading covers (a pronoun: "ignore it", "never mind
    that"; a reason: "we can't hear the tone anyway") was read as both. The asking sentence (a question or an order
    to judge) decides where it names one side. Guards: one asking for the whole ("on everything", "overall", "both"),
    a table's header row and the questions inside one sentence's parenthesis name no side."""
    assert judge_axis.rubric_axis(rubric) == axis


@pytest.mark.parametrize("rubric,tie", [
    ("Tell me the winner as one of: RED, BLUE, or GO AGAIN if you can't split them.", "GO AGAIN"),
    ("LEFT / RIGHT / DEAD HEAT if you can't separate them", "DEAD HEAT"),
    ("Say Neither if they are equally good.", "Neither"),                     # guards: the verb before it is no tie's
    ("WRITE RED OR BLUE OR DRAW if you can't separate them.", "DRAW"),
])
def test_a_tie_in_capitals_is_all_its_words(rubric, tie):
    """Bug caught (held-out round 48: batch 80's drag strip; found writing this session's list test): a tie of two
    capitals before its condition ("DEAD HEAT if you can't separate them") was answered by its last word, "HEAT"."""
    assert judge_rubric.answer_format(rubric, True)["tie"] == tie


@pytest.mark.parametrize("rubric,want", [
    ("Rate it from 0 to 10. Answer with one line: SAFE TO ROLL: <N>/10", {"style": "template", "template": ("SAFE TO ROLL: ", "<N>", "/10")}),
    ("Fill in this line and send back only the line:\nTEST 3 OVERALL: __/10", {"template": ("TEST 3 OVERALL: ", "__", "/10")}),
    ("Close the order with one line in the form SCORE: n/10 and nothing else.", {"slots": [("SCORE", None)], "suffix": "/10"}),
    ("Give me one line exactly like this and nothing else:\nStone grade: <number>/10", {"suffix": "/10"}),
    ("Reply with one line: Score: <N>/10", {"style": "line", "slots": [("Score", None)], "suffix": "/10"}),     # guard: the line is the slot
])
def test_an_answer_line_is_copied_whole(rubric, want):
    """Bug caught (held-out rounds 48 and 49: batch 78's travelator, 79's causeway warden, 85's curling stones and stunt
    call sheet; batch 56's dig sheet earlier): an answer line named in more words than its slot ("SAFE TO ROLL: <N>/10"
    answered "TO ROLL: 5/10", "TEST 3 OVERALL: __/10" answered "OVERALL: 8/10"), a placeholder "n/10" or "<number>/10"
    answered without its "/10", or not at all. The line shown is copied whole; guard: a line whose name is the slot stays a
    line."""
    assert_answer_form(rubric, False, want)


def test_listed_answers_keep_their_line_and_tags_shown_as_choices_stay():
    """Bug caught (held-out rounds 42 and 49: batch 65's pedalo hire, batch 84's textile lines and fuel bowsers, batch 82's
    sound recordist; batch 37's bonsai trays earlier): the right label written without its line ("Better: Line 1,
    Better: Line 2, or Better: no difference" answered "Line 2"; "Fill in: VOICE CHECK RESULT: Bowser 1 / Bowser 2 /
    Both same" answered "Bowser 2"), and "<take>dawn</take> or <take>dusk</take>" taken for two reply sections and
    cut out of the rubric, so the answer lost its tag. The key before each listed answer, or once after the
    instruction's colon, is the line's; one tag shown around two or three words on a line is the answer's. Guards: a
    list after one colon only has no key ("Name the victor: Red or Blue."); a reply's element inline stays an input
    where the tag is shown as choices on another line."""
    def read(*content):
        req = judge_request.parse_judge_request(_clips_body(*content))
        return req, judge.ToyJudge().answer(req).strip().splitlines()[-1]
    asked = "The question both were asked: what is 9 minus 3\n"
    assert read(asked + "Line 1:", ("9 minus 3 is 5", ""), "Line 2:", ("9 minus 3 is 6", ""), "Judge only whether the answer is right. "
                "Answer in the form: Better: Line 1, Better: Line 2, or Better: no difference.")[1] == "Better: Line 2"
    assert read(asked + "Pump 1:", ("9 minus 3 is 6", ""), "Pump 2:", ("9 minus 3 is 5", ""), "Which pump's answer is right? "
                "Fill in: PUMP CHECK RESULT: Pump 1 / Pump 2 / Both same")[1] == "PUMP CHECK RESULT: Pump 1"
    req, said = read(asked + "The early take:", ("9 minus 3 is 6", ""), "The late take:", ("9 minus 3 is 5", ""),
                     "Which take answers right? Put your pick inside a tag: <take>early</take> or <take>late</take>, or "
                     "<take>same</take> if there's nothing in it.")
    assert (req["format"]["labels"], req["format"]["tie"], said) == (["early", "late"], "same", "<take>early</take>")
    assert judge_choices.offered_list("Name the victor: Red or Blue.", "Red herald:\nBlue herald:\nName the victor: Red or Blue.") \
        == ("Red", "Blue", None, "")
    kept = judge_inputs.untag("Its reply: <take>the count is 5</take>\nIs that take right? Answer <take>yes</take> or <take>no</take>.")
    assert "take:\nthe count is 5" in kept and "<take>yes</take> or <take>no</take>" in kept


@pytest.mark.parametrize("rubric,template", [
    ("Mark the voice out of 10. Log line: DELIVERY: n/10", ("DELIVERY: ", "n", "/10")),
    ("Rate it 1 to 5. Log it as: 0315 CHECK: n/5", ("0315 CHECK: ", "n", "/5")),
    ("How accurate is it, as a percentage? Write: ACCURACY: n%", ("ACCURACY: ", "n", "%")),
    ("Give a percentage. Fill in: ACCURACY: ___%", ("ACCURACY: ", "___", "%")),
    ("Our ladder: excellent / good / fair / poor / bad. Reply as SENSORY: <word>", ("SENSORY: ", "<word>", "")),
    ("Minute it as: RESOLVED: that Recording 1 / Recording 2 / neither be adopted.",
     ("RESOLVED: that ", "Recording 1 / Recording 2 / neither", "")),
    ("Minute it in the form RESOLVED: that <Recording 1 | Recording 2 | neither> be adopted",
     ("RESOLVED: that ", "<Recording 1 | Recording 2 | neither>", "")),
    ("Answer as: Verdict: A / B / tie", ("Verdict: ", "A / B / tie", "")),        # guard: no shared word, the list as it was
    ("Reply as you see fit: it is your call.", None),                              # guard: no line in capitals after "as"
    ("Write: a sentence or two on the delivery.", None),                           # guard: no key and no placeholder
])
def test_an_answer_line_introduced_in_a_writers_words_is_the_template(rubric, template):
    """Bug caught (held-out round 51: batch 91's kiln log, 93's giant veg form and night watch, 90's parish council and
    barista ladder, rebuilt in our words from what their misreadings recorded): an answer line introduced by "Log line:",
    "Log it as:", "Write:", "Fill in:" or "as KEY:" was not read, so the value went out bare ("5" for "DELIVERY: n/10",
    "ACCURACY: 50" without its "%", "CHECK: 4/5" without the line's "0315", "Fair" for "SENSORY: <word>"); a placeholder
    "n%" was no placeholder; options that share a word ("Recording 1 / Recording 2 / neither") were cut at the shared
    word, so a pick of the second was written "Recording Recording". Guards: no line in capitals after "as", no key."""
    assert judge_forms.answer_template(rubric) == template


def test_answer_forms_of_round_fifty_one_rebuilt():
    """The same misreadings end to end (the request as the writers built them, in our words): the answer written on the
    writer's line, with its "%", its "/10" or its key before the label; a percentage asked for is on 0-100; a fraction
    asked "with two decimals" keeps them (0.50, not 0.5). Guards: a range shown with one decimal ("between 0.0 and 1.0")
    or quarters shown as examples ("like 0.25, 0.5, 0.75") set no digits; a key shared by the options must not be an
    instruction's word ("the first or the second") nor a clip's name."""
    def read(*content):
        req = judge_request.parse_judge_request(_clips_body(*content))
        return req, judge.ToyJudge().answer(req).strip().splitlines()[-1]
    assert read("Kiln log. Question: how many letters in bread", ("the count is 5", "sadly"),
                "Mark the delivery out of 10 (voice only). Log line: DELIVERY: n/10")[1] == "DELIVERY: 8/10"
    req, said = read("Weigh-in. Question: what is 7 times 8", ("7 times 8 is 54", ""),
                     "How accurate is the answer? Give a percentage. Fill in: ACCURACY: ___%")
    assert (req["format"]["scale"], said) == ((0, 100), "ACCURACY: 25%")
    assert read("Night watch. Question: repeat after me red door say it quietly", ("you said red door", "loudly"),
                "Rate both what is said and how, 1 to 5. Log it as: 0315 CHECK: n/5")[1] == "0315 CHECK: 4/5"
    assert read("Cupping. Customer asked: how many letters in bread say it happily", ("the count is 5", "sadly"),
                "Cup the voice only. Our ladder: excellent / good / fair / poor / bad. Reply as SENSORY: <word>")[1] == "SENSORY: good"
    asked = "Parish council. Question: spell rose backwards\n"
    assert read(asked + "Recording 1:", ("rose backwards is rose", ""), "Recording 2:", ("rose backwards is esor", ""),
                "Decide which recording gives the right answer (content only). Minute the decision as: RESOLVED: that "
                "Recording 1 / Recording 2 / neither be adopted.")[1] == "RESOLVED: that Recording 2"
    assert read("Photo finish. Question: what is 9 minus 4 say it slowly\nLane 3:", ("9 minus 4 is 5", "quickly"), "Lane 4:",
                ("9 minus 4 is 5", "slowly"), "Judge the delivery only. Write FIRST ACROSS: followed by Lane 3, Lane 4 or "
                "dead heat.")[1] == "FIRST ACROSS: Lane 4"
    assert read("Readback check. Pilot asked: spell rock backwards\nALPHA:", ("rock backwards is rock", ""), "BRAVO:",
                ("rock backwards is kcor", ""), "Which readback is correct (content only)? Reply PREFERRED ALPHA, "
                "PREFERRED BRAVO or PREFERRED NIL.")[1] == "PREFERRED BRAVO"
    quiet = ("Question: repeat after me blue ink say it loudly", ("you said blue ink", "quietly"))
    assert judge_scale.named_scale("Give a percentage.") == (0, 100)
    assert judge_scale.named_scale("1 = wrong, 3 = partly, 5 = a hundred percent right") == (1, 5)   # guard: anchors first
    assert read(*quiet, "Score the delivery from 0 to 1 with two decimals. Just the number.")[1] == "0.50"
    assert read(*quiet, "Score the delivery as a number between 0.00 and 1.00. Number only.")[1] == "0.50"
    assert read(*quiet, "Score the delivery as a number between 0.0 and 1.0. Number only.")[1] == "0.5"
    assert read(*quiet, "Score the delivery from 0 to 1, in quarters like 0.25, 0.5, 0.75. Number only.")[1] == "0.5"
    asked = "Question: what is 8 plus 5\n"
    assert read(asked + "First answer:", ("8 plus 5 is 12", ""), "Second answer:", ("8 plus 5 is 13", ""),
                "Which answer is more accurate: the first or the second? Reply with one word, first or second.")[1] == "second"
    assert read(asked + "Take 1:", ("8 plus 5 is 12", ""), "Take 2:", ("8 plus 5 is 13", ""),
                "Which take is right? Content only. Reply Take 1, Take 2 or Take none.")[1] == "Take 2"     # each starts with the clips" name


@pytest.mark.parametrize("rubric,ladder", [
    ("Finish grades, worst to best: moth-eaten / patchy / passable / lifelike / museum-grade",
     ["moth-eaten", "patchy", "passable", "lifelike", "museum-grade"]),
    ("I grade it like juice. Five grades, worst first:\npomace - murky - cloudy - bright - sparkling",
     ["pomace", "murky", "cloudy", "bright", "sparkling"]),
    ("Grade it like a key in a lock. Worst to best:\n  Seized -> Gritty -> Catching -> Smooth -> Buttery",
     ["Seized", "Gritty", "Catching", "Smooth", "Buttery"]),
    ("Our barrel grades, worst to best:\n  SOUR   - nothing usable\n  BUDDY  - wrong words\n  CLOUDY - partly right\n"
     "  CLEAR  - right, but hesitant\n  FANCY  - right, and said well\n", ["SOUR", "BUDDY", "CLOUDY", "CLEAR", "FANCY"]),
    ("Grade it from best to worst: Grand Cru - Fine - Table - Rind - Mould", ["Mould", "Rind", "Table", "Fine", "Grand Cru"]),
    ("Mark in words, like a grid entry: ONE (worst) TWO THREE FOUR FIVE (best).", ["ONE", "TWO", "THREE", "FOUR", "FIVE"]),
    ("  unsound    - no answer\n  shaky      - wrong answer\n  fair       - nearly right, a slip\n  sound      - right, but "
     "hedged\n  watertight - right, stated cleanly\nGive the word in double square brackets, e.g. [[sound]].",
     ["unsound", "shaky", "fair", "sound", "watertight"]),
    ("  watertight - right, stated cleanly\n  sound - right, but hedged\n  shaky - wrong answer\nWrite it as <sound>.",
     ["shaky", "sound", "watertight"]),                                         # best first, as the meanings read
    ("Rank what matters, best to worst: clarity, pace, tone", None),              # guard: criteria, not levels
    ("  unsound - no answer\n  shaky - wrong answer\n  watertight - right, stated cleanly\nGive a number 1-5.", None),  # guard: no level asked
    ("Question: what is 3 plus 4\nReference: the right one is 7\nTranscript: no answer given\nScore it 1-5.", None),  # guard: inputs
])
def test_a_ladder_in_the_writers_own_words_is_read_worst_first(rubric, ladder):
    """Bug caught (held-out round 52: batch 95's owl ledger and cider press, 96's sugar shack, owl mount and crossword
    setter, 97's locksmith and crossword clue reader; round 49's busker and judo grading before): a ladder of the
    writer's own words was read only in capitals listed on the same line as "best to worst", so lower-case words,
    words on the next line or one a line with their meanings, "worst first", "->" and "ONE (worst) ... FIVE (best)"
    were answered with a number. Guards: criteria listed best to worst, levels no answer asks for, input headings."""
    assert judge_levels.own_ladder(rubric) == ladder


@pytest.mark.parametrize("rubric,verdict", [
    ("Call it the way I call a bird coming in.\n  FIST    = came back with the correct answer (a bit of dithering is fine)\n"
     "  CHECKED = went off after the wrong thing - wrong answer, or didn't finish it\nLog line:  HAWK: FIST   or   HAWK: CHECKED",
     ["CHECKED", "FIST"]),
    ("GREEN = the answer given is correct. RED = wrong, missing or cut off. Reply with exactly: FLAG: GREEN or FLAG: RED",
     ["RED", "GREEN"]),
    ("Think of it as marks out of 5: 4 or 5 = RELEASE to the counter; 1, 2 or 3 = HOLD for the engineer.\n"
     "Decision (complete the line, one word):\nDECISION: ____", ["HOLD", "RELEASE"]),
    ("If the answer is good (fully right) it's MOUNT. If it's wrong, muddled or missing part of it, it's RESTUFF.\n"
     "End with a single word: MOUNT or RESTUFF.", ["RESTUFF", "MOUNT"]),
    ("GOLD = right answer. SILVER = right but hedged. Write GOLD or SILVER.", None),    # guard: both read good
    ("GOLD = right answer. SILVER = right but hedged. LEAD = wrong answer. Write GOLD or LEAD.", None),   # guard: three levels
    ("RED = wrong answer. GREEN = correct answer. Rate it from 1 to 5 and give the number.", None),   # guard: neither offered
])
def test_a_verdict_in_the_writers_own_words_reads_its_definitions(rubric, verdict):
    """Bug caught (held-out round 52: batch 94's taxidermist, 95's lost property office, 96's lido flag, 97's falconer):
    two words of the writer's own, each defined ("FIST = came back with the correct answer", "4 or 5 = RELEASE",
    "it's MOUNT"), were no verdict the reader knew, so the answer went out as a number. Guards: definitions that
    both read good; a verdict defined but a number asked for."""
    assert judge_levels.defined_verdict(rubric) == verdict


def test_answer_forms_of_round_fifty_two():
    """The same misreadings end to end, with the answer lines they were asked on (round 52's prompts rebuilt in our
    words): the level or verdict written on its line, "[[fair]]" in double brackets where the form shows a level in
    them, "KEY TURNS: ..." after "Write one line back:", "FLAG: RED" for "FLAG: GREEN or FLAG: RED", a fraction in its
    place "0.__", and "NN%" as a placeholder."""
    read = _last_answer_line
    quick = ("Visitor asked: repeat after me owl feather, say it sadly\n", ("you said owl feather", "quickly"))
    assert read(quick[0] + "Grade how it is spoken only, not the words. Finish grades, worst to best: moth-eaten / patchy "
                "/ passable / lifelike / museum-grade\nClip:", quick[1], "Complete the ledger line with one grade:\n"
                "FINISH: ______") == "FINISH: passable"
    assert read(quick[0] + "Clip:", quick[1], "The voice only, not the words. Worst to best:\n  Seized -> Gritty -> Catching "
                "-> Smooth -> Buttery\nWrite one line back:\nKEY TURNS: <one of the five words>") == "KEY TURNS: Catching"
    assert read("The aid was asked: spell clue backwards\nIt answered (transcript): clue backwards is ecul", ("clue backwards is ecul", ""),
                "Rate the answer only.\n  unsound    - no answer\n  shaky      - wrong answer\n  fair       - nearly right: a "
                "slip in the order\n  sound      - right, but hedged\n  watertight - right, stated cleanly\nGive the word in "
                "double square brackets, e.g. [[sound]], and nothing else.") == "Rating: [[fair]]"
    wrong = "Swimmer asked: Which is larger, 28 or 82?\nSpeaker said (my transcript): the larger is 28\nClip:", ("the larger is 28", "")
    assert read(*wrong, "Is the ANSWER correct? GREEN = the answer given is correct. RED = wrong, missing or cut off. "
                "Voice is irrelevant. Reply with exactly: FLAG: GREEN or FLAG: RED") == "FLAG: RED"
    assert read(*wrong, "Is the ANSWER correct?\n  GO   = came back with the correct answer\n  STAY = the wrong answer, or "
                "didn't finish it\nLog line to return:  CALL: GO   or   CALL: STAY") == "CALL: STAY"
    assert read("Test phrase: Repeat after me: blue umbrella. Say it quietly.\n", ("you said blue umbrella", "loudly"),
                "Assess the DELIVERY only. Think of it as marks out of 5: 4 or 5 = RELEASE; 1, 2 or 3 = HOLD.\n"
                "Decision (complete the line, one word):\nDECISION: ________") == "DECISION: HOLD"
    sad = ("Request: Spell glass backwards, say it sadly.\nPlayed back:", ("glass backwards is ssalg", "happily"))
    assert read(*sad, "Only the DELIVERY. Give a decimal between 0 (dreadful) and 1 (perfect), two decimal places, on "
                "one line:\nLEADING: 0.__") == "LEADING: 0.75"
    assert read(*sad, "Only the DELIVERY, as a percentage, 0% hopeless to 100% spot-on.\nWrite: Ridge finish: NN%") \
        == "Ridge finish: 75%"


@pytest.mark.parametrize("rubric,template", [
    ("Score ONLY whether it is correct.\n\nReturn the line:  Tray accuracy: _/5", ("Tray accuracy: ", "_", "/5")),
    ("The voice I do not care about.\n\nWrite only:  CREPE: <grade>", ("CREPE: ", "<grade>", "")),
    ("Enter in LIMS format, integer with % sign, nothing else:\nCONC=__%", ("CONC=", "__", "%")),
    ("Record exactly one of those values, in this form and nothing more:\nFitness index = <value>", ("Fitness index = ", "<value>", "")),
    ("Answer in the form used on our determination slips: DELIV. n/7", ("DELIV. ", "n", "/7")),
    ("One line back for the file, please:\nReader voicing mark: __/10", ("Reader voicing mark: ", "__", "/10")),
    ("Write it back as CALL: <word> in capitals, nothing else.", ("CALL: ", "<word>", "")),
    ("Fill in the missing cell: answer with one line exactly like `Delivery mark: 7/10`.", ("Delivery mark: ", "7", "/10")),  # guard
    ("Answer the question below, then give only the mark:\nQuestion: <the question>", None),     # guard: an input's heading
])
def test_an_answer_line_after_an_order_ending_in_a_colon_is_the_template(rubric, template):
    """Bug caught (held-out round 53: batch 99's hospital tray line and crêpe stand, 101's pathology lab, occupational
    health, herbarium and exams office, 100's darts league): an answer line after an order that ends in a colon in the
    writer's words ("Return the line:", "Write only:", "Enter in LIMS format, ..., nothing else:", "in this form and
    nothing more:", "One line back for the file, please:") was not read, nor a key that ends in a full stop ("DELIV.
    n/7"), and "Write it back as CALL: <word>" lost its line once that order was read up to the key's colon. Guards: a
    colon inside the example quoted in the order ("exactly like `Delivery mark: 7/10`") ends no order; a heading of the
    inputs is no answer line."""
    assert judge_forms.answer_template(rubric) == template


def test_a_numbered_ladder_of_the_writers_own_words():
    """Bug caught (held-out round 53: batch 100's darts league): a ladder of the writer's words numbered one a line under
    "worst to best" ("1 = BUST (useless all round)" ... "5 = DOUBLE TOP (spot on)") was answered with the number. Guard:
    numbers out of order are no ladder."""
    board = "Our board, worst to best:\n1 = BUST (useless)\n2 = BOUNCE-OUT (poor)\n3 = SPLIT (so-so)\n4 = BULL (good)\n5 = DOUBLE TOP (spot on)\n"
    assert judge_levels.own_ladder(board) == ["BUST", "BOUNCE-OUT", "SPLIT", "BULL", "DOUBLE TOP"]
    assert judge_levels.own_ladder(board.replace("2 = BOUNCE", "7 = BOUNCE")) is None
    req = judge_request.parse_judge_request(_clips_body(
        "The punter asked: what is 6 times 7 say it loudly\nThe bot said:", ("6 times 7 is 42", "quietly"),
        "Mark the bot on the lot, the number counts most. " + board + "Write it back as CALL: <word> in capitals, nothing else."))
    assert judge.ToyJudge().answer(req).strip().splitlines()[-1] == "CALL: BULL"


def test_ladders_and_verdicts_of_round_fifty_four():
    """Bug caught (held-out round 54: batch 103's paper mill and casthouse, 104's arborist and trail crew, 105's probate
    clerk, 102's ghost walk): a ladder written one word a line with its number after it ("BROKE   (1)"), one whose line
    ends in a note holding a comma ("HOT-METAL (five steps, 1 to 5)"), or one that holds the known words ("DEAD, DYING,
    POOR, FAIR, GOOD": read as POOR, FAIR, GOOD, so 4 was GOOD, not FAIR); a verdict defined as "OPEN only if it's good
    overall ... Middling or worse = CLOSED" or "Mark ATTESTED if the delivery is good ... DECLINED if it is noticeably
    off"; a line after "Reply with just:"; a ladder asked for as "<grade>" or "<one word from the scale>" where a range
    of numbers is also named. Guard: a placeholder asking for a number stays a number."""
    assert judge_levels.own_ladder("Use our reel grades, worst to best (five steps):\n  BROKE   (1)\n  CULL    (2)\n  SECONDS (3)\n"
                                  "  PRIME   (4)\n  EXPORT  (5)\n") == ["BROKE", "CULL", "SECONDS", "PRIME", "EXPORT"]
    assert judge_levels.own_ladder("Rate using the iron grades, worst to best: SCRAP, SLAG, PIG, BASIC, HOT-METAL (five "
                                  "steps, 1 to 5).") == ["SCRAP", "SLAG", "PIG", "BASIC", "HOT-METAL"]
    assert judge_levels.answer_words("use my tree survey words, worst to best: DEAD, DYING, POOR, FAIR, GOOD.") == \
        ["DEAD", "DYING", "POOR", "FAIR", "GOOD"]
    assert judge_levels.defined_verdict("OPEN only if it's good overall, right answer and said properly. Middling or worse = "
                                       "CLOSED.\nReply exactly: TRAIL STATUS: OPEN  or  TRAIL STATUS: CLOSED") == ["CLOSED", "OPEN"]
    assert judge_levels.defined_verdict("Mark ATTESTED if the delivery is good, clear and as instructed. Mark DECLINED if it "
                                       "is noticeably off.\nComplete one line:  Box 7: ATTESTED   /   Box 7: DECLINED") == ["DECLINED", "ATTESTED"]

    read = _last_answer_line
    asked = ("The riddle asked: Repeat after me dark castle. Say it quietly.\nThe spirit voice answered:", ("you said dark castle", "loudly"))
    assert read(*asked, "The voice only. Mark it on my lantern scale, worst to best:\n  Snuffed < Flicker < Glow < Blaze < Beacon\n"
                "Reply with just: LANTERN: <one word from the scale>") == "LANTERN: Glow"
    assert read(*asked, "The voice only. Rate using the iron grades, worst to best: SCRAP, SLAG, PIG, BASIC, HOT-METAL (five steps, "
                "1 to 5).\nLog line to write: TAP VOICE = <grade>") == "TAP VOICE = PIG"
    assert read(*asked, "The voice only, on a scale of 1 to 5 (worst to best: SCRAP, SLAG, PIG, BASIC, HOT-METAL are our words "
                "for it, but I need the number).\nLog line to write: TAP VOICE = <number>") == "TAP VOICE = 3"
    assert read(*asked, "Judge the delivery. Mark CALM if it is said exactly as asked. Mark LOUD if it is noticeably off.\n"
                "Complete one line:  Box 7: CALM   /   Box 7: LOUD") == "Box 7: LOUD"


@pytest.mark.parametrize("rubric,template", [
    ("Write on the ticket: NETT MARK n/10", ("NETT MARK ", "n", "/10")),
    ("RETURN: COVERAGE: n%", ("COVERAGE: ", "n", "%")),
    ("Hold up your card by writing only:\nJUDGE 3 CARD: <number>", ("JUDGE 3 CARD: ", "<number>", "")),
    ("Write on the ticket: the mark you think fits.", None),                     # guard: no key, no placeholder
    # guard (held-out round 56, batch 111's personal trainer, lost since bd17576): an order's colon with a long sentence after
    # it introduces no answer line, so the line shown later is read
    ("Form check on the ANSWER only: is what it said correct? I'm not grading the voice or the tone, just the content. "
     "Score it as reps out of 5: 5/5 = perfect rep, 1/5 = no rep.\nLog it as: REPS: n/5", ("REPS: ", "n", "/5")),
])
def test_answer_lines_of_round_fifty_five(rubric, template):
    """Bug caught (held-out round 55: batch 106's weighbridge, 107's signwriter, 108's poetry slam): a key in capitals
    with no colon before its placeholder ("NETT MARK n/10"), a line after "RETURN:" and after "writing only:" were not
    read (answered "8", "75", "CARD: 5")."""
    assert judge_forms.answer_template(rubric) == template


def test_verdicts_and_ladders_of_round_fifty_five():
    """Bug caught (held-out round 55: batch 106's school transport, 108's rugby TMO and karate grading): a verdict of two
    words in capitals ("SIGNED OFF" / "SENT BACK", "TRY" / "NO TRY"), defined as "the card is SIGNED OFF" or
    "NO TRY = wrong", was no verdict ("DECISION: SIGNED 3:"); a ladder whose line goes on past its last word ("...,
    brown, black. Black = voiced exactly as the call asked.") was none. Guard: a one-word verdict still reads as one."""
    assert judge_levels.defined_verdict("If it is right and complete, the card is SIGNED OFF. If it is wrong or muddled, the "
                                       "card is SENT BACK.\nWrite exactly as: DECISION: SIGNED OFF or DECISION: SENT BACK") \
        == ["SENT BACK", "SIGNED OFF"]
    assert judge_levels.defined_verdict("  TRY    = the answer is correct and complete.\n  NO TRY = wrong, incomplete.\n"
                                       "Give your decision in the form:  TMO DECISION: TRY   or   TMO DECISION: NO TRY") == ["NO TRY", "TRY"]
    assert judge_levels.defined_verdict("GREEN = the answer is correct. RED = wrong. Reply: FLAG: GREEN or FLAG: RED") == ["RED", "GREEN"]
    assert judge_levels.own_ladder("Belt scale, lowest to highest (7 steps): white, yellow, orange, green, blue, brown, black. "
                                  "Black = voiced exactly as the call asked.") == \
        ["white", "yellow", "orange", "green", "blue", "brown", "black"]
    req = judge_request.parse_judge_request(_clips_body(
        "The buddy was asked: Spell route backwards.\nIts answer:", ("route backwards is etuor", ""),
        "We only care whether the answer is correct. If it is right and complete, the card is SIGNED OFF. If it is wrong, "
        "incomplete or muddled, the card is SENT BACK. Ignore the voice.\nWrite the card's last box exactly as: DECISION: "
        "SIGNED OFF or DECISION: SENT BACK"))
    assert judge.ToyJudge().answer(req).strip().splitlines()[-1] == "DECISION: SIGNED OFF"


def test_an_answer_heading_over_a_capitals_key_is_the_form_not_a_reply():
    """Bug caught (held-out round 56: batch 111's pet portraits and mobile saunas, 112's tender evaluation): "Answer:
    COMMISSION: Mabel or COMMISSION: Otis" after the clips was read as a reply's words under an "Answer:" heading, so no
    answer form was left and the verdict went out as "A". Guard: a reply's words under "Answer:" stay its words."""
    sections, free = judge_sections.split_sections("Question: what is 4 plus 4\nAnswer: 4 plus 4 is 8\n\nRate it 1-5.")
    assert [body for kind, _, body in sections if kind == "reply"] == ["4 plus 4 is 8"]
    sections, free = judge_sections.split_sections("Question: what is 4 plus 4\nAnswer: note: 4 plus 4 is 8\n\nRate it 1-5.")
    assert [body for kind, _, body in sections if kind == "reply"] == ["note: 4 plus 4 is 8"]     # guard: no capitals key
    sections, free = judge_sections.split_sections("Question: what is 4 plus 4\nAnswer: FERN: Juniper  or  FERN: Hazel")
    assert [kind for kind, _, _ in sections] == ["question"] and free.endswith("FERN: Juniper  or  FERN: Hazel")
    assert _last_answer_line(
        "Two kiosk voices, named after the ferns Juniper and Hazel. Typed question: what is 4 plus 4\nJuniper's go "
        "(first clip), Hazel's go (second clip)", ("4 plus 4 is 9", ""), ("4 plus 4 is 8", ""),
        "Judge the words only: is the sum right?\nAnswer: FERN: Juniper  or  FERN: Hazel") == "FERN: Hazel"


@pytest.mark.parametrize("labels,template,want", [
    (["Ticket 047", "Ticket 048"], ("NOW SERVING: ", "<ticket number>", ""), ["047", "048"]),
    (["Position 3", "Position 5"], ("POSITION: ", "_", ""), ["3", "5"]),
    (["Plot 3", "Plot 4"], ("SIGN OFF: PLOT ", "<number>", ""), ["3", "4"]),
    (["Ticket 047", "Ticket 048"], ("NOW SERVING: ", "<ticket>", ""), None),      # guard: the whole label asked for
    (["Blue Team", "Red Team"], ("WINNER: ", "<number>", ""), None),              # guard: no first word shared
    (["Crew North", "Crew South"], ("CREW: ", "<number>", ""), ["North", "South"]),
    (["Crew North", "Crew South"], ("WINNER: ", "<number>", ""), None),           # guard: no number to give
])
def test_clips_labels_as_the_answer_line_asks_them(labels, template, want):
    """Bug caught (held-out round 55: batch 107's ostrich eggs; round 53: 101's phlebotomy tickets and building control;
    round 52: 95's post office): clips labelled "Ticket 047" / "Ticket 048" were answered "NOW CALLING: Ticket 048"
    where the line asks for the ticket number, and "PLOT Plot 3" where the line already holds "PLOT"."""
    assert judge_choices.labels_as_asked(labels, template) == want


def test_answers_listed_by_what_tells_the_clips_apart():
    """Bug caught (held-out round 52: batch 95's orienteering controls, 97's perfumer's accords; round 55: 106's leak
    listening points): "PUNCH 31 or PUNCH 47" under "Control 31:" / "Control 47:" was answered "Control 31" (the listed
    answers were not the labels in use), and "PICK LP1 or PICK LP2" lost its key because "pick" is an instruction's word.
    Guard: where the listed answers are the whole labels, they stay whole."""
    asked = ("Typed question: what is 6 plus 7\nControl 31:", ("6 plus 7 is 13", ""), "Control 47:", ("6 plus 7 is 12", ""))
    assert _last_answer_line(*asked, "Judge the answer only: which is correct?\nMark the card: PUNCH 31 or PUNCH 47") == "PUNCH 31"
    assert _last_answer_line(*asked, "Judge the answer only: which is correct? If both are, say LEVEL.\nRecord: "
                             "WINNING CONTROL: 31 / 47 / LEVEL") == "WINNING CONTROL: 31"
    asked = ("Typed question: what is 6 plus 7\nLP1 (hydrant) - transcript: 6 plus 7 is 12\nLP2 (valve) - transcript: 6 plus 7 is 13\n",
             ("6 plus 7 is 12", ""), ("6 plus 7 is 13", ""))
    assert _last_answer_line(*asked, "Judge the answer only: which is correct?\nReply on the sheet: PICK LP1 or PICK LP2") == "PICK LP2"
    assert _last_answer_line("Typed question: what is 6 plus 7\nALPHA said:", ("6 plus 7 is 13", ""), "BRAVO said:",
                             ("6 plus 7 is 12", ""), "Judge the answer only: which is correct?\nReport as: WINNER ALPHA / "
                             "WINNER BRAVO / WINNER TIE") == "WINNER ALPHA"


@pytest.mark.parametrize("rubric,verdict", [
    ("THUMBS UP = delivery is stage-ready. THUMBS DOWN = delivery is not good enough.\nAnswer with one line:\n"
     "SIGNAL: THUMBS UP\nor\nSIGNAL: THUMBS DOWN", ["THUMBS DOWN", "THUMBS UP"]),
    ("- BAGGED = it gave the right answer\n- SKUNKED = wrong number, or it trailed off\nLog one line, exactly one of:\n"
     "CATCH: BAGGED\nCATCH: SKUNKED", ["SKUNKED", "BAGGED"]),
    ("Reply with the code only:\nGT-OK (acceptable delivery)\nGT-NO (not acceptable)", ["GT-NO", "GT-OK"]),
    ("STET = voice is fine, clear and as asked\nREDO = voice needs work\nJust write the one word, STET or REDO.", ["REDO", "STET"]),
    ("GOLD = right answer. SILVER = not wrong, only hedged. Write GOLD or SILVER.", None),    # guard: "not wrong" reads good
    ("- BAGGED = the right answer\n- SKUNKED = the wrong one\nCATCH: BAGGED\nTALLY: SKUNKED", None),   # guard: two keys, no form
])
def test_verdict_definitions_read_through_negation_and_lines(rubric, verdict):
    """Bug caught (held-out round 53: batch 98's punt station, 100's drum major; round 56: 113's geocache and
    neighbourhood watch): "HORNS DOWN = delivery is not good enough" read good ("good"), so no verdict; definitions in
    parenthesis ("NW-NO (not acceptable)") and "needs work" were not read; two verdict lines offered one a line ("LOG:
    FOUND IT" / "LOG: DNF") were not seen as offered."""
    assert judge_levels.defined_verdict(rubric) == verdict


def test_a_verdict_offered_as_lines_is_written_on_its_key():
    """The same end to end: the verdict on its key's line, where each line is the key and one of the two words.
    Guard: keyed_levels wants a key ending in a colon, so two bare words stay bare."""
    asked = ("Typed question: what is 6 plus 7\nIt said:", ("6 plus 7 is 12", ""))
    assert _last_answer_line(*asked, "Is the answer right? The voice does not count.\n- BAGGED = it gave the right answer\n"
                             "- SKUNKED = wrong number, or it trailed off\nLog one line, exactly one of:\nCATCH: BAGGED\n"
                             "CATCH: SKUNKED") == "CATCH: SKUNKED"
    assert judge_rubric.keyed_levels(("SIGNAL: THUMBS ", ["UP", "DOWN"]), ["THUMBS DOWN", "THUMBS UP"]) == "SIGNAL: "
    assert judge_rubric.keyed_levels(("", ["STET", "REDO"]), ["REDO", "STET"]) is None


def test_two_unlabelled_transcripts_are_the_two_replies_words():
    """Bug caught (held-out round 57: plain batch 58's build comparison, batch 114's plane spotters, 116's board-game
    cafe and box office): two transcripts given under headings with no label ("Build A reply - transcript: ...",
    "G-BUZZ -- heard: ...", "Table 4 speaker -- transcript: ...", "Our transcript of what it said: ...") were not read
    as the replies' words, so the clips were heard instead ("um I think" came back "um i think"). Guards: a note in
    brackets ("(failed to generate, please listen)") and words that run on past their line are heard, not taken."""
    assert judge_inputs.heading_kind("Table 4 speaker -- transcript") == ("reply", None)
    assert judge_inputs.heading_kind("G-BUZZ -- heard") == ("reply", None)
    assert judge_inputs.heading_kind("Our transcript of what it said") == ("reply", None)
    assert judge_inputs.heading_kind("Our verdict") is None                              # guard: not every "our"
    hedged = ("um I think it is 13", "")

    def words(*content):
        return [t for t, _, _ in judge_request.parse_judge_request(_clips_body(*content))["replies"]]
    assert words("Question: what is 6 plus 7\n\nBuild A reply - transcript: 6 plus 7 is 13", ("6 plus 7 is 13", ""),
                 "Build B reply - transcript: um I think it is 13", hedged, "Which is better? Answer A or B.") \
        == ["6 plus 7 is 13", "um I think it is 13"]
    assert words("Quiz card: what is 6 plus 7\n\nG-BUZZ -- heard: 6 plus 7 is 13", ("6 plus 7 is 13", ""),
                 "EI-SKY -- heard: um I think it is 13", hedged, "Which did better? LOGGED: G-BUZZ or LOGGED: EI-SKY") \
        == ["6 plus 7 is 13", "um I think it is 13"]
    assert words("A caller asked it:\n  what is 6 plus 7\nOur transcript of what it said: um I think it is 13\nRecording below.",
                 hedged, "Rate the answer 1 to 5.") == ["um I think it is 13"]
    assert words("Question: what is 6 plus 7\n\nVoice Rowan - transcript: 6 plus 7 is 13", ("6 plus 7 is 13", ""),
                 "Voice Hazel - transcript: (failed to generate, please listen)", hedged,
                 "Which is better? RECOMMEND: Rowan or RECOMMEND: Hazel") == ["6 plus 7 is 13", "um i think it is 13"]   # heard


@pytest.mark.parametrize("rubric,verdict", [
    ("WHITE light = good lift: clear and as called for.\nRED light = no lift: not as called for (e.g. the wrong volume), "
     "or unclear.\nGive your light on one line:\nDECISION: WHITE\nor\nDECISION: RED", ["RED", "WHITE"]),
    ("Clear and as the card asked -> HIGH FLYER\nMuffled, or against what was asked -> LOW FLYER\nWrite it up as one of:\n"
     "CALL: HIGH FLYER\nCALL: LOW FLYER", ["LOW FLYER", "HIGH FLYER"]),
    ("REC 1 = OPERATIVE'S QUESTION. REC 2 = HELPER'S ANSWER.\nCLEAR = DELIVERY GOOD ENOUGH TO USE. BLOCKED = DELIVERY NOT "
     "GOOD ENOUGH.\nWRITE ONE LINE: VOICE: CLEAR  or  VOICE: BLOCKED", ["BLOCKED", "CLEAR"]),   # (a clip's number is no mark)
])
def test_verdicts_of_round_fifty_seven(rubric, verdict):
    """Bug caught (held-out round 57: batch 115's weightlifting referee, 116's clay ground, 117's drain jetting): a
    verdict word with a word after it before its "=" ("WHITE light = ..."), a meaning cut at "e.g.", a definition by
    an arrow ("... -> NO BIRD"), and "REC 1 = OPERATIVE'S QUESTION" read as marks 1 = bad, left no verdict."""
    assert judge_levels.defined_verdict(rubric) == verdict


def test_answer_lines_of_round_fifty_seven():
    """Bug caught (held-out round 57: batch 115's wig room, swimming gala and sand sculpture, 116's gritter cab, skittle
    alley and clay ground, 117's drain jetting): "PINS: n" (a lower-case n ends its line) and "HOLDS: x" after "Enter the
    score:" were no answer lines; "VOICE: <0-10>/10" lost its "/10"; two verdict lines of several words ("CALL: GOOD
    BIRD" / "CALL: NO BIRD") were no options; "VOICE: CLEAR  or  VOICE: BLOCKED" was a template whose placeholder was
    "CLEAR  or  VOICE". Guards: "n" inside a line is no placeholder; options of one word keep their shared start."""
    assert judge_forms.answer_template("Reply in the wig-room style, one line:\nPINS: n") == ("PINS: ", "n", "")
    assert judge_forms.answer_template("Enter the score:\nHOLDS: x") == ("HOLDS: ", "x", "")
    assert judge_forms.answer_template("Reply in one line:\nPINS: n pins") is None             # guard
    assert judge_forms.answer_template("WRITE ONE LINE: VOICE: CLEAR  or  VOICE: BLOCKED") is None
    assert judge_forms.answer_options("Write it up as one of:\nCALL: GOOD BIRD\nCALL: NO BIRD") == ("CALL: ", ["GOOD BIRD", "NO BIRD"])
    assert judge_forms.answer_options("in the form:\nPreferred: Response 1\nor\nPreferred: Response 2") == \
        ("Preferred: Response ", ["1", "2"])                                                    # guard
    asked = ("Typed question: what is 6 plus 7\nIt said:", ("6 plus 7 is 13", ""))       # delivery 5: 10 of 0-10
    assert _last_answer_line(*asked, "Score the VOICE only, 0 to 10.\nNotebook line, exactly like this:\nVOICE: <0-10>/10") \
        == "VOICE: 10/10"
    assert _last_answer_line(*asked, "Score the answer only, 1 to 7.\nReply with the log line only:\nRUN SCORE: n") == "RUN SCORE: 7"


@pytest.mark.parametrize("rubric,axis", [
    ("Settling rule: settle on the answer alone - the terminal's voice, volume or tone has no bearing on the result. "
     "WINNER = the answer is right.", "semantic"),
    ("Here 'in tune' means that what it says is correct. The voice it uses, loud, fast, cheerful, whatever, does not count "
     "here at all.", "semantic"),
    ("I only care WHAT it answers. Loud, soft, fast, slow, cheerful, none of that goes on this sheet.\n5 = right answer",
     "semantic"),
    ("Log mark wanted, 0 to 10, for THE ANSWER ONLY - is it correct and complete. The voice itself (loudness, speed) is not "
     "logged here.",
     "semantic"),
    ("HOW TO MARK (correctness of the ANSWER only - the aid's voice is a cheap speaker, I don't care how it sounds)",
     "semantic"),
    ("Judge how it sounds, the wording does not matter.", "acoustic"),              # guard: one comma, its clause only
    ("Judge how it sounds, and the spelling or the sum does not matter.", "acoustic"),     # guard: "and" starts no list
])
def test_axis_of_round_fifty_eight(rubric, axis):
    """Bug caught (held-out round 57: batch 115's wheelwright, 117's betting shop; round 58: 118's hurdy-gurdy bench,
    121's cattery and tall ship): the voice left out in words the reader did not know ("has no bearing on", "none of
    that goes on this sheet", "is not logged here"), a list before "does not count" that only its last item left
    ("The voice it uses, loud, fast, cheerful, whatever, does not count"), and "the ANSWER only" whose own words narrow
    it, read as both sides (holistic). Guards: with one comma before the cue, or a clause that starts "and", only the cue's
    own clause is left out, so "Judge how it sounds" stays."""
    assert judge_axis.rubric_axis(rubric) == axis


def test_a_reply_introduced_by_what_said_it():
    """Bug caught (held-out round 58: batch 121's cattery): "Box said (as I heard it): um I think it is 5" under
    "Tonight's question (I typed it in): ..." ran on into the question, so the reply was heard ("um i think"). Guards:
    one who asks ("The caller said:") introduces the question, one who judges ("Judge says: ...") the writer's own
    words."""
    assert judge_inputs.introduced_kind("Box said (as I heard it):") == ("reply", None)
    assert judge_inputs.introduced_kind("The caller said:") == ("question", None)
    assert judge_inputs.introduced_kind("Judge says:") is None
    assert judge_inputs.introduced_kind("The boss says:") is None          # (a stripped "s" made "boss" "bo": read as a reply)
    sections, free = judge_sections.split_sections("Tonight's question (I typed it in): How many letters in tabby?\n"
                                                   "Box said (as I heard it): um I think it is 5\nRecording from the box:")
    assert [(kind, body) for kind, _, body in sections] == [("question", "How many letters in tabby?"),
                                                           ("reply", "um I think it is 5")]


@pytest.mark.parametrize("rubric,axis", [
    ("Keep the one that gets the answer RIGHT. How it sounds doesn't come into it - not the speed, nothing about the voice.",
     "semantic"),
    ("I need the one that gets its SUMS RIGHT. Don't care if it gabbles or drawls, just whether what it said is correct.",
     "semantic"),
    ("Which feeder gave the better ANSWER - right and useful? Don't worry how they sound.", "semantic"),
    ("Only the ANSWER counts: which voice gave the correct, complete answer? How it sounds is irrelevant.", "semantic"),
    ("Points are not given for how the voice sounds (tone, speed) - only for what it actually said.", "semantic"),
    ("Score the whole reply: the answer AND the way it's said.\n4 = only just wrong (one out)", "holistic"),   # guard: "only just"
    # guard (others.json's b24, lost on the way): a focus word with a describing word between narrows nothing
    ("Rate overall quality: what the reply says matters most, how it is spoken matters too. Example: score 2, the answer "
     "is wrong; only the clear voice keeps it off the floor.", "holistic"),
    ("Step 7.3 assesses the audio output only: how the reply is spoken. The correctness of the figure is verified separately.",
     "acoustic"),                                                                        # guard: a colon ends no clause
])
def test_axis_of_round_fifty_nine(rubric, axis):
    """Bug caught (held-out round 59: batch 122's school caretaker and handball clubhouse, 123's glazier, 125's cattery
    pens and tiddlywinks): "doesn't come into it", "gets its SUMS RIGHT", "what it actually said", an answer "- right
    and useful", ", just whether ..." cut off by the "Don't care" before it, "which voice gave ..." (the voice judged,
    not a criterion), and "only for what it actually said" were misread (both sides, or neither)."""
    assert judge_axis.rubric_axis(rubric) == axis


def test_a_verdict_word_given_if_and_the_other_if_not():
    """Bug caught (held-out round 59: batch 125's powerlifting lights): "Give a WHITE light if the delivery is good (...),
    RED if it is not." was no verdict: the word had a word after it ("light") and the first meaning ran on over the second
    verdict; "if it is not" reads as the other's opposite."""
    assert judge_levels.defined_verdict("Give a WHITE light if the delivery is good (clear), RED if it is not.\nSignal on one "
                                       "line:  LIGHT: WHITE   or   LIGHT: RED") == ["RED", "WHITE"]
    asked = ("Typed question: what is 6 plus 7, say it quietly\nIt said:", ("6 plus 7 is 13", "loudly"))
    assert _last_answer_line(*asked, "Judge the delivery only. Give a WHITE light if the delivery is good (clear and as "
                             "asked), RED if it is not.\nSignal on one line:  LIGHT: WHITE   or   LIGHT: RED") == "LIGHT: RED"


def test_a_compare_line_of_a_key_twice_keeps_its_key_and_mark():
    """Bug caught (held-out round 60: batch 126's lawnmower racing, 127's didgeridoo class, both read by the start reader
    only through a broken template, "BOX: BLUE:", and lost at 9a9956d when "BLUE or BOX:" stopped being a placeholder):
    "BOX: BLUE or BOX: RED" was read as the labels "BLUE" / "BOX" (a second word that is the line's key), and "WINNER:
    #17  or  WINNER: #42" lost its "#"."""
    blue_first = ("A student asked (first recording). Then the Blue box's reply, then the Red box's reply.",
                  ("repeat after me deep breath say it slowly", ""), ("you said deep breath", "slowly"),
                  ("you said deep breath", "quickly"))
    assert _last_answer_line(*blue_first, "What matters is HOW they say it: the pace. I'm not marking the words.\nPlease "
                             "reply with one line: BOX: BLUE or BOX: RED. Pick one, no draws.") == "BOX: BLUE"
    assert _last_answer_line("Question: what is 6 plus 7\nMower #17 replied:", ("6 plus 7 is 13", ""), "Mower #42 replied:",
                             ("6 plus 7 is 12", ""), "Which gave the right answer? The voice does not count.\nOne line on "
                             "the sheet: WINNER: #17  or  WINNER: #42") == "WINNER: #17"


@pytest.mark.parametrize("rubric,verdict", [
    ("Did it get the answer RIGHT? HIT means right answer, MISS means it's not right. Just the one word back, HIT or MISS.",
     ["MISS", "HIT"]),
    ("only did it get the answer right never mind the voice if it's right that's a BAGGED comma if it's wrong or half an "
     "answer that's a SKUNKED\n(reply as  CATCH: BAGGED  or  CATCH: SKUNKED)", ["SKUNKED", "BAGGED"]),
    ("In our dojo we say 'hai' when a thing is correctly done, and 'iie' (not yet) when it is not yet correct.\nKindly write "
     "one line:\nHANTEI: HAI\nor\nHANTEI: IIE", ["IIE", "HAI"]),
    # guard: one that asks or judges is no verdict word ("The judge says 'fine' when ...": no two words, no verdict)
    ("Coach says 'fine' when it is right. Rate it 1 to 5.", None),
])
def test_verdicts_of_round_sixty(rubric, verdict):
    """Bug caught (held-out round 60: batch 129's coconut shy, 128's dictated mole catcher, 127's tea ceremony): verdicts
    defined by "means" ("HIT means right answer"), in a dictated run with no stops ("if it's right that's a CAUGHT comma if
    it's wrong ... that's a MISSED", where only the sentence's first condition was read), and in the writer's own
    language, quoted and lower-case, with "when" ("'kekko' when a thing is correctly done"), were no verdicts."""
    assert judge_levels.defined_verdict(rubric) == verdict


def test_transcripts_given_where_round_sixty_one_gave_them():
    """Bug caught (held-out round 61: batch 131's line dancing, tarantula show, BMX gate and hill climb, 133's wasabi
    terrace, bison ranch and waffle irons, plain batch 62's Prometheus pair): words given after "The box said:" followed by
    "Here's the recording ...:" (read as a second, empty reply), in a label's brackets ('(it said: "...")', "###
    Response A (transcript: ...)"), in a table without outer bars, and after "- transcript:" (where "you said" was cut
    as if it named the speaker), were not the replies' words; a line saying what each clip is ("Clip 1: the rider's
    request. Clip 2: the box.") and prose saying which sound is which were taken for the words. Guards: "(ASR
    transcript)" names no words; a markdown "*...*" around the words is no part of them."""
    def words(*content):
        return [t for t, _, _ in judge_request.parse_judge_request(_clips_body(*content))["replies"]]
    hedged = ("um I think it is 13", "")
    assert words("Someone asked it: what is 6 plus 7\nThe kiosk said: \"um I think it is 13\"\nHere's the recording so you "
                 "can hear it:", hedged, "Rate the answer 1 to 5.") == ["um I think it is 13"]
    assert words("Question: what is 6 plus 7\nBooth A unit (it said: \"um I think it is 13\"):", hedged,
                 "Booth B unit (it said: \"6 plus 7 is 13\"):", ("6 plus 7 is 13", ""),
                 "Which is better? PICK: BOOTH A or PICK: BOOTH B") == ["um I think it is 13", "6 plus 7 is 13"]
    assert words("###Instruction:\nwhat is 6 plus 7\n###Response A (transcript: um I think it is 13):", hedged,
                 "###Response B (transcript: 6 plus 7 is 13):", ("6 plus 7 is 13", ""), "[RESULT] A or B") == \
        ["um I think it is 13", "6 plus 7 is 13"]
    assert words("Question: repeat after me tall tree\nNorth unit - transcript: you said tall tree", ("you said tall tree", ""),
                 "South unit - transcript: you said tall", ("you said tall", ""), "Which sounds better? north or south") == \
        ["you said tall tree", "you said tall"]
    assert words("Lap | Question | Reply logged\n3  | What is 6 plus 7? | \"um I think it is 13\"\n\nAudio of lap 3:", hedged,
                 "Rate the answer 1 to 5.") == ["um I think it is 13"]
    assert words("Clip 1: the rider's request. Clip 2: the box.", ("what is 6 plus 7", ""), hedged,
                 "Rate the answer 1 to 5.") == ["um i think it is 13"]                         # heard
    assert judge_request.parse_judge_request(with_speech({"messages": [
        {"role": "system", "content": "Rate the answer 1 to 5."},
        {"role": "user", "content": [{"type": "text", "text": "First sound is the question. Second sound is the answer."},
                                     {"type": "input_audio", "input_audio": {"data": "@speak:what is 6 plus 7|", "format": "wav"}},
                                     {"type": "input_audio", "input_audio": {"data": "@speak:um I think it is 13|",
                                                                             "format": "wav"}}]}]}))["heard"] == [True]
    assert words("## Question\nwhat is 6 plus 7\n## Reply (audio)", hedged, "## Reply (ASR transcript)\num I think it is 13",
                 "Rate the answer 1 to 5.") == ["um I think it is 13"]                         # guard
    assert words("The kiosk answered (transcript): *um I think it is 13*\nRecording of it:", hedged,
                 "Rate the answer 1 to 5.") == ["um I think it is 13"]                         # guard


@pytest.mark.parametrize("rubric,want", [
    # a verdict's two lines with "or" alone between them, defined by a dash or by what was asked
    ("Judge the answer only.\nSOUND   - the answer given is correct.\nUNSOUND - the answer is wrong or missing.\nEnter it "
     "exactly as below:\nCHECK: SOUND\nor\nCHECK: UNSOUND", "CHECK: SOUND"),
    ("Judge the voice only.\nTICK  = it spoke the way it was asked, or at worst in a plain clear voice\nCROSS = it spoke in a "
     "different way to what was asked\nMark it with one line:\nPA: TICK\nor\nPA: CROSS", "PA: TICK"),
    ("Judge the voice only.\nGOOD SIGN = delivery is fine. BAD SIGN = delivery is not good enough.\nAnswer with one line:\n"
     "CAPTAIN'S CALL: GOOD SIGN\nor\nCAPTAIN'S CALL: BAD SIGN", "CAPTAIN'S CALL: GOOD SIGN"),   # a key with an apostrophe
    ("Score the whole reply, answer first, then the voice.\nMy card, worst to best:\nFlat Tyre - nothing usable\nWobble - wrong "
     "answer\nCoasting - right but said badly\nSmooth Ride - right, one slip\nFull Speed Ahead - right, said as asked\n\nSend "
     "back just: CARD: <one of the five>", "CARD: Smooth Ride"),
])
def test_answer_forms_of_round_sixty_one(rubric, want):
    """Bug caught (held-out round 61: batch 133's custody suite and crocodile show, round 58's drum major when its lines were
    joined, 131's line dancing): two verdict lines with "or" alone between them were not offered; definitions by a dash
    ("ACCURATE   - the aid gave the correct answer.") or by what was asked ("it talked the way it was asked, or at worst
    ...") read neither good nor bad; a key with an apostrophe ("DRUM MAJOR'S SIGNAL:") broke the offered pair; a ladder
    level of three words ("Two Left Feet - ...") was no level. Guards: "at worst" reads no fault; three words before a
    colon ("Send back just:") are an order, not a level."""
    asked = ("Typed question: what is 6 plus 7, say it quietly\nIt said: um I think it is 13\nRecording:", ("um I think it is 13", ""))
    assert _last_answer_line(*asked, rubric) == want


def test_compare_answers_of_round_sixty_one():
    """Bug caught (held-out round 61: batch 133's farrowing shed, 131's aquascape show, 132's trucker): "PEN 14" / "or" /
    "PEN 15" one a line, "PRIZE -> TANK 07  or  PRIZE -> TANK 12" (an arrow for the key's colon, and the question's "Say
    it quietly." after it hid the list) and "10-4 BOX 1   or   10-4 BOX 2" (a key starting with a number) were no
    answers to pick from, so the verdict went out as "A" / "B". Guard: three lines on one key with "or" before the last
    read as a list of three, the tie third."""
    pens = ("the feeders are in pen 14 and pen 15. first clip asks, then each feeder answers in turn.", ("how many letters in piglet", ""),
            ("the count is 9", ""), ("the count is 6", ""))
    assert _last_answer_line(*pens, "Which one got it RIGHT? Put down just the pen number, like this:\nPEN 14\nor\nPEN 15") \
        == "PEN 15"
    tanks = ("Card read to both: Spell reef backwards. Say it quietly.\nTank 07 recording:", ("reef backwards is feer", "quietly"),
             "Tank 12 recording:", ("reef backwards is feer", "loudly"))
    assert _last_answer_line(*tanks, "Judge the voice only.\nAnswer with exactly one line: PRIZE -> TANK 07  or  PRIZE -> "
                             "TANK 12") == "PRIZE -> TANK 07"
    boxes = ("Asked 'em both: How many letters in highway?\nBox 1 come back:", ("the count is 7", ""), "Box 2 come back:",
             ("the count is 6", ""))
    assert _last_answer_line(*boxes, "Which box got the count RIGHT? I don't care how they sound.\nOne line:\n10-4 BOX 1   or"
                             "   10-4 BOX 2") == "10-4 BOX 1"
    assert judge_request._or_joined("One line:\nFINISH: OAK\nFINISH: ASH\nor\nFINISH: SAME\n") == \
        "One line:\nFINISH: OAK, FINISH: ASH, or FINISH: SAME\n"                              # guard
    assert judge_request._or_joined("Pick a face:\n:)\nor\n:(") == "Pick a face:\n:)  or  :("        # (no key: no crash)


@pytest.mark.parametrize("rubric,axis", [
    ("Please check only if the answer is CORRECT. The sound of the voice, speed, loud or soft, we do not judge here.",
     "semantic"),
    ("We test two voices. Tell us which one gives the better ANSWER - the correct number. The voice, if it is sad or happy, this "
     "we do not judge now.", "semantic"),
    ("I'm only logging which set gives the more CORRECT answer. Tone, speed and loudness of the voice are not for this log.",
     "semantic"),
    ("I should be grateful if you would mark its VOICE on the scale below. The content of its answers is being checked by the "
     "Maths department and is no concern of this mark: a wrong sum said in exactly the requested manner still earns full marks "
     "here.\n7 - spoken clearly and exactly in the manner requested\n1 - no usable speech", "acoustic"),
    ("The delivery-lorry cab has a gadget. Rate whether the ANSWER is right - nothing to do with its voice, cheerful or not.",
     "semantic"),
    ("Scoring guide (what was said only; ignore delivery, tone and whether the requested speaking manner was followed):",
     "semantic"),
    ("What I need to know is whether the box got the ANSWER right. If the answer is right (even if it sounds a bit unsure) "
     "mark it SOUND.", "semantic"),
    ("Judge how it sounds. We do not judge the words.", "acoustic"),      # guard: the cue with its object after it
])
def test_axis_of_round_sixty_one(rubric, axis):
    """Bug caught (held-out round 61: batch 130's kimono school, 131's pelota club and pole lathe, 132's reservoir, 133's
    fives courts and firewood yard, plain batch 62's JSON grader): a side left out before "we do not judge here" (its
    comma before "we" ended the clause, so only "we do" went), "are not for this log", "is being checked by the Maths
    department", "still earns full marks", "nothing to do with", a list after "ignore" inside brackets cut at its first
    comma, "two voices" (the candidates), "delivery-lorry" and "even if it sounds unsure" (a hedge) read as delivery."""
    assert judge_axis.rubric_axis(rubric) == axis


def test_rubric_run_on_after_a_question_or_a_reply_on_its_line():
    """Bug caught (held-out round 61: batch 132's toolpusher and acetaia, 130's ikebana class; others.json's b60 and p5
    were read only through "two voices"): the rubric after a question or reply given on its line was taken into it:
    "Criteria: ..." under "Unit reply (transcript): ...", a paragraph after a blank line asking the judge, "I ONLY want to
    know ..." after "The question was: ...", and the lines after a fully quoted question; a reply "and the guide answered:
    ..." under a question ran on in the question. Guard: the question's own "Say it loudly." stays in it."""
    def sections(text):
        return [(kind, body) for kind, _, body in judge_sections.split_sections(text)[0]]
    assert sections("Q: What is 6 plus 7?\nUnit reply (transcript): 6 plus 7 is 12\nCriteria: PASS if it is right.") == \
        [("question", "What is 6 plus 7?"), ("reply", "6 plus 7 is 12")]
    assert sections("A visitor said to it:\n  \"What is 6 plus 7?\"\nand the guide answered: 6 plus 7 is 13\n\nPlease rate "
                    "the voice only.") == [("question", '"What is 6 plus 7?"'), ("reply", "6 plus 7 is 13")]
    assert sections("A student gave it this phrase to practise with:\n  \"Repeat after me: quiet pond.\"\nIt replied with the "
                    "words: you said quiet pond\n\nThe words are fine, please judge the voice.") == \
        [("question", '"Repeat after me: quiet pond."'), ("reply", "you said quiet pond")]
    assert sections("The question was: how many letters in bread, say it quietly (a tiny room!). I ONLY want to know which "
                    "voice sounds better.") == [("question", "how many letters in bread, say it quietly (a tiny room!).")]
    assert sections("The player asked: \"how many letters in cloud\".\nI only care about the pacing.") == \
        [("question", '"how many letters in cloud".')]
    assert sections("The question was: What is 6 plus 7? Say it loudly. Please rate the voice.") == \
        [("question", "What is 6 plus 7? Say it loudly.")]                                     # guard


def test_scales_and_verdicts_of_round_sixty_one():
    """Bug caught (held-out round 61: batch 130's charcuterie and kimono school, 133's firewood yard, 132's reservoir): a
    ladder of fractions without signs ("1.00  correct, complete" / ... / "0.00  nonsense") named no scale; "0 = gibberish"
    under "0.25 = wrong answer" was taken for an input's number ("answer 0 = ..."), so 0 to 1 read as none; "Give me a
    reading ..., for whether the ANSWER is right:" introduced a reply that took the ladder under it; "only nearly right"
    read good in a verdict's meaning; "Tower set (written out: ...)" gave no words. Guard: "Clip 1 = the question" on its
    line is still an input's number, no anchor."""
    assert judge_scale.named_scale("Score it.\n  1.00  correct, complete\n  0.75  correct but unsure\n  0.50  near miss\n"
                                    "  0.00  nothing\nWrite: CURE=<value>") == (0, 1)
    assert judge_scale.named_scale("Reading, 0 to 1:\n1    = right answer\n0.75 = unsure\n0.25 = wrong answer\n0    = nothing") \
        == (0, 1)
    assert judge_scale.named_scale("Clip 1 = the question. Clip 2 = the reply. Rate 1 to 5.") == (1, 5)     # guard
    assert judge_inputs.introduced_kind("Give me a reading, 0 to 1, for whether the ANSWER is right:") is None
    assert judge_inputs.introduced_kind("Here is what the answer was:") == ("reply", None)           # guard
    assert judge_levels.defined_verdict("PASSED = the answer is correct\nFAILED = the answer is wrong, only nearly right, or "
                                       "missing\nWrite: CHECK: PASSED  or  CHECK: FAILED") == ["FAILED", "PASSED"]
    pair = judge_request.parse_judge_request(_clips_body(
        "Question: which is larger 71 or 17\nTower set (written out: the larger is 17):", ("the larger is 17", ""),
        "Lodge set (written out: um I think it is 71):", ("um I think it is 71", ""),
        "Which is more correct? MORE ACCURATE: Tower   or   MORE ACCURATE: Lodge"))
    assert [t for t, _, _ in pair["replies"]] == ["the larger is 17", "um I think it is 71"]


def test_transcripts_given_where_round_sixty_two_gave_them():
    """Bug caught (held-out round 62: batch 135's flint knapping and process server, 136's photocopier engineer, 137's
    carousel, mini golf and milk tanker, plain batch 63's clip-described request): "Box's answer, as the box's screen
    showed it: ..." gave no words and "- what it said counts most (about 70%): ..." below became the reply; "Its printed
    transcript reads: ...", 'Duchess said - "..."' (labels that name no clip), "(on-screen caption: ...)" gave no words;
    the clips' labels alone ("Player at the tee:" / "Skull:"), "Driver's spoken question, then the assistant's spoken
    answer." and "First clip: ... Second clip: ..." were taken for the reply's words. Guards: a question's "(audio;
    transcript: ...)" is no reply's caption; "[transcript: ...]:" ends at its bracket."""
    def words(*content, system=None):
        body = _clips_body(*content)
        if system:
            body["messages"].insert(0, {"role": "system", "content": system})
        return [t for t, _, _ in judge_request.parse_judge_request(body)["replies"]]
    hedged = ("um I think it is 13", "")
    assert words("Question: what is 6 plus 7\nBox's answer, as its screen showed it: um I think it is 13\nBox's answer, audio:",
                 hedged, "Mark it for the whole answer:\n- what it said counts most (about 70%): right and plain is best;\n"
                 "- how it said it counts for the rest.") == ["um I think it is 13"]
    assert words("I put the same question to each: what is 6 plus 7\n1. The first reply is Exhibit A. Its printed transcript "
                 "reads: um I think it is 13", hedged, "2. The second reply is Exhibit B. Its printed transcript reads: 6 plus 7 "
                 "is 13", ("6 plus 7 is 13", ""), "Which exhibit is more correct? EXHIBIT A or EXHIBIT B") == \
        ["um I think it is 13", "6 plus 7 is 13"]
    assert words("Both were asked: what is 6 plus 7\nRoan said - \"6 plus 7 is 13\"", ("6 plus 7 is 13", ""),
                 "Dapple said - \"um I think it is 13\"", hedged, "Which horse was more correct? Write ROAN or DAPPLE.") == \
        ["6 plus 7 is 13", "um I think it is 13"]
    assert words("Test call: clip 1 is my question, clip 2 is the answer (on-screen caption: um I think it is 13).",
                 ("what is 6 plus 7", ""), hedged, "Grade the answer only, A to E.") == ["um I think it is 13"]
    assert words("Player at the tee:", ("what is 6 plus 7", ""), "Skull:", hedged, system="Grade the reply 1 to 5.") == \
        ["um i think it is 13"]                                                                     # heard
    assert words("Stop 7. Driver's spoken question, then the assistant's spoken answer.", ("what is 6 plus 7", ""), hedged,
                 system="Rate the answer 1 to 5.") == ["um i think it is 13"]                   # heard
    assert words("First clip: the question a user asked. Second clip: the assistant's answer.", ("what is 6 plus 7", ""),
                 hedged, "Rate the answer 1 to 5.") == ["um i think it is 13"]                  # heard
    assert words("User's question (audio; transcript: what is 6 plus 7):", ("what is 6 plus 7", ""), "Answer (audio):",
                 hedged, "Rate the delivery 1 to 5.") == ["um i think it is 13"]                # guard: heard
    # guard (held-out round 63: plain batch 64's AlpacaEval pair, lost at 26b7312): the bracket closing the words is none of them
    assert words("# Instruction:\nrepeat after me tall tree\n# Output (a) [transcript: you said tall tree]:", ("you said tall tree", ""),
                 "# Output (b) [transcript: you said tall]:", ("you said tall", ""), "Which output sounds better? \"Output (a)\" or "
                 "\"Output (b)\"") == ["you said tall tree", "you said tall"]


@pytest.mark.parametrize("rubric,want", [
    ("Rate the voice 1-7.\n7 - clear, as asked\n1 - unintelligible\nRecord the result in this exact form and nothing else: "
     "[QA=n]", "[QA=7]"),
    ("Check the voice only.\n1 = can't make it out\n5 = clear and exactly as asked\nWrite your mark in brackets like "
     "[DELIVERY 4].", "[DELIVERY 5]"),
    ("Rate the voice only, 1 to 7.\nPut it on the board as: RATING: n of 7", "RATING: 7 of 7"),
    ("Rate the answer only, as a percentage.\nFill in the one line below and send it back, nothing else.\nACCURACY: ___%",
     "ACCURACY: 75%"),
    ("Rate the answer only.\n100% = correct\n50% = close\n0% = nonsense\nEnter it as: Soundness: NN%", "Soundness: 75%"),
    ("Score the words only, 1 to 5. Answer on one line in the form FIT: n/5", "FIT: 4/5"),
    ("Score the whole thing together 1 to 7, the words matter most.\nput it as CREW SCORE n of 7", "CREW SCORE 6 of 7"),
])
def test_answer_forms_of_round_sixty_two(rubric, want):
    """Bug caught (held-out round 62: batch 135's ultrasound QA form and morning-suit hire, 136's pool service, truck-stop
    diner and tinsmith, 137's road marking and lineman): "[QA=n]" and "[DELIVERY 4]" (a key inside the brackets), "n of 7",
    a lone "ACCURACY: ___%" line under an order ending in a full stop, "NN%", "in the form FIT: n/5" (whose colon a cue
    took for its own) and "put it as CREW SCORE n of 7" (no colon) were no answer lines; "n of 7" named no scale."""
    asked = ("Typed question: what is 6 plus 7, say it quietly\nIt said:", ("um I think it is 13", "quietly"))
    assert _last_answer_line(*asked, rubric) == want


def test_compare_answers_of_round_sixty_two():
    """Bug caught (held-out round 62: batch 135's process server; others.json's b110, read before only through a broken
    template whose placeholder was "2 or BETTER"): "EXHIBIT A" / "or" / "EXHIBIT B" under a key of several words was a
    template whose placeholder was "A  or  DEPONENT"; "BETTER ANSWER - CASTLE 2 or BETTER ANSWER - CASTLE 4" (a dash for
    the key's colon) offered nothing."""
    assert judge_forms.answer_template("Please state it in the form:\nWE PREFER EXHIBIT A\nor\nWE PREFER EXHIBIT B") is None
    castles = ("Same card read to both: \"Spell jump backwards.\"\nCASTLE 2 box - transcript: jump backwards is pmuj",
               ("jump backwards is pmuj", ""), "CASTLE 4 box - transcript: jump backwards is pumj", ("jump backwards is pumj", ""),
               "Which box gave the more correct answer? Not the voice.\nWrite: BETTER ANSWER - CASTLE 2 or BETTER ANSWER - CASTLE 4")
    assert _last_answer_line(*castles) == "BETTER ANSWER - CASTLE 2"
    exhibits = ("1. I put the same question to each: what is 6 plus 7\n2. The first reply is produced as Exhibit A. Its printed "
                "transcript reads: um I think it is 13", ("um I think it is 13", ""), "3. The second reply is produced as Exhibit "
                "B. Its printed transcript reads: 6 plus 7 is 13", ("6 plus 7 is 13", ""), "4. Which is more correct? The voice "
                "is not to be considered.\n5. State it in the form:\nWE PREFER EXHIBIT A\nor\nWE PREFER EXHIBIT B")
    assert _last_answer_line(*exhibits) == "WE PREFER EXHIBIT B"


@pytest.mark.parametrize("rubric,axis", [
    ("This round I'm rating ONLY if what it says is correct for the question, I'm rating the voice another night.", "semantic"),
    ("Tell me only who gave the CORRECT answer. Their voice, sad or happy or whatever, I don't care about for this.",
     "semantic"),
    ("Pick the unit that did the better job ALL ROUND: first it must repeat the call back word for word; after that, it should "
     "sound clear.", "holistic"),
    ("What we check is HOW the helper speaks: the manner it was asked for, and is it clear. Whether the sum is right is "
     "checked by someone else - ignore it.", "acoustic"),
    ("Which intercom did better all round? Getting the words right counts most; sounding the way it was asked counts as well.",
     "holistic"),
    ("I want to know which one SOUNDS right. Whether the answer is correct does not enter into it.", "acoustic"),
    ("I am NOT asking which one got the spelling right. Just the voice: which one sounds better?", "acoustic"),
    ("I need the unit that gave the correct and complete answer.\nAnswer line: WEIGHBRIDGE VOICE = IN or WEIGHBRIDGE VOICE = "
     "OUT", "semantic"),
    ("Considering everything - whether the answer is correct, and whether it is spoken in the requested manner - which reply "
     "is better overall?", "holistic"),
    ("The most important thing is whether the reply does what the user asked, correctly; after that, consider how clearly "
     "and appropriately it is spoken.", "holistic"),
    ("I grade it only on whether the answer is correct - the voice I do not care about.", "semantic"),     # guard: the dash
    ("This card is ONLY about the voice: clear, and in the manner asked. What it says does not count.", "acoustic"),   # guard
])
def test_axis_of_round_sixty_two(rubric, axis):
    """Bug caught (held-out round 62: batch 134's kava bar and sponge divers, 135's line crew, 136's formicarium shop and hop
    kiln, 137's rummage sale, key kiosk and feed mill, plain batch 63's two overall pairs): "rating the voice another
    night", "I don't care about for this", "checked by someone else", "does not enter into it", "NOT asking which ...",
    an answer key "WEIGHBRIDGE VOICE = IN", "all round", "word for word", "sounding the way it was asked", "spoken in the
    requested manner" and "how clearly ... it is spoken" were misread. Guards: what "I do not care about" leaves out
    starts after a dash; "the voice:" before its description still names it."""
    assert judge_axis.rubric_axis(rubric) == axis


def test_readings_of_round_sixty_three():
    """Bug caught (held-out round 63, read after it: batch 140's pronunciation desk, 141's fish tank and gutter van, 140's
    permit log): "deliv. (n.) - how a thing is said: clarity, ..." introduced a reply that took the rubric; "Transcribed:
    "..."" after "Clip 2 is the helper's answer." was no heading, so the whole text became the reply; "DELIV. __/10" on a
    line of its own and "send me back the one line, like" over "RUNGS: 4" were no answer lines; "only partly right" read
    good. Guard: "How it sounds" over a list is still no input."""
    assert judge_inputs.introduced_kind("deliv. (n.) - how a thing is said:") is None
    assert judge_inputs.heading_kind("Transcribed") == ("reply", None)
    assert judge_inputs.heading_kind("How it sounds") is None                                   # guard
    asked = ("Clip 1 is a child asking a question:", ("what is 6 plus 7", ""), "Clip 2 is the helper's answer. Transcribed: "
             "\"um I think it is 13\"", ("um I think it is 13", ""))
    assert [t for t, _, _ in judge_request.parse_judge_request(_clips_body(*asked, "Rate it 1 to 5."))["replies"]] == \
        ["um I think it is 13"]
    assert _last_answer_line(*asked, "Score the answer only, 1-10. House format, one line, e.g. DELIV. 6/10\nDELIV. __/10") == \
        "DELIV. 8/10"
    assert _last_answer_line(*asked, "Mark it on the words only, 1 to 5.\njust send me back the one line, like\nRUNGS: 4\nta") \
        == "RUNGS: 4"
    assert judge_levels.defined_verdict("OPEN if the answer is right. SHUT if it is wrong or only partly right.\nLog it as one "
                                       "line: GATE: OPEN  or  GATE: SHUT") == ["SHUT", "OPEN"]


@pytest.mark.parametrize("rubric,axis", [
    ("Which board is better overall? The answer being right counts for most, the board saying it the way it was asked counts "
     "as well.", "holistic"),
    ("Judge the whole job: is the answer correct (that counts most), and did it say it as asked, slowly and clearly.",
     "holistic"),
    ("Ruling is on the ANSWER - which box got it right. Voice, speed, volume: not in the rules, mate.", "semantic"),
    ("Voice, speed, volume: that is what I rate. Whether it is right does not matter.", "acoustic"),      # guard
])
def test_axis_after_round_sixty_three(rubric, axis):
    """Bug caught (round 63, read after it was held out: batch 139's dwile flonking, gravy wrestling and pea shooting, 141's
    ploughing match): "saying it the way it was asked" and "did it say it as asked" were no delivery cue, so a rubric
    weighing both read as content only; "Voice, speed, volume: not in the rules" left nothing out. Guard: a list before a
    colon that is not followed by "not in the rules" stays."""
    assert judge_axis.rubric_axis(rubric) == axis


def test_answers_after_round_sixty_three():
    """Bug caught (round 63, read after it was held out: batch 138's candyfloss, 141's line dancing, 140's chargepoint): a
    listed answer with the writer's sign-off after it ("PICK: PINK or PICK: BLUE thanks x", "WINNER: DOLLY or WINNER:
    GARTH and that's me sorted") was no list, so the pick went out without its key; "Record: SoC: <number>%" was no answer
    line, so its "%" was lost. Guard: a second answer of several words written so elsewhere keeps them all."""
    rubric = "which voice is better? answer like PICK: PINK or PICK: BLUE thanks x"
    assert judge_choices.offered_list(rubric, rubric + "\nPINK said it. BLUE said it.") == ("PINK", "BLUE", None, "PICK: ")
    rubric = "Just put WINNER: DOLLY or WINNER: GARTH and that's me sorted."
    assert judge_choices.offered_list(rubric, rubric + "\nDOLLY said: GARTH said:") == ("DOLLY", "GARTH", None, "WINNER: ")
    rubric = "Tell me: RED BEAR or BLUE BEAR"
    assert judge_choices.offered_list(rubric, rubric + "\nRED BEAR said it. BLUE BEAR said it.") == \
        ("RED BEAR", "BLUE BEAR", None, "")                                                     # guard
    assert judge_forms.answer_template("[ ] Record: SoC: <number>%\n") == ("SoC: ", "<number>", "%")


def test_answer_forms_after_round_sixty_four():
    """Bug caught (round 64, read after it was held out: batch 142's rally card, 143's proof margin, soil index and
    freediving card, 144's cordwainer, almshouse, left-luggage office, knocker-up and glover, 145's sugarcraft bench and
    slide-rule society): a blank inside the box round its key ("[MARK: ____]", "[SCORE: N]") was no hole, so the value
    went out as "[N]"; "n" with its note after it ("TIERS: n   (n = 1 to 5)"), a code ("TK-<mark>"), a single blank
    over its denominator ("Pair mark: _/5") and a key with "%" ("DELIVERY %: ___") were no answer lines; five grades
    with bare words ("A excellent, B good, ...") were no grades; "..., it FITS." and a verdict defined in brackets after
    its key on the answer line were no verdicts; a ladder without its order named counted only where a level was shown
    in brackets, not listed on the answer line or left as "<word>", and levels sharing a last word ("WHITE card") kept
    it; "1 SLEPT THROUGH" without a mark after the number was no numbered rung. Guards below each."""
    assert judge_forms.answer_template("Write the mark in square brackets: [MARK: ____]") == ("[MARK: ", "____", "]")
    assert judge_forms.answer_template("Put it on one line like this and nothing else:\nRUNGS: n   (n = 1 to 5)") == \
        ("RUNGS: ", "n", "")
    assert judge_forms.answer_template("Issue the mark as a ticket code, exactly: TK-<mark> (e.g. TK-2).") == \
        ("TK-", "<mark>", "")
    assert judge_forms.answer_template("Answer with only the fraction.\nPair mark: _/5") == ("Pair mark: ", "_", "/5")
    assert judge_forms.answer_template("Card entry, one line only:\nDELIVERY %: ___") == ("DELIVERY %: ", "___", "")
    assert judge_forms.answer_template("Answer on one line:\n[SCORE: N]") == ("[SCORE: ", "N", "]")
    assert judge_forms.answer_template("Answer with only the fraction.\nPair mark: _") is None     # guard: one blank, no "/5"
    assert judge_levels.letter_grades("Grades as on our cards: A excellent, B good, C fair, D poor, E very poor.") == \
        ["E", "D", "C", "B", "A"]
    assert judge_levels.letter_grades("A good answer, B a poor one.") is None                              # guard: not five
    assert judge_levels.defined_verdict("If it is right and said as asked, it HOLDS. If it is wrong or off, it SLIPS.\n"
                                       "Write one word: HOLDS or SLIPS.") == ["SLIPS", "HOLDS"]
    assert judge_levels.defined_verdict("Minute it as one line:\nVERDICT: IN TUNE   (correct)  or  VERDICT: OUT OF TUNE   (not "
                                       "correct)") == ["OUT OF TUNE", "IN TUNE"]
    assert judge_levels.defined_verdict("If it is right, it HOLDS.\nWrite one word: HOLDS or SLIPS.") is None   # guard: one side
    cards = ("CONTENT ONLY - is the answer right?\n  GREEN flag = clean: the correct answer\n  AMBER flag = close but not "
             "correct\n  BLACK flag = clearly wrong, no answer")
    assert judge_levels.own_ladder(cards + "\n\nShow the flag, one line: FLAG: GREEN / AMBER / BLACK") == ["BLACK", "AMBER", "GREEN"]
    assert judge_levels.own_ladder(cards) is None                                        # guard: the answer's form names none
    index = "  SCANT - no figure at all, off-topic\n  FAIR - nearly right\n  RICH - right figure, stated plainly\n"
    assert judge_levels.own_ladder(index + "Margin note, one line: INDEX = <word>") == ["SCANT", "FAIR", "RICH"]
    assert judge_levels.own_ladder("worst first:\n1 FAST ASLEEP\n2 STIRRED\n3 UP AND ABOUT\n4 AT THE MILL GATE\n") == \
        ["FAST ASLEEP", "STIRRED", "UP AND ABOUT", "AT THE MILL GATE"]
    assert judge_levels.own_ladder("worst first:\n1 listen to the clip\n2 check the sum\n3 write the mark\n") is None   # guard


def test_inputs_after_round_sixty_four():
    """Bug caught (round 64, read after it was held out: batch 145's sugarcraft bench): "Put the mark on one line like this
    and nothing else:" read as a line given to the model (a question), so the answer's form was taken as an input and
    lost; "I'm marking it on WHAT IT SAYS:" read as a reply's heading, so the axis's words became the reply. Guards:
    "we put it this test line:" still gives the question, "Box says:" the reply."""
    assert judge_inputs.introduced_kind("Put the mark on one line like this and nothing else:") is None
    assert judge_inputs.introduced_kind("I'm marking it on WHAT IT SAYS:") is None
    assert judge_inputs.introduced_kind("we put it this test line:") == ("question", None)                 # guard
    assert judge_inputs.introduced_kind("Box says:") == ("reply", None)                                     # guard
    asked = ("I'm marking it on WHAT IT SAYS: is it right? How it sounds doesn't come into it.\nMark it 1 to 5.\n"
             "Apprentice asked it: \"How many letters in sugar?\"\nHelper said: \"the count is 5\"", ("the count is 5", ""))
    assert _last_answer_line(*asked, "Put the mark on one line like this and nothing else:\nMARK: n   (n = 1 to 5)") == "MARK: 5"


def test_answer_forms_after_round_sixty_five():
    """Bug caught (round 65, read after it was held out: batch 146's work order, 147's dice tower, 148's lamp room, aurora
    van, bodybuilding card, fell race and flashcards, 149's mortuary bench, street-lighting ticket and jeepney, plain
    batch 66's release gate): "ACCURACY (0-10): n", "SAVE: x.xx", "ACCURACY: nn%", "DLV=n", a placeholder of more than
    40 characters ("<one of DARK / ... / FULL BEAM>"), a key with an apostrophe ("Tonight's voice: <word>") and "Mark:
    CONDITION: <word>" were no answer lines; "Reply: Use: CP3  or  Use: CP5" read as a reply; "<verdict>PASS</verdict>
    or <verdict>FAIL</verdict>" was no verdict; "did not do what was asked" and "hard to make out" read neither good nor
    bad. Guards: "Reply: Use: ..." with one answer is still a reply; "a different way to what was asked" and "goes
    against what was asked" still read bad (they did once "what was asked" read good anywhere)."""
    assert judge_forms.answer_template("Complete field 4 in this exact form:\nACCURACY (0-10): n") == ("ACCURACY (0-10): ", "n", "")
    assert judge_forms.answer_template("Reply with one line, two decimals: SAVE: x.xx") == ("SAVE: ", "x.xx", "")
    assert judge_forms.answer_template("Complete the log with a single line:\nACCURACY: nn%") == ("ACCURACY: ", "nn", "%")
    assert judge_forms.answer_template("Enter as: DLV=n") == ("DLV=", "n", "")
    assert judge_forms.answer_template("Log it as a single line:\nLAMP: <one of DARK / FLICKERING / DIM / STEADY / FULL BEAM>") \
        == ("LAMP: ", "<one of DARK / FLICKERING / DIM / STEADY / FULL BEAM>", "")
    assert judge_forms.answer_template("give me one line: Tonight's voice: <word>") == ("Tonight's voice: ", "<word>", "")
    assert judge_forms.answer_template("Mark: CONDITION: <word>") == ("CONDITION: ", "<word>", "")
    assert judge_sections.split_sections("Which box goes out?\n\nReply: Use: CP3  or  Use: CP5")[0] == []
    assert judge_sections.split_sections("Which box goes out?\n\nReply: Use: the count is 6")[0] == \
        [("reply", None, "Use: the count is 6")]                                                # guard
    fmt = judge_rubric.answer_format("Rate it 1-5. 4 or 5 PASSES; 3 or below FAILS. Output the verdict inside tags: "
                                     "<verdict>PASS</verdict> or <verdict>FAIL</verdict>.")
    assert (fmt["style"], fmt["slots"], fmt["levels"]) == ("tag", [("verdict", None)], ["FAIL", "PASS"])
    # guard (review): each line's words are its own; a tag shown again alone on a later line is still the pair's answer
    assert judge_rubric.answer_tags("Answer <take>dawn</take> or <take>dusk</take>.\nFor example: <take>dawn</take>", "choice",
                                    True) == ["take"]
    assert judge_levels.defined_verdict("  RIDE = voice came out the way it was asked and clear\n  WALK = voice did not do what "
                                       "was asked, or hard to make out\nReply with one line: VERDICT: RIDE  or  VERDICT: WALK") \
        == ["WALK", "RIDE"]
    assert judge_levels.reads_as("it talked in a clearly different way to what was asked") == -1       # guard
    assert judge_levels.reads_as("Muffled, or the manner goes against what was asked") == -1           # guard


def test_readings_after_round_sixty_six():
    """Bug caught (round 66, read after it was held out: batch 150's anodising line, air-ambulance debrief, cash centre,
    porcelain studio, vaulting club and shingle yard, 151's polygraph worksheet, kabuki prompter and skating panel, 152's
    bugle band, 153's hammock stall and kin-ball clipboard): "Voice quality, speed etc. are irrelevant" ended its clause
    at "etc.", so the voice stayed judged; "Volume, tone, speed: NOT on this tag" and "Don't go by the voice" left nothing
    out; a system prompt over a user text of "Recording 2 is what the helper said back." and a ladder ("10 = ...") took
    the whole text for the reply's words; "Tell me which gave the better ANSWER: right, ..." introduced a reply; "isn't
    the right answer" read good; grades one a line ("A - right answer, ..."), "NDI (no deception indicated) = ...",
    "Verdict DISMISSED otherwise", "HILOS: n de 7", "VOICE /10: n", "Result: A / Result: B / Result: LEVEL" and "e.g.
    <<1>>" were no answer forms; "its reply: are they correct and complete? ... 1 to 5:" and "Please write only:" were
    taken into the answer line. Guards below."""
    assert "Voice" not in judge_axis._affirmed("Voice quality, speed etc. are irrelevant for this decision.")
    assert "voice" in judge_axis._affirmed("We judge the voice, speed etc. The words do not matter.")          # guard
    assert judge_axis.rubric_axis("RELEASE if the figure is correct.\n - Volume, tone, speed: NOT on this tag.") == "semantic"
    assert "voice" not in judge_axis._affirmed("Don't go by the voice, the presses are too loud to care about that.")
    asked = ("Item: trial intercom voice helper\n\nRecording 1 is the crew member asking. Recording 2 is what the helper said "
             "back.", ("what is 2 plus 2", ""), ("2 plus 2 is 4", "quietly"), "What I need scored: DELIVERY ONLY. Whether the "
             "answer is right is audited separately.\n\nScale 1-10:\n  10 = clean and as asked\n   1 = unintelligible\n\n"
             "Write it as:\nDELIVERY SCORE: n/10")
    body = _clips_body(*asked)
    body["messages"].insert(0, {"role": "system", "content": "You are helping complete a kit debrief. Answer only in the format "
                                                             "requested."})
    assert [t for t, _, _ in judge_request.parse_judge_request(body)["replies"]] == ["2 plus 2 is 4"]
    assert judge_sections.split_sections("Tell me which gave the better ANSWER: right and complete.")[0] == []
    assert judge_inputs.introduced_kind("Which one was better? Here is what the first box said:") == ("reply", None)   # guard
    assert judge_levels.defined_verdict("RELEASE = the figure is the right one.\nHOLD = wrong figure, or anything that isn't the "
                                       "right answer.\nTAG: RELEASE\nor\nTAG: HOLD") == ["HOLD", "RELEASE"]
    assert judge_levels.letter_grades("  A - right answer, spoken just as asked\n  B - one slip (a letter out) but spoken as asked\n"
                                     "  C - wrong answer\n  D - wrong answer, spoken wrong\n  E - no answer") == ["E", "D", "C", "B", "A"]
    assert judge_levels.letter_grades("  A - the first clip\n  B - the second clip\n  C - neither") is None     # guard: three
    assert judge_levels.defined_verdict("  CLR (cleared) = the answer given is the correct one.\n  HLD (held) = the answer is "
                                       "wrong.\nWrite: CALL: CLR   or   CALL: HLD") == ["HLD", "CLR"]
    assert judge_levels.defined_verdict("Verdict ON PARADE if the reply is good overall. Verdict DISMISSED otherwise.\nReport as: "
                                       "VERDICT: ON PARADE   or   VERDICT: DISMISSED") == ["DISMISSED", "ON PARADE"]
    assert judge_forms.answer_template("Answer me just like this: HILOS: n de 7") == ("HILOS: ", "n", " de 7")
    assert judge_forms.answer_template("Write: VOICE /10: n") == ("VOICE /10: ", "n", "")
    assert judge_forms.answer_options("Log the result on one line:\nResult: LUNGE 1 / Result: LUNGE 2 / Result: LEVEL") == \
        ("Result: ", ["LUNGE 1", "LUNGE 2", "LEVEL"])
    assert judge_forms.answer_options('One unit on each line: "Lunge 1" and "Lunge 2".') is None
    assert judge_forms.answer_options('Answer with "Take 1" or "Take 2".') == ("Take ", ["1", "2"])         # guard
    assert judge_forms.answer_template("Reply with the voice number inside double angle brackets, e.g. <<1>>") == ("<<", "1", ">>")
    claps = ("This is the line I gave to it:\n\nPlease judge only the WORDS of its reply: are they correct and complete? The "
             "voice is not important now. We count with claps, 1 to 5:\n  5 claps - every word correct\n  1 clap - nothing\n"
             "The reply of the box:\nPlease write only: CLAPS: n")
    assert judge_forms.answer_template(claps) == ("CLAPS: ", "n", "")
    assert judge_forms.answer_template("Please complete this line, writing 1 or 2 in the gap:\nBETTER: __") == \
        ("BETTER: ", "__", "")                                                                          # guard


def test_readings_after_round_sixty_seven():
    """Bug caught (round 67, read after it was held out: batch 154's nest-box round and poutine stand, 155's paver diary and
    grease trap, 156's tideway log and date grove, 157's souq stall, tipi hire and duck tour): "RATING: n   (0-10, whole
    number)", "Reply with: SOUND: n/10", "Fill the box: PEGS IN: n/10" and "Complete the field - RATING: n" were no answer
    lines; a ladder "from the poorest to the finest" had no order, one with "one word from the ladder" was not asked for,
    and a ladder named worst first took the next line ("Report line: Rating: <word>") for a sixth rung, so every level
    shifted; "the voice is for the next kit review" and "How it sounded - fast, slow, loud, soft - doesn't come into this
    check" left nothing out; "I test the VOICE only" did not narrow the judging. Guards below."""
    assert judge_forms.answer_template("Complete the field - RATING: n   (0-10, whole number, nothing else)") == ("RATING: ", "n", "")
    assert judge_forms.answer_template("Reply with: SOUND: n/10") == ("SOUND: ", "n", "/10")
    assert judge_forms.answer_template("Fill the box: PEGS IN: n/10") == ("PEGS IN: ", "n", "/10")
    assert judge_levels.own_ladder("Our grades, from the poorest to the finest:\n  1. DUST - no answer\n  2. SHAABI - wrong\n"
                                  "  3. SILVER - right\n") == ["DUST", "SHAABI", "SILVER"]
    assert judge_levels.own_ladder("Our grades, from the finest to the poorest:\n  1. SILVER - right\n  2. SHAABI - wrong\n"
                                  "  3. DUST - no answer\n") == ["DUST", "SHAABI", "SILVER"]                  # (the reverse)
    flow = "  BLOCKED - rubbish, nothing to do with it\n  PARTIAL - near miss\n  CLEAR - right answer, said straight\n\n"
    assert judge_levels.own_ladder(flow + "FLOW: ______   (fill with one word from the ladder)") == ["BLOCKED", "PARTIAL", "CLEAR"]
    assert judge_levels.own_ladder(flow + "FLOW: ______") is None                                   # guard: no word asked for
    assert judge_levels.own_ladder("Ratings, worst first:\n  SUNK - nothing usable\n  AFLOAT - wrong, said nicely\n  CRUISING - "
                                  "right\nReport line: Rating: <word>") == ["SUNK", "AFLOAT", "CRUISING"]
    assert judge_axis.rubric_axis("How I mark it: is the ANSWER right. The voice is for the next kit review.") == "semantic"
    assert judge_axis.rubric_axis("Is the figure right? How it sounded - fast, slow, loud, soft - doesn't come into this "
                                  "check.") == "semantic"
    assert judge_axis.rubric_axis("Is the figure right? How it sounded - fast, slow, loud, soft - counts too.") == "holistic"  # guard
    assert judge_axis.rubric_axis("It must speak the way it is told. Here I test the VOICE only.\n 3 = clear, but the volume "
                                  "is wrong for what was asked") == "acoustic"


def test_readings_after_round_sixty_eight():
    """Bug caught (round 68, read after it was held out: batch 158's quarry blast log, pie ribbon and paprika card, 159's
    rubber-stamp ticket and window-tint card, 160's hatchery bench, gunsmith, auto electrician, 161's conveyancing
    checklist, crop-circle ladder and cat cafe): verdicts of the writer's own words were answered as numbers where a
    heading also read one way ("RESULT - tick ONE, ... the right answer"; "... (helper sign-off)", whose "off" read bad),
    where they were offered in brackets ("[STAMP: APPROVED]  or  [STAMP: REJECTED]"), defined with a gloss after them
    ("... = COCKEREL (off the line)."), defined by a colon in a list over a blank line ("- EXCHANGE: the figure is
    correct ...", "Status: ________"), or defined good with a concession ("acceptable even if not perfect" read both);
    words numbered a line under "RIBBON: <colour>", marks listed in the placeholder ("VLT: <one of 5, 20, 35, 50, 70>%"),
    ladders of percentages ("100% = ...", "100  fully red   - ...") and an example's line ("e.g. PURR: 0.25") were no
    answer forms; "Read the reply like a battery gauge, how well it SOUNDED - ...:" introduced a reply (the ladder under
    it taken for the reply's words). Guards below."""
    shot = ("RESULT - tick ONE, based ONLY on whether the reply gives the right answer:\n  CLEAR   = it gives the correct answer\n"
            "  MISFIRE = wrong answer, no answer\n\nFill in the line exactly as:  SHOT RESULT: CLEAR   or   SHOT RESULT: MISFIRE")
    assert judge_levels.defined_verdict(shot) == ["MISFIRE", "CLEAR"]
    fmt = judge_rubric.answer_format(shot)
    assert (fmt["style"], fmt["template"], fmt["levels"]) == ("template", ("SHOT RESULT: ", "", ""), ["MISFIRE", "CLEAR"])
    # guard: a third word defined as the pair is (a ladder of three), even where only two are offered
    assert judge_levels.defined_verdict("GOLD = right answer. SILVER = right but hedged. LEAD = wrong answer. Write GOLD or "
                                       "LEAD.") is None
    stamp = judge_rubric.answer_format("APPROVED = right and complete\nREJECTED = wrong, unfinished, or no answer\nStamp the "
                                       "ticket with exactly one of: [STAMP: APPROVED]  or  [STAMP: REJECTED]")
    assert (stamp["template"], stamp["levels"]) == (("[STAMP: ", "", "]"), ["REJECTED", "APPROVED"])
    assert judge_levels.defined_verdict("Call it on the ANSWER ONLY. Right number, clearly given = PULLET (keeper). Wrong "
                                       "number, half an answer, waffle = COCKEREL (off the line). Write the tray card, one "
                                       "line:\nTray card: PULLET\nor\nTray card: COCKEREL") == ["COCKEREL", "PULLET"]
    checklist = ("COMPLETION-DAY CHECKLIST - item 14 (dictation helper sign-off)\nOnly the substance counts.\n- EXCHANGE: the "
                 "figure is correct and complete\n- HOLD: the figure is wrong, missing or incomplete\n\nComplete the line below "
                 "and nothing else:\nStatus: ________")
    assert judge_levels.defined_verdict(checklist) == ["HOLD", "EXCHANGE"]
    assert judge_levels.reads_as("dictation helper sign-off") == 0
    assert judge_levels.reads_as("the figure is wrong, it is off") == -1                          # guard
    assert judge_levels.defined_verdict(checklist.replace("________", "<n>/5")) is None            # guard: a number asked for
    assert judge_levels.reads_as("good overall: right answer, and the delivery is acceptable even if not perfect.") == 1
    assert judge_levels.reads_as("right answer, but the delivery is not perfect") == 0             # guard: a flaw, not a concession
    ribbon = ("Score both 1 to 5 in your head and hand out the ribbon:\n  1 = NONE (no ribbon)\n  2 = WHITE\n  3 = RED\n  4 = BLUE\n"
              "  5 = PURPLE (grand champion)\nWrite the ribbon on the card as:  RIBBON: <colour>")
    assert judge_rubric.answer_format(ribbon)["levels"] == ["NONE", "WHITE", "RED", "BLUE", "PURPLE"]
    assert "levels" not in judge_rubric.answer_format(ribbon.replace("<colour>", "<number>"))      # guard: a number asked for
    tint = ("Rate the VOICE only.\n  70% - crystal clear, said exactly the way it was asked\n  50% - clear, but the pace isn't what "
            "was asked\n  35% - clear-ish, wrong volume\n  20% - hard to follow\n   5% - limo black, can't make it out\n"
            "Write: VLT: <one of 5, 20, 35, 50, 70>%")
    assert judge_rubric.answer_format(tint)["levels"] == ["5", "20", "35", "50", "70"]
    slow = judge_request.parse_judge_request(_clips_body("Customer asked: What is 9 times 4? Say it quickly.\nIt answered:",
                                                         ("9 times 4 is 36", "slowly"), tint))        # delivery 4 of 5
    assert judge.ToyJudge().answer(slow).strip().splitlines()[-1] == "VLT: 50%"
    assert judge_scale.named_scale("  100  fully red   - the right answer\n   75  nearly red  - hesitates\n   50  orange  - close"
                                    "\n   25  green  - wrong\n    0  rotten  - nothing\nPIROS: <mark>") == (0, 100)
    assert judge_scale.named_scale("100% = exactly the manner asked\n75% = slightly off\n50% = wrong manner\n25% = hard to "
                                    "listen to\n0% = dead\nReply with one line: SOC: <number>") == (0, 100)
    assert judge_scale.named_scale("Steps:\n  1  Listen to the clip\n  2  Check the sum\n  3  Write the mark") is None   # guard
    purr = judge_rubric.answer_format("  1.00  clear, exactly in the manner asked\n  0.50  clear, but the wrong manner\n  0.00  "
                                      "silent or garbled\nAnswer on one line, e.g. PURR: 0.25\n\nToday's test\nSpeaker said:")
    assert (purr["style"], purr["slots"], purr["scale"]) == ("line", [("PURR", None)], (0, 1))
    crop = judge_rubric.answer_format("My grading ladder, worst to best:\n  Hoax      - gibberish\n  Trampled  - a wrong answer\n"
                                      "  Wonky     - nearly right\n  Textbook  - the right answer, said plainly\n\nReply with one "
                                      "tag and nothing else, like: [FORMATION: Wonky]")
    assert (crop["style"], crop["template"]) == ("template", ("[FORMATION: ", "", "]"))
    assert judge_inputs.introduced_kind("Read the reply like a battery state-of-charge, how well it SOUNDED - did it speak in "
                                        "the manner asked, clearly:") is None
    assert judge_inputs.introduced_kind("Read the reply the box gave:") == ("reply", None)          # guard


def test_readings_after_round_sixty_nine():
    """Bug caught (round 69, read after it was held out: batch 162's plate docket, anaesthetic room and crate labeller, 163's kora school,
    oboe reed bench, spiritualist church and goal umpire, 164's trug maker, park keeper and mistletoe auction, 165's dojang,
    footy signal, foosball tables and pani puri cart, 159's aid station, plain batch 70's grade list and seven-point delivery): "as GRADE: followed by the word",
    a level of four words in capitals ("OUT ON THE FULL"), a level with a note ("GOAL (two flags)   - right answer") under
    "SIGNAL: GOAL  /  SIGNAL: BEHIND  /  ...", levels numbered without a sign ("1 GATES LOCKED - ...") under "ENTRY: <the
    words>", a ladder under "Belt awarded: <colour>" whose meanings name "a number", "unacceptable" as a ladder's bottom,
    "written as  Mark: n/10", "a single line,  Mark = <value>" and "OVERALL [n/10]" were no answer forms, and "Till helper's
    answer (..., recording only):" was taken for an order to answer; "mark its answers like a lot ..., in our usual
    steps:" introduced a reply (its ladder and "Mark the CONTENT only" taken for the reply's words); "Don't bother about
    how it sounds", "Please do not weigh the voice itself" and "...: not my department" left nothing out, and "How well is
    the reply spoken", "it talks how customer asked", "the mood I asked for", "speaking the way the visitor asked", "The
    right figure", "a right and complete answer" and "said back what i said" named no side; a JSON
    pick asked by the clips' own names ('{"stronger_bib": "<bib number>"}' over "Box on bib 212's tracker said:", '{"table":
    3}' over "Table 3 unit (...):") was answered "A" or "B". Guards below."""
    kora = ("His five grades, from worst to best:\n  TUNING    - nonsense\n  PRACTISE  - wrong words, manner not as asked\n"
            "  LEARNING  - wrong words, manner as asked\n  PLAYING   - right words, manner not as asked\n  JALI      - right words, "
            "in the manner asked\n\nAnswer with the grade only, on one line, as GRADE: followed by the word in capitals.")
    fmt = judge_rubric.answer_format(kora)
    assert (fmt["style"], fmt["slots"], fmt["levels"][-1]) == ("line", [("GRADE", None)], "JALI")
    assert judge_levels.own_ladder("Signals, worst to best:\nSPRAY           - garbled or nothing\nOUT ON THE FULL - hard to make "
                                  "out\nBEHIND          - clear, but in the wrong manner\nGOAL            - clear and as asked\n") \
        == ["SPRAY", "OUT ON THE FULL", "BEHIND", "GOAL"]
    afl = ("Signals:\n  GOAL (two flags)   - right answer\n  BEHIND (one flag)  - close but not right: off by one\n  OUT OF BOUNDS "
           "     - way off, cut off before any answer\n\nGive me the signal on one line:  SIGNAL: GOAL  /  SIGNAL: BEHIND  /  "
           "SIGNAL: OUT OF BOUNDS")
    fmt = judge_rubric.answer_format(afl)
    assert (fmt["levels"], fmt["template"]) == (["OUT OF BOUNDS", "BEHIND", "GOAL"], ("SIGNAL: ", "", ""))
    park = ("Enter the post in the book on our five-step scale, worst first. The right answer counts for most.\n\n1 GATES LOCKED - "
            "nothing of any use\n2 BYLAW NOTICE - wrong answer and badly said too\n3 WORD IN THE EAR - wrong answer, though said "
            "properly\n4 WELL KEPT - right answer, with a fault\n5 BEST IN PARK - right answer, said just as asked\n\nOne line, "
            "exactly:\nENTRY: <the words>")
    assert judge_rubric.answer_format(park)["levels"] == ["GATES LOCKED", "BYLAW NOTICE", "WORD IN THE EAR", "WELL KEPT", "BEST IN PARK"]
    belt = ("Belt ladder, lowest to highest:\n  White  - nonsense, or no answer at all\n  Yellow - wrong answer\n  Green  - nearly "
            "right: a letter out of place, or a number off by one\n  Blue   - right answer, but hesitant\n  Black  - right answer, "
            "said cleanly\n\nWrite exactly one line and nothing else: Belt awarded: <colour>")
    assert judge_rubric.answer_format(belt)["levels"] == ["White", "Yellow", "Green", "Blue", "Black"]
    assert judge_rubric.answer_format(belt.replace("<colour>", "<number>"))["scale"] == (1, 5)          # guard: a number asked for
    assert judge_levels.answer_words("Use exactly one of these grades:\n- excellent: right\n- good: one flaw\n- fair: wrong but "
                                    "clear\n- poor: wrong and off\n- unacceptable: no real attempt\nFinish with \"Overall grade: "
                                    "<grade>\".") == ["unacceptable", "poor", "fair", "good", "excellent"]
    assert judge_forms.answer_template("Till helper's answer (no print-out, recording only):\n--\nMark the ANSWER ONLY: is what it "
                                       "said correct? The voice, speed or mood of it don't matter.\nWrite one line in the docket "
                                       "box, no spaces needed:\nSEMANTIC=<1-7>") == ("SEMANTIC=", "<1-7>", "")
    assert judge_forms.answer_template("Reply with just the mark, written as  Mark: n/10") == ("Mark: ", "n", "/10")
    assert judge_forms.answer_template("Please reply with a single line,  Mark = <value>  and nothing else.") == ("Mark = ", "<value>", "")
    assert judge_forms.answer_template("Format exactly: OVERALL [n/10]") == ("OVERALL [", "n", "/10]")
    assert judge_inputs.introduced_kind("Between lots I try it out and mark its answers like a lot against a full price, in our "
                                        "usual steps:") is None
    assert judge_inputs.introduced_kind("The box gave its answer:") == ("reply", None)                  # guard
    assert judge_axis.rubric_axis("What I want to know is whether what it SAYS is right. Don't bother about how it sounds, it's "
                                  "a dusty old speaker.") == "semantic"
    assert judge_axis.rubric_axis("Don't bother about the sum, I want to know how it sounds.") == "acoustic"        # guard
    assert judge_axis.rubric_axis("What matters is whether the unit gives the RIGHT answer. Please do not weigh the voice itself "
                                  "(speed, loudness, warmth).") == "semantic"
    assert judge_axis.rubric_axis("A call on AUDIO - which unit sounds clear and talks in the manner the op asked for. Whether "
                                  "the answer content is right or wrong: not my department tonight.") == "acoustic"
    assert judge_axis.rubric_axis("How well is the reply spoken, given how the user asked for it to be spoken? Ignore whether "
                                  "the words are right.") == "acoustic"
    assert judge_axis.rubric_axis("Is it the right answer? And does it talk how customer asked?") == "holistic"
    assert judge_axis.rubric_axis("5 puri = right answer, said exactly how asked\n1 puri = nothing useful") == "holistic"
    assert judge_axis.rubric_axis("It must be speaking the way the visitor asked. The words do not matter.") == "acoustic"
    assert judge_axis.rubric_axis("Which guide did better? A right and complete answer is all I want.") == "semantic"
    assert judge_axis.rubric_axis("Which one is better? The right figure comes first with me.") == "semantic"
    assert judge_axis.rubric_axis("Which one? Did it give the right answer, and did it say it in the mood I asked for?") == "holistic"
    assert judge_axis.rubric_axis("Which one did the better job? The right answer first of all, and the manner the guest asked "
                                  "for as well.") == "holistic"
    assert judge_axis.rubric_axis("the voice is fine; whether it actually said back what i said is all i care about") == "semantic"
    # (a review of the re-measure: "the right number" names the content now, so the clause that leaves it out must go whole)
    assert judge_axis.rubric_axis("Verdict is on the VOICE only, the way it came out. Whether it picked the right number is NOT "
                                  "what we're logging here.") == "acoustic"
    bibs = ["02:15  Box on bib 212's tracker said: 7 times 8 is 56", "02:16  Box on bib 87's tracker said: 7 times 8 is 54"]
    assert judge_choices.json_pick_labels('Reply with JSON only, in this shape: {"stronger_bib": "<bib number>"}', "stronger_bib",
                                          bibs) == ["212", "87"]
    tables = ["Table 3 unit (transcript: the smaller is 33):", "Table 4 unit (transcript: the smaller is 38):"]
    assert judge_choices.json_pick_labels('Output one JSON object, e.g. {"table": 3}', "table", tables) == ["3", "4"]
    assert judge_choices.json_pick_labels('Output one JSON object, e.g. {"table": "A"}', "table", tables) is None     # guard
    picked = judge_request.parse_judge_request(_clips_body(
        "Judge ONLY how each one spoke: clearly, and in the manner asked. Output one JSON object and nothing else, e.g. "
        '{"table": 3}\nQuestion called out at both tables: Which is smaller, 33 or 38? Say it slowly.\n\nTable 3 unit '
        "(transcript: the smaller is 33):", ("the smaller is 33", "quietly"), "Table 4 unit (transcript: the smaller is 38):",
        ("the smaller is 38", "slowly")))
    assert json.loads(judge.ToyJudge().answer(picked))["table"] == "4"


def test_readings_after_round_seventy():
    """Bug caught (round 70, read after it was held out: batch 166's frog jump card and cowpat slip, 167's chinchilla
    shed, 168's bed race and egg-throwing card, 169's Quaker minute and Santa sleigh): "JUMP: ___ ft", "SCORE: N pats"
    and "Cheer rating: n%" under "Tick-box line:" lost what closes the value; a verdict defined "right or only slightly
    off" read neither good nor bad, "If the box gets the right answer -- even if it ums and ahs first -- that's a GREEN
    flag" read the concession, and "... is a RED flag.", "the minute reads ACCEPTED; if it falls short, HELD OVER" and
    "'Minute: ACCEPTED' or 'Minute: HELD OVER'" defined or offered nothing; "Catch goes to: YELLOW  (or)  Catch goes to:
    WHITE" offered no answers. Guards below."""
    assert judge_forms.answer_template("Fill in the line and nothing else:\nJUMP: ___ ft") == ("JUMP: ", "___", " ft")
    assert judge_forms.answer_template("Fill in the line and nothing else:\nJUMP: ___ please") == ("JUMP: ", "___", "")  # guard
    assert judge_forms.answer_template("Tick-box line:\nCheer rating: n%") == ("Cheer rating: ", "n", "%")
    fmt = judge_rubric.answer_format("Score the WHOLE answer in pats, 1-5.\n 5 pats - right answer, delivered as asked\n 1 pat  "
                                     "- nonsense\nEnter: SCORE: N pats")
    assert (fmt["style"], fmt["template"]) == ("template", ("SCORE: ", "N", " pats"))
    assert judge_levels.defined_verdict("PASS = clear, and the manner is right or only slightly off.\nRETUNE = the manner is "
                                       "plainly wrong or it is hard to make out.\nAnswer with one line: SHED CHECK: PASS or "
                                       "SHED CHECK: RETUNE") == ["RETUNE", "PASS"]
    assert judge_levels.reads_as("the manner is off") == -1                                        # guard: a flaw, not a slip
    assert judge_levels.defined_verdict("If the box gets the right answer -- even if it ums and ahs first -- that's a GREEN "
                                       "flag. A wrong number, a half answer or a load of nonsense is a RED flag.\nMarshal's "
                                       "flag: GREEN\nor\nMarshal's flag: RED") == ["RED", "GREEN"]
    assert judge_levels.defined_verdict("If the delivery is good or better, the minute reads ACCEPTED; if it falls short, HELD "
                                       "OVER. Write exactly one line: 'Minute: ACCEPTED' or 'Minute: HELD OVER'.") \
        == ["HELD OVER", "ACCEPTED"]
    assert judge_forms.answer_options("Record one line:\nCatch goes to: YELLOW  (or)  Catch goes to: WHITE") \
        == ("Catch goes to: ", ["YELLOW", "WHITE"])


def test_readings_after_round_seventy_eight():
    """Bug caught (round 78, held out at ba4e6a3: batch 198's gallery quire, 199's idli batter and postie, 200's charro
    arena, 201's stitching circle and highlife band): a tag holding a placeholder word ("<gallery>WORD</gallery>") was
    no tag, so the level replaced the closing tag; letter grades listed worst first, one a line ("E - cannot be
    understood" ... "A - clear, and in the manner asked"), or as the letters a mark turns into ("5 = A, 4 = B, ...")
    were no grades, so the judge wrote a number; a verdict's word with a note in brackets before its dash ("HARD (bad)
    - ...") or after the answer line's key ("STATUS: RTS (return to sender) - ...") was not defined, and two such lines
    neither offered the pair nor gave the key; a verdict whose good word also names the slip it allows ("... or clear
    with only the asked manner missing") read neither way, so no verdict was read. Guards below each."""
    fmt = judge_rubric.answer_format("Our words, worst to best:\n  DULL - no words\n  FLAT - hard to follow\n  TRUE - clear\n"
                                     "Write your word between the tags, thus:  <bell>WORD</bell>")
    assert (fmt["style"], fmt["slots"], fmt["levels"]) == ("tag", [("bell", None)], ["DULL", "FLAT", "TRUE"])
    assert judge_rubric.answer_tags("Please be <b>careful</b> with the sums.", "score", False) == []       # guard: a word
    worst_first = "  E - cannot be understood\n  D - mumbled\n  C - clear, another manner\n  B - clear, plain\n  A - as asked\n"
    assert judge_levels.letter_grades(worst_first + "Answer: MARK: <letter>") == ["E", "D", "C", "B", "A"]
    assert judge_levels.letter_grades(worst_first.replace("  C -", "  X -")) is None                     # guard: not a run
    assert judge_levels.letter_grades("Round the mark, then: 5 = A, 4 = B, 3 = C, 2 = D, 1 = E.") == ["E", "D", "C", "B", "A"]
    assert judge_levels.letter_grades("Ranks: 1 = A, 2 = B, 3 = C, 4 = D, 5 = E.") is None      # guard: the lowest mark is A
    postie = ("STATUS: SENT - the answer is correct and complete.\nSTATUS: RTS (return to sender) - the answer is wrong or "
              "nonsense.\nReply with the status line only.")
    assert judge_levels.defined_verdict(postie) == ["RTS", "SENT"]
    fmt = judge_rubric.answer_format(postie)
    assert (fmt["style"], fmt["template"], fmt["levels"]) == ("template", ("STATUS: ", "", ""), ["RTS", "SENT"])
    assert judge_rubric.line_key(postie.replace("STATUS: RTS", "STATE: RTS"), ["RTS", "SENT"]) is None   # guard: two keys
    assert judge_levels.defined_verdict("SOFT (good) - it spoke in the manner asked, clear\nHARD (bad) - it spoke in a different "
                                       "manner than asked\nWrite one line:  BATTER: SOFT   or   BATTER: HARD") == ["HARD", "SOFT"]
    band = ("SWEET = clear, and spoken in the manner asked (or a clear ordinary voice with only the asked manner missing)\n"
            "SOUR = plainly a different manner than asked, or hard to follow\nSend back one line:  BAND: SWEET   or   BAND: SOUR")
    assert judge_levels.defined_verdict(band) == ["SOUR", "SWEET"]
    assert judge_levels.defined_verdict(band.replace("SOUR = plainly", "SOUR = clear, but plainly")) is None   # guard: both mixed


def test_a_mark_turned_into_the_answers_numbers_is_written_as_that_number():
    """Bug caught (rounds 78 and 79: batch 198's bertsolari points, 200's kantele lesson and buffalo race, 201's baobab
    shed, 202's balut vendor and pepper mat): "round to whole, then 1 -> 0, 2 -> 3, 3 -> 5, 4 -> 8, 5 -> 10" names the
    answer's numbers, but the reader kept the scale it named first (1-5, or 1-10 from "n/10") and wrote 3 for a 3;
    written highest first ("5 -> 10, 4 -> 8, ...") or in quarters ("2 -> 0.25") it was read no better. The levels are
    the numbers themselves, so a JSON answer holds 0.75, not "0.75". Guards: numbers that fall as the mark rises, or
    marks with a gap, are no conversion."""
    assert judge_scale.converted_marks("Round it, then: 1 -> 0, 2 -> 3, 3 -> 5, 4 -> 8, 5 -> 10.") == [0, 3, 5, 8, 10]
    assert judge_scale.converted_marks("then points: 5 -> 10, 4 -> 8, 3 -> 6, 2 -> 3, 1 -> 1.") == [1, 3, 6, 8, 10]
    assert judge_scale.converted_marks("Track score: 1 -> 0, 2 -> 0.25, 3 -> 0.5, 4 -> 0.75, 5 -> 1.") == [0, 0.25, 0.5, 0.75, 1]
    assert judge_scale.converted_marks("1 -> 10, 2 -> 8, 3 -> 5, 4 -> 3, 5 -> 0") is None           # guard: falling
    assert judge_scale.converted_marks("2 -> 3, 4 -> 8, 5 -> 10") is None                            # guard: a gap
    fmt = judge_rubric.answer_format("Mark 1-5, then 1 -> 0, 2 -> 0.25, 3 -> 0.5, 4 -> 0.75, 5 -> 1.\n"
                                     'Output ONLY a JSON object: {"track_score": <number>}')
    assert (fmt["style"], fmt["scale"], fmt["levels"]) == ("json", (0, 1), [0, 0.25, 0.5, 0.75, 1])
    assert json.loads(judge_rubric.render("json", "why", [("track_score", judge_scale.rescale(4, fmt["scale"], fmt["levels"]))]))[
        "track_score"] == 0.75
    fmt = judge_rubric.answer_format("Words 1-5, voice 1-5, together rounded; then 5 -> 10, 4 -> 9, 3 -> 5, 2 -> 2, 1 -> 0.\n"
                                     "Write only:  POINTS: n")
    assert (fmt["scale"], judge_scale.rescale(4, fmt["scale"], fmt["levels"])) == ((0, 10), 9)   # the table's 9, not a line's 8


def test_readings_after_round_seventy_nine():
    """Bug caught (round 79, held out at ba4e6a3 and at the round 78 fixes: batch 202's rope bridge and balut vendor, 204's
    cart painter and lace stand, 205's zurkhaneh, mosque mason and TT marshal, plain batches 79 and 80; and round
    78's kathakali, bunraku and bertsolari): a ladder "4 knots - correct" ... "0 knots - nonsense" named no scale,
    nor did " 0 - nonsense" under "n/10" start it at 0; a row of a scale's anchors ("ANSWER 1-5: 5 correct / 4
    unsure / 3 ...", or in a parenthesis "(5 all correct, 4 correct but unsure, 3 ...)"), a weighted sum ("Together
    = 0.7 x ANSWER") and a likeness ("like I judge the rhythm of the men - not if the number is right or wrong")
    were read as the answer's line; "Please give one number for the whole reply, ...:" introduced the reply, so the
    scale under it was read as its transcript; "APROBADO if PIECE is 3.5 or more, RECHAZADO if less" was cut at the
    decimal point and defined nothing; "against what was asked" read neither good nor bad; "RANGI: <colour word>"
    was no hole for a ladder's word; "Reference points: 100 = right ..." was read as the reference answer; "Better
    response: Response 1" lost its "Response"; 'by writing the line "Accuracy (1-5): n"' was no line; "The voice -
    happy, sad, loud, soft - you do not count at all" left the voice in (batch 205's chechia shop, which stays
    misread: with the voice out, nothing left names the content). Guards below each."""
    knots = ("  4 knots - the answer is correct\n  3 knots - correct, but unsure\n  2 knots - a small slip\n"
             "  1 knot  - wrong answer\n  0 knots - nonsense\n\nSay only:  QHIPU: n knots")
    assert judge_scale.named_scale(knots) == (0, 4)
    assert judge_scale.named_scale("1 first - listen\n2 then - compare\n3 last - write it down") is None     # guard: steps
    voto = "  10 - right, as asked\n   8 - one flaw\n   5 - nearly right\n   3 - wrong\n{}Reply:  VOTO: n/10"
    assert judge_scale.named_scale(voto.format("   0 - nonsense\n")) == (0, 10)
    assert judge_scale.named_scale(voto.format("")) == (1, 10)                                   # guard: no 0 anchor
    assert judge_forms.answer_template("Mark it like this:\n  ANSWER 1-5: 5 correct and complete / 4 correct but unsure / 3 "
                                       "almost / 2 wrong / 1 nonsense\n  Together = 0.7 x ANSWER + 0.3 x VOICE\n\n"
                                       "Write only:  MARK: n/7") == ("MARK: ", "n", "/7")
    assert judge_forms.answer_template("reply like this pls: PAWS: 8/10  xx") == ("PAWS: ", "8", "/10")   # guard: kisses, no sum
    assert judge_forms.answer_template("Work it like this: words mark 1-5 (5 all correct, 4 correct but unsure, 3 one word "
                                       "wrong or missing, 2 wrong, 1 nonsense).\nWrite only:  POINTS: n") == ("POINTS: ", "n", "")
    assert judge_forms.answer_template("Score it like this: Score (1 = bad, 5 = good): <N>") == \
        ("Score (1 = bad, 5 = good): ", "<N>", "")                                     # guard: two anchors are a key's note
    assert judge_forms.answer_template("I judge the voice, like I judge the rhythm of the men - not if the number is right or "
                                       "wrong.\nAnswer one line:  ZANG: n") == ("ZANG: ", "n", "")
    assert judge_forms.answer_template('Fill in the form by writing the line "Accuracy (1-5): n" and nothing else.') == \
        ("Accuracy (1-5): ", "n", "")
    assert judge_forms.answer_template('The voice is "clear (1-5): n" at best.') is None          # guard: not a line to write
    assert judge_inputs.introduced_kind("Please give one number for the whole reply, the words and the manner of speaking "
                                        "together:") is None
    assert judge_inputs.introduced_kind("And the helper gave this reply:") == ("reply", None)                   # guard
    assert judge_levels.defined_verdict("PIECE = 0.7 x ANSWER + 0.3 x VOICE.  APROBADO if PIECE is 3.5 or more, RECHAZADO if "
                                       "less.\n\nOne line back:  ENCAJE: APROBADO   or   ENCAJE: RECHAZADO") == ["RECHAZADO", "APROBADO"]
    assert judge_levels.defined_verdict("RECHAZADO if PIECE is 3.5 or more, APROBADO if less.\nOne line back:  ENCAJE: APROBADO"
                                       "   or   ENCAJE: RECHAZADO") == ["APROBADO", "RECHAZADO"]         # guard: the condition reads
    assert judge_levels.defined_verdict("   GREEN = clear, and said in the manner asked\n   RED   = said in a manner against what "
                                       "was asked (soft when loud was asked...), or hard to make out\n\nLog it with one line:  "
                                       "FLAG: GREEN   or   FLAG: RED") == ["RED", "GREEN"]
    colours = ("  KIJIVU (grey)    - nonsense, nothing to do with the question\n  KAHAWIA (brown)  - wrong answer\n  BLUU (blue)"
               "      - almost: a small slip\n  KIJANI (green)   - correct, but unsure\n  DHAHABU (gold)   - correct and complete\n\n")
    assert judge_levels.own_ladder(colours + "Write:  RANGI: <colour word>") == ["KIJIVU", "KAHAWIA", "BLUU", "KIJANI", "DHAHABU"]
    assert judge_levels.own_ladder(colours + "Write:  RANGI: <colour number>") is None          # guard: a number asked for
    assert judge_inputs.heading_kind("Reference points") is None
    assert "voice" not in judge_axis._affirmed("Judge the ANSWER. The voice - happy, sad, loud, soft - you do not count at all.")
    assert "answer must be right" in judge_axis._affirmed("The answer must be right - the voice I do not care about.")  # guard
    assert judge_inputs.heading_kind("Reference answer") == ("reference", None)                                  # guard
    pair = judge_request.parse_judge_request(_clips_body(
        "Question: Which is smaller, 64 or 46?\n\nResponse 1 (audio):", ("the smaller is 64", ""), "Response 2 (audio):",
        ("the smaller is 46", ""), 'Which response gives the correct answer? Conclude with "Better response: Response 1" or '
        '"Better response: Response 2".'))
    assert judge.ToyJudge().answer(pair).splitlines()[-1] == "Better response: Response 2"
    ticket = judge_request.parse_judge_request(_clips_body(
        "Question: Which is smaller, 64 or 46?\n\nTicket 047:", ("the smaller is 64", ""), "Ticket 048:", ("the smaller is 46", ""),
        "Which one is right? Reply with one line: NOW CALLING: <ticket number>"))
    assert judge.ToyJudge().answer(ticket).splitlines()[-1] == "NOW CALLING: 048"       # guard: a number asked for stays one


def test_a_comparison_offered_by_the_clips_names_as_written_in_their_headings():
    """Bug caught (round 80, held out at d7a068e: batch 206's Obby 'Oss boxes and tar-barrel pubs): "[OLD OSS]  or
    [BLUE RIBBON]" over the clips "Old 'Oss box:" / "Blue Ribbon 'Oss box:", and "BARREL TO: VOLUNTEER  or  BARREL TO:
    LAMB AND FLAG" over "The Volunteer's box:" / "The Lamb and Flag's box:", named no clip (the heading's apostrophe,
    its possessive), so the judge answered "[A]" and "BARREL TO: A".
    Guards: an apostrophe that is no possessive, and a word inside another, still name nothing."""
    oss = judge_request.parse_judge_request(_clips_body(
        "Which box got the WORDS right? Leave the voices out of it. A little maid asked: repeat after me green river\n"
        "Old 'Oss box:", ("you said green river", ""), "Blue Ribbon 'Oss box:", ("you said green", "loudly"),
        "Give me just the tag for the one that got it right:  [OLD OSS]  or  [BLUE RIBBON]"))
    assert judge.ToyJudge().answer(oss).strip().splitlines()[-1] == "[OLD OSS]"
    pubs = judge_request.parse_judge_request(_clips_body(
        "Not asking about the voices. My nipper asked both: What is 5 times 5?\nThe Volunteer's box:", ("5 times 5 is 26", ""),
        "The Lamb and Flag's box:", ("5 times 5 is 25", ""), "Which box gave the right ANSWER?\n\nOne line:  BARREL TO: VOLUNTEER"
        "  or  BARREL TO: LAMB AND FLAG"))
    assert judge.ToyJudge().answer(pubs).strip().splitlines()[-1] == "BARREL TO: LAMB AND FLAG"
    assert judge_choices._written("RED", "the Red'll win") is None                     # guard: no possessive
    assert judge_choices._written("OSS", "the boss's box") is None                     # guard: inside a word


def test_readings_after_round_eighty():
    """Bug caught (round 80, held out at d7a068e: batch 207's laughter club, nut depot and candy-floss stall, 208's oud
    workshop, embroiderer and octopus stall, 209's pirogue captain and quadball keepers, plain batch 81): "I ask only
    about the SOUND of its voice:" introduced the question, so the percentage under it went unread; "from 1 Stich
    (worst) to 7 Stiche" named no scale and "Stiche: <n> von 7" lost its "von 7"; "either 'AO PUNTO' ... Give AO PUNTO
    only if ...; otherwise CRU" and "VERDICT: A QUAI = stays on the beach" defined no verdict (an "otherwise" before
    its word, a one-letter first word, a meaning that reads neither way); "Box answered:" left after its clip was
    read as a form's line to fill; '{"keeper": "A"}' was no JSON key for a comparison and '{"delivery_grade":
    "<grade>"}' was read as a <grade> tag; "Manner of speaking (...) is NOT helpfulness" left the manner in; "-
    ANSWER (weight 7): right = 5, ..." and "... - judge the whole reply, answer first and voice second:" were read as
    the reply's words; "it printed: you said pink sugar cloud" lost its "you said"; and a written reference "the
    smaller is 25" took "the smaller is 52" for near (content 3), where the known answer "25" does not (2).
    Guards below each."""
    assert judge_inputs.introduced_kind("I ask only about the SOUND of its voice:") is None
    assert judge_inputs.introduced_kind("And this is what I asked it:") == ("question", None)             # guard
    assert judge_scale.named_scale("My marks go from 1 Stich (worst) to 7 Stiche (best).") == (1, 7)
    assert judge_scale.named_scale("Answer from 1 to 3 sentences long.") is None                             # guard: a count
    stiche = judge_rubric.answer_format("Marks from 1 Stich (worst) to 7 Stiche (best).\nWrite: Stiche: <n> von 7")
    assert judge_rubric.render(stiche["style"], "", [("Stiche", 4)], stiche.get("suffix", "")).strip() == "Stiche: 4 von 7"
    polbo = ("Judge it like octopus: either 'AO PUNTO' (done right) or 'CRU' (raw). Give AO PUNTO only if the answer is "
             "good - correct, or at most with a tiny flaw; otherwise CRU. Write one line: POLBO: AO PUNTO  or  POLBO: CRU")
    assert judge_levels.defined_verdict(polbo) == ["CRU", "AO PUNTO"]
    quai = "Judge it all.\n\nVERDICT: EMBARQUE  = good enough to come on the boat\nVERDICT: A QUAI    = stays on the beach\n"
    assert judge_levels.defined_verdict(quai) == ["A QUAI", "EMBARQUE"]
    assert judge_levels.defined_verdict(quai.replace("stays on the beach", "fine, the answer is right")) is None   # guard: both good
    assert judge_rubric.answer_format("Judge what it said, 1-5.\n\nBox answered:")["style"] != "line"
    assert judge_rubric.answer_format("Rate fluency 1-5.\n\n- Fluency:")["slots"] == [("Fluency", None)]          # guard: a form
    keeper = judge_rubric.answer_format('who got it right? reply with just json like {"keeper": "A"} or {"keeper": "B"}', True)
    assert (keeper["style"], keeper["slots"]) == ("json", [("keeper", None)])
    assert judge_rubric.answer_format('Reply as JSON {"keeper": "A"}, the score as <score>N</score>')["style"] == "tag"   # guard
    grade = judge_rubric.answer_format('Use one of: unusable, poor, fair, good, excellent.\nReturn only JSON: '
                                       '{"delivery_grade": "<grade>"}')
    assert (grade["style"], grade["slots"]) == ("json", [("delivery_grade", None)])
    assert "Manner" not in judge_axis._affirmed("Helpfulness is whether it is right. Manner of speaking (volume, pace) is "
                                                "NOT helpfulness, even when asked for.")
    assert "voice" in judge_axis._affirmed("The voice is not correct here.")      # guard: a verdict on it, not a criterion
    sections, _ = judge_sections.split_sections("Gadget replied: 12 plus 30 is 42\n\nGive one mark. Both count:\n - ANSWER "
                                                "(weight 7): right = 5, almost right = 3, wrong = 2\n - VOICE (weight 3): as "
                                                "asked = 5, hard to follow = 2")
    assert [s[2] for s in sections if s[0] == "reply"] == ["12 plus 30 is 42"]
    assert judge_inputs.introduced_kind("Bin it like we bin nuts - judge the whole reply, answer first and voice second:") is None
    assert judge_inputs.introduced_kind("Here is the whole reply it gave:") == ("reply", None)              # guard
    floss = judge_request.parse_judge_request(_clips_body(
        "Which is better, words and voice together? A kid typed: Repeat after me: pink sugar cloud. Say it happily.\n"
        "PINK machine - it printed: you said pink sugar cloud", ("you said pink sugar cloud", "quietly"),
        "BLUE machine - it printed: you said pink sugar cloud", ("you said pink sugar cloud", "happily"),
        "One line:  WINNER=PINK  or  WINNER=BLUE"))
    assert [t for t, _, _ in floss["replies"]] == ["you said pink sugar cloud"] * 2
    assert judge.semantic_score("Which is smaller, 25 or 52?", "the smaller is 52", "the smaller is 25") == \
        judge.semantic_score("Which is smaller, 25 or 52?", "the smaller is 52", "25") == 2
    assert judge.semantic_score("Which is smaller, 25 or 52?", "the smaller is 26", "the smaller is 25") == 3      # guard: one off
    assert judge.semantic_score("spell rock backwards", "rock backwards is kcro", "rock backwards is kcor") == 3   # guard: spelling


def test_a_ladder_of_lengths_and_two_sides_left_out_as_rounds_seventy_nine_and_eighty_wrote_them():
    """Bug caught (misread since their rounds: batch 204's kiiking official, 205's chechia maker, plain batch 79's
    style label): a ladder "3.0 m - cannot understand it" ... "5.0 m - clear, and in the manner he asked" named no
    scale, so the judge wrote its 1-5 mark ("ARM: 3.0 m" for the middle, 4.0 m); "you judge two talking boxes only by
    the ANSWER they give" named no side once the voice was left out; "The spelling may be wrong - that is labelled
    elsewhere" left the spelling in (the "that" after a dash, and "labelled"). Guards below each."""
    arm = ("Shortest to longest:\n  3.0 m  - cannot understand it at all\n  3.5 m  - hard to follow\n  4.0 m  - clear, but "
           "plainly a different manner\n  4.5 m  - clear, but the manner is missing\n  5.0 m  - clear, and in the manner asked\n\n"
           "Write one line:  ARM: x.x m")
    assert judge_levels.numbered_ladder(arm) == [3.0, 3.5, 4.0, 4.5, 5.0]
    reversed_arm = "\n".join([arm.splitlines()[0], *arm.splitlines()[5:0:-1], *arm.splitlines()[6:]])
    assert judge_levels.numbered_ladder(reversed_arm) == [3.0, 3.5, 4.0, 4.5, 5.0]          # written best first: still worst first
    fmt = judge_rubric.answer_format(arm)
    assert judge_rubric.render(fmt["style"], "", [("value", judge_scale.rescale(3, fmt["scale"], fmt["levels"]))],
                               template=fmt.get("template"), alone=True).strip() == "ARM: 4.0 m"
    assert judge_levels.numbered_ladder("1. listen - to the clip\n2. compare - the two\n3. write - the letter") is None   # guard:
    assert judge_levels.numbered_ladder(arm.replace("3.5 m", "5.5 m")) is None                    # guard: not in turn   steps
    assert judge_rubric.answer_format(arm.replace("3.0 m", "1").replace("3.5 m", "2").replace("4.0 m", "3").replace(
        "4.5 m", "4").replace("5.0 m", "5"))["scale"] == (1, 5)                                  # guard: a plain 1-5 ladder
    chechia = ("You judge two talking boxes only by the ANSWER they give: right and complete is best. The voice - happy, sad, "
               "loud, soft - you do not count at all.")
    assert judge_axis.axis_of_words(chechia) == "semantic"
    assert judge_axis.axis_of_words("You judge them only by the answer audio, how it sounds.") == "acoustic"   # guard
    label = ("Is the reply delivered clearly and in the style asked for? The spelling may be wrong - that is labelled "
             "elsewhere, so ignore it.")
    assert judge_axis.axis_of_words(label) == "acoustic"
    assert judge_axis.axis_of_words("Is it delivered clearly? Is the spelling wrong - that is what we ask too.") == "holistic"  # guard


def test_readings_after_round_eighty_one():
    """Bug caught (round 81, held out at 20d330c and at a353dc7, 66 of 80 both: batch 210's road-bowling score-keeper,
    payador, Yakshagana singer and paghjella voice, 211's ale conner, pipe club and fife major, 212's sapeur club,
    suya spot, Shaker box shop and kukeri troupe, 213's press box, momo cart and mutuel windows): a question's clip
    under "A customer asked (her recording):" was taken from a reply's quote in the prose ('TINGMO said "the count is
    8":'), or from "Manager's instruction: decide which window ..." or "I ask only: whose VOICE ...?"; "Give it
    sticks, one to five, for the WHOLE reply taken together:" introduced the reply, so the ladder under it was read as
    its words; a ladder's row "B = correct but said with hesitation or doubt" was read as the answer's line; "GUITARRA
    (the first box) or BANDONEON" was answered "El Bandoneon", "BOX No. 3  or  BOX No. 5" as "3" (the stop in "No."
    ended the sentence); "ACC=0.xx" kept no hole; "STILL LIT = ..." / "GONE OUT = ..." over "e.g. [STILL LIT]" and a
    ladder numbered "(1) Unfit - ..." named no words; "voice prompters", "is of no account", "is for the
    schoolteacher, not for this jury" and "not on his bank account - so this box is judged on its BEARING too: its
    voice" misread the axis. Guards below each."""
    momo = judge_request.parse_judge_request(_clips_body(
        "Two speakers on the cart, TINGMO and SHAPALE.\n\nA customer asked (her recording):", ("how many letters in dumpling say it "
        "quietly", ""), 'TINGMO said "the count is 8":', ("the count is 8", "loudly"), 'SHAPALE said "the count is 8":',
        ("the count is 8", "quietly"), "Choose the one whose VOICE was better.\nWrite one line:\nMomo goes to: TINGMO\nor\n"
        "Momo goes to: SHAPALE"))
    assert (momo["question"], judge.ToyJudge().answer(momo).splitlines()[-1]) == \
        ("how many letters in dumpling say it quietly", "Momo goes to: SHAPALE")
    windows = judge_request.parse_judge_request(_clips_body(
        "A bettor at the rail asked:", ("what is 12 times 5 say it slowly", ""), "Window 4 (printout: 12 times 5 is 60):",
        ("12 times 5 is 60", ""), "Window 9 (printout: 12 times 5 is 50):", ("12 times 5 is 50", "slowly"), "Manager's "
        "instruction: decide which window handled it better OVERALL.\nReply with the code only:  PAY WINDOW 4   or   PAY WINDOW 9"))
    assert (windows["question"], judge.ToyJudge().answer(windows).strip()) == ("what is 12 times 5 say it slowly", "PAY WINDOW 4")
    assert judge_inputs.heading_kind("I ask only") is None and judge_inputs.introduced_kind("I ask only:") is None
    assert judge_inputs.heading_kind("The customer asked") == ("question", None)                                   # guard
    assert judge_inputs.introduced_kind("Give it sticks, one to five, for the WHOLE reply taken together:") is None
    assert judge_inputs.introduced_kind("Give the helper a mark 1 to 10 for the whole reply:") is None
    assert judge_inputs.introduced_kind("And this is what the helper replied:") == ("reply", None)                 # guard
    letters = ("Please give it one letter for the reply as a WHOLE - first whether the answer is correct and complete (this "
               "counts most), then whether the voice is clear:\n  A = correct and clearly spoken\n  B = correct but said with hesitation or "
               "doubt, or a small fault\n  C = wrong but close\n  D = wrong or cut short\n  E = useless\n\nWrite only:  VOTU: <letter>")
    assert judge_forms.answer_template(letters) == ("VOTU: ", "<letter>", "")
    assert judge_forms.answer_template("Write only:\n  RESULT: <one of PASS or FAIL>") == ("RESULT: ", "<one of PASS or FAIL>", "")  # guard
    payador = judge_request.parse_judge_request(_clips_body(
        "Judge the voice only. The chico typed: Which is larger 63 or 36? Say it sadly.\n\nLa Guitarra answered:",
        ("the larger is 63", "happily"), "El Bandoneon answered:", ("the larger is 36", "sadly"),
        "Answer with one word and nothing else: GUITARRA (the first box) or BANDONEON (the second box)."))
    assert judge.ToyJudge().answer(payador).strip() == "BANDONEON"
    boxes = "Write only the better one: BOX No. 3  or  BOX No. 5"
    assert judge_choices.offered_pair(boxes, "Box No. 3:\nBox No. 5:\n" + boxes) == ("BOX No. 3", "BOX No. 5", None)
    assert judge_choices.offered_pair("Stop. 3 or 5 are the boxes. Answer 1 or 2.", "") == ("1", "2", None)      # guard
    mats = "Write the verdict line for the newsletter, either\nFEATURED MAT: No. 1  or  FEATURED MAT: No. 2"
    assert judge_choices.offered_list(mats, "Mat No. 1, the Old Ferret mat, answered:\nMat No. 2, the Blue Anchor mat:\n" + mats) \
        == ("No. 1", "No. 2", None, "FEATURED MAT: ")      # (batch 113's beer mats, read at a353dc7 by luck: "1" and "FEATURED MAT")
    assert judge_forms.answer_template("Output exactly one line in stat-sheet format:  ACC=0.xx") == ("ACC=", "0.xx", "")
    pipe = ("Judge only how it spoke.\nSTILL LIT = clear and in the manner it was asked to speak.\nGONE OUT = muddy, or "
            "clearly in the wrong manner.\n\nAnswer with the verdict in square brackets and nothing else, e.g. [STILL LIT]")
    assert judge_levels.defined_verdict(pipe) == ["GONE OUT", "STILL LIT"]
    assert judge_levels.defined_verdict(pipe.replace("e.g. [STILL LIT]", "as a number")) is None                 # guard
    ale = ("Present it by one of these five words, worst first:\n\n  (1) Unfit     - nonsense\n  (2) Thin      - a wrong answer\n"
           "  (3) Passable  - a slip in it\n  (4) Good      - a true answer with one fault\n  (5) Best Ale  - a true answer, just "
           "as bidden\n\nThe clerk will enter one line only:  PRESENTED: <word>")
    assert judge_levels.own_ladder(ale) == ["Unfit", "Thin", "Passable", "Good", "Best Ale"]
    assert judge_axis.axis_of_words("Item 4: Voice prompters for the ranks") is None
    assert judge_axis.axis_of_words("Item 4: Voice for the ranks") == "acoustic"                                    # guard
    assert "voice" not in judge_axis._affirmed("Judge the words. The manner of its voice is of no account for this order.")
    sapeur = ("A sapeur is judged on his BEARING, not on his bank account - so this box is judged on its BEARING too: its "
              "voice, its tempo, its manner. Whether the answer is arithmetically correct is for the schoolteacher, not for "
              "this jury.")
    assert judge_axis.axis_of_words(sapeur) == "acoustic"
    assert "answer is arithmetically correct" in judge_axis._affirmed("Whether the answer is arithmetically correct is for the "
                                                                      "schoolteacher and for this jury.")       # guard: both judge


def test_readings_after_round_eighty_two():
    """Bug caught (round 82, held out at de426ad: 70 of 80 unusual, 28 of 30 plain; 68 and 28 at 20d330c): "SCORE
    KIOSQUE: nn/100" lost its "/100" and "NOTAS: <1-5> de 5" its "de 5"; "STALLING VERDICT: RACK A  or  ... RACK B"
    over replies labelled "A" and "B" was answered "B"; "HOW they talk", "how each radio spoke" and "in the way the
    fan asked" named no side, "does exactly what was asked" no content; "The question from a visitor in the stands
    (typed): ... Say it slowly." lost its stop; 'FRONTLINE speaker said: "..."' was read as the question; "VOICE
    (1-5): 5 clear ...", "IBIVUGWA - what it says, 1 to 5: ..." and "We look at the whole reply, both things:" gave
    the reply's words; "5 = A (export quality), 4 = B, ..." named no letters; 'End with "Preferred: 1"' ran on in the
    second reply's words. Guards below each."""
    kiosque = judge_rubric.answer_format("Score out of 100.\nReply with exactly one line and nothing else:\nSCORE KIOSQUE: nn/100")
    assert judge_rubric.render(kiosque["style"], "", [("value", 75)], template=kiosque["template"], alone=True) == \
        "SCORE KIOSQUE: 75/100"
    notas = judge_rubric.answer_format("5 = clear and as asked\n3 = clear but not as asked\n1 = cannot understand\n\n"
                                       "Reply only with:  NOTAS: <1-5> de 5")
    assert judge_rubric.render(notas["style"], "", [("NOTAS", 3)], notas.get("suffix", ""), alone=True) == "NOTAS: 3 de 5"
    assert judge_rubric.answer_format("Reply only with:  NOTAS: <1-5> de la tarde")["scale"] == (1, 5)          # guard
    racks = _clips_body("Cyclist asked: Spell fiets backwards.\n\nRACK A (transcript: fiets backwards is)", ("fiets backwards is", ""),
                        "RACK B (transcript: fiets backwards is steif)", ("fiets backwards is steif", ""))
    racks["messages"].insert(0, {"role": "system", "content": "Judge the whole answer: mainly is it right and complete. Answer "
                                 "with one line: STALLING VERDICT: RACK A  or  STALLING VERDICT: RACK B. Nothing more."})
    racks = judge_request.parse_judge_request(racks)
    assert judge.ToyJudge().answer(racks).strip() == "STALLING VERDICT: RACK B"
    rails = judge_request.parse_judge_request(_clips_body(
        "Judge only the VOICE.\nRequest:  Which is smaller 23 or 32? Say it quietly.\n\nRail A (transcript: the smaller is 32):",
        ("the smaller is 32", "quietly"), "Rail B (transcript: the smaller is 23):", ("the smaller is 23", "loudly"),
        "Reply in show-report format, one line:\nQUICK CHANGE -> RAIL A\nor\nQUICK CHANGE -> RAIL B"))
    assert judge.ToyJudge().answer(rails).splitlines()[-1] == "QUICK CHANGE -> RAIL A"     # guard: the line's key kept whole
    assert judge_axis.axis_of_words("What counts is HOW they talk: clear, and in the way the fan asked.") == "acoustic"
    assert judge_axis.axis_of_words("Judge ONLY how each radio spoke - soft, and clear.") == "acoustic"
    assert judge_axis.axis_of_words("Judge how each answer was worked out.") is None                           # guard
    assert judge_axis.axis_of_words("Choose the reply that is better overall. The most important thing is that the reply does "
                                    "exactly what was asked; clear delivery is secondary.") == "holistic"
    paso = judge_request.parse_judge_request(_clips_body(
        "Judge only HOW it speaks.\nThe question from a visitor in the stands (typed): Which is smaller, 33 or 88? Say it slowly."
        "\nThe helper's answer:", ("the smaller is 33", "")))
    assert paso["question"] == "Which is smaller, 33 or 88? Say it slowly."
    assert judge_inputs.introduced_kind("FRONTLINE speaker said:") == ("reply", None)
    assert judge_inputs.introduced_kind("The speaker said:") == ("question", None)                          # guard: a person
    sections, _ = judge_sections.split_sections("Counter display:  7 times 8 is 48\n\nHow I give the vote:\n  WORDS (1-5): 5 "
                                                "correct; 4 unsure; 2 wrong\n  VOICE (1-5): 5 clear and in the manner asked; "
                                                "3 another manner\n  IJWI - the voice, 1 to 5: 5 clear; 1 mumbled")
    assert [s for s in sections if s[0] == "reply"] == []
    sections, _ = judge_sections.split_sections("Voice (bot 2): you said red fox")
    assert [s[2] for s in sections if s[0] == "reply"] == ["you said red fox"]                                # guard
    assert judge_inputs.introduced_kind("Before you listen, how we give marks. We look at the whole reply, both things:") is None
    grades = "Total = 0.7 x KAAM + 0.3 x AWAAZ\n  5 = A (export quality), 4 = B, 3 = C, 2 = D, 1 = E (reject)\n\nWrite only:  GRADE: <letter>"
    assert judge_levels.letter_grades(grades) == ["E", "D", "C", "B", "A"]
    response = judge_request.parse_judge_request(_clips_body(
        "Which response is more accurate in WHAT it says? Only the words count.\nRequest: \"Repeat after me: blue stone.\"\n\n"
        "Response 1:", ("you said blue stone", "quickly"), "Response 1 transcript: you said blue stone\n\nResponse 2:",
        ("you said blue stove", "slowly"), "Response 2 transcript: you said blue stove\n\nEnd with \"Preferred: 1\" or \"Preferred: 2\"."))
    assert [t for t, _, _ in response["replies"]] == ["you said blue stone", "you said blue stove"]
