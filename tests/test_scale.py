"""What a 10B run needs to fit: gradient checkpointing, bf16 by default for vita, the closing
summary's base model loaded only after the optimiser state is freed, the memory table."""
import os
import subprocess
import sys

import pytest
import torch

import model as M
import train
import weights
from conftest import ROOT, micro_model


def grads(policy, samples):
    """Gradients of a teacher-forced loss, and how many elements autograd saved for backward."""
    import rollout
    policy.train()
    prompts, pmask, replies, slots, masks = rollout.teacher_forced(policy, samples[:3], True)
    saved = [0]

    def pack(t):
        saved[0] += t.numel()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logp = M.reply_logprobs(policy, prompts, pmask, replies, slots)
    loss = -(logp * masks["sampled"]).sum() / masks["sampled"].sum()
    policy.zero_grad()
    loss.backward()
    return {n: p.grad.clone() for n, p in policy.named_parameters() if p.grad is not None}, saved[0]


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_grad_checkpoint_recomputes_layers_and_keeps_gradients(name, samples):
    """Bug: a --grad-checkpoint that does nothing (the layers' forward runs once per step, the
    activations stay), or one that changes the gradients (e.g. dropping the attention mask or
    positions on the recomputation)."""
    plain, ckpt = micro_model(name), weights.enable_grad_checkpoint(micro_model(name))
    mlp, calls = ckpt.decoder_layers()[0].mlp, []
    inner = mlp.forward
    mlp.forward = lambda *a, **k: calls.append(1) or inner(*a, **k)
    g_ckpt, saved_ckpt = grads(ckpt, samples)
    assert len(calls) == 2                            # forward, then again in the backward
    g_plain, saved_plain = grads(plain, samples)
    assert saved_ckpt < 0.6 * saved_plain             # the layers' activations were not kept
    assert g_plain.keys() == g_ckpt.keys()
    for k in g_plain:
        torch.testing.assert_close(g_ckpt[k], g_plain[k], atol=1e-6, rtol=1e-5)


def test_vita_defaults_to_bf16_and_checkpointing_tiny_models_do_not():
    """Bug: --model vita ran in float32 without checkpointing unless told (41 GB of weights);
    or, under --fsdp, kept bf16 master weights, so the README's lr 1e-6 updates round to nothing."""
    real = ["--model", "vita", "--init", "x", "--data-dir", "d", "--judge-url", "http://127.0.0.1:9"]
    vita = train.get_args(real)
    tiny = train.get_args([])
    assert (vita.dtype, vita.grad_checkpoint) == ("bfloat16", True)
    assert (tiny.dtype, tiny.grad_checkpoint) == ("float32", False)
    assert train.get_args([*real, "--fsdp"]).dtype == "float32"   # sharded fp32 master
    assert train.get_args([*real, "--no-grad-checkpoint", "--dtype", "float32"]).dtype == "float32"


def test_finish_loads_the_base_after_the_optimiser_state_is_gone(samples, tmp_path, monkeypatch):
    """Bug: rank 0 loaded the base model at the start of the run and kept it (an unsharded
    copy beside the policy, its gradients and AdamW moments) until the closing summary."""
    policy = micro_model("tiny-vita")
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-3)
    for p in policy.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    assert opt.state
    seen = {}

    def fake_load(path, args, device, dtype=None):
        seen["opt_state"] = len(opt.state)
        seen["grads"] = sum(p.grad is not None for p in policy.parameters())
        return micro_model("tiny-vita")
    monkeypatch.setattr(weights, "load_init", fake_load)
    monkeypatch.setattr(train.evaluate, "score_samples", lambda *a, **k: {"accuracy": 0.0})
    args = train.get_args(["--out", str(tmp_path), "--init", "somewhere", "--eval-prompts", "2"])
    train.finish(args, policy, 0, samples[:2], None, "init", opt)
    assert seen == {"opt_state": 0, "grads": 0}


def test_the_rollouts_dtype_is_bf16_under_fsdp_on_a_gpu_and_the_flag_elsewhere():
    """What a model reloaded to be sampled as the policy was is read in: under --fsdp on a GPU the
    float32 master shards are gathered to bf16 for every forward, so bf16; without --fsdp the
    weights are the flag's (bf16 for vita, float32 for the tiny models); on the CPU FSDP has no
    mixed precision. Bug: the float32 of the master weights (a 31 GB copy at 7.7B, sampled in
    numbers the training never used), or bf16 forced on a tiny model trained in float32."""
    real = ["--model", "vita", "--init", "x", "--data-dir", "d", "--judge-url", "http://127.0.0.1:9"]
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert weights.rollout_dtype(train.get_args([*real, "--fsdp"]), cuda) == torch.bfloat16
    assert weights.rollout_dtype(train.get_args([*real, "--fsdp"]), cpu) == torch.float32
    assert weights.rollout_dtype(train.get_args(real), cuda) == torch.bfloat16
    assert weights.rollout_dtype(train.get_args([]), cuda) == torch.float32
    assert weights.rollout_dtype(train.get_args(["--fsdp"]), cuda) == torch.bfloat16


