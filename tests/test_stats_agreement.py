"""Cohen's kappa per coded dimension."""

import numpy as np
import pandas as pd
import pytest

from analysis.agreement import contingency, kappa, kappa_by_dimension


def worked_example():
    # The standard worked example (e.g. Wikipedia "Cohen's kappa"): 50 items,
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> p_o = 0.70, p_e = 0.50, kappa = 0.40.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    return a, b


def test_kappa_matches_the_worked_example():
    k = kappa(*worked_example())

    assert (50, 0.70) == (k.n, pytest.approx(k.observed_agreement))
    assert 0.40 == pytest.approx(k.kappa, abs=1e-12)


def test_standard_error_is_fleiss_cohen_everitt_1969():
    k = kappa(*worked_example())
    p = np.array([[15, 10], [5, 20]]) / 50  # rows coder A (no, yes), columns coder B
    r, c = p.sum(1), p.sum(0)
    pe = r @ c
    kap = 0.4
    # Fleiss, Cohen & Everitt (1969) Psychol Bull 72:323, eq. 13 (variance of kappa-hat)
    diag = sum(p[i, i] * (1 - (r[i] + c[i]) * (1 - kap)) ** 2 for i in range(2))
    off = (1 - kap) ** 2 * sum(p[i, j] * (c[i] + r[j]) ** 2 for i in range(2) for j in range(2) if i != j)
    var = (diag + off - (kap - pe * (1 - kap)) ** 2) / (50 * (1 - pe) ** 2)

    assert np.sqrt(var) == pytest.approx(k.se, rel=1e-10)


def test_table_covers_categories_only_one_coder_used():
    tab = contingency(["a", "a", "b"], ["a", "c", "b"])

    assert ["a", "b", "c"] == list(tab.index) == list(tab.columns)
    assert 3 == tab.to_numpy().sum()


def test_uncoded_items_are_dropped_and_constant_labels_give_a_note():
    k = kappa(["x", "x", None], ["x", "x", "x"])

    assert (2, 1) == (k.n, k.n_dropped)
    assert (None, "no_variation") == (k.kappa, k.notes[0].code)


def test_kappa_per_dimension_from_long_codes():
    a, b = worked_example()
    codes = pd.DataFrame({
        "item": list(range(50)) * 2 + list(range(4)) * 2,
        "dimension": ["answered_question"] * 100 + ["tone"] * 8,
        "coder": ["ann"] * 50 + ["bob"] * 50 + ["ann"] * 4 + ["bob"] * 4,
        "label": a + b + ["warm", "cold", "warm", "cold"] * 2,
    })
    res = {k.dimension: k for k in kappa_by_dimension(codes)}

    assert 0.40 == pytest.approx(res["answered_question"].kappa)
    assert 1.0 == pytest.approx(res["tone"].kappa)


def test_more_than_two_coders_is_an_error():
    codes = pd.DataFrame({"item": [1, 1, 1], "dimension": ["d"] * 3, "coder": ["a", "b", "c"], "label": ["x"] * 3})
    with pytest.raises(ValueError, match="exactly two"):
        kappa_by_dimension(codes)
