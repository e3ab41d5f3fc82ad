"""The tiny models: schedules, Eq. 1's masks, log-probs against a naive loop, save/load."""
import numpy as np
import pytest
import torch

import codec
import model as M
from conftest import micro_model

TOK = M.ToyTokenizer()
V = TOK.vocab


def text_ids(s):
    return TOK.encode_text(s)


def code_ids(codes):
    return [V.audio_offset + c for c in codes]


def test_interleaved_layout_masks_and_slots_on_a_hand_built_reply():
    m = M.build_model("tiny-vita", schedule=[2, 5, 1, 4], config_overrides={"num_hidden_layers": 1})
    codes = [10, 11, 12, 13, 14]
    reply = m.target("abc", codes)
    a, b, c = text_ids("abc")
    c1, c2, c3, c4, c5 = code_ids(codes)
    expected = [a, b, V.boa, c1, c2, c3, V.eoa, c, V.boa, c4, c5, V.eoa, V.boa, V.eoa, V.eos]
    assert reply[:, 0].tolist() == expected
    slots = m.slots_for(reply[None])[0, :, 0].tolist()
    assert slots == [M.TEXT, M.TEXT, M.FORCE_BOA, M.CODE, M.CODE, M.CODE, M.FORCE_EOA, M.TEXT, M.FORCE_BOA,
                     M.CODE, M.CODE, M.FORCE_EOA, M.TEXT, M.CODE_OR_EOA, M.FORCE_EOS]
    masks = {k: v[0, :, 0].tolist() for k, v in m.masks(reply[None], m.slots_for(reply[None])).items()}
    early = 12                                      # the <boa> chosen in a text slot: it ends the text
    is_text = [t in (a, b, c, V.eos) or i == early for i, t in enumerate(expected)]
    is_speech = [not x for x in is_text]            # codes and the scheduled markers
    assert masks["text"] == is_text and masks["speech"] == is_speech
    assert all(masks["completion"])
    assert masks["sampled"] == [s in (M.TEXT, M.CODE, M.CODE_OR_EOA) for s in slots]
    no_markers = m.masks(reply[None], m.slots_for(reply[None]), include_audio_boundaries=False)
    markers = [t in (V.boa, V.eoa) and i != early for i, t in enumerate(expected)]
    assert no_markers["text"][0, :, 0].tolist() == is_text
    assert no_markers["speech"][0, :, 0].tolist() == [s and not k for s, k in zip(is_speech, markers)]
    assert not (no_markers["text"] & no_markers["speech"]).any()


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_the_token_that_ends_the_text_is_text_in_both_architectures(name):
    """The chosen rule: the decision to stop talking (tiny-vita's early <boa>, tiny-kimi's <eot>) is a
    text token the policy samples, so text-only GRPO credits it; a scheduled <boa> is a speech marker.
    Bug caught: the interleaved early <boa> counted as speech (the official boundary rule) while the
    parallel <eot> is text, so the two architectures' text-only rows would mean different things."""
    m = M.build_model(name, schedule=[2, 5, 1, 4] if name == "tiny-vita" else None,
                      config_overrides={"num_hidden_layers": 1})
    reply = m.target("abc", [10, 11, 12, 13, 14])[None]
    masks = m.masks(reply, m.slots_for(reply))
    stop = V.boa if name == "tiny-vita" else V.text_eos
    text_stream = reply[0, :, 0]
    if name == "tiny-vita":          # layout a b <boa> c c c <eoa> c <boa> c c <eoa> <boa> <eoa> <eos>: the last <boa>
        where = [i for i, t in enumerate(text_stream.tolist()) if t == stop][-1]
        forced = [i for i, t in enumerate(text_stream.tolist()) if t == stop][:-1]
        assert all(masks["speech"][0, i, 0] and not masks["sampled"][0, i, 0] for i in forced)
    else:
        where = text_stream.tolist().index(stop)
    for include in (True, False):
        mk = m.masks(reply, m.slots_for(reply), include_audio_boundaries=include)
        assert mk["text"][0, where, 0] and not mk["speech"][0, where, 0] and mk["sampled"][0, where, 0]


def chunks(tokens):
    """Split an interleaved reply into (text chunk length, codes in the audio chunk) pairs."""
    out, text, i = [], 0, 0
    while i < len(tokens):
        if tokens[i] == V.boa:
            j = tokens.index(V.eoa, i)
            out.append((text, j - i - 1))
            text, i = 0, j + 1
        elif tokens[i] == V.eos:
            break
        else:
            text, i = text + 1, i + 1
    return out


def test_vita_audio_schedule_1_10_4_10_chunk_pattern():
    m = M.build_model("tiny-vita", schedule=[1, 10, 4, 10], config_overrides={"num_hidden_layers": 1})
    reply = m.target("abcdefghij", list(range(30)))[:, 0].tolist()
    # 1 text, 8 codes; then 4 text, 8 codes repeating; the text runs out in the 4th chunk,
    # so the final chunk takes the one text token left and every remaining code
    assert chunks(reply) == [(1, 8), (4, 8), (4, 8), (1, 6)]
    assert reply[-1] == V.eos


