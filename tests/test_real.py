"""The `vita` path (real.py) on a stand-in with VITA-Audio-Boost's layout: config.json of a
Qwen2MTPForCausalLM, sharded safetensors with main and MTP tensors under upstream's names,
Qwen2.5's and VITA's added tokens at their real offsets, generation_config.json. The toy
codec stands in for GLM-4-Voice, which (with real weights) is not exercised here."""
import argparse
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import torch
from safetensors import safe_open

import glm4voice
import grammar
import model as M
import real
import rollout
import train
from conftest import MICRO, ROOT


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    path = tmp_path_factory.mktemp("vita-standin")
    real.make_standin(str(path), schedule=(1, 10, 4, 10), config=MICRO)
    return str(path)


def tensors(path):
    """{name: tensor} over every shard of a checkpoint directory."""
    index = json.load(open(os.path.join(path, "model.safetensors.index.json")))["weight_map"]
    out = {}
    for file in sorted(set(index.values())):
        with safe_open(os.path.join(path, file), "pt") as f:
            out.update({k: f.get_tensor(k) for k in f.keys()})
    return out, index


def same_bytes(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.view(torch.uint8), b.view(torch.uint8))


def test_standin_has_the_real_layout(standin):
    """Bug: a stand-in that is a stock Qwen2 (the old one) would let a loader that ignores MTP
    tensors, the layer split or the shard index pass. Checks the facts read from upstream:
    38 = 28 main + 10 MTP layers in num_hidden_layers, the MTP tensor names, the added
    tokens' offsets from the base vocabulary (151,643 + 42 = <|audio_0|> at 151,685)."""
    cfg = json.load(open(os.path.join(standin, "config.json")))
    assert cfg["architectures"] == ["Qwen2MTPForCausalLM"] and cfg["model_type"] == "qwen2_mtp"
    assert cfg["auto_map"]["AutoModelForCausalLM"] == "modeling_qwen2.Qwen2MTPForCausalLM"
    n_mtp, n_all = cfg["num_nextn_predict_layers"], cfg["num_hidden_layers"]
    state, index = tensors(standin)
    assert len(set(index.values())) == 2
    layers = {int(k.split(".")[2]) for k in state if k.startswith("model.layers.")}
    assert layers == set(range(n_all)) and n_mtp == real.STANDIN_MTP
    for i in range(n_mtp):
        assert state[f"mtp_projs.{i}.weight"].shape == (cfg["hidden_size"], 2 * cfg["hidden_size"])
        assert f"mtp_embed_norms.{i}.weight" in state and f"mtp_hidden_norms.{i}.weight" in state
    tok = real._tokenizer(standin)
    base = tok.convert_tokens_to_ids("<|endoftext|>")
    offsets = {t: tok.convert_tokens_to_ids(t) - base for t in
               ("<|im_start|>", "<|im_end|>", "<|begin_of_audio|>", "<|end_of_audio|>", "<|audio|>", "<|audio_0|>")}
    assert offsets == {"<|im_start|>": 1, "<|im_end|>": 2, "<|begin_of_audio|>": 31, "<|end_of_audio|>": 32,
                       "<|audio|>": 41, "<|audio_0|>": 42}
    assert cfg["speech_token_offset"] == base + 42 and cfg["vocab_size"] % 8 == 0 and cfg["vocab_size"] >= len(tok)
    gen = json.load(open(os.path.join(standin, "generation_config.json")))
    assert gen["mtp_inference_mode"] == [1, 10, 4, 10] and gen["top_k"] == 20


def test_a_standin_with_more_embedding_rows_keeps_its_token_ids(standin, tmp_path):
    """`vocab` (Boost's 168,072 rows for the memory check) adds embedding and lm_head rows past
    the tokenizer's, as a real checkpoint has. Bug caught: the rows ignored (a memory check at the
    real size would run with ~600 rows), or the padding moving the token ids (the audio codes'
    offset). The command line's layer counts: 0 MTP layers refused with one line."""
    wide = real.make_standin(str(tmp_path / "wide"), config=MICRO, vocab=1000, n_mtp=1)
    a, b = real.load_vita(standin), real.load_vita(wide)
    assert b.net.get_input_embeddings().weight.shape[0] == 1000 == b.net.get_output_embeddings().weight.shape[0]
    assert json.load(open(os.path.join(wide, "config.json")))["vocab_size"] == 1000
    assert b.vocab.audio_offset == a.vocab.audio_offset and b.layout["n_mtp"] == 1
    with pytest.raises(SystemExit) as stop:
        real.main(["standin", str(tmp_path / "none"), "--mtp-layers", "0"])
    assert stop.value.code == 2 and not (tmp_path / "none").exists()


def test_byte_level_text_survives_the_interleaved_layout(standin):
    """The stand-in's tokenizer has Qwen2.5's structure (tokenizer.json: NFC, Qwen's split, byte-level
    BPE and decoding), so a character can span tokens: "é" and "你" are two or three bytes, and a
    space rides on the next word. Laid out by the schedule and read back, a reply's text is the text
    it came from. Bug caught: text decoded a token or a chunk at a time (each half of "é" becomes
    U+FFFD, as decoding its tokens one by one shows here), or text lost where chunks merge."""
    tj = json.load(open(os.path.join(standin, "tokenizer.json")))
    assert (tj["model"]["type"], tj["normalizer"]["type"], tj["decoder"]["type"]) == ("BPE", "NFC", "ByteLevel")
    assert [p["type"] for p in tj["pre_tokenizer"]["pretokenizers"]] == ["Split", "ByteLevel"]
    m = real.load_vita(standin)
    text = "Un café, 你好! It has 8 legs."
    ids = m.tokenizer.encode_text(text)
    assert any("\ufffd" in m.tokenizer.decode_text([i]) for i in ids)        # a character spans tokens
    back, codes = m.split(m.target(text, np.arange(25)))
    assert back == text + "\n" and codes.tolist() == list(range(25))


