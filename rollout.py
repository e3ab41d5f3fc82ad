"""Sampling G spoken replies per prompt, in one batched generation with a KV cache.

    keys = [stream_seed(seed, step, index, g) for index in indices for g in range(4)]
    batch = sample(model, samples, group_size=4, temperature=0.9, max_len=96, keys=keys)
    batch = sample(model, samples, 4, generator=torch.Generator().manual_seed(0))   # one stream

All B prompts x G replies step together: one prefill over the left-padded
prompts (each distinct prompt once), then one cached step per token through the
network's layers (run directly, without the forward's per-call work, where the network
allows), the cache written in place in storage reserved up front (transformers' own
cache copies itself every token). A prompt's states stay one copy for its G rows, and attention reads
them once per group (decoding is memory-bound on the cache; kvcache.py). In a
large batch (a study's scoring), rows that have closed their reply leave it. At each
step the schedule (the model's grammar) names a slot type per stream; logits outside the slot's token
set are masked, so every reply is well-formed: tiny-vita follows its interleave
schedule, tiny-kimi steps both streams with the audio delay and the text blank
after end-of-text. Forced tokens (markers the schedule places, delay blanks)
are not the policy's choices and are left out of the `sampled` mask.

Devices: prompts, the growing attention mask and the randomness are moved to the
model's device; the grammar's bookkeeping stays on the host. The Rollout's tensors
are on the model's device. Randomness: every draw is one inverse-CDF lookup with a
uniform drawn on the CPU, per reply row from its own stream when `keys` are given
(train.py keys them by (seed, step, dataset index, reply index), so a prompt's replies
do not depend on the batch or rank that samples it), else from `generator`.

Sampling (HF's order): the repetition penalty on the raw logits of tokens already in
this reply's stream (a positive logit / penalty, a negative one x penalty), the slot's
mask, the temperature, top-k, top-p. Unset top_p / top_k / repetition_penalty come
from the checkpoint's generation config (`spec["generation"]`), else top-p 0.9 and
no top-k or penalty; `--temperature 0` is greedy (argmax after the penalty).

The recorded `logprobs` are log pi_old(y_t) of the policy itself: the slot-restricted
softmax at the sampling temperature (1 when greedy), before the penalty and the
top-k / top-p truncation. That is the quantity `model.reply_logprobs` recomputes by
teacher forcing (so the GRPO ratio is 1 on the first update, to float rounding: the
cached decode and the one teacher-forced pass round differently, more in bf16, whose
logits are rounded before the float32 log-softmax) and the one the KL and the clip are
about; it is not the density of the truncated, penalised distribution the token was drawn
from (as in TRL; see deviation 2).

Run `python rollout.py --ckpt DIR` to print a few sampled replies.

Deviations from the paper and the official release:
  1. The official trainer rolls out with a copy of the checkpoint's generation config,
     overriding only the temperature, length and schedule, so top-k, top-p and the
     repetition penalty are the checkpoint's and its own top_p argument is unused. Here
     they are the checkpoint's too (`sampling_settings`; top_p 0.9 and the others off
     where it sets none), and each flag, when given, overrides its setting.
  2. As in TRL, old log-probs ignore top-k, top-p and the repetition penalty (the ratio is
     taken between temperature-scaled policies).
  3. temperature 0 means greedy decoding; its log-probs are recorded (and the update
     scores them) at temperature 1.
  4. The repetition penalty counts the tokens of the reply only (HF's also counts the
     prompt's, which holds the question's speech codes).
"""
import contextlib
import dataclasses
import os
import time
from dataclasses import dataclass, field

import numpy as np
import torch

import cli
from grammar import PAD_SLOT
from kvcache import (attention_over_shared_prefix, keep_rows, reserve_positions, sdpa_only, share_prefix, unshare,
                     without_cudnn_attention)
