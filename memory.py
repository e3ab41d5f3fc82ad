"""Per-GPU memory of post-training VITA-Audio-Boost, by arithmetic: what a step holds (state,
reference, GLM-4-Voice's decoder, the largest of the rollout's gather, the activations and
AdamW's step), from the checkpoint's widths, GLM-4-Voice's published files and the run's shape.
bench.py prints the table and, on a GPU, sets each measured step beside it (its memory-gpu
section, in bench_gpu.py).

    python bench.py --only memory                 # the table: 4 and 8 x 80 GB, bf16 or float32 state
    python bench.py --only memory-gpu             # measured against it on a CUDA GPU

Deviations: none (nothing here is in the paper or the official release, which state no memory
figures); it counts what this project's train.py holds, measured on one H200 within 0.5 % at
Boost's full size (README, Real checkpoints).
"""
import flags
import real

BOOST = dict(vocab=real.BOOST_VOCAB, hidden=real.BOOST_WIDTHS["hidden_size"],
             intermediate=real.BOOST_WIDTHS["intermediate_size"], heads=real.BOOST_WIDTHS["num_attention_heads"],
             kv_heads=real.BOOST_WIDTHS["num_key_value_heads"], main_layers=real.BOOST_MAIN_LAYERS,
             mtp_layers=real.BOOST_MTP_LAYERS)


def boost_params(c=BOOST) -> dict:
    """Parameter counts of VITA-Audio-Boost from its config.json (Qwen2MTPForCausalLM)."""
    h, i, kv = c["hidden"], c["intermediate"], c["kv_heads"] * c["hidden"] // c["heads"]
    layer = (h * h + h) + 2 * (h * kv + kv) + h * h + 3 * h * i + 2 * h   # q, k, v (biased), o, MLP, 2 norms
    embed = 2 * c["vocab"] * h + h                                       # untied embeddings and lm_head, final norm
    mtp_extra = c["mtp_layers"] * (2 * h * h + 2 * h)                    # mtp_projs, mtp_embed/hidden_norms
    main = embed + c["main_layers"] * layer
    return {"layer": layer, "main": main, "mtp": c["mtp_layers"] * layer + mtp_extra,
            "total": main + c["mtp_layers"] * layer + mtp_extra}


# GLM-4-Voice, VITA-Audio's speech codec, sits whole on every rank's GPU in float32 (glm4voice.load
# with the rank's device; neither sharded nor trained). Its sizes, from its published files:
GLM4VOICE_TOKENIZER = dict(d_model=1280, ffn=5120, layers=16, mel_bins=128, positions=1500, pooling=4,
                           codes=16384)     # glm-4-voice-tokenizer's config.json: quantize_position 16, ...
GLM4VOICE_FLOW_BYTES = 445_171_500          # glm-4-voice-decoder's flow.pt, its size as Git LFS records it
GLM4VOICE_HIFT_PARAMS = 20_460_591          # HiFTGenerator built from the decoder's config.yaml, counted