def test_load_takes_the_main_path_into_stock_qwen2(standin):
    """Bug: loading every layer (or the MTP layers instead of the first n_main) changes the
    logits. Oracle: a Qwen2ForCausalLM built by hand from the first n_main layers' tensors."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    m = real.load_vita(standin)
    cfg = json.load(open(os.path.join(standin, "config.json")))
    n_main = cfg["num_hidden_layers"] - cfg["num_nextn_predict_layers"]
    assert type(m.net) is Qwen2ForCausalLM and len(m.net.model.layers) == n_main
    state, _ = tensors(standin)
    keep = {k: v.float() for k, v in state.items() if not k.startswith("mtp_")
            and not (k.startswith("model.layers.") and int(k.split(".")[2]) >= n_main)}
    ref = Qwen2ForCausalLM(Qwen2Config(**{**{k: cfg[k] for k in ("vocab_size", "hidden_size", "intermediate_size",
                                                               "num_attention_heads", "num_key_value_heads",
                                                               "rms_norm_eps", "rope_theta")},
                                          "num_hidden_layers": n_main}))
    ref.load_state_dict(keep, strict=True)
    ids = torch.randint(0, cfg["vocab_size"], (2, 12))
    with torch.no_grad():
        torch.testing.assert_close(m.net(input_ids=ids).logits, ref.eval()(input_ids=ids).logits)


def test_added_tokens_outside_all_special_ids_are_banned_from_text(standin):
    """Bug: only all_special_ids were banned, so VITA's <|begin_of_image|>, <|audio|>, ... (added
    as special but not in additional_special_tokens) and Qwen's <tool_call>/<|fim_*|> could be
    sampled as text."""
    m = real.load_vita(standin)
    tok = m.tokenizer.tok
    allowed_text = m.allowed[grammar.TEXT]
    for t, _ in real.QWEN25_ADDED:
        assert not allowed_text[tok.convert_tokens_to_ids(t)], t
    for t in real.VITA_ADDED:
        if t != "<|begin_of_audio|>":            # <boa> ends a text chunk
            assert not allowed_text[tok.convert_tokens_to_ids(t)], t
    assert allowed_text[tok.convert_tokens_to_ids("a")]
    assert m.vocab.audio_offset == tok.convert_tokens_to_ids("<|audio_0|>") and m.vocab.n_codes == 541


def test_schedule_and_sampling_settings_come_from_generation_config(tmp_path):
    """Bug: the schedule defaulted to 1 10 4 10 whatever the checkpoint said, and its sampling
    settings (top-k 20, top-p 0.8, repetition penalty 1.05) were ignored."""
    path = str(tmp_path / "balance")
    real.make_standin(path, schedule=(1, 4, 3, 8, 4, 10), config=MICRO)
    m = real.load_vita(path)
    assert m.spec["schedule"] == [1, 4, 3, 8, 4, 10] and m.grammar.schedule == [1, 4, 3, 8, 4, 10]
    assert m.spec["generation"] == {"temperature": 0.7, "top_k": 20, "top_p": 0.8, "repetition_penalty": 1.05}
    assert real.load_vita(path, schedule=[1, 10, 4, 10]).spec["schedule"] == [1, 10, 4, 10]


def test_the_run_prints_where_a_real_checkpoints_schedule_came_from(tmp_path, capsys):
    """VITA-Audio's template generation_config.json carries Balance's 1 4 3 8 4 10; a checkpoint
    that kept it, or one without the key, would train under a layout nobody chose, silently.
    Bug caught: the source not recorded or not printed, a missing key not said to be one."""
    path = str(tmp_path / "nokey")
    real.make_standin(path, schedule=(1, 4, 3, 8, 4, 10), config=MICRO)
    assert "generation_config.json (mtp_inference_mode)" in real.load_vita(path).spec["schedule_source"]
    gen_path = os.path.join(path, "generation_config.json")
    with open(gen_path) as f:
        gen = json.load(f)
    del gen["mtp_inference_mode"]
    with open(gen_path, "w") as f:
        json.dump(gen, f)
    m = real.load_vita(path)
    assert m.spec["schedule"] == [1, 10, 4, 10] and "no mtp_inference_mode" in m.spec["schedule_source"]
    train.print_config(argparse.Namespace(stage="rl", model="vita"), 1, "cpu", m)
    assert "interleave schedule 1 10 4 10 from VITA-Audio-Boost's, as generation_config.json has no " \
           "mtp_inference_mode" in capsys.readouterr().out
    assert real.load_vita(path, schedule=[1, 4, 3, 8, 4, 10]).spec["schedule_source"] == "--schedule"


def test_prompt_uses_the_chat_template_and_the_official_system_prompt(standin, samples):
    m = real.load_vita(standin)
    s = samples[0]
    no_system = type(s)(**{**s.__dict__, "messages": [x for x in s.messages if x["role"] != "system"]})
    text = m.tokenizer.tok.decode(m.prompt(no_system)[:, 0].tolist())
    assert text.startswith("<|im_start|>system\nYou are Luke, the voice AI assistant. You can speak and listen.")
    assert "<|im_start|>user\n<|begin_of_audio|><|audio_" in text
    assert text.endswith("<|end_of_audio|><|im_end|>\n<|im_start|>assistant\n")
    assert text.count("<|audio_") == len(s.question_codes[0])


def test_three_rollouts_in_a_row_then_scoring(standin, samples):
    """Bug (issue 9, item 2): the remote-code MTP model keeps input ids between eval-mode calls,
    so the second rollout crashed with a size mismatch. The stock main path has no such state:
    three rollouts in a row work and their recorded log-probs equal teacher forcing."""
    m = real.load_vita(standin)
    for seed in range(3):
        b = rollout.sample(m, samples[:3], 2, 1.0, 1.0, 48, torch.Generator().manual_seed(seed))
        assert torch.equal(m.slots_for(b.replies), b.slots) and m.allowed[b.slots, b.replies].all()
        with torch.no_grad():
            forced = M.reply_logprobs(m, b.prompts, b.prompt_mask, b.replies, b.slots)
        done = b.masks["completion"]
        torch.testing.assert_close(b.logprobs[done], forced[done], atol=1e-5, rtol=1e-5)
    s = samples[1]
    reply = m.target(s.target_text, s.target_codes)
    assert m.split(reply)[0] == s.target_text + "\n" and m.allowed[m.slots_for(reply[None]), reply[None]].all()


def test_save_writes_the_original_layout_and_reloads(standin, tmp_path):
    """Bug: saving with save_pretrained wrote a stock Qwen2 checkpoint (no MTP tensors, no
    auto_map), which VITA-Audio's own code cannot load. The saved directory must hold the same
    tensor names in the same shards, MTP tensors byte for byte, the updated main tensors, and
    config/generation config/tokenizer unchanged; and it must reload to the same logits."""
    m = real.load_vita(standin)
    with torch.no_grad():
        m.net.model.layers[0].mlp.up_proj.weight.add_(0.5)
    out = str(tmp_path / "saved")
    m.save(out)
    before, idx_before = tensors(standin)
    after, idx_after = tensors(out)
    assert idx_before == idx_after
    for name in before:
        if name in m.layout["aside"]:
            assert same_bytes(before[name], after[name]), name
    assert any(k.startswith("mtp_projs.") for k in m.layout["aside"])
    assert not torch.equal(before["model.layers.0.mlp.up_proj.weight"].float(),
                           after["model.layers.0.mlp.up_proj.weight"].float())
    for f in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        assert open(os.path.join(standin, f)).read() == open(os.path.join(out, f)).read(), f
    assert all(after[k].dtype == before[k].dtype == torch.bfloat16 for k in before)   # as the source stores them
    exact = str(tmp_path / "exact")
    m.save(exact, exact=True)                 # a resume checkpoint: the float32 weights as trained
    ids = torch.randint(0, m.vocab.size, (1, 9))
    with torch.no_grad():
        torch.testing.assert_close(M.load_model(exact).net(input_ids=ids).logits, m.net(input_ids=ids).logits)
        for p in m.net.parameters():          # what the deliverable holds: the weights in bf16
            p.copy_(p.to(torch.bfloat16).float())
        back = M.load_model(out)
        torch.testing.assert_close(back.net(input_ids=ids).logits, m.net(input_ids=ids).logits)
    back.save(out)            # saving over its own source keeps the MTP tensors
    again, _ = tensors(out)
    assert all(same_bytes(before[k], again[k]) for k in m.layout["aside"])
    fresh = real.load_vita(standin)
    fresh.load_weights(out)   # --resume's path
    assert torch.equal(fresh.net.model.layers[0].mlp.up_proj.weight, m.net.model.layers[0].mlp.up_proj.weight)


@pytest.mark.parametrize("dtype", [["--dtype", "float32"], []])    # [] = vita's defaults: bf16, checkpointing
def test_train_py_model_vita_runs_a_hybrid_step_on_the_raw_standin(standin, toy_dir, judge_url, tmp_path, dtype):
    out = tmp_path / "vita"
    train.run(train.get_args(["--model", "vita", "--init", standin, "--data-dir", str(toy_dir), "--out", str(out),
                              "--steps", "1", "--batch-size", "2", "--group-size", "2", "--max-len", "48",
                              "--lr", "1e-2", "--warmup", "1", "--eval-prompts", "0", "--judge-url", judge_url,
                              "--quiet"] + dtype))
    saved = M.load_model(str(out / "final"))
    assert isinstance(saved, real.VitaLM) and saved.spec["schedule"] == [1, 10, 4, 10]
    before, _ = tensors(standin)
    after, _ = tensors(str(out / "final"))
    assert set(before) == set(after)
    assert all(same_bytes(before[k], after[k]) for k in saved.layout["aside"])
    assert not torch.equal(before["lm_head.weight"].float(), after["lm_head.weight"].float())   # it trained
    # the deliverable keeps the checkpoint's own dtype, however it was trained; the resume
    # checkpoint keeps the weights as trained (float32 under --dtype float32), so --resume is exact
    assert all(after[k].dtype == before[k].dtype == torch.bfloat16 for k in before)
    resume, _ = tensors(str(out / "ckpt"))
    trained_in = torch.float32 if dtype else torch.bfloat16
    assert all(resume[k].dtype == trained_in for k in saved.layout["main"] if k in resume)


def test_vita_without_codec_paths_says_what_is_missing(tmp_path):
    real.make_standin(str(tmp_path), config=MICRO)
    os.remove(os.path.join(tmp_path, real.STANDIN_MARKER))
    with pytest.raises(ValueError, match="--audio-tokenizer and --audio-decoder"):
        real.load_vita(str(tmp_path))


def test_check_names_each_missing_piece_and_fails(tmp_path):
    """Bug: a missing GLM-4-Voice piece surfaced as a raw ModuleNotFoundError deep in an import.
    `real.py check` prints one line per component and exits non-zero; the codec's own error
    lists the missing pieces."""
    (tmp_path / "dec").mkdir()
    (tmp_path / "dec" / "config.yaml").write_text("x: 1\n")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "real.py"), "check", "--audio-tokenizer",
                        str(tmp_path / "nope"), "--audio-decoder", str(tmp_path / "dec")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert any(line.startswith("MISSING module flow_inference") for line in lines)
    assert any("--audio-tokenizer" in line and "no directory" in line for line in lines)
    assert any("--audio-decoder" in line and "flow.pt" in line and "hift.pt" in line for line in lines)
    assert "third_party/GLM-4-Voice/cosyvoice" in r.stdout
    with pytest.raises(ImportError, match="flow_inference") as refused:
        glm4voice.GLM4VoiceCodec(str(tmp_path / "nope"), str(tmp_path / "dec"))
    # the check it points to runs as written (a bare `python real.py check` stops at its required flags)
    assert f"`python real.py check --audio-tokenizer {tmp_path / 'nope'} --audio-decoder {tmp_path / 'dec'}`" \
        in str(refused.value)


def test_glm4voice_encoding_pads_a_window_to_a_whole_code_not_to_30_seconds():
    """GLM-4-Voice's own extraction pads each 30 s window to a whole code (8 frames of 10 ms), not
    to 30 s. Bug caught: every window padded to 30 s (3,000 frames through the encoder for a 2.1 s
    question, 14x the compute, and its last codes computed beside 28 s of zeros upstream never
    sees), a window's codes lost or repeated across the 30 s cut. The encoder is a stand-in with
    Whisper-VQ's strides (conv 1 x 2, pooling 4: 12.5 codes a second) that numbers its positions;
    the feature extractor is transformers' own."""
    from transformers import WhisperFeatureExtractor

    class StandinEncoder:
        conv1, conv2 = types.SimpleNamespace(stride=(1,)), types.SimpleNamespace(stride=(2,))
        config = types.SimpleNamespace(pooling_kernel_size=4)
        frames = []

        def __call__(self, input_features, attention_mask):
            self.frames.append(input_features.shape[-1])
            return types.SimpleNamespace(quantized_token_ids=torch.arange(input_features.shape[-1] // 8)[None])

    codec = object.__new__(glm4voice.GLM4VoiceCodec)
    codec.encoder, codec.features, codec.device = StandinEncoder(), WhisperFeatureExtractor(), torch.device("cpu")
    rng = np.random.default_rng(0)
    # 2.1 s: 210 frames of 10 ms, padded to 216 (27 codes); code k reads frames 8k.. so all 27 are real
    assert codec.encode(rng.standard_normal(33600).astype(np.float32) * 0.1, 16000).tolist() == list(range(27))
    assert codec.encoder.frames == [216]
    # 40 s: a full window (3,000 frames, 375 codes), then 10 s (1,000 frames, 125 codes)
    codec.encoder.frames.clear()
    codes = codec.encode(rng.standard_normal(640000).astype(np.float32) * 0.1, 16000)
    assert codec.encoder.frames == [3000, 1000] and codes.tolist() == list(range(375)) + list(range(125))
    # no audio: no codes and no encoder call, as the toy codec (bug: the feature extractor's error on an
    # empty window, which load_samples reports as a file it cannot encode)
    codec.encoder.frames.clear()
    empty = codec.encode(np.zeros(0, np.float32), 16000)
    assert empty.dtype == np.int64 and empty.tolist() == [] and codec.encoder.frames == []


def test_one_codec_per_process(monkeypatch):
    """Bug: every load_vita (policy, reference, base) built another GLM-4-Voice."""
    built = []
    monkeypatch.setattr(glm4voice, "GLM4VoiceCodec", lambda *a: built.append(a) or object())
    glm4voice.load.cache_clear()
    spec = {"codec": "glm4voice", "audio_tokenizer": "/t", "audio_decoder": "/d"}
    assert real._codec(spec) is real._codec(spec) and len(built) == 1
    glm4voice.load.cache_clear()


def test_eval_on_a_broken_saved_vita_model_ends_with_one_line(standin, tmp_path, capsys):
    """Bug caught: eval.py on a saved VITA-Audio model whose weights index is gone ends in a
    traceback from the loader instead of one line naming the directory (status 2)."""
    import eval as ev
    saved = tmp_path / "saved"
    real.load_vita(standin).save(str(saved))
    os.remove(saved / "model.safetensors.index.json")
    with pytest.raises(SystemExit) as stop:
        ev.main(["--ckpt", str(saved), "--data", "held-out.jsonl", "--judge-url", "http://127.0.0.1:9"])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1 and str(saved) in err[0] and "safetensors" in err[0]


def test_torchrun_fsdp_on_the_standin_saves_in_the_checkpoints_own_layout_and_dtype(standin, toy_dir, judge_url,
                                                                                     tmp_path):
    """The README's headline command's shape on the stand-in with Boost's layout: torchrun, 2 ranks
    (gloo), --fsdp (float32 master weights, bf16 compute), a held-out summary. Bug caught: the final
    checkpoint written with float32 main tensors beside bf16 MTP ones (twice the size, not the
    layout VITA-Audio's inference loads), MTP tensors touched, or a rank hanging in the summary."""
    from test_train import torchrun
    out = tmp_path / "fsdp"
    torchrun(2, os.path.join(ROOT, "train.py"), "--model", "vita", "--init", standin, "--fsdp", "--data-dir",
             str(toy_dir), "--out", str(out), "--steps", "1", "--batch-size", "2", "--group-size", "2",
             "--max-len", "32", "--lr", "1e-2", "--warmup", "1", "--eval-prompts", "1", "--judge-url", judge_url,
             "--quiet")
    before, _ = tensors(standin)
    after, _ = tensors(str(out / "final"))
    layout = real.read_layout(str(out / "final"))
    assert set(before) == set(after) and all(after[k].dtype == before[k].dtype for k in before)
    assert all(same_bytes(before[k], after[k]) for k in before if k not in layout["main"])
    assert any(not torch.equal(before[k], after[k]) for k in layout["main"])             # it trained
    resume, _ = tensors(str(out / "ckpt"))
    assert all(resume[k].dtype == torch.float32 for k in layout["main"] if k in resume)  # master weights


def test_a_samples_own_system_prompt_and_the_text_around_each_audio_are_kept(standin, samples):
    """The official input format: the sample's messages through the chat template, each <|audio|>
    replaced by <|begin_of_audio|> codes <|end_of_audio|> in place. Bug caught: the official system
    prompt added even when the sample has its own (two system turns), or the text after an
    <|audio|> dropped (a question's wording after its recording, or between two recordings, lost)."""
    m = real.load_vita(standin)
    s = samples[0]
    two = type(s)(**{**s.__dict__, "question_codes": [np.array([3, 1]), np.array([2])],
                     "messages": [{"role": "system", "content": "Be brief."},
                                  {"role": "user", "content": "Compare <|audio|> and <|audio|>, please."}]})
    text = m.tokenizer.tok.decode(m.prompt(two)[:, 0].tolist())
    assert text == ("<|im_start|>system\nBe brief.<|im_end|>\n"
                    "<|im_start|>user\nCompare <|begin_of_audio|><|audio_3|><|audio_1|><|end_of_audio|> and "
                    "<|begin_of_audio|><|audio_2|><|end_of_audio|>, please.<|im_end|>\n<|im_start|>assistant\n")


def test_the_standins_toy_codec_pads_short_speech_with_its_silence_code(standin):
    """The stand-in speaks through the toy codec, which has a silence code (codec.PAUSE); a reply whose
    text outruns its speech is padded with silence, one full audio chunk per text chunk (model.py's
    deviation 2). Bug caught: the codec's silence code not handed to the vocabulary, so the stand-in
    merged all text into one chunk as GLM-4-Voice (no silence code) does. Worked by hand for
    schedule 1 10 4 10 (1 then 4 text tokens; 8 codes between the markers): 10 digits (Qwen's
    pre-tokenizer makes each digit a token, whatever the merges) and the newline that ends a reply's
    text are chunks of 1, 4, 4, 2, so 4 audio chunks of 8 codes: the 2 given codes, then 30 silences."""
    import codec
    m = real.load_vita(standin)
    v = m.vocab
    assert v.silence_code == codec.PAUSE
    reply = m.target("0123456789", [5, 6])[:, 0].tolist()
    chars = m.tokenizer.encode_text
    assert len(chars("0123456789")) == 10
    silence = [v.audio_offset + codec.PAUSE]
    expected = (chars("0") + [v.boa, v.audio_offset + 5, v.audio_offset + 6] + silence * 6 + [v.eoa]
                + chars("1234") + [v.boa] + silence * 8 + [v.eoa] + chars("5678") + [v.boa] + silence * 8 + [v.eoa]
                + chars("9\n") + [v.boa] + silence * 8 + [v.eoa, v.eos])
    assert reply == expected


def test_the_main_path_takes_the_checkpoints_norm_epsilon(tmp_path):
    """config.json's rms_norm_eps (and tie_word_embeddings) describe the network; Qwen2Config's defaults
    (1e-6, untied) happen to match VITA-Audio-Boost, so a loader that drops them only shows on another
    checkpoint. Bug caught: a field left out of main_config's copy. Oracle: a Qwen2ForCausalLM built by
    hand with the checkpoint's epsilon (0.25, far from the default) from the main-path tensors."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    path = str(tmp_path / "eps")
    real.make_standin(path, config=MICRO)
    cfg_path = os.path.join(path, "config.json")
    cfg = json.load(open(cfg_path))
    cfg["rms_norm_eps"] = 0.25
    json.dump(cfg, open(cfg_path, "w"))
    m = real.load_vita(path)
    n_main = cfg["num_hidden_layers"] - cfg["num_nextn_predict_layers"]
    state, _ = tensors(path)
    keep = {k: v.float() for k, v in state.items() if not k.startswith("mtp_")
            and not (k.startswith("model.layers.") and int(k.split(".")[2]) >= n_main)}
    ref = Qwen2ForCausalLM(Qwen2Config(**{k: cfg[k] for k in ("vocab_size", "hidden_size", "intermediate_size",
                                                             "num_attention_heads", "num_key_value_heads",
                                                             "rms_norm_eps", "rope_theta")},
                                       num_hidden_layers=n_main))
    ref.load_state_dict(keep, strict=True)
    ids = torch.randint(0, cfg["vocab_size"], (1, 10))
    with torch.no_grad():
        torch.testing.assert_close(m.net(input_ids=ids).logits, ref.eval()(input_ids=ids).logits)
    assert real.main_config({**cfg, "tie_word_embeddings": True}).tie_word_embeddings is True


def test_saving_keeps_each_shards_metadata_and_not_the_sources_training_state(tmp_path):
    """Each shard is rewritten with the metadata its source shard carries, and the other files of the
    source are copied, except a training state: a VitaLM loaded from one of this project's resume
    checkpoints (--init OUT/ckpt) has train_state.pt beside its weights. Bug caught: the metadata
    replaced by {"format": "pt"} (what the source said about its tensors lost), or the source's
    train_state.pt, metrics or logs copied into a model that has none of its own."""
    from safetensors.torch import save_file
    src = str(tmp_path / "src")
    real.make_standin(src, config=MICRO)
    shard = os.path.join(src, "model-00001-of-00002.safetensors")
    with safe_open(shard, "pt") as f:
        kept = {k: f.get_tensor(k) for k in f.keys()}
    save_file(kept, shard, metadata={"format": "pt", "origin": "upstream"})
    torch.save({"step": 7}, os.path.join(src, "train_state.pt"))
    (tmp_path / "src" / "NOTICE").write_text("kept\n")
    for name in ("summary.json", "metrics.jsonl", "metrics.png", "build.log"):   # an SFT run's own files
        (tmp_path / "src" / name).write_text("the source run's\n")
    out = str(tmp_path / "out")
    real.load_vita(src).save(out)
    with safe_open(os.path.join(out, "model-00001-of-00002.safetensors"), "pt") as f:
        assert f.metadata() == {"format": "pt", "origin": "upstream"}
    assert (tmp_path / "out" / "NOTICE").read_text() == "kept\n"
    assert not os.path.exists(os.path.join(out, "train_state.pt"))
    # an SFT run saves its model into its own --out: the --init run's files would replace the run's
    # own (its metrics.jsonl held the other run's steps)
    assert not [n for n in ("summary.json", "metrics.jsonl", "metrics.png", "build.log")
                if os.path.exists(os.path.join(out, n))]


def test_a_saved_model_keeps_the_schedule_it_trained_with(standin, tmp_path):
    """A run given --schedule on a raw checkpoint saves that schedule in spoken.json, while the copied
    generation_config.json still names the checkpoint's own (1 10 4 10 here). Bug caught: reloading a
    saved model read the schedule from generation_config.json again, so a model trained under
    1 4 3 8 4 10 was scored and resumed under 1 10 4 10."""
    out = str(tmp_path / "saved")
    real.load_vita(standin, schedule=[1, 4, 3, 8, 4, 10]).save(out)
    assert json.load(open(os.path.join(out, "generation_config.json")))["mtp_inference_mode"] == [1, 10, 4, 10]
    back = M.load_model(out)
    assert back.spec["schedule"] == [1, 4, 3, 8, 4, 10] and back.grammar.schedule == [1, 4, 3, 8, 4, 10]
    assert back.spec["schedule_source"] == f"{out}/spoken.json"


def test_check_reports_each_glm4voice_directory_by_its_files(tmp_path):
    """`real.py check` rows for the two GLM-4-Voice directories, from their files alone: the decoder needs
    config.yaml, flow.pt and hift.pt; the tokenizer config.json, preprocessor_config.json and weights
    (*.safetensors or *.bin). Bug caught: a directory with files missing reported as ok, or the weights
    check made on the decoder (which has none) instead of the tokenizer."""
    def rows(tokenizer, decoder):
        return {name: ok for name, ok, _ in glm4voice.check_audio_stack(str(tokenizer), str(decoder))
                if name.startswith("--audio")}

    tok, dec = tmp_path / "tok", tmp_path / "dec"
    tok.mkdir(), dec.mkdir()
    for name in ("config.json", "preprocessor_config.json"):
        (tok / name).write_text("{}")
    (dec / "config.yaml").write_text("x: 1\n")
    assert rows(tok, dec) == {"--audio-tokenizer": True, "--audio-tokenizer weights": False, "--audio-decoder": False}
    (tok / "model.safetensors").write_bytes(b"")
    for name in ("flow.pt", "hift.pt"):
        (dec / name).write_bytes(b"")
    assert rows(tok, dec) == {"--audio-tokenizer": True, "--audio-decoder": True}


def test_a_reply_ends_its_turn_with_im_end(standin):
    """VITA-Audio's replies end with the chat template's turn end <|im_end|> (generation_config's first
    eos_token_id), not <|endoftext|>, which pads. Bug caught: the reply's end token taken from the pad id:
    every SFT target and every rollout would end in a token the template never puts after a reply."""
    m = real.load_vita(standin)
    tok = m.tokenizer.tok
    reply = m.target("hi", list(range(8)))[:, 0].tolist()
    assert tok.decode(reply).endswith("<|end_of_audio|><|im_end|>")
    assert m.allowed[grammar.FORCE_EOS].nonzero().flatten().tolist() == [tok.convert_tokens_to_ids("<|im_end|>")]


def test_a_single_file_checkpoint_loads_and_saves_as_one_file(tmp_path):
    """A checkpoint small enough for one model.safetensors has no index; the loader reads the file's own
    tensor names and the saved copy keeps that layout. Bug caught: an index written beside a single
    file (a layout the source did not have), or the single-file case not read at all."""
    from safetensors.torch import save_file
    src = str(tmp_path / "src")
    real.make_standin(src, config=MICRO)
    state, index = tensors(src)
    for file in set(index.values()):
        os.remove(os.path.join(src, file))
    os.remove(os.path.join(src, "model.safetensors.index.json"))
    save_file(state, os.path.join(src, "model.safetensors"), metadata={"format": "pt"})
    m = real.load_vita(src)
    assert m.layout["weight_map"] == {k: "model.safetensors" for k in state}
    assert any(k.startswith("mtp_projs.") for k in m.layout["aside"])
    out = tmp_path / "out"
    m.save(str(out))
    assert (out / "model.safetensors").exists() and not (out / "model.safetensors.index.json").exists()
    with safe_open(str(out / "model.safetensors"), "pt") as f:
        assert set(f.keys()) == set(state)
        assert all(same_bytes(state[k], f.get_tensor(k)) for k in m.layout["aside"])
    ids = torch.randint(0, m.vocab.size, (1, 7))
    with torch.no_grad():
        torch.testing.assert_close(M.load_model(str(out)).net(input_ids=ids).logits, m.net(input_ids=ids).logits)


def test_a_dialogues_history_stays_in_the_prompt_and_its_answer_does_not(standin, samples):
    """A sample in a multi-turn layout: a user turn with audio, the assistant's spoken reply (history),
    a second user turn with audio, then the assistant's answer. The prompt holds every turn up to the
    last user turn, each <|audio|> replaced by its own codes in order, and not the answer. Bugs caught:
    every assistant turn dropped (the history lost, and the second question read with the assistant's
    audio: codes 2 where 3 belong), or every turn kept (the answer handed to the policy in its prompt)."""
    m = real.load_vita(standin)
    s = samples[0]
    turns = type(s)(**{**s.__dict__, "question_codes": [np.array([1]), np.array([2]), np.array([3])],
                       "messages": [{"role": "system", "content": "Be brief."},
                                    {"role": "user", "content": "<|audio|>"},
                                    {"role": "assistant", "content": "ok <|audio|>"},
                                    {"role": "user", "content": "and <|audio|>?"},
                                    {"role": "assistant", "content": "the answer"}]})
    text = m.tokenizer.tok.decode(m.prompt(turns)[:, 0].tolist())
    assert text == ("<|im_start|>system\nBe brief.<|im_end|>\n"
                    "<|im_start|>user\n<|begin_of_audio|><|audio_1|><|end_of_audio|><|im_end|>\n"
                    "<|im_start|>assistant\nok <|begin_of_audio|><|audio_2|><|end_of_audio|><|im_end|>\n"
                    "<|im_start|>user\nand <|begin_of_audio|><|audio_3|><|end_of_audio|>?<|im_end|>\n"
                    "<|im_start|>assistant\n")


def test_a_real_checkpoint_needs_both_glm4voice_directories(tmp_path, monkeypatch):
    """Without the stand-in's marker the codec is GLM-4-Voice, which needs its tokenizer (encoder) and its
    decoder: one of the two is refused up front, before any weight is read, naming both flags. Bug
    caught: the up-front check written with `or` (either flag enough), so a run given only
    --audio-tokenizer reads 7B weights before the codec refuses it."""
    real.make_standin(str(tmp_path), config=MICRO)
    os.remove(os.path.join(tmp_path, real.STANDIN_MARKER))

    def no_weights_yet(*a, **k):
        raise AssertionError("the weights were read before the codec's flags were checked")
    monkeypatch.setattr(real, "load_main", no_weights_yet)
    for given in ({"audio_tokenizer": str(tmp_path)}, {"audio_decoder": str(tmp_path)}):
        with pytest.raises(real.CheckpointError, match="--audio-tokenizer and --audio-decoder"):
            real.load_vita(str(tmp_path), **given)


def test_one_shard_with_an_index_is_saved_with_its_index(tmp_path):
    """A checkpoint of one shard under a sharded name (model-00001-of-00001.safetensors) needs its index:
    transformers (and VITA-Audio's loader) find such a shard only through model.safetensors.index.json.
    The saved copy keeps both, and loads. Bug caught: the index written only for two or more shards, so
    the saved model's weights cannot be found."""
    from safetensors.torch import save_file
    src = str(tmp_path / "src")
    real.make_standin(src, config=MICRO)
    state, index = tensors(src)
    for file in set(index.values()):
        os.remove(os.path.join(src, file))
    shard = "model-00001-of-00001.safetensors"
    save_file(state, os.path.join(src, shard), metadata={"format": "pt"})
    with open(os.path.join(src, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": {k: shard for k in state}}, f)
    m = real.load_vita(src)
    out = str(tmp_path / "out")
    m.save(out)
    saved, saved_index = tensors(out)
    assert set(saved_index.values()) == {shard} and set(saved) == set(state)
    assert not os.path.exists(os.path.join(out, "model.safetensors"))
    ids = torch.randint(0, m.vocab.size, (1, 5))
    with torch.no_grad():
        torch.testing.assert_close(M.load_model(out).net(input_ids=ids).logits, m.net(input_ids=ids).logits)


def test_an_unfinished_shard_beside_the_source_is_not_copied(tmp_path):
    """Saving writes each shard as FILE.tmp and renames it; a save killed half way leaves FILE.tmp (a
    shard's size: gigabytes at 7B). A model loaded from that directory and saved elsewhere copies the
    source's other files, not its leftovers. Bug caught: *.tmp copied with the tokenizer files."""
    src = str(tmp_path / "src")
    real.make_standin(src, config=MICRO)
    (tmp_path / "src" / "model-00001-of-00002.safetensors.tmp").write_bytes(b"half a shard")
    out = tmp_path / "out"
    real.load_vita(src).save(str(out))
    assert (out / "tokenizer.json").exists()
    assert not any(name.endswith(".tmp") for name in os.listdir(out))


def test_resuming_loads_every_main_tensor_and_refuses_a_directory_that_lacks_one(tmp_path):
    """VitaLM.load_weights (what --resume reads) takes every main-path tensor of a saved directory, the
    embeddings, final norm and lm_head with the layers; a directory without one of them is refused with
    its name. Oracle: the saved file's tensors. Bugs caught: only the decoder layers loaded (a resumed
    run keeps its starting embeddings and head), or the missing-tensor check dropped (a resume from a
    partial directory silently keeps the model's own weights for what is absent)."""
    src = str(tmp_path / "src")
    real.make_standin(src, config=MICRO)
    trained = real.load_vita(src)
    with torch.no_grad():
        for p in trained.net.parameters():
            p.add_(0.25)
    out = str(tmp_path / "out")
    trained.save(out)
    saved, _ = tensors(out)
    fresh = real.load_vita(src)
    fresh.load_weights(out)
    own = fresh.net.state_dict()
    assert {k for k in own} <= set(saved)
    for name, t in own.items():
        assert torch.equal(t, saved[name].to(t.dtype)), name
    _drop_tensor(out, "model.norm.weight")
    with pytest.raises(real.CheckpointError, match="model.norm.weight"):
        real.load_vita(src).load_weights(out)


def test_check_reports_a_torchaudio_that_is_installed_but_does_not_import(monkeypatch):
    """A torchaudio built for another torch is found by find_spec and fails on import (its compiled
    extension). `real.py check` imports it to tell, and names the error. Bug caught: found counted as
    usable, so the check passes and the run fails later inside GLM-4-Voice."""
    import importlib
    import importlib.util
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "torchaudio"
                        else find_spec(name, *a))
    real_import = importlib.import_module

    def import_module(name, *a):
        if name == "torchaudio":
            raise OSError("undefined symbol: _ZN3c10 (built for torch 2.11)")
        return real_import(name, *a)
    monkeypatch.setattr(importlib, "import_module", import_module)
    rows = {c: (ok, d) for c, ok, d in glm4voice.check_audio_stack(None, None)}
    ok, detail = rows["module torchaudio"]
    assert not ok and "does not import (OSError: undefined symbol" in detail


def test_a_saved_real_model_of_another_kind_is_refused_by_name(tmp_path):
    """spoken.json names the model a real checkpoint came from; only VITA-Audio's interleaved layout is
    supported, so another interleaved model is refused before anything is read, with its name. Bug
    caught: the check on the model's name dropped (arch alone), so a checkpoint of another model is read
    as VITA-Audio's layout and fails later on its tokenizer or tensors, or loads under the wrong schedule."""
    spec = {"arch": "interleaved", "model": "glm-4-voice-9b", "tokenizer": "hf", "schedule": [13, 26]}
    with pytest.raises(real.CheckpointError, match="'glm-4-voice-9b' are not supported"):
        real.load_real_model(str(tmp_path), spec)
def _drop_tensor(path, name):
    """Remove one tensor from a sharded checkpoint directory (its shard and the index)."""
    from safetensors.torch import save_file
    index_path = os.path.join(path, "model.safetensors.index.json")
    index = json.load(open(index_path))
    file = os.path.join(path, index["weight_map"].pop(name))
    with safe_open(file, "pt") as f:
        kept = {k: f.get_tensor(k) for k in f.keys() if k != name}
    save_file(kept, file, metadata={"format": "pt"})
    json.dump(index, open(index_path, "w"))


def test_a_tied_checkpoint_without_lm_head_loads_with_the_embeddings_as_head(tmp_path):
    """catches: the lm_head of a tie_word_embeddings checkpoint (which stores no lm_head.weight) left
    unset, or the tie exemption applied to an untied checkpoint. Boost is untied, so only another
    checkpoint shows it. Oracle: the logits are the last hidden state times the embedding matrix."""
    path = str(tmp_path / "tied")
    real.make_standin(path, config=MICRO)
    cfg_path = os.path.join(path, "config.json")
    cfg = json.load(open(cfg_path))
    json.dump({**cfg, "tie_word_embeddings": True}, open(cfg_path, "w"))
    _drop_tensor(path, "lm_head.weight")
    m = real.load_vita(path)
    embed = m.net.model.embed_tokens.weight
    assert m.net.lm_head.weight.data_ptr() == embed.data_ptr()
    ids = torch.randint(0, cfg["vocab_size"], (1, 6))
    with torch.no_grad():
        out = m.net(input_ids=ids, output_hidden_states=True)
        torch.testing.assert_close(out.logits, out.hidden_states[-1] @ embed.T)
    json.dump(cfg, open(cfg_path, "w"))                     # untied again: the missing head is an error
    with pytest.raises(real.CheckpointError, match="lm_head.weight"):
        real.load_vita(path)



def test_the_saved_index_counts_tensor_bytes_as_the_source_does(standin, tmp_path):
    """catches: the index's metadata.total_size written as the sum of shard file sizes (headers
    included) or taken from the source's shards. Hugging Face indexes (the real checkpoint's and the
    stand-in's) count tensor bytes: an unchanged save reproduces the source index exactly, and an
    exact (float32 main path) save counts its float32 bytes."""
    m = real.load_vita(standin)
    out, exact = str(tmp_path / "out"), str(tmp_path / "exact")
    m.save(out)
    m.save(exact, exact=True)
    index = json.load(open(os.path.join(standin, "model.safetensors.index.json")))
    assert json.load(open(os.path.join(out, "model.safetensors.index.json"))) == index
    state, _ = tensors(exact)
    total = json.load(open(os.path.join(exact, "model.safetensors.index.json")))["metadata"]["total_size"]
    assert total == sum(t.numel() * t.element_size() for t in state.values()) > index["metadata"]["total_size"]



def test_load_real_model_checks_the_architecture_and_keeps_the_codec_paths(standin):
    """catches: a saved spec of another architecture (e.g. Kimi's parallel layout, model 'vita' by mistake)
    loaded as interleaved, or the GLM-4-Voice tokenizer and decoder directories swapped on reload
    (the encoder would be built from the flow/HiFT directory)."""
    spec = {"model": "vita", "arch": "interleaved", "schedule": [1, 10, 4, 10], "audio_tokenizer": "/glm/tok",
            "audio_decoder": "/glm/dec"}
    m = real.load_real_model(standin, spec)
    assert (m.spec["audio_tokenizer"], m.spec["audio_decoder"]) == ("/glm/tok", "/glm/dec")
    with pytest.raises(real.CheckpointError, match="not supported"):
        real.load_real_model(standin, {**spec, "arch": "parallel"})


def test_a_codec_without_silence_merges_the_text_into_the_audio_it_has(standin, monkeypatch):
    """catches: a codec without a silence code (GLM-4-Voice) given silence code 0, so a reply whose text
    outruns its speech is padded with <|audio_0|>, a real code, as if it were silence; and a reply's text
    tokenized otherwise than the official trainer's (MM-Speech/WavAlign writes the assistant turn as
    text + "\n<|audio|>", the audio then replaced by its codes between the markers, and tokenizes it as
    one string): without the newline, or with it tokenized apart from the text, where Qwen2.5 (and the
    stand-in) join "." and "\n" into one token. Oracle for schedule 1 10 4 10 with 2 codes, one chunk:
    that whole string through the tokenizer, then the turn's end."""
    monkeypatch.setattr(real, "_codec", lambda spec, device=None: types.SimpleNamespace(SAMPLE_RATE=22050))
    m = real.load_vita(standin)
    v = m.vocab
    assert v.silence_code is None
    reply = m.target("It has eight legs.", [5, 6])[:, 0].tolist()
    tok = m.tokenizer.tok
    official = tok.encode("It has eight legs.\n<|begin_of_audio|><|audio_5|><|audio_6|><|end_of_audio|>",
                          add_special_tokens=False)
    assert reply == official + [v.eos]
    assert tok.convert_ids_to_tokens(reply[reply.index(v.boa) - 1]) == ".\u010a"    # ".\n", one token
    audio_only = m.target("", [5, 6])[:, 0].tolist()            # no text: the turn is "<|audio|>", no newline
    assert audio_only == tok.encode("<|begin_of_audio|><|audio_5|><|audio_6|><|end_of_audio|>",
                                    add_special_tokens=False) + [v.eos]


def test_a_tokenizer_without_vitas_tokens_is_refused(standin):
    """catches: a missing VITA-Audio token accepted when the tokenizer maps unknown tokens to an unk id
    (the id of some real token, so <|begin_of_audio|> would silently be that token), or when the audio
    codes are absent altogether."""
    from tokenizers import AddedToken, Tokenizer, models as tok_models
    from transformers import PreTrainedTokenizerFast

    def tokenizer(added, unk):
        core = Tokenizer(tok_models.WordLevel({"<unk>": 0, "a": 1}, unk_token="<unk>"))
        core.add_tokens([AddedToken(t, special=True, normalized=False) for t in added])
        return PreTrainedTokenizerFast(tokenizer_object=core, unk_token=unk)
    qwen = [t for t, _ in real.QWEN25_ADDED]
    codes = [real.AUDIO_TOKEN.format(i) for i in range(4)]
    assert real.HFTokenizer(tokenizer(qwen + real.VITA_ADDED + codes, "<unk>")).vocab.n_codes == 4
    no_boa = [t for t in real.VITA_ADDED if t != "<|begin_of_audio|>"]
    with pytest.raises(real.CheckpointError, match="begin_of_audio"):
        real.HFTokenizer(tokenizer(qwen + no_boa + codes, "<unk>"))
    with pytest.raises(real.CheckpointError, match="audio_0"):
        real.HFTokenizer(tokenizer(qwen + real.VITA_ADDED, None))


def test_glm4voice_encoding_resamples_to_16_khz_and_follows_the_encoders_strides(monkeypatch):
    """catches: audio at another rate fed to Whisper-VQ as if it were 16 kHz (8 kHz speech read at twice
    its speed: half the codes), or a code's frame count not taken from the encoder (a pooling-free
    encoder, pooling_kernel_size None, read as pooling 4). Oracles: 1.35 s is 135 frames of 10 ms, 17 codes
    of 8 frames; 1 s without pooling (conv strides 1 x 2) is 100 frames, 50 codes of 2 frames."""
    from transformers import WhisperFeatureExtractor

    def encoder(stride, pooling):
        class StandinEncoder:
            conv1, conv2 = types.SimpleNamespace(stride=(1,)), types.SimpleNamespace(stride=(stride,))
            config = types.SimpleNamespace(pooling_kernel_size=pooling)
            frames = []

            def __call__(self, input_features, attention_mask):
                self.frames.append(input_features.shape[-1])
                per = stride * (pooling or 1)
                return types.SimpleNamespace(quantized_token_ids=torch.arange(input_features.shape[-1] // per)[None])
        return StandinEncoder()

    calls = []

    def resample(audio, orig, new):
        calls.append((orig, new))
        n = len(audio) * new // orig
        return torch.as_tensor(np.interp(np.arange(n) * orig / new, np.arange(len(audio)), audio.numpy()),
                               dtype=torch.float32)
    monkeypatch.setitem(sys.modules, "torchaudio", types.SimpleNamespace(functional=types.SimpleNamespace(
        resample=resample)))
    codec = object.__new__(glm4voice.GLM4VoiceCodec)
    codec.encoder, codec.features, codec.device = encoder(2, 4), WhisperFeatureExtractor(), torch.device("cpu")
    wave = np.random.default_rng(0).standard_normal(10800).astype(np.float32) * 0.1     # 1.35 s at 8 kHz
    assert codec.encode(wave, 8000).tolist() == list(range(17)) and calls == [(8000, 16000)]
    assert codec.encoder.frames == [136]
    codec.encoder = encoder(2, None)
    assert codec.encode(wave[:8000].repeat(2), 16000).tolist() == list(range(50))
    assert codec.encoder.frames == [100]


def test_glm4voice_loads_its_encoder_on_the_first_encode_and_gives_it_back(tmp_path, monkeypatch):
    """GLM-4-Voice's Whisper-VQ encoder (1.36 GiB of float32 on each GPU) is loaded by the first
    encode, not by the codec's construction, and release_encoder drops it until an encode needs it
    again. GLM-4-Voice's modules are stood in (its code does not import here); transformers'
    feature extractor is real. Bug caught: the encoder loaded at construction (held by a run whose
    codes are cached, which never encodes), loaded again by every encode, or kept after release."""
    from transformers import WhisperFeatureExtractor
    loads = []

    class StandinEncoder:
        conv1, conv2 = types.SimpleNamespace(stride=(1,)), types.SimpleNamespace(stride=(2,))
        config = types.SimpleNamespace(pooling_kernel_size=4)

        @classmethod
        def from_pretrained(cls, path):
            loads.append(path)
            return cls()

        def eval(self):
            return self

        def to(self, device):
            return self

        def __call__(self, input_features, attention_mask):
            return types.SimpleNamespace(quantized_token_ids=torch.arange(input_features.shape[-1] // 8)[None])
    monkeypatch.setattr(glm4voice, "check_audio_stack", lambda *paths: [])
    monkeypatch.setitem(sys.modules, "flow_inference", types.SimpleNamespace(AudioDecoder=lambda **kw: kw))
    monkeypatch.setitem(sys.modules, "speech_tokenizer", types.ModuleType("speech_tokenizer"))
    monkeypatch.setitem(sys.modules, "speech_tokenizer.modeling_whisper",
                        types.SimpleNamespace(WhisperVQEncoder=StandinEncoder))
    tokenizer = tmp_path / "glm-4-voice-tokenizer"
    WhisperFeatureExtractor().save_pretrained(str(tokenizer))
    codec = glm4voice.GLM4VoiceCodec(str(tokenizer), str(tmp_path / "decoder"))
    assert loads == [] and codec.encoder is None
    wave = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1     # 1 s: 13 codes
    assert codec.encode(wave, 16000).tolist() == list(range(13)) and codec.encode(wave, 16000).tolist() == list(range(13))
    assert loads == [str(tokenizer)]
    codec.release_encoder()
    assert codec.encoder is None
    codec.encode(wave, 16000)
    assert loads == [str(tokenizer)] * 2


def test_glm4voice_decoding_an_empty_reply_is_empty_audio_at_its_own_rate():
    """catches: no codes answered at another rate than GLM-4-Voice's 22.05 kHz (a silent reply written or
    judged at 16 kHz beside 22.05 kHz ones), and the flow decoder called on codes it was not given: the
    codes go to token2wav as one row of ints, with no prompt, finalized."""
    seen = []

    def token2wav(tokens, uuid, prompt_token, prompt_feat, finalize):
        seen.append((tokens.tolist(), prompt_token.shape, prompt_feat.shape, finalize))
        return torch.ones(1, 5, dtype=torch.float64), None
    codec = object.__new__(glm4voice.GLM4VoiceCodec)
    codec.device, codec.decoder = torch.device("cpu"), types.SimpleNamespace(token2wav=token2wav)
    wave, rate = codec.decode([])
    assert rate == 22050 and wave.dtype == np.float32 and len(wave) == 0 and seen == []
    wave, rate = codec.decode(np.array([7, 3]))
    assert rate == 22050 and wave.dtype == np.float32 and wave.tolist() == [1.0] * 5
    assert seen == [([[7, 3]], (1, 0), (1, 0, 80), True)]


def test_the_standins_generation_config_ends_a_turn_on_im_end_first(standin):
    """catches: the stand-in's generation_config listing <|endoftext|> before <|im_end|> in eos_token_id, unlike
    Qwen2.5-Instruct's [151645, 151643], which VITA-Audio starts from (a reply ends its turn with <|im_end|>;
    <|endoftext|> pads)."""
    tok = real._tokenizer(standin)
    gen = json.load(open(os.path.join(standin, "generation_config.json")))
    assert gen["eos_token_id"] == [tok.convert_tokens_to_ids("<|im_end|>"), tok.convert_tokens_to_ids("<|endoftext|>")]
    assert gen["pad_token_id"] == gen["bos_token_id"] == tok.convert_tokens_to_ids("<|endoftext|>")


def test_eval_loads_a_saved_vita_model_in_the_dtype_it_is_asked_for(standin, tmp_path):
    """eval.py's loader on a saved VITA-Audio stand-in: bf16 weights when asked (what a GPU gets by
    default), float32 otherwise, the same values either way to bf16's rounding. Bug caught: the real
    path ignoring the dtype (always float32: 31 GB at 7.7B where 15 would do)."""
    import eval as ev
    saved = tmp_path / "saved"
    real.load_vita(standin).save(str(saved))
    given = ["--ckpt", str(saved), "--data", "held-out.jsonl", "--judge-url", "http://127.0.0.1:9", "--device", "cpu"]
    half = ev.load(str(saved), ev.get_args([*given, "--dtype", "bfloat16"]))
    full = ev.load(str(saved), ev.get_args(given))
    assert {p.dtype for p in half.parameters()} == {torch.bfloat16} and {p.dtype for p in full.parameters()} == {torch.float32}
    torch.testing.assert_close(half.net.lm_head.weight.float(), full.net.lm_head.weight, rtol=1e-2, atol=1e-3)
