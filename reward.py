"""Rewards from an audio-capable LLM judge over HTTP, and a local judge for the toy world.

Client (used by train.py and eval.py):

    judge = JudgeClient(url, model="gemini-2.5-pro", api_key=..., concurrency=32)
    result = judge.score(items, mode="holistic")   # or mode="split", semantic_weight=0.7
    result.rewards   # one float per item, None where no score could be had
    result.scores    # per axis: list of int 1-5 or None
    result.stats     # calls, retries, failures, latency

It speaks OpenAI-compatible chat/completions: the system message is a rubric for
one axis (semantic, acoustic or holistic, paraphrasing the paper's Appendix F),
the user content carries the question, an optional reference answer, the reply's
transcript and the reply audio as `input_audio` (a base64 WAV written at the
waveform's own sample rate). The judge answers with a justification and
`<score>N</score>`, N an integer 1-5. All calls of a step run concurrently in a
bounded pool with a timeout, and retries with jittered exponential backoff on
timeouts, connection errors, 429 and 5xx (never on other 4xx). A score that
cannot be had or parsed is None, never a default number.

Local judge (the toy world's stand-in for Gemini / GPT-4o-audio):

    python reward.py serve --host 127.0.0.1 --port 8000 [--semantic-noise 0.5 --acoustic-noise 1.0]

It answers the same requests on the same path with the same JSON. Semantic: the
transcript against the reference answer. Acoustic: the waveform alone through
the toy codec's analyser (intelligibility against the transcript, adherence to
the style the question asks for, smoothness). Holistic: 0.7 content + 0.3
delivery, as the official split reward weighs them. Optional seeded
Gaussian noise per axis (in Likert points) emulates an unreliable judge; with
none it is the noise-free "human rater" of eval.py's agreement analysis.

Deviations from the official release (utils/vita_audio_rewards.py):
  1. A failed or unparsable call is None and is excluded downstream; the official
     client returns 2.5, which then enters the advantage and the gate.
  2. Calls run concurrently (the official client is sequential: G x retries x
     timeout per prompt).
  3. The WAV header carries the true sample rate (the official one says 24 kHz
     for 22.05 kHz VITA-Audio audio, so the judge hears sped-up speech).
  4. The reference answer is sent when the sample has one (the official prompt
     has the question and transcript only).
"""
import argparse
import base64
import difflib
import hashlib
import io
import json
import math
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import soundfile as sf

AXES = ("semantic", "acoustic", "holistic")
SCORE_RE = re.compile(r"<score>\s*([0-9]+(?:\.[0-9]+)?)\s*</score>", re.IGNORECASE)

# ---------------------------------------------------------------- rubrics (paper Appendix F, in our words)

_REPLY_FORMAT = """Reply in exactly this format:
<justification>two or three sentences on why</justification>
<score>an integer from 1 to 5</score>"""

RUBRICS = {
    "semantic": """You grade the CONTENT of a spoken assistant's answer. Scoring axis: semantic.
You are given the user's question, possibly a reference answer, and a transcript of the spoken reply.
Judge only what the transcript says; ignore the voice, accent and delivery entirely.
Consider: (1) accuracy and relevance: does it answer this question correctly?
(2) depth and completeness: are the key details or steps there? (3) structure and coherence.
5 fully correct, direct and well organised; 4 mostly correct with a minor slip or omission;
3 partly correct or on topic with a clear gap; 2 mostly wrong, misleading or broken;
1 wrong, off topic, incoherent or empty. Between two levels, choose the lower.
""" + _REPLY_FORMAT,
    "acoustic": """You grade the DELIVERY of a spoken assistant's answer. Scoring axis: acoustic.
Listen to the audio. Ignore whether the content is factually right.
Consider: (1) clarity: is every word intelligible? (2) fluency: no stutters, clicks or abrupt jumps;
(3) pronunciation; (4) emotional fit: does the tone suit the request (for example "say it happily")?
(5) pace and prosody: speed, pauses, loudness and pitch as the request asks.
Do not penalise a synthetic timbre when the delivery is otherwise clear and fitting.
5 clear, smooth and fitting; 4 small artefacts; 3 understandable with noticeable problems;
2 hard to follow or clearly mismatched delivery; 1 largely unintelligible or silent.
""" + _REPLY_FORMAT,
    "holistic": """You grade a spoken assistant's answer as a whole. Scoring axis: holistic.
You are given the user's question, possibly a reference answer, a transcript, and the reply audio.
Content comes first (a correct, complete, coherent answer to this question), then delivery
(intelligible, fluent, with the tone, pace and loudness the request asks for).
5 excellent in both; 4 right with flawed delivery or a minor content slip; 3 wrong but well
delivered, or partly right; 2 poor; 1 wrong and badly delivered, or empty.
""" + _REPLY_FORMAT,
}


