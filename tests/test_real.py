"""The `vita` path (real.py) on a stand-in with VITA-Audio's structure: a Qwen2 causal LM,
an HF tokenizer with its special tokens and <|audio_i|> codes, ChatML prompts. The toy
codec stands in for GLM-4-Voice, which (with real weights) is not exercised here."""
import pytest
import torch

import model as M
import real
import rollout
import train
from conftest import MICRO


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    path = tmp_path_factory.mktemp("vita-standin")
    real.make_standin(str(path), schedule=(1, 10, 4, 10), config=MICRO)
    return str(path)


def test_tokens_are_looked_up_not_hard_coded(standin):
    m = M.load_model(standin)
    tok, v = m.tokenizer.tok, m.vocab
    assert v.audio_offset == tok.convert_tokens_to_ids("<|audio_0|>") and v.n_codes == 541
    assert v.boa == tok.convert_tokens_to_ids("<|begin_of_audio|>") and v.eos == tok.convert_tokens_to_ids("<|im_end|>")
    assert v.size == m.net.config.vocab_size and v.size % 8 == 0      # padded as VITA-Audio pads
    allowed_text = m.allowed[M.TEXT]
    for special in ("<|im_start|>", "<|audio|>", "<|endoftext|>", "<unk>"):
        assert not allowed_text[tok.convert_tokens_to_ids(special)], special


def test_prompt_uses_the_chat_template_with_audio_codes(standin, samples):
    m = M.load_model(standin)
    text = m.tokenizer.tok.decode(m.prompt(samples[0])[:, 0].tolist())
    assert text.startswith("<|im_start|>system\nYou are a helpful voice assistant")
    assert "<|im_start|>user\n<|begin_of_audio|><|audio_" in text
    assert text.endswith("<|end_of_audio|><|im_end|>\n<|im_start|>assistant\n")
    n_codes = text.count("<|audio_")
    assert n_codes == len(samples[0].question_codes[0])


def test_layout_masks_and_rollouts(standin, samples):
    m = M.load_model(standin)
    s = samples[1]
    reply = m.target(s.target_text, s.target_codes)
    assert m.split(reply)[0] == s.target_text
    assert m.allowed[m.slots_for(reply[None]), reply[None]].all()
    b = rollout.sample(m, samples[:3], 2, 1.0, 1.0, 48, torch.Generator().manual_seed(0))
    assert torch.equal(m.slots_for(b.replies), b.slots) and m.allowed[b.slots, b.replies].all()
    assert not (b.masks["text"] & b.masks["speech"]).any()
    with torch.no_grad():
        forced = M.reply_logprobs(m, b.prompts, b.prompt_mask, b.replies, b.slots)
    done = b.masks["completion"]
    torch.testing.assert_close(b.logprobs[done], forced[done], atol=1e-5, rtol=1e-5)


def test_train_py_model_vita_runs_and_saves_a_loadable_checkpoint(standin, toy_dir, judge_url, tmp_path):
    out = tmp_path / "vita"
    train.run(train.get_args(["--model", "vita", "--init", standin, "--data-dir", str(toy_dir), "--out", str(out),
                              "--steps", "2", "--batch-size", "2", "--group-size", "2", "--max-len", "48",
                              "--eval-prompts", "0", "--judge-url", judge_url, "--quiet"]))
    saved = M.load_model(str(out / "final"))
    assert isinstance(saved.tokenizer, real.HFTokenizer) and saved.spec["schedule"] == [1, 10, 4, 10]


def test_vita_without_codec_paths_says_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match="--audio-tokenizer and --audio-decoder"):
        real.load_vita(str(tmp_path))