from model import distinct_prompts, pad_right, select_rows


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
    temperature: float = 1.0      # the temperature `logprobs` are taken at (1 for greedy)
    seconds: float = 0.0

    def sample_of(self, i: int):
        return self.samples[i // self.group_size]

    def to(self, device) -> "Rollout":
        """A copy with every tensor on `device` (train.py checkpoints a rollout sampled ahead on the CPU)."""
        move = (lambda t: t.to(device))   # noqa: E731
        return dataclasses.replace(self, prompts=move(self.prompts), prompt_mask=move(self.prompt_mask),
                                   replies=move(self.replies), slots=move(self.slots), logprobs=move(self.logprobs),
                                   masks={k: move(v) for k, v in self.masks.items()}, truncated=move(self.truncated))


def sort_descending(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x (..., V) -> (values, indices) sorted along the last dim, largest first (ties in no set
    order, as torch.sort's). On the CPU through numpy's SIMD argsort: torch.sort of a 32-row
    batch of 605 probabilities took 0.72 ms there, numpy 0.13 ms (2 cores, torch 2.13, numpy 2.4),
    and an untrained model's flat rows need it at every token of a rollout."""
    if x.device.type != "cpu" or x.requires_grad or x.dtype not in (torch.float32, torch.float64):
        return x.sort(dim=-1, descending=True)
    order = torch.from_numpy(np.argsort(-x.numpy(), axis=-1))
    return x.gather(-1, order), order


def top_p_filter(probs: torch.Tensor, top_p: float, head: int = 32) -> torch.Tensor:
    """Zero all but the smallest set of tokens whose mass reaches top_p. probs (..., V).

    Only the `head` most likely tokens are ranked when they hold top_p of every row's mass (a
    trained model's always do: the full sort of 605 tokens was a tenth of a 32-row rollout);
    otherwise the whole row is sorted. The same result either way: no token past the head can
    be kept when the head's mass reaches top_p."""
    if top_p >= 1.0:
        return probs
    sorted_p, order = probs.topk(min(head, probs.shape[-1]), dim=-1)
    mass = sorted_p.cumsum(-1)
    if sorted_p.shape[-1] < probs.shape[-1] and not bool((mass[..., -1] >= top_p).all()):
        sorted_p, order = sort_descending(probs)
        mass = sorted_p.cumsum(-1)
    mass_before = mass - sorted_p
    sorted_p = sorted_p.masked_fill(mass_before >= top_p, 0.0)   # the top token always stays
    return torch.zeros_like(probs).scatter(-1, order, sorted_p)


def top_k_filter(z: torch.Tensor, top_k: int) -> torch.Tensor:
    """Keep the top_k largest logits of z (..., V) (ties at the k-th value stay), -inf elsewhere.
    top_k <= 0 or >= V keeps everything; masked (-inf) logits never count as kept."""
    if top_k <= 0 or top_k >= z.shape[-1]:
        return z
    kth = z.topk(top_k, dim=-1).values[..., -1:]
    return z.masked_fill(z < kth, float("-inf"))


def repetition_penalise(z: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """HF's repetition penalty on logits z (..., V) for the tokens `seen` (..., V) bool:
    a positive logit is divided by the penalty, a negative one multiplied by it."""
    if penalty == 1.0:
        return z
    hit = torch.where(z > 0, z / penalty, z * penalty)
    return torch.where(seen, hit, z)


def inverse_cdf(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Draw one index per row of probs (..., V) (unnormalised, >= 0) with uniforms u (...)
    in [0, 1): the first index whose cumulative mass exceeds u * total. A zero-mass index is
    never drawn. -> (...) long."""
    cdf = probs.double().cumsum(-1)
    total = cdf[..., -1:]
    below = torch.nextafter(total, torch.zeros_like(total))        # keep the threshold < total
    threshold = torch.minimum(u[..., None].double() * total, below)
    return torch.searchsorted(cdf.contiguous(), threshold.contiguous(), right=True)[..., 0]


def stream_seed(seed: int, step: int, index: int, reply: int) -> int:
    """The sampling stream of one reply: a 64-bit seed from (seed, step, dataset index, reply
    index), so a prompt's replies do not depend on which rank or batch row samples it."""
    return int(np.random.SeedSequence([seed, step, index, reply]).generate_state(1, np.uint64)[0])


def draw_uniforms(n, length, k, keys=None, generator=None) -> torch.Tensor:
    """(n, length, k) uniforms on the CPU: row i from its own stream keys[i] when keys are given,
    else from `generator` (a CPU torch.Generator, or the global RNG when None)."""
    if keys is None:
        return torch.rand(n, length, k, generator=generator, device="cpu")
    if len(keys) != n:
        raise ValueError(f"{len(keys)} sampling keys for {n} rows")
    return torch.stack([torch.rand(length, k, generator=torch.Generator().manual_seed(s), device="cpu")
                        for s in keys])


def on_host():
    """A context in which tensors made without a device are made on the CPU, where the host's
    bookkeeping (token lists, SFT layouts, the grammar's state) lives, whatever default device
    a caller has set. A no-op where the default already is the CPU: `torch.device` as a context
    intercepts every torch call made inside it, which doubled the cost of laying out a step's
    SFT rows (32 rows of tiny-vita: 25 ms against 12.5)."""
    return contextlib.nullcontext() if torch.get_default_device().type == "cpu" else torch.device("cpu")


def model_device(model) -> torch.device:
    return model.allowed.device


def generate(model, prompts, prompt_mask, temperature=1.0, top_p=1.0, max_len=96, uniforms=None,
             top_k=0, repetition_penalty=1.0, reserve=True, drop_finished=64, share=True, direct=True):
    """Constrained sampling. prompts (N, P, K), prompt_mask (N, P), uniforms (N, >= max_len, K)
    in [0, 1) (the randomness of every draw; unused when greedy) -> replies (N, L, K),
    slots (N, L, K), logprobs (N, L, K), truncated (N,), all on the model's device.

    Per step: the repetition penalty on the raw logits of tokens already in the reply, the
    slot's mask, the temperature, top-k, top-p, then one inverse-CDF draw per stream. The
    recorded log-prob is log pi_old(y_t): the slot-restricted softmax at the temperature
    (1 when greedy) without penalty or truncation, what teacher forcing recomputes.

    Speed (kvcache.py): `reserve` writes the KV cache in place (ReservedLayer; the same numbers). With
    `share` (and `reserve`), a prompt's G adjacent rows keep its states once and attention
    reads them once per group (SharedPrefixLayer; the same numbers to float rounding). Rows that
    have closed their reply, once they are at least `drop_finished` (0: never) and a quarter of
    the rows still running, leave the batch with their cache, mask and state: a finished row's
    only tokens left are <pad>. Row i keeps its own uniforms, so the draws are the same up to
    float rounding in the smaller batch. Below 64 rows the cache copy costs about what it
    saves (measured at 32 rows: no gain), so a training step's rollout never drops rows.
    The loop runs under torch.inference_mode, not no_grad: no version counters or autograd
    bookkeeping per op (32 rows of an untrained tiny-vita, 128 tokens: 1.24 s to 1.07 s with
    top-p's numpy sort, sort_descending; a few percent on the trained base). The outputs are
    cloned out of it: an inference tensor cannot be saved for a backward, and the update
    saves these. Attention never runs on cuDNN here (without_cudnn_attention: a plan per
    decode step's key length). With `direct`, a decode step runs the network's layers itself
    where the model allows (SpokenLM.decode_step, kvcache.decode_layers: the same numbers without the
    forward's per-call work; 32 rows of tiny-vita, 96 tokens: 1.09x faster at the median)."""
    with torch.inference_mode(), without_cudnn_attention():
        out = _generate(model, prompts, prompt_mask, temperature, top_p, max_len, uniforms, top_k,
                        repetition_penalty, reserve, drop_finished, share, direct)
    return tuple(t.clone() for t in out)


def _generate(model, prompts, prompt_mask, temperature, top_p, max_len, uniforms, top_k, repetition_penalty,
              reserve, drop_finished, share, direct):
    device = model_device(model)
    n, _, k = prompts.shape
    grammar, allowed, pad = model.grammar, model.allowed, model.vocab.pad
    direct = direct and model.decodes_directly()
    with on_host():                                 # the grammar's bookkeeping lives on the host
        state = grammar.init(n)
    attn = prompt_mask.to(device)
    distinct, distinct_mask, row_of = distinct_prompts(prompts.to(device), attn)
    capacity, shared = prompts.shape[1] + max_len, False
    if getattr(model, "share_prompts", False) and len(distinct) < n:
        # a group's G rows share one prompt: prefill each distinct prompt once, then keep its
        # states once for the group (share) or index its cache out to the rows
        logits, past = model(distinct, distinct_mask, use_cache=True, keep=1)     # the next token's only
        logits = logits[row_of]
        shared = share and reserve and sdpa_only(model) and share_prefix(past, row_of, capacity) is not None
        if not shared:
            past = select_rows(past, row_of, prompts.shape[1])
    else:
        logits, past = model(prompts.to(device), attn, use_cache=True, keep=1)
    if reserve and not shared:
        past = reserve_positions(past, capacity)
    last = logits[:, -1]                                                  # (N, K, V)
    scale = temperature if temperature > 0 else 1.0
    seen = torch.zeros(last.shape, dtype=torch.bool, device=device) if repetition_penalty != 1.0 else None
    if temperature > 0:
        if uniforms is None or uniforms.shape[1] < max_len:
            raise ValueError(f"sampling needs uniforms (N, >= {max_len}, K)")
        uniforms = uniforms.to(device)
    step_mask = torch.ones(n, 1, dtype=attn.dtype, device=device)
    tokens = torch.full((n, max_len, k), pad, dtype=torch.long, device=device)
    slots = torch.full((n, max_len, k), PAD_SLOT, dtype=torch.long, device=device)
    logps = torch.zeros(n, max_len, k, device=device)
    rows = torch.arange(n, device=device)            # the batch rows still generating, in order
    with attention_over_shared_prefix(model) if shared else contextlib.nullcontext():
        for t in range(max_len):
            slot = grammar.slots(state).to(device)                            # (R, K)
            keep = allowed[slot]                                              # (R, K, V)
            z = last.float()
            logp_all = torch.log_softmax(z.masked_fill(~keep, float("-inf")) / scale, dim=-1)
            if seen is not None:
                z = repetition_penalise(z, seen, repetition_penalty)
            z = z.masked_fill(~keep, float("-inf"))
            if temperature > 0:
                probs = top_p_filter(torch.softmax(top_k_filter(z / scale, top_k), dim=-1), top_p)
                tok = inverse_cdf(probs, uniforms[rows, t])
            else:
                tok = z.argmax(-1)
            tok = torch.where(slot == PAD_SLOT, pad, tok)
            tokens[rows, t], slots[rows, t] = tok, slot
            logps[rows, t] = logp_all.gather(-1, tok[..., None]).squeeze(-1).masked_fill(slot == PAD_SLOT, 0.0)
            if seen is not None:
                seen.scatter_(-1, tok[..., None], (slot != PAD_SLOT)[..., None] | seen.gather(-1, tok[..., None]))
            state = grammar.step(state, tok.cpu())
            done = grammar.done(state)
            if done.all() or t == max_len - 1:      # nothing left to decode: the next logits would go unused
                break
            finished = int(done.sum())
            if drop_finished and finished >= drop_finished and 4 * finished >= len(done):
                stay = (~done).nonzero().squeeze(1)
                state = {name: v[stay] for name, v in state.items()}
                stay = stay.to(device)
                past = unshare(past, capacity)       # groups lose rows: one prompt copy per row from here
                rows, tok, attn, step_mask = rows[stay], tok[stay], attn[stay], step_mask[stay]
                past = keep_rows(past, stay)
                seen = seen[stay] if seen is not None else None
            attn = torch.cat([attn, step_mask], dim=1)
            logits, past = model(tok[:, None, :], attn, past=past, use_cache=True, direct=direct)
            last = logits[:, -1]
    truncated = torch.zeros(n, dtype=torch.bool, device=device)
    truncated[rows] = ~grammar.done(state).to(device)
    return tokens[:, :t + 1], slots[:, :t + 1], logps[:, :t + 1], truncated


def sampling_settings(model, top_p=None, top_k=None, repetition_penalty=None) -> dict:
    """top_p, top_k, repetition_penalty: the value given, else the checkpoint's generation
    config (`model.spec["generation"]`, filled from a real checkpoint's generation_config),
    else top_p 0.9 and the others off (top_k 0, repetition_penalty 1)."""
    config = model.spec.get("generation", {}) or {}
    pick = (lambda given, key, off: given if given is not None else config.get(key) if config.get(key) is not None
            else off)
    return {"top_p": float(pick(top_p, "top_p", 0.9)), "top_k": int(pick(top_k, "top_k", 0)),
            "repetition_penalty": float(pick(repetition_penalty, "repetition_penalty", 1.0))}


def sample(model, samples, group_size=4, temperature=0.9, top_p=None, max_len=96, generator=None,
           include_audio_boundaries=True, decode_audio=True, top_k=None, repetition_penalty=None,
           keys=None) -> Rollout:
    """Sample group_size replies for each sample, all in one batched generation.
    Randomness: `keys` (one stream seed per reply row, see stream_seed) or `generator` (CPU).
    top_p / top_k / repetition_penalty left as None come from sampling_settings.
    The Rollout's tensors are on the model's device."""
    t0 = time.perf_counter()
    device = model_device(model)
    was_training = model.training
    model.eval()
    with on_host():                                 # token lists are built on the host, then moved
        prompts, prompt_mask = model.sample_prompt_batch(samples)
    prompts = prompts.repeat_interleave(group_size, 0).to(device)         # (B*G, P, K)
    prompt_mask = prompt_mask.repeat_interleave(group_size, 0).to(device)
    n, k = prompts.shape[0], prompts.shape[2]
    uniforms = draw_uniforms(n, max_len, k, keys, generator) if temperature > 0 else None
    replies, slots, logps, truncated = generate(model, prompts, prompt_mask, temperature, max_len=max_len,
                                                uniforms=uniforms,
                                                **sampling_settings(model, top_p, top_k, repetition_penalty))
    model.train(was_training)
    batch = Rollout(samples=list(samples), group_size=group_size, prompts=prompts, prompt_mask=prompt_mask,
                    replies=replies, slots=slots, logprobs=logps,
                    masks=model.masks(replies, slots, include_audio_boundaries), truncated=truncated,
                    temperature=scoring_temperature(temperature))
    for reply in replies.cpu():
        text, codes = model.split(reply)
        batch.texts.append(text)
        batch.codes.append(codes)
        if decode_audio:
            wave, rate = model.codec.decode(codes)
            batch.waves.append(wave)
            batch.rates.append(rate)
    batch.seconds = time.perf_counter() - t0
    return batch


def scoring_temperature(temperature: float) -> float:
    """The temperature log-probs are taken at: the sampling temperature, or 1 for greedy (0),
    so no log-prob is ever divided by zero."""
    return temperature if temperature > 0 else 1.0


def lay_out_target(model, sample) -> torch.Tensor:
    """A sample's SFT target laid out by the model's schedule, (L, K); a ValueError naming the
    sample where it cannot be (train.check_targets finds these before the first step)."""
    try:
        return model.target(sample.target_text, sample.target_codes)
    except ValueError as e:
        raise ValueError(f"sample {sample.id}: cannot lay out its SFT target: {e}") from None


def teacher_forced(model, samples, include_audio_boundaries=True, max_len=None):
    """The SFT side of a step: prompts and laid-out targets of samples, with slots and masks.
    Returns (prompts (B, P, K), prompt_mask (B, P), replies (B, L, K), slots, masks), all on
    the model's device (built on the host, then moved). `max_len` (train.py's --max-len): a target
    is cut to its first max_len positions, as a rollout stops there, so one long demonstration
    cannot stretch every row of the step's forward past what the memory plan counts."""
    with on_host():
        prompts, prompt_mask = model.sample_prompt_batch(samples)
        replies = pad_right([lay_out_target(model, s)[:max_len] for s in samples], model.vocab.pad)
        slots = model.slots_for(replies)
    prompts, prompt_mask, replies, slots = (t.to(model_device(model)) for t in (prompts, prompt_mask, replies, slots))
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


def add_sampling_args(group, max_len=128, max_len_help=""):
    """The sampling flags shared by train.py, eval.py and this file's command line. max_len=None:
    the caller fills --max-len in when it is not given (per model) and says how in max_len_help."""
    group.add_argument("--temperature", type=float, default=0.9,
                       help="sampling temperature (0 = greedy; its log-probs are scored at temperature 1)")
    group.add_argument("--top-p", type=float, default=None,
                       help="nucleus sampling mass (default: the checkpoint's generation config, else 0.9)")
    group.add_argument("--top-k", type=int, default=None,
                       help="sample among the k most likely allowed tokens (default: generation config, else off)")
    group.add_argument("--repetition-penalty", type=float, default=None,
                       help="HF-style penalty on tokens already in the reply (default: generation config, else off)")
    group.add_argument("--max-len", type=int, default=max_len, help="maximum reply tokens per stream" + max_len_help)
    return group


def check_sampling_args(ap, args):
    """Refuse a sampling flag out of its range with one line naming it (exit status 2). Unchecked, a
    negative temperature silently meant greedy, --top-p 0 or above 1 reached the sampler, --repetition-
    penalty 0 divided a repeated token's positive logit by zero (the token certain), and --max-len 0
    failed later with a traceback."""
    for flag, value, ok in (("--temperature", args.temperature, args.temperature >= 0),
                            ("--top-p", args.top_p, args.top_p is None or 0 < args.top_p <= 1),
                            ("--top-k", args.top_k, args.top_k is None or args.top_k >= 0),
                            ("--repetition-penalty", args.repetition_penalty,
                             args.repetition_penalty is None or args.repetition_penalty > 0),
                            ("--max-len", args.max_len, args.max_len is None or args.max_len >= 1)):
        if not ok:
            ap.error(f"{flag} {value}: out of range")


def sampling_kwargs(args) -> dict:
    """rollout.sample's sampling keywords from parsed add_sampling_args flags."""
    return {"temperature": args.temperature, "top_p": args.top_p, "top_k": args.top_k,
            "repetition_penalty": args.repetition_penalty, "max_len": args.max_len}


HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    import codec
    import dataset
    from model import add_placement_args, checkpoint_spec, load_model, placement
    ap = cli.Parser(description="Print sampled replies of a checkpoint.")
    ap.add_argument("--ckpt", required=True, help="checkpoint directory")
    ap.add_argument("--data", default=os.path.join(HERE, "data", "toy", "eval.jsonl"),
                    help="JSONL split to take prompts from (default: the project's data/toy/eval.jsonl)")
    ap.add_argument("--n", type=int, default=4, help="number of prompts")
    ap.add_argument("--group-size", type=int, default=2, help="replies per prompt")
    ap.add_argument("--seed", type=int, default=0, help="sampling seed")
    add_placement_args(ap)
    add_sampling_args(ap)
    args = ap.parse_args(argv)
    check_sampling_args(ap, args)
    for flag, value in (("--n", args.n), ("--group-size", args.group_size)):
        if value < 1:
            ap.error(f"{flag} {value}: need 1 or more")
    try:
        real = checkpoint_spec(args.ckpt).get("tokenizer") != "toy"
        device, dtype = placement(args.device, args.dtype, real)
        model = load_model(args.ckpt, dtype=getattr(torch, dtype), device=torch.device(device))
        samples = dataset.load_samples(args.data, model.codec.encode, limit=args.n)
    except (ValueError, OSError) as e:        # CheckpointError, DataError, --device cuda: one line each
        ap.error(str(e))
    batch = sample(model, samples, args.group_size, generator=torch.Generator().manual_seed(args.seed),
                   **sampling_kwargs(args))
    for i, text in enumerate(batch.texts):
        s = batch.sample_of(i)
        heard = codec.hear(batch.codes[i]) if model.spec.get("codec") == "toy" else f"{len(batch.codes[i])} codes"
        print(f"[{s.id}] Q: {s.question_text!r}\n    text: {text!r}\n    said: {heard!r}")
    print(f"{len(batch.texts)} replies in {batch.seconds:.2f}s")


if __name__ == "__main__":
    main()
