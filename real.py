"""Real checkpoints behind the SpokenLM interface: VITA-Audio (interleaved).

    torchrun --nproc_per_node 4 train.py --model vita --init /ckpt/VITA-Audio-Boost \\
        --audio-tokenizer /ckpt/glm-4-voice-tokenizer --audio-decoder /ckpt/glm-4-voice-decoder \\
        --schedule 1 10 4 10 --dtype bfloat16 --fsdp --judge-url ... --data-dir /data/spoken

    python real.py standin /tmp/vita-standin     # a tiny model with VITA-Audio's structure

What `load_vita` does with a VITA-Audio directory:
  * loads the LLM with AutoModelForCausalLM and its tokenizer (trust_remote_code: the
    checkpoint's own Qwen2MTP classes);
  * looks up `<|audio_0|>`, `<|begin_of_audio|>`, `<|end_of_audio|>`, `<|im_end|>` in the
    tokenizer (ids are never hard-coded) and counts the `<|audio_i|>` codes;
  * builds prompts with the tokenizer's chat template, each `<|audio|>` replaced by the
    question's codes between begin/end-of-audio (the Boost/Balance input format);
  * scores with the main layers only: the MTP heads are set to "main path" mode;
  * speaks through GLM-4-Voice from VITA-Audio's package (`vita_audio` importable):
    Whisper-VQ encoding at 16 kHz -> 12.5 Hz codes, flow + HiFT decoding -> 22.05 kHz.
A checkpoint this project saves carries a spoken.json, so `model.load_model` restores it.

What is exercised here (tests/test_real.py): the whole path on a stand-in made by
`make_standin`: a tiny Qwen2 saved with an HF tokenizer that holds VITA-Audio's special
tokens and `<|audio_i|>` codes, the ChatML template, and the toy codec in place of
GLM-4-Voice. Not exercised here: real weights, VITA-Audio's remote-code classes (built
for transformers 4.48.3; this project pins 5.x, see README), GLM-4-Voice itself.

Deviations from VITA-Audio:
  1. Generation follows the schedule by constraint (VITA-Audio relies on the learned layout).
  2. The Plus variants' continuous SenseVoice input features are not supported; questions
     enter as discrete GLM-4-Voice codes, as in the Boost and Balance variants.
"""
import argparse
import json

import numpy as np
import torch

import model as models

AUDIO_TOKEN = "<|audio_{}|>"
SPECIAL = {"boa": "<|begin_of_audio|>", "eoa": "<|end_of_audio|>", "eos": "<|im_end|>",
           "user": "<|im_start|>", "pad": "<|endoftext|>"}
VITA_SYSTEM = "Your Name: Luke\nYour Gender: male\n\nRespond in a text-audio interleaved manner."


class HFTokenizer:
    """A Hugging Face tokenizer with VITA-Audio's tokens: text, audio codes, chat prompts."""

    def __init__(self, tok, vocab_size=None, silence_code=None, system_prompt=VITA_SYSTEM):
        """vocab_size: the network's logit width (VITA-Audio pads the vocabulary to a multiple of 8);
        silence_code: the codec's silent code, if it has one (GLM-4-Voice has none)."""
        self.tok, self.system_prompt = tok, system_prompt
        ids = {k: tok.convert_tokens_to_ids(v) for k, v in SPECIAL.items()}
        missing = [SPECIAL[k] for k, i in ids.items() if i is None or i == tok.unk_token_id]
        offset = tok.convert_tokens_to_ids(AUDIO_TOKEN.format(0))
        if missing or offset in (None, tok.unk_token_id):
            raise ValueError(f"tokenizer lacks VITA-Audio tokens: {missing or [AUDIO_TOKEN.format(0)]}")
        n_codes = 0
        while tok.convert_tokens_to_ids(AUDIO_TOKEN.format(n_codes)) == offset + n_codes:
            n_codes += 1
        banned = tuple(i for i in tok.all_special_ids if i < offset)
        self.vocab = models.Vocab(size=max(vocab_size or 0, len(tok)), pad=ids["pad"], eos=ids["eos"], boa=ids["boa"], eoa=ids["eoa"],
                                  user=ids["user"], assistant=ids["user"], blank=ids["pad"], text_eos=ids["eos"],
                                  text_lo=0, text_hi=offset, audio_offset=offset, n_codes=n_codes,
                                  silence_code=silence_code, text_banned=banned)

    def encode_text(self, text):
        return self.tok.encode(text, add_special_tokens=False)

    def decode_text(self, ids):
        return self.tok.decode(ids, skip_special_tokens=True)

    def chat_prompt(self, sample) -> list:
        """The sample's messages through the chat template, audio as discrete codes."""
        audios = iter(sample.question_codes)
        messages = [m for m in sample.messages if m["role"] != "assistant"]
        if self.system_prompt and not any(m["role"] == "system" for m in messages):
            messages = [{"role": "system", "content": self.system_prompt}] + messages
        rendered = []
        for m in messages:
            pieces = m["content"].split("<|audio|>")
            content = pieces[0]
            for piece in pieces[1:]:
                codes = "".join(AUDIO_TOKEN.format(int(c)) for c in next(audios))
                content += SPECIAL["boa"] + codes + SPECIAL["eoa"] + piece
            rendered.append({"role": m["role"], "content": content})
        text = self.tok.apply_chat_template(rendered, tokenize=False, add_generation_prompt=True)
        return self.tok.encode(text, add_special_tokens=False)

    def save_pretrained(self, path):
        self.tok.save_pretrained(path)