def user_text(question, transcript, reference=None):
    parts = [f"Question:\n{question}"]
    if reference:
        parts.append(f"Reference answer:\n{reference}")
    parts.append(f"Transcript of the reply:\n{transcript if transcript.strip() else '[empty]'}")
    return "\n\n".join(parts)


def wav_base64(wave, rate) -> str:
    """A 16-bit PCM WAV at the waveform's own rate, base64 encoded."""
    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(wave, dtype=np.float32), -1.0, 1.0), int(rate), format="WAV", subtype="PCM_16")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def build_request(model, axis, question, transcript, wave, rate, reference=None, seed=None) -> dict:
    body = {"model": model, "temperature": 0.0, "messages": [
        {"role": "system", "content": RUBRICS[axis]},
        {"role": "user", "content": [
            {"type": "text", "text": user_text(question, transcript, reference)},
            {"type": "input_audio", "input_audio": {"data": wav_base64(wave, rate), "format": "wav"}},
        ]}]}
    if seed is not None:
        body["seed"] = int(seed)
    return body


def parse_score(content) -> int | None:
    """The integer in <score>..</score> if it is 1-5, else None."""
    if not isinstance(content, str):
        return None
    m = SCORE_RE.search(content)
    if not m:
        return None
    value = float(m.group(1))
    return int(value) if value.is_integer() and 1 <= value <= 5 else None


# ---------------------------------------------------------------- client

@dataclass
class JudgeItem:
    question: str
    transcript: str
    wave: np.ndarray
    rate: int
    reference: str | None = None
    seed: int | None = None        # sent as the request's `seed` (raters in eval.py's side-by-side)


@dataclass
class JudgeResult:
    rewards: list                  # float | None per item
    scores: dict                   # axis -> list of int | None
    stats: dict = field(default_factory=dict)


