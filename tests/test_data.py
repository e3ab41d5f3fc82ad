"""Toy data generation and the JSONL loader's behaviour on good and bad input."""
import hashlib
import json
import os
import random
import shutil

import numpy as np
import pytest

import codec
import dataset
from data.prepare import prepare


def digest(folder):
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            with open(os.path.join(root, name), "rb") as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


def test_generation_is_deterministic_in_the_seed(tmp_path):
    prepare(str(tmp_path / "a"), n_train=20, n_eval=5, seed=3, n_eval_extra=3)
    prepare(str(tmp_path / "b"), n_train=20, n_eval=5, seed=3, n_eval_extra=3)
    prepare(str(tmp_path / "c"), n_train=20, n_eval=5, seed=4, n_eval_extra=3)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_schema_splits_and_targets(toy_dir):
    train = [json.loads(line) for line in open(toy_dir / "train.jsonl")]
    held = [json.loads(line) for line in open(toy_dir / "eval.jsonl")]
    assert len(train) == 48 and len(held) == 12
    assert not {r["question_text"] for r in train} & {r["question_text"] for r in held}
    for r in train + held:
        for key in ("id", "task", "style", "messages", "audios", "question_text", "reference",
                    "sft_target_text", "sft_target_audio", "task_type"):
            assert key in r
        assert r["messages"][-1]["content"].count("<|audio|>") == len(r["audios"]) == 1
        right = dataset.answer_matches(r["sft_target_text"], r["reference"])
        assert right == (r["demo_flaw"] not in ("wrong", "incomplete")), r
        assert r["task"] in ("arithmetic", "comparison", "counting", "backwards", "repetition")
    assert all(r["demo_flaw"] is None for r in held)     # held-out targets are always right


def test_wavs_speak_the_texts_in_the_requested_style(samples):
    for s in samples:
        assert codec.hear(s.question_codes[0]) == s.question_text
        assert codec.hear(s.target_codes).replace(" ", "") == s.target_text.replace(" ", "")
        spoken = None if s.extra["demo_flaw"] == "off_style" else s.style
        assert codec.prosody(s.target_codes)["loudness"] == codec.STYLES[spoken]["loudness"]


def test_a_reply_stopped_before_the_answer_is_the_demonstrations_habit(tmp_path):
    """The eval metric `stopped` flags exactly the demonstrations written without their answer,
    whatever the task. Bug caught: a task's lead-in missed ("you said" of repetition), a right or
    wrong answer counted as stopped, or punctuation defeating the check."""
    train, held = prepare(str(tmp_path / "a"), n_train=200, n_eval=20, seed=5, n_eval_extra=0)
    assert {r["task"] for r in train} >= {"arithmetic", "repetition", "backwards"}
    for r in train + held:
        assert dataset.stops_before_answer(r["sft_target_text"]) == (r["demo_flaw"] == "incomplete"), r
    assert dataset.stops_before_answer("") and dataset.stops_before_answer("You said.")
    assert not dataset.stops_before_answer("3 plus 4 is 8")


def test_flawed_demonstrations_come_at_the_stated_shares(tmp_path):
    """Bug caught: shares drawn per sample (counts drift from the documented 20/40/10%), flaws
    leaking into the held-out split, a 'wrong' answer that is in fact right, or an off-style
    demonstration that still speaks the requested style."""
    from data.prepare import FLAWS
    train, held = prepare(str(tmp_path / "a"), n_train=200, n_eval=20, seed=5, n_eval_extra=0)
    again, _ = prepare(str(tmp_path / "b"), n_train=200, n_eval=20, seed=5, n_eval_extra=0)
    assert [r["demo_flaw"] for r in train] == [r["demo_flaw"] for r in again]
    count = {k: sum(r["demo_flaw"] == k for r in train) for k in FLAWS}
    assert count["wrong"] == 40 and count["incomplete"] == 80           # 20% and 40% of 200, exactly
    odd, _ = prepare(str(tmp_path / "d"), n_train=13, n_eval=5, seed=5, n_eval_extra=0)
    # 20% and 40% of 13 are 2.6 and 5.2: rounded, 3 and 5 (truncated, 2 and 5)
    assert [sum(r["demo_flaw"] == k for r in odd) for k in ("wrong", "incomplete")] == [3, 5]
    clean_styled = sum(1 for r in train if r["style"] and r["demo_flaw"] in (None, "off_style"))
    assert count["off_style"] == round(0.10 * clean_styled) > 0
    for r in train:
        right = dataset.answer_matches(r["sft_target_text"], r["reference"])
        assert right == (r["demo_flaw"] not in ("wrong", "incomplete"))
        if r["demo_flaw"] == "incomplete":
            assert not set(r["reference"].split()) & set(r["sft_target_text"].split()[-1:])
        if r["demo_flaw"] == "off_style":
            wave, rate = dataset.read_wav(str(tmp_path / "a" / r["sft_target_audio"]))
            assert codec.prosody(codec.encode(wave, rate)) == codec.prosody(codec.speak(r["sft_target_text"]))
            assert codec.speak(r["sft_target_text"]).tolist() != codec.speak(r["sft_target_text"], r["style"]).tolist()
    assert all(r["demo_flaw"] is None and dataset.answer_matches(r["sft_target_text"], r["reference"]) for r in held)
    clean, _ = prepare(str(tmp_path / "c"), n_train=200, n_eval=20, seed=5, n_eval_extra=0, flaws={k: 0.0 for k in FLAWS})
    assert [r["question_text"] for r in clean] == [r["question_text"] for r in train]   # flaws never move questions
    assert all(r["demo_flaw"] is None for r in clean)


