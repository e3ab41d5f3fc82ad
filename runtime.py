"""What a training run needs besides the maths: processes, data order, checkpoints, logs.

  setup_distributed   rank / world / device from torchrun's environment (plain python = 1 process);
                      teardown_distributed at the end of a run every rank finished
  gpu_memory          a step's peak and held GPU memory (max over ranks)
  all_reduce_sum/max  the collectives the loop needs (metrics, gate statistics), on any device
  wrap_parallel       DDP, or FSDP2 (--fsdp: each decoder layer, then the root; bf16 compute on GPUs)
  gathered            under FSDP, full weights on every rank for the length of a rollout
  Shards              global batches from a seeded per-epoch permutation, one slice per rank
  save / restore      atomic checkpoints that resume exactly: weights, optimiser (FSDP: gathered
                      to full tensors), schedule, every rank's RNG states, data position, extras
  check_out           an --out holding a run is continued (--resume, the same run) or replaced
                      (--overwrite: clear_out, once the new run has its model and data)
  Logger              one line per step, metrics.jsonl (trimmed to the checkpoint on resume)
  json_safe           strict JSON: NaN and infinities become null
  in_background       a call on its own thread (the judge while the step computes); waited(future)

train.py uses these; nothing here knows about spoken dialogue.

Deviations from the paper and the official release: the paper says nothing of these
mechanics. Against the official release, what they change is listed where it shows:
lambda's EMA all-reduced and checkpointed (gate.py, 1), one experiment over any number
of processes and the non-finite-update guard (train.py, 5).
"""
import contextlib
import datetime
import json
import math
import os
import random
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

# ---------------------------------------------------------------- processes


def setup_distributed(device_arg="auto", fsdp=False, timeout_minutes=60.0):
    """Rank, world size and device from torchrun's environment; plain `python` = one process.
    FSDP2 shards over a process group even on one process (`torchrun --nproc_per_node 1`, or plain
    python: a group of one over an in-process store), so --fsdp gets one there too. A collective
    that waits longer than `timeout_minutes` ends the run (train.py's --dist-timeout): the other
    ranks wait in one while rank 0 writes a checkpoint or scores the closing summary alone."""
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    local = int(os.environ.get("LOCAL_RANK", 0))
    use_cuda = device_arg == "cuda" or (device_arg == "auto" and torch.cuda.is_available())
    device = torch.device(f"cuda:{local}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    backend = "nccl" if use_cuda else "gloo"
    group = {"timeout": datetime.timedelta(minutes=timeout_minutes)}
    if use_cuda:        # NCCL bound to this rank's GPU up front: else its first barrier guesses it (and warns)
        group["device_id"] = device
    if not dist.is_initialized():
        if world > 1 or (fsdp and "MASTER_ADDR" in os.environ):     # torchrun
            dist.init_process_group(backend, **group)
        elif fsdp:                                                     # plain python
            dist.init_process_group(backend, store=dist.HashStore(), rank=0, world_size=1, **group)
    return rank, world, device


def distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _group_device() -> torch.device:
    """Where the process group's collectives run: the current GPU under NCCL, else the CPU."""
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def _all_reduce(t: torch.Tensor, op) -> torch.Tensor:
    """Reduce a copy of t over ranks on the group's device; the result comes back on t's device."""
    if not distributed():
        return t
    out = t.to(_group_device(), copy=True)
    dist.all_reduce(out, op=op)
    return out.to(t.device)


def all_reduce_sum(t: torch.Tensor) -> torch.Tensor:
    """Sum a tensor over ranks (identity in a single process), on any device (NCCL needs CUDA:
    the tensor travels to the group's device and back)."""
    return _all_reduce(t, dist.ReduceOp.SUM)


def average_over_ranks(tensors) -> None:
    """Replace each tensor by its mean over ranks, in place (as DDP averages gradients); a no-op in one process."""
    if distributed():
        for t in tensors:
            t.copy_(all_reduce_sum(t) / dist.get_world_size())


def all_reduce_max(t: torch.Tensor) -> torch.Tensor:
    """Elementwise max over ranks, on any device, as all_reduce_sum."""
    return _all_reduce(t, dist.ReduceOp.MAX)


def gpu_memory(device, prompt_width, reply_width) -> dict:
    """On a CUDA device: this step's peak and what stays allocated after it (GiB), with the
    padded prompt and reply widths that drive them, each the largest over ranks; the peak
    counter then restarts for the next step. {} on the CPU. Counts what torch's allocator
    handed out (not its cache, not the CUDA context); step 1's peak includes the loading."""
    if device.type != "cuda":
        return {}
    gib = float(2 ** 30)
    now = torch.tensor([torch.cuda.max_memory_allocated(device) / gib, torch.cuda.memory_allocated(device) / gib,
                        prompt_width, reply_width], dtype=torch.float64)
    torch.cuda.reset_peak_memory_stats(device)
    peak, held, prompt, reply = all_reduce_max(now).tolist()
    return {"gpu_peak_gib": peak, "gpu_held_gib": held, "prompt_width": int(prompt), "reply_width": int(reply)}


def teardown_distributed():
    """After a run that every rank finished: wait for all of them, then destroy the process
    group. Left to the interpreter's exit, gloo's threads were torn down with it and a rank now and
    then died of SIGABRT after its work was done ("terminate called without an active exception").
    Not on an error path: destroying while another rank is inside a collective can deadlock."""
    if distributed():
        barrier()
        dist.destroy_process_group()


def barrier():
    if distributed():
        dist.barrier()


def gather_objects(obj, world):
    """List of obj from every rank (on every rank)."""
    if world == 1:
        return [obj]
    out = [None] * world
    dist.all_gather_object(out, obj)
    return out


def is_sharded(model) -> bool:
    return any(type(p).__name__ == "DTensor" for p in model.parameters())


def wrap_parallel(policy, fsdp, world, device):
    """DDP, or FSDP2 with fsdp=True; returns the callable for training forwards."""
    if fsdp:
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard
        mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32) \
            if device.type == "cuda" else MixedPrecisionPolicy()
        for layer in policy.decoder_layers():
            fully_shard(layer, mp_policy=mp)
        fully_shard(policy.net, mp_policy=mp)   # the network is the root; the thin wrapper stays outside
        return policy
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        return DistributedDataParallel(policy, device_ids=[device.index] if device.type == "cuda" else None)
    return policy


