"""What a reply may contain where: token vocabularies, schedules as grammars, constrained log-probs.

    vocab = ToyTokenizer().vocab                     # the tiny models' ids: text characters + toy codes
    g = InterleavedGrammar(vocab, [8, 10, 4, 10])    # VITA-style chunks (ParallelGrammar: Kimi-style)
    state = g.init(n); slots = g.slots(state)        # (N, K) slot type of the next token
    state = g.step(state, tokens)                    # advance on the chosen tokens
    logp = constrained_logprobs(logits, slots, targets, vocab.allowed_table())

A *slot type* (TEXT, CODE, CODE_OR_EOA, FORCE_BOA, ...) names the set of tokens the
schedule allows at a position. Sampling (rollout.py) and teacher-forced scoring
(model.reply_logprobs) both restrict the distribution to that set, so every reply is
well-formed, a forced marker has log-prob exactly 0, and a position is *sampled* (a
policy choice, in the losses' masks) only when its set has more than one token.
model.py builds the architectures on top; real.py gives VITA-Audio's real ids a Vocab.
`python -m pytest tests/test_model.py` exercises every grammar on hand-built replies.

Deviations from the paper and the official release:
  1. VITA-Audio enforces no schedule at generation (the model just learned it); here
     generation is constrained to the schedule, so replies are always well-formed and
     Eq. 1's text/speech partition is always defined. Every log-prob the losses see (SFT,
     GRPO, KL, DPO) is renormalised over the same allowed set, so on a real checkpoint SFT
     never pushes down a token the schedule rules out there, and the KL compares the two
     models' restricted distributions; the official trainer uses the full softmax.
  2. The toy text is character-level (ToyTokenizer); VITA-Audio's is Qwen2's sub-word
     tokenizer, hence tiny-vita's default schedule 8 10 4 10 instead of 1 10 4 10 (README).
"""
from dataclasses import dataclass

import torch

import codec as toy_codec

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

    def reply_text(self, text: str) -> list[int]:
        """An SFT reply's text: its characters as encode_text gives them (the toy voice says no newline)."""
        return self.encode_text(text)

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

    @staticmethod
    def checked(schedule) -> list:
        """The schedule as ints, or ValueError saying what a schedule needs."""
        schedule = [int(x) for x in schedule]
        if len(schedule) < 2 or len(schedule) % 2 or min(schedule[0::2]) < 1 or min(schedule[1::2]) < 3:
            raise ValueError(f"interleave schedule {schedule}: need pairs (text >= 1, audio >= 3 incl. markers)")
        return schedule

    def __init__(self, vocab: Vocab, schedule, merge_text: bool | None = None):
        schedule = self.checked(schedule)
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

def constrained_logprobs(logits, slots, targets, allowed, temperature=1.0, budget=2 ** 26):
    """log pi(target | slot) under the slot's allowed set, at a temperature.

    logits (M, V) float, slots (M,) long, targets (M,) long, allowed (N_SLOTS, V) bool,
    temperature a float or (M,) -> (M,) float. A target outside its slot's set gets -inf.
    Positions are taken in runs of about `budget` / V (one run for the tiny models; about
    400 positions for VITA-Audio's V of 168k), so the transient memory is one run's float32
    logits. A run is a split of the rows, not an index copy, so the backward joins the runs'
    gradients once. The slot's set enters as an added 0 / -inf row, which the backward does not
    keep (a masked_fill would keep a (rows, V) mask), and the target's logit is read from that
    same sum, so the backward keeps one float32 copy of the logits, the one logsumexp needs
    (gathering from the unmasked logits kept a second).
    """
    temperature = torch.as_tensor(temperature, dtype=torch.float32, device=logits.device).expand(logits.shape[0])
    allowed = allowed.to(logits.device)
    outside = torch.zeros(allowed.shape, device=logits.device).masked_fill(~allowed, float("-inf"))  # (N_SLOTS, V)
    rows, out = max(1, budget // logits.shape[1]), []
    for z, slot, target, tau in zip(logits.split(rows), slots.split(rows), targets.split(rows), temperature.split(rows)):
        z = z.float() / tau[:, None] + outside[slot]        # -inf outside the slot's set
        log_z = z.logsumexp(-1)
        picked = z.gather(1, target[:, None]).squeeze(1)     # the same tensor: kept once
        out.append(torch.where(allowed[slot, target], picked - log_z, torch.full_like(picked, float("-inf"))))
    return torch.cat(out)
