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
  reply_logprobs(model, ...)      -> per-token log-probs (N, L, K) of given replies
  model.masks(replies, slots)     -> completion / text / speech / sampled masks (N, L, K)
  model.split(reply)              -> (text, speech codes); model.codec.decode -> (wave, rate)
  model.save(dir), load_model(dir)

A *slot type* names the set of tokens the schedule allows at a position (text,
speech codes, codes or end-of-audio, a forced marker, ...). Sampling and
teacher-forced scoring both use the distribution restricted to that set, so a
forced marker has log-prob exactly 0 and the recorded sampling log-probs equal a
teacher-forced recomputation. A position is *sampled* when its set has more than
one token; forced positions are not the policy's choices.

Run `python model.py` to print both tiny models' sizes and a laid-out reply.

Deviations from the paper and the official release:
  1. VITA-Audio enforces no schedule at generation (the model just learned it);
     here generation is constrained to the schedule, so replies are always
     well-formed and Eq. 1's text/speech partition is always defined.
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
"""
import json
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

import codec as toy_codec
from codec import decode, encode  # noqa: F401  re-exported: the toy codec's public pair

# ---------------------------------------------------------------- vocabularies

# Slot types: which tokens the schedule allows at a position.
PAD_SLOT, TEXT, CODE, CODE_OR_EOA, FORCE_BOA, FORCE_EOA, FORCE_EOS, TEXT_OR_EOT, FORCE_BLANK, TEXT_OR_EOS = range(10)
N_SLOTS = 10


@dataclass
class Vocab:
    """Token ids a layout needs. Text ids are [text_lo, text_hi); codes [audio_offset, +n_codes)."""
    size: int
    pad: int
    eos: int            # end of the reply (VITA: <|im_end|>)
    boa: int            # begin of audio (Kimi: media_begin)
    eoa: int            # end of audio  (Kimi: media_end, which ends generation)
    user: int
    assistant: int
    blank: int          # Kimi's text blank; fills both streams where one is silent
    text_eos: int       # Kimi's end-of-text
    text_lo: int
    text_hi: int
    audio_offset: int
    n_codes: int
    silence_code: int | None = None   # a code that sounds like silence, if the codec has one
    text_banned: tuple = ()           # other special tokens a reply's text may not contain

    def is_code(self, ids):
        return (ids >= self.audio_offset) & (ids < self.audio_offset + self.n_codes)

    def allowed_table(self) -> torch.Tensor:
        """(N_SLOTS, size) bool: the tokens each slot type allows."""
        t = torch.zeros(N_SLOTS, self.size, dtype=torch.bool)
        text = torch.zeros(self.size, dtype=torch.bool)
        text[self.text_lo:self.text_hi] = True
        for special in (self.pad, self.eos, self.boa, self.eoa, self.user, self.assistant,
                        self.blank, self.text_eos, *self.text_banned):
            text[special] = False
        codes = torch.zeros(self.size, dtype=torch.bool)
        codes[self.audio_offset:self.audio_offset + self.n_codes] = True
        t[PAD_SLOT, self.pad] = True
        t[TEXT] = text
        t[TEXT, self.boa] = True            # an early begin-of-audio ends the text
        t[CODE] = codes
        t[CODE_OR_EOA] = codes
        t[CODE_OR_EOA, self.eoa] = True
        t[FORCE_BOA, self.boa] = True
        t[FORCE_EOA, self.eoa] = True
        t[FORCE_EOS, self.eos] = True
        t[TEXT_OR_EOT] = text
        t[TEXT_OR_EOT, self.text_eos] = True
        t[FORCE_BLANK, self.blank] = True
        t[TEXT_OR_EOS] = t[TEXT]
        t[TEXT_OR_EOS, self.eos] = True     # after a full audio chunk the reply may end
        return t


class ToyTokenizer:
    """Character-level text plus the toy codec's codes, one id space for both models."""
    CHARS = " abcdefghijklmnopqrstuvwxyz0123456789"
    SPECIALS = ["<pad>", "<eos>", "<boa>", "<eoa>", "<user>", "<assistant>", "<blank>", "<eot>"]

    def __init__(self):
        n_text = len(self.SPECIALS) + len(self.CHARS)
        self.vocab = Vocab(size=64 + toy_codec.N_CODES, pad=0, eos=1, boa=2, eoa=3, user=4, assistant=5,
                           blank=6, text_eos=7, text_lo=len(self.SPECIALS), text_hi=n_text,
                           audio_offset=64, n_codes=toy_codec.N_CODES, silence_code=toy_codec.PAUSE)

    def encode_text(self, text: str) -> list[int]:
        """Characters outside CHARS (punctuation) are dropped: the toy voice cannot say them."""
        lo = self.vocab.text_lo
        return [lo + self.CHARS.index(c) for c in text.lower() if c in self.CHARS]

    def decode_text(self, ids) -> str:
        lo, hi = self.vocab.text_lo, self.vocab.text_hi
        return "".join(self.CHARS[i - lo] for i in ids if lo <= i < hi)


