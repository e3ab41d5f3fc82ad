"""The local judge: the toy world's stand-in for Gemini / GPT-4o-audio, over HTTP.

    python judge.py serve --host 127.0.0.1 --port 8000 [--noise llm] [--semantic-noise 0.5 --acoustic-noise 1.0]
    python judge.py read body.json                 # how it reads a request of your own, and what it answers
    python reward.py serve ...                     # the same

It answers the requests `reward.JudgeClient` sends to any OpenAI-compatible judge,
on the same path with the same JSON, so the client cannot tell it from a real one:

  score    a rubric naming "Scoring axis: semantic | acoustic | holistic", the question,
           an optional reference answer, the transcript and the reply audio
           -> "<justification>...</justification><score>N</score>", N in 1-5;
  compare  a rubric naming "Comparison axis: helpfulness | naturalness | overall" and two
           replies (transcripts and audio, A then B) -> "<choice>A|B|tie</choice>".

It also reads judge prompts written by others, as an LLM judge would: judge_request.py
finds a request's inputs (question, transcript, audio) and its rubric, judge_axis.py reads the
rubric's axis, judge_rubric.py its scale and answer format, and writes the answer in the form it
names. With no
reference answer in the request the judge knows the toy world's answer to the question
(toy_reference), as a real judge knows 3 plus 4.

Scoring. Semantic: the transcript's final words against the reference answer (every
toy reply ends with its answer), with penalties for words that belong nowhere.
Acoustic: the waveform alone through the toy codec's analyser: intelligibility
against the transcript, adherence to the style the question asks for (loudness,
pauses per word gap, pitch contour) and smoothness. Holistic: 0.7 content + 0.3
delivery, as the official split reward weighs them. A comparison compares the two
replies' scores on the axis it names.

Two raters in one file. With no noise it is the noise-free "human rater" (eval.py's
scores, the closing summary of train.py, the reference of the agreement analysis).
`--noise llm` makes it the unreliable "LLM judge" that trains by default: the paper's
condition 1 (Obs. 2, Appendix A), its profile fitted to Table 5 by calibrate.py. Per axis the
judge's value is  3 + shrink * (clean - 3) + bias + sd * z,  z ~ N(0, 1), then rounded
to a Likert integer: a compressed range, a bias and noise, as Table 5 shows for this
judge (0.66 / 0.90 points below the humans on average; its acoustic scores keep little
of the human ranking within a prompt). `--semantic-noise` / `--acoustic-noise` add Gaussian
noise (Likert sd) on top. All noise is seeded by the request's content and its `seed`
field: the same request always gets the same score, and raters with different seeds
disagree as real judges do. train.py and the agreement analysis send each reply its own
seed (reward.rollout_items), so two identical replies in a group are two calls that may
score differently, as a sampling LLM judge's do.

`--latency SECONDS` (with `--latency-jitter`, a fraction, seeded) makes every answer wait
as a remote audio LLM's would, to measure the judge phase as it behaves against a service.

Robustness: malformed JSON, no messages, no audio, bad base64 or a non-WAV payload get a 400
with a JSON error body; a body over the cap 413; an unknown path 404; /health answers;
requests are served in parallel and scored in `--workers` processes (default: one a core, up
to 4: the scoring is Python under one GIL, and the trainer's cores idle while it waits); it
binds to loopback by default and never crashes on input. `LocalJudge` runs it as a subprocess
on a free loopback port for train.py and eval.py, and stops it on exit.

Deviations from the paper's judge (Gemini-2.5-Pro) and the official release's client:
  1. It scores the toy world only: the answer is checked against the reference (or the toy
     question's own answer) and the delivery through the toy codec's analyser; no language
     understanding beyond that.
  2. Its unreliability is a noise model (shrink, bias, Gaussian noise per reply), not a model's
     real failure modes (its fit to Table 5: calibrate.py).
  3. A request it cannot score gets a 400, never a default score (the official client turns
     a failure into 2.5).
"""
import contextlib
import difflib
import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