class GLM4VoiceCodec:
    """GLM-4-Voice through VITA-Audio's package: encode at 16 kHz, decode at 22.05 kHz."""
    SAMPLE_RATE = 22050

    def __init__(self, tokenizer_path, decoder_path, device=None):
        try:
            from vita_audio.tokenizer import get_audio_tokenizer
        except ImportError as e:
            raise ImportError("the vita codec needs VITA-Audio's package: clone VITA-MLLM/VITA-Audio (with its "
                              "GLM-4-Voice submodule) and put it on PYTHONPATH") from e
        rank = device.index if device is not None and device.type == "cuda" else None
        self.impl = get_audio_tokenizer(tokenizer_path, "glm4voice", flow_path=decoder_path, rank=rank)
        self.impl.load_model()

    def encode(self, wave, rate):
        return np.asarray(self.impl.encode((torch.as_tensor(wave, dtype=torch.float32)[None], int(rate))))

    def decode(self, codes):
        if len(codes) == 0:
            return np.zeros(0, dtype=np.float32), self.SAMPLE_RATE
        return self.impl.decode(list(map(int, codes))).float().numpy(), self.SAMPLE_RATE


def _main_path_only(net):
    """VITA-Audio's MTP models choose a head per position from internal state; 'M' for
    every position runs the main layers only, which is the policy being trained."""
    if hasattr(net, "_prepare_mtp_for_generation"):
        net._prepare_mtp_for_generation([8192, 0], 8192)
    return net


def _silence(speech_codec):
    return getattr(speech_codec, "PAUSE", None)


def _codec(spec, device=None):
    if spec.get("codec") == "toy":
        import codec
        return codec
    return GLM4VoiceCodec(spec["audio_tokenizer"], spec["audio_decoder"], device)


def load_vita(path, schedule=None, audio_tokenizer=None, audio_decoder=None, dtype=torch.float32, device=None):
    """A VITA-Audio directory (no spoken.json yet) as an InterleavedLM."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    if not (audio_tokenizer and audio_decoder):
        raise ValueError("--model vita needs --audio-tokenizer and --audio-decoder (GLM-4-Voice directories)")
    spec = {"model": "vita", "arch": "interleaved", "tokenizer": "hf", "codec": "glm4voice",
            "schedule": list(schedule or [1, 10, 4, 10]), "audio_tokenizer": audio_tokenizer,
            "audio_decoder": audio_decoder}
    tok = AutoTokenizer.from_pretrained(path, trust_remote_code=True)
    net = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=True, dtype=dtype)
    speech = _codec(spec, device)
    return models.InterleavedLM(_main_path_only(net), HFTokenizer(tok, net.config.vocab_size, _silence(speech)),
                                speech, spec)


def _load_tokenizer(path, spec):
    """AutoTokenizer for real checkpoints. The stand-in's character-level tokenizer is loaded
    as a plain fast tokenizer: AutoTokenizer would rebuild it as Qwen2's byte-level one,
    since its config.json says qwen2."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast
    if spec.get("tokenizer") == "hf-fast":
        return PreTrainedTokenizerFast.from_pretrained(path)
    return AutoTokenizer.from_pretrained(path, trust_remote_code=True)


def load_real_model(path, spec, dtype=torch.float32, device=None):
    """A checkpoint saved by this project with an HF tokenizer (spoken.json says which codec)."""
    from transformers import AutoModelForCausalLM
    if spec.get("arch") != "interleaved":
        raise ValueError(f"{path}: real checkpoints of arch {spec.get('arch')!r} are not supported")
    tok = _load_tokenizer(path, spec)
    net = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=True, dtype=dtype)
    speech = _codec(spec, device)
    return models.InterleavedLM(_main_path_only(net), HFTokenizer(tok, net.config.vocab_size, _silence(speech)),
                                speech, spec)


CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def make_standin(path, n_codes=None, schedule=(8, 6, 4, 6), config=None):
    """A tiny checkpoint with VITA-Audio's structure: Qwen2 causal LM, an HF tokenizer with
    its special tokens and `<|audio_i|>` codes after the text, ChatML prompts. The toy
    codec stands in for GLM-4-Voice."""
    import codec
    from tokenizers import Regex, Tokenizer, decoders, models as tok_models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2ForCausalLM
    chars = sorted(set(" abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,?!:'-\n"))
    core = Tokenizer(tok_models.WordLevel({c: i for i, c in enumerate(["<unk>"] + chars)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", pad_token=SPECIAL["pad"],
                                  eos_token=SPECIAL["eos"], chat_template=CHATML)
    tok.add_special_tokens({"additional_special_tokens": [SPECIAL["user"], SPECIAL["boa"], SPECIAL["eoa"], "<|audio|>"]})
    tok.add_tokens([AUDIO_TOKEN.format(i) for i in range(n_codes or codec.N_CODES)])
    cfg = models._qwen2_config(len(tok) + (-len(tok)) % 8, config)    # padded to a multiple of 8, as VITA-Audio
    net = Qwen2ForCausalLM(cfg)
    spec = {"model": "vita", "arch": "interleaved", "tokenizer": "hf-fast", "codec": "toy", "schedule": list(schedule)}
    lm = models.InterleavedLM(net, HFTokenizer(tok, cfg.vocab_size, codec.PAUSE), codec, spec)
    lm.save(path)
    return lm


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Real-checkpoint helpers.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("standin", help="write a tiny checkpoint with VITA-Audio's structure")
    s.add_argument("path")
    args = ap.parse_args()
    lm = make_standin(args.path)
    print(f"wrote {args.path}: {models.n_params(lm) / 1e6:.2f}M params, vocab {lm.vocab.size}, "
          f"audio codes from id {lm.vocab.audio_offset}; spec {json.dumps(lm.spec)}")
