"""Rewards from an audio-capable LLM judge over HTTP: the client, its rubrics and requests.

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
timeouts, connection errors (an answer cut off mid-body too), 429 and 5xx (never
on other 4xx or an answer that will not decode). A score that cannot be had or
parsed is None, never a default number, and no judge error raises out of `score`.

In a training step (train.py): `judge_mode` says which axes step t asks (the reward's
every step, the logged ones every --log-axes-every steps), `pick_rewards` turns the
axes into the training reward, `judge_bill` counts a run's calls from its metrics,
and `overlap_judge` decides whether the update's reward-independent work runs while
the calls are out.

The local judge that stands in for Gemini / GPT-4o-audio in the toy world lives in
judge.py (`python reward.py serve` runs it). `compare` asks for a blind pairwise choice
(A, B or tie) on helpfulness, naturalness or overall, for eval.py's side-by-side.

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
import json
import os
import random
import re
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

AXES = ("semantic", "acoustic", "holistic")
PAIR_AXES = ("helpfulness", "naturalness", "overall")     # Appendix G's side-by-side axes
SCORE_RE = re.compile(r"<score>\s*([0-9]+(?:\.[0-9]+)?)\s*</score>", re.IGNORECASE)
CHOICE_RE = re.compile(r"<choice>\s*(A|B|tie)\s*</choice>", re.IGNORECASE)

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


_PAIR_FORMAT = """Reply in exactly this format:
<justification>two or three sentences comparing A and B</justification>
<choice>A, B or tie</choice>"""

PAIR_RUBRICS = {
    "helpfulness": """You compare two spoken answers to the same question. Comparison axis: helpfulness.
Judge only the content, from the transcripts: which answer fulfils the request better, answers it directly
and correctly, and is coherent and easy to follow? Ignore the voice unless it hides the content.
Choose tie when the two are indistinguishable on this axis or each is better in a different way.
""" + _PAIR_FORMAT,
    "naturalness": """You compare two spoken answers to the same question. Comparison axis: naturalness.
Listen to both: which is more intelligible, smoother, better pronounced, with pace, loudness and tone that
fit the request? Ignore whether the content is correct; do not penalise a synthetic timbre as such.
Choose tie when the two are indistinguishable on this axis or each is better in a different way.
""" + _PAIR_FORMAT,
    "overall": """You compare two spoken answers to the same question. Comparison axis: overall.
Which would you rather receive as the user, weighing content first and then delivery?
Choose tie only when neither is meaningfully preferable.
""" + _PAIR_FORMAT,
}


def user_text(question, transcript, reference=None):
    parts = [f"Question:\n{question}"]
    if reference:
        parts.append(f"Reference answer:\n{reference}")
    parts.append(f"Transcript of the reply:\n{transcript if transcript.strip() else '[empty]'}")
    return "\n\n".join(parts)


def pcm16(wave) -> np.ndarray:
    """Float samples -> 16-bit PCM, as libsndfile 1.2 writes them (what soundfile wrote here
    before, byte for byte): clipped to [-1, 1], scaled to 32 bits and rounded half to even, then
    the top 16 bits kept (a floor: 2e-4 -> 6, not round(6.55) = 7). In float32 every step is
    exact: the scalings are powers of two, and a rounded value needs at most 24 bits."""
    x = np.clip(np.asarray(wave, dtype=np.float32), -1.0, 1.0)
    y = np.rint(x * np.float32(2.0 ** 31))
    y *= np.float32(2.0 ** -16)
    np.floor(y, out=y)
    np.clip(y, -32768, 32767, out=y)            # 1.0 -> 32768 before: libsndfile clips to 32767
    return y.astype("<i2")


def wav_base64(wave, rate) -> str:
    """A 16-bit mono PCM WAV at the waveform's own rate, base64 encoded (the standard 44-byte
    header; 0.2 ms for a 6-second reply, where soundfile's writer took 0.5 ms)."""
    data = pcm16(wave).tobytes()
    rate = int(rate)
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 1, rate,
                         2 * rate, 2, 16, b"data", len(data))
    return base64.b64encode(header + data).decode("ascii")


def build_request(model, axis, question, transcript, audio_b64, reference=None, seed=None) -> dict:
    """One scoring request; `audio_b64` is the reply's WAV from wav_base64 (encoded once for all its axes)."""
    body = {"model": model, "temperature": 0.0, "messages": [
        {"role": "system", "content": RUBRICS[axis]},
        {"role": "user", "content": [
            {"type": "text", "text": user_text(question, transcript, reference)},
            {"type": "input_audio", "input_audio": {"data": audio_b64, "format": "wav"}},
        ]}]}
    if seed is not None:
        body["seed"] = int(seed)
    return body