class JudgeClient:
    """Concurrent OpenAI-compatible judge client. The API key is never printed."""

    def __init__(self, url, model="local-judge", api_key=None, timeout=60.0, retries=4,
                 concurrency=32, backoff=1.0, max_backoff=30.0):
        self.url, self.model, self.timeout = url, model, timeout
        self.retries, self.backoff, self.max_backoff = retries, backoff, max_backoff
        self._api_key = api_key
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="judge")
        self._local = threading.local()
        self._rng = random.Random()

    def __repr__(self):
        return f"JudgeClient(url={self.url!r}, model={self.model!r}, key={'set' if self._api_key else 'none'})"

    def close(self):
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _session(self):
        import requests
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _call(self, body) -> tuple[int | None, int, float, str]:
        """One scored call with retries -> (score or None, retries used, seconds, error)."""
        import requests
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        t0, error = time.perf_counter(), ""
        for attempt in range(self.retries + 1):
            retry_after = None
            try:
                resp = self._session().post(self.url, data=json.dumps(body), headers=headers, timeout=self.timeout)
                if resp.status_code == 200:
                    try:
                        content = resp.json()["choices"][0]["message"]["content"]
                    except (ValueError, KeyError, IndexError, TypeError):
                        return None, attempt, time.perf_counter() - t0, "unparsable response body"
                    score = parse_score(content)
                    return score, attempt, time.perf_counter() - t0, "" if score else "no score 1-5 in reply"
                error = f"HTTP {resp.status_code}"
                if resp.status_code != 429 and resp.status_code < 500:
                    return None, attempt, time.perf_counter() - t0, error   # other 4xx: retrying won't help
                retry_after = resp.headers.get("Retry-After")
            except requests.Timeout:
                error = "timeout"
            except requests.ConnectionError:
                error = "connection error"
            if attempt < self.retries:
                delay = min(self.max_backoff, self.backoff * 2 ** attempt) * self._rng.uniform(0.5, 1.5)
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    delay = min(self.max_backoff, float(retry_after))
                time.sleep(delay)
        return None, self.retries, time.perf_counter() - t0, error

    def score(self, items, mode="holistic", semantic_weight=0.7) -> JudgeResult:
        """Score every item on the axes `mode` needs, all calls concurrently.
        mode 'holistic': reward = holistic score. mode 'split': reward =
        w * semantic + (1 - w) * acoustic (None if either is missing)."""
        axes = {"holistic": ["holistic"], "split": ["semantic", "acoustic"],
                "all": ["semantic", "acoustic", "holistic"]}[mode]
        t0 = time.perf_counter()
        jobs = [(axis, i) for axis in axes for i in range(len(items))]
        futures = [self._pool.submit(self._call, build_request(
            self.model, axis, it.question, it.transcript, it.wave, it.rate, it.reference, it.seed))
            for axis, it in ((a, items[i]) for a, i in jobs)]
        scores = {axis: [None] * len(items) for axis in axes}
        retries, latencies, errors = 0, [], {}
        for (axis, i), fut in zip(jobs, futures):
            score, n_retries, seconds, error = fut.result()
            scores[axis][i] = score
            retries += n_retries
            latencies.append(seconds)
            if error and score is None:
                errors[error] = errors.get(error, 0) + 1
        if mode == "split":
            w = semantic_weight
            rewards = [None if s is None or a is None else w * s + (1 - w) * a
                       for s, a in zip(scores["semantic"], scores["acoustic"])]
        else:
            rewards = [None if h is None else float(h) for h in scores["holistic"]]
        stats = {"calls": len(jobs), "retries": retries,
                 "failures": sum(s is None for axis in axes for s in scores[axis]),
                 "reward_missing": sum(r is None for r in rewards), "errors": errors,
                 "latency_mean": float(np.mean(latencies)) if latencies else 0.0,
                 "latency_max": float(np.max(latencies)) if latencies else 0.0,
                 "seconds": time.perf_counter() - t0}
        return JudgeResult(rewards=rewards, scores=scores, stats=stats)


def rollout_items(batch, seed=None) -> list:
    """JudgeItems for every reply of a rollout.Rollout (question, reference, transcript, audio)."""
    return [JudgeItem(question=batch.sample_of(i).question_text, transcript=batch.texts[i], wave=batch.waves[i],
                      rate=batch.rates[i], reference=batch.sample_of(i).reference, seed=seed)
            for i in range(len(batch.texts))]


# ---------------------------------------------------------------- the toy judge's scoring

FILLER = {"is", "the", "count", "backwards", "you", "said"}   # words of the toy answer templates
HOLISTIC_WEIGHT = 0.7   # content first, as the official split reward (0.7 semantic / 0.3 acoustic)


def _words(text):
    kept = "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower())
    return kept.split()


def semantic_score(question, transcript, reference) -> int:
    """Likert 1-5 for the content: the final words against the reference answer."""
    words, ref = _words(transcript), _words(reference or "")
    if not words:
        return 1
    if not ref:          # no reference: on-topic-ness only
        return 3 if set(words) & set(_words(question)) else 2
    known = set(_words(question)) | set(ref) | FILLER
    junk = sum(w not in known for w in words) / len(words)
    tail = words[-len(ref):]
    if tail == ref:
        return 5 if junk == 0 else 4
    near = difflib.SequenceMatcher(None, " ".join(tail), " ".join(ref)).ratio() >= 0.6
    if len(ref) == 1 and ref[0].isdigit() and tail and tail[-1].isdigit():
        near = abs(int(tail[-1]) - int(ref[0])) == 1
    if near:
        return 3
    return 2 if junk <= 0.34 else 1