@contextlib.contextmanager
def gathered(policy):
    """Under FSDP, keep the full weights on each rank while sampling (one all-gather per
    layer per rollout instead of one per token); a no-op otherwise."""
    from torch.distributed.fsdp import FSDPModule
    sharded = [m for m in policy.modules() if isinstance(m, FSDPModule)]
    for m in sharded:
        m.set_reshard_after_forward(False)
        m.unshard()
    try:
        yield
    finally:
        for m in sharded:
            m.reshard()
            m.set_reshard_after_forward(True)


# ---------------------------------------------------------------- data order


class Shards:
    """Global batches of world*B items from a seeded per-epoch permutation; rank r takes
    its slice. The position (epoch, index) is saved in checkpoints."""

    def __init__(self, n, batch, rank, world, seed):
        if n < batch * world:
            raise ValueError(f"{n} items cannot fill a global batch of {batch} x {world} ranks")
        self.n, self.batch, self.rank, self.world, self.seed = n, batch, rank, world, seed
        self.epoch, self.index = 0, 0
        self._perm = self._permutation()

    def _permutation(self):
        return torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed * 7919 + self.epoch)).tolist()

    def next(self):
        span = self.batch * self.world
        if self.index + span > self.n:
            self.epoch, self.index = self.epoch + 1, 0
            self._perm = self._permutation()
        lo = self.index + self.rank * self.batch
        self.index += span
        return self._perm[lo:lo + self.batch]

    def state_dict(self):
        return {"epoch": self.epoch, "index": self.index}

    def load_state_dict(self, s):
        self.epoch, self.index = s["epoch"], s["index"]
        self._perm = self._permutation()


# ---------------------------------------------------------------- checkpoints


def full_state_dict(model):
    """The full (unsharded) model state dict under FSDP (every rank must call), else None."""
    if not is_sharded(model):
        return None
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def _optimizer_state(model, opt):
    if not is_sharded(model):
        return opt.state_dict()
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict
    return get_optimizer_state_dict(model, opt, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def rng_state(generator):
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate(),
            "sampling": generator.get_state()}


