"""reward.py: the judge client against real and faulty servers, the toy judge, the server."""
import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import requests

import codec
from conftest import descendants, wait_dead
import judge
import reward


def item(text="3 plus 4 is 7", question="what is 3 plus 4", style=None, reference="7", seed=None, codes=None):
    wave, rate = codec.decode(codec.speak(text, style) if codes is None else codes)
    return reward.JudgeItem(question=question, transcript=text, wave=wave, rate=rate, reference=reference, seed=seed)


# ---------------------------------------------------------------- toy judge scoring

def test_right_answer_scores_above_a_wrong_one():
    q = "what is 3 plus 4"
    assert judge.semantic_score(q, "3 plus 4 is 7", "7") == 5
    assert judge.semantic_score(q, "3 plus 4 is 8", "7") == 3            # off by one
    assert judge.semantic_score(q, "3 plus 4 is 2", "7") == 2
    assert judge.semantic_score(q, "3 plus 4 is 9", "7") == 2            # off by two is wrong, not near
    assert judge.semantic_score(q, "3 plus 4 is", "7") == 2              # stopped before the answer: the habit
    assert judge.semantic_score(q, "zq xv 3 plus 4 is 7", "7") == 4      # right, with words from nowhere
    assert judge.semantic_score(q, "blah blah 3 plus 4 is 9", "7") == 1  # wrong and 3 of 7 words junk
    assert judge.semantic_score(q, "zq xv", "7") == 1
    assert judge.semantic_score(q, "", "7") == 1


def test_loud_reply_to_say_it_loudly_beats_a_quiet_one():
    q, a = "repeat after me blue sky say it loudly", "you said blue sky"
    loud, quiet = item(a, q, "loudly"), item(a, q, "quietly")
    assert judge.acoustic_score(loud.wave, loud.rate, a, q) == 5
    assert judge.acoustic_score(quiet.wave, quiet.rate, a, q) < 5


@pytest.mark.parametrize("style,wrong", [("slowly", "quickly"), ("happily", "sadly"), ("quickly", None)])
def test_style_adherence_is_heard(style, wrong):
    q, a = f"repeat after me red sun moon say it {style}", "you said red sun moon"
    right, off = item(a, q, style), item(a, q, wrong)
    assert judge.acoustic_score(right.wave, right.rate, a, q) > judge.acoustic_score(off.wave, off.rate, a, q)


def test_garbled_speech_scores_below_clean_speech():
    a = "3 plus 4 is 7"
    clean = item(a)
    garbled = item(a, codes=np.random.default_rng(0).integers(0, codec.N_VOICED, 14))
    assert judge.acoustic_score(clean.wave, clean.rate, a, "what is 3 plus 4") == 5
    assert judge.acoustic_score(garbled.wave, garbled.rate, a, "what is 3 plus 4") <= 2
    silent = item(a, codes=[codec.PAUSE] * 5)
    assert judge.acoustic_score(silent.wave, silent.rate, a, "what is 3 plus 4") == 1


def test_each_intelligibility_band_includes_its_lower_edge():
    """catches: `>` for `>=` at an intelligibility edge (0.95, 0.85, 0.6), or an edge raised, or lowered by 1/20 or
    more: a reply exactly on an edge would lose a point too many (or one just below it, one too few)."""
    said = "abcdefghijklmnopqrst"            # one word of 20 letters: no gap to pace, level pitch, no jumps
    for k, want in ((20, 5), (19, 5), (18, 4), (17, 4), (16, 3), (12, 3), (11, 2), (5, 2)):
        heard = said[:k] + "uvwxyz0123456789"[:20 - k]     # the first k letters right, the rest letters `said` lacks
        wave, rate = codec.decode(codec.speak(heard))
        # difflib's ratio is 2 * matches / (20 + 20) = k / 20 (exact in floating point: 38 / 40 == 0.95)
        assert judge.acoustic_report(wave, rate, said, "")["intelligibility"] == k / 20
        assert judge.acoustic_score(wave, rate, said, "") == want, (k, want)


def test_a_pace_off_by_three_quarters_of_a_pause_per_gap_costs_a_point():
    """catches: `>` for `>=` at the pace edge (0.75 pause frames per word gap off the style's), or the edge raised, or
    lowered by 1/8 or more. Nine words (8 gaps), neutral style (1 pause frame a gap); nothing else is off."""
    words = ["red", "sun", "big", "cow", "hat", "pen", "box", "jam", "fig"]
    for pauses, want in (([1] * 8, 5), ([2] * 6 + [1] * 2, 4), ([2] * 5 + [1] * 3, 5), ([1, 1] + [0] * 6, 4),
                         ([1, 1, 1] + [0] * 5, 5)):
        # per gap: 14 / 8 = 1.75 (off 0.75), 13 / 8 = 1.625 (off 0.625), 2 / 8 = 0.25 (off 0.75), 3 / 8 (off 0.625)
        codes = list(codec.speak(words[0]))
        for word, p in zip(words[1:], pauses):
            codes += [codec.PAUSE] * p + list(codec.speak(word))
        wave, rate = codec.decode(codes)
        assert judge.acoustic_score(wave, rate, " ".join(words), "") == want, (sum(pauses), want)


def test_noise_free_judge_is_deterministic_and_noise_is_seeded_by_content():
    clean = judge.ToyJudge()
    it = item()
    args = ("holistic", it.question, it.reference, it.transcript, it.wave, it.rate)
    assert {clean.score(*args)[0] for _ in range(3)} == {5}
    noisy = judge.ToyJudge(semantic_noise=1.5, acoustic_noise=1.5, seed=1)
    assert len({noisy.score(*args)[0] for _ in range(3)}) == 1             # same request, same score
    by_seed = {noisy.score(*args, seed=s)[0] for s in range(30)}             # raters differ
    assert len(by_seed) > 1 and by_seed <= {1, 2, 3, 4, 5}


# ---------------------------------------------------------------- client against the real local judge

def test_client_against_the_local_judge(judge_url):
    client = reward.JudgeClient(judge_url, concurrency=4)
    res = client.score([item(), item("3 plus 4 is 2")], mode="all")
    assert res.scores["semantic"] == [5, 2] and res.scores["acoustic"] == [5, 5]
    assert res.rewards == [5.0, 3.0]                                         # holistic: round(0.7*2 + 0.3*5) = 3
    split = client.score([item(), item("3 plus 4 is 2")], mode="split", semantic_weight=0.7)
    assert split.rewards == pytest.approx([5.0, 0.7 * 2 + 0.3 * 5])
    assert res.stats["failures"] == 0 and res.stats["calls"] == 6
    client.close()