def requested_style(question):
    """The style word in '... say it <style>', if it is one the toy voice knows."""
    import codec
    m = re.search(r"say it (\w+)", question.lower())
    return m.group(1) if m and m.group(1) in codec.STYLES else None


def acoustic_report(wave, rate, transcript, question) -> dict:
    """What the toy judge hears: intelligibility, style fit and smoothness of the audio."""
    import codec
    codes = codec.encode(wave, rate)
    heard = codec.hear(codes).replace(" ", "")
    said = "".join(c for c in transcript.lower() if c in codec.SYMBOLS)
    p = codec.prosody(codes)
    spec = codec.STYLES[requested_style(question)]
    intel = difflib.SequenceMatcher(None, heard, said).ratio() if heard and said else 0.0
    lo, hi = spec["contour"]
    gaps = len(transcript.split()) - 1       # word gaps the reply should have spoken
    pace_off = abs(p["pauses"] / gaps - spec["pauses"]) if gaps > 0 else 0.0
    return {"voiced": p["voiced"], "intelligibility": intel,
            "loudness_off": abs(p["loudness"] - spec["loudness"]), "pace_off": pace_off,
            "pitch_off": abs(p["pitch"] - (lo + hi) / 2), "jump_rate": p["jumps"] / max(1, p["voiced"] - 1)}


def acoustic_score(wave, rate, transcript, question) -> int:
    """Likert 1-5 for the delivery: start at 5, lose points for what the analyser hears."""
    r = acoustic_report(wave, rate, transcript, question)
    if r["voiced"] == 0:
        return 1
    i = r["intelligibility"]
    score = 5 - (0 if i >= 0.95 else 1 if i >= 0.85 else 2 if i >= 0.6 else 3)
    score -= min(2, int(round(r["loudness_off"])))        # each loudness level off
    score -= 1 if r["pace_off"] >= 0.75 else 0            # pauses per word gap
    score -= 1 if r["pitch_off"] >= 0.75 else 0           # pitch contour (happy high, sad low)
    score -= 1 if r["jump_rate"] > 0.1 else 0             # abrupt jumps
    return max(1, score)


# ---------------------------------------------------------------- the local judge server

MAX_BODY = 8 * 1024 * 1024


class BadRequest(Exception):
    pass


def _section(text, header):
    m = re.search(rf"{header}:\n(.*?)(?:\n\n[A-Z][a-z ]+:\n|\Z)", text, re.S)
    return m.group(1).strip() if m else None


