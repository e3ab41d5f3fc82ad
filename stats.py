"""The statistics the analyses and studies report, as pure functions on plain lists.

    import stats; stats.mean_ci([1, 2, 3, 4]); stats.sign_flip_p([1, 2, -1])

A mean over dict rows that skips missing values (eval.py's tables); correlation (Pearson;
Spearman with tie-averaged ranks) and Appendix A.2's judge-vs-human agreement metrics
(analyses.py's agreement, calibrate.py's fit); Eq. 17's sign test (analyses.py's
side-by-side); a Student-t confidence interval, a paired sign-flip permutation test and a
paired t test over seeds (study_report.py's tables). numpy only: calibrate.py imports it without torch.
Hand-worked numbers in tests/test_eval.py and tests/test_study.py.

Deviations from the paper and the official release:
  1. The study's CI and sign-flip test are ours: the paper reports single runs.
"""
import itertools
import math

import numpy as np


def mean_of(rows, key) -> float:
    """The mean of rows[i][key] over the rows (dicts) that have it and not None; NaN if none do."""
    values = [r[key] for r in rows if r.get(key) is not None]
    return float(np.mean(values)) if values else float("nan")


def pearson(x, y) -> float:
    """Pearson correlation; NaN when either side is constant."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    dx, dy = x - x.mean(), y - y.mean()
    denom = math.sqrt(float((dx ** 2).sum() * (dy ** 2).sum()))
    return float((dx * dy).sum() / denom) if denom > 0 else float("nan")


def ranks(x) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    x = np.asarray(x, float)
    order = np.argsort(x, kind="stable")
    out = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
            j += 1
        out[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(x, y) -> float:
    """Spearman correlation with tie-averaged ranks; NaN when either side is constant."""
    return pearson(ranks(x), ranks(y))


def binom_tail(n: int, k: int) -> float:
    """P[Bin(n, 1/2) >= k]."""
    return sum(math.comb(n, i) for i in range(max(0, k), n + 1)) / 2 ** n


def sign_test(wins: int, losses_: int) -> float:
    """Eq. 17: two-sided sign test with ties dropped: 2 min(P[B >= W], P[B >= L]), at most 1."""
    n = wins + losses_
    if n == 0:
        return 1.0
    return min(1.0, 2 * min(binom_tail(n, wins), binom_tail(n, losses_)))


def agreement_metrics(judge, human, groups) -> dict:
    """Appendix A.2 between paired score lists: Pearson, intra-prompt Spearman averaged over
    prompts (prompts where either side is constant are skipped), MAE, share within 1, bias."""
    judge, human, groups = np.asarray(judge, float), np.asarray(human, float), np.asarray(groups)
    rhos = [spearman(judge[groups == g], human[groups == g]) for g in np.unique(groups)]
    rhos = [r for r in rhos if not math.isnan(r)]
    diff = judge - human
    return {"pearson": pearson(judge, human), "intra_spearman": float(np.mean(rhos)) if rhos else float("nan"),
            "mae": float(np.abs(diff).mean()), "within_1": float((np.abs(diff) <= 1).mean()),
            "bias": float(diff.mean()), "n": int(len(diff)), "prompts_ranked": len(rhos)}


def t_quantile(q: float, df: int) -> float:
    """Student t quantile, by bisection on the CDF (Simpson's rule on the density). q in (0.5, 1)."""
    if df <= 0:
        return float("nan")
    if df > 1000:
        df = 1000                              # within 3e-3 of the normal quantile from here (a wider CI)
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def cdf(x, n=2000):                        # 0.5 + integral of the density over [0, x]
        h = x / n
        f = [c * (1 + (h * i) ** 2 / df) ** (-(df + 1) / 2) for i in range(n + 1)]
        return 0.5 + h / 3 * (f[0] + f[-1] + 4 * sum(f[1:-1:2]) + 2 * sum(f[2:-1:2]))

    lo, hi = 0.0, 1.0
    while cdf(hi) < q:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def t_two_sided_p(t: float, df: int) -> float:
    """P[|T| >= |t|] for Student's T with an integer df >= 1, in closed form (Abramowitz & Stegun
    26.7.3-4: a finite series in theta = atan(|t| / sqrt(df)))."""
    theta = math.atan(abs(t) / math.sqrt(df))
    s, c2 = math.sin(theta), math.cos(theta) ** 2
    series, term = 1.0, 1.0
    if df % 2:                                  # odd: (2/pi)(theta + sin cos (1 + 2/3 cos^2 + 2.4/3.5 cos^4 ...))
        for k in range(1, (df - 3) // 2 + 1):
            term *= 2 * k / (2 * k + 1) * c2
            series += term
        inside = 2 / math.pi * (theta + (s * math.cos(theta) * series if df > 1 else 0.0))
    else:                                       # even: sin (1 + 1/2 cos^2 + 1.3/2.4 cos^4 ...)
        for k in range(1, (df - 2) // 2 + 1):
            term *= (2 * k - 1) / (2 * k) * c2
            series += term
        inside = s * series
    return min(1.0, max(0.0, 1.0 - inside))


def paired_t_p(d) -> float:
    """Two-sided p of a paired t test on differences d, one per unit (study_report.py: one per seed):
    t = mean / (sd / sqrt(n)) with n - 1 degrees of freedom. NaN below 2 values; with every d
    equal (sd 0), 0 for a nonzero mean and 1 for zero."""
    d = np.asarray([v for v in d if v is not None], dtype=float)
    if len(d) < 2:
        return float("nan")
    sd = float(d.std(ddof=1))
    if sd == 0:
        return 1.0 if d.mean() == 0 else 0.0
    return t_two_sided_p(float(d.mean()) / (sd / math.sqrt(len(d))), len(d) - 1)


def mean_ci(values, level: float = 0.95) -> tuple:
    """(mean, half-width of the t interval, n); half-width NaN for fewer than 2 values."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), 0
    if n == 1:
        return float(x[0]), float("nan"), 1
    return float(x.mean()), t_quantile(0.5 + level / 2, n - 1) * float(x.std(ddof=1)) / math.sqrt(n), n


def sign_flip_p(d, exact_max: int = 16, flips: int = 20000, seed: int = 0) -> float:
    """Two-sided paired sign-flip permutation test of H0 'each difference is symmetric about 0'.
    d: paired differences. Statistic |sum d|; zeros cannot change it and are dropped."""
    d = np.asarray([v for v in d if v != 0], dtype=float)
    if len(d) == 0:
        return 1.0
    observed = abs(d.sum()) - 1e-9 * (1 + abs(d).sum())       # tolerance: equal sums count as extreme
    if len(d) <= exact_max:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))   # (2^m, m)
        return float((np.abs(signs @ d) >= observed).mean())
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(flips, len(d)))
    return float((1 + (np.abs(signs @ d) >= observed).sum()) / (1 + flips))
