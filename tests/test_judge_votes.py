"""judge_votes.py: the words' votes on a rubric's axis, and where they overrule judge_axis's rules.

Each test names the bug it catches. Run: python -m pytest -q tests/test_judge_votes.py
"""
import json
import os

import pytest

import judge_axis
import judge_lines
import judge_request
import judge_votes

OTHERS = os.path.join(os.path.dirname(__file__), "data", "judge_prompts", "others.json")


def test_a_negator_marks_the_five_words_after_it_and_before_it_within_its_clause():
    """Bug: the negation reaches one word too far or too short, runs past a ';' or '.', or the
    word pairs bridge two clauses (worked by hand from words_of's docstring); a negation after what it
    negates ("Whether the answer is correct does not enter into it.") left unmarked, so "answer" and
    "correct" voted for content in a rubric that asks for the voice (the votes refitted with round 74
    merged overruled the rules on it, margin 4.03)."""
    assert judge_votes.words_of("Ignore the voice.") == {
        "ignore", "not_the", "not_voice", "ignore not_the", "not_the not_voice"}
    assert judge_votes.words_of("Do NOT judge how it sounds at all; rate the answer") == {
        "pre_not_do", "not", "not_judge", "not_how", "not_it", "not_sounds", "not_at", "all",
        "pre_not_do not", "not not_judge", "not_judge not_how", "not_how not_it", "not_it not_sounds", "not_sounds not_at",
        "not_at all", "rate", "the", "answer", "rate the", "the answer"}
    words = judge_votes.words_of("so whether the answer is correct does not count. The answer")    # five before "not"
    assert {"so", "whether", "pre_not_the", "pre_not_correct", "pre_not_does", "not_count", "the answer"} <= words
    assert not {"pre_not_whether", "correct", "not_the", "pre_not_does not_count"} & words


