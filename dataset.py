"""Spoken dialogue samples: the JSONL schema, loading with clear errors, answer checking.

A line follows the official release's schema (MM-Speech/WavAlign's
examples/sample_rl_sft.jsonl loads unchanged) plus fields of ours:

    {"id": "train-00012", "task": "arithmetic", "style": "loudly" | null,     # all three optional
     "task_type": "s2s",                                   # optional, the official field
     "messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "<|audio|>"}],
     "audios": ["wavs/train/train-00012-q.wav"],          # one per <|audio|>, relative to the file
     "question_text": "what is 3 plus 4 say it loudly",     # optional: default the user text
     "reference": "7",                                     # optional: the checkable answer
     "sft_target_text": "3 plus 4 is 7",
     "sft_target_audio": "wavs/train/train-00012-a.wav"}   # optional for eval-only data

`load_samples(path, encode)` reads every line, checks it, reads the WAVs and turns
them into speech codes with `encode(wave, sample_rate)` (the model's own codec, so
a real checkpoint gets its real tokenizer). A line without `id` gets "FILE:LINE". A
line whose `task_type` is not in `task_types` (default: s2s, as the official loader) is
skipped and counted. A malformed line raises an error naming
the file and line; a missing or unreadable WAV raises one naming the sample id and
path. With `skip_bad=True` such samples are skipped and counted instead. The codes (the toy
codec's, GLM-4-Voice's) are kept in DIR/.codes/ (CodesCache), so only the first run on a split
encodes it; under torchrun `encode_shared` first splits that encoding between the ranks.

Deviations from the official release:
  1. The official loader drops lines it cannot use without saying so; here nothing
     is dropped silently.
  2. `reference` and `style` are ours: the toy judge checks answers and styles.
  3. A line without `task_type` is kept (the official loader infers one from the fields);
     the official default system prompt (OFFICIAL_SYSTEM_PROMPT) is added at prompt time
     by real.HFTokenizer for `--model vita`, not stored in the sample.
"""
import json
import os
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf
from tqdm import tqdm

AUDIO_PLACEHOLDER = "<|audio|>"
# the official loader's system message for samples without one (its use_luke_system default)
OFFICIAL_SYSTEM_PROMPT = "You are Luke, the voice AI assistant. You can speak and listen."


class DataError(ValueError):
    """A sample that cannot be used; the message names the file and line or id and path."""


@dataclass
class Sample:
    id: str
    question_text: str
    question_codes: list            # one code array per <|audio|> in the messages, in order
    messages: list
    target_text: str | None = None
    target_codes: np.ndarray | None = None
    reference: str | None = None
    style: str | None = None
    task: str | None = None
    task_type: str | None = None
    extra: dict = field(default_factory=dict)


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """Mono float32 waveform and its sample rate (multi-channel audio is averaged)."""
    wave, rate = sf.read(path, dtype="float32", always_2d=True)
    return wave.mean(axis=1), int(rate)


def _require(record, key, kind, where):
    if key not in record:
        raise DataError(f"{where}: missing field '{key}'")
    if not isinstance(record[key], kind):
        raise DataError(f"{where}: field '{key}' should be {kind.__name__ if isinstance(kind, type) else kind}, "
                        f"got {type(record[key]).__name__}")
    return record[key]


