"""The KV cache a rollout decodes over, and the attention that reads it.

    past = reserve_positions(past, capacity)         # storage for every position up front (ReservedLayer)
    past = share_prefix(past, row_of, capacity)      # a group's prompt held once (SharedPrefixLayer), or None
    with attention_over_shared_prefix(model): ...    # attention that reads a shared prompt once per group
    with without_cudnn_attention(): ...              # SDPA kept off cuDNN (a plan per new key length)
    hidden = decode_layers(qwen2_model, hidden, attention_mask, position_ids, cache)   # one new position

rollout.generate is the one user: these are how its decode loop writes transformers' cache in
place, keeps a group's prompt once, lets finished rows leave (keep_rows, unshare), picks the
attention backend and runs a decode step without the model forward's per-call work. Each keeps
the numbers the plain path gives (tests/test_rollout.py).

Deviations from the paper and the official release: none (a speed and memory matter; the
official release decodes with transformers' own growing cache).
"""
import contextlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers.cache_utils import DynamicLayer


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


@contextlib.contextmanager
def without_cudnn_attention():
    """While inside, torch's scaled_dot_product_attention does not pick its cuDNN backend (the
    others stay as they were; left alone where cuDNN is the only one enabled, as bench_gpu.py's
    sampler-paths forces it). Why: torch 2.11+ puts cuDNN first on sm90/sm100 GPUs (H100, H200,
    B200) for bf16 and fp16 where cuDNN is 9.15 or newer, and cuDNN builds an execution plan per
    new problem shape (one public trace on torch 2.13: 23-37 ms of host time a build). A decode
    step's keys are one longer than the last step's, so every token would pay a build. On an
    H200 the bf16 sampler took 65-76 ms a token, 7.3 ms a call inside SDPA, where the same
    shapes took 15 in a later rollout of the same process. That cuDNN was the backend is read
    from torch's source, not yet seen on a GPU (bench.py --only sampler-paths prints it). The
    flag is process-wide and restored on the way out; the project samples on one thread at a
    time (study.py's scorers take a lock)."""
    cuda = torch.backends.cuda
    was = cuda.cudnn_sdp_enabled()
    others = cuda.flash_sdp_enabled() or cuda.mem_efficient_sdp_enabled() or cuda.math_sdp_enabled()
    cuda.enable_cudnn_sdp(was and not others)
    try:
        yield
    finally:
        cuda.enable_cudnn_sdp(was)


def decodes_directly(stack) -> bool:
    """decode_layers computes what `stack` (a transformers Qwen2Model) would: its layers run
    transformers' own Qwen2 code (FSDP2's wrapper class adds hooks, not code), every one full
    attention (no sliding window, whose mask decode_layers does not build) through SDPA (or
    shared_prefix_attention) with no dropout in force, plain nn.Linear projections (not LoRA's or a
    quantised kind) and each layer writing its own cache slot. Its weights must be plain tensors too,
    which the caller checks over the whole network (SpokenLM.decodes_directly: FSDP2's sharded
    DTensors are gathered by its hooks, which decode_layers does not call; inside
    runtime.gathered they are plain, and in the dtype its forward would compute in)."""
    from transformers.models.qwen2 import modeling_qwen2 as qwen2
    wrapper = None
    if torch.distributed.is_available():
        from torch.distributed.fsdp import FSDPModule as wrapper

    def own(module):          # FSDP2 gives a module the class FSDP<its class>, bases (FSDPModule, its class)
        cls = type(module)
        return cls.__bases__[1] if wrapper is not None and cls.__bases__[0] is wrapper else cls
    config, linear = stack.config, torch.nn.Linear
    return (all(own(layer) is qwen2.Qwen2DecoderLayer and type(layer.self_attn) is qwen2.Qwen2Attention
                and type(layer.mlp) is qwen2.Qwen2MLP
                and type(layer.input_layernorm) is type(layer.post_attention_layernorm) is qwen2.Qwen2RMSNorm
                and layer.self_attn.layer_idx == i                       # the cache slot decode_layers writes
                and all(type(proj) is linear for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj,
                                                          layer.self_attn.v_proj, layer.self_attn.o_proj,
                                                          layer.mlp.gate_proj, layer.mlp.up_proj, layer.mlp.down_proj))
                and not (layer.self_attn.training and layer.self_attn.attention_dropout)   # it drops nothing
                for i, layer in enumerate(stack.layers))
            and own(stack) is qwen2.Qwen2Model and type(stack.rotary_emb) is qwen2.Qwen2RotaryEmbedding
            and type(stack.norm) is qwen2.Qwen2RMSNorm
            and len(stack.layers) == config.num_hidden_layers
            and all(t == "full_attention" for t in (getattr(config, "layer_types", None) or ["full_attention"]))
            and config._attn_implementation in ("sdpa", SHARED_PREFIX))


def _rms_norm(x, norm):
    """transformers' Qwen2RMSNorm, its operations in its order (float32 inside)."""
    h = x.to(torch.float32)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + norm.variance_epsilon)
    return norm.weight * h.to(x.dtype)


def _rotate(x, cos, sin):
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


def decode_layers(stack, hidden, attention_mask, position_ids, cache):
    """One new position through a transformers Qwen2Model `stack`'s layers and final norm, over
    its KV cache: hidden (N, 1, D), attention_mask (N, L) of 1/0 over the cache's L - 1
    positions and this one, position_ids (N, 1) -> (N, 1, D), and the cache written.

    The operations of stack(inputs_embeds=hidden, ...) in their order, on the modules' own
    weights, so the same numbers (tests/test_rollout.py compares them exactly), without what a
    forward does around them per call: building the 4-D mask, output capture, a module call per
    projection and norm (so no module hook runs: FSDP2's have nothing to do inside
    runtime.gathered), the attention interface's look-ups. One query needs no causal mask: the
    padding mask is the whole of it. A tiny-vita rollout (32 rows, 96 tokens, 2 cores) is 1.09x
    faster at the median of 10 runs alternating with the forward's path, 1.19x at the fastest; on
    a GPU, where the host's work per token bounds a rollout, bench.py --only sampler-paths prints
    what it saves. Only where decodes_directly(stack)."""
    n = hidden.shape[0]
    cos, sin = stack.rotary_emb(hidden, position_ids)                   # (N, 1, head_dim) each
    cos, sin = cos[:, None], sin[:, None]                               # broadcast over heads
    # as transformers' mask builder: none where no row has padding (SDPA may then pick another kernel)
    mask = None if bool(attention_mask.all()) else attention_mask.bool()[:, None, None, :]     # (N, 1, 1, L)
    for i, layer in enumerate(stack.layers):
        attn, mlp = layer.self_attn, layer.mlp
        x = _rms_norm(hidden, layer.input_layernorm)
        q, k, v = (F.linear(x, proj.weight, proj.bias).view(n, 1, -1, attn.head_dim).transpose(1, 2)
                   for proj in (attn.q_proj, attn.k_proj, attn.v_proj))
        keys, values = cache.update(_rotate(k, cos, sin), v, i)
        out, _ = shared_prefix_attention(attn, _rotate(q, cos, sin), keys, values, mask, scaling=attn.scaling)
        hidden = hidden + F.linear(out.reshape(n, 1, -1), attn.o_proj.weight, attn.o_proj.bias)
        x = _rms_norm(hidden, layer.post_attention_layernorm)
        gate, up = F.linear(x, mlp.gate_proj.weight), F.linear(x, mlp.up_proj.weight)
        hidden = hidden + F.linear(mlp.act_fn(gate) * up, mlp.down_proj.weight)
    return _rms_norm(hidden, stack.norm)
