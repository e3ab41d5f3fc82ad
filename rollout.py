"""Sampling G spoken replies per prompt, in one batched generation with a KV cache.

    batch = sample(model, samples, group_size=4, temperature=0.9, top_p=0.9,
                   max_len=96, generator=torch.Generator().manual_seed(0))

All B prompts x G replies step together: one prefill over the left-padded
prompts, then one cached forward per token. At each step the schedule (the
model's grammar) names a slot type per stream; logits outside the slot's token
set are masked, so every reply is well-formed: tiny-vita follows its interleave
schedule, tiny-kimi steps both streams with the audio delay and the text blank
after end-of-text. Forced tokens (markers the schedule places, delay blanks)
are not the policy's choices and are left out of the `sampled` mask.

The recorded `logprobs` are log pi_old(y_t) under the slot-restricted
distribution at the sampling temperature, before top-p truncation: the same
quantity `model.reply_logprobs` recomputes by teacher forcing, so the GRPO
importance ratio is exactly 1 on the first update.

Run `python rollout.py --ckpt DIR` to print a few sampled replies.

Deviations from the paper and the official release:
  1. The official trainer never applies top_p (it is parsed and dropped); here it is.
  2. As in TRL, old log-probs ignore the top-p truncation (the ratio is taken
     between temperature-scaled policies).
  3. temperature 0 means greedy decoding; its log-probs are recorded at temperature 1.
"""
import argparse
import time
from dataclasses import dataclass, field

import torch

from model import PAD_SLOT, pad_right