def test_extra_held_out_questions_leave_the_training_set_and_the_first_ones_as_they_were(tmp_path):
    """The extra held-out questions are drawn after the training set, so the training set (and the
    base built from it) is byte-identical with or without them. Bug caught: drawn before it (every
    training question would move), an extra question that is also a training or an earlier
    held-out one, ids restarting at 0 (overwriting the first WAVs), or flawed held-out targets."""
    prepare(str(tmp_path / "a"), n_train=30, n_eval=6, seed=2, n_eval_extra=0)
    prepare(str(tmp_path / "b"), n_train=30, n_eval=6, seed=2, n_eval_extra=10)
    assert (tmp_path / "a" / "train.jsonl").read_bytes() == (tmp_path / "b" / "train.jsonl").read_bytes()
    assert digest(tmp_path / "a" / "wavs" / "train") == digest(tmp_path / "b" / "wavs" / "train")
    held_a = (tmp_path / "a" / "eval.jsonl").read_text().splitlines()
    held_b = (tmp_path / "b" / "eval.jsonl").read_text().splitlines()
    assert held_b[:6] == held_a and len(held_b) == 16
    held = [json.loads(line) for line in held_b]
    train = [json.loads(line) for line in open(tmp_path / "b" / "train.jsonl")]
    assert [r["id"] for r in held] == [f"eval-{i:05d}" for i in range(16)]
    questions = [r["question_text"] for r in held]
    assert len(set(questions)) == 16 and not set(questions) & {r["question_text"] for r in train}
    for r in held:
        assert r["demo_flaw"] is None and dataset.answer_matches(r["sft_target_text"], r["reference"])
        wave, rate = dataset.read_wav(str(tmp_path / "b" / r["audios"][0]))
        assert codec.hear(codec.encode(wave, rate)) == r["question_text"]
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["world"] == dataset.TOY_WORLD and (manifest["n_eval"], manifest["n_eval_extra"]) == (6, 10)


def test_a_data_dir_from_an_earlier_world_is_refused_in_one_line(tmp_path, toy_dir):
    """Bug caught: a data/toy that an earlier prepare.py wrote (no manifest, or another world)
    trained on silently: its base and runs belong to another world."""
    dataset.check_toy_world(str(toy_dir))                      # a fresh one passes
    stale = tmp_path / "toy"
    stale.mkdir()
    with pytest.raises(dataset.DataError, match=f"toy world None, this code expects {dataset.TOY_WORLD}"):
        dataset.check_toy_world(str(stale))
    (stale / "manifest.json").write_text(json.dumps({"world": dataset.TOY_WORLD - 1}))
    with pytest.raises(dataset.DataError, match=f"{stale}.*delete it and out/base-tiny-vita"):
        dataset.check_toy_world(str(stale))
    (stale / "manifest.json").write_text("{")
    with pytest.raises(dataset.DataError, match="manifest.json: unreadable manifest"):
        dataset.check_toy_world(str(stale))


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def good_line(toy_dir, **changes):
    record = json.loads(open(toy_dir / "train.jsonl").readline())
    record["audios"] = [str(toy_dir / a) for a in record["audios"]]
    record["sft_target_audio"] = str(toy_dir / record["sft_target_audio"])
    record.update(changes)
    return json.dumps(record)


def test_malformed_line_names_file_and_line(toy_dir, tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [good_line(toy_dir), "{not json"])
    with pytest.raises(dataset.DataError, match=r"bad\.jsonl:2: not valid JSON"):
        dataset.load_samples(path, codec.encode)


def test_missing_field_names_the_field(toy_dir, tmp_path):
    record = json.loads(good_line(toy_dir))
    del record["audios"]      # id and question_text are optional (the official release omits them)
    path = write_lines(tmp_path / "bad.jsonl", [json.dumps(record)])
    with pytest.raises(dataset.DataError, match=r"bad\.jsonl:1: missing field 'audios'"):
        dataset.load_samples(path, codec.encode)


def test_placeholder_count_must_match_audios(toy_dir, tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [good_line(toy_dir, audios=[])])
    with pytest.raises(dataset.DataError, match="1 <\\|audio\\|> placeholders but 0 paths"):
        dataset.load_samples(path, codec.encode)


