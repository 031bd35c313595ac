"""The plain-language reading of a quarter, generated from its attribution numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from macroattr.reports.tables import pp

__all__ = ["Component", "headline_reading", "mostly_unexplained"]

#: Share of the quarter's move, in absolute size, above which the residual is
#: called "most of the quarter".
UNEXPLAINED_SHARE = 0.5


class Component(dict):
    """One attribution component of a period: ``name, mean, hdi_low, hdi_high`` (pp)."""

    @property
    def excludes_zero(self) -> bool:
        """True when the HDI lies entirely on one side of zero."""
        return self["hdi_low"] > 0 or self["hdi_high"] < 0


def _pp(x: float) -> str:
    return f"{pp(x)} pp"


def _hdi(c: Mapping) -> str:
    return f"90% HDI {pp(c['hdi_low'])} to {pp(c['hdi_high'])} pp"


def mostly_unexplained(residual: float, groups: Sequence[float], alpha: float = 0.0) -> bool:
    """True when the residual is the larger part of the quarter's move.

    The residual counts as "most of the quarter" when its absolute size is larger
    than the absolute sum of everything the model explains (alpha + groups), or
    larger than half the absolute sum of all parts' sizes.

    Examples
    --------
    >>> mostly_unexplained(5.0, [1.0, -0.5])
    True
    >>> mostly_unexplained(0.2, [3.0, 1.0])
    False
    """
    explained = alpha + sum(groups)
    sizes = abs(residual) + abs(alpha) + sum(abs(g) for g in groups)
    return abs(residual) > abs(explained) or (sizes > 0 and abs(residual) / sizes > UNEXPLAINED_SHARE)


def headline_reading(period: str, total: float, components: Mapping[str, Mapping],
                     groups: Sequence[str], *, gate_passed: bool = True,
                     labels: Mapping[str, str] | None = None,
                     unsettled: Mapping[str, str] | None = None, trend: bool = False) -> str:
    """One paragraph saying what the quarter's numbers mean, in plain words.

    Parameters
    ----------
    period
        Period label, e.g. ``"2024Q3"``.
    total
        Observed relative return of the period (pp, log).
    components
        ``{name: {"mean", "hdi_low", "hdi_high"}}`` for ``alpha``, each group and
        ``residual`` (pp).
    groups
        The factor groups, in display order.
    gate_passed
        Whether the fit passed the convergence gate; a failed gate adds a warning.
    labels
        Reader-facing names of the groups (default: the group ids).
    trend
        True for a state-space fit: alpha is the trend (time-varying intercept), never
        counted as macro; else the constant.
    unsettled
        Groups whose sign the models on the page do not agree on (the model check of a
        state-space fit): ``{group: "disagree" | "open"}``. Their sign is never called
        credible, whatever this model's interval says.

    Returns
    -------
    str

    Examples
    --------
    >>> comps = {"alpha": {"mean": 0.1, "hdi_low": -0.5, "hdi_high": 0.7},
    ...          "rates": {"mean": -1.2, "hdi_low": -2.0, "hdi_high": -0.4},
    ...          "residual": {"mean": 6.0, "hdi_low": 5.0, "hdi_high": 7.0}}
    >>> text = headline_reading("2024Q3", 4.9, comps, ["rates"])
    >>> "most of the quarter" in text
    True
    """
    direction = "outperformed" if total >= 0 else "underperformed"
    parts = [
        f"In {period} the Russell 2000 {direction} the S&P 500 by {abs(total):.2f} pp "
        f"(log relative return {_pp(total)})."
    ]
    from macroattr.models.fit.components import alpha_label, is_macro, macro_share, macro_share_text

    listed = [g for g in groups if g in components]
    means = {k: float(v["mean"]) for k, v in components.items()}
    plain = macro_share_text(total, means, listed, trend=trend, labels=labels)
    share = macro_share(total, means, listed)
    parts.append(f"In plain words: {plain}"
                 + ("; most of the quarter is not macro." if share == share and share < 50
                    else "."))
    present = [g for g in listed if is_macro(g)]  # a market control is not macro
    controls = [g for g in listed if not is_macro(g)]
    # labels read mid-sentence: "Credit (leverage)" -> "credit (leverage)"; ids stay as given
    name = {g: (lambda lab: lab if lab == g or lab[1:2].isupper() else lab[:1].lower() + lab[1:])(
        (labels or {}).get(g, g)) for g in listed}
    if present:
        big = max(present, key=lambda g: abs(components[g]["mean"]))
        c = Component(components[big])
        sign = "added" if c["mean"] >= 0 else "subtracted"
        disputed = (unsettled or {}).get(big)
        if disputed and c.excludes_zero:
            credible = ("its interval excludes zero in this model, but the models compared "
                        "in the model check " + ("disagree on its sign" if disputed == "disagree"
                                                 else "do not all exclude zero")
                        + ", so the sign is not established")
        else:
            credible = ("its interval excludes zero, so the sign is credible"
                        if c.excludes_zero else
                        "but its interval includes zero, so even its sign is uncertain")
        parts.append(
            f"The largest macro contribution came from {name[big]}, which {sign} "
            f"{abs(c['mean']):.2f} pp ({_hdi(c)}); {credible}."
        )
        explained = sum(components[g]["mean"] for g in present)
        others = [g for g in present if g != big and Component(components[g]).excludes_zero
                  and g not in (unsettled or {})]
        tail = (f" Also credibly non-zero: {', '.join(name[o] for o in others)}."
                if others else
                " No other group is credibly different from zero." if len(present) > 1 else "")
        parts.append(f"All macro groups together account for {_pp(explained)}.{tail}")
    for g in controls:
        parts.append(f"The {name[g]} control adds {_pp(components[g]['mean'])}; it is the "
                     f"market's own move, not counted as macro.")
    alpha = components.get("alpha")
    if alpha is not None:
        if trend:
            parts.append(f"The {alpha_label(True)} adds {_pp(alpha['mean'])}; it is the model's "
                         f"drifting intercept, not a macro factor, and is not counted as macro.")
        else:
            parts.append(f"The constant (alpha) adds {_pp(alpha['mean'])}.")
    resid = components.get("residual")
    if resid is not None:
        group_means = [components[g]["mean"] for g in present]
        alpha_mean = alpha["mean"] if alpha is not None else 0.0
        if mostly_unexplained(resid["mean"], group_means, alpha_mean):
            parts.append(
                f"The residual, the part the macro factors do not explain, is "
                f"{_pp(resid['mean'])} ({_hdi(resid)}): most of the quarter is unexplained "
                f"by these factors."
            )
        else:
            parts.append(
                f"The residual, the part the macro factors do not explain, is "
                f"{_pp(resid['mean'])} ({_hdi(resid)})."
            )
    if not gate_passed:
        parts.append("The fit failed its convergence gate, so none of these numbers can be "
                     "trusted until it is refitted.")
    return " ".join(parts)