def test_wav_travels_at_its_own_sample_rate():
    wave, _ = codec.decode(codec.speak("hi"))
    data = base64.b64decode(reward.wav_base64(codec.resample(wave, 16000, 22050), 22050))
    assert int.from_bytes(data[24:28], "little") == 22050                    # the WAV header's rate field


@pytest.mark.parametrize("rate", [16000, 22050])
def test_wav_bytes_are_what_soundfile_writes(rate):
    """The hand-built WAV is soundfile's, byte for byte, so the judge hears (and its noise is
    keyed by) the same audio as before. Fails with a plain round(x * 32767) (half the samples
    one step off), round(x * 32768), a floor of x * 32768 (6.1035065e-05 -> 1, not 2) or a
    wrong header field."""
    import io
    import soundfile as sf
    rng = np.random.default_rng(rate)
    edges = np.array([-1, 1, 0, -0.0, 1.2, -1.2, 6.1035065e-05, 2e-4, -0.99999, 0.5 / 32768, -1.5 / 32768])
    wave = np.concatenate([rng.uniform(-1.05, 1.05, 40001), rng.normal(0, 1e-3, 5000),
                           np.arange(-3000, 3000) / 2 ** 31, edges]).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, np.clip(wave, -1, 1), rate, format="WAV", subtype="PCM_16")
    assert base64.b64decode(reward.wav_base64(wave, rate)) == buf.getvalue()


def test_api_key_is_sent_but_never_shown():
    client = reward.JudgeClient("http://127.0.0.1:9/x", api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(client) and "sk-very-secret" not in str(vars(client).get("url"))
    client.close()


# ---------------------------------------------------------------- client against a faulty server

class Faulty(BaseHTTPRequestHandler):
    attempts = {}
    headers_seen = []
    lock = threading.Lock()

    def log_message(self, *a):
        pass

    def reply(self, code, body, content_type="application/json", extra=()):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):     # the client timed out first
            pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            n = self.attempts[self.path] = self.attempts.get(self.path, 0) + 1
            self.headers_seen.append(self.headers.get("Authorization"))
        ok = {"choices": [{"message": {"role": "assistant", "content": "<justification>x</justification><score>4</score>"}}]}
        if self.path == "/hang":
            time.sleep(3.0)
            return self.reply(200, ok)
        if self.path == "/flaky":
            return self.reply(500, {"error": "boom"}) if n == 1 else self.reply(200, ok)
        if self.path == "/busy":
            return self.reply(429, {"error": "slow down"}, extra=[("Retry-After", "0")])
        if self.path == "/garbage":
            return self.reply(200, "<html>not json</html>", "text/html")
        if self.path == "/notag":
            return self.reply(200, {"choices": [{"message": {"content": "I think it is good."}}]})
        if self.path == "/seven":
            return self.reply(200, {"choices": [{"message": {"content": "<score>7</score>"}}]})
        if self.path == "/bad":
            return self.reply(400, {"error": "bad request"})
        return self.reply(200, ok)


@pytest.fixture(scope="module")
def faulty():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Faulty)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path,score,attempts", [
    ("/hang", None, 3),      # timeouts are retried, then give up
    ("/flaky", 4, 2),        # 500 then success
    ("/busy", None, 3),      # 429 retried, then give up
    ("/garbage", None, 1),   # a 200 with garbage is not retried
    ("/notag", None, 1),
    ("/seven", None, 1),     # out of 1-5
    ("/bad", None, 1),       # other 4xx: no retry
])
def test_faults_become_none_and_retries_happen_where_they_should(faulty, path, score, attempts):
    Faulty.attempts.clear()
    client = reward.JudgeClient(faulty + path, api_key="sk-test", timeout=1.0, retries=2, backoff=0.01)
    res = client.score([item()], mode="holistic")          # never raises into the training loop
    assert res.scores["holistic"] == [score] and res.rewards == ([None] if score is None else [4.0])
    assert Faulty.attempts[path] == attempts
    assert res.stats["retries"] == attempts - 1 and res.stats["failures"] == (score is None)
    assert "Bearer sk-test" in Faulty.headers_seen
    client.close()


def test_unreachable_judge_gives_none():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                           # nothing listens here once closed
    client = reward.JudgeClient(f"http://127.0.0.1:{port}/v1/chat/completions", timeout=0.3, retries=1, backoff=0.01)
    res = client.score([item(), item()], mode="split")
    assert res.rewards == [None, None] and res.stats["errors"] == {"connection error": 4}
    client.close()