def test_a_duplicate_id_and_a_missing_target_text_name_their_line(toy_dir, tmp_path):
    """Bug caught: duplicate ids never detected (a study pairs rows on (seed, id), so two prompts
    under one id would be averaged into one), or an SFT sample without its target text accepted
    (its audio would be trained without the text it speaks)."""
    path = write_lines(tmp_path / "dup.jsonl", [good_line(toy_dir, id="q7"), good_line(toy_dir, id="q7")])
    with pytest.raises(dataset.DataError, match=r"dup\.jsonl:2: duplicate sample id 'q7'"):
        dataset.load_samples(path, codec.encode)
    path = write_lines(tmp_path / "notext.jsonl", [good_line(toy_dir, id="q8", sft_target_text="")])
    with pytest.raises(dataset.DataError, match=r"notext\.jsonl:1: sample q8 has no SFT target"):
        dataset.load_samples(path, codec.encode, need_target=True)


def test_a_target_text_is_stripped_and_a_blank_one_is_none_as_the_official_loader_reads_it(toy_dir, tmp_path):
    """The official release's loader cleans sft_target_text (dataset/vita_audio_rl_sft_dataset.py,
    `_clean_text`: stripped, and blank read as none), and its trainer then writes the turn as
    text + "\n<|audio|>" (real.HFTokenizer.reply_text). Bugs caught: the text kept as written, so a
    demonstration whose text ends in a newline or a space lays out other tokens than the official
    trainer's before its audio; a blank text taken for a text (an SFT target of a newline and the
    speech), where the official loader has none and here an SFT split refuses the line."""
    path = write_lines(tmp_path / "spaced.jsonl", [good_line(toy_dir, id="q1", sft_target_text="  3 plus 4 is 7\n")])
    assert dataset.load_samples(path, codec.encode, need_target=True)[0].target_text == "3 plus 4 is 7"
    path = write_lines(tmp_path / "blank.jsonl", [good_line(toy_dir, id="q2", sft_target_text=" \n ")])
    assert dataset.load_samples(path, codec.encode)[0].target_text is None
    with pytest.raises(dataset.DataError, match=r"blank\.jsonl:1: sample q2 has no SFT target"):
        dataset.load_samples(path, codec.encode, need_target=True)


@pytest.mark.parametrize("change, says", [
    ({"id": 7}, "field 'id' should be str, got int"),
    ({"audios": ["q.wav"], "messages": [{"role": "user", "content": "no placeholder"}]},
     "0 <\\|audio\\|> placeholders but 1 paths"),
    ({"messages": [{"role": "system", "content": "<|audio|>"}]}, "messages has no user turn"),
    ({"task_type": 5}, "field 'task_type' should be a string or null"),
])
def test_a_record_of_the_wrong_shape_names_its_line_and_field(toy_dir, tmp_path, change, says):
    """Bug caught: a check loosened (an int id that a study would pair with the string '7', more
    audio paths than placeholders, a conversation nobody asked, a task type that is a number)."""
    path = write_lines(tmp_path / "bad.jsonl", [good_line(toy_dir, **change)])
    with pytest.raises(dataset.DataError, match=r"bad\.jsonl:1: " + says):
        dataset.load_samples(path, codec.encode)


def test_a_manifest_that_is_not_an_object_is_one_line(tmp_path):
    """Bug caught: a manifest holding a JSON list ending in an AttributeError traceback."""
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(dataset.DataError, match="manifest.json: unreadable manifest"):
        dataset.check_toy_world(str(tmp_path))


def test_missing_wav_names_sample_and_path(toy_dir, tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [good_line(toy_dir, id="s-1", audios=["nowhere/q.wav"])])
    with pytest.raises(dataset.DataError, match=r"sample s-1: cannot read audio .*nowhere/q\.wav"):
        dataset.load_samples(path, codec.encode)


def test_unreadable_wav_names_sample_and_path(toy_dir, tmp_path):
    (tmp_path / "junk.wav").write_bytes(b"RIFF not really")
    path = write_lines(tmp_path / "bad.jsonl", [good_line(toy_dir, id="s-2", audios=[str(tmp_path / "junk.wav")])])
    with pytest.raises(dataset.DataError, match=r"sample s-2: cannot read audio .*junk\.wav"):
        dataset.load_samples(path, codec.encode)


def test_skip_bad_counts_what_it_skips(toy_dir, tmp_path):
    path = write_lines(tmp_path / "mixed.jsonl", [good_line(toy_dir), "{oops", good_line(toy_dir, id="x", audios=["no.wav"])])
    said = []
    kept = dataset.load_samples(path, codec.encode, skip_bad=True, log=said.append)
    assert len(kept) == 1
    assert any("skipped 2 bad sample(s), kept 1" in line for line in said)


def test_paths_are_relative_to_the_jsonl_file(toy_dir):
    s = dataset.load_samples(str(toy_dir / "eval.jsonl"), codec.encode, limit=2)
    assert len(s) == 2 and s[0].question_codes[0].size > 0


def test_answer_matches():
    assert dataset.answer_matches("3 plus 4 is 7", "7")
    assert dataset.answer_matches("you said blue sky", "blue sky")
    assert not dataset.answer_matches("3 plus 4 is 17", "7")
    assert not dataset.answer_matches("", "7")