# ---------------------------------------------------------------- schedules as grammars

class InterleavedGrammar:
    """VITA-style schedule [t0, a0, t1, a1, ...]: a text chunk of t_c tokens, then
    <boa> + (a_c - 2) codes + <eoa>; sizes are used once in order, the last pair
    repeats. The reply closes with one final chunk, as VITA-Audio lays replies out
    (its `text_audio_interval_ratio`): leftover speech is merged into the final audio
    chunk, and the final text chunk is the last (possibly short) one. So:
      * a <boa> before the text chunk is full starts the final chunk: codes until <eoa>;
      * after a full text chunk the audio chunk either has exactly a_c codes and <eoa>
        (then the next text chunk, or <eos> right away), or is the final chunk: an
        <eoa> after fewer codes, or a code beyond a_c, makes it final;
      * with `merge_text` (codecs without a silence code, e.g. GLM-4-Voice) a text
        chunk may run past t_c: leftover text merged into the final chunk, as
        VITA-Audio does when text outruns speech; a <boa> after more than t_c text
        tokens starts the final chunk. Without it (the toy codec) <boa> is forced at t_c.
    The final chunk's <eoa> is followed by <eos>.
    State per sequence: phase, chunk index, tokens so far in the chunk."""
    TEXT_PHASE, AUDIO_PHASE, FINAL_PHASE, END_PHASE, DONE_PHASE = range(5)

    def __init__(self, vocab: Vocab, schedule, merge_text: bool | None = None):
        schedule = [int(x) for x in schedule]
        if len(schedule) < 2 or len(schedule) % 2 or min(schedule[0::2]) < 1 or min(schedule[1::2]) < 3:
            raise ValueError(f"interleave schedule {schedule}: need pairs (text >= 1, audio >= 3 incl. markers)")
        self.vocab, self.schedule = vocab, schedule
        self.merge_text = vocab.silence_code is None if merge_text is None else bool(merge_text)
        self.text_sizes = torch.tensor(schedule[0::2])
        self.audio_sizes = torch.tensor(schedule[1::2]) - 2   # codes between the two markers

    def init(self, n: int) -> dict:
        z = torch.zeros(n, dtype=torch.long)
        return {"phase": z.clone(), "chunk": z.clone(), "count": z.clone()}

    def _sizes(self, chunk):
        c = chunk.clamp(max=len(self.text_sizes) - 1)
        return self.text_sizes[c], self.audio_sizes[c]

    def slots(self, s: dict) -> torch.Tensor:
        """(N, 1) slot type of each sequence's next token."""
        t_size, a_size = self._sizes(s["chunk"])
        phase, count, chunk = s["phase"], s["count"], s["chunk"]
        slot = torch.full_like(phase, PAD_SLOT)
        text = torch.where((chunk > 0) & (count == 0), TEXT_OR_EOS, TEXT)
        full = torch.full_like(phase, TEXT if self.merge_text else FORCE_BOA)
        slot = torch.where(phase == self.TEXT_PHASE, torch.where(count < t_size, text, full), slot)
        slot = torch.where(phase == self.AUDIO_PHASE, torch.where(count == 0, CODE, CODE_OR_EOA), slot)
        slot = torch.where(phase == self.FINAL_PHASE, CODE_OR_EOA, slot)
        slot = torch.where(phase == self.END_PHASE, FORCE_EOS, slot)
        return slot[:, None]

    def step(self, s: dict, tokens: torch.Tensor) -> dict:
        """Advance on tokens (N, 1); returns the new state."""
        tok = tokens[:, 0]
        t_size, a_size = self._sizes(s["chunk"])
        phase, chunk, count = s["phase"], s["chunk"], s["count"]
        v = self.vocab
        is_boa, is_eoa, is_eos = tok == v.boa, tok == v.eoa, tok == v.eos
        text, audio = phase == self.TEXT_PHASE, phase == self.AUDIO_PHASE
        new_phase = phase.clone()
        new_phase[text & is_boa] = self.FINAL_PHASE                       # a short or merged text chunk
        new_phase[text & is_boa & (count == t_size)] = self.AUDIO_PHASE   # a full one
        new_phase[text & is_eos] = self.DONE_PHASE                        # <eos> after a full audio chunk
        new_phase[audio & is_eoa] = self.END_PHASE                        # fewer codes: the final chunk
        new_phase[audio & is_eoa & (count == a_size)] = self.TEXT_PHASE   # a full chunk: the next text chunk
        new_phase[audio & ~is_eoa & (count == a_size)] = self.FINAL_PHASE  # more codes: the final chunk
        new_phase[(phase == self.FINAL_PHASE) & is_eoa] = self.END_PHASE
        new_phase[phase == self.END_PHASE] = self.DONE_PHASE
        moved = new_phase != phase
        new_chunk = chunk + (audio & (new_phase == self.TEXT_PHASE)).long()
        new_count = torch.where(moved, 0, count + 1)
        return {"phase": new_phase, "chunk": new_chunk, "count": new_count}

    def done(self, s: dict) -> torch.Tensor:
        return s["phase"] == self.DONE_PHASE