def save(path, model, opt, sched, shards, generator, step, rank, world, extra=None):
    """Checkpoint to PATH atomically (a temp dir, then renames); every rank must call."""
    model_state, opt_state = full_state_dict(model), _optimizer_state(model, opt)
    rngs = gather_objects(rng_state(generator), world)
    if rank != 0:
        return
    state = {"step": step, "optimizer": opt_state, "scheduler": sched.state_dict(), "data": shards.state_dict(),
             "rng": rngs, **(extra or {})}
    tmp, old = path + ".tmp", path + ".old"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp, state_dict=model_state, exact=True)     # resumes to the bit: master weights as trained
    torch.save(state, os.path.join(tmp, "train_state.pt"))
    if os.path.exists(path):
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def read_state(path) -> dict:
    """The training state of a checkpoint (its weights go in with model.load_weights first), read
    onto the host: without FSDP the optimiser's moments were saved from rank 0's GPU, and a plain
    load would put every rank's copy on GPU 0 (2 x 15.5 GB a rank at 7.7B in bf16) before
    load_state_dict moves each to its parameter's device, as it does from the host too. Mapped
    from the file (mmap, copy-on-write), not read: a node's ranks share its pages in the page
    cache instead of holding a copy each (8 x 31 GB of host memory at 7.7B). While any tensor read
    here lives the file stays mapped: restore copies what the optimiser keeps on the host out of
    it, and the caller drops the rest once used (a mapped file's blocks outlive its removal by the
    next save, and on NFS its .nfs stand-in would fail the save after that)."""
    if not os.path.exists(os.path.join(path, "train_state.pt")):
        raise SystemExit(f"--resume: no checkpoint at {path}")
    try:
        return torch.load(os.path.join(path, "train_state.pt"), weights_only=False, map_location="cpu", mmap=True)
    except (OSError, RuntimeError, EOFError, ValueError) as e:    # cut short: a disk that filled while saving
        raise SystemExit(f"--resume: {path}/train_state.pt cannot be read ({type(e).__name__}: "
                         f"{(str(e).strip().splitlines() or [''])[0][:200]})") from None


def restore(state, model, opt, sched, shards, generator, rank):
    """Put a checkpoint's optimiser, schedule, data position and RNG back (after wrapping)."""
    if is_sharded(model):
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict
        set_optimizer_state_dict(model, opt, state["optimizer"], options=StateDictOptions(full_state_dict=True))
    else:
        opt.load_state_dict(state["optimizer"])
    for slots in opt.state.values():        # AdamW's `step` counts stay on the host as loaded; a CPU run's moments too
        for k, v in slots.items():
            if torch.is_tensor(v) and v.device.type == "cpu":
                slots[k] = v.clone()
    sched.load_state_dict(state["scheduler"])
    shards.load_state_dict(state["data"])
    s = state["rng"][rank]
    torch.set_rng_state(s["torch"])
    np.random.set_state(s["numpy"])
    random.setstate(s["python"])
    generator.set_state(s["sampling"])


# ---------------------------------------------------------------- the run directory

RUN_FILES = ("metrics.jsonl", "spoken.json", "summary.json")         # the files a run writes in --out
RUN_MARKERS = ("ckpt", "final", *RUN_FILES)                            # what says "a run is here"
# what a run is: --resume with another value than its checkpoint's would continue a different
# experiment (another stage's records in this run's metrics and checkpoint, another data order or streams)
RUN_IDENTITY = ("stage", "model", "batch_size", "group_size", "seed", "gate", "steps")


def check_out(args):
    """An --out that holds a run is continued (--resume) or replaced (--overwrite), never replaced
    silently: relaunched without --resume, a long run's metrics.jsonl was emptied at once and its
    checkpoint replaced at the first save. --resume continues the same run: the flags of
    RUN_IDENTITY as its checkpoint recorded them (--steps may grow, not shrink), and its files: one
    that is a directory (metrics.jsonl, summary.json, spoken.json) is refused (--overwrite removes it)."""
    if args.resume:
        for name in RUN_FILES:
            if os.path.isdir(os.path.join(args.out, name)):
                raise SystemExit(f"--out {args.out}: {name} is a directory, not the run's file; move it away")
        check_same_run(args)
        return
    if args.init and os.path.abspath(args.init) == os.path.abspath(args.out):
        raise SystemExit(f"--init and --out are both {args.out}: the run would replace the model it starts from "
                         "(and the reference it is held to); give another --out")
    held = [name for name in RUN_MARKERS if os.path.exists(os.path.join(args.out, name))]
    if held and not args.overwrite:
        raise SystemExit(f"--out {args.out} holds a run ({', '.join(held)}): --resume to continue it, "
                         "--overwrite to start it again, or another --out")


