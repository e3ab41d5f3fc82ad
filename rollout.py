"""Sampling G spoken replies per prompt, in one batched generation with a KV cache.

    keys = [stream_seed(seed, step, index, g) for index in indices for g in range(4)]
    batch = sample(model, samples, group_size=4, temperature=0.9, max_len=96, keys=keys)
    batch = sample(model, samples, 4, generator=torch.Generator().manual_seed(0))   # one stream

All B prompts x G replies step together: one prefill over the left-padded
prompts (each distinct prompt once), then one cached forward per token, the cache
written in place in storage reserved up front (transformers' own cache copies itself
every token). A prompt's states stay one copy for its G rows, and attention reads
them once per group (decoding is memory-bound on the cache; SharedPrefixLayer). In a
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
logits are rounded before the float32 log-softmax) and the one the KL and the clip are about; it is not the density of the truncated, penalised
distribution the token was drawn from (as in TRL; see deviation 2).

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
import argparse
import contextlib
import dataclasses
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from transformers.cache_utils import DynamicLayer

from grammar import PAD_SLOT
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


def model_device(model) -> torch.device:
    return model.allowed.device


class ReservedLayer(DynamicLayer):
    """A transformers DynamicLayer whose keys and values live in a buffer reserved for
    `capacity` positions: a decode step writes its one position in place and hands attention a
    view, where DynamicLayer concatenates (copies) the whole cache every step; at 1,200 rows
    that copy was half the sampler's time. Everything else reads it as a DynamicLayer."""

    def __init__(self, layer: DynamicLayer, capacity: int):
        super().__init__()
        n, h, length, d = layer.keys.shape
        self.dtype, self.device, self.is_initialized = layer.keys.dtype, layer.keys.device, True
        self._keys = layer.keys.new_empty(n, h, capacity, d)
        self._values = layer.values.new_empty(n, h, capacity, layer.values.shape[-1])
        self._keys[:, :, :length], self._values[:, :, :length] = layer.keys, layer.values
        self.keys, self.values = self._keys[:, :, :length], self._values[:, :, :length]

    def update(self, key_states, value_states, *args, **kwargs):
        start, end = self.keys.shape[-2], self.keys.shape[-2] + key_states.shape[-2]
        if end > self._keys.shape[-2]:
            raise RuntimeError(f"reserved KV cache of {self._keys.shape[-2]} positions is full")
        self._keys[:, :, start:end], self._values[:, :, start:end] = key_states, value_states
        self.keys, self.values = self._keys[:, :, :end], self._values[:, :, :end]
        return self.keys, self.values

    def batch_select_indices(self, indices):
        length = self.keys.shape[-2]
        self._keys, self._values = self._keys[indices], self._values[indices]
        self.keys, self.values = self._keys[:, :, :length], self._values[:, :, :length]


def reserve_positions(cache, capacity: int):
    """The cache (transformers' DynamicCache, or a tuple of them) with every layer's storage
    reserved for `capacity` positions. A cache of any other kind (another transformers version,
    a model's own cache) is returned as it is: slower, the same numbers."""
    caches = cache if isinstance(cache, tuple) else (cache,)
    if not all(type(layer) is DynamicLayer and layer.is_initialized
               for c in caches for layer in getattr(c, "layers", [None])):
        return cache
    for c in caches:
        c.layers = [ReservedLayer(layer, capacity) for layer in c.layers]
    return cache


@dataclass
class SharedPrefixKV:
    """What a SharedPrefixLayer hands attention for keys (or values): each group's prompt
    once, `prefix` (U, H_kv, P, D), and every row's reply, `reply` (U * group, H_kv, T, D),
    a group's rows adjacent."""
    prefix: torch.Tensor
    reply: torch.Tensor
    group: int


