"""GLM-4-Voice, VITA-Audio's speech codec: Whisper-VQ codes at 12.5 Hz from 16 kHz audio, and
flow + HiFT audio at 22.05 kHz from codes (codec.py is the toy world's counterpart).

    rows = check_audio_stack(tokenizer_dir, decoder_dir)     # [(component, ok, detail)]: `python real.py check`
    codec = load(tokenizer_dir, decoder_dir, "cuda:0")        # one per process
    codes = codec.encode(wave, rate); wave, rate = codec.decode(codes)
    codec.release_encoder()                                   # its 1.36 GiB back until the next encode

Loaded from VITA-Audio's third_party/GLM-4-Voice on PYTHONPATH (README, Real checkpoints),
not through the `vita_audio` package. What is exercised here: encode's windows and padding
with transformers' Whisper feature extractor and a stand-in encoder with Whisper-VQ's strides,
decode's call into the flow decoder, the codes cache's fingerprint, the encoder loaded by the first
encode and given back by release_encoder (train.py's, before step 1); GLM-4-Voice itself is not
(its code targets transformers 4.44 and torch 2.3).

Deviations from GLM-4-Voice / the official release: none; encode windows and pads as
GLM-4-Voice's own extraction does.
"""
import functools
import hashlib
import inspect
import os

import numpy as np
import torch


GLM4VOICE_PATHS = ("third_party/GLM-4-Voice", "third_party/GLM-4-Voice/cosyvoice",
                   "third_party/GLM-4-Voice/third_party/Matcha-TTS")
AUDIO_MODULES = [   # (module, what provides it)
    ("torchaudio", "pip: torchaudio built for your torch (see requirements-vita.txt)"),
    ("speech_tokenizer.modeling_whisper", "VITA-Audio's third_party/GLM-4-Voice on PYTHONPATH"),
    ("flow_inference", "VITA-Audio's third_party/GLM-4-Voice on PYTHONPATH"),
    ("cosyvoice", "third_party/GLM-4-Voice/cosyvoice on PYTHONPATH"),
    ("matcha", "third_party/GLM-4-Voice/third_party/Matcha-TTS on PYTHONPATH"),
    ("hyperpyyaml", "pip: hyperpyyaml"),
    ("conformer", "pip: conformer"),
    ("diffusers", "pip: diffusers"),
    ("lightning", "pip: lightning"),
]
AUDIO_FILES = {"tokenizer": ["config.json", "preprocessor_config.json"],
               "decoder": ["config.yaml", "flow.pt", "hift.pt"]}


def check_audio_stack(tokenizer_path, decoder_path) -> list:
    """[(component, ok, detail)] for every piece GLM-4-Voice needs; imports nothing heavy twice."""
    import importlib.util
    rows = []
    for name, source in AUDIO_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        detail = "importable" if found else f"missing: {source}"
        if found and name == "torchaudio":      # present but built for another torch: fails on import
            try:
                importlib.import_module(name)
            except Exception as e:             # OSError from its compiled extension, ImportError, ...
                found, detail = False, f"does not import ({type(e).__name__}: {str(e).splitlines()[0][:120]}); {source}"
        rows.append((f"module {name}", found, detail))
    for kind, path in (("tokenizer", tokenizer_path), ("decoder", decoder_path)):
        if not path or not os.path.isdir(path):
            rows.append((f"--audio-{kind}", False, f"no directory {path!r}"))
            continue
        absent = [f for f in AUDIO_FILES[kind] if not os.path.exists(os.path.join(path, f))]
        rows.append((f"--audio-{kind}", not absent, f"{path}: " + (f"missing {absent}" if absent else "files present")))
        if kind == "tokenizer" and not absent and not any(f.endswith((".safetensors", ".bin")) for f in os.listdir(path)):
            rows.append(("--audio-tokenizer weights", False, f"{path}: no *.safetensors / *.bin"))
    return rows


def encoder_fingerprint(tokenizer_path) -> str:
    """What GLM-4-Voice's codes of a WAV depend on, for dataset.CodesCache: the tokenizer
    directory's files (name, size, modification time: new weights, or a config edited, change
    it) and GLM4VoiceCodec.encode's own source (its windowing and padding rules). The device is
    not part of it: a GPU's codes and a CPU's can differ where a frame sits on a rounding
    boundary of the codebook, each a valid encoding of the WAV."""
    h = hashlib.sha256(inspect.getsource(GLM4VoiceCodec.encode).encode())
    for name in sorted(os.listdir(tokenizer_path)):
        stat = os.stat(os.path.join(tokenizer_path, name))
        h.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return "glm4voice-" + h.hexdigest()[:16]