@dataclass
class Rollout:
    """One batch of N = B*G replies. Reply i answers samples[i // G]."""
    samples: list                 # the B prompts' samples
    group_size: int
    prompts: torch.Tensor         # (N, P, K) left-padded
    prompt_mask: torch.Tensor     # (N, P)
    replies: torch.Tensor         # (N, L, K) right-padded with <pad>
    slots: torch.Tensor           # (N, L, K) slot type per token, PAD_SLOT after the end
    logprobs: torch.Tensor        # (N, L, K) sampling log-probs of the chosen tokens
    masks: dict                   # completion / text / speech / sampled, each (N, L, K) bool
    truncated: torch.Tensor       # (N,) bool: hit max_len before the schedule closed the reply
    texts: list = field(default_factory=list)     # N transcripts (the text channel)
    codes: list = field(default_factory=list)     # N speech code arrays
    waves: list = field(default_factory=list)     # N waveforms ...
    rates: list = field(default_factory=list)     # ... and their sample rates
    seconds: float = 0.0

    def sample_of(self, i: int):
        return self.samples[i // self.group_size]


def top_p_filter(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Zero all but the smallest set of tokens whose mass reaches top_p. probs (..., V)."""
    if top_p >= 1.0:
        return probs
    sorted_p, order = probs.sort(dim=-1, descending=True)
    mass_before = sorted_p.cumsum(-1) - sorted_p
    sorted_p = sorted_p.masked_fill(mass_before >= top_p, 0.0)   # the top token always stays
    return torch.zeros_like(probs).scatter(-1, order, sorted_p)


@torch.no_grad()
def generate(model, prompts, prompt_mask, temperature=1.0, top_p=1.0, max_len=96, generator=None):
    """Constrained sampling. prompts (N, P, K), prompt_mask (N, P) ->
    replies (N, L, K), slots (N, L, K), logprobs (N, L, K), truncated (N,)."""
    n, _, k = prompts.shape
    grammar, allowed, pad = model.grammar, model.allowed, model.vocab.pad
    state = grammar.init(n)
    logits, past = model(prompts, prompt_mask, use_cache=True)
    last = logits[:, -1]                                                  # (N, K, V)
    attn = prompt_mask
    tokens, slots, logps = [], [], []
    for _ in range(max_len):
        slot = grammar.slots(state)                                       # (N, K)
        z = last.float().masked_fill(~allowed[slot], float("-inf"))
        scale = temperature if temperature > 0 else 1.0
        logp_all = torch.log_softmax(z / scale, dim=-1)                   # (N, K, V)
        if temperature > 0:
            probs = top_p_filter(logp_all.exp(), top_p)
            tok = torch.multinomial(probs.view(n * k, -1), 1, generator=generator).view(n, k)
        else:
            tok = logp_all.argmax(-1)
        tok = torch.where(slot == PAD_SLOT, pad, tok)
        tokens.append(tok)
        slots.append(slot)
        logps.append(logp_all.gather(-1, tok[..., None]).squeeze(-1).masked_fill(slot == PAD_SLOT, 0.0))
        state = grammar.step(state, tok)
        if grammar.done(state).all():
            break
        attn = torch.cat([attn, torch.ones(n, 1, dtype=attn.dtype)], dim=1)
        logits, past = model(tok[:, None, :], attn, past=past, use_cache=True)
        last = logits[:, -1]
    return (torch.stack(tokens, 1), torch.stack(slots, 1), torch.stack(logps, 1),
            ~grammar.done(state))


def sample(model, samples, group_size=4, temperature=0.9, top_p=0.9, max_len=96, generator=None,
           include_audio_boundaries=True, decode_audio=True) -> Rollout:
    """Sample group_size replies for each sample, all in one batched generation."""
    t0 = time.perf_counter()
    was_training = model.training
    model.eval()
    prompts, prompt_mask = model.sample_prompt_batch(samples)
    prompts = prompts.repeat_interleave(group_size, 0)                    # (B*G, P, K)
    prompt_mask = prompt_mask.repeat_interleave(group_size, 0)
    replies, slots, logps, truncated = generate(model, prompts, prompt_mask, temperature, top_p,
                                                max_len, generator)
    model.train(was_training)
    batch = Rollout(samples=list(samples), group_size=group_size, prompts=prompts, prompt_mask=prompt_mask,
                    replies=replies, slots=slots, logprobs=logps,
                    masks=model.masks(replies, slots, include_audio_boundaries), truncated=truncated)
    for reply in replies:
        text, codes = model.split(reply)
        batch.texts.append(text)
        batch.codes.append(codes)
        if decode_audio:
            wave, rate = model.codec.decode(codes)
            batch.waves.append(wave)
            batch.rates.append(rate)
    batch.seconds = time.perf_counter() - t0
    return batch


def teacher_forced(model, samples, include_audio_boundaries=True):
    """The SFT side of a step: prompts and laid-out targets of samples, with slots and masks.
    Returns (prompts (B, P, K), prompt_mask (B, P), replies (B, L, K), slots, masks)."""
    prompts, prompt_mask = model.sample_prompt_batch(samples)
    targets = []
    for s in samples:
        try:
            targets.append(model.target(s.target_text, s.target_codes))
        except ValueError as e:
            raise ValueError(f"sample {s.id}: cannot lay out its SFT target: {e}") from None
    replies = pad_right(targets, model.vocab.pad)
    slots = model.slots_for(replies)
    return prompts, prompt_mask, replies, slots, model.masks(replies, slots, include_audio_boundaries)


def stack_for_forward(pad, *parts):
    """Concatenate (prompts, prompt_mask, replies, slots) groups along the batch into one
    forward: prompts are left-padded and replies right-padded to common lengths."""
    p = max(x[0].shape[1] for x in parts)
    length = max(x[2].shape[1] for x in parts)
    out = [[], [], [], []]
    for prompts, mask, replies, slots in parts:
        dp, dl = p - prompts.shape[1], length - replies.shape[1]
        out[0].append(torch.nn.functional.pad(prompts, (0, 0, dp, 0), value=pad))
        out[1].append(torch.nn.functional.pad(mask, (dp, 0), value=0))
        out[2].append(torch.nn.functional.pad(replies, (0, 0, 0, dl), value=pad))
        out[3].append(torch.nn.functional.pad(slots, (0, 0, 0, dl), value=PAD_SLOT))
    return [torch.cat(x) for x in out]


def pad_masks(masks, length):
    return {k: torch.nn.functional.pad(v, (0, 0, 0, length - v.shape[1]), value=False) for k, v in masks.items()}


def flat(x):
    """(N, L, K) -> (N, L*K): the flat token axis every loss works on."""
    return x.reshape(x.shape[0], -1)


def kl_masks(masks, kl_tokens):
    return (masks["text"] if kl_tokens in ("both", "text") else torch.zeros_like(masks["text"]),
            masks["speech"] if kl_tokens in ("both", "speech") else torch.zeros_like(masks["speech"]))


def add_sampling_args(group):
    """The sampling flags shared by train.py, eval.py and this file's command line."""
    group.add_argument("--temperature", type=float, default=0.9, help="sampling temperature (0 = greedy)")
    group.add_argument("--top-p", type=float, default=0.9, help="nucleus sampling mass")
    group.add_argument("--max-len", type=int, default=128, help="maximum reply tokens per stream")
    return group


def main():
    import codec
    import dataset
    from model import load_model
    ap = argparse.ArgumentParser(description="Print sampled replies of a checkpoint.")
    ap.add_argument("--ckpt", required=True, help="checkpoint directory")
    ap.add_argument("--data", default="data/toy/eval.jsonl", help="JSONL split to take prompts from")
    ap.add_argument("--n", type=int, default=4, help="number of prompts")
    ap.add_argument("--group-size", type=int, default=2, help="replies per prompt")
    ap.add_argument("--seed", type=int, default=0, help="sampling seed")
    add_sampling_args(ap)
    args = ap.parse_args()
    model = load_model(args.ckpt)
    samples = dataset.load_samples(args.data, model.codec.encode, limit=args.n)
    batch = sample(model, samples, args.group_size, args.temperature, args.top_p, args.max_len,
                   torch.Generator().manual_seed(args.seed))
    for i, text in enumerate(batch.texts):
        s = batch.sample_of(i)
        heard = codec.hear(batch.codes[i]) if model.spec.get("codec") == "toy" else f"{len(batch.codes[i])} codes"
        print(f"[{s.id}] Q: {s.question_text!r}\n    text: {text!r}\n    said: {heard!r}")
    print(f"{len(batch.texts)} replies in {batch.seconds:.2f}s")


if __name__ == "__main__":
    main()