class SharedPrefixLayer(ReservedLayer):
    """A KV cache layer for G rows per prompt that keeps the prompt's states once: the rows'
    replies are a ReservedLayer (written in place), and attention (shared_prefix_attention)
    reads a group's prompt once for its G rows, where a cache indexed out to the rows holds,
    and reads, G copies. Decoding is memory-bound on the cache (a 32-row step's attention
    reads 24 MB of it at tiny-vita's size), so this reads about half as much and keeps G - 1
    copies of every prompt out of memory. Float32 states only (share_prefix): in bf16 the rows
    keep their own copies."""

    def __init__(self, layer: DynamicLayer, groups: torch.Tensor, group: int, capacity: int):
        prefix_keys, prefix_values = layer.keys[groups], layer.values[groups]              # (U, H, P, D)
        replies = DynamicLayer()
        replies.keys = prefix_keys[:, :, :0].repeat_interleave(group, 0)                    # (U G, H, 0, D)
        replies.values = prefix_values[:, :, :0].repeat_interleave(group, 0)
        super().__init__(replies, capacity - prefix_keys.shape[-2])
        self.prefix_keys, self.prefix_values, self.group = prefix_keys, prefix_values, group

    def get_seq_length(self) -> int:
        return self.prefix_keys.shape[-2] + self.keys.shape[-2]

    def update(self, key_states, value_states, *args, **kwargs):
        keys, values = super().update(key_states, value_states)
        return (SharedPrefixKV(self.prefix_keys, keys, self.group),
                SharedPrefixKV(self.prefix_values, values, self.group))

    def batch_select_indices(self, indices):
        raise RuntimeError("a shared prompt cannot lose rows: unshare() the cache first")

    def unshared(self, capacity: int) -> ReservedLayer:
        """The same states as a ReservedLayer, one copy of the prompt per row (for dropping rows)."""
        whole = DynamicLayer()
        whole.keys = torch.cat([self.prefix_keys.repeat_interleave(self.group, 0), self.keys], dim=-2)
        whole.values = torch.cat([self.prefix_values.repeat_interleave(self.group, 0), self.values], dim=-2)
        return ReservedLayer(whole, capacity)


SHARED_PREFIX = "nanowavalign_shared_prefix"


def shared_prefix_attention(module, query, key, value, attention_mask, dropout=0.0, scaling=None, **kwargs):
    """transformers' attention interface over a SharedPrefixLayer's states: softmax(q K^T) V
    with K = [the row's prompt ; the row's reply], the prompt part computed once per group
    (the group's G rows' queries against its one copy). query (N, H, S, D) -> (N, S, H, D).
    Plain tensors (a prefill, teacher forcing) go to transformers' SDPA unchanged."""
    if not isinstance(key, SharedPrefixKV):
        from transformers.integrations.sdpa_attention import sdpa_attention_forward
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    n, h, s, d = query.shape
    u, h_kv, p, _ = key.prefix.shape
    g, rep = key.group, h // h_kv                          # rows per group, query heads per KV head
    scaling = d ** -0.5 if scaling is None else scaling
    # the prompt part: a group's G rows (x rep heads x S positions) are queries of one batch entry
    grouped = query.reshape(u, g, h_kv, rep * s, d).transpose(1, 2).reshape(u, h_kv, g * rep * s, d)
    on_prefix = torch.matmul(grouped, key.prefix.transpose(-1, -2)) * scaling          # (U, H_kv, G rep S, P)
    on_prefix = on_prefix.reshape(u, h_kv, g, rep * s, p).transpose(1, 2).reshape(n, h, s, p)
    on_reply = torch.matmul(query.reshape(n, h_kv, rep * s, d), key.reply.transpose(-1, -2)) * scaling
    scores = torch.cat([on_prefix, on_reply.reshape(n, h, s, -1)], dim=-1)                   # (N, H, S, P + T)
    if attention_mask is not None:
        scores = (scores.masked_fill(~attention_mask, float("-inf")) if attention_mask.dtype == torch.bool
                  else scores + attention_mask)
    weights = torch.softmax(scores.float(), dim=-1).to(query.dtype)
    w_prefix = weights[..., :p].reshape(u, g, h_kv, rep * s, p).transpose(1, 2).reshape(u, h_kv, g * rep * s, p)
    out = torch.matmul(w_prefix, value.prefix).reshape(u, h_kv, g, rep * s, d).transpose(1, 2).reshape(n, h, s, d)
    out = out + torch.matmul(weights[..., p:].reshape(n, h_kv, rep * s, -1), value.reply).reshape(n, h, s, d)
    return out.transpose(1, 2).contiguous(), None


