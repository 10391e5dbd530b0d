"""The README keeps up with the code: every command and every YAML field is documented."""

import typing
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from cli import main
from experiments.model import SEMANTIC_FIELDS, Experiment

README = (Path(__file__).parent.parent / "README.md").read_text()


def commands(group: click.Group, prefix="knock"):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def yaml_fields(model: type[BaseModel], seen=None):
    seen = seen if seen is not None else set()
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        yield name
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            for inner in (arg, *typing.get_args(arg)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    yield from yaml_fields(inner, seen)


@pytest.mark.parametrize("command", sorted(commands(main)))
def test_every_command_is_in_the_readme(command):
    assert f"`{command}" in README


@pytest.mark.parametrize("field", sorted(set(yaml_fields(Experiment)) | set(SEMANTIC_FIELDS)))
def test_every_yaml_field_is_in_the_readme(field):
    assert f"`{field}`" in README


def test_readme_shows_the_two_commands():
    assert "make demo" in README and "make test" in README