def test_parallel_layout_masks_and_slots_on_a_hand_built_reply():
    m = M.build_model("tiny-kimi", audio_delay=2, config_overrides={"num_hidden_layers": 1})
    codes = [10, 11, 12]
    reply = m.target("ab", codes)
    a, b = text_ids("ab")
    assert reply[:, 0].tolist() == [a, b, V.text_eos, V.blank, V.blank, V.blank]
    assert reply[:, 1].tolist() == [V.blank, V.blank] + code_ids(codes) + [V.eoa]
    slots = m.slots_for(reply[None])[0]
    assert slots[:, 0].tolist() == [M.TEXT_OR_EOT] * 3 + [M.FORCE_BLANK] * 3
    assert slots[:, 1].tolist() == [M.FORCE_BLANK] * 2 + [M.CODE_OR_EOA] * 4
    masks = m.masks(reply[None], slots[None])
    assert masks["text"][0, :, 0].all() and not masks["text"][0, :, 1].any()
    assert masks["speech"][0, :, 1].all() and not masks["speech"][0, :, 0].any()
    assert masks["sampled"][0].tolist() == [[True, False], [True, False], [True, True],
                                            [False, True], [False, True], [False, True]]
    no_markers = m.masks(reply[None], slots[None], include_audio_boundaries=False)
    assert no_markers["speech"][0, :, 1].tolist() == [True] * 5 + [False]      # <eoa> is in neither
    assert not no_markers["text"][0, :, 1].any()


def test_parallel_layout_pads_speech_that_ends_before_the_text():
    m = M.build_model("tiny-kimi", audio_delay=1, config_overrides={"num_hidden_layers": 1})
    reply = m.target("abcd", [5])
    assert reply.shape[0] == 5 and reply[-1, 1] == V.eoa
    assert reply[2:4, 1].tolist() == [V.audio_offset + codec.PAUSE] * 2


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_masks_are_disjoint_and_inside_completion(name, samples):
    m = micro_model(name)
    replies = M.pad_right([m.target(s.target_text, s.target_codes) for s in samples[:8]], V.pad)
    masks = m.masks(replies, m.slots_for(replies))
    assert not (masks["text"] & masks["speech"]).any()
    assert not ((masks["text"] | masks["speech"]) & ~masks["completion"]).any()
    assert not (masks["sampled"] & ~masks["completion"]).any()


def naive_logprobs(m, prompt, reply, slots):
    """Position by position: run the model on the bare prefix, restrict to the slot, pick."""
    out = torch.zeros(reply.shape)
    with torch.no_grad():
        for t in range(reply.shape[0]):
            prefix = torch.cat([prompt, reply[:t]])[None]
            logits, _ = m(prefix, torch.ones(1, prefix.shape[1], dtype=torch.long))
            for k in range(reply.shape[1]):
                z = logits[0, -1, k].masked_fill(~m.allowed[slots[t, k]], float("-inf"))
                out[t, k] = torch.log_softmax(z, -1)[reply[t, k]]
    return out


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_batched_logprobs_equal_a_naive_loop(name, samples):
    m = micro_model(name).eval()
    chosen = [samples[0], samples[5], samples[9]]          # different prompt and reply lengths
    prompts, pmask = m.sample_prompt_batch(chosen)
    replies = M.pad_right([m.target(s.target_text, s.target_codes) for s in chosen], V.pad)
    slots = m.slots_for(replies)
    with torch.no_grad():
        batched = M.reply_logprobs(m, prompts, pmask, replies, slots)
    completion = slots != M.PAD_SLOT
    for i, s in enumerate(chosen):
        n = int(completion[i, :, 0].sum())
        naive = naive_logprobs(m, m.prompt(s), replies[i, :n], slots[i, :n])
        torch.testing.assert_close(batched[i, :n], naive, atol=1e-5, rtol=1e-5)
        forced = ~(m.allowed.sum(1)[slots[i, :n]] > 1)
        assert (batched[i, :n][forced] == 0).all()         # a forced token is certain


def test_per_row_temperature_matches_separate_calls(samples):
    m = micro_model("tiny-vita").eval()
    prompts, pmask = m.sample_prompt_batch(samples[:2])
    replies = M.pad_right([m.target(s.target_text, s.target_codes) for s in samples[:2]], V.pad)
    slots = m.slots_for(replies)
    with torch.no_grad():
        both = M.reply_logprobs(m, prompts, pmask, replies, slots, torch.tensor([0.5, 2.0]))
        first = M.reply_logprobs(m, prompts, pmask, replies, slots, 0.5)
        second = M.reply_logprobs(m, prompts, pmask, replies, slots, 2.0)
    torch.testing.assert_close(both[0], first[0])
    torch.testing.assert_close(both[1], second[1])


def test_a_token_outside_its_slot_scores_minus_infinity():
    allowed = V.allowed_table()
    logits = torch.randn(2, V.size)
    out = M.constrained_logprobs(logits, torch.tensor([M.CODE, M.TEXT]),
                                 torch.tensor([V.text_lo, V.audio_offset]), allowed)
    assert torch.isinf(out).all() and (out < 0).all()


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_save_then_load_restores_the_exact_model(name, samples, tmp_path):
    m = micro_model(name, seed=3).eval()
    m.save(str(tmp_path))
    loaded = M.load_model(str(tmp_path)).eval()
    assert loaded.spec == m.spec
    prompts, pmask = m.sample_prompt_batch(samples[:4])
    replies = M.pad_right([m.target(s.target_text, s.target_codes) for s in samples[:4]], V.pad)
    slots = m.slots_for(replies)
    with torch.no_grad():
        torch.testing.assert_close(M.reply_logprobs(loaded, prompts, pmask, replies, slots),
                                   M.reply_logprobs(m, prompts, pmask, replies, slots), atol=0, rtol=0)


def test_split_recovers_text_and_speech(samples):
    for name in ("tiny-vita", "tiny-kimi"):
        m = micro_model(name)
        s = samples[0]
        text, codes = m.split(m.target(s.target_text, s.target_codes))
        assert text == s.target_text
        np.testing.assert_array_equal(codes[:len(s.target_codes)], s.target_codes)


def test_bad_schedules_are_rejected():
    with pytest.raises(ValueError, match="schedule"):
        M.build_model("tiny-vita", schedule=[4, 2])
    with pytest.raises(ValueError, match="unknown model"):
        M.build_model("tiny-gpt")