def _register_shared_prefix():
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
    AttentionInterface.register(SHARED_PREFIX, shared_prefix_attention)
    AttentionMaskInterface.register(SHARED_PREFIX, sdpa_mask)


_register_shared_prefix()


def share_prefix(cache, row_of, capacity: int):
    """A prefill cache of the distinct prompts (transformers' DynamicCache, or a tuple of them)
    and row_of (N,) -> the cache with SharedPrefixLayers, or None where it cannot share: a
    layer of another kind, states not in float32 (shared_prefix_attention's scores are in the
    states' dtype, and SDPA keeps bf16 scores in float32), or rows whose prompts do not come
    in equal adjacent runs (G > 1)."""
    caches = cache if isinstance(cache, tuple) else (cache,)
    if not all(type(layer) is DynamicLayer and layer.is_initialized and layer.keys.dtype == torch.float32
               for c in caches for layer in getattr(c, "layers", [None])):
        return None
    groups, counts = torch.unique_consecutive(row_of, return_counts=True)
    group = int(counts[0])
    if group < 2 or not bool((counts == group).all()):
        return None
    for c in caches:
        c.layers = [SharedPrefixLayer(layer, groups, group, capacity) for layer in c.layers]
    return cache


def unshare(cache, capacity: int):
    """SharedPrefixLayers back to ReservedLayers (one prompt copy per row), in place."""
    for c in cache if isinstance(cache, tuple) else (cache,):
        c.layers = [layer.unshared(capacity) if isinstance(layer, SharedPrefixLayer) else layer for layer in c.layers]
    return cache


def attention_configs(model) -> dict:
    """The configs that pick the model's attention implementation, by id."""
    return {id(m.config): m.config for m in model.modules()
            if hasattr(getattr(m, "config", None), "_attn_implementation")}


def sdpa_only(model) -> bool:
    """Every attention of the model is transformers' SDPA, the one shared_prefix_attention
    stands in for (another, e.g. flash attention, would be handed states it cannot read)."""
    configs = attention_configs(model).values()
    return bool(configs) and all(c._attn_implementation == "sdpa" for c in configs)


@contextlib.contextmanager
def attention_over_shared_prefix(model):
    """While inside, the model's attention reads SharedPrefixLayers (shared_prefix_attention,
    which hands anything else to SDPA); SDPA again on the way out, also on an error."""
    configs = attention_configs(model).values()
    try:
        for config in configs:
            config._attn_implementation = SHARED_PREFIX
        yield
    finally:
        for config in configs:
            config._attn_implementation = "sdpa"


def keep_rows(cache, rows):
    """Keep batch rows `rows` of a cache (or a tuple of them), in place."""
    for c in cache if isinstance(cache, tuple) else (cache,):
        c.batch_select_indices(rows)
    return cache


def generate(model, prompts, prompt_mask, temperature=1.0, top_p=1.0, max_len=96, uniforms=None,
             top_k=0, repetition_penalty=1.0, reserve=True, drop_finished=64, share=True):
    """Constrained sampling. prompts (N, P, K), prompt_mask (N, P), uniforms (N, >= max_len, K)
    in [0, 1) (the randomness of every draw; unused when greedy) -> replies (N, L, K),
    slots (N, L, K), logprobs (N, L, K), truncated (N,), all on the model's device.

    Per step: the repetition penalty on the raw logits of tokens already in the reply, the
    slot's mask, the temperature, top-k, top-p, then one inverse-CDF draw per stream. The
    recorded log-prob is log pi_old(y_t): the slot-restricted softmax at the temperature
    (1 when greedy) without penalty or truncation, what teacher forcing recomputes.

    Speed: `reserve` writes the KV cache in place (ReservedLayer; the same numbers). With
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
    decode step's key length)."""
    with torch.inference_mode(), without_cudnn_attention():
        out = _generate(model, prompts, prompt_mask, temperature, top_p, max_len, uniforms, top_k,
                        repetition_penalty, reserve, drop_finished, share)
    return tuple(t.clone() for t in out)


