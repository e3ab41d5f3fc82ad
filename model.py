"""Spoken dialogue models behind one small interface.

Two architectures, each as a tiny model built in code (real VITA-Audio checkpoints
load through real.py; a real Kimi-Audio adapter is not included):

  interleaved  `tiny-vita`, `vita`: one causal stream. A reply alternates text
               chunks and audio chunks by a schedule like VITA-Audio's
               `text_audio_interval_ratio` ("1 10 4 10": 1 text token, then
               begin-of-audio + 8 codes + end-of-audio, then 4 text / 10 audio
               repeating; audio sizes count the two markers).
  parallel     `tiny-kimi`: a shared trunk over two streams of equal length
               (input = text embedding + audio embedding) with a text head and an
               audio head; audio trails text by `audio_delay` blanks, text is
               padded with blanks after its end-of-text, as in Kimi-Audio.

What the rest of the code uses (it never needs to know the architecture):

  model.prompt(sample)            -> LongTensor (P, K)    K streams: 1 or 2
  model.target(text, codes)       -> LongTensor (L, K)    an SFT reply laid out by the schedule
  model.grammar                   -> the schedule as a vectorised state machine:
                                     slots(state) (N, K) and step(state, tokens)
  model.slots_for(replies)        -> LongTensor (N, L, K) slot type of every reply token
  model(tokens, attention_mask)   -> logits (N, S, K, V)
  model(tokens, mask, reply_from=P) -> logits (N, S-P, K, V) predicting tokens[:, P:], each
                                     distinct prompt run once for the rows that share it
  reply_logprobs(model, ...)      -> per-token log-probs (N, L, K) of given replies
  model.masks(replies, slots)     -> completion / text / speech / sampled masks (N, L, K)
  model.split(reply)              -> (text, speech codes); model.codec.decode -> (wave, rate)
  model.save(dir), load_model(dir)

The schedule's grammar (slot types, the vocabularies, constrained log-probs) lives in
grammar.py; a forced position has log-prob exactly 0 and is not the policy's choice.

Run `python model.py` to print both tiny models' sizes and a laid-out reply.

Deviations from the paper and the official release:
  1. Generation is constrained to the schedule (grammar.py, its deviation 1).
  2. Replies are laid out as VITA-Audio lays out its SFT data (leftover speech and
     leftover text both merged into the final chunk), except that when the text
     outruns the speech the toy codec pads the speech with silence codes instead of
     merging the text (GLM-4-Voice has no silence code and merges, as upstream).
  3. Kimi-Audio's audio head is a 6-layer branch from layer 21 of 28; tiny-kimi
     branches one extra layer from its trunk's output. Kimi-Audio feeds Whisper
     features beside the input codes; tiny-kimi hears the codes alone.
  4. The tiny models read no system prompt: the toy data's is constant.
  5. The toy speech codec lives in its own file, codec.py (one concept per file);
     its `encode` and `decode` are re-exported here for `from model import encode`.
  6. An early <boa> (chosen in a text slot: the text ends) counts as text, as tiny-kimi's
     <eot> does, so text-only GRPO credits when to stop talking; the official boundary
     rule counts every <boa> as speech (`SpokenLM.masks`).
"""
import contextlib
import json
import os

import numpy as np
import torch
import torch.nn as nn

import codec as toy_codec
import kvcache
import runtime
from codec import decode, encode  # noqa: F401  re-exported: the toy codec's public pair
from grammar import (PAD_SLOT, TEXT, TEXT_OR_EOS, InterleavedGrammar, ParallelGrammar, ToyTokenizer,
                     constrained_logprobs)

