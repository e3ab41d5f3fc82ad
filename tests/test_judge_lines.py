"""judge_lines.py: the places a value could go in a rubric written by others, and the weights that rank them.

Each test names the bug it catches. Run: python -m pytest -q tests/test_judge_lines.py
"""
import json

import judge
import judge_lines
import judge_request
from test_judge_prompts import audio_part, spoken

FIVE = [str(v) for v in range(1, 6)]


def test_the_holes_of_a_line_are_its_placeholders_its_examples_and_a_bare_key():
    """Bug: a boxed placeholder ("[n]") is not found, an example glued to its key ("R3") is missed
    for the digit boundary, the values offered in a row ("CRACK or SOFT") are split into two holes,
    or a key's colon with nothing after it is no place for the value (worked by hand)."""
    # (its colon is a hole too: "only: 4" is a line the weights must rank below "FIT [4]")
    assert judge_lines.holes("Return the docket line only: FIT [n]", FIVE) == [(33, 36, "bracket_mark"), (29, 29, "colon_words")]
    assert judge_lines.holes("R then the number, like R3", FIVE) == [(25, 26, "example_number")]
    assert judge_lines.holes("Batch: CRACK or SOFT", ["CRACK", "SOFT", "tie"]) == [(7, 20, "offered_word")]   # one hole
    assert judge_lines.holes("- Delivery:", FIVE) == [(11, 11, "colon_end")]
    assert judge_lines.holes("rate it 15 of 20", FIVE) == []       # 15 is no example of 1-5, nor its 1 or 5


def test_candidates_offer_the_value_alone_first_and_every_key_length_and_box():
    """Bug: the value alone is not an option (a rubric that wants it could never be answered so), the
    key is only ever the whole line before the hole or none of it, or a box is only ever replaced
    whole ("FIT 4") or only ever kept ("FIT [4]"): the weights could not choose what the case wants."""
    found = [line for line, _ in judge_lines.candidates("Please return the docket line only: FIT [n]", "", FIVE)]
    assert found[0] == ("", "")
    for line in [("FIT [", "]"), ("FIT ", ""), ("only: FIT [", "]"), ("return the docket line only: FIT [", "]"), ("only: ", "")]:
        assert line in found
    assert ("Please return the docket line only: FIT [", "]") not in found      # seven words: over KEY_WORDS


def test_values_are_the_labels_and_tie_the_levels_or_the_scale_as_the_judge_writes_them():
    """Bug: a comparison is offered scale numbers (its example "Take 2" never found), a score with
    level words offered digits, or a 0-10 scale's 10 left out. (A 0-1 scale is offered its whole ends
    only, 0 and 1, not its fractions: an example "0.75" is no hole, a limit the weights live with.)"""
    assert judge_lines.values_of({"labels": ["Take 1", "Take 2"], "tie": "same"}, ["A", "B"], "compare") == ["Take 1", "Take 2", "same"]
    assert judge_lines.values_of({"tie": "tie"}, ["A", "B"], "compare") == ["A", "B", "tie"]
    assert judge_lines.values_of({"scale": (1, 5), "levels": ["poor", "good"]}, [], "score") == ["poor", "good"]
    assert judge_lines.values_of({"scale": (0, 10)}, [], "score") == [str(v) for v in range(11)]
    assert judge_lines.values_of({"scale": (0, 1)}, [], "score") == [str(v) for v in range(2)]


def _examples(n):
    """n cases whose target is the key's line (feature "key") and n whose target is the value alone."""
    line = ([["alone", "tail:number"], ["hole", "key"], ["hole", "nokey"]], [1], [1])
    alone = ([["alone", "tail:only"], ["hole", "nokey"], ["hole", "nokey", "level"]], [0], [0])
    return [line] * n + [alone] * n


def test_the_fit_ranks_each_cases_target_first_and_learns_what_marks_it():
    """Bug: the loss climbs instead of descending, the softmax runs over every case's candidates at
    once (a case's target then competes with other cases' options), or the targets are read as
    the wrong indices: the fitted weights would not put each case's target first."""
    table = judge_lines.fit_examples(_examples(4))
    w = table["weights"]
    rank = lambda options: max(range(len(options)), key=lambda k: sum(w.get(f, 0.0) for f in options[k]))
    for options, targets, _ in _examples(1):
        assert rank(options) in targets
    assert w["key"] > w["nokey"] and w["tail:only"] > w["tail:number"]


def _body(rubric_after):
    return {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "hi, my little helper was asked this:"},
        audio_part(*spoken("what is 3 plus 4 say it loudly", None)[1:]),
        {"type": "text", "text": "and it said:"},
        audio_part(*spoken("3 plus 4 is 7", "loudly")[1:]),
        {"type": "text", "text": rubric_after}]}]}


def test_a_rubric_the_rules_answer_bare_is_answered_in_the_line_the_weights_pick(monkeypatch):
    """Bug: judge_request never asks the weights where the rules answer bare, asks them for our own
    requests, or drops the line's 'alone' (the judge's justification written above a line the
    rubric wants on its own) or its closer."""
    body = _body("Mark whether the answer is right, 1 to 5. Send it back as we log it.")
    ruled = judge_request.parse_judge_request(body, learned_line=False)
    assert ruled["format"]["style"] == "bare"
    monkeypatch.setattr(judge_request, "answer_line", lambda text, rubric, values: ("LOG [", "]"))
    req = judge_request.parse_judge_request(body)
    assert req["format"]["style"] == "template" and judge.ToyJudge().answer(req) == "LOG [5]"
    monkeypatch.setattr(judge_request, "answer_line", lambda text, rubric, values: None)
    assert judge.ToyJudge().answer(judge_request.parse_judge_request(body)) == "5"


def test_the_weights_write_a_bare_keys_line_and_leave_a_number_alone_when_asked():
    """Bug: the table ranks the value alone over a key the rubric leaves blank for it (a writer's
    'just send back / STARS: and the number' answered '5'), or ranks a line over a rubric that asks
    for the number alone (hand-written here, not in others.json)."""
    keyed = _body("Give it 1 to 5 stars for whether the answer is right, never mind the voice.\njust send back\nSTARS: and the number")
    assert judge.ToyJudge().answer(judge_request.parse_judge_request(keyed)) == "STARS: 5"
    alone = _body("Give it 1 to 5 for whether the answer is right, never mind the voice. Reply with the number only.")
    assert judge.ToyJudge().answer(judge_request.parse_judge_request(alone)) == "5"


def test_judge_lines_json_is_the_fit_of_its_corpora():
    """Bug: others.json or misread.json changed (a round merged) and the table was not refitted: the judge would rank
    lines with weights no command reproduces from the corpus (the table records its corpus's digest;
    the refit itself was checked byte for byte by hand: it takes about a minute and a half)."""
    with open(judge_lines.TABLE) as f:
        table = json.load(f)
    assert table["corpus"] == judge_lines.corpus_digest(judge_lines.CORPORA)
