"""rollout.py: batched constrained sampling."""
import contextlib

import pytest
import torch

import conftest
import grammar
import kvcache
import model as M
import rollout
from conftest import micro_model


def sample(name, samples, seed=0, **kw):
    m = micro_model(name, seed=1)
    args = dict(group_size=3, temperature=1.0, top_p=1.0, max_len=48, generator=torch.Generator().manual_seed(seed))
    args.update(kw)
    return m, rollout.sample(m, samples[:4], **args)


def follows_schedule(tokens, schedule, vocab):
    """Independent check of an interleaved reply against [t0, a0, t1, a1, ...] (VITA-Audio's
    layout): full chunks until the text ends early or the audio is not exactly a full chunk;
    that chunk is the final one, closed by <eoa> <eos>; <eos> may also follow a full chunk."""
    t_sizes, a_sizes = schedule[0::2], [a - 2 for a in schedule[1::2]]
    i, c = 0, 0
    while True:
        t, a = t_sizes[min(c, len(t_sizes) - 1)], a_sizes[min(c, len(a_sizes) - 1)]
        n_text = 0
        while i < len(tokens) and tokens[i] != vocab.boa:
            if tokens[i] == vocab.eos and n_text == 0 and c > 0:
                return i == len(tokens) - 1
            if not vocab.text_lo <= tokens[i] < vocab.text_hi:
                return False
            n_text, i = n_text + 1, i + 1
        if i == len(tokens):
            return True                          # truncated by max_len
        if n_text > t:
            return False
        i += 1
        codes = 0
        while i < len(tokens) and tokens[i] != vocab.eoa:
            if not vocab.is_code(tokens[i]):
                return False
            codes, i = codes + 1, i + 1
        if i == len(tokens):
            return True                          # truncated by max_len inside the audio
        if n_text < t or codes != a:             # final chunk: <eoa> <eos> and nothing else
            return tokens[i + 1:] in ([vocab.eos], [])
        i, c = i + 1, c + 1


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_shapes_and_masks(name, samples):
    m, b = sample(name, samples)
    n, k = 12, m.n_streams
    assert b.replies.shape[0] == n and b.replies.shape[2] == k
    assert b.slots.shape == b.replies.shape == b.logprobs.shape
    for key in ("completion", "text", "speech", "sampled"):
        assert b.masks[key].shape == b.replies.shape
    assert not (b.masks["text"] & b.masks["speech"]).any()
    assert not (b.masks["sampled"] & ~b.masks["completion"]).any()
    assert len(b.texts) == len(b.codes) == len(b.waves) == len(b.rates) == n
    assert all(r == 16000 and len(w) == 1280 * len(c) for w, r, c in zip(b.waves, b.rates, b.codes))
    # replay the grammar: every token is allowed by its slot
    assert torch.equal(m.slots_for(b.replies), b.slots)
    assert m.allowed[b.slots, b.replies].all()


def test_every_interleaved_reply_follows_the_schedule(samples):
    for seed in range(3):   # an untrained model samples freely; the grammar keeps it well-formed
        m, b = sample("tiny-vita", samples, seed=seed, max_len=64)
        v = m.vocab
        for reply, complete in zip(b.replies[..., 0], b.masks["completion"][..., 0]):
            tokens = reply[complete].tolist()
            assert follows_schedule(tokens, m.grammar.schedule, v), tokens


def test_parallel_streams_step_together_with_the_delay(samples):
    m, b = sample("tiny-kimi", samples, max_len=40)
    v, delay = m.vocab, m.grammar.delay
    for reply, complete, truncated in zip(b.replies, b.masks["completion"][..., 0], b.truncated):
        text, audio = reply[complete, 0].tolist(), reply[complete, 1].tolist()
        assert len(text) == len(audio)
        assert audio[:delay] == [v.blank] * delay               # audio trails text
        if v.text_eos in text:                                    # blanks after end-of-text
            after = text[text.index(v.text_eos) + 1:]
            assert after == [v.blank] * len(after)
        if not truncated:
            assert audio[-1] == v.eoa and v.eoa not in audio[:-1]
    assert not b.masks["sampled"][:, :delay, 1].any()             # delay blanks are forced


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_same_seed_same_replies(name, samples):
    _, a = sample(name, samples, seed=7)
    _, b = sample(name, samples, seed=7)
    _, c = sample(name, samples, seed=8)
    assert torch.equal(a.replies, b.replies) and a.texts == b.texts
    assert not torch.equal(a.replies, c.replies)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
