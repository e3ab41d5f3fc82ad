"""Real checkpoints behind the SpokenLM interface: VITA-Audio (interleaved), without its remote code.

    torchrun --nproc_per_node 4 train.py --model vita --init /ckpt/VITA-Audio-Boost --fsdp \\
        --audio-tokenizer /ckpt/glm-4-voice-tokenizer --audio-decoder /ckpt/glm-4-voice-decoder ...
    python real.py check --audio-tokenizer /ckpt/glm-4-voice-tokenizer --audio-decoder /ckpt/glm-4-voice-decoder
    python real.py standin /tmp/vita-standin     # a tiny checkpoint with VITA-Audio-Boost's layout
    python real.py standin /tmp/boost-size --boost-widths --device cuda   # its real size, random weights (15 GiB)

What `load_vita` does with a VITA-Audio directory (no `trust_remote_code` anywhere):
  * reads config.json (`Qwen2MTPForCausalLM`, model_type qwen2_mtp) and the safetensors
    index. The checkpoint holds `num_hidden_layers` = main + MTP decoder layers; the first
    `num_hidden_layers - num_nextn_predict_layers` (28 of 38 in Boost) with the embeddings,
    the final norm and lm_head are the main path, which VITA-Audio runs for every
    "M" token. They go into transformers' own `Qwen2ForCausalLM` under the same names.
  * the MTP tensors (layers 28-37, `mtp_projs.*`, `mtp_embed_norms.*`, `mtp_hidden_norms.*`)
    and anything else the main path does not use are never loaded: on save they are
    copied byte for byte from the directory the model was loaded from, each to the shard
    it came from, beside the updated main tensors under their original names, with
    config.json (auto_map, architectures, MTP fields), generation_config.json and the
    tokenizer files as they were. VITA-Audio's own code loads what we save.
  * looks up `<|audio_0|>`, `<|begin_of_audio|>`, `<|end_of_audio|>`, `<|im_end|>` in the
    tokenizer (ids are never hard-coded), counts the `<|audio_i|>` codes, and bans every
    other added token (image/video/box markers, `<|audio|>`, fim/tool tokens, ...) from text slots;
  * reads the schedule from generation_config.json's `mtp_inference_mode` (VITA-Audio's
    finetune script writes its `--text-audio-interval-ratio` there; without the key, Boost's
    1 10 4 10, its data layout's default) unless --schedule is given, and train.py prints which
    it used and from where: the repository's template generation_config.json carries
    Balance's 1 4 3 8 4 10, so a Boost checkpoint that kept the template would be read as
    Balance (not checked against a released checkpoint). It records the sampling settings
    in `spec["generation"]` (temperature, top_k, top_p, repetition_penalty) for rollout.py;
  * lays out an SFT reply's text as the official trainer tokenizes it, ending in a newline before
    its audio (`HFTokenizer.reply_text`), then interleaves it by the schedule (`model.InterleavedLM.target`);
  * builds prompts with the tokenizer's chat template, each `<|audio|>` replaced by the
    question's codes between begin/end-of-audio (the Boost/Balance input format), and the
    official loader's system prompt when a sample has none; the turns up to the last user
    turn (earlier assistant turns are history; a trailing assistant turn, the answer, is not prompt);
  * speaks through GLM-4-Voice (one codec per process): Whisper-VQ encoding at 16 kHz
    -> 12.5 Hz codes, flow + HiFT decoding -> 22.05 kHz. `python real.py check` says
    which piece of that stack is missing.
A checkpoint this project saves carries a spoken.json, so `model.load_model` restores it.

What happens to the MTP heads. The official release (MM-Speech/WavAlign) loads the
remote-code model and passes labels to its forward, so the MTP branch runs and its loss
is computed, but the trainer builds its loss from the main-path logits only and discards
that loss: the MTP heads get no gradient. (Its rollouts, however, are generated with
`generate`, whose `mtp_inference_mode` lets the MTP heads produce most audio tokens, while
its log-probs come from the main path.) Here the MTP tensors are frozen by construction
(not even loaded) and saved unchanged; rollouts sample from the main path only, the same
distribution the loss scores. The embeddings, final norm and lm_head are shared with the
MTP heads, so training changes what the MTP heads see, as it does upstream.

What is exercised here (tests/test_real.py): the whole path on `make_standin`'s tiny
checkpoint with VITA-Audio-Boost's layout (config fields, shard index, main and MTP tensor
names, the Qwen2.5 + VITA added tokens at their real offsets, generation config), with the
toy codec in place of GLM-4-Voice, on CPU (glm4voice.py says what of GLM-4-Voice is).
On one H200 (README, Real checkpoints): train.py --model vita on the tiny stand-in, bf16 and
--fsdp under NCCL, and on a stand-in of Boost's full size for memory (bench.py --only memory-gpu).
Not exercised: real weights, GLM-4-Voice itself, more than one GPU.

Deviations from VITA-Audio / the official release:
  1. Generation follows the schedule by constraint (VITA-Audio relies on the learned layout).
  2. Rollouts use the main path only (upstream samples most audio tokens with the MTP heads).
  3. The Plus variants' continuous SenseVoice input features are not supported; questions
     enter as discrete GLM-4-Voice codes, as in the Boost and Balance variants.
  4. The stand-in's tokenizer has Qwen2.5's pipeline (transformers' Qwen2Tokenizer: NFC, Qwen's
     split, byte-level BPE) with 400 tokens of merges learned from a few sentences instead of
     151,643; its added tokens sit at the real offsets from the end of the base vocabulary.
  5. An SFT target ends at <|im_end|>; the official trainer also supervises the newline the chat
     template puts after it, a token generation never reaches (it stops at <|im_end|>).
"""
import json
import os
import shutil
import sys

