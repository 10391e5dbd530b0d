"""Power: how many contacts per arm, and what difference a given size can detect.

Two-sided test of two proportions on the arcsine scale: Cohen's effect size
h = 2 asin(sqrt p1) - 2 asin(sqrt p2) (Cohen 1988, Statistical Power
Analysis, ch. 6), solved with statsmodels' NormalIndPower, i.e.
n1 = (z_{1-alpha/2} + z_{power})^2 (1 + 1/ratio) / h^2.

    >>> contacts_per_arm(0.30, 0.20).n_per_arm
    292
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize


@dataclass(frozen=True)
class SampleSize:
    p1: float
    p2: float
    alpha: float
    power: float
    ratio: float  # n2 / n1
    effect_size_h: float
    n_per_arm: int  # n1, rounded up
    n2: int
    method: str = "normal approximation, arcsine (Cohen's h)"

    @property
    def sentence(self) -> str:
        return (f"To detect {100 * self.p1:.1f}% vs {100 * self.p2:.1f}% with {100 * self.power:.0f}% power "
                f"at two-sided alpha {self.alpha:g}, send {self.n_per_arm} contacts to the first arm and "
                f"{self.n2} to the second.")


@dataclass(frozen=True)
class Detectable:
    n_per_arm: int
    p1: float
    alpha: float
    power: float
    effect_size_h: float
    p2_lower: float | None  # smallest detectable rate below p1 (None if < 0)
    p2_upper: float | None  # smallest detectable rate above p1 (None if > 1)


def _check_p(*ps: float) -> None:
    for p in ps:
        if not 0 < p < 1:
            raise ValueError(f"rates must be strictly between 0 and 1, got {p!r}")


def contacts_per_arm(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8,
                     ratio: float = 1.0) -> SampleSize:
    """Contacts needed in arm 1 (and ratio x that in arm 2) to detect p1 vs p2."""
    _check_p(p1, p2)
    if p1 == p2:
        raise ValueError("p1 and p2 are equal: no sample size detects no difference")
    h = proportion_effectsize(p1, p2)
    n1 = NormalIndPower().solve_power(effect_size=abs(h), alpha=alpha, power=power, ratio=ratio,
                                      alternative="two-sided")
    n1 = math.ceil(float(n1) - 1e-9)
    return SampleSize(p1, p2, alpha, power, ratio, float(h), n1, math.ceil(n1 * ratio - 1e-9))


def detectable_difference(n_per_arm: int, p1: float, alpha: float = 0.05, power: float = 0.8,
                          ratio: float = 1.0) -> Detectable:
    """The rates p2 (below and above p1) that n_per_arm contacts detect with `power`."""
    _check_p(p1)
    if n_per_arm < 2:
        raise ValueError("n_per_arm must be at least 2")
    h = float(NormalIndPower().solve_power(nobs1=n_per_arm, alpha=alpha, power=power, ratio=ratio,
                                           alternative="two-sided"))
    phi = 2 * math.asin(math.sqrt(p1))
    # invert h = phi1 - phi2 on the arcsine scale
    lower = phi - h
    upper = phi + h
    p_lo = math.sin(lower / 2) ** 2 if lower >= 0 else None
    p_hi = math.sin(upper / 2) ** 2 if upper <= math.pi else None
    return Detectable(n_per_arm, p1, alpha, power, h, p_lo, p_hi)