@pytest.mark.parametrize("temperature,extra", [(1.0, {}), (0.7, {}), (0.7, {"top_k": 5, "repetition_penalty": 1.3})])
def test_sampling_logprobs_match_teacher_forcing(name, temperature, extra, samples):
    """The recorded log-probs are the policy's own (slot-restricted, at the temperature, before any
    penalty or truncation), so the first PPO ratio is exactly 1. Bug: recording the penalised or
    truncated distribution, which teacher forcing cannot recompute."""
    m, b = sample(name, samples, temperature=temperature, **extra)
    with torch.no_grad():
        forced = M.reply_logprobs(m, b.prompts, b.prompt_mask, b.replies, b.slots, temperature)
    done = b.masks["completion"]
    torch.testing.assert_close(b.logprobs[done], forced[done], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_prefilling_each_distinct_prompt_once_samples_what_each_row_would(name, samples):
    """Two prompts of different lengths, each in several rows in no particular order. Oracle: the
    same draws with every row prefilling its own copy. Bugs: a cache row handed to another
    prompt's rows (an order assumed), the first token drawn from the wrong row's logits."""
    m = micro_model(name, seed=1)
    prompts, mask = m.sample_prompt_batch([samples[0], samples[5], samples[5], samples[0], samples[5]])
    uniforms = torch.rand(5, 48, m.n_streams, generator=torch.Generator().manual_seed(0))
    runs, inner = [], m.forward
    m.forward = lambda tokens, *a, **k: runs.append(tokens.shape[0]) or inner(tokens, *a, **k)
    out = {}
    for share in (True, False):
        m.share_prompts, runs[:] = share, []
        out[share] = rollout.generate(m, prompts, mask, 1.0, max_len=48, uniforms=uniforms)
        assert runs[0] == (2 if share else 5)
    assert torch.equal(out[True][0], out[False][0]) and torch.equal(out[True][1], out[False][1])
    torch.testing.assert_close(out[True][2], out[False][2], atol=1e-5, rtol=1e-5)
    assert len({tuple(r.flatten().tolist()) for r in out[True][0]}) == 5     # the rows differ


def watch_forward(m):
    """Wrap m's forward: it records each call's rows (sizes) and the cache layers' types it was
    handed (layers), and favours the ending tokens so that rows finish at different steps."""
    sizes, layers, inner, v = [], set(), m.forward, m.vocab
    ends = [t for t in (v.boa, v.eoa, v.eos, getattr(v, "text_eos", None)) if t is not None]

    def counted(tokens, *a, past=None, **k):
        sizes.append(tokens.shape[0])
        for c in past if isinstance(past, tuple) else (past,) if past is not None else ():
            layers.update(type(layer) for layer in c.layers)
        logits, cache = inner(tokens, *a, past=past, **k)
        logits[..., ends] += 1.5
        return logits, cache
    m.forward = counted
    return sizes, layers


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_reserved_cache_and_dropped_rows_sample_what_the_plain_loop_does(name, samples):
    """Oracle: the plain loop (transformers' growing cache, every row run to the end). The
    reserved cache writes in place: the same numbers, exactly. Dropping finished rows runs the
    rest in a smaller batch: the same tokens, slots and truncation flags, log-probs to float
    tolerance. Bugs: a position written at the wrong offset, or a buffer not moved with its
    rows; a dropped row's uniforms, penalty memory or grammar state handed to a neighbour; a
    finished row's tail not <pad>; truncation read from the wrong rows."""
    m = micro_model(name, seed=1)
    prompts, mask = m.sample_prompt_batch(samples[:10])
    uniforms = torch.rand(10, 30, m.n_streams, generator=torch.Generator().manual_seed(3))
    sizes, layers = watch_forward(m)
    kw = dict(temperature=1.0, max_len=30, uniforms=uniforms, repetition_penalty=1.3, top_k=50)
    plain = rollout.generate(m, prompts, mask, reserve=False, drop_finished=0, **kw)
    layers.clear()
    reserved = rollout.generate(m, prompts, mask, reserve=True, drop_finished=0, **kw)
    assert layers == {kvcache.ReservedLayer}
    sizes.clear()
    dropped = rollout.generate(m, prompts, mask, reserve=True, drop_finished=1, **kw)
    assert 0 < int(plain[3].sum()) < 10             # some rows finished, some ran out of length
    assert min(sizes) < 10                          # and the finished ones left the batch
    assert all(torch.equal(a, b) for a, b in zip(plain, reserved))
    for i in (0, 1, 3):
        assert torch.equal(plain[i], dropped[i])
    torch.testing.assert_close(plain[2], dropped[2], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("queries", [1, 2])
def test_shared_prefix_attention_equals_attention_over_each_rows_whole_cache(queries):
    """Oracle: torch's SDPA over each row's own copy of its prompt's states then its reply's,
    with grouped-query heads (4 query heads on 2 KV heads), left padding in the prompts and a
    causal mask over two query positions. Bugs: query head j read against KV head j % 2
    instead of j // 2; a group's rows matched to another group's prompt; the mask applied to
    the wrong part of the scores; the two parts' softmax normalised separately."""
    g, u, h, h_kv, p, t, d = 3, 2, 4, 2, 5, 4, 8
    n = u * g
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(n, h, queries, d, generator=gen)
    prefix_k, prefix_v = (torch.randn(u, h_kv, p, d, generator=gen) for _ in range(2))
    reply_k, reply_v = (torch.randn(n, h_kv, t, d, generator=gen) for _ in range(2))
    mask = torch.ones(n, 1, queries, p + t, dtype=torch.bool)
    mask[:g, ..., :2] = False                                   # group 0's prompt is left-padded by 2
    if queries == 2:
        mask[..., 0, -1] = False                                # the first query does not see the last reply token
    rows = torch.arange(u).repeat_interleave(g)
    whole_k = torch.cat([prefix_k[rows], reply_k], 2).repeat_interleave(h // h_kv, 1)
    whole_v = torch.cat([prefix_v[rows], reply_v], 2).repeat_interleave(h // h_kv, 1)
    expect = torch.nn.functional.scaled_dot_product_attention(q, whole_k, whole_v, attn_mask=mask, scale=0.3)
    out, _ = kvcache.shared_prefix_attention(None, q, kvcache.SharedPrefixKV(prefix_k, reply_k, g),
                                             kvcache.SharedPrefixKV(prefix_v, reply_v, g), mask, scaling=0.3)
    torch.testing.assert_close(out, expect.transpose(1, 2), atol=1e-5, rtol=1e-5)


def test_a_prompt_is_shared_only_by_equal_adjacent_runs_of_rows():
    """share_prefix's rule: each distinct prompt's rows adjacent and every run the same length
    (a group), else the rows keep their own copies. Bug: sharing by run start alone, so a
    prompt with 2 rows beside one with 3 would hand a row to the wrong group."""
    from transformers import DynamicCache
    def cache():
        c = DynamicCache()
        c.update(torch.randn(2, 2, 3, 4), torch.randn(2, 2, 3, 4), 0)
        return c
    assert kvcache.share_prefix(cache(), torch.tensor([0, 0, 1, 1, 1]), 8) is None
    assert kvcache.share_prefix(cache(), torch.tensor([0, 1, 0, 1]), 8) is None
    assert kvcache.share_prefix(cache(), torch.tensor([0, 1]), 8) is None            # G = 1: nothing to share
    shared = kvcache.share_prefix(cache(), torch.tensor([1, 1, 0, 0]), 8)
    layer = shared.layers[0]
    assert isinstance(layer, kvcache.SharedPrefixLayer) and layer.group == 2 and layer.get_seq_length() == 3


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_rows_sharing_their_prompt_sample_what_rows_with_their_own_copy_do(name, samples):
    """Three prompts x G = 3, rows favoured to end at different steps. Oracle: the same draws
    with each row's own copy of its prompt's cache (share=False). The same tokens, slots and
    truncation, log-probs to float tolerance; also when finished rows leave the batch (the
    groups break up and the cache goes back to a copy per row). Bugs: a reply written at the
    prompt's offset; a row reading another group's prompt; rows dropped from the replies but
    not from the sharing; the model left on the shared-prefix attention after the rollout."""
    m = micro_model(name, seed=1)
    prompts, mask = m.sample_prompt_batch([samples[0], samples[5], samples[2]])
    prompts, mask = prompts.repeat_interleave(3, 0), mask.repeat_interleave(3, 0)
    uniforms = torch.rand(9, 30, m.n_streams, generator=torch.Generator().manual_seed(3))
    sizes, layers = watch_forward(m)
    kw = dict(temperature=1.0, max_len=30, uniforms=uniforms, repetition_penalty=1.3, top_k=50)
    own = rollout.generate(m, prompts, mask, share=False, drop_finished=0, **kw)
    assert layers == {kvcache.ReservedLayer}
    layers.clear()
    shared = rollout.generate(m, prompts, mask, share=True, drop_finished=0, **kw)
    assert layers == {kvcache.SharedPrefixLayer}
    sizes.clear()
    dropped = rollout.generate(m, prompts, mask, share=True, drop_finished=1, **kw)
    assert 0 < int(own[3].sum()) < 9 and min(sizes) < 9          # some rows ran out, some left early
    for out in (shared, dropped):
        for i in (0, 1, 3):
            assert torch.equal(own[i], out[i])
        torch.testing.assert_close(own[2], out[2], atol=1e-5, rtol=1e-5)
    assert {mod.config._attn_implementation for mod in m.modules() if hasattr(mod, "config")} == {"sdpa"}
    for config in kvcache.attention_configs(m).values():     # another attention cannot read shared states:
        config._attn_implementation = "eager"                  # the rows keep their own copies
    layers.clear()
    eager = rollout.generate(m, prompts, mask, share=True, drop_finished=0, **kw)
    assert layers == {kvcache.ReservedLayer} and torch.equal(own[0], eager[0])
    for config in kvcache.attention_configs(m).values():
        config._attn_implementation = "sdpa"
    layers.clear()                                   # bf16 states: the rows keep their own copies too
    rollout.generate(m.to(torch.bfloat16), prompts, mask, share=True, drop_finished=0, **{**kw, "max_len": 3})
    assert layers == {kvcache.ReservedLayer}


def test_greedy_is_deterministic_and_argmax(samples):
    m, a = sample("tiny-vita", samples, temperature=0.0, seed=1)
    _, b = sample("tiny-vita", samples, temperature=0.0, seed=2)
    assert torch.equal(a.replies, b.replies)
    # greedy log-probs are recorded at temperature 1, and each chosen token is the slot's best
    with torch.no_grad():
        logits, _ = m(torch.cat([a.prompts, a.replies], 1), torch.cat([a.prompt_mask, (a.slots[..., 0] != grammar.PAD_SLOT).long()], 1))
    p = a.prompts.shape[1]
    z = logits[:, p - 1:-1].masked_fill(~m.allowed[a.slots], float("-inf"))
    done = a.masks["completion"]
    assert torch.equal(z.argmax(-1)[done], a.replies[done])


def test_top_p_keeps_the_smallest_set_reaching_the_mass():
    probs = torch.tensor([[0.05, 0.5, 0.15, 0.3]])
    assert rollout.top_p_filter(probs, 0.8).nonzero()[:, 1].tolist() == [1, 3]
    assert rollout.top_p_filter(probs, 0.81).nonzero()[:, 1].tolist() == [1, 2, 3]
    assert rollout.top_p_filter(probs, 0.1).nonzero()[:, 1].tolist() == [1]     # the top token always stays
    assert torch.equal(rollout.top_p_filter(probs, 1.0), probs)


def test_top_p_ranks_only_the_head_when_it_holds_the_mass_and_sorts_all_otherwise():
    """Rows from peaked (the head of 4 reaches 0.9) to flat (it does not), alone and mixed in
    one batch, against a per-row oracle: walk the tokens from the likeliest, keep each while
    the mass before it is under top_p. Bugs: a head kept without checking every row's mass
    (a flat row loses its tail), or the check made on one row only."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 2, 40, generator=g) * torch.tensor([8.0, 6.0, 4.0, 1.0, 0.3, 0.1])[:, None, None]
    probs = torch.softmax(logits, -1)

    def oracle(row, top_p):
        keep, before = torch.zeros_like(row), 0.0
        for i in sorted(range(len(row)), key=lambda i: -float(row[i])):
            if before >= top_p:
                break
            keep[i], before = row[i], before + float(row[i])
        return keep

    for batch in (probs[:2], probs[3:], probs):            # head enough, never enough, mixed
        head_mass = batch.topk(4, -1).values.sum(-1)
        for top_p in (0.5, 0.9):
            want = torch.stack([torch.stack([oracle(r, top_p) for r in rows]) for rows in batch])
            got = rollout.top_p_filter(batch, top_p, head=4)
            assert torch.equal(got, want), (top_p, head_mass)
            assert torch.equal(rollout.top_p_filter(batch, top_p, head=40), want)
    assert bool((probs[:2].topk(4, -1).values.sum(-1) >= 0.9).all())       # the cases are what they say
    assert not bool((probs[3:].topk(4, -1).values.sum(-1) >= 0.5).any())


def test_top_p_restricts_what_is_sampled(samples):
    m = micro_model("tiny-vita", seed=1)
    b = rollout.sample(m, samples[:2], 4, temperature=1.0, top_p=1e-6, max_len=32,
                       generator=torch.Generator().manual_seed(0))
    g = rollout.sample(m, samples[:2], 4, temperature=0.0, top_p=1.0, max_len=32)
    assert torch.equal(b.replies, g.replies)           # top-p this small is greedy


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_top_k_one_is_greedy(name, samples):
    """Bug: top-k not applied (or applied outside the slot's allowed set), so k = 1 still samples."""
    _, greedy = sample(name, samples, temperature=0.0)
    _, top1 = sample(name, samples, temperature=1.0, top_k=1, seed=3)
    assert torch.equal(top1.replies, greedy.replies)


def test_repetition_penalty_hand_worked():
    """HF's rule: a seen token's positive logit is divided by the penalty, a negative one multiplied.
    Bug: the sign case swapped, or unseen tokens touched."""
    z = torch.tensor([2.0, -1.0, 0.5])
    out = rollout.repetition_penalise(z, torch.tensor([True, True, False]), 2.0)
    assert out.tolist() == [1.0, -2.0, 0.5]
    # the repeated token's probability: e^1 / (e^1 + e^-2 + e^0.5) instead of e^2 / (e^2 + e^-1 + e^0.5)
    p = torch.softmax(out, -1)[0]
    assert float(p) == pytest.approx(2.718281828 / (2.718281828 + 0.135335283 + 1.648721271), rel=1e-6)


def test_repetition_penalty_in_generation_demotes_reply_tokens(samples, monkeypatch):
    """Constant logits: text token A = 3, B = 2, everything else 0. Greedy picks A at every text
    slot; with penalty 2, A drops to 1.5 once said, so the text reads A B A A ... (B at 1.0 after
    it is said). Bug: the penalty ignored, applied to the prompt's tokens, or to forced tokens only."""
    m = micro_model("tiny-vita", seed=1)
    a, b = m.vocab.text_lo + 5, m.vocab.text_lo + 7

    def constant(tokens, attention_mask, position_ids=None, past=None, use_cache=False, keep=0, direct=False):
        logits = torch.zeros(*tokens.shape, m.vocab.size)
        logits[..., a], logits[..., b] = 3.0, 2.0
        return logits, None
    monkeypatch.setattr(m, "forward", constant)
    plain = rollout.sample(m, samples[:1], 1, temperature=0.0, max_len=40, decode_audio=False)
    penal = rollout.sample(m, samples[:1], 1, temperature=0.0, max_len=40, decode_audio=False,
                           repetition_penalty=2.0)
    chosen = lambda r: r.masks["text"][0, :, 0] & r.masks["sampled"][0, :, 0]   # noqa: E731  (not the forced <eos>)
    text = lambda r: r.replies[0, :, 0][chosen(r)].tolist()   # noqa: E731
    assert set(text(plain)) == {a} and len(text(plain)) >= 4
    assert text(penal)[:4] == [a, b, a, a]


def test_sampling_defaults_come_from_the_checkpoint_generation_config():
    """Bug: the checkpoint's generation config ignored, or overriding an explicit flag."""
    m = micro_model("tiny-vita")
    assert rollout.sampling_settings(m) == {"top_p": 0.9, "top_k": 0, "repetition_penalty": 1.0}
    m.spec["generation"] = {"top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05, "temperature": 0.7}
    assert rollout.sampling_settings(m) == {"top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05}
    assert rollout.sampling_settings(m, top_p=1.0, top_k=0)["top_k"] == 0


def test_inverse_cdf_draws_by_mass_and_never_a_zero_mass_token():
    """u in [0, 1) picks the first index whose cumulative mass exceeds u * total.
    Bug: off-by-one at the boundaries, or a zero-probability token drawn at u = 0 or u -> 1."""
    probs = torch.tensor([[0.0, 0.25, 0.0, 0.75, 0.0]]).expand(5, 5)
    u = torch.tensor([0.0, 0.2499, 0.25, 0.9, 1 - 2 ** -24])
    assert rollout.inverse_cdf(probs, u).tolist() == [1, 1, 3, 3, 3]


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_a_reply_depends_on_its_stream_key_not_its_batch_row(name, samples):
    """The same (prompt, key) sampled alone or beside another prompt gives the same reply.
    Bug: randomness drawn from one shared generator, so a reply depends on the rows before it
    (and a 2-rank run samples differently from one process)."""
    m = micro_model(name, seed=1)
    keys = [rollout.stream_seed(0, 5, i, g) for i in (10, 11) for g in range(2)]
    both = rollout.sample(m, samples[:2], 2, temperature=1.0, top_p=1.0, max_len=32, keys=keys, decode_audio=False)
    alone = rollout.sample(m, samples[1:2], 2, temperature=1.0, top_p=1.0, max_len=32, keys=keys[2:],
                           decode_audio=False)
    n = alone.replies.shape[1]
    assert torch.equal(both.replies[2:, :n], alone.replies)
    assert both.texts[2:] == alone.texts


# ---------------------------------------------------------------- found by a mutation audit: sizes and edges


def test_top_p_stops_when_the_mass_before_exactly_reaches_top_p():
    """Dyadic probabilities (exact in float): 0.5 + 0.25 = 0.75 reaches top_p 0.75 exactly, so the
    smallest set is {0, 1}; the 0.125 tokens have mass 0.75 >= top_p before them and go.
    Bug: `mass_before > top_p` keeps a third token on an exact tie."""
    probs = torch.tensor([[0.125, 0.5, 0.125, 0.25]])
    assert rollout.top_p_filter(probs, 0.75).nonzero()[:, 1].tolist() == [1, 3]
    assert rollout.top_p_filter(probs, 0.5).nonzero()[:, 1].tolist() == [1]


def test_top_p_one_is_off_even_when_the_head_alone_sums_to_one():
    """top_p = 1 must keep every token with mass, even if rounding makes the cumulative mass
    reach 1 before the tail (0.5 + 0.5 = 1 exactly, then a 1e-9 token).
    Bug: the `top_p >= 1` shortcut written as `> 1`, dropping the tail at top_p = 1."""
    probs = torch.tensor([[0.5, 1e-9, 0.5]])
    assert torch.equal(rollout.top_p_filter(probs, 1.0), probs)


def test_greedy_logprobs_are_the_temperature_one_policy(samples):
    """Greedy (temperature 0) rollouts record log pi(y_t) at temperature 1 (deviation 3) and say so
    in batch.temperature, so teacher forcing at batch.temperature recomputes them (the first PPO
    ratio is 1). Oracle: model.reply_logprobs at temperature 1.0, given explicitly.
    Bugs: the greedy log-probs taken at a near-zero temperature (all ~0 or -inf), or the batch
    reporting another scoring temperature than the one recorded."""
    m = micro_model("tiny-vita", seed=1)
    b = rollout.sample(m, samples[:2], 2, temperature=0.0, max_len=32, decode_audio=False)
    assert b.temperature == 1.0
    with torch.no_grad():
        forced = M.reply_logprobs(m, b.prompts, b.prompt_mask, b.replies, b.slots, 1.0)
    done = b.masks["completion"] & b.masks["sampled"]
    torch.testing.assert_close(b.logprobs[done], forced[done], atol=1e-5, rtol=1e-5)
    assert (b.logprobs[done] < -1e-3).any()          # an untrained model is not certain: not all ~0


def ending_model(monkeypatch, name="tiny-vita"):
    """A micro model whose logits favour the ending tokens (<boa>, <eoa>, <eot>) by 5 over 0
    everywhere, so a greedy reply closes as early as the schedule allows."""
    m = micro_model(name, seed=1)
    v = m.vocab

    def constant(tokens, attention_mask, position_ids=None, past=None, use_cache=False, keep=0, direct=False):
        logits = torch.zeros(*tokens.shape, v.size)
        logits[..., [v.boa, v.eoa, v.text_eos]] = 5.0
        return logits, None
    monkeypatch.setattr(m, "forward", constant)
    m.share_prompts = False                 # a constant forward keeps no cache to share
    return m


def test_a_reply_that_closes_keeps_its_last_token_and_is_not_truncated(samples, monkeypatch):
    """Hand-worked tiny-vita reply under logits favouring the ends, greedy: the first text slot
    takes <boa> (an early one: the final chunk), the final chunk's CODE_OR_EOA slot takes <eoa>,
    then <eos> is forced: exactly [<boa>, <eoa>, <eos>], closed (not truncated). With max_len 2
    the same reply stops at [<boa>, <eoa>] and is truncated.
    Bugs: the returned replies cut one position short (the closing <eos> lost); the truncation
    flag inverted."""
    m = ending_model(monkeypatch)
    v = m.vocab
    b = rollout.sample(m, samples[:2], 2, temperature=0.0, max_len=40, decode_audio=False)
    assert b.replies[..., 0].tolist() == [[v.boa, v.eoa, v.eos]] * 4
    assert not b.truncated.any()
    short = rollout.sample(m, samples[:2], 2, temperature=0.0, max_len=2, decode_audio=False)
    assert short.replies[..., 0].tolist() == [[v.boa, v.eoa]] * 4
    assert short.truncated.all()


def test_stacking_parts_with_different_prompt_lengths_scores_each_as_alone(samples):
    """Oracle: each (prompts, mask, replies, slots) part scored alone by teacher forcing. Two parts
    whose prompts (and replies) differ in length are stacked into one forward; every row's reply
    log-probs must equal its part's alone (left padding is invisible under the mask), and the
    added prompt padding is masked out. Bug: the prompt mask padded on the wrong side, so the
    shorter part's real prompt tokens are masked and its pads attended."""
    m = micro_model("tiny-vita", seed=1).eval()
    lengths = [m.sample_prompt_batch([s])[0].shape[1] for s in samples[:12]]
    i = 0
    j = next(k for k in range(12) if lengths[k] != lengths[i])
    parts = [rollout.teacher_forced(m, [samples[x]])[:4] for x in (i, j)]
    prompts, mask, replies, slots = rollout.stack_for_forward(m.vocab.pad, *parts)
    with torch.no_grad():
        both = M.reply_logprobs(m, prompts, mask, replies, slots)
        for row, (p, pm, r, s) in enumerate(parts):
            alone = M.reply_logprobs(m, p, pm, r, s)
            torch.testing.assert_close(both[row, :r.shape[1]], alone[0], atol=1e-5, rtol=1e-5)
            pad = prompts.shape[1] - p.shape[1]
            assert mask[row, :pad].sum() == 0 and torch.equal(mask[row, pad:], pm[0])


def test_teacher_forced_masks_honour_include_audio_boundaries(samples):
    """tiny-vita SFT targets: with include_audio_boundaries=False the speech mask is exactly the
    code positions (every <boa>/<eoa> a scheduled marker: in neither text nor speech); with True the
    markers join speech. Oracle: the reply's token ids. Bug: teacher_forced dropping the flag
    (the SFT side of --no-audio-boundaries silently keeps the markers)."""
    m = micro_model("tiny-vita")
    v = m.vocab
    *_, replies, slots, off = rollout.teacher_forced(m, samples[:3], include_audio_boundaries=False)
    *_, on = rollout.teacher_forced(m, samples[:3], include_audio_boundaries=True)
    done = slots != 0
    # scheduled markers: every <eoa>, and a <boa> the schedule forced (an early <boa>, chosen in a
    # text slot, ends the text and is text: test_model's rule)
    markers = ((replies == v.eoa) | ((replies == v.boa) & (slots == grammar.FORCE_BOA))) & done
    assert markers.any()
    assert torch.equal(off["speech"], v.is_code(replies) & done)
    assert not (off["text"] & markers).any()
    assert torch.equal(on["speech"], (v.is_code(replies) & done) | markers)


def test_sampled_masks_honour_include_audio_boundaries(samples, monkeypatch):
    """Greedy replies under logits favouring the ends are [<boa>, <eoa>, <eos>] (hand-worked in
    the test above): the early <boa> and <eos> are text, <eoa> a speech marker, so with
    include_audio_boundaries=False the speech mask is empty and with True it is the <eoa> only.
    Bug: sample() dropping the flag (the rollout side of --no-audio-boundaries)."""
    m = ending_model(monkeypatch)
    kw = dict(temperature=0.0, max_len=40, decode_audio=False)
    off = rollout.sample(m, samples[:2], 2, include_audio_boundaries=False, **kw)
    on = rollout.sample(m, samples[:2], 2, include_audio_boundaries=True, **kw)
    assert off.masks["speech"][..., 0].tolist() == [[False, False, False]] * 4
    assert on.masks["speech"][..., 0].tolist() == [[False, True, False]] * 4
    assert off.masks["text"][..., 0].tolist() == on.masks["text"][..., 0].tolist() == [[True, False, True]] * 4     # <eos> is text too


def test_sample_of_names_the_prompt_each_reply_answered(samples):
    """3 prompts x G = 2: reply i's prompt row (left padding removed) is the prompt of
    batch.sample_of(i), and replies 0-1, 2-3, 4-5 answer samples 0, 1, 2. Oracle: model.prompt of
    each sample. Bug: sample_of indexing i % B (rows are grouped per prompt, not cycled), so the
    reward of a reply goes to another sample's reference."""
    m = micro_model("tiny-vita", seed=1)
    b = rollout.sample(m, samples[:3], 2, temperature=1.0, max_len=4, decode_audio=False,
                       generator=torch.Generator().manual_seed(0))
    assert [b.sample_of(i).id for i in range(6)] == [s.id for s in samples[:3] for _ in range(2)]
    for i in range(6):
        row = b.prompts[i][b.prompt_mask[i].bool()]
        assert torch.equal(row, m.prompt(b.sample_of(i)).to(row))


def test_teacher_forced_pairs_each_prompt_with_its_own_target(samples):
    """Row i of teacher_forced is sample i: its prompt (padding removed) is model.prompt(samples[i])
    and its reply (up to PAD_SLOT) is model.target of samples[i]'s text and codes. Bug: targets
    built in another order than the prompts (SFT on the wrong answers)."""
    m = micro_model("tiny-vita")
    prompts, pmask, replies, slots, _ = rollout.teacher_forced(m, samples[:4])
    for i, s in enumerate(samples[:4]):
        assert torch.equal(prompts[i][pmask[i].bool()], m.prompt(s).to(prompts))
        want = m.target(s.target_text, s.target_codes)
        assert torch.equal(replies[i][slots[i, :, 0] != 0], want.to(replies))


# ---------------------------------------------------------------- found by a second mutation audit: the draw itself


def test_inverse_cdf_scales_the_uniform_by_an_unnormalised_total():
    """top-p zeroes the tail without renormalising, so the rows inverse_cdf gets sum to less than 1.
    Hand-worked: masses 0.2 and 0.3 (total 0.5), so u below 0.4 draws index 1 and u above it index 3.
    Bug: the threshold taken as u rather than u * total, so every u above 0.2 draws the last token
    with mass (the truncated distribution's tail token is drawn far too often)."""
    probs = torch.tensor([[0.0, 0.2, 0.0, 0.3, 0.0]]).expand(4, 5)
    u = torch.tensor([0.0, 0.39, 0.41, 0.99])
    assert rollout.inverse_cdf(probs, u).tolist() == [1, 1, 3, 3]


@pytest.mark.parametrize("temperature,expect", [(0.5, [2, 5, 5, 6, 36]), (1.0, [1, 5, 6, 19, 36])])
def test_a_draw_follows_the_slot_restricted_distribution_at_the_temperature(samples, monkeypatch, temperature, expect):
    """Constant logits: character a = text_lo + 5 at ln(37) / 2, everything else 0. The first slot is TEXT:
    37 characters and <boa> (id 2, first in id order), so at temperature 0.5 a weighs e^ln(37) = 37 and the
    37 others 1 each (total 74): <boa> holds [0, 1) of the 74, character c < 5 holds [c + 1, c + 2), a
    [6, 43), a character c > 5 [c + 37, c + 38). At temperature 1 a weighs sqrt(37) = 6.08 of 43.08: a holds
    [6, 12.08), c > 5 [c + 6.08, c + 7.08). Uniforms 0.05 0.2 0.3 0.585 0.99 (times the total: 3.7 14.8 22.2
    43.3 73.3 at 0.5; 2.2 8.6 12.9 25.2 42.7 at 1) draw the characters text_lo + `expect`, and the recorded
    log-prob at 0.5 is log(37 / 74) for a, log(1 / 74) for another. Bugs: the temperature applied twice to
    the sampling logits (or not at all), which teacher forcing cannot see since the recorded log-probs stay
    right; a row's draw made with another row's uniform."""
    m = micro_model("tiny-vita", seed=1)
    v = m.vocab
    a = v.text_lo + 5

    def constant(tokens, attention_mask, position_ids=None, past=None, use_cache=False, keep=0, direct=False):
        logits = torch.zeros(*tokens.shape, v.size)
        logits[..., a] = 0.5 * float(torch.log(torch.tensor(37.0, dtype=torch.float64)))
        return logits, None
    monkeypatch.setattr(m, "forward", constant)
    m.share_prompts = False                 # a constant forward keeps no cache to share
    prompts, mask = m.sample_prompt_batch([samples[0]] * 5)
    uniforms = torch.tensor([0.05, 0.2, 0.3, 0.585, 0.99])[:, None, None]
    tokens, slots, logps, _ = rollout.generate(m, prompts, mask, temperature, top_p=1.0, max_len=1, uniforms=uniforms)
    assert slots[:, 0, 0].tolist() == [grammar.TEXT] * 5
    assert (tokens[:, 0, 0] - v.text_lo).tolist() == expect
    if temperature == 0.5:
        assert float(logps[1, 0, 0]) == pytest.approx(float(torch.log(torch.tensor(0.5))), abs=1e-5)
        assert float(logps[0, 0, 0]) == pytest.approx(-float(torch.log(torch.tensor(74.0))), abs=1e-5)


@pytest.mark.parametrize("rows,dropped", [(4, True), (5, False)])
def test_finished_rows_leave_once_they_are_a_quarter_of_the_batch(samples, rows, dropped):
    """Row 0 draws with u = 0, the first token with mass: <boa> in the first TEXT slot (id 2, before
    every character), <eoa> in the final chunk (id 3, before every code), then the forced <eos>: it
    closes at step 2. The other rows draw with u -> 1 (the last character, then codes) and run to
    max_len. With drop_finished 1, one finished row of 4 is a quarter: it leaves, and the forwards after
    step 2 run 3 rows; one of 5 is not, and all 5 stay. No forward follows the last step, whose logits
    nothing would read. Bugs: the quarter rule written `>` instead of `>=` (or against the rows at the
    start), so the finished rows keep being decoded; a forward run after the max_len-th token."""
    m = micro_model("tiny-vita", seed=1)
    v = m.vocab
    prompts, mask = m.sample_prompt_batch(samples[:rows])
    uniforms = torch.full((rows, 6, 1), 1 - 2 ** -20)
    uniforms[0] = 0.0
    sizes, inner = [], m.forward
    m.forward = lambda tokens, *a, **k: sizes.append(tokens.shape[0]) or inner(tokens, *a, **k)
    tokens, _, _, truncated = rollout.generate(m, prompts, mask, 1.0, top_p=1.0, max_len=6, uniforms=uniforms,
                                               drop_finished=1)
    assert tokens[0, :, 0].tolist() == [v.boa, v.eoa, v.eos, v.pad, v.pad, v.pad]
    assert truncated.tolist() == [False] + [True] * (rows - 1)
    after = rows - 1 if dropped else rows
    assert sizes == [rows] * 3 + [after] * 3          # the prefill, after steps 0 and 1, then after steps 2 to 4


def test_every_part_of_a_stream_key_changes_the_stream():
    """stream_seed(seed, step, index, reply) names one reply's randomness: over a grid of 2 seeds x 3 steps
    x 3 dataset indices x 3 replies the 54 keys are distinct 64-bit integers, and the same four give the
    same key. Bug: a part left out of the key (the step, say), so every step resamples the same replies
    for a prompt, or two replies of one prompt share their draws."""
    grid = [(s, t, i, g) for s in (0, 1) for t in (0, 1, 2) for i in (0, 1, 7) for g in (0, 1, 2)]
    keys = [rollout.stream_seed(*x) for x in grid]
    assert len(set(keys)) == len(grid)
    assert all(0 <= k < 2 ** 64 for k in keys)
    assert rollout.stream_seed(3, 4, 5, 6) == rollout.stream_seed(3, 4, 5, 6)


def test_a_reserved_layer_returns_what_a_growing_cache_would_for_updates_of_several_positions():
    """Oracle: the prompt's keys and values concatenated with each update's, as transformers'
    DynamicLayer does. A 3-position prompt in storage for 7: an update of 2 positions, then of 1, then of
    1 (full), and one more raises. Bugs: the keys or values view cut at the update's start plus one
    (right only for one-token decode steps), a position written at the wrong offset, or the capacity
    check off by one (raising when exactly full)."""
    from transformers.cache_utils import DynamicLayer
    g = torch.Generator().manual_seed(0)
    layer = DynamicLayer()
    layer.keys, layer.values = torch.randn(2, 2, 3, 4, generator=g), torch.randn(2, 2, 3, 5, generator=g)
    want_k, want_v = layer.keys.clone(), layer.values.clone()
    reserved = kvcache.ReservedLayer(layer, 7)
    for n in (2, 1, 1):
        k, v = torch.randn(2, 2, n, 4, generator=g), torch.randn(2, 2, n, 5, generator=g)
        want_k, want_v = torch.cat([want_k, k], -2), torch.cat([want_v, v], -2)
        got_k, got_v = reserved.update(k, v)
        assert torch.equal(got_k, want_k) and torch.equal(got_v, want_v)
    assert reserved.get_seq_length() == 7
    with pytest.raises(RuntimeError, match="full"):
        reserved.update(k, v)


def test_the_sampler_never_lets_attention_pick_cudnn_and_restores_the_flag(samples, monkeypatch):
    """Every forward of a rollout (the prefill and each decode step) runs with torch's cuDNN
    attention disabled and the other backends as they were; afterwards the flag is back.
    Bugs: generate not wrapped (on an H100/H200 each decode step would build a cuDNN plan for
    its new key length), the flag left off for the training forwards that follow, or the
    other backends switched off with it."""
    cuda = torch.backends.cuda
    m = micro_model("tiny-vita")
    prompts, mask = m.sample_prompt_batch(samples[:2])
    seen, forward = [], m.forward

    def spy(*args, **kwargs):
        seen.append((cuda.cudnn_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.math_sdp_enabled()))
        return forward(*args, **kwargs)
    monkeypatch.setattr(m, "forward", spy)
    assert cuda.cudnn_sdp_enabled()
    rollout.generate(m, prompts, mask, temperature=0.0, max_len=6)
    assert len(seen) == 6 and set(seen) == {(False, True, True)}
    assert cuda.cudnn_sdp_enabled()


def test_cudnn_attention_comes_back_as_it_was_and_is_never_the_last_backend_taken_away():
    """Nested (a sampler inside another's context), the inner one leaving does not turn cuDNN
    back on under the outer one, and leaving the outer one restores it. Where it was off before,
    it stays off after. Where a caller forced cuDNN alone (sdpa_kernel), it stays on: turning it
    off would leave attention no backend. Bugs: the flag restored to on rather than to what it
    was, or 'No available kernel' under a forced cuDNN."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    cuda = torch.backends.cuda
    with kvcache.without_cudnn_attention():
        with kvcache.without_cudnn_attention():
            assert not cuda.cudnn_sdp_enabled()
        assert not cuda.cudnn_sdp_enabled()
    assert cuda.cudnn_sdp_enabled()
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        with kvcache.without_cudnn_attention():
            assert cuda.cudnn_sdp_enabled()
    with sdpa_kernel([SDPBackend.MATH]):
        with kvcache.without_cudnn_attention():
            assert not cuda.cudnn_sdp_enabled() and cuda.math_sdp_enabled()
        assert not cuda.cudnn_sdp_enabled()
    assert cuda.cudnn_sdp_enabled()


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
@pytest.mark.parametrize("share", [True, False])
def test_the_prefill_computes_the_next_tokens_logits_only(name, share, samples, monkeypatch):
    """A rollout's prefill reads the prompt's last position only; the vocabulary projection of every
    other prompt position is work and memory for nothing (32 rows of a 256-token prompt at
    VITA-Audio's 168,072-token vocabulary: 2.7 GB of bf16 logits, a second copy when a group's
    rows are indexed out). Bug caught: the prefill's forward asked for every position's logits.
    The replies themselves are pinned by the equality tests above."""
    m = micro_model(name)
    m.share_prompts = share
    prompts, mask = m.sample_prompt_batch(samples[:2])
    prompts, mask = prompts.repeat_interleave(3, 0), mask.repeat_interleave(3, 0)
    widths, forward = [], m.forward

    def spy(tokens, *a, **k):
        logits, cache = forward(tokens, *a, **k)
        widths.append((tokens.shape[1], logits.shape[1]))
        return logits, cache
    monkeypatch.setattr(m, "forward", spy)
    rollout.generate(m, prompts, mask, temperature=0.0, max_len=3)
    assert widths[0] == (prompts.shape[1], 1) and prompts.shape[1] > 1
    assert widths[1:] == [(1, 1), (1, 1)]


def test_cudnn_attention_goes_off_where_math_is_the_only_other_backend():
    """Bug caught: `others` without math_sdp_enabled() -> cuDNN kept on where math is the only
    other enabled backend (the sampler would pay a cuDNN plan per decode step)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    cuda = torch.backends.cuda
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.CUDNN_ATTENTION]):
        assert cuda.cudnn_sdp_enabled() and cuda.math_sdp_enabled() and not cuda.flash_sdp_enabled()
        with kvcache.without_cudnn_attention():
            assert not cuda.cudnn_sdp_enabled() and cuda.math_sdp_enabled()
        assert cuda.cudnn_sdp_enabled()


def test_shared_prefix_attention_defaults_to_one_over_root_d():
    """scaling=None is d ** -0.5 (Qwen2 always passes its own scaling; another caller may not). Bug
    caught: the default d ** 0.5."""
    g, u, h, h_kv, p, t, d = 2, 1, 2, 1, 3, 2, 4
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(g * u, h, 1, d, generator=gen)
    pk, pv = (torch.randn(u, h_kv, p, d, generator=gen) for _ in range(2))
    rk, rv = (torch.randn(g * u, h_kv, t, d, generator=gen) for _ in range(2))
    mask = torch.ones(g * u, 1, 1, p + t, dtype=torch.bool)
    run = lambda s: kvcache.shared_prefix_attention(None, q, kvcache.SharedPrefixKV(pk, rk, g),  # noqa: E731
                                                    kvcache.SharedPrefixKV(pv, rv, g), mask, scaling=s)[0]
    torch.testing.assert_close(run(None), run(0.5), atol=0, rtol=0)      # d = 4: 4 ** -0.5 = 0.5


def test_the_plain_loop_keeps_transformers_cache_even_where_rows_share_a_prompt(samples):
    """reserve=False is the plain reference loop of the equality tests and bench.py: it keeps
    transformers' own cache even where rows share a prompt. Bug caught: `reserve` dropped from the
    sharing condition (the reference would decode over SharedPrefixLayers, the path it checks)."""
    from transformers.cache_utils import DynamicLayer
    m = micro_model("tiny-vita", seed=1)
    prompts, mask = m.sample_prompt_batch(samples[:2])
    prompts, mask = prompts.repeat_interleave(3, 0), mask.repeat_interleave(3, 0)
    layers, inner = set(), m.forward

    def spy(tokens, *a, past=None, **k):
        for c in past if isinstance(past, tuple) else (past,) if past is not None else ():
            layers.update(type(layer) for layer in c.layers)
        return inner(tokens, *a, past=past, **k)
    m.forward = spy
    rollout.generate(m, prompts, mask, temperature=0.0, max_len=4, reserve=False, share=True)
    assert layers == {DynamicLayer}


def prefilled(m, prompts, mask, cache):
    """The prompts' prefill and a KV cache of kind `cache` ("dynamic": transformers' own; "reserved"; "shared":
    a group's prompt once) -> (the first tokens to feed, the mask, the cache)."""
    distinct, distinct_mask, row_of = M.distinct_prompts(prompts, mask)
    logits, past = m(distinct if cache == "shared" else prompts, distinct_mask if cache == "shared" else mask,
                     use_cache=True, keep=1)
    if cache == "shared":
        assert kvcache.share_prefix(past, row_of, prompts.shape[1] + 8) is not None
    elif cache == "reserved":
        past = kvcache.reserve_positions(past, prompts.shape[1] + 8)
    tok = logits[:, -1].argmax(-1)[:, None, :]
    return (tok[row_of] if cache == "shared" else tok), mask, past


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
@pytest.mark.parametrize("cache,dtype", [("dynamic", torch.float32), ("reserved", torch.float32),
                                         ("shared", torch.float32), ("reserved", torch.bfloat16)])
@pytest.mark.parametrize("padded", [True, False])
def test_a_direct_decode_step_gives_the_forwards_logits_and_cache_exactly(name, cache, dtype, padded, samples):
    """Oracle: the model's forward (transformers' Qwen2Model) over the same cache, step by step: the
    same logits and the same cache contents, bit for bit, over each cache kind, in bf16 (vita's dtype),
    with left padding and without (transformers then passes no mask), and with grouped-query heads
    (2 query heads on 1 KV head). Bugs: the rotation applied to the values or not to the queries, a
    layer's states written to another layer's cache, a norm's epsilon (or Qwen2's default in its place)
    or a projection's bias dropped,
    the padding mask ignored or the trunk's output not fed to tiny-kimi's branch."""
    config = {**conftest.MICRO, "num_key_value_heads": 1, "rms_norm_eps": 1e-3}      # GQA; not the default epsilon
    m = M.build_model(name, seed=1, config_overrides=config)
    with torch.no_grad():                 # biases (zero) and norm weights (one) as trained: a dropped one shows
        for p in m.parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    m = m.to(dtype).eval()
    assert m.decodes_directly()
    chosen = [samples[0], samples[5]] if padded else [samples[0], samples[0]]
    prompts, mask = m.sample_prompt_batch(chosen)
    assert bool((mask == 0).any()) == padded
    prompts, mask = prompts.repeat_interleave(2, 0), mask.repeat_interleave(2, 0)
    with torch.inference_mode(), (kvcache.attention_over_shared_prefix(m) if cache == "shared"
                                  else contextlib.nullcontext()):
        (tok, attn, through), (_, _, direct) = prefilled(m, prompts, mask, cache), prefilled(m, prompts, mask, cache)
        for step in range(5):
            attn = torch.cat([attn, torch.ones(len(attn), 1, dtype=attn.dtype)], dim=1)
            expected, through = m(tok, attn, past=through, use_cache=True)
            got, direct = m(tok, attn, past=direct, use_cache=True, direct=True)
            assert got.dtype == dtype and torch.equal(got, expected), step
            tok = expected[:, -1].argmax(-1)[:, None, :]
    for a, b in zip(through if isinstance(through, tuple) else (through,),
                    direct if isinstance(direct, tuple) else (direct,)):
        for la, lb in zip(a.layers, b.layers):
            assert torch.equal(la.keys, lb.keys) and torch.equal(la.values, lb.values)


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_the_sampler_decodes_directly_and_samples_what_the_forward_does(name, samples, monkeypatch):
    """rollout.generate runs its decode steps through kvcache.decode_layers by default, and samples the
    same tokens, slots and log-probs as with every step through the forward (direct=False). Bug caught:
    the direct path never taken (a condition that is always false), or a step that differs from it."""
    m = micro_model(name, seed=1)
    prompts, mask = m.sample_prompt_batch([samples[0], samples[5]])
    prompts, mask = prompts.repeat_interleave(3, 0), mask.repeat_interleave(3, 0)
    uniforms = torch.rand(6, 24, m.n_streams, generator=torch.Generator().manual_seed(0))
    calls, inner = [], kvcache.decode_layers
    monkeypatch.setattr(kvcache, "decode_layers", lambda *a: calls.append(1) or inner(*a))
    direct = rollout.generate(m, prompts, mask, 1.0, max_len=24, uniforms=uniforms)
    assert calls
    calls.clear()
    through = rollout.generate(m, prompts, mask, 1.0, max_len=24, uniforms=uniforms, direct=False)
    assert not calls
    assert all(torch.equal(a, b) for a, b in zip(direct, through))


def test_a_network_decode_layers_cannot_stand_for_decodes_through_its_forward(samples, monkeypatch):
    """decodes_directly is false, and the sampler never calls decode_layers, where the layers would not
    compute the forward's numbers: sliding-window layers (whose mask decode_layers does not build),
    another attention implementation than SDPA, attention dropout in training, a layer, a norm or a
    projection of another kind (LoRA's), layers whose cache slots are not their positions (pruned),
    sharded (DTensor) weights.
    Bug caught: the direct path taken there (a sliding window ignored; FSDP's shards read as weights)."""
    from transformers.models.qwen2.modeling_qwen2 import Qwen2DecoderLayer
    m = micro_model("tiny-vita", seed=1)
    stack = m.net.model
    assert kvcache.decodes_directly(stack)
    monkeypatch.setattr(stack.config, "layer_types", ["sliding_attention", "full_attention"])
    assert not kvcache.decodes_directly(stack)
    monkeypatch.undo()
    monkeypatch.setattr(stack.config, "_attn_implementation", "eager")
    assert not kvcache.decodes_directly(stack)
    monkeypatch.undo()
    monkeypatch.setattr(stack.layers[1].self_attn, "attention_dropout", 0.1)    # what the forward reads
    assert kvcache.decodes_directly(stack.eval()) and not kvcache.decodes_directly(stack.train())
    stack.eval()
    monkeypatch.undo()
    monkeypatch.setattr(stack.layers[1].self_attn, "layer_idx", 0)      # a pruned stack: slots out of order
    assert not kvcache.decodes_directly(stack)
    monkeypatch.undo()

    class LoraLinear(torch.nn.Linear):
        def forward(self, x):
            return super().forward(x) + 1.0
    monkeypatch.setattr(stack.layers[0].mlp.up_proj, "__class__", LoraLinear)
    assert not kvcache.decodes_directly(stack)
    monkeypatch.undo()

    class OwnLayer(Qwen2DecoderLayer):
        def forward(self, *a, **k):
            return super().forward(*a, **k)
    monkeypatch.setattr(stack.layers[1], "__class__", OwnLayer)
    assert not kvcache.decodes_directly(stack)
    monkeypatch.undo()

    class OwnNorm(type(stack.norm)):
        def forward(self, x):
            return super().forward(x)
    monkeypatch.setattr(stack.layers[0].post_attention_layernorm, "__class__", OwnNorm)
    assert not kvcache.decodes_directly(stack)
    monkeypatch.undo()
    class DTensor(torch.nn.Parameter):                          # named as FSDP2's sharded weights are
        pass
    head = m.net.lm_head.weight
    m.net.lm_head.weight = DTensor(head.detach().clone())
    assert kvcache.decodes_directly(stack) and not m.decodes_directly()      # the head is outside the layers
    m.net.lm_head.weight = head
    assert m.decodes_directly()
    monkeypatch.setattr(stack.config, "_attn_implementation", "eager")
    monkeypatch.setattr(kvcache, "decode_layers", lambda *a: pytest.fail("decode_layers called"))
    prompts, mask = m.sample_prompt_batch(samples[:2])
    rollout.generate(m, prompts, mask, temperature=0.0, max_len=4)


# ---------------------------------------------------------------- found by a mutation audit: the direct decode, the cache, the draw


def _subclass(module):
    """A class of the module's own kind in all but name: decodes_directly must refuse it as another
    implementation (LoRA's linear, a patched attention, a custom norm or model)."""
    return type("Own" + type(module).__name__, (type(module),), {})


@pytest.mark.parametrize("path", ["layers.0.self_attn", "layers.1.mlp", "layers.0.input_layernorm",
                                  "layers.1.post_attention_layernorm", "norm", "rotary_emb", "",
                                  *[f"layers.0.self_attn.{p}_proj" for p in "qkvo"],
                                  *[f"layers.1.mlp.{p}_proj" for p in ("gate", "up", "down")]])
def test_decodes_directly_refuses_each_module_of_another_kind(path, monkeypatch):
    """decodes_directly's contract (its docstring): every module decode_layers reads in place of the forward is
    transformers' own Qwen2 class, exactly. One module at a time is given a subclass (same weights, code
    that may differ: a LoRA projection, a patched attention, a norm or a Qwen2Model of another kind): each
    is refused, and the unchanged stack is accepted, also while the shared-prefix attention is in force.
    Bug caught: any one of the type checks dropped (the attention, the MLP, the input norm, the final norm,
    the rotary embedding, the stack itself, one of the seven projections), so decode_layers would compute
    another network than the forward does."""
    m = micro_model("tiny-vita", seed=1)
    stack = m.net.model
    assert kvcache.decodes_directly(stack)
    with kvcache.attention_over_shared_prefix(m):
        assert kvcache.decodes_directly(stack)        # shared_prefix_attention stands in for SDPA
    module = stack.get_submodule(path)
    monkeypatch.setattr(module, "__class__", _subclass(module))
    assert not kvcache.decodes_directly(stack)


def test_decodes_directly_refuses_a_stack_with_fewer_layers_than_its_config(monkeypatch):
    """A stack whose config names more layers than it holds (a truncated or pruned copy): the forward and
    decode_layers may agree, but the cache slots and the config's per-layer settings no longer line up with
    the layers, and the contract refuses it. Bug caught: the layer count check dropped."""
    m = micro_model("tiny-vita", seed=1)
    stack = m.net.model
    monkeypatch.setattr(stack.config, "num_hidden_layers", len(stack.layers) + 1)
    monkeypatch.setattr(stack.config, "layer_types", None)
    assert not kvcache.decodes_directly(stack)


def test_a_direct_decode_step_normalises_attention_and_mlp_inputs_with_their_own_norms(samples):
    """Each layer's input norm and post-attention norm set to different weights (0.5 and 2.0 per channel,
    the final norm 1.5): the direct step's logits equal the forward's, bit for bit, over 3 steps. (The
    equality test above perturbs every 1-D parameter from a seed of its size, so the two norms of a layer,
    both hidden-sized, got the same weights and could be swapped unseen.) Bug caught: the MLP's input
    normalised with the input norm's weights (or the attention's with the post-attention norm's)."""
    m = micro_model("tiny-vita", seed=1).eval()
    stack = m.net.model
    with torch.no_grad():
        for layer in stack.layers:
            layer.input_layernorm.weight.fill_(0.5)
            layer.post_attention_layernorm.weight.fill_(2.0)
        stack.norm.weight.fill_(1.5)
    prompts, mask = m.sample_prompt_batch([samples[0], samples[5]])
    with torch.inference_mode():
        (tok, attn, through), (_, _, direct) = prefilled(m, prompts, mask, "reserved"), prefilled(m, prompts, mask,
                                                                                                   "reserved")
        for step in range(3):
            attn = torch.cat([attn, torch.ones(len(attn), 1, dtype=attn.dtype)], dim=1)
            expected, through = m(tok, attn, past=through, use_cache=True)
            got, direct = m(tok, attn, past=direct, use_cache=True, direct=True)
            assert torch.equal(got, expected), step
            tok = expected[:, -1].argmax(-1)[:, None, :]


def test_a_shared_prefix_layer_holds_capacity_less_the_prompt_for_the_replies():
    """share_prefix's capacity, as reserve_positions', counts every position of a row, its prompt's and its
    reply's (generate passes prompt length + max_len): a 3-position prompt with capacity 5 leaves room for
    2 reply positions, and a third is refused as full. Bug caught: the replies' storage reserved for the
    whole capacity (P positions per row more than a rollout writes: at 32 rows of a 256-token prompt, 8,192
    positions of every layer's keys and values for nothing)."""
    from transformers import DynamicCache
    g = torch.Generator().manual_seed(0)
    cache = DynamicCache()
    cache.update(torch.randn(2, 2, 3, 4, generator=g), torch.randn(2, 2, 3, 4, generator=g), 0)
    shared = kvcache.share_prefix(cache, torch.tensor([0, 0, 1, 1]), 5)
    layer = shared.layers[0]
    for _ in range(2):
        layer.update(torch.randn(4, 2, 1, 4, generator=g), torch.randn(4, 2, 1, 4, generator=g))
    assert layer.get_seq_length() == 5
    with pytest.raises(RuntimeError, match="full"):
        layer.update(torch.randn(4, 2, 1, 4, generator=g), torch.randn(4, 2, 1, 4, generator=g))


def test_shared_prefix_attention_reads_an_additive_mask_as_sdpa_does():
    """transformers hands attention either a bool mask (True = attend) or an additive float one (0 or -inf);
    shared_prefix_attention must read both as SDPA does. Oracle: the same call with the bool mask (itself
    checked against SDPA above), and SDPA given the float mask over each row's whole cache. Bug caught:
    the float mask subtracted (or ignored): -(-inf) lets the padding in."""
    g, u, h, h_kv, p, t, d = 2, 2, 2, 1, 4, 3, 8
    n = u * g
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(n, h, 1, d, generator=gen)
    pk, pv = (torch.randn(u, h_kv, p, d, generator=gen) for _ in range(2))
    rk, rv = (torch.randn(n, h_kv, t, d, generator=gen) for _ in range(2))
    keep = torch.ones(n, 1, 1, p + t, dtype=torch.bool)
    keep[g:, ..., :2] = False                                  # group 1's prompt left-padded by 2
    additive = torch.zeros(keep.shape).masked_fill(~keep, float("-inf"))
    run = lambda mask: kvcache.shared_prefix_attention(None, q, kvcache.SharedPrefixKV(pk, rk, g),  # noqa: E731
                                                       kvcache.SharedPrefixKV(pv, rv, g), mask, scaling=0.3)[0]
    torch.testing.assert_close(run(additive), run(keep), atol=1e-6, rtol=1e-6)
    rows = torch.arange(u).repeat_interleave(g)
    whole_k = torch.cat([pk[rows], rk], 2).repeat_interleave(h // h_kv, 1)
    whole_v = torch.cat([pv[rows], rv], 2).repeat_interleave(h // h_kv, 1)
    expect = torch.nn.functional.scaled_dot_product_attention(q, whole_k, whole_v, attn_mask=additive, scale=0.3)
    torch.testing.assert_close(run(additive), expect.transpose(1, 2), atol=1e-5, rtol=1e-5)


def test_rows_keep_leaving_once_the_finished_are_a_quarter_of_the_rows_still_running(samples):
    """5 rows, drop_finished 1. Rows 0 and 1 draw with u = 0 (<boa>, <eoa>, the forced <eos>: closed at step
    2); row 2 draws the last character (u -> 1), then u = 0 (<boa>, <eoa>, <eos>: closed at step 3); rows
    3 and 4 draw u -> 1 to max_len 7. Step 2: 2 finished of 5 is at least a quarter, they leave (3 rows);
    step 3: 1 of the 3 still running is a quarter too, it leaves (2 rows). Forwards: the prefill, after steps
    0 and 1 (5 rows), after step 2 (3), after steps 3 to 5 (2). Bug caught: the quarter taken of the rows
    the rollout started with (1 of 5 is not a quarter), so a finished row stays in every later step."""
    m = micro_model("tiny-vita", seed=1)
    v = m.vocab
    prompts, mask = m.sample_prompt_batch(samples[:5])
    uniforms = torch.full((5, 7, 1), 1 - 2 ** -20)
    uniforms[:2] = 0.0
    uniforms[2, 1:] = 0.0
    sizes, inner = [], m.forward
    m.forward = lambda tokens, *a, **k: sizes.append(tokens.shape[0]) or inner(tokens, *a, **k)
    tokens, _, _, truncated = rollout.generate(m, prompts, mask, 1.0, top_p=1.0, max_len=7, uniforms=uniforms,
                                               drop_finished=1)
    last = v.text_hi - 1
    assert tokens[:3, :, 0].tolist() == [[v.boa, v.eoa, v.eos] + [v.pad] * 4] * 2 + \
        [[last, v.boa, v.eoa, v.eos] + [v.pad] * 3]
    assert truncated.tolist() == [False, False, False, True, True]
    assert sizes == [5, 5, 5, 3, 2, 2, 2]


def test_inverse_cdf_tells_apart_tail_tokens_below_float32s_spacing():
    """A large vocabulary's tail: one token of mass 0.5, then 4,096 of 2^-26 each, a quarter of float32's
    spacing near 0.5, as a softmax over 168k tokens leaves most of them. Oracle, in exact rational
    arithmetic: u draws the first index whose cumulative mass exceeds u * total, 1 + floor((u * total - 0.5)
    / 2^-26) for u in the tail. Bug caught: the cumulative sum kept in float32, whose neighbouring tail sums
    round to the same value, so most draws land a token off."""
    from fractions import Fraction
    import math
    n, m = 4096, 2.0 ** -26
    probs = torch.full((n + 1,), m)
    probs[0] = 0.5
    total = Fraction(1, 2) + n * Fraction(m)
    u = torch.linspace(0.5 / float(total) + 1e-6, 1 - 1e-6, 64)
    want = [1 + math.floor((Fraction(float(x)) * total - Fraction(1, 2)) / Fraction(m)) for x in u]
    assert rollout.inverse_cdf(probs.expand(64, n + 1), u).tolist() == want