def test_official_release_jsonl_shape_loads_unchanged(tmp_path):
    """Bug: the official release's example lines (no `id`, a `task_type`, system prompt in the
    messages or not) were refused with "missing field 'id'". Written here in exactly that
    shape with our own content: ids come from the line, task_type is kept and honoured (a
    non-s2s line is skipped and counted, as the official loader keeps only s2s by default),
    question_text may be absent (the user text is used)."""
    import numpy as np
    import soundfile as sf
    (tmp_path / "audio").mkdir()
    for name in ("q.wav", "a.wav"):
        sf.write(tmp_path / "audio" / name, np.zeros(1600, dtype=np.float32), 16000)
    lines = [
        {"messages": [{"role": "system", "content": "You are a calm helper."},
                      {"role": "user", "content": "Answer briefly.\n\n<|audio|>"}],
         "audios": ["audio/q.wav"], "sft_target_text": "Fine, thanks.", "sft_target_audio": "audio/a.wav",
         "task_type": "s2s", "question_text": "How are you?"},
        {"messages": [{"role": "user", "content": "Say it back.\n\n<|audio|>"}],
         "audios": ["audio/q.wav"], "sft_target_text": "Back.", "sft_target_audio": "audio/a.wav",
         "task_type": "s2s"},
        {"messages": [{"role": "user", "content": "<|audio|>"}], "audios": ["audio/q.wav"],
         "sft_target_text": "hello", "task_type": "asr", "question_text": "transcribe"},
    ]
    path = tmp_path / "sample_rl_sft.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    logged = []
    samples = dataset.load_samples(str(path), codec.encode, need_target=True, log=logged.append)
    assert [s.id for s in samples] == ["sample_rl_sft.jsonl:1", "sample_rl_sft.jsonl:2"]
    assert [s.task_type for s in samples] == ["s2s", "s2s"]
    assert samples[0].question_text == "How are you?" and samples[1].question_text == "Say it back."
    assert samples[0].target_text == "Fine, thanks." and len(samples[0].target_codes) >= 0
    assert any("asr" in line and "skipped 1" in line for line in logged)
    every = dataset.load_samples(str(path), codec.encode, task_types=None, log=logged.append)
    assert [s.task_type for s in every] == ["s2s", "s2s", "asr"]


def test_official_default_system_prompt_for_vita_prompts():
    """The official loader inserts its system message when a sample has none; ours (for
    --model vita, real.HFTokenizer) uses the same text by default."""
    import real
    assert dataset.OFFICIAL_SYSTEM_PROMPT == "You are Luke, the voice AI assistant. You can speak and listen."
    assert real.HFTokenizer.__init__.__defaults__[-1] == dataset.OFFICIAL_SYSTEM_PROMPT


def test_prepare_into_a_place_it_cannot_write_ends_with_one_line(tmp_path, monkeypatch, capsys):
    """`data/prepare.py --out DIR` where DIR cannot be made (under a file). Bug caught: a
    traceback from os.makedirs (train.py then printed its own) instead of one line naming --out."""
    import data.prepare as prep
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "toy"
    monkeypatch.setattr("sys.argv", ["prepare.py", "--out", str(out)])
    with pytest.raises(SystemExit) as stop:
        prep.main()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "--out" in last and str(out) in last


# ---------------------------------------------------------------- the codes cache

def counting_encoder(fingerprint):
    """The toy codec's encode, counting its calls, with a fingerprint of our choosing."""
    calls = []

    def encode(wave, rate):
        calls.append(rate)
        return codec.encode(wave, rate)
    encode.fingerprint = fingerprint
    return encode, calls


@pytest.fixture()
def data_copy(toy_dir, tmp_path):
    """A private copy of the toy split (the tests rewrite its WAVs and its cache)."""
    import shutil
    out = tmp_path / "toy"
    shutil.copytree(toy_dir, out, ignore=shutil.ignore_patterns(".codes"))
    return out


def same_codes(a, b):
    pairs = list(zip(a.question_codes, b.question_codes)) + [(a.target_codes, b.target_codes)]
    return all(x.dtype == y.dtype and x.shape == y.shape and (x == y).all() for x, y in pairs)


def wav_count(split):
    """The WAVs a split's lines name: each question's, and each SFT target's."""
    records = [json.loads(line) for line in open(split)]
    return sum(len(r["audios"]) + bool(r.get("sft_target_audio")) for r in records)


def test_codes_cache_spares_the_second_load_its_encoding_and_gives_the_same_codes(data_copy):
    """Bug caught: a cache that is written but never read (or never written), or that hands
    back other codes or another dtype than encoding does."""
    encode, calls = counting_encoder("a")
    n = wav_count(data_copy / "eval.jsonl")
    first = dataset.load_samples(str(data_copy / "eval.jsonl"), encode)
    assert len(calls) == n and len(first) == 12
    again = dataset.load_samples(str(data_copy / "eval.jsonl"), encode)
    assert len(calls) == n                                    # nothing encoded the second time
    assert all(same_codes(a, b) for a, b in zip(first, again))
    dataset.load_samples(str(data_copy / "eval.jsonl"), encode, codes_cache=False)
    assert len(calls) == 2 * n                                # off: every WAV encoded