def test_the_request_text_is_every_text_part_and_no_audio():
    """Bug: a system message, a plain-string content or a text part after the audio is left out
    of what the votes read, or an audio part's data is read as words."""
    messages = [{"role": "system", "content": "Judge the voice."},
                {"role": "user", "content": [{"type": "text", "text": "Question: 3 plus 4"},
                                             {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                                             {"type": "text", "text": "Score: N"}]}]
    assert judge_votes.request_text(messages) == "Judge the voice.\nQuestion: 3 plus 4\nScore: N"


def _case(text, axis):
    return {"messages": [{"role": "user", "content": text}], "expect": {"axis": axis}}


def test_the_fit_learns_which_words_mark_a_side_and_what_a_negation_leaves_out(tmp_path):
    """Bug: a comparison's axis is counted on the wrong side (naturalness as content), the fit
    climbs the loss instead of descending it, or a negated word votes like the word itself:
    'Ignore the voice' would then vote as 'Ignore the answer' does, for a side it leaves out."""
    fillers = ["please", "today", "thanks", "now", "kindly", "quickly"]
    cases = [c for f in fillers for c in (
        _case(f"Is the answer right? Ignore the voice. {f}", "semantic"),
        _case(f"Which answer is right? Ignore the voice. {f}", "helpfulness"),
        _case(f"How does the voice sound? Ignore the answer. {f}", "acoustic"),
        _case(f"Which voice sounds better? {f}", "naturalness"),
        _case(f"Judge everything together. {f}", "holistic"),
        _case(f"Which is better overall, everything together? {f}", "overall"))]
    path = tmp_path / "votes.json"
    path.write_text(json.dumps(judge_votes.fit(cases)))
    assert judge_votes.side_votes("Ignore the voice.", str(path))[0] == "semantic"
    assert judge_votes.side_votes("Ignore the answer.", str(path))[0] == "acoustic"
    assert judge_votes.side_votes("the voice", str(path))[0] == "acoustic"
    assert judge_votes.side_votes("everything together", str(path))[0] == "holistic"
    side, margin = judge_votes.side_votes("Is the answer right? Ignore the voice.", str(path))
    assert side == "semantic" and margin > 1


def test_the_votes_overrule_the_rules_only_when_sure_and_never_our_own_axis_line(monkeypatch):
    """Bug: the votes decide at any margin (a short rubric's few words would outvote the rules'
    reading of it), never decide, or outvote reward.py's own 'Scoring axis:' line."""
    rubric = "Is the answer correct? Ignore the voice."
    assert judge_axis.ruled_axis(rubric) == "semantic"
    monkeypatch.setattr(judge_axis, "side_votes", lambda text: ("acoustic", judge_votes.SURE + 0.5))
    assert judge_axis.rubric_axis(rubric) == "acoustic"
    assert judge_axis.rubric_axis("Scoring axis: semantic\n" + rubric) == "semantic"
    monkeypatch.setattr(judge_axis, "side_votes", lambda text: ("acoustic", judge_votes.SURE - 0.5))
    assert judge_axis.rubric_axis(rubric) == "semantic"


def test_the_votes_read_the_whole_request_not_only_the_rubric_left_after_the_inputs(monkeypatch):
    """Bug: judge_request hands the votes only the rubric it kept after cutting out the inputs, so
    an instruction the sections took in (a rubric line read as the question's) never votes."""
    read = []
    monkeypatch.setattr(judge_axis, "side_votes", lambda text: read.append(text) or ("semantic", 0.0))
    from test_judge_prompts import audio_part, spoken
    body = {"messages": [{"role": "system", "content": "Judge only the delivery."},
                         {"role": "user", "content": [{"type": "text", "text": "Question: what is 3 plus 4\nAnswer: 7"},
                                                      audio_part(*spoken("3 plus 4 is 7", None)[1:])]}]}
    judge_request.parse_judge_request(body)
    assert read == ["Judge only the delivery.\nQuestion: what is 3 plus 4\nAnswer: 7"]


def _others():
    with open(OTHERS) as f:
        return json.load(f)["cases"]


def test_judge_votes_json_is_the_fit_of_others_json():
    """Bug: others.json grew (a round merged) and the table was not refitted, or the fit is not
    deterministic: the judge would vote with weights no command reproduces."""
    with open(judge_votes.TABLE) as f:
        table = json.load(f)
    fresh = judge_votes.fit(_others())
    assert sorted(fresh["weights"]) == sorted(table["weights"])
    assert fresh["bias"] == pytest.approx(table["bias"], abs=2e-3)
    worst = max(abs(a - b) for w, row in fresh["weights"].items() for a, b in zip(row, table["weights"][w]))
    assert worst < 2e-3


def test_votes_fitted_without_the_last_three_rounds_read_their_axes():
    """Bug: the votes stop carrying to prompts they were not fitted on while the table test above
    still passes (it refits with the same code): they read only part of a request (its last
    message, its first words) and the fit memorises the rest. Fitted
    without rounds 69 to 71 (batches 162 to 173 and plain 70 to 72: their writers' prompts held
    out), the votes alone must name the side of at least 97 % of those rounds' prompts in others.json
    (measured with others.json's 5245 cases: 296 of 297)."""
    held = tuple(f"b{n}_" for n in range(162, 174)) + ("p70_", "p71_", "p72_")
    cases = _others()
    table = judge_votes.fit([c for c in cases if not c["name"].startswith(held)])
    test = [c for c in cases if c["name"].startswith(held) and c["expect"].get("axis") in judge_votes.SIDE_OF]
    assert len(test) > 250
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(table, f)
    try:
        right = sum(judge_votes.side_votes(judge_votes.request_text(c["messages"]), f.name)[0] ==
                    judge_votes.SIDES[judge_votes.SIDE_OF[c["expect"]["axis"]]] for c in test)
    finally:
        os.unlink(f.name)
    assert right >= 0.97 * len(test)


@pytest.mark.parametrize("main", [judge_votes.main, judge_lines.main], ids=["votes", "lines"])
def test_a_bad_corpus_is_one_line_naming_it_and_the_table_is_left_as_it_was(tmp_path, capsys, main):
    """Bug: a corpus that is not others.json's shape ends in a traceback, or the refit writes the
    table before it fails (the judge would then vote, or rank answer lines, with a half-written or
    empty table). Both tables' --fit share judge_votes.refit_main."""
    out = tmp_path / "votes.json"
    out.write_text('{"bias": [0, 0, 0], "weights": {}}\n')
    bad = tmp_path / "corpus.json"
    bad.write_text('{"cases": [{"name": "no_messages", "expect": {"axis": "semantic"}}]}')
    with pytest.raises(SystemExit) as stop:
        main(["--fit", "--corpus", str(bad), "--out", str(out)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(lines) == 1 and str(bad) in lines[0] and "no_messages" in lines[0]
    assert out.read_text() == '{"bias": [0, 0, 0], "weights": {}}\n'
