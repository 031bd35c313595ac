"""What each attribution component is, and the one rule for the macro share.

Components of a fit are ``alpha``, each group and ``residual``. Only the macro groups are
macro: ``alpha`` is a constant (static fits) or, in the state-space model, a random walk — a
**trend (time-varying intercept)** — and the ``market`` control
(:data:`macroattr.data_pipelines.catalog.NON_MACRO_GROUPS`) is the market's own move. Neither
is ever counted as macro: not in a headline, an explained share, an event window's share or
the index. Every such number goes through :func:`macro_groups` and :func:`macro_share_text`.

Examples
--------
>>> macro_groups(["rates", "market", "inflation"])
['rates', 'inflation']
>>> alpha_label(True), alpha_label(False)
('trend (time-varying intercept)', 'alpha (constant)')
>>> macro_share_text(-2.13, {"alpha": -1.60, "rates": -0.30, "inflation": -0.16,
...                          "residual": -0.07}, ["rates", "inflation"], trend=True)
'macro -0.46 of -2.13 pp (22%); trend -1.60; residual -0.07'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["ALPHA_LABELS", "alpha_label", "alpha_word", "is_macro", "macro_groups",
           "macro_share", "macro_share_text"]

#: Reader-facing name of ``alpha`` by model: state-space alpha is a random walk.
ALPHA_LABELS = {True: "trend (time-varying intercept)", False: "alpha (constant)"}


def _non_macro() -> tuple[str, ...]:
    from macroattr.data_pipelines.catalog import NON_MACRO_GROUPS

    return NON_MACRO_GROUPS


def is_macro(group: str) -> bool:
    """True for a macro group (not ``alpha``, ``residual``, ``total`` or a control group)."""
    return group not in ("alpha", "residual", "total") and group not in _non_macro()


def macro_groups(groups: Iterable[str]) -> list[str]:
    """The macro groups among ``groups``, in their order."""
    return [g for g in groups if is_macro(g)]


def alpha_label(state_space: bool) -> str:
    """The label of ``alpha``: the trend of a state-space fit, else the constant."""
    return ALPHA_LABELS[bool(state_space)]


def alpha_word(state_space: bool) -> str:
    """The short word for ``alpha`` in a sentence: ``trend`` or ``constant``."""
    return "trend" if state_space else "constant"


def macro_share(total: float, means: Mapping[str, float], groups: Iterable[str]) -> float:
    """Percent of ``total`` the macro groups carry (posterior means; nan when total is 0)."""
    macro = sum(float(means[g]) for g in macro_groups(groups) if g in means)
    return 100.0 * macro / total if total else float("nan")


def macro_share_text(total: float, means: Mapping[str, float], groups: Iterable[str], *,
                     trend: bool, unit: str = "pp",
                     labels: Mapping[str, str] | None = None) -> str:
    """The macro share in plain words: ``macro -0.46 of -2.13 pp (22%); trend -1.60;
    residual -0.07`` (a control group such as the market follows the trend, by its label).

    Parameters
    ----------
    total
        Observed total of the period or window.
    means
        Posterior means by component (``alpha``, groups, ``residual``).
    groups
        The fit's groups, in order.
    trend
        True for a state-space fit (alpha is the trend), else alpha is the constant.
    unit, labels
        The unit of the numbers; reader labels of control groups.
    """
    groups = list(groups)
    macro = sum(float(means[g]) for g in macro_groups(groups) if g in means)
    share = macro_share(total, means, groups)
    pct = "n/a" if share != share else f"{share:.0f}%"
    parts = [f"macro {macro:+.2f} of {total:+.2f} {unit} ({pct})"]
    if "alpha" in means:
        parts.append(f"{alpha_word(trend)} {float(means['alpha']):+.2f}")
    for g in groups:
        if g in means and not is_macro(g):
            parts.append(f"{(labels or {}).get(g, g)} {float(means[g]):+.2f}")
    if "residual" in means:
        parts.append(f"residual {float(means['residual']):+.2f}")
    return "; ".join(parts)
