"""Lean cached decoding for Qwen2 networks: the sampler's forward, without the per-token wrapper.

    dec = decode.lean_decoder(model.net, n=32, total=prompt_len + max_len)   # None: not eligible
    logits = dec.prefill(tokens, attention_mask)       # (N, P) ids, (N, P) 0/1 -> last logits (N, V)
    logits = dec.step(next_ids)                        # (N,) ids -> (N, V); one token appended per row

What it owns: a KV cache allocated once for the whole rollout (layers x N x kv heads x total
x head dim) and an additive attention mask allocated once (N x total), and a forward that calls
the network's own embedding, decoder layers, final norm and head directly. Each layer is
Hugging Face's own module with its own attention function, so the maths is the checkpoint's;
what is skipped is the model-level wrapper per token (building the 4-D mask from the 2-D one,
the cache object and its bookkeeping, output dataclasses, the head over every position).
`rollout.generate` uses it wherever `lean_decoder` returns one, and
`tests/test_decode.py` checks its logits against `net(...)` with Hugging Face's cache, with
left padding, to float tolerance.

Eligible: a plain `Qwen2ForCausalLM` with SDPA attention and full attention in every layer
(tiny-vita, and the real VITA-Audio main path from real.py). Not eligible, so the plain
cached forward is used: layers sharded by FSDP (their parameters exist only inside their
own forward), other attention implementations, sliding windows, tiny-kimi's two-stream net.

Positions count attended tokens only (model.default_positions), so left padding does not
shift them. The mask is additive with the dtype's most negative finite value, not -inf: a
left-padded prompt position (whose output is never read) has no key to attend to, and with
-inf some SDPA kernels return a NaN there that would reach real rows through 0 x NaN.

Deviations: none from the paper or the official release (a speed path with the same maths).
"""
import torch

from model import default_positions


class StaticKV:
    """The `past_key_values` a Qwen2 attention layer writes to: `update` stores the new keys and
    values at the current length and returns this layer's whole buffers (contiguous; the slots
    not written yet hold zeros and are masked). Attending over the whole buffer with an
    additive mask is faster on CPU than over a strided slice with a boolean one (bench.py)."""

    def __init__(self, layers, n, kv_heads, total, head_dim, dtype, device):
        shape = (layers, n, kv_heads, total, head_dim)
        self.keys = torch.zeros(shape, dtype=dtype, device=device)
        self.values = torch.zeros(shape, dtype=dtype, device=device)
        self.length = 0                       # tokens stored; advanced once all layers have written

    def update(self, key, value, layer_idx, *args, **kwargs):
        end = self.length + key.shape[2]
        self.keys[layer_idx, :, :, self.length:end] = key
        self.values[layer_idx, :, :, self.length:end] = value
        return self.keys[layer_idx], self.values[layer_idx]


class LeanDecoder:
    def __init__(self, net, n, total):
        cfg = net.config
        self.net, self.n, self.total = net, n, total
        param = net.lm_head.weight
        head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.cache = StaticKV(cfg.num_hidden_layers, n, cfg.num_key_value_heads, total, head_dim,
                              param.dtype, param.device)
        self.blocked = torch.finfo(param.dtype).min       # additive mask value: exp underflows to 0
        self.bias = torch.full((n, total), self.blocked, dtype=param.dtype, device=param.device)
        self.position = None                  # (N,) position of the last token

    def _forward(self, ids, positions, mask):
        """ids (N, S), positions (N, S), mask (N, 1, S, total) additive -> last logits (N, V)."""
        body = self.net.model
        h = body.embed_tokens(ids)
        rope = body.rotary_emb(h, positions)
        for layer in body.layers:
            h = layer(h, attention_mask=mask, position_ids=positions, past_key_values=self.cache,
                      position_embeddings=rope)
        self.cache.length += ids.shape[1]
        return self.net.lm_head(body.norm(h[:, -1]))

    def prefill(self, ids, attention_mask):
        """ids (N, P) long, attention_mask (N, P) 0/1 (left padding) -> next-token logits (N, V)."""
        p = ids.shape[1]
        if p > self.total or ids.shape[0] != self.n:
            raise ValueError(f"prefill of {tuple(ids.shape)} does not fit a decoder for {self.n} x {self.total}")
        self.bias[:, :p] = torch.where(attention_mask.bool(), 0.0, self.blocked)
        causal = torch.ones(p, self.total, dtype=torch.bool, device=ids.device).tril()   # key j <= query i
        mask = torch.where(causal, self.bias[:, None, :], self.blocked)                  # (N, P, total)
        positions = default_positions(attention_mask, p)
        self.position = positions[:, -1]
        return self._forward(ids, positions, mask[:, None])

    def step(self, ids):
        """ids (N,) long, one attended token per row -> next-token logits (N, V)."""
        at = self.cache.length
        if at >= self.total:
            raise ValueError(f"the decoder holds {self.total} tokens; no room for another")
        self.bias[:, at] = 0.0
        self.position = self.position + 1
        return self._forward(ids[:, None], self.position[:, None], self.bias[:, None, None, :])


def lean_decoder(net, n, total):
    """A LeanDecoder for `net` with room for N rows of `total` tokens, or None where the plain
    cached forward must be used (see the module docstring)."""
    from transformers import Qwen2ForCausalLM
    cfg = getattr(net, "config", None)
    if not isinstance(net, Qwen2ForCausalLM) or cfg is None:
        return None
    if getattr(cfg, "_attn_implementation", None) != "sdpa" or getattr(cfg, "use_sliding_window", False):
        return None
    if any(t != "full_attention" for t in (getattr(cfg, "layer_types", None) or [])):
        return None
    if any(hasattr(layer, "unshard") for layer in net.model.layers):     # FSDP2-sharded blocks
        return None
    return LeanDecoder(net, n, total)