import cli
from judge_inputs import known_words, plain_words, toy_reference
from judge_request import MAX_BODY, BadRequest, parse_judge_request
from judge_rubric import PAIR_AXES, answer_format, render
from judge_scale import rescale


# ---------------------------------------------------------------- scoring

HOLISTIC_WEIGHT = 0.7   # content first, as the official split reward (0.7 semantic / 0.3 acoustic)
# `serve`'s scoring processes: the trainer waits for the judge, so its cores are free meanwhile
DEFAULT_WORKERS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def semantic_score(question, transcript, reference) -> int:
    """Likert 1-5 for the content: the final words against the reference answer (a wrong number is near, 3, only when
    one off and its other words the reference's, however many words the reference writes)."""
    words, ref = plain_words(transcript), plain_words(reference or "")
    if not words:
        return 1
    if not ref:          # no reference: on-topic-ness only
        return 3 if set(words) & set(plain_words(question)) else 2
    known = known_words(question, reference)
    junk = sum(w not in known for w in words) / len(words)
    tail = words[-len(ref):]
    if tail == ref:
        return 5 if junk == 0 else 4
    if ref[-1].isdigit() and tail and tail[-1].isdigit():      # a number is near only one off, whatever words lead to it
        near = abs(int(tail[-1]) - int(ref[-1])) == 1 and tail[:-1] == ref[:-1]     # ("the smaller is 52" is not near
        #                                                                               "the smaller is 25", as it is not "25")
    else:                                                       # a word: near by its spelling ("kcro" for "kcor")
        near = difflib.SequenceMatcher(None, " ".join(tail), " ".join(ref)).ratio() >= 0.6
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
            "pitch_off": abs(p["pitch"] - (lo + hi) / 2), "jump_rate": p["jumps"] / max(1, len(heard) - 1)}   # per character heard


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


# Noise models per axis: value = 3 + shrink * (clean - 3) + bias + sd * z. "llm" was fitted
# (calibrate.py's grid search, README "The toy world") to Table 5 on the default base's rollouts.
NOISE_PROFILES = {
    "none": {},
    "llm": {"semantic": {"shrink": 0.95, "bias": -1.2, "sd": 1.2},
            "acoustic": {"shrink": 0.7, "bias": -0.15, "sd": 1.9}},
}


def judge_value(clean, shrink=1.0, bias=0.0, sd=0.0, z=0.0):
    """The noisy judge's unrounded value for a noise-free score: a compressed range around
    the scale's middle (3), a bias and Gaussian noise of draw z (the noise model above)."""
    return 3.0 + shrink * (clean - 3.0) + bias + sd * z


def likert(value) -> int:
    """A value rounded half up and clamped to the 1-5 scale."""
    return int(min(5, max(1, math.floor(value + 0.5))))


