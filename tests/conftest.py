"""Shared fixtures: a small generated toy dataset, micro models, an in-process judge."""
import os
import sys
import threading

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
torch.set_num_threads(1)   # deterministic and fair on a 2-core CI machine
# --judge-url and --judge-model default to these: a developer who exported a paid judge's URL
# must not have the suite (or the runs it starts in subprocesses) call it
for _name in ("WAVALIGN_JUDGE_URL", "WAVALIGN_JUDGE_MODEL"):
    os.environ.pop(_name, None)

# a model small enough that a training step takes well under a second on CPU
MICRO = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
             num_key_value_heads=2)


def descendants(pid):
    """Every live process below `pid` (Linux /proc), children first. torchrun starts its ranks in
    sessions of their own, so killing the launcher's process group misses them."""
    parent_of = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent_of[int(entry)] = int(f.read().rsplit(")", 1)[-1].split()[1])
        except (FileNotFoundError, ProcessLookupError):    # exited meanwhile
            pass
    out, frontier = [], [pid]
    while frontier:
        frontier = [p for p, parent in parent_of.items() if parent in frontier]
        out += frontier
    return out


def alive(pid):
    """A process that has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_dead(pids, seconds=10):
    """Wait up to `seconds` for `pids` to exit -> those still alive."""
    import time
    deadline = time.time() + seconds
    while any(alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


@pytest.fixture(scope="session")
def toy_dir(tmp_path_factory):
    from data.prepare import prepare
    out = tmp_path_factory.mktemp("toy")
    prepare(str(out), n_train=48, n_eval=8, seed=0, n_eval_extra=4)
    return out


@pytest.fixture(scope="session")
def samples(toy_dir):
    import codec
    import dataset
    return dataset.load_samples(str(toy_dir / "train.jsonl"), codec.encode, need_target=True)


def micro_model(name, seed=0):
    import model
    return model.build_model(name, seed=seed, config_overrides=MICRO)


def gradient_parts(ckpt, samples, rewards, monkeypatch, prompts, group):
    """analyses.gradient_events (one event) on a micro tiny-vita whose judge gives `rewards` in turn,
    its geometry replaced by a recorder of text part + speech part gradients, one list per objective.
    -> (model, its trained parameters, the event's rollout batch, the recorded sums)"""
    from types import SimpleNamespace
    import analyses
    import eval as ev

    class Scores:
        def score(self, items, mode="holistic"):
            return SimpleNamespace(rewards=[rewards[i % len(rewards)] for i in range(len(items))])
    model = micro_model("tiny-vita")
    params = [p for p in model.parameters() if p.requires_grad]
    seen, summed, sample = {}, [], analyses.rollout.sample
    monkeypatch.setattr(analyses.rollout, "sample", lambda *a, **k: seen.setdefault("batch", sample(*a, **k)))

    def geometry(named, lt, ls, **_):
        summed.append([a + b for a, b in zip(torch.autograd.grad(lt, params, retain_graph=True),
                                             torch.autograd.grad(ls, params, retain_graph=True))])
        return {"ratio": 1.0, "cos": 0.0, "layers": {}}
    monkeypatch.setattr(analyses.losses, "grad_geometry", geometry)
    args = ev.get_args(["--ckpt", ckpt, "--max-len", "24"])
    analyses.gradient_events(model, samples, Scores(), args, events=1, prompts=prompts, group=group)
    return model, params, seen["batch"], summed


@pytest.fixture(scope="session")
def micro_ckpts(tmp_path_factory):
    """Saved micro checkpoints (random init) for the training tests: {name: path}."""
    out = {}
    for name in ("tiny-vita", "tiny-kimi"):
        path = tmp_path_factory.mktemp(name)
        micro_model(name).save(str(path))
        out[name] = str(path)
    return out


@pytest.fixture(scope="session")
def judge_url():
    """The local toy judge served in-process on a free loopback port."""
    import judge
    server = judge.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
    server.shutdown()
    server.server_close()
