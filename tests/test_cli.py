"""The `knock` command as a researcher types it."""

from pathlib import Path

from click.testing import CliRunner

from cli import main

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"


def run(db, *args, input=None, env=None):
    return CliRunner().invoke(main, ["--db", str(db), *args], input=input, env=env)


def test_validate_exits_0_for_a_valid_file(tmp_path):
    result = run(tmp_path / "k.db", "experiment", "validate", str(MINIMAL))
    assert 0 == result.exit_code
    assert f"{MINIMAL}: valid: 2 targets, 2 variants, 6 contacts planned\n" == result.output


def test_validate_exits_2_with_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text().replace("Europe/London", "Europe/Nowhere").replace("seed: 42", "seed: many"))
    result = run(tmp_path / "k.db", "experiment", "validate", str(bad))
    assert 2 == result.exit_code
    lines = result.output.splitlines()
    assert [f"{bad}:10: design.seed: Input should be a valid integer, unable to parse string as an integer",
            f"{bad}:32: targets[0].timezone: 'Europe/Nowhere' is not an IANA timezone (like Europe/London)",
            f"{bad}: 2 problem(s)"] == lines
    assert not (tmp_path / "k.db").exists()


def test_load_list_show(tmp_path):
    db = tmp_path / "k.db"
    assert "Loaded: minimal (6 contacts)" in run(db, "experiment", "load", str(MINIMAL)).output
    assert "Unchanged: minimal (6 contacts)" in run(db, "experiment", "load", str(MINIMAL)).output
    listing = run(db, "experiment", "list").output.splitlines()
    assert ["id", "status", "kind", "contacts", "planned", "sent", "title"] == listing[0].split()
    assert ["minimal", "draft", "designed", "6", "6", "0", "Minimal", "study"] == listing[2].split()
    shown = run(db, "experiment", "show", "minimal", "--plan").output
    assert "contacts: 6 planned" in shown
    assert 6 == sum(1 for line in shown.splitlines() if line.endswith("planned") and line.startswith("2026-"))


def test_an_invalid_file_is_not_loaded(tmp_path):
    db = tmp_path / "k.db"
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text().replace("title:", "titel:"))
    result = run(db, "experiment", "load", str(bad))
    assert 2 == result.exit_code
    assert "unknown key 'titel' (did you mean 'title'?)" in result.output
    assert "No experiments yet" in run(db, "experiment", "list").output


def test_go_live_names_domains_and_asks_first(tmp_path):
    db = tmp_path / "k.db"
    run(db, "experiment", "load", str(MINIMAL))
    run(db, "experiment", "arm", "minimal")
    declined = run(db, "experiment", "go-live", "minimal", input="n\n")
    assert 1 == declined.exit_code
    assert ("Going live makes 6 real contacts to 3 domains:\n"
            "     2  acme.example\n     2  bolt.example\n     2  www.acme.example\n") in declined.output
    assert "status: armed" in run(db, "experiment", "show", "minimal").output
    accepted = run(db, "experiment", "go-live", "minimal", input="y\n")
    assert "minimal is now live" in accepted.output


def test_a_refused_transition_is_a_clean_error(tmp_path):
    db = tmp_path / "k.db"
    run(db, "experiment", "load", str(MINIMAL))
    result = run(db, "experiment", "close", "minimal")
    assert 0 == result.exit_code
    again = run(db, "experiment", "arm", "minimal")
    assert 1 == again.exit_code
    assert "Error: experiment 'minimal' is closed; it can move to nothing (it is closed), not armed\n" == again.output


def test_knock_db_environment_variable_chooses_the_database(tmp_path):
    db = tmp_path / "from-env.db"
    result = CliRunner().invoke(main, ["experiment", "load", str(MINIMAL)], env={"KNOCK_DB": str(db)})
    assert 0 == result.exit_code, result.output
    assert db.exists()


def test_init_creates_the_database(tmp_path):
    result = run(tmp_path / "new" / "k.db", "init")
    assert f"Database ready: {tmp_path / 'new' / 'k.db'} (0 experiments)\n" == result.output


def test_sandbox_refuses_a_negative_latency_before_serving(tmp_path):
    result = run(tmp_path / "k.db", "sandbox", "--latency", "-0.5", "--data-dir", str(tmp_path / "sb"))

    assert 2 == result.exit_code
    assert "--latency" in result.output and not (tmp_path / "sb").exists()
