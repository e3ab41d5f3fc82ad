"""The mixing weight lambda_t of Eq. 8: the adaptive gate (Eq. 9-12) and its baselines.

    gate = make_gate("adaptive", lambda_max=0.8, slope=5.0, threshold=3.0, ema_alpha=0.9)
    out = gate.step(rewards, all_reduce=dist_sum)     # rewards (B, G), NaN = no score
    loss = (1 - out.lam) * sft + out.lam * grpo

A gate turns each prompt group's rewards into a raw weight (`raw`, per group),
averages it over every usable group of the step *on every rank* (`all_reduce`
sums a tensor across ranks), then smooths it with an EMA. So lambda_t is the same
on every rank, and `state_dict()` carries the EMA into checkpoints.

Registered gates (`--gate NAME`):
  adaptive  Eq. 9-12: v = clip(Var R / 4, 0, 1), g = sigmoid(k (max R - threshold)),
            lambda_raw = lambda_max g v, lambda_t = (1 - alpha) lambda_raw + alpha lambda_{t-1}
            (alpha = 0 is the paper's "w/o EMA" ablation)
  fixed     a constant lambda (Table 3's fixed 0.5/0.5 and 0.7/0.3 rows)

A fork adds a rule in a few lines (see README):

    @register_gate("max-only")
    class MaxOnlyGate(AdaptiveGate):
        def raw(self, stats):
            return self.lambda_max * torch.sigmoid(self.slope * (stats["max"] - self.threshold))

Deviations from the paper and the official release:
  1. The official EMA is per GPU and per micro-batch, never synchronised and never
     saved; here it is all-reduced once per step and checkpointed.
  2. A group with fewer than two valid rewards gives no statistics (the official
     code scores failures 2.5). A step without any usable group leaves the EMA
     unchanged and applies the current lambda.
  3. Two choices Eq. 9-12 leave open, taken as the official code takes them: lambda_raw
     is the mean of lambda_max g v over a step's groups (not lambda_max times the mean
     g times the mean v), and the first step applies lambda_raw unsmoothed (Eq. 12 has no
     lambda_0), so step 1 can be as high as lambda_max although H.2 reads "starts low".
"""
from dataclasses import dataclass

import torch

GATES = {}


def register_gate(name):
    def wrap(cls):
        GATES[name] = cls
        cls.name = name
        return cls
    return wrap


def make_gate(name, **kwargs):
    if name not in GATES:
        raise ValueError(f"unknown gate {name!r}; registered: {sorted(GATES)}")
    return GATES[name](**kwargs)


@dataclass
class GateOutput:
    lam: float            # lambda_t, applied this step
    lam_raw: float        # mean raw weight over this step's usable groups (NaN if none)
    reward_gate: float    # mean g_t(R) (Eq. 10), NaN where the gate has none
    info_gate: float      # mean v_t (Eq. 9)
    groups: int           # usable groups, all ranks


def group_stats(rewards: torch.Tensor) -> dict:
    """Per prompt group: max, population variance and count of valid rewards.
    rewards (B, G) float with NaN for missing -> dict of (B,) tensors; `usable` = >= 2 valid."""
    valid = ~torch.isnan(rewards)
    n = valid.sum(1)
    r = torch.where(valid, rewards, torch.zeros_like(rewards))
    mean = r.sum(1) / n.clamp(min=1)
    var = torch.where(valid, (r - mean[:, None]) ** 2, torch.zeros_like(r)).sum(1) / n.clamp(min=1)
    r_max = torch.where(valid, rewards, torch.full_like(rewards, -torch.inf)).max(1).values
    return {"max": r_max, "var": var, "n": n, "usable": n >= 2}


def info_gate(var: torch.Tensor) -> torch.Tensor:
    """Eq. 9: v = clip(Var(R) / 4, 0, 1); 4 is the largest variance on a 1-5 scale."""
    return (var / 4.0).clamp(0.0, 1.0)


def reward_gate(r_max: torch.Tensor, slope: float = 5.0, threshold: float = 3.0) -> torch.Tensor:
    """Eq. 10: g(R) = sigmoid(k (max R - threshold)): is there an acceptable reply?"""
    return torch.sigmoid(slope * (r_max - threshold))