def serve_raw(answers):
    """A loopback server that reads one request per connection and writes the next raw answer
    (bytes) from `answers`, then closes; -> (url, list of the requests served)."""
    listener = socket.create_server(("127.0.0.1", 0))
    served = []

    def loop():
        with listener:
            for answer in answers:
                conn, _ = listener.accept()
                with conn:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(body) < length:
                        body += conn.recv(65536)
                    served.append(body)
                    conn.sendall(answer)
    threading.Thread(target=loop, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/v1/chat/completions", served


def test_an_answer_cut_short_is_retried_not_raised():
    """A judge (or a proxy before it) drops the connection mid-answer: the headers promise a body that
    never arrives in full. Bug caught (a real one, found by this audit): requests raises
    ChunkedEncodingError, which _call did not catch, so score() raised into the training step
    instead of retrying the call as the connection error it is."""
    ok = json.dumps({"choices": [{"message": {"content": "<score>4</score>"}}]}).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
    url, served = serve_raw([head % len(ok) + ok[:12], head % len(ok) + ok])
    client = reward.JudgeClient(url, timeout=5.0, retries=2, backoff=0.01)
    res = client.score([item()], mode="holistic")
    client.close()
    assert res.scores["holistic"] == [4] and res.stats["retries"] == 1 and len(served) == 2


def test_an_answer_that_will_not_decode_is_no_score_and_not_retried():
    """A 200 whose gzip body is not gzip (a broken proxy): requests raises ContentDecodingError. Bug caught
    (a real one, found by this audit): it escaped _call and score() raised into the training step;
    it is now a None score, counted in the errors, and not retried (the same bytes would come back)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\nContent-Length: 9\r\n\r\nnot gzip!"
    url, served = serve_raw([head, head])
    client = reward.JudgeClient(url, timeout=5.0, retries=1, backoff=0.01)
    res = client.score([item()], mode="holistic")
    client.close()
    assert res.scores["holistic"] == [None] and res.stats["retries"] == 0 and len(served) == 1
    assert list(res.stats["errors"].values()) == [1] and res.stats["failures"] == 1


# ---------------------------------------------------------------- the server

@pytest.fixture(scope="module")
def slow_server():
    server = judge.make_server("127.0.0.1", 0, hold=1.0)    # long enough for a loaded CI machine
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_server_sees_a_whole_group_in_flight(slow_server):
    client = reward.JudgeClient(slow_server + "/v1/chat/completions", concurrency=8)
    G = 4
    res = client.score([item() for _ in range(G)], mode="holistic")
    assert res.rewards == [5.0] * G
    assert requests.get(slow_server + "/stats").json()["max_in_flight"] >= G
    client.close()


def post(url, body, **kw):
    return requests.post(url, data=body if isinstance(body, (bytes, str)) else json.dumps(body), timeout=5, **kw)


def good_body(**changes):
    body = reward.build_request("m", "semantic", "what is 3 plus 4", "3 plus 4 is 7",
                                reward.wav_base64(*codec.decode(codec.speak("3 plus 4 is 7"))), "7")
    body.update(changes)
    return body


@pytest.mark.parametrize("mutate,status,message", [
    (lambda b: "{not json", 400, "malformed JSON"),
    (lambda b: {"model": "m"}, 400, "messages"),
    (lambda b: {**b, "messages": [b["messages"][0]]}, 400, "user message"),      # a rubric and nothing to judge
    (lambda b: {**b, "messages": []}, 400, "non-empty 'messages'"),
    (lambda b: {**b, "messages": [b["messages"][0], {"role": "user", "content": [b["messages"][1]["content"][0]]}]},
     400, "input_audio"),
    (lambda b: json.loads(json.dumps(b).replace(b["messages"][1]["content"][1]["input_audio"]["data"], "@@@")),
     400, "base64"),
    (lambda b: json.loads(json.dumps(b).replace(b["messages"][1]["content"][1]["input_audio"]["data"],
                                                base64.b64encode(b"plain text, no RIFF").decode())), 400, "WAV"),
    (lambda b: {**b, "messages": [b["messages"][0], {"role": "user", "content": "no sections"}]}, 400, "Question"),
])
def test_bad_input_gets_a_clear_status_and_the_server_keeps_serving(judge_url, mutate, status, message):
    resp = post(judge_url, mutate(good_body()))
    assert resp.status_code == status
    assert message in resp.json()["error"]["message"]
    ok = post(judge_url, good_body())
    assert ok.status_code == 200 and reward.parse_score(ok.json()["choices"][0]["message"]["content"]) == 5


def test_oversized_body_gets_413_unknown_path_404_health_200(judge_url):
    base = judge_url.rsplit("/v1/", 1)[0]
    host, port = base.replace("http://", "").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {judge.MAX_BODY + 1}\r\n\r\n".encode())
        assert s.recv(200).startswith(b"HTTP/1.1 413")
    assert post(base + "/v1/other", good_body()).status_code == 404
    assert requests.get(base + "/nothing", timeout=5).status_code == 404
    assert requests.get(base + "/health", timeout=5).json() == {"status": "ok"}
    assert post(judge_url, good_body()).status_code == 200


@pytest.mark.parametrize("length", ["-5", "-1"])
def test_a_negative_content_length_is_a_400(judge_url, length):
    """Bug caught (a real one, found by this audit): a negative Content-Length reached rfile.read: -5 was
    answered 500 (a server fault, which JudgeClient retries with backoff) and -1 read until the client
    hung up (no answer at all, a handler thread held)."""
    host, port = judge_url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=2) as s:
        s.sendall(f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
        assert s.recv(200).startswith(b"HTTP/1.1 400")
    assert post(judge_url, good_body()).status_code == 200


def test_scoring_processes_answer_as_the_request_threads_do():
    """`--workers`: the same answers, word for word, as scoring in the request threads, for
    the noisy judge's scores on all three axes, a comparison and refused bodies. Bugs caught:
    a scoring process built without the server's noise or seed (other scores), an error that
    loses its status or message on the way back from the process."""
    noisy = dict(noise="llm", seed=3, acoustic_noise=0.5)
    servers = [judge.make_server("127.0.0.1", 0, workers=w, **noisy) for w in (0, 2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    replies = [item(seed=s) for s in range(6)] + [item("3 plus 4 is 8", seed=1), item("zq xv", seed=2),
               item("you said red sun", "repeat after me red sun say it loudly", "quietly", "you said red sun")]
    bodies = [reward.build_request("m", axis, r.question, r.transcript, reward.wav_base64(r.wave, r.rate),
                                   r.reference, r.seed) for axis in ("semantic", "acoustic", "holistic") for r in replies]
    bodies += [reward.build_pair_request("m", "overall", "what is 3 plus 4", *[(r.transcript, r.wave, r.rate) for r in
                                                                            (replies[0], replies[6])], "7", seed=5),
               "{not json", {"model": "m"}, {**bodies[0], "messages": [bodies[0]["messages"][0]]}]
    try:
        answers = [[(resp.status_code, resp.json()) for resp in
                    (post(f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions", b) for b in bodies)]
                   for server in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    threads, pooled = ([(code, body.get("choices") or body["error"]) for code, body in a] for a in answers)
    assert pooled == threads
    assert [code for code, _ in pooled] == [200] * (len(bodies) - 3) + [400] * 3
    scores = [reward.parse_score(c[0]["message"]["content"]) for _, c in pooled[:-4]]
    assert len(set(scores)) >= 3                          # the noisy judge, not one constant answer


def test_answers_leave_with_nagle_off(monkeypatch):
    """An answer is written as headers, then body: with Nagle's algorithm on, the body waits for
    the client's delayed ACK (40 ms on Linux), on every call made alone. Bug caught: the
    handler's sockets without TCP_NODELAY (e.g. a handler rewritten without the flag)."""
    server = judge.make_server()
    seen, handler = [], server.RequestHandlerClass
    health = handler.do_GET

    def spy(self):
        seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        return health(self)
    monkeypatch.setattr(handler, "do_GET", spy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert requests.get(f"http://127.0.0.1:{server.server_address[1]}/health", timeout=5).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    assert seen and all(seen)


def test_a_burst_of_connections_is_queued_not_dropped():
    """A trainer opens --judge-concurrency connections at once (32 per rank). Connections the server has
    not accepted yet wait in its listen backlog; past it, Linux drops their SYN and the client waits a
    second for the retransmission, or is reset and retries. Bug caught: socketserver's default backlog
    of 5 (6 of 40 connected here in 0.2 s, while the server was busy elsewhere)."""
    server = judge.make_server()                  # not serving: nothing is accepted while the burst arrives
    socks = []
    try:
        for _ in range(40):
            s = socket.socket()
            socks.append(s)
            s.settimeout(0.2)
            s.connect(server.server_address[:2])  # raises on a dropped SYN: socket.timeout
    finally:
        for s in socks:
            s.close()
        server.server_close()


def test_local_judge_subprocess_starts_and_stops():
    """Bug caught: a server killed by stop()'s SIGTERM instead of leaving through its shutdown,
    which is what stops the scorers where there is no parent's death signal (exit status -15,
    not 0)."""
    with judge.LocalJudge(workers=2) as local:
        assert local.url.startswith("http://127.0.0.1:")
        proc = local.proc
        workers = descendants(proc.pid)
        assert len(workers) >= 2                             # the two scorers (+ spawn's resource tracker)
        res = reward.JudgeClient(local.url).score([item()], mode="holistic")
        assert res.rewards == [5.0]
    assert proc.poll() == 0                                  # stopped on exit, through its own shutdown
    assert wait_dead(workers) == []


def test_scorers_die_with_a_killed_judge():
    """kill -9 of the server itself (no shutdown runs): its scorers go too. Bug caught: scorers
    without their parent's death signal (they would wait on their queue for ever)."""
    import os
    import signal
    local = judge.LocalJudge(workers=2).start()
    try:
        scorers = descendants(local.proc.pid)
        os.kill(local.proc.pid, signal.SIGKILL)
        local.proc.wait()
        left = wait_dead(scorers)
    finally:
        local.stop()
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert len(scorers) >= 2 and not left, "scorers outlived the killed judge"


# ---------------------------------------------------------------- blind pairwise comparison (Appendix G)

def reply(text, style=None):
    return (text, *codec.decode(codec.speak(text, style)))


def test_compare_picks_the_better_reply_in_either_order(judge_url):
    client = reward.JudgeClient(judge_url)
    q, ref = "what is 3 plus 4 say it loudly", "7"
    right, wrong = reply("3 plus 4 is 7", "loudly"), reply("3 plus 4 is 2", "loudly")
    quiet = reply("3 plus 4 is 7", "quietly")
    out = client.compare([(q, ref, right, wrong, 0), (q, ref, wrong, right, 0), (q, ref, right, quiet, 0),
                          (q, ref, right, right, 0)])
    assert out["helpfulness"] == ["A", "B", "tie", "tie"]        # content: only the answer matters
    assert out["naturalness"] == ["tie", "tie", "A", "tie"]      # delivery: loud was asked for
    assert out["overall"] == ["A", "B", "A", "tie"]
    client.close()


def test_split_rewards_weigh_semantic_by_w_and_a_missing_axis_gives_no_reward():
    """--reward-mode split, w = 0.7: semantic 5 and acoustic 1 give 0.7 * 5 + 0.3 * 1 = 3.8; a reply
    whose acoustic (or semantic) call failed has no reward, whatever its other axis says. The same
    function gives JudgeResult.rewards and train.py's rewards. Bug caught: w applied to the acoustic
    axis (2.2), or a failed call scored as 0 (3.5, 1.2) and let into the group's advantage."""
    from types import SimpleNamespace
    scores = {"semantic": [5, 5, None], "acoustic": [1, None, 4], "holistic": [None, None, None]}
    args = SimpleNamespace(reward_mode="split", semantic_weight=0.7)
    got = reward.pick_rewards(SimpleNamespace(scores=scores), args)
    assert got[0] == pytest.approx(3.8) and got[1] is None and got[2] is None
    holistic = SimpleNamespace(reward_mode="holistic", semantic_weight=0.7)
    assert reward.pick_rewards(SimpleNamespace(scores={**scores, "holistic": [4, None, 2]}), holistic) == [4.0, None, 2.0]


def test_a_score_that_is_not_a_whole_likert_point_is_no_score():
    """Bug caught: <score>4.5</score> truncated to 4, a judge's half point read as a lower score."""
    assert reward.parse_score("<score>4.5</score>") is None and reward.parse_score("<score>4.0</score>") == 4
    assert reward.parse_score("<score>6</score>") is None and reward.parse_score("<score>0</score>") is None


def test_parse_choice():
    assert reward.parse_choice("because... <choice>B</choice>") == "B"
    assert reward.parse_choice("<choice> Tie </choice>") == "tie"
    assert reward.parse_choice("<choice>C</choice>") is None and reward.parse_choice(None) is None


def test_compare_request_with_one_audio_is_refused(judge_url):
    body = reward.build_pair_request("m", "overall", "q", reply("a"), reply("b"))
    body["messages"][1]["content"].pop()
    resp = post(judge_url, body)
    assert resp.status_code == 400 and "2 input_audio" in resp.json()["error"]["message"]


def test_local_judge_stops_when_the_caller_fails():
    with pytest.raises(RuntimeError, match="boom"):
        with judge.LocalJudge() as local:
            proc = local.proc
            raise RuntimeError("boom")
    assert proc.poll() is not None


def test_local_judge_dies_with_a_killed_parent(tmp_path):
    """kill -9 of the trainer takes the judge and its scoring processes with it."""
    import os
    import signal
    import subprocess
    import sys
    from conftest import ROOT
    script = ("import sys, time; sys.path.insert(0, %r); import judge\n"
              "local = judge.LocalJudge(workers=2).start(); print(local.proc.pid, flush=True); time.sleep(60)") % ROOT
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    server = int(parent.stdout.readline())
    family = [server, *descendants(server)]
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    left = wait_dead(family)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert len(family) >= 3 and not left, "the local judge or its scorers outlived the killed trainer"


# ---------------------------------------------------------------- a scripted judge (survivors of a mutation audit)

class Scripted(Faulty):
    """A judge that answers each path by a script: script(n, body) -> (status, content, headers), n the
    1-based request number on that path; it keeps (path, Authorization, body) of every request."""
    scripts, seen = {}, []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.seen.append((self.path, self.headers.get("Authorization"), body))
            n = sum(path == self.path for path, _, _ in self.seen)
        status, content, extra = self.scripts[self.path](n, body)
        payload = {"choices": [{"message": {"role": "assistant", "content": content}}]} if status == 200 else \
            {"error": {"message": str(content)}}
        self.reply(status, payload, extra=extra)


@pytest.fixture(scope="module")
def scripted():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(path, script):
        Scripted.scripts[path] = script
        return f"http://127.0.0.1:{server.server_address[1]}{path}"
    yield url
    server.shutdown()
    server.server_close()


def sent(path):
    """The requests the scripted judge got on `path`: [(Authorization, body)]."""
    return [(auth, body) for p, auth, body in Scripted.seen if p == path]


@pytest.fixture()
def sleeps(monkeypatch):
    """The client's backoff sleeps, recorded instead of slept (seconds asked, in order)."""
    import types
    asked = []
    monkeypatch.setattr(reward, "time", types.SimpleNamespace(perf_counter=time.perf_counter, sleep=asked.append))
    return asked


def test_backoff_doubles_from_its_base_is_capped_and_jittered(scripted, sleeps):
    """retries=4, backoff 1 s, max_backoff 4 s against a judge that always answers 500, one call at a time:
    4 sleeps per call (none after the last attempt), around 1, 2, 4, 4 s (doubling, then the cap), each
    within half of that either way, averaging it, and spread (jitter). Bugs caught: a sleep after the last
    attempt, the doubling starting one step late (2, 4, ...), no cap, jitter that only shortens the delay."""
    url = scripted("/down", lambda n, body: (500, "boom", ()))
    client = reward.JudgeClient(url, retries=4, backoff=1.0, max_backoff=4.0, concurrency=1)
    res = client.score([item()] * 20, mode="holistic")
    client.close()
    assert res.rewards == [None] * 20 and res.stats["retries"] == 80 and len(sent("/down")) == 100
    assert len(sleeps) == 80
    ratios = [d / base for i, d in enumerate(sleeps) for base in [(1, 2, 4, 4)[i % 4]]]
    assert all(0.5 <= r <= 1.5 for r in ratios), ratios
    assert abs(float(np.mean(ratios)) - 1.0) < 0.15 and max(ratios) - min(ratios) > 0.5


def test_retry_after_is_obeyed_up_to_the_cap(scripted, sleeps):
    """A judge that says how long to wait: Retry-After 0.5 (a 429), then 2 (a 503) are slept exactly,
    600 is cut to max_backoff (a step must not stall for ten minutes), an HTTP date (not seconds) falls
    back to the jittered backoff (8 s capped to 4, so 2-6 s); the fifth attempt scores. Bugs caught:
    Retry-After ignored, read only when a whole number, or not capped."""
    answers = {1: (429, "slow", [("Retry-After", "0.5")]), 2: (503, "busy", [("Retry-After", "2")]),
               3: (503, "busy", [("Retry-After", "600")]),
               4: (429, "slow", [("Retry-After", "Wed, 21 Oct 2037 07:28:00 GMT")])}
    url = scripted("/after", lambda n, body: answers.get(n, (200, "<score>3</score>", ())))
    client = reward.JudgeClient(url, retries=4, backoff=1.0, max_backoff=4.0)
    res = client.score([item()], mode="holistic")
    client.close()
    assert res.scores["holistic"] == [3] and res.stats["retries"] == 4
    assert sleeps[:3] == [0.5, 2.0, 4.0] and len(sleeps) == 4 and 2.0 <= sleeps[3] <= 6.0


@pytest.mark.parametrize("status,attempts", [(502, 2), (503, 2), (504, 2), (401, 1), (404, 1), (422, 1)])
def test_every_5xx_is_retried_and_other_4xx_are_not(scripted, sleeps, status, attempts):
    """A gateway's 502 / 503 / 504 is retried like a 500 (then the judge answers); an auth, path or body
    error is not (the same request would fail again). Bug caught: only 429 and 500 retried."""
    path = f"/status{status}"
    url = scripted(path, lambda n, body: (status, "no", ()) if n == 1 else (200, "<score>2</score>", ()))
    client = reward.JudgeClient(url, retries=3, backoff=1.0)
    res = client.score([item()], mode="holistic")
    client.close()
    assert len(sent(path)) == attempts and res.stats["retries"] == attempts - 1
    assert res.scores["holistic"] == ([2] if attempts == 2 else [None])
    assert res.stats["errors"] == ({} if attempts == 2 else {f"HTTP {status}": 1})


def test_scores_land_on_their_items_whatever_order_the_calls_finish_in(scripted):
    """Four replies "reply 1".."4" asked on all three axes at once; the judge answers item N's call later the
    smaller N is (so the calls finish in reverse order), semantic N, acoustic 6 - N, holistic N, except item
    4's semantic call (500 twice: a failure after one retry), item 3's acoustic one (content null: no valid
    answer) and item 2's holistic one (a 503, then its score: one retry). Hand-worked: 12 calls, 2 failures,
    no reward missing (the reward is holistic), 2 retries. Bugs caught: results taken in completion order,
    failures counted as missing rewards, retries as the most of any call, a null content raising out of
    score() (parse_score on None), a failure without its reason in the errors."""
    import re
    tries = {}

    def script(n, body):
        axis = re.search(r"Scoring axis: (\w+)", body["messages"][0]["content"]).group(1)
        k = int(re.search(r"Transcript of the reply:\nreply (\d)", body["messages"][1]["content"][0]["text"]).group(1))
        tries[axis, k] = tries.get((axis, k), 0) + 1
        time.sleep(0.03 * (4 - k))
        if (axis, k) == ("semantic", 4) or ((axis, k) == ("holistic", 2) and tries[axis, k] == 1):
            return (500 if axis == "semantic" else 503), "boom", ()
        if (axis, k) == ("acoustic", 3):
            return 200, None, ()
        return 200, f"<score>{6 - k if axis == 'acoustic' else k}</score>", ()
    client = reward.JudgeClient(scripted("/ordered", script), retries=1, backoff=0.001, concurrency=12)
    res = client.score([item(f"reply {k}") for k in (1, 2, 3, 4)], mode="all")
    client.close()
    assert res.scores == {"semantic": [1, 2, 3, None], "acoustic": [5, 4, None, 2], "holistic": [1, 2, 3, 4]}
    assert res.rewards == [1.0, 2.0, 3.0, 4.0]
    stats = res.stats
    assert (stats["calls"], stats["failures"], stats["reward_missing"], stats["retries"]) == (12, 2, 0, 2)
    assert res.stats["errors"] == {"HTTP 500": 1, "no valid answer in reply": 1}


def test_split_rewards_use_the_semantic_weight_asked_for(scripted):
    """score(mode="split"): a judge that gives semantic 5 and acoustic 1; w = 0.25 -> 0.25 * 5 + 0.75 * 1 = 2.0,
    w = 1 -> 5.0. Bug caught: JudgeResult.rewards computed with the default 0.7 whatever --semantic-weight
    says (3.8 both times; the existing tests use 0.7, where the two agree)."""
    url = scripted("/weighted", lambda n, body: (200, "<score>5</score>" if "Scoring axis: semantic" in
                                                 body["messages"][0]["content"] else "<score>1</score>", ()))
    client = reward.JudgeClient(url)
    got = [client.score([item()], mode="split", semantic_weight=w).rewards for w in (0.25, 1.0)]
    client.close()
    assert got == [[2.0], [5.0]]

def test_each_request_carries_its_own_items_question_reference_transcript_audio_and_seed(scripted):
    """What the judge reads back from each request (judge_request, the local judge's reader) is that item's
    question, reference, transcript, audio (at its rate, to 16-bit precision) and seed, on every axis; seed
    0 is a seed, and an empty reference is no reference section. Bugs caught: the transcript sent as the
    question, the reference left out (the toy judge would fall back on its own answer and not notice), seed 0
    dropped as falsy, an empty "Reference answer:" heading sent."""
    import judge_request
    url = scripted("/fields", lambda n, body: (200, "<score>3</score>", ()))
    items = [item("blue it is", "name a colour", reference="blue", seed=0),
             item("you said red sun", "repeat after me red sun say it loudly", "loudly", reference="",
                  seed=2 ** 31 - 1)]
    items[1].wave, items[1].rate = codec.resample(items[1].wave, items[1].rate, 22050), 22050
    client = reward.JudgeClient(url, concurrency=6)
    res = client.score(items, mode="all")
    client.close()
    assert res.rewards == [3.0, 3.0]
    got = {}
    for _, body in sent("/fields"):
        req = judge_request.parse_judge_request(body)
        (transcript, wave, rate), = req["replies"]
        got.setdefault((req["question"], req["reference"], transcript, req["seed"], rate), []).append(req["axis"])
        it = next(it for it in items if it.transcript == transcript)
        assert rate == it.rate and np.abs(wave - np.clip(it.wave, -1, 1)).max() <= 1 / 32768
    both = ["acoustic", "holistic", "semantic"]
    assert {k: sorted(v) for k, v in got.items()} == {
        ("name a colour", "blue", "blue it is", 0, items[0].rate): both,
        ("repeat after me red sun say it loudly", None, "you said red sun", 2 ** 31 - 1, 22050): both}


def test_compare_sends_each_pair_in_its_order_with_its_reference_and_seed(scripted):
    """compare(): the judge reads back each pair's question, reference, A's transcript then B's, the audio in
    the same order, and the pair's seed (0 included); the choices come back per axis in pair order. Bugs
    caught: the seed or the reference not passed on (the toy judge knows the toy answer anyway, so no
    verdict changes), seed 0 dropped, A and B swapped between text and audio."""
    import judge_request
    url = scripted("/pairs", lambda n, body: (200, "<choice>B</choice>" if "reply B:\nlong" in
                                              body["messages"][1]["content"][0]["text"] else "<choice>A</choice>", ()))
    short, long = reply("short"), reply("long answer here")
    client = reward.JudgeClient(url)
    out = client.compare([("what is 3 plus 4", "8", short, long, 0), ("q two", None, long, short, 11)],
                         axes=("overall", "naturalness"))
    client.close()
    assert out == {"overall": ["B", "A"], "naturalness": ["B", "A"]}
    seen = {}
    for _, body in sent("/pairs"):
        req = judge_request.parse_judge_request(body)
        assert req["mode"] == "compare"
        (ta, wa, _), (tb, wb, _) = req["replies"]
        by_text = {"short": short, "long answer here": long}
        assert len(wa) == len(by_text[ta][1]) and len(wb) == len(by_text[tb][1])
        seen.setdefault((req["question"], req["reference"], ta, tb, req["seed"]), set()).add(req["axis"])
    assert seen == {("what is 3 plus 4", "8", "short", "long answer here", 0): {"overall", "naturalness"},
                    ("q two", None, "long answer here", "short", 11): {"overall", "naturalness"}}


def test_scores_and_choices_in_the_spellings_judges_write():
    """Real judges pad the tag's value and vary its case: '<score> 4 </score>', '<SCORE>4</SCORE>',
    '<choice>a</choice>'. Bugs caught: a score pattern without the spaces or case-sensitive (a judge's
    every answer None), a lower-case choice returned as 'a' (counted as neither A nor B)."""
    assert reward.parse_score("fine.\n<score> 4 </score>") == 4 and reward.parse_score("<SCORE>4</SCORE>") == 4
    assert reward.parse_score("<score>\n2\n</score>") == 2 and reward.parse_score(None) is None
    assert reward.parse_choice("<choice>a</choice>") == "A" and reward.parse_choice("<CHOICE> b </CHOICE>") == "B"
    assert reward.parse_choice("<choice>TIE</choice>") == "tie"


def test_judge_url_takes_https_and_refuses_a_url_without_a_host():
    """Bugs caught: https refused (every real judge API), or 'http:///v1/...' and 'http://:8000/v1'
    (no host) accepted at start, to fail at the first step's call."""
    import argparse
    url = "https://generativelanguage.example.com/v1beta/openai/chat/completions"
    assert reward.judge_url(url) == url and reward.judge_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    for bad in ("http:///v1/chat/completions", "http://:8000/v1/chat/completions"):
        with pytest.raises(argparse.ArgumentTypeError, match="host"):
            reward.judge_url(bad)


def test_the_judge_url_and_model_default_to_the_environment(monkeypatch, capsys):
    """WAVALIGN_JUDGE_URL / WAVALIGN_JUDGE_MODEL are the flags' defaults, and a malformed URL there is
    refused at start like one given as a flag. Bugs caught: the environment ignored (a run meant for the
    real judge silently trains on the local toy one), or its URL not checked."""
    import argparse

    def parse(argv=()):
        parser = argparse.ArgumentParser()
        reward.add_judge_args(parser)
        return parser.parse_args(list(argv))
    monkeypatch.setenv("WAVALIGN_JUDGE_URL", "https://judge.example/v1/chat/completions")
    monkeypatch.setenv("WAVALIGN_JUDGE_MODEL", "gemini-2.5-pro")
    args = parse()
    assert (args.judge_url, args.judge_model) == ("https://judge.example/v1/chat/completions", "gemini-2.5-pro")
    assert parse(["--judge-url", "http://127.0.0.1:1/v1"]).judge_url == "http://127.0.0.1:1/v1"
    monkeypatch.setenv("WAVALIGN_JUDGE_URL", "judge.example/v1")
    with pytest.raises(SystemExit):
        parse()
    assert "judge.example/v1" in capsys.readouterr().err


def test_judge_bill_adds_up_the_runs_steps(tmp_path):
    """Hand-worked: steps of 18, 6 and 18 calls (axes logged on the first and last) and an SFT step that
    calls no judge: 42 calls in 4 steps, 10.5 a step, 2 logged. An empty metrics file (a run stopped before
    its first step) bills nothing; no file, no bill. Bugs caught: logged_steps counting the key instead of its
    value, a step without judge_calls raising KeyError, a division by zero steps."""
    path = tmp_path / "metrics.jsonl"
    rows = [{"step": 1, "judge_calls": 18, "logged_axes": True}, {"step": 2, "judge_calls": 6, "logged_axes": False},
            {"step": 3, "judge_calls": 18, "logged_axes": True}, {"step": 4, "sft_loss": 1.0}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert reward.judge_bill(str(path)) == {"calls": 42, "steps": 4, "calls_per_step": 10.5, "logged_steps": 2}
    path.write_text("")
    assert reward.judge_bill(str(path)) == {"calls": 0, "steps": 0, "calls_per_step": 0.0, "logged_steps": 0}
    assert reward.judge_bill(str(tmp_path / "none.jsonl")) is None


def test_open_judge_passes_the_flags_to_the_client(scripted, sleeps, monkeypatch):
    """--judge-url / --judge-model / --judge-key-env / --judge-retries reach the calls: the model named in
    the body, the key read from the named variable (not the variable's name) sent as a bearer token, one
    retry (2 attempts) against a judge that answers 500. Bugs caught: retries and concurrency swapped in
    the positional call (32 retries), the variable's name sent as the key, the model not passed."""
    import argparse
    import contextlib
    url = scripted("/wired", lambda n, body: (500, "boom", ()))
    monkeypatch.setenv("H18_JUDGE_KEY", "sk-from-env")
    parser = argparse.ArgumentParser()
    reward.add_judge_args(parser)                     # train.py's and eval.py's judge flags
    args = parser.parse_args(["--judge-url", url, "--judge-model", "gemini-2.5-pro", "--judge-key-env", "H18_JUDGE_KEY",
                           "--judge-retries", "1", "--judge-concurrency", "3"])
    with contextlib.ExitStack() as stack:
        res = reward.open_judge(args, stack).score([item()], mode="holistic")
    calls = sent("/wired")
    assert res.rewards == [None] and len(calls) == 2 and res.stats["retries"] == 1
    assert {auth for auth, _ in calls} == {"Bearer sk-from-env"}
    assert {body["model"] for _, body in calls} == {"gemini-2.5-pro"}


# ---------------------------------------------------------------- the server's plumbing (survivors of a mutation audit)

@pytest.fixture()
def fresh_server():
    """A local judge of its own (its /stats start at zero): -> (base URL, chat/completions URL)."""
    server = judge.make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield base, base + "/v1/chat/completions"
    server.shutdown()
    server.server_close()


def test_the_paths_clients_use_are_served_and_the_model_is_echoed(fresh_server):
    """An OpenAI-style client given the base URL without /v1 posts to /chat/completions; health checks use
    /health or /v1/health; the answer names the model asked for. Bugs caught: /chat/completions or
    /v1/health answered 404, the model not echoed."""
    base, _ = fresh_server
    resp = post(base + "/chat/completions", good_body(model="gemini-2.5-pro"))
    assert resp.status_code == 200 and resp.json()["model"] == "gemini-2.5-pro"
    assert reward.parse_score(resp.json()["choices"][0]["message"]["content"]) == 5
    assert requests.get(base + "/v1/health", timeout=5).json() == {"status": "ok"}


def raw_exchange(url, head, body=b""):
    """Send `head` (and `body`) on one connection; -> everything the server sends until it closes."""
    host, port = url.split("/")[2].split(":")
    got = b""
    with socket.create_connection((host, int(port)), timeout=3) as s:
        s.sendall(head + body)
        while chunk := s.recv(65536):
            got += chunk
    return got


def test_no_content_length_is_411_and_a_body_at_the_cap_is_read(fresh_server):
    """A POST without Content-Length gets 411 (not a 400 for an empty body); a body of exactly MAX_BODY
    bytes is read and judged (here: malformed JSON, 400), not refused as too large. Bugs caught: a missing
    length read as 0, the cap off by one (>=)."""
    _, url = fresh_server
    close = b"Connection: close\r\n"
    assert raw_exchange(url, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + close + b"\r\n").startswith(
        b"HTTP/1.1 411")
    at_cap = raw_exchange(url, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + close +
                          f"Content-Length: {judge.MAX_BODY}\r\n\r\n".encode(), b"x" * judge.MAX_BODY)
    assert at_cap.startswith(b"HTTP/1.1 400") and b"malformed JSON" in at_cap


def test_a_refused_oversized_body_closes_the_connection(fresh_server):
    """After a 413 the server has not read the body, so it must hang up rather than read the body's bytes as
    the next request. Bug caught: a 413 on a kept-alive connection (held open for a next request that
    would start with the unread body's bytes)."""
    _, url = fresh_server
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {judge.MAX_BODY + 1}\r\n\r\n".encode()
    got = raw_exchange(url, head)           # the server hangs up: no socket timeout waiting for more
    assert got.startswith(b"HTTP/1.1 413") and got.count(b"HTTP/1.1") == 1


def test_a_client_that_hangs_up_early_prints_no_traceback(capsys):
    """A client gone before its answer is written (BrokenPipeError, ConnectionResetError on the server's write) is
    no server fault: nothing on stderr. Any other error in a handler thread is still printed. Bugs caught: the
    stdlib's traceback for every trainer that times out and closes its socket; every error silenced with it."""
    server = judge.make_server("127.0.0.1", 0)
    try:
        for gone in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "Connection reset by peer")):
            try:
                raise gone
            except OSError:
                server.handle_error(None, ("127.0.0.1", 1))
        assert capsys.readouterr().err == ""
        try:
            raise ValueError("a real fault")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))
        assert "ValueError: a real fault" in capsys.readouterr().err
    finally:
        server.server_close()