def shared_by_two_ranks(split, **kwargs):
    """dataset.encode_shared on two ranks, as two threads meeting at a real barrier -> each rank's
    (encoded here, missing in all) and the WAVs each encoder was called on."""
    import threading
    barrier, results, encoders = threading.Barrier(2, timeout=60), {}, [counting_encoder("a") for _ in range(2)]

    def rank(r):
        results[r] = dataset.encode_shared(str(split), encoders[r][0], r, 2, barrier.wait, **kwargs)
    threads = [threading.Thread(target=rank, args=(r,)) for r in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[r] for r in range(2)], [len(encoders[r][1]) for r in range(2)]


def refusing_encoder(fingerprint):
    def encode(wave, rate):
        raise AssertionError("encoded again: the cache should have held it")
    encode.fingerprint = fingerprint
    return encode


def test_ranks_encode_a_new_split_once_between_them_and_every_rank_then_reads_it_cached(data_copy):
    """Under torchrun each rank encodes half of a split's WAVs, and afterwards the cache holds all of
    them with the codes a single process gets, with no part file left behind; a second run encodes
    nothing. Bugs caught: every rank encoding the whole split (the slice ignored), a rank's part not
    merged (its WAVs encoded again by load_samples: the refusing encoder fails), parts left in
    .codes, or the merge keyed so that codes land on another WAV (compared with a plain load)."""
    split = data_copy / "eval.jsonl"
    n = wav_count(split)
    shares, calls = shared_by_two_ranks(split)
    assert sum(calls) == n and abs(calls[0] - calls[1]) <= 1
    assert shares == [(calls[0], n), (calls[1], n)]
    assert os.listdir(data_copy / ".codes") == ["eval.jsonl.npz"]
    cached = dataset.load_samples(str(split), refusing_encoder("a"))
    plain = dataset.load_samples(str(split), codec.encode, codes_cache=False)
    assert len(cached) == 12 and all(same_codes(a, b) for a, b in zip(cached, plain))
    assert shared_by_two_ranks(split) == ([(0, 0), (0, 0)], [0, 0])
    one_rank, calls = counting_encoder("b")
    assert dataset.encode_shared(str(split), one_rank, 0, 1, lambda: None) == (0, 0) and calls == []


def test_a_part_file_already_gone_does_not_stop_rank_0_between_the_barriers(data_copy, monkeypatch):
    """Bug caught (a review): rank 0 removing a part file another job on the same data had just merged
    and removed raised FileNotFoundError between the two barriers, so the other ranks waited at the
    second one for ever (NCCL's timeout)."""
    def gone(path):
        raise FileNotFoundError(path)
    monkeypatch.setattr(dataset.os, "remove", gone)
    shares, calls = shared_by_two_ranks(data_copy / "eval.jsonl")
    assert sum(calls) == wav_count(data_copy / "eval.jsonl") and shares[0][1] == sum(calls)


def test_a_bad_wav_in_a_rank_share_is_left_for_the_loader_to_name_and_the_limit_is_kept(data_copy):
    """A WAV that cannot be read is passed over by the share (raising there would leave the other
    ranks waiting at the barrier for ever) and load_samples names its sample as before; with a limit
    only the first records' WAVs are encoded. Bugs caught: the share raising; the limit ignored
    (a --max-train-samples 8 run encoding a 100,000-line split)."""
    split = data_copy / "train.jsonl"
    records = [json.loads(line) for line in open(split)]
    (data_copy / records[1]["audios"][0]).write_bytes(b"not a wav")
    shares, calls = shared_by_two_ranks(split, limit=3)
    wavs = sum(len(r["audios"]) + bool(r.get("sft_target_audio")) for r in records[:3])
    assert shares[0][1] == wavs and sum(calls) == wavs - 1        # the unreadable one never reaches encode
    with pytest.raises(dataset.DataError, match=f"sample {records[1]['id']}: cannot read audio"):
        dataset.load_samples(str(split), refusing_encoder("a"), limit=3)
    kept = dataset.load_samples(str(split), refusing_encoder("a"), limit=1)
    assert len(kept) == 1


def test_codes_cache_encodes_a_rewritten_wav_again(data_copy):
    """A WAV rewritten since (data/prepare.py run again with other flags) is encoded again.
    Bug caught: entries keyed on the path alone, so a run trains on the old file's codes."""
    encode, calls = counting_encoder("a")
    first = dataset.load_samples(str(data_copy / "eval.jsonl"), encode)
    record = json.loads(open(data_copy / "eval.jsonl").readline())
    wav = data_copy / record["audios"][0]
    new, rate = codec.decode(codec.speak("hello there", "loudly"))
    import soundfile
    soundfile.write(str(wav), new, rate, subtype="FLOAT")
    os.utime(wav, ns=(1, 1))       # a modification time no earlier write can share
    again = dataset.load_samples(str(data_copy / "eval.jsonl"), encode)
    assert len(calls) == wav_count(data_copy / "eval.jsonl") + 1      # that one WAV, no other
    assert (again[0].question_codes[0] == codec.encode(new, rate)).all()
    assert not same_codes(first[0], again[0]) and all(same_codes(a, b) for a, b in zip(first[1:], again[1:]))