def pad_left(seqs, pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """List of (S_i, K) -> tokens (N, S, K) left-padded, attention mask (N, S)."""
    n, s, k = len(seqs), max(len(x) for x in seqs), seqs[0].shape[1]
    tokens = torch.full((n, s, k), pad, dtype=torch.long)
    mask = torch.zeros(n, s, dtype=torch.long)
    for i, x in enumerate(seqs):
        tokens[i, s - len(x):] = x
        mask[i, s - len(x):] = 1
    return tokens, mask


def pad_right(seqs, pad: int) -> torch.Tensor:
    """List of (L_i, K) -> (N, L, K) right-padded."""
    n, length, k = len(seqs), max(len(x) for x in seqs), seqs[0].shape[1]
    out = torch.full((n, length, k), pad, dtype=torch.long)
    for i, x in enumerate(seqs):
        out[i, :len(x)] = x
    return out


def reply_logprobs(model, prompts, prompt_mask, replies, slots, temperature=1.0, forward=None):
    """Teacher-forced per-token log-probs of replies.

    prompts (N, P, K) left-padded with prompt_mask (N, P); replies (N, L, K) and
    slots (N, L, K) right-padded (PAD_SLOT beyond each reply); temperature a float
    or (N,) per row -> (N, L, K). `forward` runs the network (e.g. a DDP wrapper of
    `model`); by default the model itself.
    """
    n, p, k = prompts.shape
    length = replies.shape[1]
    tokens = torch.cat([prompts, replies], dim=1)                        # (N, P+L, K)
    mask = torch.cat([prompt_mask, (slots[..., 0] != PAD_SLOT).long()], dim=1)
    logits, _ = (forward or model)(tokens, mask, reply_from=p)           # (N, L, K, V)
    temperature = torch.as_tensor(temperature, dtype=torch.float32, device=logits.device)
    temperature = temperature.reshape(-1, 1, 1).expand(n, length, k).reshape(-1)
    out = constrained_logprobs(logits.reshape(n * length * k, -1), slots.reshape(-1),
                               replies.reshape(-1), model.allowed, temperature)
    return out.view(n, length, k)


def distinct_prompts(prompts, mask):
    """prompts (N, P, K), mask (N, P) -> the distinct rows (U, P, K), (U, P) and row_of (N,):
    row i's prompt is distinct row row_of[i]."""
    n, p, k = prompts.shape
    keys, row_of = torch.unique(torch.cat([prompts.reshape(n, -1), mask], dim=1), dim=0, return_inverse=True)
    return keys[:, :p * k].view(-1, p, k), keys[:, p * k:], row_of


def select_rows(cache, rows, length):
    """A KV cache (transformers' Cache, or a tuple of them) of `length` positions -> the same
    cache with batch rows `rows` (differentiable: rows that read one prompt sum their gradients
    into it). A cache of any other length (a layer that did not keep it) is an error, not a guess."""
    for c in cache if isinstance(cache, tuple) else (cache,):
        if c.get_seq_length() != length:
            raise RuntimeError(f"the prompt's KV cache holds {c.get_seq_length()} positions, not {length}")
        c.batch_select_indices(rows)
    return cache


# ---------------------------------------------------------------- the models

def default_positions(attention_mask, n_new):
    """Positions of the last n_new tokens, counting only attended ones, so left padding does not shift them."""
    return (attention_mask.cumsum(1) - 1).clamp(min=0)[:, -n_new:]


class SpokenLM(nn.Module):
    """Shared by both architectures: the schedule, masks, save/load."""
    arch: str
    n_streams: int

    def __init__(self, tokenizer, codec, spec: dict):
        super().__init__()
        self.tokenizer, self.codec, self.spec = tokenizer, codec, dict(spec)
        self.vocab = tokenizer.vocab
        self.register_buffer("allowed", self.vocab.allowed_table(), persistent=False)
        self.share_prompts = True    # reply_logits runs each distinct prompt once (bench.py compares both)

    def forward(self, tokens, attention_mask, position_ids=None, past=None, use_cache=False, reply_from=None,
                keep=0, direct=False):
        """tokens (N, S, K), attention_mask (N, past + S) -> logits (N, S, K, V) (the last `keep`
        positions only, if keep > 0: a rollout's prefill keeps 1), cache. With reply_from=P: only
        the logits that predict tokens[:, P:], (N, S - P, K, V), and no cache (reply_logits). With
        direct: one new position over `past` through the layers directly (decode_step; the sampler
        asks decodes_directly() once per rollout). One call either way, so a DDP wrapper sees one
        forward per term."""
        if direct:
            return self.decode_step(tokens, attention_mask, past), past
        if reply_from is not None:
            return self.reply_logits(tokens, attention_mask, reply_from), None
        return self.run(tokens, attention_mask, position_ids, past, use_cache, keep)

    def reply_logits(self, tokens, attention_mask, p):
        """Logits predicting tokens[:, p:] -> (N, S - p, K, V), prompt = the first p positions.

        Rows whose prompt (tokens and mask) is the same, as a group's G rollouts and its SFT row
        are, share one forward of it: its KV cache is indexed out to those rows and their replies
        run on top, so each row's gradient reaches the shared prompt's activations, summed, as it
        would reach its own copy. The same numbers as one forward over whole rows, to float
        tolerance, for G + 1 times fewer prompt tokens through the network. Where no prompt
        repeats, or where the cache would be dropped (transformers' gradient checkpointing in
        training), one forward over whole rows that keeps the reply positions' logits only."""
        n, s, _ = tokens.shape
        prompts, mask, row_of = distinct_prompts(tokens[:, :p], attention_mask[:, :p])
        if not self.share_prompts or len(prompts) == n or self.cache_dropped():
            logits, _ = self.run(tokens, attention_mask, keep=s - p + 1)
            return logits[:, :-1]
        head, cache = self.run(prompts, mask, use_cache=True, keep=1)
        tail, _ = self.run(tokens[:, p:], attention_mask, past=select_rows(cache, row_of, p), use_cache=True)
        return torch.cat([head[row_of], tail[:, :-1]], dim=1)

    def decodes_directly(self) -> bool:
        """decode_step() runs the network's layers itself (kvcache.decode_layers): a Qwen2 network with
        plain weights (not sharded; FSDP's are gathered while sampling)."""
        stacks = self.decoder_stacks()
        return bool(stacks) and all(kvcache.decodes_directly(stack) for stack in stacks) and not runtime.is_sharded(self)

    def decoder_stacks(self) -> list:
        """The network's transformers Qwen2Models, in the order a decode step runs them (none: it
        always decodes through its forward)."""
        return []

    def decode_step(self, tokens, attention_mask, past):
        """One sampled position per row over the KV cache `past`: tokens (N, 1, K), attention_mask
        (N, past + 1) -> logits (N, 1, K, V), the cache written. The numbers of
        run(tokens, attention_mask, past=past, use_cache=True) through kvcache.decode_layers, where
        decodes_directly()."""
        raise NotImplementedError

    def cache_dropped(self) -> bool:
        """transformers ignores use_cache in a checkpointed layer in training (--grad-checkpoint)."""
        return self.training and any(getattr(m, "gradient_checkpointing", False) for m in self.modules())

    def slots_for(self, replies: torch.Tensor) -> torch.Tensor:
        """Replay the grammar over replies (N, L, K): slot types (N, L, K). Positions after a
        reply is complete get PAD_SLOT; a token its slot forbids means the reply is malformed."""
        n, length, _ = replies.shape
        state, out = self.grammar.init(n), []
        for t in range(length):
            slot = self.grammar.slots(state)
            out.append(slot)
            state = self.grammar.step(state, replies[:, t])
        return torch.stack(out, dim=1)

    def masks(self, replies, slots, include_audio_boundaries: bool = True) -> dict:
        """Eq. 1's token-type partition over replies (N, L, K): bool masks (N, L, K).
        completion: every reply token; text and speech: disjoint, inside completion;
        boundary markers (<boa>, <eoa>) are speech, or neither when not included;
        sampled: positions where the schedule left the policy a choice.

        The rule for the token that ends the text: it is text, in both architectures.
        tiny-kimi's <eot> sits on the text stream; tiny-vita's early <boa> (chosen in a text
        slot instead of a character, before the chunk is full) is the same decision, so it is
        text too, and text-only GRPO credits when to stop talking. A scheduled (forced) <boa>
        stays a speech marker. The official boundary rule counts every <boa> as speech."""
        completion = slots != PAD_SLOT
        ends_text = ((slots == TEXT) | (slots == TEXT_OR_EOS)) & (replies == self.vocab.boa)   # an early <boa> (interleaved)
        boundary = ((replies == self.vocab.boa) | (replies == self.vocab.eoa)) & ~ends_text
        speech_side = self._speech_positions(replies) & ~ends_text   # codes and markers, or the audio stream
        speech = completion & speech_side & (include_audio_boundaries | ~boundary)
        text = completion & ~speech_side
        sampled = completion & (self.allowed.sum(1)[slots] > 1)
        return {"completion": completion, "text": text, "speech": speech, "sampled": sampled}

    def load_weights(self, path: str):
        """Load weights saved by `save` into this (already built) model, in place."""
        from safetensors.torch import load_file
        index = os.path.join(path, "model.safetensors.index.json")
        state = {}
        with reading(path):
            with open(index) if os.path.exists(index) else contextlib.nullcontext() as f:
                files = sorted(set(json.load(f)["weight_map"].values())) if f else ["model.safetensors"]
            for name in files:
                state.update(load_file(os.path.join(path, name)))
            missing, unexpected = self.net.load_state_dict(state, strict=False)
        tied = {"lm_head.weight"} if getattr(self.net.config, "tie_word_embeddings", False) else set()
        if set(missing) - tied or unexpected:
            raise CheckpointError(f"{path}: weights do not match the model (missing {sorted(set(missing) - tied)[:5]}, "
                                  f"unexpected {sorted(unexpected)[:5]})")

    def sample_prompt_batch(self, samples):
        """Left-padded prompts (N, P, K) and attention mask (N, P) for samples."""
        return pad_left([self.prompt(s) for s in samples], self.vocab.pad)

    def save(self, path: str, state_dict=None, exact=False):
        """Write spoken.json + weights (+ tokenizer for real checkpoints) to a directory.
        `state_dict` (keys 'net.*') replaces the module's own, e.g. an FSDP full state dict.
        A real checkpoint is written in its source's dtypes, as its own inference loads it;
        exact=True keeps every weight as trained (float32 master weights: a resume checkpoint).
        The tiny models are always written as trained."""
        os.makedirs(path, exist_ok=True)
        net_state = None if state_dict is None else {k[4:]: v for k, v in state_dict.items() if k.startswith("net.")}
        self._save_weights(path, net_state, exact)
        tmp = os.path.join(path, "spoken.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.spec, f, indent=1)
        os.replace(tmp, os.path.join(path, "spoken.json"))


def prompt_turns(messages) -> list:
    """The turns a prompt holds: every turn up to the last user turn. An assistant turn before it
    is the dialogue's history; one after it is the answer, left out. (In the toy layouts a
    dialogue's user and assistant turns open with <user> and <assistant>; system turns, which
    have no token there, are left out; real checkpoints render every kept turn with their chat
    template, real.py.)"""
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return list(messages[:last_user + 1])


class InterleavedLM(SpokenLM):
    """One stream (K = 1) over a causal LM: `net(input_ids, ...)` returns next-token logits."""
    arch, n_streams = "interleaved", 1

    def __init__(self, net, tokenizer, codec, spec):
        super().__init__(tokenizer, codec, spec)
        self.net = net
        self.grammar = InterleavedGrammar(self.vocab, spec["schedule"])

    def run(self, tokens, attention_mask, position_ids=None, past=None, use_cache=False, keep=0):
        """tokens (N, S, 1), attention_mask (N, S + past length) -> logits (N, S, 1, V) (the last
        `keep` positions only, if keep > 0), cache."""
        if position_ids is None:
            position_ids = default_positions(attention_mask, tokens.shape[1])
        out = self.net(input_ids=tokens[..., 0], attention_mask=attention_mask, position_ids=position_ids,
                       past_key_values=past, use_cache=use_cache, logits_to_keep=keep)
        return out.logits[:, :, None, :], out.past_key_values

    def decoder_stacks(self):
        return [self.net.model]

    def decode_step(self, tokens, attention_mask, past):
        stack = self.net.model
        hidden = kvcache.decode_layers(stack, stack.embed_tokens(tokens[..., 0]), attention_mask,
                                       default_positions(attention_mask, 1), past)
        return self.net.lm_head(hidden)[:, :, None, :]

    def prompt(self, sample) -> torch.Tensor:
        v = self.vocab
        if hasattr(self.tokenizer, "chat_prompt"):
            ids = self.tokenizer.chat_prompt(sample)
        else:  # the toy layout: <user> <boa> codes <eoa> <assistant>, text around <|audio|> kept
            ids, audios = [], iter(sample.question_codes)
            for m in prompt_turns(sample.messages):
                pieces = m["content"].split("<|audio|>")
                if m["role"] not in ("user", "assistant"):     # no role token for it: left out, audio too
                    for _ in pieces[1:]:
                        next(audios)
                    continue
                ids.append(v.user if m["role"] == "user" else v.assistant)
                for i, piece in enumerate(pieces):
                    if i:
                        ids += [v.boa] + [v.audio_offset + int(c) for c in next(audios)] + [v.eoa]
                    ids += self.tokenizer.encode_text(piece)
            ids.append(v.assistant)
        return torch.tensor(ids, dtype=torch.long)[:, None]

    def target(self, text: str, codes) -> torch.Tensor:
        """Lay out an SFT reply by the schedule, as VITA-Audio lays out its SFT data: (L, 1).

        Text and speech are each cut into chunks by the schedule's sizes; the reply has
        as many chunks as the shorter list, and the final chunk takes all that is left of
        both (leftover speech merged into the final audio chunk, leftover text into the
        final text chunk). When the text outruns the speech, a codec with a silence code
        pads the speech with silence up to one full audio chunk per text chunk instead,
        so text chunks keep their sizes; one without (GLM-4-Voice) merges the text."""
        v, g = self.vocab, self.grammar
        text_ids = self.tokenizer.reply_text(text)
        code_ids = [v.audio_offset + int(c) for c in codes]

        def sizes(sizes_list, i):
            return int(sizes_list[min(i, len(sizes_list) - 1)])

        def cut(ids, sizes_list):
            out, i = [], 0
            while i < len(ids):
                out.append(ids[i:i + sizes(sizes_list, len(out))])
                i += len(out[-1])
            return out
        text_chunks, audio_chunks = cut(text_ids, g.text_sizes), cut(code_ids, g.audio_sizes)
        if len(text_chunks) > len(audio_chunks) and v.silence_code is not None:
            need = sum(sizes(g.audio_sizes, i) for i in range(len(text_chunks)))
            code_ids = code_ids + [v.audio_offset + v.silence_code] * (need - len(code_ids))
            audio_chunks = cut(code_ids, g.audio_sizes)
        if not audio_chunks:
            raise ValueError(f"reply {text!r} has no speech codes to lay out")
        n = max(1, min(len(text_chunks), len(audio_chunks)))
        text_chunks = text_chunks[:n - 1] + [sum(text_chunks[n - 1:], [])]
        audio_chunks = audio_chunks[:n - 1] + [sum(audio_chunks[n - 1:], [])]
        out = []
        for t, a in zip(text_chunks, audio_chunks):
            out += t + [v.boa] + a + [v.eoa]
        return torch.tensor(out + [v.eos], dtype=torch.long)[:, None]

    def _speech_positions(self, replies):
        return self.vocab.is_code(replies) | (replies == self.vocab.boa) | (replies == self.vocab.eoa)

    def split(self, reply):
        """reply (L, 1) -> (text, speech codes (n,) int64)."""
        ids = reply[:, 0].tolist()
        v = self.vocab
        text = self.tokenizer.decode_text([i for i in ids if v.text_lo <= i < v.text_hi and not v.is_code(i)])
        codes = np.array([i - v.audio_offset for i in ids if v.is_code(i)], dtype=np.int64)
        return text, codes

    def _save_weights(self, path, state=None, exact=False):   # written as trained either way
        self.net.save_pretrained(path, state_dict=state)
        if hasattr(self.tokenizer, "save_pretrained"):
            self.tokenizer.save_pretrained(path)

    def decoder_layers(self):
        """The transformer blocks, the unit FSDP shards."""
        return list(self.net.model.layers)


class ParallelTrunk(nn.Module):
    """Kimi-style network: shared embeddings summed over the two streams, a Qwen2
    trunk, a text head on the trunk's output and an audio head after a branch of
    `branch_layers` extra layers that also reads the trunk's output."""

    def __init__(self, config, branch_layers: int = 1):
        super().__init__()
        from transformers import Qwen2Config, Qwen2Model
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.trunk = Qwen2Model(config)
        self.trunk.embed_tokens = None                    # we embed both streams ourselves
        fields = {k: v for k, v in config.to_dict().items() if k != "layer_types"}
        branch_cfg = Qwen2Config(**{**fields, "num_hidden_layers": branch_layers})
        branch_cfg._attn_implementation = config._attn_implementation
        self.branch = Qwen2Model(branch_cfg)
        self.branch.embed_tokens = None
        self.text_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.audio_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)

    def forward(self, text_ids, audio_ids, attention_mask, position_ids, past=None, use_cache=False, keep=0):
        """text_ids, audio_ids (N, S) -> text logits, audio logits (N, S, V) (the last `keep`
        positions only, if keep > 0), (trunk, branch) cache."""
        from transformers import DynamicCache
        h = self.embed(text_ids) + self.embed(audio_ids)                          # (N, S, D)
        trunk_past, branch_past = past if past is not None else (None, None)
        if use_cache and past is None:
            trunk_past, branch_past = DynamicCache(), DynamicCache()
        t = self.trunk(inputs_embeds=h, attention_mask=attention_mask, position_ids=position_ids,
                       past_key_values=trunk_past, use_cache=use_cache)
        b = self.branch(inputs_embeds=t.last_hidden_state, attention_mask=attention_mask,
                        position_ids=position_ids, past_key_values=branch_past, use_cache=use_cache)
        cache = (t.past_key_values, b.past_key_values) if use_cache else None
        last = slice(-keep if keep else None, None)
        return self.text_head(t.last_hidden_state[:, last]), self.audio_head(b.last_hidden_state[:, last]), cache


class ParallelLM(SpokenLM):
    """Two streams (K = 2: text, audio) stepping together."""
    arch, n_streams = "parallel", 2

    def __init__(self, net, tokenizer, codec, spec):
        super().__init__(tokenizer, codec, spec)
        self.net = net
        self.grammar = ParallelGrammar(self.vocab, spec["audio_delay"])

    def run(self, tokens, attention_mask, position_ids=None, past=None, use_cache=False, keep=0):
        """tokens (N, S, 2) -> logits (N, S, 2, V) (the last `keep` positions, if keep > 0), cache."""
        if position_ids is None:
            position_ids = default_positions(attention_mask, tokens.shape[1])
        text, audio, cache = self.net(tokens[..., 0], tokens[..., 1], attention_mask, position_ids,
                                      past, use_cache, keep)
        return torch.stack([text, audio], dim=2), cache

    def decoder_stacks(self):
        return [self.net.trunk, self.net.branch]

    def decode_step(self, tokens, attention_mask, past):
        net, positions = self.net, default_positions(attention_mask, 1)
        hidden = net.embed(tokens[..., 0]) + net.embed(tokens[..., 1])
        trunk = kvcache.decode_layers(net.trunk, hidden, attention_mask, positions, past[0])
        branch = kvcache.decode_layers(net.branch, trunk, attention_mask, positions, past[1])
        return torch.stack([net.text_head(trunk), net.audio_head(branch)], dim=2)

    def prompt(self, sample) -> torch.Tensor:
        """Audio stream: <user> <boa> codes <eoa> <assistant>; text stream: blanks. The audios of
        prompt_turns' user and assistant turns, in order (as tiny-vita's layout keeps them; an
        answer's, after the last user turn, is not the question's)."""
        v = self.vocab
        audio, audios, kept = [v.user], iter(sample.question_codes), []
        for m in prompt_turns(sample.messages):
            for _ in range(m["content"].count("<|audio|>")):
                codes = next(audios)
                if m["role"] in ("user", "assistant"):
                    kept.append(codes)
        for codes in kept:
            audio += [v.boa] + [v.audio_offset + int(c) for c in codes] + [v.eoa]
        audio.append(v.assistant)
        return torch.tensor([[v.blank, a] for a in audio], dtype=torch.long)

    def target(self, text: str, codes) -> torch.Tensor:
        """Text: chars <eot> blanks...; audio: blanks x delay, codes, <eoa>. (L, 2)"""
        v = self.vocab
        text_ids = self.tokenizer.reply_text(text) + [v.text_eos]
        code_ids = [v.audio_offset + int(c) for c in codes]
        delay = self.grammar.delay
        short = len(text_ids) - (delay + len(code_ids) + 1)
        if short > 0:          # the reply ends with the audio: speech must outlast the text
            if v.silence_code is None:
                raise ValueError(f"speech ({len(code_ids)} codes) ends before text ({len(text_ids)} tokens)")
            code_ids += [v.audio_offset + v.silence_code] * short
        audio = [v.blank] * delay + code_ids + [v.eoa]
        text_ids += [v.blank] * (len(audio) - len(text_ids))
        return torch.tensor(list(zip(text_ids, audio)), dtype=torch.long)

    def _speech_positions(self, replies):
        stream = torch.zeros_like(replies, dtype=torch.bool)
        stream[..., 1] = True
        return stream

    def split(self, reply):
        """reply (L, 2) -> (text up to <eot>, speech codes (n,) int64)."""
        v = self.vocab
        text_ids = reply[:, 0].tolist()
        if v.text_eos in text_ids:
            text_ids = text_ids[:text_ids.index(v.text_eos)]
        codes = np.array([i - v.audio_offset for i in reply[:, 1].tolist() if v.is_code(i)], dtype=np.int64)
        return self.tokenizer.decode_text(text_ids), codes

    def decoder_layers(self):
        return list(self.net.trunk.layers) + list(self.net.branch.layers)

    def _save_weights(self, path, state=None, exact=False):   # written as trained either way
        from safetensors.torch import save_file
        self.net.config.save_pretrained(path)
        state = {k: v.contiguous() for k, v in (state or self.net.state_dict()).items()}
        tmp = os.path.join(path, "model.safetensors.tmp")
        save_file(state, tmp)
        os.replace(tmp, os.path.join(path, "model.safetensors"))


# ---------------------------------------------------------------- presets, save and load

TINY_CONFIG = dict(hidden_size=192, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
                   num_key_value_heads=4, max_position_embeddings=512, rope_theta=10000.0,
                   tie_word_embeddings=False)
TINY_VITA_SCHEDULE = [8, 10, 4, 10]   # text leads speech by 4 characters, 8 codes per chunk as VITA-Audio; see README
TINY_KIMI_DELAY = 3


def _qwen2_config(vocab_size, overrides=None):
    from transformers import Qwen2Config
    cfg = Qwen2Config(vocab_size=vocab_size, **{**TINY_CONFIG, **(overrides or {})})
    cfg._attn_implementation = "sdpa"
    return cfg


def build_model(name: str, seed: int = 0, schedule=None, audio_delay=None, config_overrides=None) -> SpokenLM:
    """A freshly initialised tiny model: 'tiny-vita' or 'tiny-kimi'. Real checkpoints: load_model."""
    from transformers import Qwen2ForCausalLM
    tokenizer = ToyTokenizer()
    torch.manual_seed(seed)
    cfg = _qwen2_config(tokenizer.vocab.size, config_overrides)
    if name == "tiny-vita":
        spec = {"model": name, "arch": "interleaved", "schedule": list(schedule or TINY_VITA_SCHEDULE),
                "tokenizer": "toy", "codec": "toy"}
        return InterleavedLM(Qwen2ForCausalLM(cfg), tokenizer, toy_codec, spec)
    if name == "tiny-kimi":
        spec = {"model": name, "arch": "parallel", "tokenizer": "toy", "codec": "toy",
                "audio_delay": TINY_KIMI_DELAY if audio_delay is None else int(audio_delay)}
        return ParallelLM(ParallelTrunk(cfg), tokenizer, toy_codec, spec)
    raise ValueError(f"unknown model {name!r}: tiny-vita, tiny-kimi, or a checkpoint directory")


class CheckpointError(ValueError):
    """A checkpoint or codec directory that cannot be used; the message names the path or flag
    and what is missing or wrong. train.py and eval.py end on it with that one line (status 2)."""


@contextlib.contextmanager
def reading(path: str):
    """Reading a checkpoint's files: what the readers raise on a file cut short (a full disk, a
    copy stopped halfway) or of another format becomes a CheckpointError naming the checkpoint."""
    from safetensors import SafetensorError
    try:
        yield
    except CheckpointError:
        raise
    except (OSError, ValueError, RuntimeError, EOFError, SafetensorError) as e:
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise CheckpointError(f"{path}: cannot read this checkpoint ({type(e).__name__}: {first})") from None


def checkpoint_spec(path: str) -> dict:
    """The spec a SpokenLM.save wrote (spoken.json): architecture, schedule, tokenizer ("toy" for
    the tiny models)."""
    spec_path = os.path.join(path, "spoken.json")
    if not os.path.exists(spec_path):
        raise CheckpointError(f"{path}: not a spoken model checkpoint (no spoken.json)")
    with reading(spec_path), open(spec_path) as f:
        return json.load(f)


def load_model(path: str, dtype=None, device=None) -> SpokenLM:
    """Restore a model saved with SpokenLM.save (tiny or real; see real.py for `vita`), on
    `device` in `dtype` where given (a real one is read straight into them: no float32 copy
    of 7B on the host first)."""
    spec = checkpoint_spec(path)
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    if spec.get("tokenizer") != "toy":
        import real
        return real.load_real_model(path, spec, dtype or torch.float32, device).to(device)
    return place(_load_toy(path, spec), dtype, device)


ROTARY_BUFFERS = ("inv_freq", "original_inv_freq")


def place(model, dtype=None, device=None):
    """model moved to `device` and its weights cast to `dtype`, its rotary frequencies kept in
    float32, as transformers computes and keeps them (a real checkpoint's are, real.load_main).
    Module.to(dtype) alone casts every floating buffer: in bf16 the frequencies round by up to
    1.6e-3 rad a position at the tiny models' widths, 0.16 rad at a distance of 100 tokens, and a
    bf16 copy would no longer be the float32 model rounded, but another position encoding."""
    rotary = {name: b for name, b in model.named_buffers() if name.rsplit(".", 1)[-1] in ROTARY_BUFFERS}
    model.to(device=device, dtype=dtype)
    for name, b in rotary.items():
        owner, attr = name.rsplit(".", 1)
        setattr(model.get_submodule(owner), attr, b.to(device))
    return model


def add_placement_args(group):
    """--device and --dtype for a tool that samples from a saved checkpoint (eval.py, rollout.py);
    placement() reads them."""
    group.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                       help="auto: a GPU where torch sees one, else the CPU (as train.py)")
    group.add_argument("--dtype", default=None, choices=["float32", "bfloat16"],
                       help="weights dtype (default: bfloat16 for a real checkpoint on a GPU, as train.py holds "
                            "it there; float32 otherwise)")
    return group