def build_pair_request(model, axis, question, first, second, reference=None, seed=None) -> dict:
    """A blind comparison: `first` and `second` are (transcript, wave, rate), shown as A and B."""
    text = [f"Question:\n{question}"] + ([f"Reference answer:\n{reference}"] if reference else [])
    text += [f"Transcript of reply {label}:\n{t if t.strip() else '[empty]'}" for label, (t, _, _) in zip("AB", (first, second))]
    body = {"model": model, "temperature": 0.0, "messages": [
        {"role": "system", "content": PAIR_RUBRICS[axis]},
        {"role": "user", "content": [{"type": "text", "text": "\n\n".join(text)}] + [
            {"type": "input_audio", "input_audio": {"data": wav_base64(w, r), "format": "wav"}}
            for _, w, r in (first, second)]}]}
    if seed is not None:
        body["seed"] = int(seed)
    return body


def parse_choice(content) -> str | None:
    """'A', 'B' or 'tie' from <choice>..</choice>, else None."""
    m = CHOICE_RE.search(content) if isinstance(content, str) else None
    return None if not m else ("tie" if m.group(1).lower() == "tie" else m.group(1).upper())


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

    def _call(self, body, parse=parse_score) -> tuple:
        """One call with retries -> (parsed answer or None, retries used, seconds, error)."""
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
                    value = parse(content)
                    return value, attempt, time.perf_counter() - t0, "" if value else "no valid answer in reply"
                error = f"HTTP {resp.status_code}"
                if resp.status_code != 429 and resp.status_code < 500:
                    return None, attempt, time.perf_counter() - t0, error   # other 4xx: retrying won't help
                retry_after = resp.headers.get("Retry-After")
            except requests.Timeout:
                error = "timeout"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                error = "connection error"      # also an answer cut short: the connection dropped mid-body
            except requests.RequestException as e:     # e.g. a body that will not decode: retrying won't help
                return None, attempt, time.perf_counter() - t0, f"request error: {type(e).__name__}"
            if attempt < self.retries:
                delay = min(self.max_backoff, self.backoff * 2 ** attempt) * self._rng.uniform(0.5, 1.5)
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    delay = min(self.max_backoff, float(retry_after))
                time.sleep(delay)
        return None, self.retries, time.perf_counter() - t0, error

    def score(self, items, mode="holistic", semantic_weight=0.7) -> JudgeResult:
        """Score every item on the axes `mode` needs, all calls concurrently.
        mode 'holistic': reward = holistic score. mode 'split': reward =
        w * semantic + (1 - w) * acoustic (None if either is missing). mode 'all': every
        axis is asked for; the reward is the holistic score."""
        axes = {"holistic": ["holistic"], "split": ["semantic", "acoustic"],
                "all": ["semantic", "acoustic", "holistic"]}[mode]
        t0 = time.perf_counter()
        jobs = [(axis, i) for axis in axes for i in range(len(items))]
        audio = [wav_base64(it.wave, it.rate) for it in items]          # once per reply, not per axis
        futures = [self._pool.submit(self._call, build_request(
            self.model, axis, items[i].question, items[i].transcript, audio[i], items[i].reference, items[i].seed))
            for axis, i in jobs]
        scores = {axis: [None] * len(items) for axis in axes}
        retries, latencies, errors = 0, [], {}
        for (axis, i), fut in zip(jobs, futures):
            score, n_retries, seconds, error = fut.result()
            scores[axis][i] = score
            retries += n_retries
            latencies.append(seconds)
            if error and score is None:
                errors[error] = errors.get(error, 0) + 1
        rewards = axis_rewards(scores, "split" if mode == "split" else "holistic", semantic_weight)
        stats = {"calls": len(jobs), "retries": retries,
                 "failures": sum(s is None for axis in axes for s in scores[axis]),
                 "reward_missing": sum(r is None for r in rewards), "errors": errors,
                 "latency_mean": float(np.mean(latencies)) if latencies else 0.0,
                 "latency_max": float(np.max(latencies)) if latencies else 0.0,
                 "seconds": time.perf_counter() - t0}
        return JudgeResult(rewards=rewards, scores=scores, stats=stats)

    def compare(self, pairs, axes=PAIR_AXES) -> dict:
        """Blind pairwise choices, all calls concurrently. pairs: list of (question, reference,
        first, second, seed) with first/second = (transcript, wave, rate) shown as A / B.
        -> {axis: list of 'A' | 'B' | 'tie' | None}."""
        jobs = [(axis, p) for axis in axes for p in pairs]
        futures = [self._pool.submit(self._call, build_pair_request(self.model, axis, q, a, b, ref, seed), parse_choice)
                   for axis, (q, ref, a, b, seed) in jobs]
        out = {axis: [] for axis in axes}
        for (axis, _), fut in zip(jobs, futures):
            out[axis].append(fut.result()[0])
        return out


