"""Speed and memory figures, each measured side by side in one run.

    python bench.py                  # all sections, about two minutes on 2 CPU cores
    python bench.py --only rollout judge

  rollout  constrained sampling (rollout.generate: schedule grammar, KV cache, top-p) vs
           the model's plain Hugging Face `generate` with a KV cache, same batch, same
           number of new tokens; and the same sampler without a KV cache.
  judge    B*G judge calls through the local judge: concurrent (ours) vs one at a time
           (the official client's order).
  step     one default hybrid step of tiny-vita split into rollout / judge / update.
  memory   per-GPU memory of post-training VITA-Audio-Boost (10.3B, 7.7B of it trained)
           under FSDP on 4 and 8 80 GB GPUs, bf16 or fp32 state, activations at
           --max-len 2048 with and without --grad-checkpoint: arithmetic, stated with
           its assumptions (no GPU here).

Figures depend on the machine; the ratios are the point. Nothing here asserts a target.
"""
import argparse
import time

import torch

import codec
import dataset
import model as models
import reward
import rollout


def timed(fn, repeat=3):
    """Best wall time of `repeat` calls (the first call also warms up)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_rollout(samples, args):
    m = models.build_model("tiny-vita").eval()
    prompts, mask = m.sample_prompt_batch(samples[:args.prompts])
    prompts, mask = prompts.repeat_interleave(args.group, 0), mask.repeat_interleave(args.group, 0)
    n, L = prompts.shape[0], args.new_tokens
    # an untrained model rarely closes its reply early, so every row runs the full length
    draw = (lambda: rollout.draw_uniforms(n, L, 1, generator=torch.Generator().manual_seed(0)))  # noqa: E731
    ours = timed(lambda: rollout.generate(m, prompts, mask, 0.9, 0.9, L, draw()))
    tokens = rollout.generate(m, prompts, mask, 0.9, 0.9, L, draw())[0].shape[1]

    def plain():
        with torch.no_grad():
            m.net.generate(input_ids=prompts[..., 0], attention_mask=mask, do_sample=True, temperature=0.9, top_p=0.9,
                           max_new_tokens=tokens, min_new_tokens=tokens, pad_token_id=m.vocab.pad,
                           eos_token_id=None, use_cache=True)
    hf = timed(plain)

    def no_cache():   # the same constrained sampler, re-encoding the whole prefix every token
        with torch.no_grad():
            seq, att, state = prompts, mask, m.grammar.init(n)
            for _ in range(tokens):
                logits, _ = m(seq, att)
                z = logits[:, -1].masked_fill(~m.allowed[m.grammar.slots(state)], float("-inf"))
                tok = torch.multinomial(torch.softmax(z[:, 0] / 0.9, -1), 1)[:, None, :].view(n, 1, 1)
                state = m.grammar.step(state, tok[:, 0])
                seq, att = torch.cat([seq, tok], 1), torch.cat([att, torch.ones(n, 1, dtype=att.dtype)], 1)
    slow = timed(no_cache, repeat=1)
    rate = n * tokens
    print(f"rollout: {n} sequences x {tokens} new tokens, prompt {prompts.shape[1]} tokens, tiny-vita "
          f"({models.n_params(m) / 1e6:.1f}M params)")
    print(f"  constrained sampler, KV cache   {ours:7.3f} s  {rate / ours:8.0f} tok/s")
    print(f"  HF generate, KV cache           {hf:7.3f} s  {rate / hf:8.0f} tok/s")
    print(f"  constrained sampler, no cache   {slow:7.3f} s  {rate / slow:8.0f} tok/s")
    print(f"  ratio ours / HF generate: {ours / hf:.2f}x the time; no cache / ours: {slow / ours:.1f}x")


def bench_judge(samples, args):
    import judge
    m = models.build_model("tiny-vita").eval()
    batch = rollout.sample(m, samples[:args.prompts], args.group, 0.9, 0.9, 48, torch.Generator().manual_seed(0))
    items = reward.rollout_items(batch)
    with judge.LocalJudge() as local:
        wide = reward.JudgeClient(local.url, concurrency=len(items))
        one = reward.JudgeClient(local.url, concurrency=1)
        t_wide = timed(lambda: wide.score(items, mode="holistic"), repeat=2)
        t_one = timed(lambda: one.score(items, mode="holistic"), repeat=2)
        wide.close(), one.close()
    print(f"judge: {len(items)} holistic calls to the local judge")
    print(f"  concurrent ({len(items)} in flight)   {t_wide:7.3f} s   {len(items) / t_wide:6.1f} calls/s")
    print(f"  one at a time                 {t_one:7.3f} s   {len(items) / t_one:6.1f} calls/s")
    print(f"  ratio sequential / concurrent: {t_one / t_wide:.1f}x (a remote judge's latency widens this)")


def bench_step(samples, args):
    import gate as gates
    import judge
    import losses
    import train
    targs = train.get_args(["--init", "unused", "--batch-size", str(args.prompts), "--group-size", str(args.group)])
    policy = models.build_model("tiny-vita")
    ref = models.build_model("tiny-vita").eval().requires_grad_(False)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-4)
    chosen = [s for s in samples if s.target_codes is not None][:args.prompts]
    times = {"rollout": [], "judge": [], "update": []}
    with judge.LocalJudge() as local:
        client = reward.JudgeClient(local.url)
        gate = gates.make_gate("adaptive")
        for step in range(3):
            t0 = time.perf_counter()
            batch = rollout.sample(policy, chosen, args.group, 0.9, 0.9, 96, torch.Generator().manual_seed(step))
            t1 = time.perf_counter()
            res = client.score(reward.rollout_items(batch), mode="all")
            t2 = time.perf_counter()
            R = losses.nan_rewards(train.pick_rewards(res, targs), (len(chosen), args.group))
            adv, usable = losses.advantages(R)
            lam = gate.step(R).lam
            ub = train.build_update_batch(policy, ref, batch, chosen, targs, torch.device("cpu"))
            group = torch.arange(len(chosen)).repeat_interleave(args.group)
            loss = train.hybrid_objective(policy, ub, adv.flatten(), usable.flatten(), group, lam, targs)[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
            t3 = time.perf_counter()
            for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2)):
                times[k].append(v)
        client.close()
    best = {k: min(v) for k, v in times.items()}
    total = sum(best.values())
    print(f"step: one hybrid step, tiny-vita, {len(chosen)} prompts x G={args.group} (best of 3)")
    for k, v in best.items():
        print(f"  {k:8s} {v:6.3f} s  {v / total:5.1%}")


BOOST = dict(vocab=168072, hidden=3584, intermediate=18944, heads=28, kv_heads=4, main_layers=28, mtp_layers=10)


def boost_params(c=BOOST) -> dict:
    """Parameter counts of VITA-Audio-Boost from its config.json (Qwen2MTPForCausalLM)."""
    h, i, kv = c["hidden"], c["intermediate"], c["kv_heads"] * c["hidden"] // c["heads"]
    layer = (h * h + h) + 2 * (h * kv + kv) + h * h + 3 * h * i + 2 * h   # q, k, v (biased), o, MLP, 2 norms
    embed = 2 * c["vocab"] * h + h                                       # untied embeddings and lm_head, final norm
    mtp_extra = c["mtp_layers"] * (2 * h * h + 2 * h)                    # mtp_projs, mtp_embed/hidden_norms
    main = embed + c["main_layers"] * layer
    return {"layer": layer, "main": main, "mtp": c["mtp_layers"] * layer + mtp_extra,
            "total": main + c["mtp_layers"] * layer + mtp_extra}


def activation_bytes(c, tokens, checkpoint):
    """Saved activations of one training forward (bf16, SDPA/flash attention: no S x S scores).
    Per token and layer: 2 norm outputs + residual + attention output (4h), q + k + v (h + 2 kv),
    the o_proj input (h), gate, up, act(gate), their product (4 I): about 197 KB at Boost's sizes.
    With checkpointing only each layer's input (h) stays, plus one layer's recomputation.
    The logits (V per token, bf16) and their gradient come on top either way."""
    h, i, kv = c["hidden"], c["intermediate"], c["kv_heads"] * c["hidden"] // c["heads"]
    per_layer = 2 * (4 * h + h + 2 * kv + h + 4 * i)
    layers = c["main_layers"]
    body = tokens * (layers * 2 * h + per_layer) if checkpoint else tokens * layers * per_layer
    return body + 2 * tokens * c["vocab"] * 2, per_layer


def bench_memory(_samples, args):
    """Per-GPU bytes for post-training VITA-Audio-Boost under FSDP (--fsdp), by arithmetic.
    Only the main path is trained and held in memory (real.py leaves the 10 MTP layers on disk)."""
    c, gib = BOOST, 2 ** 30
    p = boost_params(c)
    prompt, reply, group, batch = 256, args.max_len_memory, 4, 8
    tokens_per_row = prompt + reply
    print(f"memory: VITA-Audio-Boost = {p['total'] / 1e9:.2f}B parameters (vocab {c['vocab']:,}, hidden {c['hidden']}, "
          f"{c['main_layers']} main + {c['mtp_layers']} MTP layers of {p['layer'] / 1e6:.1f}M);")
    print(f"  trained main path {p['main'] / 1e9:.2f}B (embeddings + lm_head {2 * c['vocab'] * c['hidden'] / 1e9:.2f}B, "
          f"28 x {p['layer'] / 1e6:.1f}M), MTP {p['mtp'] / 1e9:.2f}B stays on disk")
    print(f"  per GPU under --fsdp; rows per rank = global --batch-size {batch} / GPUs x (G={group} rollouts + 1 SFT),"
          f" {tokens_per_row} tokens a row ({prompt} prompt + --max-len {reply}); arithmetic, not measured")
    for label, bytes_per_param in (("--dtype bfloat16 (default): weights 2 + grads 2 + AdamW 4 B/param", 8),
                                   ("--dtype float32: weights 4 + grads 4 + AdamW 8 B/param", 16)):
        print(f"  {label}")
        for gpus in (4, 8):
            state = bytes_per_param * p["main"] / gpus
            ref = 2 * p["main"] / gpus                        # bf16 frozen reference (beta > 0), sharded
            gathered = 2 * p["main"]                          # rollouts gather the full bf16 policy (runtime.gathered)
            rows = batch // gpus * (group + 1)
            for ckpt in (False, True):
                act, per_layer = activation_bytes(c, rows * tokens_per_row, ckpt)
                total = state + ref + max(gathered, act)
                print(f"    {gpus} x 80 GB, {'with' if ckpt else 'no  '} checkpointing: {total / gib:6.1f} GiB = state "
                      f"{state / gib:.1f} + reference {ref / gib:.1f} + max(rollout gather {gathered / gib:.1f}, "
                      f"activations {act / gib:.1f} for {rows} rows) {'fits' if total / gib < 0.9 * 80e9 / gib else 'DOES NOT FIT'}")
    print(f"  activations per token and layer {per_layer / 1e3:.0f} KB (bf16); the logits of one token "
          f"{2 * c['vocab'] * 2 / 1e3:.0f} KB with their gradient; without FSDP (DDP) the state alone is "
          f"{8 * p['main'] / gib:.0f} GiB in bf16 per GPU; 'fits' leaves 10% of 80 GB (74.5 GiB) for the CUDA "
          f"context, fragmentation and the rollout KV cache (57 KB a token: ~1 GiB for 8 rows of 2304 tokens)")


SECTIONS = {"rollout": bench_rollout, "judge": bench_judge, "step": bench_step, "memory": bench_memory}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS), help="sections to run")
    ap.add_argument("--data", default="data/toy/eval.jsonl", help="prompts (run data/prepare.py first)")
    ap.add_argument("--prompts", type=int, default=8, help="prompts per batch (B)")
    ap.add_argument("--group", type=int, default=4, help="replies per prompt (G)")
    ap.add_argument("--new-tokens", type=int, default=64, help="sampled tokens per reply in the rollout section")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--max-len-memory", type=int, default=2048, help="reply length (--max-len) in the memory table")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    need_data = any(name != "memory" for name in args.only)
    samples = dataset.load_samples(args.data, codec.encode, limit=max(args.prompts, 8)) if need_data else None
    for name in args.only:
        SECTIONS[name](samples, args)
        print()


if __name__ == "__main__":
    main()