def parse_record(record, where: str) -> dict:
    """Check one JSON object against the schema; returns it. `where` is 'file:line'."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if "id" in record and not isinstance(record["id"], str):
        raise DataError(f"{where}: field 'id' should be str, got {type(record['id']).__name__}")
    messages = _require(record, "messages", list, where)
    audios = _require(record, "audios", list, where)
    if record.get("question_text") is not None and not isinstance(record["question_text"], str):
        raise DataError(f"{where}: field 'question_text' should be a string or null")
    n_placeholders = 0
    for i, m in enumerate(messages):
        if not (isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)):
            raise DataError(f"{where}: messages[{i}] needs string 'role' and 'content'")
        n_placeholders += m["content"].count(AUDIO_PLACEHOLDER)
    if not any(m["role"] == "user" for m in messages):
        raise DataError(f"{where}: messages has no user turn")
    if n_placeholders != len(audios) or not all(isinstance(a, str) for a in audios):
        raise DataError(f"{where}: {n_placeholders} {AUDIO_PLACEHOLDER} placeholders but "
                        f"{len(audios)} paths in 'audios'")
    for key in ("sft_target_text", "sft_target_audio", "reference", "style", "task", "task_type"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise DataError(f"{where}: field '{key}' should be a string or null")
    if record.get("sft_target_text") is not None:   # as the official loader cleans it: stripped, blank is none
        record["sft_target_text"] = record["sft_target_text"].strip() or None
    return record


class CodesCache:
    """The codes an earlier run encoded from a split's WAVs, so the next run does not encode
    them again (5,000 toy samples: 35 s on the slower 2-core VM, once per train.py process, so
    once per run of a study). One file per split, DIR/.codes/SPLIT.npz; it holds the encoder's
    `fingerprint` and is used only while that matches, and an entry only while its WAV has the
    size and modification time it had when encoded. Only an encoder that carries a fingerprint
    is cached: the toy codec's (a hash of codec.py and numpy's version) and GLM-4-Voice's
    (glm4voice.encoder_fingerprint: its tokenizer files and encode's source). A cache file that
    cannot be read is ignored and rewritten; one that cannot be written (a read-only data
    directory) is skipped."""

    def __init__(self, split_path: str, fingerprint: str, part: int | None = None):
        self.folder, name = os.path.split(os.path.abspath(split_path))
        # part r: what rank r encoded of the split (encode_shared), merged into the whole file by rank 0
        self.path = os.path.join(self.folder, ".codes", name + ("" if part is None else f".part{part}") + ".npz")
        self.fingerprint, self.entries, self.changed = fingerprint, {}, False
        try:
            with np.load(self.path) as f:
                meta = json.loads(str(f["meta"]))
                if meta["fingerprint"] == fingerprint:
                    codes = f["codes"]
                    self.entries = {path: (size, mtime, codes[start:end].copy())
                                    for path, size, mtime, start, end in meta["entries"]}
        except Exception:   # missing, truncated, or from another layout: start empty, rewrite on save
            self.entries = {}

    @staticmethod
    def _stamp(path):
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns

    def _key(self, path):       # relative to the split: a data directory moved with its files still hits
        return os.path.relpath(os.path.abspath(path), self.folder)

    def get(self, path: str):
        """The cached codes of the WAV at `path`, or None when absent or the file changed."""
        entry = self.entries.get(self._key(path))
        if entry is None or (entry[0], entry[1]) != self._stamp(path):
            return None
        return entry[2]

    def put(self, path: str, codes: np.ndarray):
        if codes.ndim == 1:
            self.entries[self._key(path)] = (*self._stamp(path), codes)
            self.changed = True

    def save(self):
        """Write the cache if anything was added: all at once (a temporary file renamed over
        the old one), so a reader sees the old cache or the new one, never half of one."""
        if not self.changed:
            return
        meta, chunks, start = [], [], 0
        for path, (size, mtime, codes) in self.entries.items():
            meta.append([path, size, mtime, start, start + len(codes)])
            chunks.append(codes)
            start += len(codes)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(tmp, "wb") as f:
                np.savez(f, meta=json.dumps({"fingerprint": self.fingerprint, "entries": meta}),
                         codes=np.concatenate(chunks) if chunks else np.zeros(0, np.int64))
            os.replace(tmp, self.path)
            self.changed = False
        except OSError:
            if os.path.exists(tmp):
                os.remove(tmp)


def _encode_file(sample_id, base, rel, encode, cache=None):
    path = rel if os.path.isabs(rel) else os.path.join(base, rel)
    if cache is not None and os.path.exists(path):
        codes = cache.get(path)
        if codes is not None:
            return codes
    try:
        wave, rate = read_wav(path)
    except Exception as e:  # soundfile raises several types; all mean the same to the user
        raise DataError(f"sample {sample_id}: cannot read audio {path}: {e}") from e
    try:
        codes = np.asarray(encode(wave, rate))
    except Exception as e:
        raise DataError(f"sample {sample_id}: cannot encode audio {path}: {e}") from e
    if cache is not None:
        cache.put(path, codes)
    return codes


def encoder_fingerprint(encode):
    """The fingerprint that keys an encoder's CodesCache, or None (not cached): the toy codec's
    encode carries it; a codec object's bound encode, its object (GLM4VoiceCodec)."""
    return getattr(encode, "fingerprint", None) or getattr(getattr(encode, "__self__", None), "fingerprint", None)


def wav_paths(path: str, limit: int | None = None, task_types=("s2s",)) -> list[str]:
    """The WAVs (absolute, in order, each once) that the first `limit` usable records of a split name.
    A line that does not parse is passed over: load_samples reports it."""
    base, paths, records = os.path.dirname(os.path.abspath(path)), {}, 0
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, 1):
            if limit is not None and records >= limit:
                break
            try:
                record = parse_record(json_line(raw, f"{path}:{line_no}"), f"{path}:{line_no}") if raw.strip() else None
            except DataError:
                continue
            if record is None or (task_types is not None and record.get("task_type") not in (None, *task_types)):
                continue
            records += 1
            for rel in record["audios"] + ([record["sft_target_audio"]] if record.get("sft_target_audio") else []):
                paths.setdefault(rel if os.path.isabs(rel) else os.path.join(base, rel), None)
    return list(paths)