def rollout_items(batch, seeds=None) -> list:
    """JudgeItems for every reply of a rollout.Rollout (question, reference, transcript, audio).
    seeds: one per reply (sent as the request's `seed`, kept below 2**31 for real APIs), so each
    reply is its own call: a sampling LLM judge (and the toy one) can score two identical replies
    of a group differently. None: no seed sent."""
    return [JudgeItem(question=batch.sample_of(i).question_text, transcript=batch.texts[i], wave=batch.waves[i],
                      rate=batch.rates[i], reference=batch.sample_of(i).reference,
                      seed=None if seeds is None else int(seeds[i]) % 2 ** 31)
            for i in range(len(batch.texts))]


def judge_url(url: str) -> str:
    """argparse's `type` for --judge-url: the URL if it is http(s) with a host (and a valid port),
    else the one-line error argparse prints. Checked at start (also the environment's default):
    requests refuses the others only at the first call, a step into a run."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
        parts.port                              # noqa: B018  raises on a port that is not a number
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{url}: not a URL ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{url}: need http(s):// and a host, "
                                         "e.g. http://127.0.0.1:8000/v1/chat/completions")
    return url


def add_judge_args(parser):
    """The judge flags shared by train.py and eval.py."""
    g = parser.add_argument_group("judge")
    g.add_argument("--judge-url", type=judge_url, default=os.environ.get("WAVALIGN_JUDGE_URL"),
                   help="OpenAI-compatible chat/completions URL ($WAVALIGN_JUDGE_URL sets the default); none: "
                        "start the local toy judge")
    g.add_argument("--judge-model", default=os.environ.get("WAVALIGN_JUDGE_MODEL", "local-judge"),
                   help="model name sent to the judge ($WAVALIGN_JUDGE_MODEL sets the default)")
    g.add_argument("--judge-key-env", default="WAVALIGN_JUDGE_API_KEY",
                   help="name of the environment variable holding the API key (never printed)")
    g.add_argument("--judge-timeout", type=float, default=60.0, help="seconds per call")
    g.add_argument("--judge-retries", type=int, default=4, help="retries on timeout, connection error, 429, 5xx")
    g.add_argument("--judge-concurrency", type=int, default=32, help="calls in flight at once")
    g.add_argument("--reward-mode", default="holistic", choices=["holistic", "split"],
                   help="holistic: one score; split: w*semantic + (1-w)*acoustic")
    g.add_argument("--semantic-weight", type=float, default=0.7, help="w for --reward-mode split")
    g.add_argument("--judge-noise", default="llm", choices=["llm", "none"],
                   help="local judge's noise model: llm = the unreliable LLM judge, calibrated to the paper's "
                        "Table 5 (Gemini-2.5-Pro); none = the noise-free 'human'. Held-out scores always use the human")
    g.add_argument("--judge-semantic-noise", type=float, default=0.0,
                   help="local judge: extra semantic noise (Likert sd) on top of --judge-noise")
    g.add_argument("--judge-acoustic-noise", type=float, default=0.0,
                   help="local judge: extra acoustic noise (Likert sd) on top of --judge-noise")
    g.add_argument("--judge-latency", type=float, default=0.0,
                   help="local judge: emulated API latency in seconds per call (+-25%% jitter, seeded)")
    return g


class JudgeOutage:
    """Counts the steps in a row on which every judge call failed, over all ranks (the same
    counts on every rank, so every rank stops together); `limit` of them (--max-judge-outage)
    stop the run with one line: the judge is unreachable or refuses the requests, and with no
    reward GRPO has no signal, so the run would go on as SFT alone. 0: never stop."""

    def __init__(self, limit: int, in_row: int = 0):
        self.limit, self.in_row = limit, in_row

    def update(self, calls: int, failures: int, step: int, url: str, errors: dict) -> None:
        """calls, failures: the step's over all ranks; errors: this rank's {message: count}."""
        self.in_row = self.in_row + 1 if calls and failures >= calls else 0
        if self.limit and self.in_row >= self.limit:
            said = "; ".join(f"{n} x {e}" for e, n in list(errors.items())[:2]) or "no error recorded here"
            raise SystemExit(f"step {step}: every judge call failed on {self.in_row} steps in a row "
                             f"(--max-judge-outage {self.limit}): check --judge-url {url}, --judge-model and "
                             f"the key ({said}); --resume continues from the last checkpoint, if one was saved")


def check_judge_args(ap, args):
    """Refuse a judge flag out of its range with one line naming it (exit status 2): no worker to send
    a call (--judge-concurrency 0 ended in a traceback), a call that cannot wait, a reward that weighs
    the acoustic score negatively (--semantic-weight outside [0, 1]), a negative noise or latency."""
    for flag, value, ok in (("--judge-concurrency", args.judge_concurrency, args.judge_concurrency >= 1),
                            ("--judge-retries", args.judge_retries, args.judge_retries >= 0),
                            ("--judge-timeout", args.judge_timeout, args.judge_timeout > 0),
                            ("--judge-latency", args.judge_latency, args.judge_latency >= 0),
                            ("--judge-semantic-noise", args.judge_semantic_noise, args.judge_semantic_noise >= 0),
                            ("--judge-acoustic-noise", args.judge_acoustic_noise, args.judge_acoustic_noise >= 0),
                            ("--semantic-weight", args.semantic_weight, 0 <= args.semantic_weight <= 1)):
        if not ok:
            ap.error(f"{flag} {value}: out of range")


def open_judge(args, stack, human=False):
    """Client for --judge-url, or for a local judge started (and stopped via `stack`) here:
    the noisy LLM judge of --judge-noise, or with `human` the noise-free one (the toy world's
    human rater, for held-out scores). With --judge-url both are that judge."""
    url = args.judge_url
    if not url:
        import judge
        noise = dict(noise="none") if human else \
            dict(semantic_noise=args.judge_semantic_noise, acoustic_noise=args.judge_acoustic_noise,
                 noise=args.judge_noise)
        local = stack.enter_context(judge.LocalJudge(seed=args.seed, latency=getattr(args, "judge_latency", 0.0),
                                                     **noise))
        url = local.url
    client = JudgeClient(url, args.judge_model, os.environ.get(args.judge_key_env), args.judge_timeout,
                         args.judge_retries, args.judge_concurrency)
    stack.callback(client.close)
    return client


# ---------------------------------------------------------------- the judge in a training step


def judge_mode(step, args):
    """The axes the judge is asked at 1-based `step` (a JudgeClient.score mode). The reward's
    axes every step; the semantic and acoustic axes, which only feed the logs in holistic mode,
    on step 1 and every --log-axes-every-th step after (1, 1+N, 1+2N, ...). Split mode needs
    semantic and acoustic for the reward and never holistic, so it asks those two every step."""
    if args.reward_mode == "split":
        return "split"
    every = args.log_axes_every if args.log_axes else 0
    return "all" if every and (step - 1) % every == 0 else "holistic"


def axis_rewards(scores, reward_mode, semantic_weight):
    """The reward per reply from per-axis scores {axis: [int or None]}: the holistic score, or
    under "split" w * semantic + (1 - w) * acoustic; None where a score it needs is missing."""
    if reward_mode == "holistic":
        return [None if h is None else float(h) for h in scores["holistic"]]
    w = semantic_weight
    return [None if s is None or a is None else w * s + (1 - w) * a
            for s, a in zip(scores["semantic"], scores["acoustic"])]


def pick_rewards(res, args):
    """The training reward per reply from the judge's per-axis scores (None stays None)."""
    return axis_rewards(res.scores, args.reward_mode, args.semantic_weight)


def judge_bill(metrics_path):
    """The run's judge calls from metrics.jsonl (every step since the start, resumes included)."""
    if not os.path.exists(metrics_path):
        return None
    import runtime          # the client needs no torch; runtime (which imports it) only here
    rows = runtime.read_metrics(metrics_path)
    calls = sum(r.get("judge_calls", 0) for r in rows)
    return {"calls": calls, "steps": len(rows), "calls_per_step": calls / max(1, len(rows)),
            "logged_steps": sum(bool(r.get("logged_axes")) for r in rows)}


def overlap_judge(args, device):
    """--overlap-judge auto: on where the judge does not compute on our cores (a --judge-url
    service) or the update runs on a GPU; off for the local judge on CPU, where its scoring and
    the overlapped backward fight over the same cores (measured slower, README "Speed")."""
    return args.overlap_judge == "on" or (args.overlap_judge == "auto" and (bool(args.judge_url)
                                                                           or device.type == "cuda"))


def main():
    """`python reward.py serve ...` runs the local judge (judge.py)."""
    import judge
    judge.main()


if __name__ == "__main__":
    main()