class ParallelGrammar:
    """Kimi-style two streams (text, audio) stepping together. Text: characters or
    <eot>, then forced blanks. Audio: `delay` forced blanks, then codes or <eoa>;
    <eoa> on the audio stream ends the reply (both streams)."""

    def __init__(self, vocab: Vocab, delay: int):
        if delay < 0:
            raise ValueError(f"audio delay must be >= 0, got {delay}")
        self.vocab, self.delay = vocab, int(delay)

    def init(self, n: int) -> dict:
        return {"t": torch.zeros(n, dtype=torch.long), "text_done": torch.zeros(n, dtype=torch.bool),
                "done": torch.zeros(n, dtype=torch.bool)}

    def slots(self, s: dict) -> torch.Tensor:
        text = torch.where(s["text_done"], FORCE_BLANK, TEXT_OR_EOT)
        audio = torch.where(s["t"] < self.delay, FORCE_BLANK, CODE_OR_EOA)
        both = torch.stack([text, audio], dim=1)                          # (N, 2)
        return torch.where(s["done"][:, None], PAD_SLOT, both)

    def step(self, s: dict, tokens: torch.Tensor) -> dict:
        return {"t": s["t"] + 1, "text_done": s["text_done"] | (tokens[:, 0] == self.vocab.text_eos),
                "done": s["done"] | (tokens[:, 1] == self.vocab.eoa)}

    def done(self, s: dict) -> torch.Tensor:
        return s["done"]


# ---------------------------------------------------------------- constrained log-probs

