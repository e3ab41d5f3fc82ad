"""decode.py: the lean cached forward gives the network's own logits, and the sampler the same replies."""
import pytest
import torch

import decode
import rollout
from conftest import micro_model


def hf_cached_logits(m, prompts, mask, next_tokens):
    """The reference: the network's own forward with Hugging Face's cache, one token at a time."""
    logits, past = m(prompts, mask, use_cache=True)
    out, attn = [logits[:, -1, 0]], mask
    for tok in next_tokens:
        attn = torch.cat([attn, torch.ones(len(tok), 1, dtype=attn.dtype)], 1)
        logits, past = m(tok[:, None, None], attn, past=past, use_cache=True)
        out.append(logits[:, -1, 0])
    return out


@pytest.mark.parametrize("overrides", [{}, {"num_attention_heads": 4, "num_key_value_heads": 2}],
                         ids=["mha", "gqa"])
@torch.no_grad()
def test_lean_logits_equal_the_networks_own_with_left_padding(samples, overrides):
    """Prompts of different lengths (left padding) through prefill and 8 decode steps.
    Bug caught: positions counted over padding (or off by one after the prefill), the cache
    length not advanced (every step overwriting one slot), padded keys attended, grouped KV
    heads mishandled (gqa)."""
    import model as models
    from conftest import MICRO
    torch.manual_seed(0)
    m = models.build_model("tiny-vita", seed=1, config_overrides={**MICRO, **overrides}).eval()
    prompts, mask = m.sample_prompt_batch(samples[:5])
    assert len(set(mask.sum(1).tolist())) > 1, "the batch must mix prompt lengths"
    steps = [torch.randint(0, m.vocab.size, (5,)) for _ in range(8)]
    want = hf_cached_logits(m, prompts, mask, steps)
    dec = decode.lean_decoder(m.net, 5, prompts.shape[1] + 8)
    got = [dec.prefill(prompts[..., 0], mask)] + [dec.step(tok) for tok in steps]
    for t, (g, w) in enumerate(zip(got, want)):
        torch.testing.assert_close(g, w, atol=2e-5, rtol=1e-4, msg=f"token {t}")
    with pytest.raises(ValueError, match="no room"):
        dec.step(steps[0])


@torch.no_grad()
def test_the_sampler_draws_the_same_replies_on_either_path(samples):
    """Same uniforms, lean path on and off: the same tokens and slots, log-probs to float tolerance.
    Bug caught: the lean path fed the wrong token back (the slot's pad instead of the draw), or it
    stopped at a different length."""
    m = micro_model("tiny-vita", seed=2).eval()
    prompts, mask = m.sample_prompt_batch(samples[:4])
    u = rollout.draw_uniforms(4, 40, 1, generator=torch.Generator().manual_seed(0))
    a = rollout.generate(m, prompts, mask, 0.9, 0.9, 40, u, lean=True)
    b = rollout.generate(m, prompts, mask, 0.9, 0.9, 40, u, lean=False)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and torch.equal(a[3], b[3])
    torch.testing.assert_close(a[2], b[2], atol=1e-5, rtol=1e-5)


def test_ineligible_networks_keep_their_own_forward():
    """Bug caught: the lean loop used on FSDP-sharded layers (their parameters exist only inside
    their own forward), on eager attention (which takes an additive mask), or on tiny-kimi."""
    assert decode.lean_decoder(micro_model("tiny-kimi").net, 2, 10) is None
    m = micro_model("tiny-vita")
    assert decode.lean_decoder(m.net, 2, 10) is not None
    m.net.config._attn_implementation = "eager"
    assert decode.lean_decoder(m.net, 2, 10) is None
    m.net.config._attn_implementation = "sdpa"
    m.net.model.layers[0].unshard = lambda: None          # what fully_shard adds to a block
    assert decode.lean_decoder(m.net, 2, 10) is None
    assert decode.lean_decoder(None, 2, 10) is None