import torch

import cli
import dataset
import glm4voice
import grammar
import model as models

AUDIO_TOKEN = "<|audio_{}|>"
SPECIAL = {"boa": "<|begin_of_audio|>", "eoa": "<|end_of_audio|>", "eos": "<|im_end|>",
           "user": "<|im_start|>", "pad": "<|endoftext|>"}
STANDIN_MARKER = "nanowavalign-standin.json"     # only the stand-in has it: which codec to use
SAFETENSORS_DTYPES = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}
SHARED_WITH_MTP = ("model.embed_tokens.", "model.norm.", "lm_head.")

# Qwen2.5's added tokens after its base vocabulary (151,643 in the real one), in order; True: special
QWEN25_ADDED = [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
                ("<|object_ref_start|>", True), ("<|object_ref_end|>", True), ("<|box_start|>", True),
                ("<|box_end|>", True), ("<|quad_start|>", True), ("<|quad_end|>", True),
                ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True),
                ("<|image_pad|>", True), ("<|video_pad|>", True), ("<tool_call>", False),
                ("</tool_call>", False), ("<|fim_prefix|>", False), ("<|fim_middle|>", False),
                ("<|fim_suffix|>", False), ("<|fim_pad|>", False), ("<|repo_name|>", False),
                ("<|file_sep|>", False)]
# then the tokens VITA-Audio's GLM-4-Voice setup adds (added as special, yet outside
# additional_special_tokens), in its order, then <|audio_0|> ... <|audio_16383|>
VITA_ADDED = ["<|begin_of_image|>", "<|end_of_image|>", "<|context_of_image|>", "<|begin_of_video|>",
              "<|end_of_video|>", "<|context_of_video|>", "<|begin_of_patch|>", "<|end_of_patch|>",
              "<|context_of_patch|>", "<|begin_of_audio|>", "<|end_of_audio|>", "<|begin_of_quad|>",
              "<|end_of_quad|>", "<|begin_of_ref|>", "<|end_of_ref|>", "<|begin_of_box|>", "<|end_of_box|>",
              "<|image|>", "<|video|>", "<|audio|>"]


CheckpointError = models.CheckpointError     # raised here for real checkpoints, by model.py for saved ones


