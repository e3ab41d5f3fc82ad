"""The judge's calibration: the local judge's "llm" noise profile fitted to the paper's Table 5.

    python calibrate.py out/base-tiny-vita/eval/agreement.json   # refit the "llm" noise to Table 5

It owns what the fit needs and judge.py does not: Table 5's numbers (TABLE5_GEMINI_25_PRO),
the agreement a noise profile would have with the noise-free scores (simulate_agreement), the
grid and its search (FIT_GRID, fit_profile), and the human scores it reads (load_human_scores).
The noise model itself (judge_value, likert, NOISE_PROFILES) is judge.py's.

The "llm" profile is calibrated so that eval.py's agreement analysis on the toy base's rollouts
reproduces Table 5's Gemini-2.5-Pro on VITA-Audio (Pearson 0.593 semantic / 0.292 acoustic,
intra-prompt Spearman 0.499 / 0.145). The input is the agreement.json that
`python eval.py --ckpt BASE --analysis agreement` writes: its "human_scores", per prompt and
axis the noise-free judge's scores of the base's replies (null for a failed call, left out).
Per axis the grid search scores each (shrink, bias, sd) by the mean of its metrics over 5 draws
of the noise, and prints the best profile with its metrics against the paper's. The result is
copied by hand into judge.NOISE_PROFILES["llm"]: nothing here changes the judge.
A file that is missing, a directory, not JSON, without "human_scores", with a score off the
1-5 scale or with fewer than 2 scores on an axis ends with one line naming it, exit status 2.

Deviations from the paper (Appendix A, Table 5) and the official release:
  1. The judge's unreliability is a fitted noise model (shrink, bias, Gaussian noise per reply),
     calibrated to Table 5's correlations by a grid search, not a model's real failure modes: the
     paper measures its judge against human raters; here the judge is made to match that measure.
  2. The "humans" are the noise-free toy judge's scores of the base's own rollouts, so the fit is
     to this world's score distribution: a different base needs a refit.
  3. The loss weighs Pearson and intra-prompt Spearman fully, MAE and bias at a quarter; the share
     within 1 point is printed against the paper's but not fitted.
"""
import json
import math

import numpy as np

import cli
from judge import judge_value, likert


# Table 5: Gemini-2.5-Pro judging VITA-Audio's replies against human raters (Appendix A).
TABLE5_GEMINI_25_PRO = {
    "semantic": {"pearson": 0.593, "intra_spearman": 0.499, "mae": 1.063, "within_1": 0.695, "bias": -0.660},
    "acoustic": {"pearson": 0.292, "intra_spearman": 0.145, "mae": 1.318, "within_1": 0.601, "bias": -0.896},
}


def simulate_agreement(human, groups, profile, seed=0, draws=1) -> dict:
    """Appendix A's metrics between noise-free scores and the noisy judge `profile` (one axis:
    shrink, bias, sd) applied to them with seeded draws: what eval.py's agreement analysis
    measures, without sampling or HTTP; averaged over `draws` independent draws of the noise
    (one draw of 512 scores moves the intra-prompt Spearman by about 0.05 either way)."""
    from stats import agreement_metrics
    human = np.asarray(human, float)
    runs = []
    for z in np.random.default_rng(seed).standard_normal((draws, len(human))):
        judged = [likert(judge_value(h, z=zi, **profile)) for h, zi in zip(human, z)]
        runs.append(agreement_metrics(judged, human, groups))
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


FIT_GRID = {"shrink": np.arange(0.1, 1.01, 0.05), "bias": np.arange(-1.2, 0.01, 0.05), "sd": np.arange(0.2, 2.01, 0.1)}


def fit_profile(human, groups, target, seed=0, grid=None, draws=5) -> tuple[dict, dict]:
    """Grid search for the (shrink, bias, sd) whose agreement with `human` matches `target`
    (one axis of TABLE5_GEMINI_25_PRO): Pearson and intra-prompt Spearman first, MAE and bias
    with a quarter of the weight, each the mean over `draws` draws of the noise, so the fit
    matches the judge's expected agreement and not one lucky draw. -> (profile, its metrics)."""
    best, grid = None, grid or FIT_GRID
    for shrink in grid["shrink"]:
        for bias in grid["bias"]:
            for sd in grid["sd"]:
                p = {"shrink": round(float(shrink), 2), "bias": round(float(bias), 2), "sd": round(float(sd), 2)}
                m = simulate_agreement(human, groups, p, seed, draws)
                if math.isnan(m["pearson"]) or math.isnan(m["intra_spearman"]):
                    continue
                loss = ((m["pearson"] - target["pearson"]) ** 2 + (m["intra_spearman"] - target["intra_spearman"]) ** 2
                        + 0.25 * ((m["mae"] - target["mae"]) ** 2 + (m["bias"] - target["bias"]) ** 2))
                if best is None or loss < best[0]:
                    best = (loss, p, m)
    return best[1], best[2]


def load_human_scores(path) -> list:
    """The human scores calibrate.py fits to: agreement.json's "human_scores", per prompt
    {"semantic": [...], "acoustic": [...]} (ints or null). A ValueError naming the file and
    what is wrong with it otherwise."""
    source = "write it with `python eval.py --ckpt BASE --analysis agreement`"
    try:
        with open(path) as f:
            pool = json.load(f)["human_scores"]
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file ({source})") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: a directory, not agreement.json ({source})") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    except (KeyError, TypeError):
        raise ValueError(f"{path}: no \"human_scores\" ({source})") from None
    if not isinstance(pool, list):
        raise ValueError(f"{path}: human_scores is not a list (one entry per prompt)")
    for i, entry in enumerate(pool):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(a), list) for a in ("semantic", "acoustic")):
            raise ValueError(f"{path}: human_scores[{i}] is not {{\"semantic\": [...], \"acoustic\": [...]}}")
        for axis in ("semantic", "acoustic"):       # on the 1-5 scale, or null for a failed call (NaN fails too)
            bad = [s for s in entry[axis] if s is not None
                   and (isinstance(s, bool) or not isinstance(s, (int, float)) or not 1 <= s <= 5)]
            if bad:
                raise ValueError(f"{path}: human_scores[{i}].{axis} holds {bad[0]!r}: scores are numbers 1-5 or null")
    for axis in ("semantic", "acoustic"):
        if sum(s is not None for e in pool for s in e[axis]) < 2:
            raise ValueError(f"{path}: fewer than 2 {axis} scores to fit to")
    return pool


def main(argv=None):
    ap = cli.Parser(
        description="Fit the local judge's 'llm' noise profile to Table 5 from an agreement.json's human scores.")
    ap.add_argument("agreement_json", help="written by `python eval.py --ckpt BASE --analysis agreement`")
    args = ap.parse_args(argv)
    try:
        pool = load_human_scores(args.agreement_json)
    except ValueError as e:
        ap.error(str(e))
    for axis in ("semantic", "acoustic"):
        human = [s for e in pool for s in e[axis] if s is not None]
        groups = [i for i, e in enumerate(pool) for s in e[axis] if s is not None]
        profile, m = fit_profile(human, groups, TABLE5_GEMINI_25_PRO[axis])
        print(f"{axis}: {profile}  ->  " + ", ".join(f"{k} {m[k]:.3f} (paper {v:.3f})"
                                                      for k, v in TABLE5_GEMINI_25_PRO[axis].items()))


if __name__ == "__main__":
    main()