class ToyJudge:
    """Scores parsed requests; noise is seeded by the request's content and seed, so the
    same request always gets the same answer (reproducible runs, whatever the call order).
    `noise` names a NOISE_PROFILES entry; semantic_noise / acoustic_noise add Gaussian sd."""

    def __init__(self, semantic_noise=0.0, acoustic_noise=0.0, seed=0, noise="none"):
        if noise not in NOISE_PROFILES:
            raise ValueError(f"judge noise {noise!r}: one of {', '.join(NOISE_PROFILES)}")
        self.profile = {axis: dict(NOISE_PROFILES[noise].get(axis, {})) for axis in ("semantic", "acoustic")}
        for axis, extra in (("semantic", semantic_noise), ("acoustic", acoustic_noise)):
            sd = self.profile[axis].get("sd", 0.0)
            self.profile[axis]["sd"] = math.sqrt(sd ** 2 + extra ** 2)      # independent noises add in variance
        self.seed = seed

    def _draw(self, axis, key) -> float:
        """A standard normal draw fixed by (judge seed, axis, request key)."""
        digest = hashlib.sha256(f"{self.seed}|{axis}|{key}".encode()).digest()
        return float(np.random.default_rng(int.from_bytes(digest[:8], "little")).normal())

    def _noise(self, axis, clean, key) -> float:
        """The judge's unrounded value on an axis for the noise-free score `clean`."""
        p = self.profile[axis]
        if not p.get("sd") and p.get("shrink", 1.0) == 1.0 and not p.get("bias"):
            return float(clean)
        return judge_value(clean, z=self._draw(axis, key) if p.get("sd") else 0.0, **p)

    def score(self, axis, question, reference, transcript, wave, rate, seed=None):
        """-> (Likert 1-5 on the axis, semantic value, acoustic value) for one reply."""
        key = f"{seed}|{question}|{transcript}|{hashlib.sha1(np.asarray(wave).tobytes()).hexdigest()}|{rate}"
        sem = ac = float("nan")          # only what the axis needs: the acoustic analysis is the costly part
        if axis in ("semantic", "holistic"):
            sem = self._noise("semantic", semantic_score(question, transcript, reference), key)
        if axis in ("acoustic", "holistic"):
            ac = self._noise("acoustic", acoustic_score(wave, rate, transcript, question), key)
        value = {"semantic": sem, "acoustic": ac, "holistic": HOLISTIC_WEIGHT * sem + (1 - HOLISTIC_WEIGHT) * ac}[axis]
        return likert(value), sem, ac

    def answer(self, req) -> str:
        """The reply text a real judge would write for a parsed request, in the format its
        rubric asks for (req["format"], from answer_format; ours when it names none)."""
        fmt = req.get("format") or answer_format("", req["mode"] == "compare")
        reference = req["reference"] or toy_reference(req["question"])   # as a real judge knows 3 plus 4
        if req["mode"] == "score":
            values, notes = [], []
            for name, slot_axis in fmt["slots"]:
                axis = slot_axis or req["axis"]
                score, sem, ac = self.score(axis, req["question"], reference, *req["replies"][0], seed=req["seed"])
                value = rescale(score, fmt["scale"], fmt.get("levels"))
                if fmt.get("digits") and isinstance(value, (int, float)) and fmt["style"] != "json":
                    value = f"{value:.{fmt['digits']}f}"        # 0.50 where the rubric shows or names two decimals
                values.append((name, value))
                heard = ", ".join(f"{k} {v:.2f}" for k, v in (("content", sem), ("delivery", ac)) if not math.isnan(v))
                notes.append(f"{axis} axis: {heard}")
            return render(fmt["style"], f"Toy judge, {'; '.join(notes)}.", values, fmt.get("suffix", ""),
                          fmt.get("template"), fmt.get("alone", False))
        axis = PAIR_AXES.get(req["axis"], req["axis"])
        a, b = (self.score(axis, req["question"], reference, *reply, seed=req["seed"])[0]
                for reply in req["replies"])
        first, second = fmt.get("labels") or req.get("labels") or ["A", "B"]    # the verdict's labels ([[1]]) first
        choice = first if a > b else second if b > a else fmt["tie"]
        if a == b and fmt.get("forced"):      # no tie offered: the one better overall, else the first
            overall = [self.score("holistic", req["question"], reference, *reply, seed=req["seed"])[0] for reply in req["replies"]]
            choice = first if overall[0] >= overall[1] else second
        return render(fmt["style"], f"Toy judge, {req['axis']}: {first} {a}, {second} {b}.", [(fmt["slots"][0][0], choice)],
                      template=fmt.get("template"), alone=fmt.get("alone", False))


# ---------------------------------------------------------------- the server


def emulated_latency(latency, jitter, body: bytes, seed=0) -> float:
    """Seconds an emulated API call waits before answering: latency * (1 + jitter * (2u - 1)),
    u uniform in [0, 1) from a hash of (seed, request body), so the same request always waits
    as long and the mean over requests is `latency` (bounds latency * (1 -+ jitter))."""
    if latency <= 0:
        return 0.0
    digest = hashlib.sha256(str(seed).encode() + b"\0" + body).digest()
    u = int.from_bytes(digest[:8], "big") / 2 ** 64
    return latency * (1.0 + jitter * (2.0 * u - 1.0))


