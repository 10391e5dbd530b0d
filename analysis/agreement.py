"""Coder agreement: Cohen's kappa per coded dimension.

statsmodels' `cohens_kappa` takes a square contingency table, not two
lists of labels, so the table is built here over the union of categories
(a category only one coder used still gets its row and column). Kappa
(Cohen 1960) with its large-sample standard error and interval.

    >>> kappa(["a", "b", "a"], ["a", "b", "b"]).n
    3
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

from .config import NO_VARIATION, Note, z_two_sided


@dataclass(frozen=True)
class Kappa:
    dimension: str
    n: int  # items coded by both
    n_dropped: int  # items coded by only one coder
    categories: tuple[str, ...]
    observed_agreement: float | None
    kappa: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    notes: tuple[Note, ...] = ()


def contingency(a, b, categories=None) -> pd.DataFrame:
    """Square table coder A (rows) x coder B (columns) over all categories."""
    a, b = pd.Series(a, dtype=object).astype(str), pd.Series(b, dtype=object).astype(str)
    cats = sorted(set(a) | set(b)) if categories is None else list(categories)
    return pd.crosstab(a, b).reindex(index=cats, columns=cats, fill_value=0)


def kappa(a, b, dimension: str = "", categories=None, alpha: float = 0.05, weights=None) -> Kappa:
    """Cohen's kappa of two coders' labels for the same items (None = not coded)."""
    a, b = pd.Series(list(a), dtype=object), pd.Series(list(b), dtype=object)
    if len(a) != len(b):
        raise ValueError("both coders' label lists must have one entry per item")
    both = a.notna() & b.notna()
    dropped = int((~both).sum())
    tab = contingency(a[both], b[both], categories)
    n = int(tab.to_numpy().sum())
    cats = tuple(tab.index)
    if n == 0:
        return Kappa(dimension, 0, dropped, cats, None, None, None, None, None,
                     (Note(NO_VARIATION, "no item coded by both coders"),))
    po = float(np.trace(tab.to_numpy())) / n
    marg = tab.sum(axis=1).to_numpy() / n, tab.sum(axis=0).to_numpy() / n
    if np.isclose(float(np.dot(*marg)), 1.0):
        return Kappa(dimension, n, dropped, cats, po, None, None, None, None, (Note(
            NO_VARIATION, "both coders used one and the same category: kappa is undefined"),))
    r = cohens_kappa(tab.to_numpy(), wt=weights, return_results=True)
    z = z_two_sided(alpha)
    k, se = float(r.kappa), float(r.std_kappa)
    return Kappa(dimension, n, dropped, cats, po, k, se, float(k - z * se), float(k + z * se))


def kappa_by_dimension(codes: pd.DataFrame, alpha: float = 0.05) -> list[Kappa]:
    """Kappa per dimension from long-format codes: columns item, dimension, coder, label.

    Each dimension must have exactly two coders (pairwise kappa).
    """
    need = {"item", "dimension", "coder", "label"}
    if not need <= set(codes.columns):
        raise ValueError(f"codes need columns {sorted(need)}")
    out = []
    for dim, part in codes.groupby("dimension", sort=True):
        coders = sorted(part["coder"].unique())
        if len(coders) != 2:
            raise ValueError(f"dimension {dim!r} has coders {coders}: Cohen's kappa needs exactly two")
        wide = part.pivot_table(index="item", columns="coder", values="label", aggfunc="first")
        out.append(kappa(wide[coders[0]], wide[coders[1]], str(dim), alpha=alpha))
    return out