def encode_shared(path: str, encode, rank: int, world: int, barrier, limit: int | None = None,
                  task_types=("s2s",)) -> tuple[int, int]:
    """Under torchrun, before load_samples: the split's WAVs that its codes cache lacks are encoded
    once over all ranks, not once on every rank (the first run of `--model vita` on 4 GPUs would
    otherwise run GLM-4-Voice's encoder over the whole split four times). Rank r encodes every
    world-th of them into its part file; after `barrier()` rank 0 merges the parts into the cache;
    after a second `barrier()` every rank's load_samples finds them cached. A WAV that cannot be
    read or encoded is left for load_samples to report -> (encoded here, missing in all). An
    encoder without a fingerprint (not cached), or a cache that cannot be written, leaves every
    rank to encode the whole split as before."""
    fingerprint = encoder_fingerprint(encode)
    if world <= 1 or not fingerprint:
        return 0, 0
    require_data_file(path)
    cache = CodesCache(path, fingerprint)
    missing = [p for p in wav_paths(path, limit, task_types) if os.path.exists(p) and cache.get(p) is None]
    mine, part = missing[rank::world], CodesCache(path, fingerprint, part=rank)
    for wav in tqdm(mine, desc=f"encoding {os.path.basename(path)} (1/{world} on each rank)", unit="wav",
                    leave=False, disable=None if rank == 0 else True, mininterval=1.0):
        try:
            part.put(wav, np.asarray(encode(*read_wav(wav))))
        except Exception:       # load_samples encodes it again and names the sample in its error
            continue
    part.save()
    barrier()
    if rank == 0:
        for r in range(world):
            done = CodesCache(path, fingerprint, part=r)
            cache.entries.update(done.entries)
            cache.changed |= bool(done.entries)
            try:                # gone already (another job on this data merged it): nothing to remove; never raise
                os.remove(done.path)        # between the barriers, or the other ranks wait at the second for ever
            except OSError:
                pass
        cache.save()
    barrier()
    return len(mine), len(missing)


def question_text(messages) -> str:
    """The user turns' text without audio placeholders (for lines with no question_text)."""
    parts = [m["content"].replace(AUDIO_PLACEHOLDER, "").strip() for m in messages if m["role"] == "user"]
    return "\n\n".join(p for p in parts if p)


def json_line(raw: bytes, where: str):
    """One JSONL line's value; a DataError naming `where` ('file:line') if it is not UTF-8 or not
    JSON (a line cut short: the column where it ends, not column 1 of the next line)."""
    try:
        return json.loads(raw.decode("utf-8-sig").rstrip("\r\n"))      # -sig: a BOM (Windows editors) is not data
    except UnicodeDecodeError as e:
        raise DataError(f"{where}: not UTF-8 text (byte {e.start + 1} of the line)") from None
    except json.JSONDecodeError as e:
        raise DataError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None


def require_data_file(path: str):
    """A DataError naming `path` unless it is a file (a missing one, or a directory)."""
    if not os.path.exists(path):
        raise DataError(f"{path}: no such data file (run `python data/prepare.py` for the toy data)")
    if os.path.isdir(path):
        raise DataError(f"{path}: a directory, not a JSONL data file")


def check_split(path: str, limit: int) -> int:
    """Read the first `limit` records of a JSONL split against the schema without encoding any
    audio -> how many there are (up to limit; blank lines are none). A bad line is found in a
    second (study.py checks its held-out split before hours of training), not when the first
    model is scored: a DataError naming file:line."""
    require_data_file(path)
    with open(path, "rb") as f:
        seen = 0
        for line_no, raw in enumerate(f, 1):
            if seen >= limit:
                break
            if raw.strip():
                parse_record(json_line(raw, f"{path}:{line_no}"), f"{path}:{line_no}")
                seen += 1
    return seen


