"""YAML in and out, remembering where every value came from.

Validation messages must name a line (``FILE:LINE: field.path: message``),
so the file is composed into PyYAML nodes first and a map from field paths
to line numbers is kept beside the plain data. PyYAML silently keeps the
last of two duplicate keys; here a duplicate is reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import re
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2's reading of two YAML 1.1 surprises.

    ``17:00`` is text (not the base-60 integer 1020) and only true/false are
    booleans, so ``levels: [no, partly, fully]`` means the words.
    """


_BOOL = "tag:yaml.org,2002:bool"
Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
for _digit in "0123456789":
    Loader.yaml_implicit_resolvers.setdefault(_digit, []).insert(
        0, ("tag:yaml.org,2002:str", re.compile(r"^[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$")))


@dataclass(frozen=True)
class SourceProblem:
    line: int
    path: str
    message: str


@dataclass
class Located:
    """Parsed YAML data plus the line (1-based) of each path's value and key."""

    data: Any
    value_lines: dict[Path_, int] = field(default_factory=dict)
    key_lines: dict[Path_, int] = field(default_factory=dict)
    block_scalars: set[Path_] = field(default_factory=set)
    problems: list[SourceProblem] = field(default_factory=list)

    def line_of(self, path: Path_) -> int:
        """The line of the deepest known prefix of ``path`` (keys win over values)."""
        for end in range(len(path), -1, -1):
            prefix = tuple(path[:end])
            if prefix in self.key_lines:
                return self.key_lines[prefix]
            if prefix in self.value_lines:
                return self.value_lines[prefix]
        return 1


def format_path(path: Path_) -> str:
    """``('targets', 0, 'timezone')`` -> ``targets[0].timezone``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top)"


def parse(text: str) -> Located:
    """Parse YAML text; syntax errors become problems with their line."""
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        context = exc.context or ""
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            context += f" (started on line {exc.context_mark.line + 1})"
        message = ": ".join(p for p in (context.strip(), exc.problem) if p)
        return Located(data=None, problems=[SourceProblem(line, "(yaml)", f"syntax error: {message}")])
    except yaml.YAMLError as exc:
        return Located(data=None, problems=[SourceProblem(1, "(yaml)", f"syntax error: {exc}")])
    located = Located(data=None)
    if root is None:
        located.problems.append(SourceProblem(1, "(top)", "the file is empty"))
        return located
    _walk(root, (), located)
    try:
        located.data = yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:  # constructor errors (bad tags, bad dates)
        mark = getattr(exc, "problem_mark", None)
        located.problems.append(SourceProblem(mark.line + 1 if mark else 1, "(yaml)", str(exc).splitlines()[0]))
    return located


def _walk(node: yaml.Node, path: Path_, located: Located) -> None:
    located.value_lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        located.block_scalars.add(path)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                located.problems.append(SourceProblem(
                    line, format_path(path + (key,)), f"duplicate key (first given on line {seen[key]})"))
                continue
            seen[key] = line
            located.key_lines[path + (key,)] = line
            _walk(value_node, path + (key,), located)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), located)


def read(path: Path) -> str:
    return Path(path).read_text(encoding="utf-8")


def dump(data: dict) -> str:
    """Write definition data as readable YAML (block style, key order kept)."""

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, value: str):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