def check_same_run(args):
    """--resume: refuse, in one line naming the flag, what would continue another experiment in
    this run's files, against the flags the checkpoint was saved with (its "config"). The state is
    mapped, not read (read_state), and let go of once its flags are out."""
    ckpt = os.path.join(args.out, "ckpt")
    if not os.path.exists(os.path.join(ckpt, "train_state.pt")):
        return                      # common_loop_state names the missing checkpoint
    recorded = read_state(ckpt).get("config") or {}
    for key in RUN_IDENTITY:
        was, now = recorded.get(key), getattr(args, key)
        if key in recorded and (now < was if key == "steps" else now != was):
            flag = "--" + key.replace("_", "-")
            raise SystemExit(f"--resume: {flag} {now}, but the run in {args.out} was started with {flag} {was}"
                             + (" (it may grow)" if key == "steps" else "") + "; give the same, or another --out")


def clear_out(args, rank):
    """--overwrite: the old run's markers go once the new run has its model and data (a bad
    flag or file leaves the old run as it was), before it writes anything, so a new run stopped
    early is never read as the old one finished (its final model, its summary)."""
    if not args.overwrite or rank != 0:
        return
    for path in (os.path.join(args.out, name) for name in RUN_MARKERS):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)


# ---------------------------------------------------------------- logs


def json_safe(obj):
    """obj with every non-finite float replaced by None, so files are strict JSON (no NaN/Infinity)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def write_json(path, obj):
    """Atomically write strict JSON (temp file, then rename): a crash never leaves half a file."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(json_safe(obj), f, indent=1, allow_nan=False, default=str)
    os.replace(tmp, path)


class Logger:
    """metrics.jsonl, one record per step, and a fixed-format console line every `every`
    steps (and at step 1), printed above the tqdm bar, which redraws in between (rank 0 only)."""

    def __init__(self, out, rank, resume_step=0, quiet=False, every=1):
        self.rank, self.quiet, self.every, self.path = rank, quiet, max(1, every), os.path.join(out, "metrics.jsonl")
        if rank == 0:
            os.makedirs(out, exist_ok=True)
            kept = []
            if resume_step and os.path.exists(self.path):   # drop records past the checkpoint
                # a last line cut short is the record a kill interrupted: it is logged before its step's
                # checkpoint, so it lies past the one resumed from and goes with the others past it
                kept = [json.dumps(r) + "\n" for r in read_metrics(self.path, torn_tail=True)
                        if r.get("step", 0) <= resume_step]
            with open(self.path + ".tmp", "w") as f:    # atomic: the old records survive a crash here
                f.writelines(kept)
            os.replace(self.path + ".tmp", self.path)

    def log(self, record, line):
        if self.rank != 0:
            return
        with open(self.path, "a") as f:
            f.write(json.dumps(json_safe(record), allow_nan=False) + "\n")
        step = record.get("step", 0)
        if not self.quiet and (step == 1 or step % self.every == 0):
            tqdm.write(line)


def read_metrics(path, torn_tail=False) -> list:
    """A run's metrics.jsonl -> its records. A missing file, or a line that is not JSON, is a
    dataset.DataError naming the file (and line): the CLIs print it as one line. torn_tail: a
    last line that is not JSON is left out instead (a write cut by a kill)."""
    import dataset
    try:
        with open(path) as f:
            lines = f.readlines()
    except FileNotFoundError:
        raise dataset.DataError(f"{path}: no such file (train.py writes one into its run directory)") from None
    rows = []
    last = max((n for n, line in enumerate(lines, 1) if line.strip()), default=0)
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                if torn_tail and n == last:
                    break
                raise dataset.DataError(f"{path}:{n}: not valid JSON ({e})") from None
    return rows


def in_background(fn, *args, **kwargs):
    """fn(*args, **kwargs) on its own thread -> a Future (.result() waits, re-raises its error)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background")
    future = pool.submit(fn, *args, **kwargs)
    pool.shutdown(wait=False)            # the thread ends when fn returns
    return future


def waited(future):
    """Block until the future is done -> seconds spent waiting."""
    t0 = time.perf_counter()
    future.exception()
    return time.perf_counter() - t0
