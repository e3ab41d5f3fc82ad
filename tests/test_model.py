"""The tiny models: schedules, Eq. 1's masks, log-probs against a naive loop, save/load."""
import numpy as np
import pytest
import torch

import codec
import grammar
import model as M
from conftest import micro_model

TOK = grammar.ToyTokenizer()
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
    # the text ends exactly with the second chunk: no empty third chunk (VITA-Audio's layout)
    expected = [a, b, V.boa, c1, c2, c3, V.eoa, c, V.boa, c4, c5, V.eoa, V.eos]
    assert reply[:, 0].tolist() == expected
    slots = m.slots_for(reply[None])[0, :, 0].tolist()
    # after a full text chunk the audio chunk may end early (final) or run on (final), so
    # every code after its first is a choice; after a full audio chunk <eos> may close the reply
    assert slots == [grammar.TEXT, grammar.TEXT, grammar.FORCE_BOA, grammar.CODE, grammar.CODE_OR_EOA, grammar.CODE_OR_EOA, grammar.CODE_OR_EOA,
                     grammar.TEXT_OR_EOS, grammar.FORCE_BOA, grammar.CODE, grammar.CODE_OR_EOA, grammar.CODE_OR_EOA, grammar.TEXT_OR_EOS]
    masks = {k: v[0, :, 0].tolist() for k, v in m.masks(reply[None], m.slots_for(reply[None])).items()}
    early = 12                                      # the <boa> chosen in a text slot: it ends the text
    is_text = [t in (a, b, c, V.eos) or i == early for i, t in enumerate(expected)]
    is_speech = [not x for x in is_text]            # codes and the scheduled markers
    assert masks["text"] == is_text and masks["speech"] == is_speech
    assert all(masks["completion"])
    assert masks["sampled"] == [s in (grammar.TEXT, grammar.CODE, grammar.CODE_OR_EOA, grammar.TEXT_OR_EOS) for s in slots]
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
    # tiny-vita lays "a" out as a <boa> c c c c c <eoa> <eos>: the text ends before its first chunk is full
    reply = m.target("a" if name == "tiny-vita" else "abc", [10, 11, 12, 13, 14])[None]
    stop = V.boa if name == "tiny-vita" else V.text_eos
    text_stream = reply[0, :, 0]
    if name == "tiny-vita":
        where = text_stream.tolist().index(stop)
        assert m.slots_for(reply)[0, where, 0] == grammar.TEXT      # chosen in a text slot, not scheduled
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


def upstream_layout(text_ids_, codes, schedule):
    """An independent re-statement of VITA-Audio's SFT layout (its text_audio_interval_ratio):
    cut text and codes by the schedule (last pair repeating), keep min(#text, #audio) chunks,
    the last one holding everything left of both; each chunk is text <boa> codes <eoa>."""
    def cut(ids, sizes):
        out = []
        while ids:
            size = sizes[min(len(out), len(sizes) - 1)]
            out.append(ids[:size])
            ids = ids[size:]
        return out
    t = cut(list(text_ids_), schedule[0::2])
    a = cut(list(code_ids(codes)), [x - 2 for x in schedule[1::2]])
    n = min(len(t), len(a))
    t, a = t[:n - 1] + [sum(t[n - 1:], [])], a[:n - 1] + [sum(a[n - 1:], [])]
    return sum((x + [V.boa] + y + [V.eoa] for x, y in zip(t, a)), []) + [V.eos]


