"""Out-of-sample backtests: origins, one forecast task per origin, scores, summaries.

An **origin** is the last period a model may see. For each origin the model is fitted on
the window of data up to it (standardisation constants included: :func:`models.design.build_design`
computes them on the fit span), then forecasts each period of the next block (``step``,
e.g. the three months of the next quarter) **given the realised factor values of those
periods**: the predictive density of ``rel_return`` is the posterior mixture of
``alpha + beta . x + e`` over draws. Two references are scored on the same windows and
periods: the **historical mean** (Student-t predictive of an iid normal with unknown mean
and variance) and **OLS** on the same factors and window (Student-t predictive with the
parameter uncertainty, from statsmodels), so "rolling OLS" when the window rolls.

Time-varying fits forecast from the betas of the last fitted period plus the random
walk's step to the forecast period (its sd per year from the posterior, times the square
root of the years elapsed). State-space fits that expose ``one_step_ahead()`` are scored
from one filter pass instead (see :func:`score_one_step_ahead`).

The task function :func:`forecast_origin` is pure (data in, plain dict out), so it runs
unchanged in-process or on a Dask worker; :class:`Backtest` gathers task results into
tidy tables.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from macroattr.core.dates import period_bounds
from macroattr.core.errors import ConvergenceError, InputError

__all__ = ["Backtest", "Origin", "Window", "forecast_origin", "min_window", "parse_step",
           "parse_window", "plan_origins", "reference_scores",
           "score_one_step_ahead", "MODEL", "REFERENCES"]

#: Name of the Bayesian model's rows in the score tables; the references' names follow.
MODEL = "macroattr"
REFERENCES = ("historical_mean", "ols")


# ---------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class Window:
    """``expanding`` (all data from the panel start) or ``rolling`` (the last ``length`` periods).

    Examples
    --------
    >>> parse_window("rolling:120")
    Window(kind='rolling', length=120)
    >>> str(parse_window("expanding"))
    'expanding'
    """

    kind: str
    length: int | None = None

    def __str__(self) -> str:
        return self.kind if self.length is None else f"{self.kind}:{self.length}"


def parse_window(text: str) -> Window:
    """Parse ``--window``: ``expanding`` or ``rolling:N`` (N periods of the panel)."""
    t = str(text).strip().lower()
    if t == "expanding":
        return Window("expanding")
    m = re.fullmatch(r"rolling:(\d+)", t)
    if m and int(m.group(1)) > 0:
        return Window("rolling", int(m.group(1)))
    raise InputError(f"--window {text!r} must be 'expanding' or 'rolling:N' with N a number of "
                     f"periods (e.g. rolling:120 for ten years of months)")


def parse_step(text: str) -> int:
    """Months per step from ``1Q``, ``3M``, ``1Y`` (``--step``).

    Examples
    --------
    >>> parse_step("1Q"), parse_step("1m"), parse_step("2Y")
    (3, 1, 24)
    """
    m = re.fullmatch(r"(\d*)\s*([MQY])", str(text).strip().upper())
    if not m or (m.group(1) and int(m.group(1)) == 0):
        raise InputError(f"--step {text!r} must be a number of months, quarters or years: "
                         f"1M, 1Q, 2Q, 1Y")
    return int(m.group(1) or 1) * {"M": 1, "Q": 3, "Y": 12}[m.group(2)]


# ---------------------------------------------------------------------------- origins
@dataclass(frozen=True)
class Origin:
    """One forecast origin: fit on data up to ``date``, forecast the periods ``targets``.

    ``label`` names the forecast block (``2005Q1`` for a quarterly step, ``2005-01`` monthly).
    """

    date: pd.Timestamp
    label: str
    targets: pd.DatetimeIndex = field(repr=False)


def min_window(n_factors: int, likelihood: str = "student_t") -> int:
    """Fewest periods a fit window needs: more than the model's parameters (alpha, one
    beta per factor, sigma, and nu for Student-t errors).

    Examples
    --------
    >>> min_window(5), min_window(5, "normal")
    (9, 8)
    """
    return n_factors + 2 + (1 if likelihood == "student_t" else 0) + 1


def _block_label(first: pd.Timestamp, months: int) -> str:
    if months % 12 == 0:
        return str(first.year) if months == 12 else f"{first.year}+{months // 12}Y"
    if months % 3 == 0:
        q = pd.Period(first, freq="Q")
        return str(q) if months == 3 else f"{q}+{months // 3}Q"
    return f"{first:%Y-%m}" if months == 1 else f"{first:%Y-%m}+{months}M"


def plan_origins(dates: pd.DatetimeIndex, start: str, end: str, step: str | int = "1Q",
                 window: Window | str = "expanding", n_factors: int = 1,
                 likelihood: str = "student_t") -> list[Origin]:
    """Origins of a backtest whose forecast periods run from ``start`` to ``end``.

    Blocks of ``step`` months start at ``start``'s first day; each block is forecast from
    the last panel period before it. InputError (naming the option and dates) when no
    period falls in the span, when the first origin would be before the data start, or
    when a window is shorter than the model's parameters need.

    Examples
    --------
    >>> idx = pd.date_range("2000-01-31", "2003-12-31", freq="ME")
    >>> os = plan_origins(idx, "2002Q1", "2002Q4", "1Q", n_factors=2)
    >>> [(str(o.date.date()), o.label, len(o.targets)) for o in os][:2]
    [('2001-12-31', '2002Q1', 3), ('2002-03-31', '2002Q2', 3)]
    >>> plan_origins(idx, "2000Q1", "2002Q4", "1Q")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: --start 2000Q1: the first origin would be before the data start 2000-01-31 (nothing to fit on); start at 2000-06 or later
    """
    dates = pd.DatetimeIndex(dates).sort_values()
    months = step if isinstance(step, int) else parse_step(step)
    win = window if isinstance(window, Window) else parse_window(window)
    a, _ = period_bounds(start, "--start")
    _, b = period_bounds(end, "--end")
    if b < a:
        raise InputError(f"--end {end} is before --start {start}")
    need = min_window(n_factors, likelihood)
    first_ok = dates[min(need, len(dates) - 1)] if len(dates) else None
    hint = f"start at {first_ok:%Y-%m} or later" if first_ok is not None else "use a longer panel"
    if a <= dates[0]:
        raise InputError(f"--start {start}: the first origin would be before the data start "
                         f"{dates[0]:%Y-%m-%d} (nothing to fit on); {hint}")
    targets = dates[(dates >= a) & (dates <= b)]
    if not len(targets):
        raise InputError(f"no panel period between --start {start} and --end {end} (the data "
                         f"cover {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d})")
    if win.length is not None and win.length < need:
        raise InputError(f"--window {win}: {win.length} periods are fewer than the {need} the "
                         f"model needs ({n_factors} factors); use rolling:{max(need, 3 * need)} "
                         f"or longer")
    block = ((targets.year - a.year) * 12 + targets.month - a.month) // months
    out = []
    for bid in pd.unique(block):
        tg = targets[block == bid]
        pos = int(dates.searchsorted(tg[0])) - 1
        n_fit = pos + 1 if win.length is None else min(pos + 1, win.length)
        if n_fit < need:
            raise InputError(f"--start {start}: the origin {dates[pos]:%Y-%m-%d} leaves {n_fit} "
                             f"periods to fit but the model needs {need} ({n_factors} factors); "
                             f"{hint}")
        out.append(Origin(date=dates[pos], label=_block_label(
            a + pd.DateOffset(months=int(bid) * months), months), targets=tg))
    return out


# ---------------------------------------------------------------------------- references
def reference_scores(window: pd.DataFrame, targets: pd.DataFrame, target: str,
                     factors: list[str], prob: float = 0.9) -> dict[str, list[dict[str, Any]]]:
    """Scores of the historical-mean and OLS references fitted on ``window`` for each row of
    ``targets`` (realised factors and target).

    Historical mean: ``y ~ t_{n-1}(ybar, s * sqrt(1 + 1/n))``. OLS (statsmodels): the
    predictive Student-t with ``n - k - 1`` degrees of freedom and the standard error of an
    observation (``get_prediction().se_obs``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> w = pd.DataFrame({"y": rng.normal(size=40), "x": rng.normal(size=40)})
    >>> r = reference_scores(w, pd.DataFrame({"y": [0.1], "x": [0.0]}), "y", ["x"])
    >>> sorted(r), len(r["ols"])
    (['historical_mean', 'ols'], 1)
    """
    import statsmodels.api as sm

    from macroattr.models.evaluation.scoring import score_t

    y = window[target].to_numpy(float)
    n = len(y)
    ybar, s = y.mean(), y.std(ddof=1)
    X = sm.add_constant(window[factors].to_numpy(float), has_constant="add")
    res = sm.OLS(y, X).fit()
    Xn = sm.add_constant(targets[factors].to_numpy(float), has_constant="add")
    pred = res.get_prediction(Xn)
    mean, se_obs = pred.predicted_mean, np.sqrt(pred.se_mean**2 + res.scale)
    out: dict[str, list[dict[str, Any]]] = {"historical_mean": [], "ols": []}
    for i, yv in enumerate(targets[target].to_numpy(float)):
        out["historical_mean"].append(score_t(yv, ybar, s * np.sqrt(1 + 1 / n), n - 1, prob).as_dict())
        out["ols"].append(score_t(yv, float(mean[i]), float(se_obs[i]), res.df_resid, prob).as_dict())
    return out


# ---------------------------------------------------------------------------- the task
def _predictive_draws(fit: Any, x: np.ndarray, date: pd.Timestamp | None = None,
                      rng: np.random.Generator | None = None,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(mu, sigma, nu) per posterior draw for factor values ``x`` (natural units) on
    ``date``, with the betas of the last fitted period; for time-varying betas each draw's
    betas also take the random walk's step from the last fitted period to ``date`` (sd
    ``tv_scale`` per year, scaled by the square root of the elapsed years)."""
    return fit.forecast_draws(x, date, rng)


def forecast_origin(data: pd.DataFrame, meta: dict[str, Any], config: Any, origin: str,
                    targets: pd.DataFrame, window: str = "expanding", prob: float = 0.9,
                    cores: int | None = None) -> dict[str, Any]:
    """Fit on ``data`` up to ``origin`` (the window only) and score the forecasts of the
    ``targets`` rows (realised factors and target) with the references beside.

    ``data`` may run past the origin: rows after it are dropped before anything is
    computed, so nothing later than the origin reaches the fit. ``config`` is a
    :class:`models.ModelConfig` or its JSON. ``cores``: threads the sampler may use.
    Raises InputError for a bad window (too short, constant or collinear factor) and
    ConvergenceError when the fit fails its convergence gate.

    Returns a plain dict: ``origin``, ``window_start``, ``n_obs``, ``rows`` (one per
    target period and model: date, model, observed, mean, sd, lower, upper, log_score,
    crps, inside, error), ``coefficients`` (natural units, HDIs) and ``gate``.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig
    >>> panel, truth = simulate_panel(n=80, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"]).override(method="exact", draws=200)
    >>> o = panel.data.index[59]
    >>> r = forecast_origin(panel.data, panel.meta, cfg, str(o.date()), panel.data.iloc[60:63])
    >>> r["n_obs"], sorted({row["model"] for row in r["rows"]})
    (60, ['historical_mean', 'macroattr', 'ols'])
    """
    from macroattr.data_pipelines.panel import Panel
    from macroattr.models.config import ModelConfig
    from macroattr.models.estimation.fitting import fit_model
    from macroattr.models.evaluation.scoring import score_mixture

    t0 = time.perf_counter()
    cfg = config if isinstance(config, ModelConfig) else ModelConfig.from_json(config)
    win = parse_window(window)
    o = pd.Timestamp(origin)
    past = data.loc[data.index <= o]
    if win.length is not None:
        past = past.iloc[-win.length:]
    if cfg.start is not None:
        past = past.loc[pd.Timestamp(cfg.start):]
    targets = targets.loc[targets.index > o]
    if not len(targets):
        raise InputError(f"origin {origin}: no period after it to forecast")
    if cores is not None:
        cfg = cfg.override(cores=cores)
    cfg = cfg.override(end=str(o.date()))
    panel = Panel(past, dict(meta))
    cfg = cfg.for_panel(panel)
    need = min_window(len(cfg.factors), cfg.model.likelihood)
    if len(past) < need:
        raise InputError(f"origin {origin}: window {win} holds {len(past)} periods, fewer than "
                         f"the {need} the model needs")
    fit = fit_model(panel, cfg)
    gate = fit.diagnostics.gate
    if not gate.passed:
        raise ConvergenceError(f"origin {origin}: convergence gate failed: {'; '.join(gate.reasons)}")
    d = fit.design
    rows: list[dict[str, Any]] = []
    refs = reference_scores(past, targets, cfg.target, d.factors, prob)
    for i, (date, row) in enumerate(targets.iterrows()):
        x = row[d.factors].to_numpy(float)
        yv = float(row[cfg.target])
        mu, sigma, nu = _predictive_draws(fit, x, pd.Timestamp(date),
                                          np.random.default_rng(cfg.sampler.seed + 1000 + i))
        s = score_mixture(yv, mu, sigma, nu, prob=prob, seed=cfg.sampler.seed + i)
        base = {"origin": str(o.date()), "date": str(pd.Timestamp(date).date()), "horizon": i + 1,
                "observed": yv}
        rows.append(base | {"model": MODEL} | s.as_dict())
        for name in REFERENCES:
            rows.append(base | {"model": name} | refs[name][i])
    coefs = fit.coefficients(hdi=prob)
    return {
        "origin": str(o.date()), "window_start": str(d.dates[0].date()), "n_obs": int(d.n_obs),
        "rows": rows, "coefficients": coefs.assign(origin=str(o.date())).to_dict("records"),
        "gate": gate.line() if hasattr(gate, "line") else str(gate.passed),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def score_one_step_ahead(osa: pd.DataFrame, observed: pd.Series, origins: list[Origin],
                         prob: float = 0.9) -> list[dict[str, Any]]:
    """Score a state-space fit's one-step-ahead predictive densities (one filter pass:
    ``osa`` with columns date, mean, scale, df, log_score) on the periods of ``origins``.

    The filter's density for period t uses observations up to t-1 only, so these rows are
    the expanding-window backtest without a refit per origin (every row is one step ahead:
    ``horizon`` 1). ``log_score`` is taken from
    the filter; CRPS and the interval come from the Student-t (normal when ``df`` is
    missing or infinite).

    Examples
    --------
    >>> idx = pd.date_range("2001-01-31", periods=3, freq="ME")
    >>> osa = pd.DataFrame({"date": idx, "mean": 0.0, "scale": 1.0, "df": np.inf,
    ...                     "log_score": -0.9189385})
    >>> o = Origin(pd.Timestamp("2000-12-31"), "2001Q1", idx)
    >>> rows = score_one_step_ahead(osa, pd.Series([0.0, 1.0, 2.0], idx), [o])
    >>> [round(r["crps"], 3) for r in rows]
    [0.234, 0.602, 1.453]
    """
    from macroattr.models.evaluation.scoring import score_t

    table = osa.assign(date=pd.to_datetime(osa["date"])).set_index("date")
    rows = []
    for o in origins:
        for date in o.targets:
            if date not in table.index:
                continue
            r = table.loc[date]
            df = float(r["df"]) if "df" in r and pd.notna(r["df"]) else None
            s = score_t(float(observed.loc[date]), float(r["mean"]), float(r["scale"]), df, prob)
            rows.append({"origin": str(o.date.date()), "date": str(date.date()), "horizon": 1,
                         "observed": float(observed.loc[date]), "model": MODEL}
                        | s.as_dict() | {"log_score": float(r["log_score"])})
    return rows


# ---------------------------------------------------------------------------- results
@dataclass
class Backtest:
    """Gathered results of a backtest.

    Attributes
    ----------
    scores : DataFrame
        Tidy, one row per (origin, date, model): origin, date, horizon, model, observed,
        mean, sd, lower, upper, log_score, crps, inside, error (target units, pp).
    tasks : DataFrame
        One row per origin: origin, label, status (ok, cached, failed), reason, seconds.
    coefficients : DataFrame
        Posterior coefficient summaries per origin (parameter stability).
    prob : float
        Mass of the forecast intervals.
    notes : list of str
        How the backtest was run (one-pass filter, references, data revisions).
    """

    scores: pd.DataFrame
    tasks: pd.DataFrame
    coefficients: pd.DataFrame
    prob: float = 0.9
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """One row per model: periods, mean log score, mean CRPS, coverage, RMSE, bias, and the
        log-score difference of the Bayesian model against it (sum, mean, paired SE).

        Examples
        --------
        >>> s = pd.DataFrame({"date": ["a", "a", "b", "b"], "model": ["macroattr", "ols"] * 2,
        ...     "log_score": [-1.0, -1.5, -2.0, -2.0], "crps": 1.0, "inside": True, "error": 0.5})
        >>> Backtest(s, pd.DataFrame(), pd.DataFrame()).summary()["log_score_diff_sum"].tolist()
        [0.0, 0.5]
        """
        s = self.scores
        if s.empty:
            return pd.DataFrame(columns=["model", "periods"])
        mine = s[s["model"] == MODEL].set_index("date")["log_score"]
        rows = []
        for name, g in s.groupby("model", sort=False):
            diff = (mine - g.set_index("date")["log_score"]).dropna()
            n = len(diff)
            rows.append({
                "model": name, "periods": len(g),
                "log_score_mean": g["log_score"].mean(), "crps_mean": g["crps"].mean(),
                f"coverage_{int(round(100 * self.prob))}_pct": 100.0 * g["inside"].mean(),
                "rmse": float(np.sqrt((g["error"] ** 2).mean())), "bias": g["error"].mean(),
                "log_score_diff_sum": diff.sum(), "log_score_diff_mean": diff.mean() if n else np.nan,
                "log_score_diff_se": diff.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
            })
        out = pd.DataFrame(rows)
        order = {MODEL: 0, **{r: i + 1 for i, r in enumerate(REFERENCES)}}
        return out.sort_values("model", key=lambda c: c.map(lambda m: order.get(m, 9))).reset_index(drop=True)

    def cumulative_difference(self) -> pd.DataFrame:
        """Cumulative log-score difference (model minus each reference) over time: date,
        reference, diff, cumulative (nats; above zero the model forecasts better)."""
        s = self.scores
        if s.empty:
            return pd.DataFrame(columns=["date", "reference", "diff", "cumulative"])
        wide = s.pivot_table(index="date", columns="model", values="log_score", aggfunc="first")
        frames = []
        for ref in [c for c in wide.columns if c != MODEL]:
            d = (wide[MODEL] - wide[ref]).dropna()
            frames.append(pd.DataFrame({"date": d.index, "reference": ref, "diff": d.to_numpy(),
                                        "cumulative": d.cumsum().to_numpy()}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["date", "reference", "diff", "cumulative"])
