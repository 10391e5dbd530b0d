"""experiments.design_io: an experiment as editable tables and back, without loss."""

from pathlib import Path

import pytest

from experiments import design_io
from experiments.validation import validate_file, validate_text

EXAMPLES = sorted((Path(__file__).parent.parent / "experiments" / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_to_dashboard_to_yaml_to_validate_gives_the_same_experiment(path, tmp_path):
    example = validate_file(path).experiment
    form = design_io.form_from_experiment(example)
    text = design_io.yaml_from_form(form)
    (tmp_path / "saved.yaml").write_text(text)
    again = validate_file(tmp_path / "saved.yaml")
    assert [] == [str(p) for p in again.problems]
    assert example == again.experiment


def test_cells_hold_readable_text():
    example = validate_file(EXAMPLES[0]).experiment
    form = design_io.form_from_experiment(example)
    row = form.targets.set_index("id").loc["acme-outdoor"]
    assert "industry: retail" == row["strata"] and "" == row["hours"]
    bluefin = form.channels.loc[(form.channels["target"] == "bluefin-software") & (form.channels["type"] == "web_form")]
    assert bluefin["recipe"].iloc[0].startswith("fields: {name: {placeholder: Full name}")
    assert "no, partly, fully" == design_io.flow_text(["no", "partly", "fully"]).replace("'", "")


def test_own_business_hours_round_trip_and_unreadable_ones_are_reported_at_their_field():
    assert {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"} == \
        design_io.parse_hours("mon-fri 09:00-17:00")
    assert "sat-sun 10:00-14:00" == design_io.hours_text(
        {"days": ["sat", "sun"], "start": "10:00", "end": "14:00"})
    form = design_io.form_from_experiment(validate_file(EXAMPLES[0]).experiment)
    form.targets.loc[0, "hours"] = "weekdays, mornings"
    form.targets.loc[1, "timezone"] = "Europe/Lodnon"
    _, result = design_io.validate_form(form)
    paths = {p.path for p in result.problems}
    assert {"targets[0].business_hours", "targets[1].timezone"} <= paths
    timezone = next(p for p in result.problems if p.path == "targets[1].timezone")
    cli = validate_text(EXAMPLES[0].read_text().replace("America/New_York", "Europe/Lodnon"))
    assert timezone.message == next(p.message for p in cli.problems if p.path == "targets[1].timezone")


def test_a_channel_row_for_an_unknown_target_is_a_problem_of_the_channels_table():
    form = design_io.form_from_experiment(validate_file(EXAMPLES[0]).experiment)
    form.channels.loc[2, "target"] = "nobody"
    _, result = design_io.validate_form(form)
    problem = result.problems[0]
    assert not result.ok and "channels" == design_io.section_of(problem.path)
    assert "target 'nobody' is not in the targets table" in problem.message


@pytest.mark.parametrize("path,section", [
    ("targets[2].channels[0].url", "channels"), ("targets[1]", "targets"), ("variants[0].body", "variants"),
    ("ethics.max_contacts_per_company", "ethics"), ("design.seed", "design"), ("mailbox", "general"),
    ("business_hours", "business_hours"), ("coding[0].levels", "coding")])
def test_problems_are_placed_by_the_part_of_the_page_they_concern(path, section):
    assert section == design_io.section_of(path)


def test_a_problem_names_the_table_row_it_is_about():
    form = design_io.form_from_experiment(validate_file(EXAMPLES[0]).experiment)
    problem = design_io.Problem("x", 1, "targets[1].channels[1].address", "bad")
    assert "targets[1].channels[1].address: bad (channels table, row 4)" == design_io.problem_text(problem, form)