def load_samples(path: str, encode, need_target: bool = False, skip_bad: bool = False,
                 limit: int | None = None, log=print, task_types=("s2s",), codes_cache: bool = True) -> list[Sample]:
    """Read a JSONL split into Samples, encoding each WAV with `encode(wave, rate) -> codes`.
    Lines with a `task_type` outside `task_types` (None: all) are skipped and counted. With
    `codes_cache` an encoder that has a `fingerprint` keeps its codes in a CodesCache."""
    require_data_file(path)
    base = os.path.dirname(os.path.abspath(path))
    samples, skipped, seen, other_tasks = [], 0, set(), {}
    fingerprint = encoder_fingerprint(encode)
    cache = CodesCache(path, fingerprint) if codes_cache and fingerprint else None
    with open(path, "rb") as f:
        total = sum(1 for _ in f)
    total = total if limit is None else min(limit, total)
    # a bar on a terminal only (disable=None): encoding the default train split takes half a minute
    with open(path, "rb") as f, tqdm(total=total, desc=f"loading {os.path.basename(path)}", unit="line",
                                     leave=False, disable=None, mininterval=1.0) as bar:
        for line_no, raw in enumerate(f, 1):
            if limit is not None and len(samples) >= limit:
                break
            bar.update(1)
            where = f"{path}:{line_no}"
            if not raw.strip():
                continue
            try:
                record = parse_record(json_line(raw, where), where)
                record.setdefault("id", f"{os.path.basename(path)}:{line_no}")
                kind = record.get("task_type")
                if task_types is not None and kind is not None and kind not in task_types:
                    other_tasks[kind] = other_tasks.get(kind, 0) + 1
                    continue
                if need_target and not (record.get("sft_target_text") and record.get("sft_target_audio")):
                    raise DataError(f"{where}: sample {record['id']} has no SFT target "
                                    f"('sft_target_text' and 'sft_target_audio')")
                if record["id"] in seen:
                    raise DataError(f"{where}: duplicate sample id {record['id']!r}")
                q_codes = [_encode_file(record["id"], base, a, encode, cache) for a in record["audios"]]
                t_codes = (_encode_file(record["id"], base, record["sft_target_audio"], encode, cache)
                           if record.get("sft_target_audio") else None)
            except DataError as e:
                if not skip_bad:
                    raise
                skipped += 1
                if skipped <= 5:
                    log(f"skipping: {e}")
                continue
            seen.add(record["id"])
            known = {"id", "messages", "audios", "question_text", "sft_target_text", "sft_target_audio",
                     "reference", "style", "task", "task_type"}
            samples.append(Sample(
                id=record["id"], question_text=record.get("question_text") or question_text(record["messages"]),
                question_codes=q_codes, task_type=record.get("task_type"),
                messages=record["messages"], target_text=record.get("sft_target_text"),
                target_codes=t_codes, reference=record.get("reference"), style=record.get("style"),
                task=record.get("task"), extra={k: v for k, v in record.items() if k not in known}))
    if cache is not None:
        cache.save()
    if skipped:
        log(f"{path}: skipped {skipped} bad sample(s), kept {len(samples)}")
    if other_tasks:
        log(f"{path}: skipped {sum(other_tasks.values())} sample(s) of task_type {other_tasks} "
            f"(keeping {list(task_types)})")
    if not samples:
        raise DataError(f"{path}: no usable samples")
    return samples


def normalise_text(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: how answers are compared."""
    kept = "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower())
    return " ".join(kept.split())


def answer_matches(reply_text: str, reference: str) -> bool:
    """Exact-answer check: every toy reply ends with its answer ("3 plus 4 is 7")."""
    reply, ref = normalise_text(reply_text).split(), normalise_text(reference).split()
    return bool(ref) and reply[-len(ref):] == ref


# The toy world's version: data/prepare.py writes it into data/toy/manifest.json. Bump it when
# prepare's output for the same flags changes (3: the 40% habit and the 1,200 held-out questions).
TOY_WORLD = 3


def check_toy_world(data_dir: str):
    """Refuse a data dir that an earlier data/prepare.py wrote (no manifest, or an older world):
    its base and every run trained on it belong to another world. One-line DataError."""
    path = os.path.join(data_dir, "manifest.json")
    try:
        with open(path) as f:
            world = json.load(f).get("world")
    except FileNotFoundError:
        world = None
    except (OSError, ValueError, AttributeError) as e:
        raise DataError(f"{path}: unreadable manifest ({e})") from e
    if world != TOY_WORLD:
        raise DataError(f"{data_dir} was made by an earlier data/prepare.py (toy world {world}, this code "
                        f"expects {TOY_WORLD}): delete it and out/base-tiny-vita, then run again")


LEAD_IN_ENDS = ("is", "said")      # every toy task's lead-in ends so: "3 plus 4 is", "you said"


def stops_before_answer(reply_text: str) -> bool:
    """A toy reply that ends on its lead-in ("3 plus 4 is") or says nothing: the demonstrations'
    habit (data/prepare.py's `incomplete`), which RL can correct and SFT on them cannot."""
    words = normalise_text(reply_text).split()
    return not words or words[-1] in LEAD_IN_ENDS
