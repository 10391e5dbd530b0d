"""Optional sections of the results: paired designs, competing outcomes, models, design checks.

Each section is computed only when the config asks for it and the grouping
makes sense: paired and design checks are about the assigned arm, so they
run for by="variant"; report cards and the disconnect index for by="company". Data problems become warnings inside the section.
"""

from __future__ import annotations

import pandas as pd

from .compare import TestResult
from .config import Note, ResultsConfig


def add_sections(table: pd.DataFrame, by: str, config: ResultsConfig, tests: list,
                 notes: list[Note], sections: dict) -> None:
    """Fill `sections` (name -> JSON-ready dict); append tests and warnings in place."""
    if by == "variant":
        from .design_checks import design_section

        design = design_section(table, "variant", config)
        sections["design"] = design
        tests.append(design["srm"])
        tests.append(design["differential_delivery"])
        notes.extend(design["srm"].notes)
        if config.include_paired:
            from .paired import paired_analysis

            paired = paired_analysis(table, "variant", config)
            sections["paired"] = paired.to_dict()
            m = paired.mcnemar
            if m is not None and m.p_value is not None:
                tests.append(TestResult("mcnemar", m.statistic, 1 if m.statistic is not None else None,
                                        m.p_value, m.method))
    if by == "company":
        from .disconnect import disconnect_index
        from .shrinkage import report_cards

        sections["report_cards"] = report_cards(table, config).to_dict()
        sections["disconnect"] = disconnect_index(table, config, n_boot=200).to_dict()
    if config.include_competing:
        from .competing import competing_section

        sections["competing"] = competing_section(table, by, config)
    if config.include_models:
        from .models import models_section

        terms = tuple(t for t in ("variant", "channel") if t in table.columns)
        sections["models"] = models_section(table, config, terms)