class GLM4VoiceCodec:
    """GLM-4-Voice loaded directly (not through `vita_audio`, whose package import pulls its
    data stack): Whisper-VQ encoder at 16 kHz, flow + HiFT decoder at 22.05 kHz. Its codes are
    cached beside a split (`fingerprint`, dataset.CodesCache): a second run on the same WAVs (a
    resume, eval.py on the held-out split, a study's next row) reads them back instead of running
    the encoder over every file on every rank."""
    SAMPLE_RATE = 22050

    def __init__(self, tokenizer_path, decoder_path, device=None):
        bad = [f"{c}: {d}" for c, ok, d in check_audio_stack(tokenizer_path, decoder_path) if not ok]
        if bad:
            raise ImportError(f"the vita codec (GLM-4-Voice) is not usable; `python real.py check --audio-tokenizer "
                              f"{tokenizer_path} --audio-decoder {decoder_path}` lists:\n  " + "\n  ".join(bad))
        from flow_inference import AudioDecoder
        from transformers import WhisperFeatureExtractor
        self.device = device or torch.device("cpu")
        self.tokenizer_path = tokenizer_path
        self.fingerprint = encoder_fingerprint(tokenizer_path)
        self.encoder = None         # Whisper-VQ: the first encode loads it (a run on cached codes never does)
        self.features = WhisperFeatureExtractor.from_pretrained(tokenizer_path)
        self.decoder = AudioDecoder(config_path=os.path.join(decoder_path, "config.yaml"),
                                    flow_ckpt_path=os.path.join(decoder_path, "flow.pt"),
                                    hift_ckpt_path=os.path.join(decoder_path, "hift.pt"), device=self.device)

    def load_encoder(self):
        from speech_tokenizer.modeling_whisper import WhisperVQEncoder
        return WhisperVQEncoder.from_pretrained(self.tokenizer_path).eval().to(self.device)

    def release_encoder(self):
        """Drop the Whisper-VQ encoder (1.36 GiB of float32 on the GPU, memory.glm4voice_bytes): train.py
        calls this once its splits are encoded, so no step holds it; a later encode loads it again."""
        self.encoder = None

    @torch.no_grad()
    def encode(self, wave, rate):
        """Mono wave at any rate -> 12.5 Hz codes, as GLM-4-Voice's own extraction computes them:
        30 s windows, each padded only to a whole code (not to 30 s), codes under the mask kept."""
        audio = torch.as_tensor(wave, dtype=torch.float32)
        if rate != 16000:
            import torchaudio
            audio = torchaudio.functional.resample(audio, int(rate), 16000)
        audio, codes = audio.numpy(), []
        if len(audio) == 0:         # no speech, no codes (as the toy codec; the extractor fails on it)
            return np.zeros(0, dtype=np.int64)
        if self.encoder is None:
            self.encoder = self.load_encoder()
        frames_per_code = (self.encoder.conv1.stride[0] * self.encoder.conv2.stride[0]
                           * (self.encoder.config.pooling_kernel_size or 1))
        for lo in range(0, len(audio), 30 * 16000):
            feats = self.features([audio[lo:lo + 30 * 16000]], sampling_rate=16000, return_attention_mask=True,
                                  return_tensors="pt", padding="longest",
                                  pad_to_multiple_of=frames_per_code * self.features.hop_length).to(self.device)
            out = self.encoder(**feats).quantized_token_ids[0]
            keep = feats.attention_mask[0, ::frames_per_code].bool()[:len(out)]
            codes += out[keep].tolist()
        return np.asarray(codes, dtype=np.int64)

    @torch.no_grad()
    def decode(self, codes):
        if len(codes) == 0:
            return np.zeros(0, dtype=np.float32), self.SAMPLE_RATE
        tokens = torch.tensor(list(map(int, codes)), device=self.device)[None]
        wave, _ = self.decoder.token2wav(tokens, uuid="nanowavalign", prompt_token=torch.zeros(1, 0, dtype=torch.long,
                                         device=self.device), prompt_feat=torch.zeros(1, 0, 80, device=self.device),
                                         finalize=True)
        return wave.squeeze().float().cpu().numpy(), self.SAMPLE_RATE


@functools.lru_cache(maxsize=None)
def load(tokenizer_path, decoder_path, device=None):
    """One GLM4VoiceCodec per (directories, device name) per process, however often models load."""
    return GLM4VoiceCodec(tokenizer_path, decoder_path, torch.device(device) if device else None)
