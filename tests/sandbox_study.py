"""The example inquiry study pointed at a running test sandbox."""

from pathlib import Path

from experiments.validation import validate_text

EXAMPLES = Path(__file__).parent.parent / "experiments" / "examples"


def sandbox_experiment(sandbox, name="inquiry.yaml", channels=None, extra_design=""):
    """The example with the sandbox's real port (and optionally only some channel types)."""
    text = (EXAMPLES / name).read_text().replace("127.0.0.1:8765", f"127.0.0.1:{sandbox.http_port}")
    design_lines = extra_design
    if channels:
        design_lines += f"\n  channels: [{', '.join(channels)}]"
    text = text.replace("\ndesign:\n", f"\ndesign:{design_lines}\n", 1)
    result = validate_text(text, name)
    assert result.ok, [str(p) for p in result.problems]
    return result.experiment


def load_armed(store, experiment):
    store.load(experiment)
    store.set_status(experiment.id, "armed")
    return store.contacts(experiment.id)