def test_the_fsdp_summary_reads_the_final_and_the_base_model_in_the_rollouts_dtype(micro_ckpts, samples, tmp_path,
                                                                                   monkeypatch):
    """Under --fsdp (a gloo group of one) rank 0 scores the summary on the final model reloaded from
    disk, then the base: both read in weights.rollout_dtype (stood in by float64 here, a dtype no
    rule picks, since on the CPU it is the flag's). Bug: either load in --dtype, the float32 of
    the master weights, beside bf16 rollouts."""
    import runtime
    seen = []

    def fake_load(path, args, device, dtype=None):
        seen.append((os.path.basename(path), dtype))
        return micro_model("tiny-vita")
    monkeypatch.setattr(weights, "load_init", fake_load)
    monkeypatch.setattr(weights, "rollout_dtype", lambda args, device: torch.float64)
    monkeypatch.setattr(train.evaluate, "score_samples", lambda *a, **k: {"accuracy": 0.0})
    args = train.get_args(["--out", str(tmp_path), "--init", micro_ckpts["tiny-vita"], "--fsdp", "--eval-prompts", "2"])
    runtime.setup_distributed("cpu", fsdp=True)
    try:
        policy = runtime.wrap_parallel(micro_model("tiny-vita"), True, 1, torch.device("cpu"))
        train.finish(args, policy, 0, samples[:2], None, "init")
    finally:
        torch.distributed.destroy_process_group()
    assert seen == [("final", torch.float64), (os.path.basename(micro_ckpts["tiny-vita"]), torch.float64)]


@pytest.mark.parametrize("name", ["tiny-vita", "tiny-kimi"])
def test_a_bf16_copy_keeps_its_rotary_frequencies_in_float32(name, micro_ckpts):
    """A tiny model read (load_model) or built (load_policy) in bf16: its weights bf16, its rotary
    frequencies the float32 model's, bit for bit, as transformers keeps them (and real.load_main
    builds a real checkpoint's). Bug caught: Module.to(dtype) rounding them, so that a bf16 copy
    (the reference on a GPU, the --fsdp summary's reload) encodes every position differently from
    the float32 model, which FSDP's mixed precision samples with its float32 buffers."""
    args = train.get_args(["--model", name, "--stage", "sft", "--dtype", "bfloat16"])     # built, not read
    for exact, half in ((M.load_model(micro_ckpts[name]), M.load_model(micro_ckpts[name], dtype=torch.bfloat16)),
                        (M.build_model(name), weights.load_policy(args, torch.device("cpu")))):
        assert {p.dtype for p in half.parameters()} == {torch.bfloat16}
        rotary = {n: b for n, b in half.named_buffers() if n.endswith("inv_freq")}
        assert len(rotary) == (4 if name == "tiny-kimi" else 2)
        for n, b in exact.named_buffers():
            if n in rotary:
                assert rotary[n].dtype == torch.float32 and torch.equal(rotary[n], b), n


def test_the_reference_is_read_in_the_policys_compute_dtype(monkeypatch):
    """The frozen reference (KL, DPO) is read in the dtype the policy computes in: a tiny model trained
    in float32 on a GPU keeps a float32 reference, so the KL is 0 at step 0; VITA-Audio on a GPU
    reads bf16 straight from disk. Bug caught: bf16 on every GPU whatever the policy's dtype (the
    reference then differs from the policy before any update, and its KL pulls toward the rounding)."""
    seen = []

    def fake_load(path, args, device, dtype=None):
        seen.append(dtype)
        return micro_model("tiny-vita")
    monkeypatch.setattr(weights, "load_init", fake_load)
    real = ["--model", "vita", "--init", "x", "--data-dir", "d", "--judge-url", "http://127.0.0.1:9"]
    for flags in (["--init", "x"], real):
        weights.frozen_copy(train.get_args(flags), torch.device("cuda"))
    assert seen == [torch.float32, torch.bfloat16]