def test_codes_cache_of_another_encoder_is_not_used(data_copy):
    """Bug caught: the fingerprint not compared, so codes of an edited codec.py (or another
    model's tokenizer) are read as this one's."""
    encode_a, calls_a = counting_encoder("a")
    encode_b, calls_b = counting_encoder("b")
    dataset.load_samples(str(data_copy / "eval.jsonl"), encode_a)
    dataset.load_samples(str(data_copy / "eval.jsonl"), encode_b)
    assert len(calls_a) == len(calls_b) == wav_count(data_copy / "eval.jsonl")


def test_a_broken_codes_cache_is_rebuilt_and_an_unwritable_one_skipped(data_copy, monkeypatch):
    """Bug caught: a truncated cache file (a run killed while writing it, or a disk full) ends
    every later load in a traceback; a read-only data directory does too, or leaves its
    temporary file behind."""
    encode, calls = counting_encoder("a")
    n = wav_count(data_copy / "eval.jsonl")
    dataset.load_samples(str(data_copy / "eval.jsonl"), encode)
    cache = data_copy / ".codes" / "eval.jsonl.npz"
    cache.write_bytes(cache.read_bytes()[:100])
    assert len(dataset.load_samples(str(data_copy / "eval.jsonl"), encode)) == 12 and len(calls) == 2 * n
    dataset.load_samples(str(data_copy / "eval.jsonl"), encode)
    assert len(calls) == 2 * n                                # rewritten whole
    cache.unlink()

    def refuse(*_):
        raise PermissionError("read-only file system")
    monkeypatch.setattr(os, "replace", refuse)
    assert len(dataset.load_samples(str(data_copy / "eval.jsonl"), encode)) == 12
    assert os.listdir(data_copy / ".codes") == []


def test_codes_cache_keeps_the_toy_codec_and_only_a_fingerprinted_encoder(data_copy):
    """The models' toy codec carries a fingerprint, so train.py's loads are cached; an encoder
    without one (a real checkpoint's tokenizer) is not. Bug caught: the fingerprint lost where
    model.py re-exports encode (every run encodes again, silently)."""
    import model
    dataset.load_samples(str(data_copy / "eval.jsonl"), lambda wave, rate: codec.encode(wave, rate))
    assert not (data_copy / ".codes").exists()
    dataset.load_samples(str(data_copy / "eval.jsonl"), model.build_model("tiny-kimi").codec.encode)
    assert (data_copy / ".codes" / "eval.jsonl.npz").exists()