@pytest.mark.parametrize("n_text", [8, 9, 10, 11, 12, 13])   # text lengths 0..3 mod 4 past the first chunk
@pytest.mark.parametrize("n_codes", [5, 8, 30, 37])
def test_upstream_layout_is_accepted_and_scores_like_target(n_text, n_codes):
    """Bug: the old target() laid out an extra empty text chunk when the text filled its last
    chunk exactly, and the grammar forced <eoa> after a_c codes, so VITA-Audio's own layout was
    rejected (a forbidden token gets -inf). Here both the toy (silence-padding) grammar and the
    merging one (no silence code, GLM-4-Voice) accept upstream's layout whenever the speech
    covers the text, with the same teacher-forced log-probs as target()."""
    import dataclasses
    schedule = [1, 10, 4, 10]
    text = "abcdefghijklmnopqrstuvwxyz"[:n_text]
    codes = list(range(n_codes))
    for silence in (codec.PAUSE, None):
        m = M.build_model("tiny-vita", schedule=schedule, config_overrides={"num_hidden_layers": 1})
        if silence is None:
            m.vocab = dataclasses.replace(m.vocab, silence_code=None)
            m.grammar = grammar.InterleavedGrammar(m.vocab, schedule)
        ours = m.target(text, codes)
        up = upstream_layout(text_ids(text), codes, schedule)
        covered = 1 + -(-(n_text - 1) // 4) <= -(-n_codes // 8)      # text chunks <= audio chunks
        if not covered and silence is not None:
            continue        # the toy pads silence instead (tested in test_vita_audio_schedule_...)
        assert ours[:, 0].tolist() == up, (n_text, n_codes, silence)
        replies = torch.tensor(up)[None, :, None]
        slots = m.slots_for(replies)
        assert m.allowed[slots, replies].all(), (n_text, n_codes, silence)
        assert slots[0, -1, 0] != grammar.PAD_SLOT and m.split(replies[0])[0] == text
        prompt, mask = m.sample_prompt_batch([type("S", (), {"question_codes": [np.arange(3)],
                                                             "messages": [{"role": "user", "content": "<|audio|>"}]})()])
        with torch.no_grad():
            lp = M.reply_logprobs(m, prompt, mask, replies, slots)
            lp_ours = M.reply_logprobs(m, prompt, mask, ours[None], m.slots_for(ours[None]))
        assert torch.isfinite(lp).all()
        torch.testing.assert_close(lp, lp_ours)


def test_text_outrunning_speech_without_silence_merges_text_and_does_not_raise():
    """Bug: target() raised when the text outran the speech and the codec had no silence code
    (GLM-4-Voice), stopping the run. Now the leftover text joins the final text chunk, as
    upstream does, and the merging grammar accepts it."""
    import dataclasses
    m = M.build_model("tiny-vita", schedule=[1, 10, 4, 10], config_overrides={"num_hidden_layers": 1})
    m.vocab = dataclasses.replace(m.vocab, silence_code=None)
    m.grammar = grammar.InterleavedGrammar(m.vocab, [1, 10, 4, 10])
    reply = m.target("abcdefghijklm", list(range(10)))          # 13 text tokens, 10 codes: 2 audio chunks
    assert chunks(reply[:, 0].tolist()) == [(1, 8), (12, 2)]
    assert m.allowed[m.slots_for(reply[None]), reply[None]].all()


def test_parallel_layout_masks_and_slots_on_a_hand_built_reply():
    m = M.build_model("tiny-kimi", audio_delay=2, config_overrides={"num_hidden_layers": 1})
    codes = [10, 11, 12]
    reply = m.target("ab", codes)
    a, b = text_ids("ab")
    assert reply[:, 0].tolist() == [a, b, V.text_eos, V.blank, V.blank, V.blank]
    assert reply[:, 1].tolist() == [V.blank, V.blank] + code_ids(codes) + [V.eoa]
    slots = m.slots_for(reply[None])[0]
    assert slots[:, 0].tolist() == [grammar.TEXT_OR_EOT] * 3 + [grammar.FORCE_BLANK] * 3
    assert slots[:, 1].tolist() == [grammar.FORCE_BLANK] * 2 + [grammar.CODE_OR_EOA] * 4
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
    completion = slots != grammar.PAD_SLOT
    for i, s in enumerate(chosen):
        n = int(completion[i, :, 0].sum())
        naive = naive_logprobs(m, m.prompt(s), replies[i, :n], slots[i, :n])
        torch.testing.assert_close(batched[i, :n], naive, atol=1e-5, rtol=1e-5)
        forced = ~(m.allowed.sum(1)[slots[i, :n]] > 1)
        assert (batched[i, :n][forced] == 0).all()         # a forced token is certain


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
@pytest.mark.parametrize("checkpointed", [False, True])
def test_rows_sharing_a_prompt_give_each_rows_own_logprobs_and_gradients(name, checkpointed, samples):
    """A hybrid step's forward: two prompts of different lengths, each read by several rows in no
    particular order (G rollouts and an SFT row), replies of different lengths. Oracle: every row
    run alone (no padding, nothing shared). Bugs: the shared KV cache handed to the wrong rows (an
    order assumed), the first reply token predicted from the wrong position, the cache detached
    (the shared prompt's activations get no gradient from the replies), the prompt run per row
    after all; with checkpointing (transformers then drops the cache), replies read with no prompt."""
    import weights
    m = micro_model(name).train()
    if checkpointed:
        weights.enable_grad_checkpoint(m)
    a, b = samples[0], samples[5]
    assert len(m.prompt(a)) != len(m.prompt(b))
    owners = [a, b, a, a, b, b, a]
    prompts, pmask = m.sample_prompt_batch(owners)
    replies = M.pad_right([m.target(s.target_text, s.target_codes) for s in samples[1:8]], V.pad)
    slots = m.slots_for(replies)
    weights = torch.rand(replies.shape, generator=torch.Generator().manual_seed(0))
    runs = []
    inner = m.run
    m.run = lambda tokens, *args, **kw: runs.append(tokens.shape[0]) or inner(tokens, *args, **kw)

    def grads_of(lp):
        m.zero_grad()
        (lp.nan_to_num(neginf=0.0) * weights[:len(lp)]).sum().backward()
        return {k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None}

    shared = M.reply_logprobs(m, prompts, pmask, replies, slots)
    g_shared = grads_of(shared)
    assert runs[0] == (7 if checkpointed else 2)             # the two prompts, once each
    alone, g_alone = [], {}
    for i, s in enumerate(owners):
        n = int((slots[i, :, 0] != grammar.PAD_SLOT).sum())
        p = m.prompt(s)[None]
        lp = M.reply_logprobs(m, p, torch.ones(p.shape[:2], dtype=torch.long), replies[i:i + 1, :n], slots[i:i + 1, :n])
        m.zero_grad()
        (lp.nan_to_num(neginf=0.0) * weights[i:i + 1, :n]).sum().backward()
        for k, p in m.named_parameters():
            if p.grad is not None:
                g_alone[k] = g_alone.get(k, 0) + p.grad
        alone.append(lp[0].detach())
        torch.testing.assert_close(shared[i, :n].detach(), alone[-1], atol=1e-5, rtol=1e-5)
    assert g_shared.keys() == g_alone.keys()
    for k in g_alone:
        torch.testing.assert_close(g_shared[k], g_alone[k], atol=1e-5, rtol=1e-4)


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
    out = grammar.constrained_logprobs(logits, torch.tensor([grammar.CODE, grammar.TEXT]),
                                 torch.tensor([V.text_lo, V.audio_offset]), allowed)
    assert torch.isinf(out).all() and (out < 0).all()


def test_constrained_logprobs_in_runs_match_a_per_row_oracle_values_and_gradients():
    """Each position's log-prob is its slot's allowed tokens' log-softmax at its own temperature
    (an oracle that selects the allowed logits row by row), whether the positions go in one run
    or in runs of 3 (budget 3 V). Bugs: a run paired with another run's slots or temperatures,
    the normaliser taken over the whole vocabulary, or a run's gradient dropped."""
    g = torch.Generator().manual_seed(0)
    allowed = V.allowed_table()
    slots = torch.tensor([grammar.CODE, grammar.TEXT, grammar.CODE, grammar.TEXT, grammar.CODE, grammar.TEXT, grammar.CODE])
    targets = torch.stack([allowed[s].nonzero()[int(torch.randint(int(allowed[s].sum()), (1,), generator=g))][0]
                           for s in slots])
    temps = torch.tensor([0.5, 1.0, 2.0, 0.9, 1.0, 0.7, 1.3])
    logits = torch.randn(len(slots), V.size, generator=g, dtype=torch.float64).float()
    want = torch.stack([torch.log_softmax(logits[i][allowed[s]] / temps[i], -1)[int(allowed[s][:targets[i]].sum())]
                        for i, s in enumerate(slots)])
    grads = []
    for budget in (2 ** 26, 3 * V.size):
        x = logits.clone().requires_grad_(True)
        got = grammar.constrained_logprobs(x, slots, targets, allowed, temps, budget=budget)
        torch.testing.assert_close(got, want)
        (got * torch.arange(1.0, len(slots) + 1)).sum().backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)
    assert bool((grads[1][-1] != 0).any())          # the last run (one row) got its gradient