def answer_body(judge: ToyJudge, raw: bytes) -> tuple:
    """One request body -> (HTTP status, the judge's reply text or the error message, the model
    name to echo). Never raises: a body it cannot judge gets a 4xx or 500 and a reason."""
    try:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            return 400, f"malformed JSON: {e}", None
        try:
            return 200, judge.answer(parse_judge_request(body)), body.get("model", "local-judge")
        except BadRequest as e:
            return 400, str(e), None
        except ValueError as e:             # e.g. an unsupported sample rate
            return 400, f"cannot judge this audio: {e}", None
    except Exception as e:                  # never crash on input
        return 500, f"internal error: {type(e).__name__}: {e}", None


_POOL_JUDGE = None      # a scoring process's own ToyJudge (make_pool's initializer)
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _start_pool_process(judge_args):
    """A scoring process's initializer: its own ToyJudge, and SIGTERM when the server dies."""
    global _POOL_JUDGE
    import importlib
    importlib.import_module("codec")    # else imported by the first acoustic score, inside a call
    _die_with_parent()
    _POOL_JUDGE = ToyJudge(**judge_args)


def pooled_answer(raw: bytes) -> tuple:
    """answer_body in a scoring process (the raw body travels: 0.3 ms a call, vs 1-5 ms of work)."""
    return answer_body(_POOL_JUDGE, raw)


def make_pool(workers: int, judge_args: dict):
    """`workers` scoring processes, started now from the calling thread (Linux ties each one's
    life to the thread that started it, see _die_with_parent), each with its own ToyJudge.
    The judge is deterministic per request, so which process scores a call does not matter."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, wait
    # one BLAS thread each: numpy's would otherwise spin beside the other processes' (2 workers on
    # 2 cores ran 3-6x slower than one); a spawned process reads these when it imports numpy
    saved = {k: os.environ.get(k) for k in BLAS_THREADS}
    os.environ.update({k: "1" for k in BLAS_THREADS})
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_pool_process, initargs=(judge_args,))
        wait([pool.submit(time.sleep, 0.2) for _ in range(workers)])    # one task each: all start now
    finally:
        for k, v in saved.items():      # as it was: this also runs inside tests' own process
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return pool


def make_handler(judge: ToyJudge, stats: dict, lock: threading.Lock, hold: float = 0.0,
                 latency: float = 0.0, jitter: float = 0.0, seed: int = 0, pool=None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # an answer goes out as two writes (headers, then body); with Nagle's algorithm on, the
        # body waits for the client's delayed ACK of the headers, 40 ms on Linux, on every call
        disable_nagle_algorithm = True

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
            if length < 0:                      # rfile.read(-1) would wait for the client to hang up
                self.close_connection = True
                return self._error(400, f"Content-Length {length} is negative")
            if length > MAX_BODY:
                self.close_connection = True    # do not read a body we refuse
                return self._error(413, f"body of {length} bytes exceeds {MAX_BODY}")
            with lock:
                stats["in_flight"] += 1
                stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
                stats["requests"] += 1
            try:
                raw = self.rfile.read(length)
                # the scoring is CPU work under the GIL: a pool of processes scores calls in parallel
                code, text, model = pool.submit(pooled_answer, raw).result() if pool else answer_body(judge, raw)
                if code != 200:
                    return self._error(code, text)
                if hold:
                    time.sleep(hold)                # tests use it to observe concurrency
                if latency:
                    time.sleep(emulated_latency(latency, jitter, raw, seed))   # a remote API's think time
                self._send(200, {"id": f"toy-{stats['requests']}", "object": "chat.completion",
                                 "created": int(time.time()), "model": model,
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}],
                                 "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})
            except Exception as e:                  # never crash on input
                self._error(500, f"internal error: {type(e).__name__}: {e}")
            finally:
                with lock:
                    stats["in_flight"] -= 1
    return Handler


class PooledServer(ThreadingHTTPServer):
    """A thread per connection; server_close() also shuts down the scoring processes."""
    pool = None
    # the listen backlog: socketserver's default of 5 holds 6 connections between two accepts, and a
    # trainer opens --judge-concurrency (32) at once, per rank; on Linux the rest had their SYN dropped
    # and waited for its retransmission (1 s, then 3 s), or were reset and retried
    request_queue_size = 256

    def server_close(self):
        super().server_close()
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def handle_error(self, request, client_address):
        """A client that hung up before its answer was written (a trainer's timeout, a test's closed socket) is
        no fault of the server: no traceback on stderr for it. Anything else is printed as socketserver does."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def make_server(host="127.0.0.1", port=0, semantic_noise=0.0, acoustic_noise=0.0, seed=0, hold=0.0,
                latency=0.0, jitter=0.25, noise="none", workers=0):
    """The judge's HTTP server; `noise` picks the rater (NOISE_PROFILES); `latency` (seconds,
    +- `jitter` as a fraction, seeded) emulates a remote API's response time on every answered call;
    `workers` > 0 scores in that many processes (else in the request threads, under one GIL).
    server_close() also stops the processes."""
    if latency < 0 or not 0 <= jitter <= 1:
        raise ValueError(f"latency {latency} must be >= 0 and jitter {jitter} in [0, 1]")
    if workers < 0:
        raise ValueError(f"workers {workers} must be >= 0")
    judge_args = dict(semantic_noise=semantic_noise, acoustic_noise=acoustic_noise, seed=seed, noise=noise)
    toy = ToyJudge(**judge_args)        # also checks the arguments before any process starts
    pool = make_pool(workers, judge_args) if workers else None
    stats = {"requests": 0, "in_flight": 0, "max_in_flight": 0}
    handler = make_handler(toy, stats, threading.Lock(), hold, latency, jitter, seed, pool)
    try:
        server = PooledServer((host, port), handler)
    except OSError:                     # e.g. the port is taken: the scoring processes go too
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    server.daemon_threads, server.pool = True, pool
    return server