class HFTokenizer:
    """A Hugging Face tokenizer with VITA-Audio's tokens: text, audio codes, chat prompts."""

    def __init__(self, tok, vocab_size=None, silence_code=None, system_prompt=dataset.OFFICIAL_SYSTEM_PROMPT):
        """vocab_size: the network's logit width (VITA-Audio pads the vocabulary to a multiple of 8);
        silence_code: the codec's silent code, if it has one (GLM-4-Voice has none)."""
        self.tok, self.system_prompt = tok, system_prompt
        ids = {k: tok.convert_tokens_to_ids(v) for k, v in SPECIAL.items()}
        missing = [SPECIAL[k] for k, i in ids.items() if i is None or i == tok.unk_token_id]
        offset = tok.convert_tokens_to_ids(AUDIO_TOKEN.format(0))
        if missing or offset in (None, tok.unk_token_id):
            raise CheckpointError(f"tokenizer lacks VITA-Audio tokens: {missing or [AUDIO_TOKEN.format(0)]}")
        n_codes = 0
        while tok.convert_tokens_to_ids(AUDIO_TOKEN.format(n_codes)) == offset + n_codes:
            n_codes += 1
        # every added token below the codes is a marker, never text: all_special_ids alone
        # misses VITA's image/video/audio markers and Qwen's tool/fim tokens
        added = set(getattr(tok, "added_tokens_decoder", {}) or {}) | set(tok.all_special_ids)
        banned = tuple(sorted(i for i in added if i is not None and i < offset))
        self.vocab = grammar.Vocab(size=max(vocab_size or 0, len(tok)), pad=ids["pad"], eos=ids["eos"], boa=ids["boa"], eoa=ids["eoa"],
                                  user=ids["user"], assistant=ids["user"], blank=ids["pad"], text_eos=ids["eos"],
                                  text_lo=0, text_hi=offset, audio_offset=offset, n_codes=n_codes,
                                  silence_code=silence_code, text_banned=banned)

    def encode_text(self, text):
        return self.tok.encode(text, add_special_tokens=False)

    def reply_text(self, text):
        """An SFT reply's text as the official trainer tokenizes it: it writes the assistant turn as
        `text + "\n<|audio|>"` and takes what comes before the audio as the text, so the text ends in
        a newline, which Qwen's pre-tokenizer joins to trailing punctuation ("legs." ends in ".\n", one
        token in Qwen2.5's merges). No text: no newline (the turn is the audio alone)."""
        return self.encode_text(text + "\n") if text else []

    def decode_text(self, ids):
        return self.tok.decode(ids, skip_special_tokens=True)

    def chat_prompt(self, sample) -> list:
        """The sample's messages through the chat template, audio as discrete codes. The prompt is
        every turn up to the last user turn: an assistant turn before it is the dialogue's history
        (kept, with its audio in place), one after it is the answer (left out, as are its audios,
        which come after every kept one)."""
        audios = iter(sample.question_codes)
        messages = models.prompt_turns(sample.messages)
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


def _codec(spec, device=None):
    """The speech codec a spec names; one GLM-4-Voice per process however often models load."""
    if spec.get("codec") == "toy":
        import codec
        return codec
    if not (spec.get("audio_tokenizer") and spec.get("audio_decoder")):
        raise CheckpointError("--model vita needs --audio-tokenizer and --audio-decoder (GLM-4-Voice directories)")
    return glm4voice.load(spec["audio_tokenizer"], spec["audio_decoder"], str(device) if device is not None else None)


def _silence(speech_codec):
    return getattr(speech_codec, "PAUSE", None)


# ---------------------------------------------------------------- the checkpoint layout