def parse_judge_request(body: dict):
    """-> (axis, question, reference, transcript, wave, rate, seed); raises BadRequest."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise BadRequest("body must be a JSON object with a 'messages' list")
    system = " ".join(m.get("content", "") for m in body["messages"]
                      if isinstance(m, dict) and m.get("role") == "system" and isinstance(m.get("content"), str))
    axis = re.search(r"Scoring axis:\s*(semantic|acoustic|holistic)", system)
    if not axis:
        raise BadRequest("the system message names no 'Scoring axis: semantic|acoustic|holistic'")
    text, audio = None, None
    for m in body["messages"]:
        if not isinstance(m, dict) or m.get("role") != "user":
            continue
        content = m.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        for part in parts:
            if not isinstance(part, dict):
                raise BadRequest("user content parts must be objects")
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                text = part["text"]
            elif part.get("type") == "input_audio":
                audio = part.get("input_audio")
    if text is None:
        raise BadRequest("no text part in the user message")
    question, transcript = _section(text, "Question"), _section(text, "Transcript of the reply")
    if question is None or transcript is None:
        raise BadRequest("the user text needs 'Question:' and 'Transcript of the reply:' sections")
    if transcript == "[empty]":
        transcript = ""
    if not isinstance(audio, dict) or not isinstance(audio.get("data"), str):
        raise BadRequest("no input_audio part with base64 'data'")
    if audio.get("format", "wav") != "wav":
        raise BadRequest(f"audio format {audio.get('format')!r} unsupported; send wav")
    try:
        raw = base64.b64decode(audio["data"], validate=True)
    except ValueError as e:
        raise BadRequest(f"input_audio data is not valid base64: {e}") from None
    try:
        wave, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
    except Exception as e:
        raise BadRequest(f"input_audio is not a readable WAV: {e}") from None
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise BadRequest("'seed' must be an integer")
    return axis.group(1), question, _section(text, "Reference answer"), transcript, wave.mean(1), int(rate), seed


class ToyJudge:
    """Scores parsed requests; noise is seeded by the request's content, so the same
    request always gets the same score (reproducible runs, whatever the call order)."""

    def __init__(self, semantic_noise=0.0, acoustic_noise=0.0, seed=0):
        self.noise = {"semantic": semantic_noise, "acoustic": acoustic_noise}
        self.seed = seed

    def _noise(self, axis, key):
        sd = self.noise[axis]
        if sd <= 0:
            return 0.0
        digest = hashlib.sha256(f"{self.seed}|{axis}|{key}".encode()).digest()
        return float(np.random.default_rng(int.from_bytes(digest[:8], "little")).normal(0.0, sd))

    def score(self, axis, question, reference, transcript, wave, rate, seed=None, audio_key=""):
        key = f"{seed}|{question}|{transcript}|{audio_key}"
        sem = semantic_score(question, transcript, reference) + self._noise("semantic", key)
        ac = acoustic_score(wave, rate, transcript, question) + self._noise("acoustic", key)
        value = {"semantic": sem, "acoustic": ac, "holistic": HOLISTIC_WEIGHT * sem + (1 - HOLISTIC_WEIGHT) * ac}[axis]
        return int(min(5, max(1, math.floor(value + 0.5)))), sem, ac


def make_handler(judge: ToyJudge, stats: dict, lock: threading.Lock, hold: float = 0.0):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):   # quiet: one line per request would swamp training logs
            pass

        def _send(self, code, payload):
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):   # the client gave up (e.g. its timeout)
                self.close_connection = True

        def _error(self, code, message):
            self._send(code, {"error": {"message": message, "type": "invalid_request_error", "code": code}})

        def do_GET(self):
            if self.path in ("/health", "/v1/health"):
                return self._send(200, {"status": "ok"})
            if self.path == "/stats":
                with lock:
                    return self._send(200, dict(stats))
            return self._error(404, f"unknown path {self.path}")

        def do_POST(self):
            if self.path not in ("/v1/chat/completions", "/chat/completions"):
                return self._error(404, f"unknown path {self.path}")
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self._error(411, "Content-Length required")
            if length > MAX_BODY:
                self.close_connection = True    # do not read a body we refuse
                return self._error(413, f"body of {length} bytes exceeds {MAX_BODY}")
            with lock:
                stats["in_flight"] += 1
                stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
                stats["requests"] += 1
            try:
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except (ValueError, UnicodeDecodeError) as e:
                    return self._error(400, f"malformed JSON: {e}")
                try:
                    axis, question, reference, transcript, wave, rate, seed = parse_judge_request(body)
                    score, sem, ac = judge.score(axis, question, reference, transcript, wave, rate, seed,
                                                 audio_key=hashlib.sha1(raw).hexdigest())
                except BadRequest as e:
                    return self._error(400, str(e))
                except ValueError as e:             # e.g. an unsupported sample rate
                    return self._error(400, f"cannot score this audio: {e}")
                if hold:
                    time.sleep(hold)                # tests use it to observe concurrency
                content = (f"<justification>Toy judge, {axis} axis: content {sem:.2f}, delivery {ac:.2f}."
                           f"</justification>\n<score>{score}</score>")
                self._send(200, {"id": f"toy-{stats['requests']}", "object": "chat.completion",
                                 "created": int(time.time()), "model": body.get("model", "local-judge"),
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": content}}],
                                 "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})
            except Exception as e:                  # never crash on input
                self._error(500, f"internal error: {type(e).__name__}: {e}")
            finally:
                with lock:
                    stats["in_flight"] -= 1
    return Handler


def make_server(host="127.0.0.1", port=0, semantic_noise=0.0, acoustic_noise=0.0, seed=0, hold=0.0):
    stats = {"requests": 0, "in_flight": 0, "max_in_flight": 0}
    handler = make_handler(ToyJudge(semantic_noise, acoustic_noise, seed), stats, threading.Lock(), hold)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


class LocalJudge:
    """Run `reward.py serve` as a subprocess on a free loopback port; stop it on exit.

        with LocalJudge(semantic_noise=0.5) as judge:
            client = JudgeClient(judge.url)
    """

    def __init__(self, semantic_noise=0.0, acoustic_noise=0.0, seed=0, startup_timeout=30.0):
        self.args = ["--semantic-noise", str(semantic_noise), "--acoustic-noise", str(acoustic_noise),
                     "--seed", str(seed)]
        self.startup_timeout, self.proc, self.url = startup_timeout, None, None

    def start(self):
        import requests
        cmd = [sys.executable, os.path.abspath(__file__), "serve", "--host", "127.0.0.1", "--port", "0", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()             # "listening on http://127.0.0.1:PORT"
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not m:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            raise RuntimeError(f"local judge failed to start: {line.strip()} {err.strip()}")
        base = f"http://127.0.0.1:{m.group(1)}"
        deadline = time.time() + self.startup_timeout
        while True:
            try:
                if requests.get(base + "/health", timeout=1.0).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("local judge did not become healthy")
            time.sleep(0.05)
        self.url = base + "/v1/chat/completions"
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def add_judge_args(parser):
    """The judge flags shared by train.py and eval.py."""
    g = parser.add_argument_group("judge")
    g.add_argument("--judge-url", default=os.environ.get("WAVALIGN_JUDGE_URL"),
                   help="OpenAI-compatible chat/completions URL; unset = start the local toy judge")
    g.add_argument("--judge-model", default=os.environ.get("WAVALIGN_JUDGE_MODEL", "local-judge"),
                   help="model name sent to the judge")
    g.add_argument("--judge-key-env", default="WAVALIGN_JUDGE_API_KEY",
                   help="name of the environment variable holding the API key (never printed)")
    g.add_argument("--judge-timeout", type=float, default=60.0, help="seconds per call")
    g.add_argument("--judge-retries", type=int, default=4, help="retries on timeout, connection error, 429, 5xx")
    g.add_argument("--judge-concurrency", type=int, default=32, help="calls in flight at once")
    g.add_argument("--reward-mode", default="holistic", choices=["holistic", "split"],
                   help="holistic: one score; split: w*semantic + (1-w)*acoustic")
    g.add_argument("--semantic-weight", type=float, default=0.7, help="w for --reward-mode split")
    g.add_argument("--judge-semantic-noise", type=float, default=0.0, help="local judge: semantic noise (Likert sd)")
    g.add_argument("--judge-acoustic-noise", type=float, default=0.0, help="local judge: acoustic noise (Likert sd)")
    return g


def open_judge(args, stack):
    """Client for --judge-url, or for a local judge started (and stopped via `stack`) here."""
    url = args.judge_url
    if not url:
        local = stack.enter_context(LocalJudge(args.judge_semantic_noise, args.judge_acoustic_noise, args.seed))
        url = local.url
    client = JudgeClient(url, args.judge_model, os.environ.get(args.judge_key_env), args.judge_timeout,
                         args.judge_retries, args.judge_concurrency)
    stack.callback(client.close)
    return client


def main():
    ap = argparse.ArgumentParser(description="The local toy judge (an OpenAI-compatible chat/completions server).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve the toy judge over HTTP")
    s.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    s.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    s.add_argument("--semantic-noise", type=float, default=0.0, help="Gaussian noise sd on semantic scores")
    s.add_argument("--acoustic-noise", type=float, default=0.0, help="Gaussian noise sd on acoustic scores")
    s.add_argument("--seed", type=int, default=0, help="noise seed")
    args = ap.parse_args()
    server = make_server(args.host, args.port, args.semantic_noise, args.acoustic_noise, args.seed)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}/v1/chat/completions", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