def whisper_vq_elements(c=GLM4VOICE_TOKENIZER) -> int:
    """Parameters and buffers of GLM-4-Voice's WhisperVQEncoder (`quantize_encoder_only`): the
    first `layers` Whisper encoder layers and no final norm, the two input convolutions, two
    position tables (the second for the pooled frames), the 16,384-code book and its two EMA
    buffers (`ema_count`, `ema_weight`), all in its checkpoint: 364.6M elements, 1.36 GiB in float32."""
    d, f = c["d_model"], c["ffn"]
    layer = 4 * d * d + 3 * d + 2 * d * f + f + d + 2 * 2 * d      # q, v, o biased, k not; fc1, fc2; 2 LayerNorms
    convs = (c["mel_bins"] * d * 3 + d) + (d * d * 3 + d)           # conv1 (mel -> d), conv2 (stride 2), kernel 3
    tables = c["positions"] * d + -(-c["positions"] // c["pooling"]) * d + c["codes"] * d
    return c["layers"] * layer + convs + tables + c["codes"] * (1 + d)


def glm4voice_bytes() -> dict:
    """Bytes of GLM-4-Voice on one GPU, float32: the encoder, the flow decoder and HiFT vocoder, and
    `decoder` (flow + HiFT), which a step holds: train.py releases the encoder once its splits are encoded."""
    parts = {"encoder": 4 * whisper_vq_elements(), "flow": GLM4VOICE_FLOW_BYTES, "hift": 4 * GLM4VOICE_HIFT_PARAMS}
    return {**parts, "decoder": parts["flow"] + parts["hift"]}


def activation_bytes(c, tokens, checkpoint, logit_tokens):
    """Saved activations of one training forward (bf16, SDPA/flash attention: no S x S scores).
    Per token and layer: 2 norm outputs + residual + attention output (4h), q + k + v (h + 2 kv),
    the o_proj input (h), gate, up, act(gate), their product (4 I): about 197 KB at Boost's sizes.
    With checkpointing only each layer's input (h) stays, plus one layer's recomputation.
    The logits (V per token, bf16), their gradient and the float32 copy that
    grammar.constrained_logprobs keeps for logsumexp's backward come on top either way, for the
    `logit_tokens` reply positions only (model.reply_logits keeps no prompt logits): 8 B per
    logit (12 B before that function kept one float32 copy instead of two)."""
    h, i, kv = c["hidden"], c["intermediate"], c["kv_heads"] * c["hidden"] // c["heads"]
    per_layer = 2 * (4 * h + h + 2 * kv + h + 4 * i)
    layers = c["main_layers"]
    body = tokens * (layers * 2 * h + per_layer) if checkpoint else tokens * layers * per_layer
    return body + logit_tokens * c["vocab"] * (2 + 2 + 4), per_layer


def plan(c, gpus, prompts, group, prompt, reply, bytes_per_param, checkpoint, fsdp=True, codec=0) -> dict:
    """Bytes per GPU of one hybrid step of the trained main path, by arithmetic. `prompts` per
    rank, each with G rollouts + 1 SFT row of `prompt` + `reply` tokens. Under FSDP the state
    (weights, grads, AdamW) and the bf16 reference are sharded over `gpus`, and a rollout gathers
    the full bf16 policy (runtime.gathered); without it (DDP, or one process) each GPU holds all of
    them and a rollout samples from the weights in place. The step's peak is the state, the
    reference and the largest of the rollout's gather, the update's activations and AdamW's step:
    torch's foreach AdamW (the default on GPUs) holds the square root of every second moment at
    once, a temporary the size of the weights in their dtype (bytes_per_param / 4 a parameter,
    sharded like them); measured on an H200, it is the peak wherever the replies are short.
    `codec`: bytes of the speech codec each GPU holds throughout (glm4voice_bytes; 0 for the toy codec)."""
    p = boost_params(c)
    shards = gpus if fsdp else 1
    state, ref = bytes_per_param * p["main"] / shards, 2 * p["main"] / shards
    optimizer = bytes_per_param / 4 * p["main"] / shards
    gathered = 2 * p["main"] if fsdp else 0
    rows = prompts * (group + 1)
    # a prompt's G + 1 rows share one forward of it, except under checkpointing (transformers
    # drops the KV cache there, so every row runs its own copy: model.reply_logits)
    tokens = rows * reply + (rows if checkpoint else prompts) * prompt
    act, per_layer = activation_bytes(c, tokens, checkpoint, rows * reply)
    return {"state": state, "reference": ref, "gathered": gathered, "activations": act, "rows": rows,
            "optimizer": optimizer, "per_layer": per_layer, "codec": codec,
            "total": state + ref + codec + max(gathered, act, optimizer)}


def verdict(total, limit) -> str:
    """'fits' below the limit, else 'DOES NOT FIT'; within 0.1 GiB of it the margin is printed too,
    where one decimal of GiB would show the two equal."""
    word = "fits" if total < limit else "DOES NOT FIT"
    near = abs(total - limit) < 0.1 * 2 ** 30
    return word + (f" ({abs(total - limit) / 2 ** 20:.0f} MiB {'under' if total < limit else 'over'} "
                   f"{limit / 2 ** 30:.3f} GiB)" if near else "")


STATE_BYTES = (("--dtype bfloat16: weights 2 + grads 2 + AdamW 4 B/param", 8),
               ("--dtype float32 (vita's default under --fsdp; bf16 compute): weights 4 + grads 4 + AdamW 8 B/param", 16))


def print_plan(reply=2048):
    """The per-GPU table for post-training VITA-Audio-Boost under FSDP (--fsdp) on 4 and 8 80 GB
    GPUs, --max-len `reply`, bf16 or float32 state, with and without --grad-checkpoint.
    Only the main path is trained and held in memory (real.py leaves the 10 MTP layers on disk)."""
    c, gib = BOOST, 2 ** 30
    p, codec = boost_params(c), glm4voice_bytes()
    prompt, group, batch = 256, 4, 8
    print(f"memory: VITA-Audio-Boost = {p['total'] / 1e9:.2f}B parameters (vocab {c['vocab']:,}, hidden {c['hidden']}, "
          f"{c['main_layers']} main + {c['mtp_layers']} MTP layers of {p['layer'] / 1e6:.1f}M);")
    print(f"  trained main path {p['main'] / 1e9:.2f}B (embeddings + lm_head {2 * c['vocab'] * c['hidden'] / 1e9:.2f}B, "
          f"28 x {p['layer'] / 1e6:.1f}M), MTP {p['mtp'] / 1e9:.2f}B stays on disk")
    print(f"  per GPU under --fsdp; rows per rank = global --batch-size {batch} / GPUs x (G={group} rollouts + 1 SFT),"
          f" {prompt + reply} tokens a row ({prompt} prompt + --max-len {reply}); arithmetic (`--only memory-gpu` "
          f"measures it on a GPU)")
    print(f"  GLM-4-Voice on every GPU, float32, not sharded: a step holds its decoder, {codec['decoder'] / gib:.2f} GiB = "
          f"flow {codec['flow'] / gib:.2f} (flow.pt's size) + HiFT {codec['hift'] / gib:.2f} "
          f"({GLM4VOICE_HIFT_PARAMS / 1e6:.1f}M); its encoder, {codec['encoder'] / gib:.2f} GiB (Whisper-VQ, "
          f"{whisper_vq_elements() / 1e6:.1f}M from its config), only while the splits are encoded before step 1")
    for label, bytes_per_param in STATE_BYTES:
        print(f"  {label}")
        for gpus in (4, 8):
            for ckpt in (False, True):
                m = plan(c, gpus, batch // gpus, group, prompt, reply, bytes_per_param, ckpt, codec=codec["decoder"])
                total = m["total"]
                print(f"    {gpus} x 80 GB, {'with' if ckpt else 'no  '} checkpointing: {total / gib:6.1f} GiB = state "
                      f"{m['state'] / gib:.1f} + reference {m['reference'] / gib:.1f} + GLM-4-Voice's decoder "
                      f"{m['codec'] / gib:.1f} + max(rollout gather "
                      f"{m['gathered'] / gib:.1f}, activations {m['activations'] / gib:.1f} for {m['rows']} rows, "
                      f"AdamW's step {m['optimizer'] / gib:.1f}) "
                      f"{verdict(total, 0.9 * 80e9)}")
    print(f"  activations per token and layer {m['per_layer'] / 1e3:.0f} KB (bf16); the logits of one token "
          f"{c['vocab'] * 8 / 1e6:.1f} MB with their gradient and the log-softmax's float32 copy (reply positions only); "
          f"without FSDP (DDP) the state alone is "
          f"{8 * p['main'] / gib:.0f} GiB in bf16 per GPU; 'fits' is under 90% of 80 GB ({0.9 * 80e9 / gib:.1f} of "
          f"{80e9 / gib:.1f} GiB), the rest left for the CUDA context, fragmentation, the rollout KV cache (57 KB a "
          f"token: ~1 GiB for 8 rows of 2304 tokens) and GLM-4-Voice's working memory while it encodes or decodes, "
          f"which this does not count")
    vita_batch = flags.REAL_STAGE_DEFAULTS["hybrid"]["batch_size"]
    default = plan(c, 4, vita_batch // 4, group, prompt, reply, STATE_BYTES[1][1], True, codec=codec["decoder"])["total"]
    print(f"  train.py --model vita's own global --batch-size {vita_batch} on 4 x 80 GB (float32 state, checkpointing): "
          f"{default / gib:.1f} GiB per GPU")
