"""Sample size and detectable difference for two proportions."""

import math

import numpy as np
import pytest
from scipy import stats

from analysis.power import contacts_per_arm, detectable_difference


def closed_form_n(p1, p2, alpha, power, ratio=1.0):
    # Cohen (1988) ch. 6: h = 2 asin sqrt(p1) - 2 asin sqrt(p2); Var(h_hat) = 1/n1 + 1/n2
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return (z / h) ** 2 * (1 + 1 / ratio)


@pytest.mark.parametrize("p1,p2,alpha,power,ratio", [
    (0.30, 0.20, 0.05, 0.8, 1.0), (0.0965, 0.0645, 0.05, 0.9, 1.0), (0.5, 0.6, 0.01, 0.8, 2.0)])
def test_sample_size_matches_the_arcsine_formula(p1, p2, alpha, power, ratio):
    s = contacts_per_arm(p1, p2, alpha, power, ratio)

    assert math.ceil(closed_form_n(p1, p2, alpha, power, ratio)) == s.n_per_arm


def test_sample_size_delivers_the_promised_power_in_simulation():
    s = contacts_per_arm(0.30, 0.20)
    rng = np.random.default_rng(0)
    n, sims = s.n_per_arm, 20000
    x1, x2 = rng.binomial(n, 0.30, sims), rng.binomial(n, 0.20, sims)
    pooled = (x1 + x2) / (2 * n)
    z = (x1 / n - x2 / n) / np.sqrt(pooled * (1 - pooled) * 2 / n)  # uncorrected chi-square = z^2
    achieved = np.mean(np.abs(z) > stats.norm.ppf(0.975))

    assert 0.80 == pytest.approx(achieved, abs=0.02)


def test_detectable_difference_inverts_the_sample_size():
    d = detectable_difference(292, 0.30)

    assert 0.20 == pytest.approx(d.p2_lower, abs=0.005)
    assert contacts_per_arm(0.30, d.p2_upper).n_per_arm in (292, 293)


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        contacts_per_arm(0.3, 0.3)
    with pytest.raises(ValueError):
        contacts_per_arm(0.0, 0.3)
    with pytest.raises(ValueError):
        detectable_difference(1, 0.3)