def _die_with_parent():
    """Linux: this process (the server, or a scorer) gets SIGTERM if its parent dies without
    stopping it (e.g. kill -9)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class LocalJudge:
    """Run `judge.py serve` as a subprocess on a free loopback port; stop it on exit
    (also on an error or Ctrl-C in the parent, via the context manager).

        with LocalJudge(noise="llm") as local:
            client = reward.JudgeClient(local.url)
    """

    def __init__(self, semantic_noise=0.0, acoustic_noise=0.0, seed=0, startup_timeout=30.0, latency=0.0,
                 jitter=0.25, noise="none", workers=None):
        if noise not in NOISE_PROFILES:
            raise ValueError(f"judge noise {noise!r}: one of {', '.join(NOISE_PROFILES)}")
        self.args = ["--semantic-noise", str(semantic_noise), "--acoustic-noise", str(acoustic_noise),
                     "--seed", str(seed), "--latency", str(latency), "--latency-jitter", str(jitter), "--noise", noise]
        if workers is not None:
            self.args += ["--workers", str(workers)]
        self.startup_timeout, self.proc, self.url = startup_timeout, None, None

    def start(self):
        import requests
        cmd = [sys.executable, os.path.abspath(__file__), "serve", "--host", "127.0.0.1", "--port", "0", *self.args]
        self.log = tempfile.TemporaryFile(mode="w+")   # a pipe nobody reads could fill and stall the server
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     preexec_fn=_die_with_parent)
        line = self.proc.stdout.readline()             # "listening on http://127.0.0.1:PORT/..."
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        deadline = time.time() + self.startup_timeout
        while m:
            try:
                if requests.get(f"http://127.0.0.1:{m.group(1)}/health", timeout=1.0).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                m = None
            time.sleep(0.05)
        if not m:
            self.log.seek(0)
            err = self.log.read()[-2000:]
            self.stop()
            raise RuntimeError(f"local judge failed to start: {line.strip()} {err.strip()}")
        self.url = f"http://127.0.0.1:{m.group(1)}/v1/chat/completions"
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
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def read_request(ap, path):
    """`judge.py read`: a request body as the local judge reads it, and its answer, printed; a
    body it cannot read ends in one line naming the file."""
    try:
        with (contextlib.nullcontext(sys.stdin) if path == "-" else open(path)) as f:
            body = json.load(f)
        req = parse_judge_request(body)
    except (OSError, ValueError, BadRequest) as e:
        ap.error(f"{path}: {e}")
    fmt = req["format"]
    scale = " / ".join(fmt["levels"]) if fmt.get("levels") else f"{fmt['scale'][0]}-{fmt['scale'][1]}"
    shown = f" '{fmt['template'][0]}{fmt['template'][1]}{fmt['template'][2]}'" if fmt.get("template") else ""
    slots = ", ".join(name + (f" ({axis})" if axis else "") for name, axis in fmt["slots"])
    print(f"mode       {req['mode']}\naxis       {req['axis']}\nscale      {scale}\nformat     {fmt['style']}{shown}: {slots}")
    print(f"question   {req['question'] or '(none found)'}")
    print(f"reference  {req['reference'] or '(none: the toy judge knows the answer to a toy question)'}")
    for label, (transcript, _, _) in zip(req["labels"] if req["mode"] == "compare" else [""], req["replies"]):
        print(f"reply {label:<4} {transcript!r}")
    print("answer     " + ToyJudge().answer(req).replace("\n", "\n           "))


def main():
    ap = cli.Parser(description="The local toy judge (an OpenAI-compatible chat/completions server).")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="{serve,read}")   # named so in a refusal
    s = sub.add_parser("serve", help="serve the toy judge over HTTP")
    s.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    s.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    s.add_argument("--noise", default="none", choices=list(NOISE_PROFILES),
                   help="noise model: none = the noise-free 'human'; llm = calibrated to Table 5 (Gemini-2.5-Pro)")
    s.add_argument("--semantic-noise", type=float, default=0.0, help="extra Gaussian noise sd on semantic scores")
    s.add_argument("--acoustic-noise", type=float, default=0.0, help="extra Gaussian noise sd on acoustic scores")
    s.add_argument("--seed", type=int, default=0, help="noise and latency-jitter seed")
    s.add_argument("--latency", type=float, default=0.0,
                   help="emulated API latency: seconds each answer waits (a remote judge's think time)")
    s.add_argument("--latency-jitter", type=float, default=0.25,
                   help="latency varies uniformly by +- this fraction, seeded by --seed and the request")
    s.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                   help="scoring processes (0: score in the request threads, one core at most)")
    r = sub.add_parser("read", help="how the judge reads a request body (mode, axis, scale, format, question, "
                                    "transcripts) and what the noise-free judge answers")
    r.add_argument("body", help="a chat/completions request body as JSON: a file, or - for standard input")
    args = ap.parse_args()
    if args.cmd == "read":
        return read_request(ap, args.body)
    for flag, value in (("--semantic-noise", args.semantic_noise), ("--acoustic-noise", args.acoustic_noise),
                        ("--latency", args.latency)):
        if not (math.isfinite(value) and value >= 0):
            ap.error(f"{flag} {value}: need a finite number >= 0")
    if not 0 <= args.latency_jitter <= 1:
        ap.error(f"--latency-jitter {args.latency_jitter}: need jitter in [0, 1]")
    if args.workers < 0:
        ap.error(f"--workers {args.workers}: need 0 or more")
    if not 0 <= args.port <= 65535:
        ap.error(f"--port {args.port}: need 0-65535 (0 picks a free one)")
    try:
        server = make_server(args.host, args.port, args.semantic_noise, args.acoustic_noise, args.seed,
                             latency=args.latency, jitter=args.latency_jitter, noise=args.noise, workers=args.workers)
    except OSError as e:
        ap.error(f"--host {args.host} --port {args.port}: cannot listen there ({e.strerror})")
    host, port = server.server_address[:2]
    # LocalJudge.stop() sends SIGTERM: leave through `finally`, so the scoring processes are shut
    # down here too (on Linux they would also get their parent's death signal; elsewhere not)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on http://{host}:{port}/v1/chat/completions", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