def read_layout(path) -> dict:
    """config.json, the tensor -> shard map, and which tensors are the main path."""
    cfg_path = os.path.join(path, "config.json")
    if not os.path.exists(cfg_path):
        raise CheckpointError(f"{path}: no config.json (not a VITA-Audio checkpoint)")
    with open(cfg_path) as f:
        cfg = json.load(f)
    index = os.path.join(path, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
    elif os.path.exists(os.path.join(path, "model.safetensors")):
        from safetensors import safe_open
        with safe_open(os.path.join(path, "model.safetensors"), "pt") as f:
            weight_map = {k: "model.safetensors" for k in f.keys()}
    else:
        raise CheckpointError(f"{path}: no model.safetensors.index.json or model.safetensors")
    n_mtp = int(cfg.get("num_nextn_predict_layers", 0))
    n_main = int(cfg["num_hidden_layers"]) - n_mtp

    def is_main(name):
        if name.startswith(SHARED_WITH_MTP):
            return True
        if name.startswith("model.layers."):
            return int(name.split(".")[2]) < n_main
        return False
    main = sorted(k for k in weight_map if is_main(k))
    return {"config": cfg, "weight_map": weight_map, "main": main, "n_main": n_main, "n_mtp": n_mtp,
            "aside": sorted(k for k in weight_map if not is_main(k))}


def main_config(cfg: dict):
    """Qwen2Config for the main path of a qwen2_mtp config.json."""
    from transformers import Qwen2Config
    keep = ["vocab_size", "hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads",
            "hidden_act", "max_position_embeddings", "initializer_range", "rms_norm_eps", "tie_word_embeddings",
            "rope_theta", "rope_scaling", "attention_dropout", "use_sliding_window", "sliding_window",
            "bos_token_id", "eos_token_id", "pad_token_id"]
    fields = {k: cfg[k] for k in keep if cfg.get(k) is not None}
    n_main = int(cfg["num_hidden_layers"]) - int(cfg.get("num_nextn_predict_layers", 0))
    out = Qwen2Config(**fields, num_hidden_layers=n_main, max_window_layers=n_main)
    out._attn_implementation = "sdpa"
    return out


def _read_tensors(path, layout, names, dtype=None):
    from safetensors import safe_open
    by_file, out = {}, {}
    for name in names:
        by_file.setdefault(layout["weight_map"][name], []).append(name)
    for file, keys in by_file.items():
        with models.reading(os.path.join(path, file)), safe_open(os.path.join(path, file), "pt") as f:
            for k in keys:
                t = f.get_tensor(k)
                out[k] = t.to(dtype) if dtype is not None else t
    return out


def load_main(path, dtype=torch.float32):
    """transformers' Qwen2ForCausalLM with the checkpoint's main-path tensors (MTP left on disk)."""
    from transformers import Qwen2ForCausalLM
    from transformers.models.qwen2.modeling_qwen2 import Qwen2RotaryEmbedding
    layout = read_layout(path)
    cfg = main_config(layout["config"])
    with torch.device("meta"):
        net = Qwen2ForCausalLM(cfg)
    expected = set(net.state_dict())
    tied = {"lm_head.weight"} if cfg.tie_word_embeddings else set()
    missing = sorted(expected - set(layout["main"]) - tied)
    if missing:
        raise CheckpointError(f"{path}: main-path tensors missing from the checkpoint: {missing[:5]}")
    state = _read_tensors(path, layout, [k for k in layout["main"] if k in expected], dtype)
    net.load_state_dict(state, strict=False, assign=True)
    if cfg.tie_word_embeddings:
        net.tie_weights()
    net.model.rotary_emb = Qwen2RotaryEmbedding(cfg)        # a buffer, not in the checkpoint
    left = [n for n, t in list(net.named_parameters()) + list(net.named_buffers()) if t.is_meta]
    if left:
        raise CheckpointError(f"{path}: no tensor for {left[:5]}")
    return net.eval(), layout


def _generation_settings(path) -> dict:
    gen_path = os.path.join(path, "generation_config.json")
    if not os.path.exists(gen_path):
        return {}
    with open(gen_path) as f:
        return json.load(f)


class VitaLM(models.InterleavedLM):
    """An InterleavedLM over VITA-Audio's main path that saves in the checkpoint's own layout.
    `source`: the directory the tensors it does not hold (MTP) and the other files come from."""

    def __init__(self, net, tokenizer, codec, spec, source, layout):
        super().__init__(net, tokenizer, codec, spec)
        self.source, self.layout = source, layout

    def _save_weights(self, path, state=None, exact=False):
        """Shard by shard: the updated main tensors under their names, each in the dtype `source`
        stores it in (or as trained, with `exact`), and the other tensors copied unchanged from
        `source`; then every non-weight file of `source`."""
        from safetensors import safe_open
        from safetensors.torch import save_file
        state = state if state is not None else self.net.state_dict()
        src, layout = self.source, self.layout
        by_file = {}
        for name, file in layout["weight_map"].items():
            by_file.setdefault(file, []).append(name)
        written, total = [], 0
        for file, names in sorted(by_file.items()):
            out = {}
            with safe_open(os.path.join(src, file), "pt") as f:
                meta = f.metadata()
                for name in names:
                    if name in layout["main"] and name in state:
                        dtype = None if exact else SAFETENSORS_DTYPES[f.get_slice(name).get_dtype()]
                        out[name] = state[name].detach().to("cpu", dtype).contiguous()
                    else:
                        out[name] = f.get_tensor(name)
            tmp = os.path.join(path, file + ".tmp")
            save_file(out, tmp, metadata=meta or {"format": "pt"})
            written.append((tmp, os.path.join(path, file)))
            total += sum(t.numel() * t.element_size() for t in out.values())    # tensor bytes, as Hugging Face counts
            del out
        for tmp, final in written:
            os.replace(tmp, final)
        if len(by_file) > 1 or os.path.exists(os.path.join(src, "model.safetensors.index.json")):
            index = {"metadata": {"total_size": total}, "weight_map": layout["weight_map"]}
            with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
                json.dump(index, f, indent=2)
        if os.path.abspath(src) != os.path.abspath(path):
            # the source's own run files stay behind: an SFT run saves its model into its --out, where
            # the --init checkpoint's metrics or summary would replace the run's own
            skip = set(by_file) | {"model.safetensors.index.json", "spoken.json", "train_state.pt", "summary.json",
                                   "metrics.jsonl", "metrics.png"}
            for name in os.listdir(src):
                full = os.path.join(src, name)
                if name not in skip and os.path.isfile(full) and not name.endswith((".tmp", ".log")):
                    shutil.copy2(full, os.path.join(path, name))

    def load_weights(self, path: str):
        """Main-path tensors of a directory saved in this layout (e.g. a --resume checkpoint)."""
        layout = read_layout(path)
        own = self.net.state_dict()
        state = _read_tensors(path, layout, [k for k in layout["main"] if k in own])
        missing = sorted(set(own) - set(state) - ({"lm_head.weight"} if self.net.config.tie_word_embeddings else set()))
        if missing:
            raise CheckpointError(f"{path}: weights do not match the model (missing {missing[:5]})")
        self.net.load_state_dict(state, strict=False)


def _tokenizer(path):
    """tokenizer.json as written (Qwen2's byte-level BPE for the real one), with
    tokenizer_config.json's special tokens and chat template. Not AutoTokenizer: it would
    consult config.json, whose model_type (qwen2_mtp) only the remote code knows."""
    from transformers import PreTrainedTokenizerFast
    if not os.path.exists(os.path.join(path, "tokenizer.json")):
        raise CheckpointError(f"{path}: no tokenizer.json")
    return PreTrainedTokenizerFast.from_pretrained(path)


def load_vita(path, schedule=None, audio_tokenizer=None, audio_decoder=None, dtype=torch.float32, device=None,
              spec=None, schedule_source="--schedule"):
    """A VITA-Audio directory (config.json + safetensors + tokenizer) as a VitaLM. Its spec's
    `schedule_source` says where the interleave schedule came from (train.py prints it): a wrong
    one constrains every rollout and log-prob to another layout, and nothing else would show it."""
    marker = os.path.join(path, STANDIN_MARKER)
    codec_name = "glm4voice"
    if os.path.exists(marker):
        with open(marker) as f:
            codec_name = json.load(f)["codec"]
    if codec_name != "toy" and not (audio_tokenizer and audio_decoder):
        raise CheckpointError("--model vita needs --audio-tokenizer and --audio-decoder (GLM-4-Voice directories)")
    gen = _generation_settings(path)
    if schedule is None and gen.get("mtp_inference_mode"):
        schedule, schedule_source = gen["mtp_inference_mode"], f"{path}/generation_config.json (mtp_inference_mode)"
    elif schedule is None:            # VITA-Audio's data layout default; its finetune script writes the key
        schedule, schedule_source = [1, 10, 4, 10], "VITA-Audio-Boost's, as generation_config.json has no mtp_inference_mode"
    spec = dict(spec or {})
    spec.update({"model": "vita", "arch": "interleaved", "tokenizer": "hf", "codec": codec_name,
                 "schedule": [int(x) for x in schedule], "schedule_source": schedule_source,
                 "audio_tokenizer": audio_tokenizer,
                 "audio_decoder": audio_decoder,
                 "generation": {k: gen[k] for k in ("temperature", "top_k", "top_p", "repetition_penalty") if k in gen}})
    net, layout = load_main(path, dtype)
    speech = _codec(spec, device)
    tok = HFTokenizer(_tokenizer(path), net.config.vocab_size, _silence(speech))
    return VitaLM(net, tok, speech, spec, os.path.abspath(path), layout)


def load_real_model(path, spec, dtype=torch.float32, device=None):
    """A checkpoint saved by this project from a VITA-Audio one (spoken.json says which codec)."""
    if spec.get("arch") != "interleaved" or spec.get("model") != "vita":
        raise CheckpointError(f"{path}: real checkpoints of model {spec.get('model')!r} are not supported")
    return load_vita(path, spec["schedule"], spec.get("audio_tokenizer"), spec.get("audio_decoder"), dtype,
                     device, spec, schedule_source=f"{path}/spoken.json")


# ---------------------------------------------------------------- the stand-in

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
STANDIN_MTP = 2
# VITA-Audio-Boost's config.json (Qwen2MTPForCausalLM: Qwen2.5-7B's widths, 28 main + 10 MTP layers)
BOOST_WIDTHS = dict(hidden_size=3584, intermediate_size=18944, num_attention_heads=28, num_key_value_heads=4,
                    max_position_embeddings=32768, rope_theta=1000000.0)
BOOST_VOCAB, BOOST_MAIN_LAYERS, BOOST_MTP_LAYERS = 168072, 28, 10


# what the stand-in's byte-level BPE learns its merges from: any text will do (every byte is in
# its alphabet, so any string encodes); the toy world's words make its replies a few tokens long,
# and the lines' ends teach it Qwen2.5's ".\n" (one token), which ends an SFT reply's text (reply_text)
STANDIN_BPE_CORPUS = ["What is the capital of France? The capital of France is Paris.\n",
                      "Please answer in a cheerful voice: seven plus five is twelve.\n",
                      "Say it slowly and calmly. Which animal says moo? A cow says moo.\n",
                      "Tell me quickly, how many legs does a spider have? It has eight legs.\n",
                      "Un café, s'il vous plaît. 你好，世界。 Numbers: 0123456789, 3.14!\n"]


def _standin_tokenizer(n_codes, bpe_vocab=400):
    """Qwen2.5's tokenizer structure at a small size: transformers' own Qwen2Tokenizer pipeline
    (NFC, Qwen's pre-tokenizer split, byte-level BPE, byte-level decoding) over merges learned
    from STANDIN_BPE_CORPUS, then Qwen2.5's added tokens, VITA's, and the audio codes after the
    base vocabulary as in the real one, and its ChatML template."""
    from tokenizers import AddedToken, Tokenizer, models as tok_models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer
    pipeline = Qwen2Tokenizer()._tokenizer                          # the real pre-tokenizer, to learn merges under
    learner = Tokenizer(tok_models.BPE())
    learner.normalizer, learner.pre_tokenizer = pipeline.normalizer, pipeline.pre_tokenizer
    learner.train_from_iterator(STANDIN_BPE_CORPUS, trainers.BpeTrainer(
        vocab_size=bpe_vocab, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    learned = json.loads(learner.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in learned["merges"]]
    tok = Qwen2Tokenizer(vocab=learned["vocab"], merges=merges, unk_token=None, chat_template=CHATML,
                         model_max_length=32768)                  # <|endoftext|> first, as in Qwen2.5
    tok.add_tokens([AddedToken(t, special=s, normalized=False) for t, s in QWEN25_ADDED])
    tok.eos_token = "<|im_end|>"                                    # the instruct models' (pad stays <|endoftext|>)
    tok.add_tokens([AddedToken(t, special=True, normalized=False) for t in VITA_ADDED])
    tok.add_tokens([AddedToken(AUDIO_TOKEN.format(i), special=False, normalized=False) for i in range(n_codes)])
    tok.add_special_tokens({"additional_special_tokens": [t for t, s in QWEN25_ADDED if s and t != "<|endoftext|>"]})
    return tok


def make_standin(path, n_codes=None, schedule=(1, 10, 4, 10), config=None, n_mtp=STANDIN_MTP, seed=0, vocab=None,
                 device="cpu"):
    """A tiny checkpoint with VITA-Audio-Boost's layout, written as the real one is: config.json
    (qwen2_mtp, auto_map, MTP fields), two safetensors shards + index holding the main and MTP
    tensors under upstream's names, byte-level BPE tokenizer files with Qwen2.5's and VITA's added tokens at
    their real offsets, generation_config.json (mtp_inference_mode = the schedule, Boost's
    sampling settings). The toy codec stands in for GLM-4-Voice (STANDIN_MARKER says so).
    `vocab`: embedding rows beyond the tokenizer's, as Boost's 168,072 are (with BOOST_WIDTHS: a
    stand-in of the real size for memory checks, `bench.py --only memory-gpu`); `device`: where
    the weights are initialised (a GPU builds billions of them in seconds)."""
    import codec
    from safetensors.torch import save_file
    from transformers import Qwen2ForCausalLM
    os.makedirs(path, exist_ok=True)
    tok = _standin_tokenizer(n_codes or codec.N_CODES)
    vocab = max(vocab or 0, len(tok) + (-len(tok)) % 8)             # padded to a multiple of 8, as VITA-Audio
    n_main = models._qwen2_config(vocab, config).num_hidden_layers
    cfg = models._qwen2_config(vocab, {**(config or {}), "num_hidden_layers": n_main + n_mtp})
    torch.manual_seed(seed)                                         # upstream counts MTP layers in num_hidden_layers
    with torch.device(device):
        net = Qwen2ForCausalLM(cfg)
    state = {k: v.to(torch.bfloat16).cpu() for k, v in net.state_dict().items()}
    del net
    h = cfg.hidden_size
    for i in range(n_mtp):
        state[f"mtp_projs.{i}.weight"] = (torch.randn(h, 2 * h) * 0.02).to(torch.bfloat16)
        state[f"mtp_embed_norms.{i}.weight"] = torch.ones(h, dtype=torch.bfloat16)
        state[f"mtp_hidden_norms.{i}.weight"] = torch.ones(h, dtype=torch.bfloat16)
    names = sorted(state)
    shards = {"model-00001-of-00002.safetensors": names[:len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    for file, keys in shards.items():
        save_file({k: state[k].contiguous() for k in keys}, os.path.join(path, file), metadata={"format": "pt"})
    total = sum(t.numel() * t.element_size() for t in state.values())
    with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total},
                   "weight_map": {k: file for file, keys in shards.items() for k in keys}}, f, indent=2)
    ids = {t: tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_end|>", AUDIO_TOKEN.format(0))}
    config_json = {
        "architectures": ["Qwen2MTPForCausalLM"],
        "auto_map": {"AutoConfig": "configuration_qwen2.Qwen2MTPConfig",
                     "AutoModelForCausalLM": "modeling_qwen2.Qwen2MTPForCausalLM"},
        "model_type": "qwen2_mtp", "num_nextn_predict_layers": n_mtp, "mtp_loss_weight": 1.0,
        "speech_token_offset": ids[AUDIO_TOKEN.format(0)],
        "attention_dropout": 0.0, "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
        "hidden_act": "silu", "hidden_size": h, "initializer_range": 0.02,
        "intermediate_size": cfg.intermediate_size, "max_position_embeddings": cfg.max_position_embeddings,
        "max_window_layers": n_main, "num_attention_heads": cfg.num_attention_heads,
        "num_hidden_layers": n_main + n_mtp, "num_key_value_heads": cfg.num_key_value_heads,
        "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.48.3", "use_cache": True,
        "use_sliding_window": False, "vocab_size": vocab}
    generation = {"bos_token_id": ids["<|endoftext|>"], "do_sample": True,
                  "eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]], "mtp_inference_mode": list(schedule),
                  "pad_token_id": ids["<|endoftext|>"], "repetition_penalty": 1.05, "temperature": 0.7,
                  "top_k": 20, "top_p": 0.8, "transformers_version": "4.48.3"}
    for name, obj in (("config.json", config_json), ("generation_config.json", generation),
                      (STANDIN_MARKER, {"codec": "toy", "note": "tiny stand-in for tests; not a real checkpoint"})):
        with open(os.path.join(path, name), "w") as f:
            json.dump(obj, f, indent=2)
    tok.save_pretrained(path)
    return path


def boost_standin(path, main_layers=BOOST_MAIN_LAYERS, n_mtp=1, device="cpu"):
    """make_standin at VITA-Audio-Boost's widths and vocabulary with `main_layers` of its layers
    (random weights): a checkpoint of the real size, for memory checks."""
    return make_standin(path, config={**BOOST_WIDTHS, "num_hidden_layers": main_layers}, n_mtp=n_mtp,
                        vocab=BOOST_VOCAB, device=device)


def main(argv=None):
    ap = cli.Parser(description="Real-checkpoint helpers.")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="{standin,check}")   # named so in a refusal
    s = sub.add_parser("standin", help="write a tiny checkpoint with VITA-Audio-Boost's layout")
    s.add_argument("path")
    s.add_argument("--boost-widths", action="store_true",
                   help="VITA-Audio-Boost's widths and vocabulary (168,072 rows) instead of tiny ones: a stand-in of "
                        "the real size for memory checks (random weights; 28 main layers are 15 GiB in bf16 on disk, "
                        "built in float32 first: about 32 GiB of memory on --device)")
    s.add_argument("--main-layers", type=int, default=None, help="main decoder layers (default: 4, or 28 with "
                                                                 "--boost-widths)")
    s.add_argument("--mtp-layers", type=int, default=STANDIN_MTP, help="MTP layers written beside them")
    s.add_argument("--device", default="cpu", help="where the weights are initialised (cuda: seconds for billions)")
    c = sub.add_parser("check", help="say which piece of the GLM-4-Voice audio stack is missing")
    c.add_argument("--audio-tokenizer", required=True, help="GLM-4-Voice tokenizer directory")
    c.add_argument("--audio-decoder", required=True, help="GLM-4-Voice decoder (flow + HiFT) directory")
    args = ap.parse_args(argv)
    if args.cmd == "check":
        rows = glm4voice.check_audio_stack(args.audio_tokenizer, args.audio_decoder)
        for name, ok, detail in rows:
            print(f"{'ok     ' if ok else 'MISSING'} {name}: {detail}")
        if not all(ok for _, ok, _ in rows):
            print(f"put these on PYTHONPATH (from a VITA-Audio clone with submodules): {', '.join(glm4voice.GLM4VOICE_PATHS)}")
            sys.exit(1)
        return
    if (args.main_layers is not None and args.main_layers < 1) or args.mtp_layers < 1:
        ap.error("standin: --main-layers and --mtp-layers must be at least 1")
    if os.path.exists(args.path) and (not os.path.isdir(args.path) or os.listdir(args.path)):
        # its files would mix with what is there (a tiny model's config beside Boost's shards)
        ap.error(f"standin {args.path}: exists and is not an empty directory; give a new path")
    try:
        torch.device(args.device)
    except RuntimeError:
        ap.error(f"standin --device {args.device}: not a torch device (cpu, cuda, cuda:1, ...)")
    try:
        if args.boost_widths:
            boost_standin(args.path, args.main_layers or BOOST_MAIN_LAYERS, args.mtp_layers, args.device)
        else:
            make_standin(args.path, config={"num_hidden_layers": args.main_layers} if args.main_layers else None,
                         n_mtp=args.mtp_layers, device=args.device)
    except OSError as e:
        ap.error(f"standin {args.path}: cannot write there ({e.strerror})")
    lm = load_vita(args.path)
    print(f"wrote {args.path}: main path {models.n_params(lm) / 1e6:.2f}M params + {lm.layout['n_mtp']} MTP layers "
          f"left aside, vocab {lm.vocab.size}, audio codes from id {lm.vocab.audio_offset}; schedule "
          f"{lm.spec['schedule']}")


if __name__ == "__main__":
    main()