def test_glm4voice_codes_are_cached_while_its_tokenizer_files_stay_the_same(data_copy, tmp_path):
    """A real checkpoint's codec (GLM4VoiceCodec, its Whisper-VQ encoder stood in by one that
    counts its windows) is cached like the toy codec: the second load of a split runs no encoder,
    with the same codes; new tokenizer weights (another size) change glm4voice.encoder_fingerprint,
    and every WAV is encoded again. Bug caught: the codec's fingerprint not found on its bound
    encode (every rank of every run encoding the whole split with Whisper-VQ again), or kept
    across a tokenizer change (a run on another tokenizer's codes)."""
    import types
    import numpy as np
    import torch
    from transformers import WhisperFeatureExtractor
    import glm4voice

    class Counting:
        conv1, conv2 = types.SimpleNamespace(stride=(1,)), types.SimpleNamespace(stride=(2,))
        config = types.SimpleNamespace(pooling_kernel_size=4)
        windows = 0

        def __call__(self, input_features, attention_mask):
            Counting.windows += 1
            return types.SimpleNamespace(quantized_token_ids=(torch.arange(input_features.shape[-1] // 8) % 7)[None])
    tokenizer = tmp_path / "glm-4-voice-tokenizer"
    tokenizer.mkdir()
    (tokenizer / "config.json").write_text("{}")
    (tokenizer / "model.safetensors").write_bytes(b"\0" * 64)
    glm = object.__new__(glm4voice.GLM4VoiceCodec)
    glm.encoder, glm.features, glm.device = Counting(), WhisperFeatureExtractor(), torch.device("cpu")
    glm.fingerprint = glm4voice.encoder_fingerprint(str(tokenizer))
    split, n = str(data_copy / "eval.jsonl"), wav_count(data_copy / "eval.jsonl")
    first = dataset.load_samples(split, glm.encode)
    assert Counting.windows == n and (data_copy / ".codes" / "eval.jsonl.npz").exists()
    again = dataset.load_samples(split, glm.encode)
    assert Counting.windows == n and all(same_codes(a, b) for a, b in zip(first, again))
    assert np.concatenate(first[0].question_codes).max() < 7          # the stand-in's codes, not the toy codec's
    (tokenizer / "model.safetensors").write_bytes(b"\0" * 65)
    glm.fingerprint = glm4voice.encoder_fingerprint(str(tokenizer))
    dataset.load_samples(split, glm.encode)
    assert Counting.windows == 2 * n


def test_codes_cache_is_dropped_when_prepare_rewrites_the_data(tmp_path):
    """data/prepare.py into a folder a run has loaded: the old codes go with the old WAVs. Bug
    caught: on a filesystem whose clock is coarse a rewritten WAV of the same length keeps its
    size and time stamp, and a run would train on the old data's codes."""
    prepare(str(tmp_path), n_train=4, n_eval=2, seed=0, n_eval_extra=0)
    dataset.load_samples(str(tmp_path / "eval.jsonl"), codec.encode)
    assert (tmp_path / ".codes" / "eval.jsonl.npz").exists()
    prepare(str(tmp_path), n_train=4, n_eval=2, seed=1, n_eval_extra=0)
    assert not (tmp_path / ".codes").exists()


def test_limit_zero_reads_no_sample(toy_dir):
    """catches: `limit` tested for truth (`if limit and ...`): limit=0 would read and encode the whole split instead of
    none, and the call would return every sample."""
    encoded = []

    def encode(wave, rate):
        encoded.append(rate)
        return codec.encode(wave, rate)

    with pytest.raises(dataset.DataError, match="eval.jsonl: no usable samples"):
        dataset.load_samples(str(toy_dir / "eval.jsonl"), encode, limit=0)
    assert encoded == []


def test_a_line_without_task_type_is_kept(toy_dir, tmp_path):
    """catches: a line with no `task_type` counted as a task type outside the kept ones (None is not "s2s"), so a
    file in the official schema without the optional field loads nothing."""
    record = json.loads(good_line(toy_dir, id="plain"))
    del record["task_type"]
    said = []
    kept = dataset.load_samples(write_lines(tmp_path / "plain.jsonl", [json.dumps(record)]), codec.encode,
                                log=said.append)
    assert [s.id for s in kept] == ["plain"] and kept[0].task_type is None and said == []


def test_skip_bad_names_the_first_five_bad_lines_then_only_counts_them(toy_dir, tmp_path):
    """catches: the cap on "skipping:" messages off by one (4 or 6 of them for 8 bad lines), or no cap at all."""
    path = write_lines(tmp_path / "bad.jsonl", [good_line(toy_dir)] + ["{oops"] * 8)
    said = []
    kept = dataset.load_samples(path, codec.encode, skip_bad=True, log=said.append)
    named = [line for line in said if line.startswith("skipping:")]
    assert len(kept) == 1 and len(named) == 5
    assert all(f"bad.jsonl:{n}: not valid JSON" in line for n, line in zip(range(2, 7), named))
    assert any("skipped 8 bad sample(s), kept 1" in line for line in said)


def test_an_empty_reference_matches_no_reply():
    """catches: the empty-reference guard dropped: the last zero words of an empty reply equal an empty reference, so
    eval.py (which passes "" for a sample without a reference) would count an empty reply as the exact answer."""
    assert not dataset.answer_matches("", "")
    assert not dataset.answer_matches("...", "?!")          # both empty once punctuation is dropped
    assert not dataset.answer_matches("3 plus 4 is 7", "")


def prepare_pair(tmp_path, **kw):
    """The same seed prepared with the default flaws and with none: (flawed train, clean train)."""
    from data.prepare import FLAWS
    flawed, _ = prepare(str(tmp_path / "flawed"), **kw)
    clean, _ = prepare(str(tmp_path / "clean"), flaws={k: 0.0 for k in FLAWS}, **kw)
    return flawed, clean


def test_a_cut_demonstration_ends_where_its_answer_began(tmp_path):
    """catches: the cut target keeping the space before the answer it lost ("3 plus 4 is "): the clean sentence is the
    lead-in, one space and the answer, so the cut one is the lead-in alone."""
    flawed, clean = prepare_pair(tmp_path, n_train=30, n_eval=2, seed=1, n_eval_extra=0)
    cut = [(f, c) for f, c in zip(flawed, clean) if f["demo_flaw"] == "incomplete"]
    assert len(cut) == 12                                         # 40% of 30
    for f, c in cut:
        assert f["question_text"] == c["question_text"]
        assert f["sft_target_text"] + " " + f["reference"] == c["sft_target_text"], f


def test_a_palindrome_spelled_forwards_is_still_a_wrong_answer():
    """catches: the palindrome guard dropped: "eye" spelled forwards is "eye", so a demonstration flawed "wrong" would
    give the right answer."""
    from data.prepare import WORDS, wrong_answer
    palindromes = [w for w in WORDS if w == w[::-1]]
    assert palindromes                                            # "eye"
    for w in palindromes:
        bad = wrong_answer("backwards", f"spell {w} backwards", w, f"{w} backwards is {w}", random.Random(0))
        assert bad.startswith(f"{w} backwards is ") and not dataset.answer_matches(bad, w), bad
        assert not dataset.stops_before_answer(bad)               # a wrong answer, not a cut one


def test_the_flaws_leave_the_held_out_questions_drawn_after_them_alone(tmp_path):
    """catches: the flaws drawn from the question stream (`flaw_rng = rng`): a wrong answer's draws would move every
    held-out question drawn after the training set, so the flaw shares would change the eval split."""
    prepare_pair(tmp_path, n_train=30, n_eval=2, seed=1, n_eval_extra=10)
    held = [(tmp_path / d / "eval.jsonl").read_text().splitlines() for d in ("flawed", "clean")]
    assert len(held[0]) == 12 and held[0] == held[1]


def _tokenizer(tmp_path):
    d = tmp_path / "tok"
    d.mkdir()
    (d / "config.json").write_text("{}")
    (d / "model.safetensors").write_bytes(b"\0" * 64)
    os.utime(d / "model.safetensors", ns=(10**18, 10**18))
    return d


def test_the_fingerprint_follows_each_files_size_time_and_name_and_encodes_source(tmp_path, monkeypatch):
    """Bug caught: one component of encoder_fingerprint dropped (size, mtime, file name,
    encode's source) -> a changed tokenizer or encode reads the old codes."""
    import glm4voice
    d = _tokenizer(tmp_path)
    fp = glm4voice.encoder_fingerprint
    base = fp(str(d))
    weights = d / "model.safetensors"
    weights.write_bytes(b"\0" * 65)                       # another size, the same time stamp
    os.utime(weights, ns=(10**18, 10**18))
    assert fp(str(d)) != base
    weights.write_bytes(b"\1" * 64)                       # the same size, another time stamp
    os.utime(weights, ns=(10**18 + 1, 10**18 + 1))
    assert fp(str(d)) != base
    os.utime(weights, ns=(10**18, 10**18))
    assert fp(str(d)) == base                             # (the name, size and time are all it reads)
    os.rename(weights, d / "model-2.safetensors")         # renamed, size and time kept
    assert fp(str(d)) != base
    os.rename(d / "model-2.safetensors", weights)
    assert fp(str(d)) == base

    def other_encode(self, wave, rate):                  # encode's windowing rules edited
        return None
    monkeypatch.setattr(glm4voice.GLM4VoiceCodec, "encode", other_encode)
    assert fp(str(d)) != base


def _cache_with_one_entry(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    wav = folder / "a.wav"
    wav.write_bytes(b"x" * 10)
    os.utime(wav, ns=(10**18, 10**18))
    c = dataset.CodesCache(str(folder / "eval.jsonl"), "fp")
    c.put(str(wav), np.array([1, 2, 3]))
    c.save()
    return folder, wav


def test_a_cache_entry_needs_both_the_size_and_the_time_stamp(tmp_path):
    """An entry is used only while its WAV has both the size and the time stamp it was encoded at.
    Bug caught: a check of the size alone, or of the time stamp alone (a re-recorded WAV read as the old)."""
    folder, wav = _cache_with_one_entry(tmp_path)
    reopen = lambda: dataset.CodesCache(str(folder / "eval.jsonl"), "fp")   # noqa: E731
    assert reopen().get(str(wav)).tolist() == [1, 2, 3]
    wav.write_bytes(b"y" * 10)                  # same size, new time stamp: a size-only check hands back [1, 2, 3]
    os.utime(wav, ns=(10**18 + 1, 10**18 + 1))
    assert reopen().get(str(wav)) is None
    wav.write_bytes(b"y" * 11)                  # new size, the old time stamp: a time-only check hands it back
    os.utime(wav, ns=(10**18, 10**18))
    assert reopen().get(str(wav)) is None


def test_a_cache_moved_with_its_data_directory_still_hits(tmp_path):
    """Bug caught: entries keyed on the absolute path."""
    folder, _ = _cache_with_one_entry(tmp_path)
    moved = tmp_path / "moved"
    shutil.move(str(folder), str(moved))                  # a rename: sizes and time stamps kept
    c = dataset.CodesCache(str(moved / "eval.jsonl"), "fp")
    assert c.get(str(moved / "a.wav")).tolist() == [1, 2, 3]


def test_a_save_that_fails_midway_leaves_the_old_cache_whole(tmp_path, monkeypatch):
    """Bug caught: the cache written in place (no temporary file) -> a failed write truncates it
    and the cleanup removes it."""
    folder, wav = _cache_with_one_entry(tmp_path)
    path = folder / ".codes" / "eval.jsonl.npz"
    before = path.read_bytes()
    c = dataset.CodesCache(str(folder / "eval.jsonl"), "fp")
    other = folder / "b.wav"
    other.write_bytes(b"z")
    c.put(str(other), np.array([4]))

    def half_write(f, **_):
        f.write(b"PK")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", half_write)
    c.save()
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert dataset.CodesCache(str(folder / "eval.jsonl"), "fp").get(str(wav)).tolist() == [1, 2, 3]