def constrained_logprobs(logits, slots, targets, allowed, temperature=1.0, chunk=4096):
    """log pi(target | slot) under the slot's allowed set, at a temperature.

    logits (M, V) float, slots (M,) long, targets (M,) long, allowed (N_SLOTS, V) bool,
    temperature a float or (M,) -> (M,) float. A target outside its slot's set gets -inf.
    Positions are taken in chunks of one slot type so memory stays at one chunk's
    logits (V is 168k for VITA-Audio).
    """
    out = torch.empty(logits.shape[0], dtype=torch.float32, device=logits.device)
    temperature = torch.as_tensor(temperature, dtype=torch.float32, device=logits.device).expand(logits.shape[0])
    for slot in torch.unique(slots).tolist():
        idx = (slots == slot).nonzero().squeeze(1)
        keep = allowed[slot].to(logits.device)
        for lo in range(0, len(idx), chunk):
            part = idx[lo:lo + chunk]
            z = logits[part].float() / temperature[part, None]
            log_z = z.masked_fill(~keep, float("-inf")).logsumexp(-1)
            picked = z.gather(1, targets[part, None]).squeeze(1)
            ok = keep[targets[part]]
            out[part] = torch.where(ok, picked - log_z, torch.full_like(picked, float("-inf")))
    return out


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
    logits, _ = (forward or model)(tokens, mask)                         # (N, P+L, K, V)
    logits = logits[:, p - 1:p + length - 1]                             # position t predicts token t+1
    temperature = torch.as_tensor(temperature, dtype=torch.float32, device=logits.device)
    temperature = temperature.reshape(-1, 1, 1).expand(n, length, k).reshape(-1)
    out = constrained_logprobs(logits.reshape(n * length * k, -1), slots.reshape(-1),
                               replies.reshape(-1), model.allowed, temperature)
    return out.view(n, length, k)


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
        files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) \
            else ["model.safetensors"]
        state = {}
        for name in files:
            state.update(load_file(os.path.join(path, name)))
        missing, unexpected = self.net.load_state_dict(state, strict=False)
        tied = {"lm_head.weight"} if getattr(self.net.config, "tie_word_embeddings", False) else set()
        if set(missing) - tied or unexpected:
            raise ValueError(f"{path}: weights do not match the model (missing {sorted(set(missing) - tied)[:5]}, "
                             f"unexpected {sorted(unexpected)[:5]})")

    def sample_prompt_batch(self, samples):
        """Left-padded prompts (N, P, K) and attention mask (N, P) for samples."""
        return pad_left([self.prompt(s) for s in samples], self.vocab.pad)

    def save(self, path: str, state_dict=None):
        """Write spoken.json + weights (+ tokenizer for real checkpoints) to a directory.
        `state_dict` (keys 'net.*') replaces the module's own, e.g. an FSDP full state dict."""
        os.makedirs(path, exist_ok=True)
        net_state = None if state_dict is None else {k[4:]: v for k, v in state_dict.items() if k.startswith("net.")}
        self._save_weights(path, net_state)
        tmp = os.path.join(path, "spoken.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.spec, f, indent=1)
        os.replace(tmp, os.path.join(path, "spoken.json"))


class InterleavedLM(SpokenLM):
    """One stream (K = 1) over a causal LM: `net(input_ids, ...)` returns next-token logits."""
    arch, n_streams = "interleaved", 1

    def __init__(self, net, tokenizer, codec, spec):
        super().__init__(tokenizer, codec, spec)
        self.net = net
        self.grammar = InterleavedGrammar(self.vocab, spec["schedule"])

    def forward(self, tokens, attention_mask, position_ids=None, past=None, use_cache=False):
        """tokens (N, S, 1), attention_mask (N, S + past length) -> logits (N, S, 1, V), cache."""
        if position_ids is None:
            position_ids = default_positions(attention_mask, tokens.shape[1])
        out = self.net(input_ids=tokens[..., 0], attention_mask=attention_mask, position_ids=position_ids,
                       past_key_values=past, use_cache=use_cache)
        return out.logits[:, :, None, :], out.past_key_values

    def prompt(self, sample) -> torch.Tensor:
        v = self.vocab
        if hasattr(self.tokenizer, "chat_prompt"):
            ids = self.tokenizer.chat_prompt(sample)
        else:  # the toy layout: <user> <boa> codes <eoa> <assistant>, text around <|audio|> kept
            ids, audios = [v.user], iter(sample.question_codes)
            user = next(m["content"] for m in sample.messages if m["role"] == "user")
            for i, piece in enumerate(user.split("<|audio|>")):
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
        text_ids = self.tokenizer.encode_text(text)
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

    def _save_weights(self, path, state=None):
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

    def forward(self, text_ids, audio_ids, attention_mask, position_ids, past=None, use_cache=False):
        """text_ids, audio_ids (N, S) -> text logits, audio logits (N, S, V), (trunk, branch) cache."""
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
        return self.text_head(t.last_hidden_state), self.audio_head(b.last_hidden_state), cache


class ParallelLM(SpokenLM):
    """Two streams (K = 2: text, audio) stepping together."""
    arch, n_streams = "parallel", 2

    def __init__(self, net, tokenizer, codec, spec):
        super().__init__(tokenizer, codec, spec)
        self.net = net
        self.grammar = ParallelGrammar(self.vocab, spec["audio_delay"])

    def forward(self, tokens, attention_mask, position_ids=None, past=None, use_cache=False):
        """tokens (N, S, 2) -> logits (N, S, 2, V), cache."""
        if position_ids is None:
            position_ids = default_positions(attention_mask, tokens.shape[1])
        text, audio, cache = self.net(tokens[..., 0], tokens[..., 1], attention_mask, position_ids,
                                      past, use_cache)
        return torch.stack([text, audio], dim=2), cache

    def prompt(self, sample) -> torch.Tensor:
        """Audio stream: <user> <boa> codes <eoa> <assistant>; text stream: blanks."""
        v = self.vocab
        audio = [v.user]
        for codes in sample.question_codes:
            audio += [v.boa] + [v.audio_offset + int(c) for c in codes] + [v.eoa]
        audio.append(v.assistant)
        return torch.tensor([[v.blank, a] for a in audio], dtype=torch.long)

    def target(self, text: str, codes) -> torch.Tensor:
        """Text: chars <eot> blanks...; audio: blanks x delay, codes, <eoa>. (L, 2)"""
        v = self.vocab
        text_ids = self.tokenizer.encode_text(text) + [v.text_eos]
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

    def _save_weights(self, path, state=None):
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


def load_model(path: str) -> SpokenLM:
    """Restore a model saved with SpokenLM.save (tiny or real; see real.py for `vita`)."""
    spec_path = os.path.join(path, "spoken.json")
    if not os.path.exists(spec_path):
        raise FileNotFoundError(f"{path}: not a spoken model checkpoint (no spoken.json)")
    with open(spec_path) as f:
        spec = json.load(f)
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    if spec.get("tokenizer") != "toy":
        import real
        return real.load_real_model(path, spec)
    from transformers import Qwen2Config, Qwen2ForCausalLM
    tokenizer = ToyTokenizer()
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