def placement(device: str = "auto", dtype: str | None = None, real: bool = False) -> tuple[str, str]:
    """Where a checkpoint is held to sample from it (eval.py, rollout.py), as train.py would hold
    it: device "auto" is a GPU where torch sees one, else the CPU; dtype None is bfloat16 for a real
    checkpoint on a GPU, float32 otherwise. -> (device, dtype) names. ValueError: "cuda" asked
    where torch sees no GPU."""
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: torch sees no CUDA device here (a CPU build of torch, or no GPU visible)")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return device, dtype or ("bfloat16" if real and device == "cuda" else "float32")


def _load_toy(path, spec) -> SpokenLM:
    from transformers import Qwen2Config, Qwen2ForCausalLM
    tokenizer = ToyTokenizer()
    with reading(path):
        if spec["arch"] == "interleaved":
            net = Qwen2ForCausalLM.from_pretrained(path, attn_implementation="sdpa")
            return InterleavedLM(net, tokenizer, toy_codec, spec)
        from safetensors.torch import load_file
        cfg = Qwen2Config.from_pretrained(path)
        cfg._attn_implementation = "sdpa"
        net = ParallelTrunk(cfg)
        net.load_state_dict(load_file(os.path.join(path, "model.safetensors")), strict=True)
        return ParallelLM(net, tokenizer, toy_codec, spec)


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    for name in ("tiny-vita", "tiny-kimi"):
        m = build_model(name)
        reply = m.target("3 plus 4 is 7", toy_codec.speak("3 plus 4 is 7", "slowly"))
        print(f"{name}: {n_params(m) / 1e6:.2f}M parameters; a reply laid out ({tuple(reply.shape)}):")
        v = m.vocab
        names = {v.boa: "<boa>", v.eoa: "<eoa>", v.eos: "<eos>", v.blank: "_", v.text_eos: "<eot>"}

        def show(i):
            return names.get(i) or (f"c{i - v.audio_offset}" if v.is_code(i) else repr(m.tokenizer.decode_text([i])))
        for k in range(m.n_streams):
            print("  ", " ".join(show(i) for i in reply[:, k].tolist()))