def ema(lam_raw: float, prev: float | None, alpha: float) -> float:
    """Eq. 12: lambda_t = (1 - alpha) lambda_raw + alpha lambda_{t-1}; the first step is lambda_raw."""
    return lam_raw if prev is None else (1.0 - alpha) * lam_raw + alpha * prev


class Gate:
    """Base: per-group raw weights -> cross-rank mean -> EMA. Subclasses define `raw`."""
    name = "base"

    def __init__(self, lambda_max=0.8, slope=5.0, threshold=3.0, ema_alpha=0.9, lam=None):
        """Every gate takes train.py's whole set of gate flags; `lam` is the fixed gate's own."""
        if not 0.0 <= ema_alpha < 1.0:
            raise ValueError(f"ema_alpha must be in [0, 1), got {ema_alpha}")
        if not 0.0 <= lambda_max <= 1.0:       # above 1, Eq. 8 would weigh the SFT term negatively
            raise ValueError(f"lambda_max must be in [0, 1], got {lambda_max}")
        self.lambda_max, self.slope, self.threshold, self.ema_alpha = lambda_max, slope, threshold, ema_alpha
        self.lam = None           # lambda_{t-1}; None before the first step

    def raw(self, stats: dict) -> torch.Tensor:
        """Raw weight per group (B,) from group_stats; only usable groups are averaged."""
        raise NotImplementedError

    def diagnostics(self, stats: dict) -> dict:
        """Per-group (B,) tensors to average and log beside lambda (e.g. the two gates)."""
        return {}

    def group_weights(self, stats: dict) -> torch.Tensor:
        """The raw weight per group (B,) as step() averages it: `raw` held in [0, lambda_max]."""
        return self.raw(stats).clamp(0.0, self.lambda_max)

    def step(self, rewards: torch.Tensor, all_reduce=None) -> GateOutput:
        """rewards (B, G) of this rank's groups -> lambda_t, identical on every rank."""
        stats = group_stats(rewards.double())       # float64: rank-split sums round like one sum
        use = stats["usable"]
        raw = self.group_weights(stats)
        diag = self.diagnostics(stats)
        sums = torch.stack([raw[use].sum(), *[d[use].sum() for d in diag.values()],
                            use.sum().to(raw.dtype)]).double()
        if all_reduce is not None:
            sums = all_reduce(sums)
        count = float(sums[-1])
        means = (sums[:-1] / count).tolist() if count else [float("nan")] * (len(sums) - 1)
        if count:
            self.lam = min(self.lambda_max, max(0.0, ema(means[0], self.lam, self.ema_alpha)))
        names = list(diag)
        get = (lambda k: means[1 + names.index(k)] if k in names else float("nan"))
        return GateOutput(lam=0.0 if self.lam is None else self.lam, lam_raw=means[0],
                          reward_gate=get("reward_gate"), info_gate=get("info_gate"), groups=int(count))

    def state_dict(self) -> dict:
        return {"name": self.name, "lam": self.lam}

    def load_state_dict(self, state: dict):
        if state.get("name") != self.name:
            raise ValueError(f"checkpoint gate is {state.get('name')!r}, this run uses {self.name!r}")
        self.lam = state["lam"]


@register_gate("adaptive")
class AdaptiveGate(Gate):
    """Eq. 9-11 per group: lambda_raw = lambda_max * g(R) * v."""

    def raw(self, stats):
        return self.lambda_max * reward_gate(stats["max"], self.slope, self.threshold) * info_gate(stats["var"])

    def diagnostics(self, stats):
        return {"reward_gate": reward_gate(stats["max"], self.slope, self.threshold),
                "info_gate": info_gate(stats["var"])}


@register_gate("fixed")
class FixedGate(Gate):
    """A constant lambda, whatever the rollouts (Table 3's fixed-weight rows)."""

    def __init__(self, lam=0.5, **kwargs):
        super().__init__(**{**kwargs, "ema_alpha": 0.0, "lambda_max": 1.0})
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"fixed lambda must be in [0, 1], got {lam}")
        self.fixed = lam

    def raw(self, stats):
        return torch.full_like(stats["var"], self.fixed)

    def step(self, rewards, all_reduce=None):
        out = super().step(rewards, all_reduce)
        self.lam = self.fixed
        out.lam = self.fixed
        return out