def test_refused_requests_leave_nothing_in_flight(fresh_server):
    """/stats after refused and answered requests: every one counted, none left in flight (a handler counts
    itself out just after its answer has gone, so this waits for it, up to 5 s). Bug caught: in_flight
    decremented only on success (the concurrency stats, and tests that read them, drift)."""
    base, url = fresh_server
    assert [post(url, b).status_code for b in ("{not json", {"model": "m"}, good_body())] == [400, 400, 200]
    deadline = time.monotonic() + 5
    while (stats := requests.get(base + "/stats", timeout=5).json())["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stats["requests"] == 3 and stats["in_flight"] == 0


def test_latency_is_jittered_per_request_and_seeded_by_the_server_seed(monkeypatch):
    """--latency 2 --latency-jitter 0.25: each answered call waits 1.5-2.5 s, different requests differently,
    the same request as long again, and a server with another --seed waits differently for the same
    request (sleeps recorded, not slept). Bugs caught: the jitter not reaching the handler (every call
    2.0 s), the server's seed not used (every seed waits alike), no wait at all."""
    import types
    waits = []
    monkeypatch.setattr(judge, "time", types.SimpleNamespace(sleep=waits.append, time=time.time))
    bodies = [good_body(seed=s) for s in (1, 2, 3, 1)]
    per_seed = []
    for seed in (0, 1):
        server = judge.make_server("127.0.0.1", 0, latency=2.0, jitter=0.25, seed=seed)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            del waits[:]
            url = f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
            assert [post(url, b).status_code for b in bodies] == [200] * 4
            per_seed.append(list(waits))
        finally:
            server.shutdown()
            server.server_close()
    for w in per_seed:
        assert len(w) == 4 and all(1.5 <= x <= 2.5 for x in w) and len(set(w[:3])) == 3 and w[3] == w[0]
    assert all(a != b for a, b in zip(*per_seed))


def test_jitter_outside_0_to_1_is_refused():
    """Bug caught: a jitter above 1 accepted, so some calls would ask time.sleep for a negative wait (a
    ValueError, answered 500 and retried by every client)."""
    for jitter in (1.5, -0.1):
        with pytest.raises(ValueError, match="jitter"):
            judge.make_server("127.0.0.1", 0, latency=1.0, jitter=jitter)


def test_serve_on_a_taken_port_ends_with_one_line(monkeypatch, capsys):
    """`judge.py serve --port P` where P is taken. Bug caught: socket.bind's OSError traceback
    (its scoring processes left behind) instead of one line naming the port, status 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr("sys.argv", ["judge.py", "serve", "--port", str(port), "--workers", "0"])
        with pytest.raises(SystemExit) as stop:
            judge.main()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and f"--port {port}" in last and "cannot listen" in last


def test_the_local_judge_subprocess_is_the_judge_its_flags_describe():
    """LocalJudge(noise llm, seed 5, extra acoustic noise) answers six seeded replies, on the two noisy axes,
    exactly as an in-process server built with the same flags. Bug caught: a flag (the seed, the noise)
    not passed to the subprocess (its scores are another rater's)."""
    flags = dict(noise="llm", seed=5, acoustic_noise=0.5)
    items = [item(seed=s) for s in range(6)]
    server = judge.make_server("127.0.0.1", 0, **flags)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
        here = reward.JudgeClient(url).score(items, "split")
    finally:
        server.shutdown()
        server.server_close()
    with judge.LocalJudge(workers=0, **flags) as local:
        there = reward.JudgeClient(local.url).score(items, "split")
    assert there.scores == here.scores and len(set(here.scores["acoustic"])) > 1


def test_rollout_items_take_each_replys_own_prompt_audio_and_seed():
    """Two prompts x G = 2 replies (rollout.Rollout: reply i answers sample i // G): each item carries its own
    prompt's question and reference, its own transcript, audio and rate, and its seed reduced below 2**31
    (a real API's int). Bugs caught: every reply given the first prompt's reference (or question), which the
    toy judge would not notice for a toy question it can answer itself."""
    import types
    samples = [types.SimpleNamespace(question_text="name a colour", reference="blue"),
               types.SimpleNamespace(question_text="what is 3 plus 4", reference="7")]
    waves = [np.full(4, k, np.float32) for k in range(4)]
    batch = types.SimpleNamespace(texts=["blue", "red", "7", "8"], waves=waves, rates=[16000, 16000, 22050, 22050],
                                  sample_of=lambda i: samples[i // 2])
    items = reward.rollout_items(batch, seeds=[2 ** 31 + 3, 5, 2 ** 32 + 7, 9])
    assert [(it.question, it.reference, it.transcript, it.rate, it.seed) for it in items] == [
        ("name a colour", "blue", "blue", 16000, 3), ("name a colour", "blue", "red", 16000, 5),
        ("what is 3 plus 4", "7", "7", 22050, 7), ("what is 3 plus 4", "7", "8", 22050, 9)]
    assert [float(it.wave[0]) for it in items] == [0.0, 1.0, 2.0, 3.0]


def test_open_judge_starts_the_local_judges_its_flags_describe(monkeypatch):
    """Without --judge-url, open_judge starts the training judge (--judge-noise llm, extra acoustic noise,
    --seed 5) and the noise-free human, both with --judge-latency 2. Stood in for by in-process servers built
    from what open_judge asks of LocalJudge (sleeps recorded, not slept): the training judge scores four seeded
    replies exactly as a server built with those flags by hand, the human gives them all 5, and every answer
    of both waits 1.5-2.5 s. Bugs caught: the run's --seed not passed (another rater's draws), --judge-latency
    not passed (no emulated wait)."""
    import argparse
    import contextlib
    import types

    class InProcess:
        def __init__(self, **flags):
            self.server = judge.make_server("127.0.0.1", 0, **flags)
            self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/chat/completions"

        def __enter__(self):
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
            return self

        def __exit__(self, *exc):
            self.server.shutdown()
            self.server.server_close()
    waits = []
    monkeypatch.setattr(judge, "LocalJudge", InProcess)
    monkeypatch.setattr(judge, "time", types.SimpleNamespace(sleep=waits.append, time=time.time))
    parser = argparse.ArgumentParser()
    reward.add_judge_args(parser)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(["--judge-noise", "llm", "--judge-acoustic-noise", "0.5", "--judge-latency", "2",
                              "--seed", "5"])
    items = [item(seed=s) for s in range(4)]
    with contextlib.ExitStack() as stack:
        trained_by = reward.open_judge(args, stack).score(items, "split").scores
        human = reward.open_judge(args, stack, human=True).score(items, "split").scores
    assert len(waits) == 16 and all(1.5 <= w <= 2.5 for w in waits)
    with InProcess(noise="llm", acoustic_noise=0.5, seed=5) as by_hand:
        assert reward.JudgeClient(by_hand.url).score(items, "split").scores == trained_by
    assert set(human["semantic"]) == set(human["acoustic"]) == {5} and len(set(trained_by["acoustic"])) > 1