_CUDNN_SDPA = {"holders": 0, "was": True}       # generate calls inside without_cudnn_attention, and the flag before
_CUDNN_SDPA_LOCK = threading.Lock()


@contextlib.contextmanager
def without_cudnn_attention():
    """While inside, torch's scaled_dot_product_attention does not pick its cuDNN backend (the
    others stay as they were). Why: torch 2.11+ puts cuDNN first on an sm90/sm100 GPU (H100,
    H200, B200) for bf16 and fp16 where cuDNN is 9.15 or newer, and cuDNN builds an execution
    plan for every new problem shape, key length included (cached per shape; one public trace
    on torch 2.13 measured 23-37 ms of host time a build). A decode step's keys are one longer
    than the last step's, so every token would pay a build. Measured on an H200: the bf16
    sampler took 65-76 ms a token, 7.3 ms a call inside SDPA, where the same shapes took 15
    in a later rollout of the same process (whose plans were built). That cuDNN was the backend
    is read from torch's source, not yet seen on a GPU (bench.py --only sampler-paths prints
    it). Flash and memory-efficient attention need no plan. Left alone where cuDNN is the only
    backend enabled (a caller forcing it: that bench). The flag is one for every thread: the
    first thread in turns it off and the last one out restores it."""
    cuda = torch.backends.cuda
    with _CUDNN_SDPA_LOCK:
        if _CUDNN_SDPA["holders"] == 0:
            _CUDNN_SDPA["was"] = cuda.cudnn_sdp_enabled()
            if cuda.flash_sdp_enabled() or cuda.mem_efficient_sdp_enabled() or cuda.math_sdp_enabled():
                cuda.enable_cudnn_sdp(False)
        _CUDNN_SDPA["holders"] += 1
    try:
        yield
    finally:
        with _CUDNN_SDPA_LOCK:
            _CUDNN_SDPA["holders"] -= 1
            if _CUDNN_SDPA["holders"] == 0:
                cuda.enable_cudnn_sdp(_CUDNN_SDPA["was"])


def _generate(model, prompts, prompt_mask, temperature, top_p, max_len, uniforms, top_k, repetition_penalty,
              reserve, drop_finished, share):
    device = model_device(model)
    n, _, k = prompts.shape
    grammar, allowed, pad = model.grammar, model.allowed, model.vocab.pad
    with torch.device("cpu"):                       # the grammar's bookkeeping lives on the host
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
            logits, past = model(tok[:, None, :], attn, past=past, use_cache=True)
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
    with torch.device("cpu"):                       # token lists are built on the host, then moved
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


def teacher_forced(model, samples, include_audio_boundaries=True):
    """The SFT side of a step: prompts and laid-out targets of samples, with slots and masks.
    Returns (prompts (B, P, K), prompt_mask (B, P), replies (B, L, K), slots, masks), all on
    the model's device (built on the host, then moved)."""
    with torch.device("cpu"):
        prompts, prompt_mask = model.sample_prompt_batch(samples)
        targets = []
        for s in samples:
            try:
                targets.append(model.target(s.target_text, s.target_codes))
            except ValueError as e:
                raise ValueError(f"sample {s.id}: cannot lay out its SFT target: {e}") from None
        replies = pad_right(targets, model.vocab.pad)
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
    ap = argparse.ArgumentParser(description="Print sampled replies of a checkpoint.")
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