def test_memory_table_is_for_10_3b_with_activations():
    """Bug: the table assumed 7.6B parameters (Qwen2.5-7B without the 10 MTP layers and the
    168,072-token vocabulary) and left activations out."""
    r = subprocess.run([sys.executable, "bench.py", "--only", "memory"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "10.32B" in r.stdout and "4 x 80" in r.stdout and "8 x 80" in r.stdout
    assert "checkpointing" in r.stdout


def unsharded(model):
    """Names of the parameters FSDP2 holds whole now (plain tensors, not DTensor shards)."""
    return [n for n, p in model.named_parameters() if type(p).__name__ != "DTensor"]


def test_the_fsdp_reference_reshards_its_root_after_each_forward(micro_ckpts, samples):
    """FSDP2 keeps its root module's weights (embeddings, final norm, lm_head) gathered after a
    forward, for the backward that follows; the frozen reference has no backward, so they stayed
    whole for the rest of the run. On one H200 that was 2.3 GiB held beyond the memory
    arithmetic at 8 of Boost's layers, the size of a bf16 embeddings + lm_head (2.24 GiB), on
    every GPU however many share the rest. One process, a gloo group of one. Bug caught: the
    reference's root left gathered (its parameters plain tensors, not DTensor shards)."""
    import rollout
    import runtime
    args = train.get_args(["--init", micro_ckpts["tiny-vita"], "--fsdp"])
    runtime.setup_distributed("cpu", fsdp=True)
    try:
        ref = weights.frozen_copy(args, torch.device("cpu"))
        assert unsharded(ref) == []
        prompts, pmask, replies, slots, _ = rollout.teacher_forced(ref, samples[:2], True)
        with torch.no_grad():
            M.reply_logprobs(ref, prompts, pmask, replies, slots)
        assert unsharded(ref) == []
    finally:
        torch.distributed.destroy_process_group()


def test_gathered_holds_the_full_weights_while_sampling_then_reshards(micro_ckpts):
    """runtime.gathered under FSDP2 (a gloo group of one): inside it every weight is whole, so a
    rollout's forwards gather nothing per token; after it every weight is a shard again, and a later
    forward reshards its layers as before. Bug caught: gathered a no-op (an all-gather per layer per
    token at 7B), the weights left whole after the rollout (the full model on every GPU during the
    update), or reshard-after-forward left off (the layers stay whole after every training forward)."""
    import runtime
    runtime.setup_distributed("cpu", fsdp=True)
    try:
        policy = micro_model("tiny-vita")
        runtime.wrap_parallel(policy, True, 1, torch.device("cpu"))
        everything = [n for n, _ in policy.named_parameters()]
        with runtime.gathered(policy):
            assert unsharded(policy) == everything
        assert unsharded(policy) == []
        policy.net(torch.full((1, 3), policy.vocab.pad))            # the layers reshard after it (the root waits
        assert [n for n in unsharded(policy) if ".layers." in n] == []     # for a backward)
    finally:
        torch.distributed.destroy_process_group()


def test_a_rollout_under_fsdp_decodes_directly_inside_gathered_and_samples_what_the_plain_model_does(samples,
                                                                                                     monkeypatch):
    """Inside runtime.gathered every weight is a plain tensor, so the sampler runs the layers itself
    (kvcache.decode_layers) and samples exactly what the same weights unsharded sample; a sharded model
    (outside gathered) decodes through its forward, whose hooks gather the shards. One process, a gloo
    group of one. Bug caught: the direct path reading DTensor shards as weights, or not taken under
    --fsdp's rollouts."""
    import kvcache
    import rollout
    import runtime
    plain = micro_model("tiny-vita")
    prompts, mask = plain.sample_prompt_batch(samples[:2])
    prompts, mask = prompts.repeat_interleave(2, 0), mask.repeat_interleave(2, 0)
    uniforms = torch.rand(4, 12, 1, generator=torch.Generator().manual_seed(0))
    expected = rollout.generate(plain, prompts, mask, 1.0, max_len=12, uniforms=uniforms)
    calls, inner = [], kvcache.decode_layers
    monkeypatch.setattr(kvcache, "decode_layers", lambda *a: calls.append(1) or inner(*a))
    runtime.setup_distributed("cpu", fsdp=True)
    try:
        policy = micro_model("tiny-vita")
        runtime.wrap_parallel(policy, True, 1, torch.device("cpu"))
        assert not policy.decodes_directly()
        with runtime.gathered(policy):
            assert policy.decodes_directly()
            got = rollout.generate(policy, prompts, mask, 1.0, max_len=12, uniforms=uniforms)
        assert calls and all(torch.equal(a, b) for a, b in zip(expected, got))
    finally:
        torch.distributed.destroy_process_group()