def test_constrained_logprobs_backward_keeps_one_float32_copy_of_the_logits():
    """At VITA-Audio's 168k vocabulary what the backward keeps is counted in GB, so it should be
    the one float32 copy logsumexp needs. Bugs: a (positions, V) mask kept for a masked_fill
    (a quarter more), or the target's logit gathered from another float32 copy (twice)."""
    allowed = V.allowed_table()
    slots = torch.tensor([grammar.CODE, grammar.TEXT] * 20)
    targets = torch.stack([allowed[s].nonzero()[0, 0] for s in slots])
    logits = torch.randn(len(slots), V.size, dtype=torch.bfloat16, requires_grad=True)
    kept = {}               # storage -> bytes: a tensor kept by two nodes is held once

    def keep(t):
        kept[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        grammar.constrained_logprobs(logits, slots, targets, allowed, 0.9).sum().backward()
    one_copy = len(slots) * V.size * 4
    assert one_copy <= sum(kept.values()) < 1.1 * one_copy


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


def test_default_tiny_vita_schedule_lays_out_every_toy_sample(samples):
    """tiny-vita's default 8 10 4 10 (text leads, the toy codec pads silence) under the new
    layout: every training target is accepted by the grammar, keeps its text and codes, and
    ends <eoa> <eos>. Bug: a layout change that breaks the default job's SFT targets."""
    m = M.build_model("tiny-vita", config_overrides={"num_hidden_layers": 1})
    assert m.grammar.schedule == [8, 10, 4, 10] and not m.grammar.merge_text
    for s in samples:
        reply = m.target(s.target_text, s.target_codes)
        assert m.allowed[m.slots_for(reply[None]), reply[None]].all(), s.id
        text, codes = m.split(reply)
        assert text == " ".join(s.target_text.lower().split()) or text == s.target_text
        assert list(codes[:len(s.target_codes)]) == list(s.target_codes)
        assert set(codes[len(s.target_codes):].tolist()) <= {codec.PAUSE}
        assert reply[-2:, 0].tolist() == [V.eoa, V.eos]


def early_boa_after_a_full_chunk():
    """Schedule [2, 5, 1, 4] and the reply a b <boa> c c c <eoa> | <boa> (chosen instead of the next
    chunk's character, position 7) c c <eoa> <eos> -> (model, reply (1, 12, 1))."""
    m = M.build_model("tiny-vita", schedule=[2, 5, 1, 4], config_overrides={"num_hidden_layers": 1})
    v = m.vocab
    codes = [v.audio_offset + c for c in range(5)]
    return m, torch.tensor([m.tokenizer.encode_text("ab") + [v.boa] + codes[:3] + [v.eoa, v.boa]
                            + codes[3:] + [v.eoa, v.eos]])[..., None]


def test_an_early_boa_after_a_full_audio_chunk_is_text_too():
    """Under VITA-Audio's layout a text chunk that opens after a full audio chunk has slot
    TEXT_OR_EOS; choosing <boa> there ends the text exactly like an early <boa> in a TEXT slot.
    Bug caught: the text-ending rule matching only TEXT slots, so this same decision is counted
    as speech and text-only GRPO never credits it."""
    m, reply = early_boa_after_a_full_chunk()
    v, slots = m.vocab, m.slots_for(reply)
    early = 7
    assert slots[0, early, 0] == grammar.TEXT_OR_EOS and reply[0, early, 0] == v.boa
    mk = m.masks(reply, slots)
    assert mk["text"][0, early, 0] and not mk["speech"][0, early, 0] and mk["sampled"][0, early, 0]
    assert mk["speech"][0, 2, 0] and not mk["sampled"][0, 2, 0]     # the scheduled <boa> stays speech


# ---------------------------------------------------------------- found by a mutation audit: sizes and edges


def test_an_early_boa_opening_a_text_chunk_is_an_allowed_choice():
    """After a full audio chunk the next text slot is TEXT_OR_EOS: a character, <eos>, or an early
    <boa> (the final chunk starts with no text). The hand-built reply of schedule [2, 5, 1, 4]
    a b <boa> c c c <eoa> <boa> c c <eoa> <eos> is well-formed: every token allowed, every
    constrained log-prob finite. Bug: TEXT_OR_EOS built from the plain text set, without <boa>."""
    m, reply = early_boa_after_a_full_chunk()
    v, slots = m.vocab, m.slots_for(reply)
    assert slots[0, 7, 0] == grammar.TEXT_OR_EOS
    assert m.allowed[slots, reply].all()
    logits = torch.zeros(reply.numel(), v.size)
    lp = grammar.constrained_logprobs(logits, slots.reshape(-1), reply.reshape(-1), m.allowed)
    assert torch.isfinite(lp).all()
    # uniform logits: the early <boa> is one choice among the TEXT_OR_EOS set
    n_choices = int(m.allowed[grammar.TEXT_OR_EOS].sum())
    assert float(lp[7]) == pytest.approx(-torch.log(torch.tensor(float(n_choices))).item(), rel=1e-6)
    assert n_choices == (v.text_hi - v.text_lo) + 2      # the characters, <boa>, <eos>


def test_an_early_boa_one_short_of_a_full_text_chunk_starts_the_final_chunk():
    """Schedule [2, 5, 1, 4]: text 'a' then <boa> is an early <boa> (1 < 2 characters), so the
    chunk is the final one: codes or <eoa> from its first position (zero codes allowed), then the
    forced <eos>. Hand-worked slots for 'a' <boa> c <eoa> <eos>:
    TEXT, TEXT, CODE_OR_EOA, CODE_OR_EOA, FORCE_EOS. Bug: a <boa> one short of a full chunk
    taken as the scheduled one (an off-by-one on t_size), so its audio chunk must open with a code
    and a full chunk would lead to another text chunk."""
    m = M.build_model("tiny-vita", schedule=[2, 5, 1, 4], config_overrides={"num_hidden_layers": 1})
    v = m.vocab
    a = m.tokenizer.encode_text("a")
    reply = torch.tensor([a + [v.boa, v.audio_offset, v.eoa, v.eos]])[..., None]
    slots = m.slots_for(reply)[0, :, 0].tolist()
    assert slots == [grammar.TEXT, grammar.TEXT, grammar.CODE_OR_EOA, grammar.CODE_OR_EOA, grammar.FORCE_EOS]
    empty = torch.tensor([a + [v.boa, v.eoa, v.eos]])[..., None]
    assert m.allowed[m.slots_for(empty), empty].all()
    # after a full 3-code chunk the final chunk still ends with <eos>, not a new text chunk
    full = torch.tensor([a + [v.boa] + [v.audio_offset] * 3 + [v.eoa, v.eos]])[..., None]
    assert m.slots_for(full)[0, -1, 0] == grammar.FORCE_EOS


def test_eos_after_a_full_audio_chunk_closes_the_reply_at_once():
    """Schedule [2, 5, 1, 4]: a b <boa> c c c <eoa> is a full chunk pair, the next text slot is
    TEXT_OR_EOS, and choosing <eos> there ends the reply: the next slot is PAD_SLOT and the
    grammar reports done. Hand-worked slots: TEXT TEXT FORCE_BOA CODE CODE_OR_EOA CODE_OR_EOA
    CODE_OR_EOA TEXT_OR_EOS PAD. Bug: that <eos> moving to the END phase, which forces a second <eos>."""
    m = M.build_model("tiny-vita", schedule=[2, 5, 1, 4], config_overrides={"num_hidden_layers": 1})
    v = m.vocab
    c = v.audio_offset
    reply = torch.tensor([m.tokenizer.encode_text("ab") + [v.boa, c, c, c, v.eoa, v.eos, v.pad]])[..., None]
    assert m.slots_for(reply)[0, :, 0].tolist() == [grammar.TEXT, grammar.TEXT, grammar.FORCE_BOA, grammar.CODE, grammar.CODE_OR_EOA,
                                                    grammar.CODE_OR_EOA, grammar.CODE_OR_EOA, grammar.TEXT_OR_EOS, grammar.PAD_SLOT]
    g = m.grammar
    state = g.init(1)
    for tok in reply[0, :8]:
        state = g.step(state, tok[None])
    assert g.done(state).tolist() == [True]


# ---------------------------------------------------------------- found by a second mutation audit: merged text, edges


def replay(g, tokens):
    """The slot type of each token of one reply under grammar g (K = 1), and whether g is done after it."""
    state, slots = g.init(1), []
    for tok in tokens:
        slots.append(int(g.slots(state)[0, 0]))
        state = g.step(state, torch.tensor([[tok]]))
    return slots, bool(g.done(state)[0])


def test_a_boa_after_merged_text_starts_the_final_chunk_even_when_a_full_chunk_follows():
    """merge_text (a codec without silence), schedule [2, 5, 1, 4]: text 'abc' runs past t_0 = 2, so its
    <boa> starts the final chunk (VITA-Audio merges leftover text into the final chunk): codes or <eoa>
    from the first position, and after exactly a_0 - 2 = 3 codes the <eoa> still closes the reply.
    Hand-worked slots of a b c <boa> x x x <eoa> <eos>: TEXT TEXT TEXT TEXT CODE_OR_EOA CODE_OR_EOA
    CODE_OR_EOA CODE_OR_EOA FORCE_EOS, then done. Bug: a <boa> at count >= t_size taken as the scheduled
    one (a full chunk), so the merged chunk must open with a code and, when it holds exactly a full
    audio chunk, the schedule opens another text chunk instead of forcing <eos>."""
    g = grammar.InterleavedGrammar(V, [2, 5, 1, 4], merge_text=True)
    x = V.audio_offset
    slots, done = replay(g, text_ids("abc") + [V.boa, x, x, x, V.eoa, V.eos])
    T, C = grammar.TEXT, grammar.CODE_OR_EOA
    assert slots == [T, T, T, T, C, C, C, C, grammar.FORCE_EOS] and done
    # the same text cut at t_0 = 2: that <boa> is the scheduled one, the chunk opens with a code
    slots, done = replay(g, text_ids("ab") + [V.boa, x, x, x, V.eoa])
    assert slots == [T, T, T, grammar.CODE, C, C, C] and not done


def test_schedule_checks_on_each_size_and_on_pairs():
    """checked() names what a schedule needs: pairs, each text size >= 1 and each audio size >= 3
    (<boa>, at least one code, <eoa>). The smallest legal values pass. Bugs: a text size of 0 accepted
    (a chunk whose <boa> is forced before any text, so the reply can never speak), or an odd-length
    schedule accepted (its last text size has no audio size to pair with: an index error mid-rollout)."""
    assert grammar.InterleavedGrammar.checked(["1", 3, 2, 4]) == [1, 3, 2, 4]
    for bad in ([0, 4], [2, 4, 0, 4], [2, 2], [2, 4, 1], [2, 4, 3, 4, 5], [4]):
        with pytest.raises(ValueError, match="need pairs"):
            grammar.InterleavedGrammar.checked(bad)


def test_parallel_grammar_with_no_delay_lets_the_audio_start_at_once():
    """Audio delay 0 is legal (the streams start together): the first audio slot is CODE_OR_EOA, not a
    forced blank, and a negative delay is rejected. Bugs: `delay <= 0` rejected, or the blanks counted
    with `t <= delay` (one blank too many: audio delay 2 would force 3)."""
    g = grammar.ParallelGrammar(V, 0)
    assert g.slots(g.init(1)).tolist() == [[grammar.TEXT_OR_EOT, grammar.CODE_OR_EOA]]
    g2, audio = grammar.ParallelGrammar(V, 2), []
    state = g2.init(1)
    for _ in range(4):
        audio.append(int(g2.slots(state)[0, 1]))
        state = g2.step(state, torch.tensor([[V.text_lo, V.blank if len(audio) <= 2 else V.audio_offset]]))
    assert audio == [grammar.FORCE_BLANK] * 2 + [grammar.CODE_OR_EOA] * 2
    with pytest.raises(ValueError, match="delay"):
        grammar.ParallelGrammar(V, -1)


def test_is_code_stops_at_the_last_code():
    """A real vocabulary is padded past its codes (VITA-Audio rounds the logit width up to a multiple
    of 8), so an id just after the last code exists and is not speech. Bug: the upper bound written
    `<=`, counting that padding id as a code (in the speech mask and in split's codes)."""
    v = grammar.Vocab(size=24, pad=0, eos=1, boa=2, eoa=3, user=4, assistant=5, blank=6, text_eos=7,
                      text_lo=8, text_hi=12, audio_offset=12, n_codes=8)
    ids = torch.arange(24)
    assert v.is_code(ids).nonzero()[:, 0].tolist() == list(range(12, 20))


def test_constrained_logprobs_goes_in_runs_of_budget_over_the_vocabulary():
    """7 positions with a budget of 3 V go in runs of 3, 3 and 1 (3 logsumexps), and a budget of 100 V in
    one. Counted with a TorchFunctionMode; the values are the same either way (tested above). Bug: the run
    length taken as budget over the number of positions, so the runs of the test above silently become one
    and, at VITA-Audio's 168k vocabulary, every position's float32 logits are held at once."""
    calls = []

    class Count(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") == "logsumexp":
                calls.append(args[0].shape[0])
            return func(*args, **(kwargs or {}))

    allowed = V.allowed_table()
    slots = torch.full((7,), grammar.TEXT)
    targets = torch.full((7,), V.text_lo)
    for budget, runs in ((3 * V.size, [3, 3, 1]), (100 * V.size, [7])):
        calls.clear()
        with Count():
            grammar.constrained_logprobs(torch.zeros(7, V.size), slots, targets, allowed, budget=budget)
        assert calls == runs


# ---------------------------------------------------------------- tiny-kimi's two streams: inputs and heads


def test_tiny_kimi_hears_its_two_streams_as_one_summed_input():
    """Kimi-Audio's input is the text embedding plus the audio embedding (one shared table), so the trunk
    cannot tell which stream a token came on: swapping the streams gives the same logits, while a
    different audio stream does not. Bug caught: one stream's embedding taken twice (the audio stream
    dropped: tiny-kimi's prompts, blanks on the text stream, then reach the model as nothing)."""
    net = micro_model("tiny-kimi").net.eval()
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randint(V.text_lo, V.size, (2, 6), generator=g) for _ in range(2))
    mask, positions = torch.ones(2, 6, dtype=torch.long), torch.arange(6).expand(2, 6)
    with torch.no_grad():
        ab, ba, aa = (net(x, y, mask, positions)[:2] for x, y in ((a, b), (b, a), (a, a)))
    for got, want in zip(ba, ab):
        torch.testing.assert_close(got, want)
    assert not torch.allclose(aa[0], ab[0]) and not torch.allclose(aa[1], ab[1])


def test_tiny_kimi_text_stream_reads_the_trunk_and_audio_stream_the_branch(samples):
    """Deviation 3: the text head reads the trunk's output, the audio head the branch's. So perturbing the
    branch changes the audio stream's log-probs only (the text stream's are the same numbers), and with the
    audio head zeroed every audio position the policy chooses has log-prob -log(n), n the tokens its slot
    allows (uniform), while the text stream is untouched. Bug caught: the two heads' logits stacked in the
    wrong order (text read from the audio head), or the audio head reading the trunk (the branch skipped)."""
    m = micro_model("tiny-kimi").eval()
    prompts, pmask = m.sample_prompt_batch(samples[:2])
    replies = M.pad_right([m.target(s.target_text, s.target_codes) for s in samples[:2]], V.pad)
    slots = m.slots_for(replies)
    done = slots == grammar.PAD_SLOT

    def logprobs():
        with torch.no_grad():
            return M.reply_logprobs(m, prompts, pmask, replies, slots).masked_fill(done, 0.0)
    before = logprobs()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in m.net.branch.parameters():
            p.add_(0.5 * torch.randn(p.shape, generator=g))
    branched = logprobs()
    torch.testing.assert_close(branched[..., 0], before[..., 0], atol=0, rtol=0)
    assert (branched[..., 1] - before[..., 1]).abs().max() > 1e-3
    with torch.no_grad():
        m.net.audio_head.weight.zero_()
    zeroed = logprobs()
    torch.testing.assert_close(zeroed[..., 0], before[..., 0], atol=0, rtol=0)
    n = m.allowed.sum(1)[slots[..., 1]].float()
    torch.testing.assert_close(zeroed[..., 1], (-n.log()).masked_fill(done[..., 1], 0.0))


def test_rows_with_distinct_prompts_run_as_one_forward_over_whole_rows(samples):
    """reply_logits shares a prompt only where one repeats: three rows with three distinct prompts go
    through the network once, three whole rows, not a prompt pass then a reply pass on its cache (the
    same numbers, twice the calls for no prompt token saved). Bug caught: the shortcut tested against a
    single distinct prompt (len(prompts) == 1) instead of one per row."""
    m = micro_model("tiny-vita").eval()
    chosen = [samples[0], samples[5], samples[9]]
    prompts, pmask = m.sample_prompt_batch(chosen)
    replies = M.pad_right([m.target(s.target_text, s.target_codes) for s in chosen], V.pad)
    runs, inner = [], m.run
    m.run = lambda tokens, *args, **kw: runs.append(tuple(tokens.shape[:2])) or inner(tokens, *args, **kw)
    with torch.no_grad():
        M.reply_logprobs(m, prompts, pmask, replies, m.slots_for(replies))
    assert runs == [(3, prompts.shape[1] + replies.shape[1])]


def test_a_dialogues_history_stays_in_the_toy_prompt_and_its_answer_does_not(samples):
    """The toy layouts on a multi-turn sample: a system turn with audio of its own, a user turn with
    audio, the assistant's spoken reply (history), a second user turn with text and audio, then the
    assistant's answer with audio. tiny-vita: <user> codes 2, <assistant> "ok" codes 3, <user> "and"
    codes 4, <assistant>; the system turn (no token for it) and its audio (codes 1) are left out, and so
    is the answer's (codes 5). tiny-kimi's audio stream: codes 2, 3, 4. Bugs caught: the first user turn
    only (the history and the second question lost), a system turn's audio not skipped (every later
    <|audio|> reads its neighbour's codes), or the answer's audio handed to the policy."""
    codes = [np.array([c]) for c in (1, 2, 3, 4, 5)]
    turns = type(samples[0])(**{**samples[0].__dict__, "question_codes": codes, "messages": [
        {"role": "system", "content": "hi <|audio|>"}, {"role": "user", "content": "<|audio|>"},
        {"role": "assistant", "content": "ok<|audio|>"}, {"role": "user", "content": "and<|audio|>"},
        {"role": "assistant", "content": "yes <|audio|>"}]})
    vita = M.build_model("tiny-vita")
    v, text = vita.vocab, vita.tokenizer.encode_text
    spoken = (lambda c: [v.boa, v.audio_offset + c, v.eoa])
    expected = [v.user, *spoken(2), v.assistant, *text("ok"), *spoken(3), v.user, *text("and"), *spoken(4), v.assistant]
    assert vita.prompt(turns)[:, 0].tolist() == expected
    kimi = M.build_model("tiny-kimi")
    k = kimi.vocab
    assert kimi.prompt(turns)[:, 1].tolist() == [k.user, *[t for c in (2, 3, 4) for t in
                                                           (k.boa, k.audio_offset + c, k.eoa)], k.assistant]


# ---------------------------------------------------------------- found by a mutation audit: laying out a reply without text or speech


def test_a_reply_without_text_is_all_its_speech_in_one_final_chunk():
    """No text, 30 codes (tiny-vita's chunks hold 6): the final chunk takes all that is left of both, so the
    reply is <boa>, the 30 codes, <eoa>, <eos>. Bug caught: the chunk count taken as min(text chunks, audio
    chunks) = 0 without its floor of 1, so only the first audio chunk is laid out and 24 codes are lost."""
    m = micro_model("tiny-vita")
    codes = list(range(30))
    assert m.target("", codes)[:, 0].tolist() == [V.boa] + code_ids(codes) + [V.eoa, V.eos]


def test_a_reply_with_neither_text_nor_speech_cannot_be_laid_out():
    """No text and no codes: nothing to lay out, a ValueError naming it (train.check_targets turns it into
    a one-line refusal, or a skipped sample). Bug caught: the check dropped, so an empty demonstration
    becomes <boa> <eoa> <eos> and the model is trained to answer with silence of no length."""
    m = micro_model("tiny-vita")
    with pytest.raises(ValueError, match="no speech codes"):
        m.target("", [])
