"""Where an attempt's evidence goes: sanitised names under one evidence root.

Layout (crawlee's error snapshotter keeps the same idea: one predictable
file per kind, named after the attempt)::

    data/evidence/<experiment>/<contact_id>/<attempt-stamp>-<kind>.<ext>
    data/evidence/inquiry-demo/42/20260301T120000.123Z-before.jpg

Ids come from researchers' YAML and from other hosts' JSON, so every path
component is reduced to ``[A-Za-z0-9._-]`` and the final path is checked
to stay inside its directory: ``../../etc`` becomes ``_.._etc``, never a
way out. ``Recorder`` takes the files (screenshots, final HTML, a
Playwright trace) as the job's evidence mode says. Evidence holds persona
data (screenshots, traces with cookies): it is kept for the research
record and never published.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

MODES = ("off", "default", "full")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_COMPONENT = 80


class UnsafePath(ValueError):
    """A computed evidence path would leave its directory: report this as a bug."""


def safe_component(text: object, max_len: int = MAX_COMPONENT) -> str:
    """One harmless path component: ``'../x y'`` -> ``'_.._x_y'``; never empty, never ``.`` or ``..``.

    >>> safe_component("../../etc/passwd")
    '_.._.._etc_passwd'
    """
    cleaned = _UNSAFE.sub("_", str(text)).strip()
    if cleaned.startswith("."):
        cleaned = "_" + cleaned  # no hidden files, no "." or ".."
    cleaned = cleaned[:max_len]
    return cleaned or "_"


def attempt_stamp(when: dt.datetime | None = None) -> str:
    """A sortable UTC stamp with milliseconds: ``20260301T120000.123Z``."""
    when = (when or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return when.strftime("%Y%m%dT%H%M%S.") + f"{when.microsecond // 1000:03d}Z"


def contact_dir(root: Path, experiment_id: str, contact_id: object) -> Path:
    """``<root>/<experiment>/<contact_id>``, sanitised and checked to lie inside ``root``."""
    root = Path(root)
    path = root / safe_component(experiment_id) / safe_component(contact_id)
    _inside(path, root)
    return path


@dataclass(frozen=True)
class AttemptFiles:
    """Names one attempt's evidence files: ``<directory>/<stamp>-<kind>.<ext>``.

    ``path`` creates the directory on first use and never returns a name
    that already exists (a second file of the same kind gets ``-2``), so
    two attempts in the same millisecond cannot overwrite each other.
    """

    directory: Path
    stamp: str

    @classmethod
    def for_contact(cls, root: Path, experiment_id: str, contact_id: object,
                    when: dt.datetime | None = None) -> AttemptFiles:
        return cls(contact_dir(root, experiment_id, contact_id), attempt_stamp(when))

    def path(self, kind: str, ext: str) -> Path:
        directory = Path(self.directory)
        stem = f"{safe_component(self.stamp, 40)}-{safe_component(kind, 40)}"
        ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:10] or "bin"
        directory.mkdir(parents=True, exist_ok=True)
        candidate = directory / f"{stem}.{ext}"
        n = 2
        while candidate.exists():
            candidate = directory / f"{stem}-{n}.{ext}"
            n += 1
        _inside(candidate, directory)
        return candidate


@dataclass
class Recorder:
    """Takes one attempt's screenshots, HTML and trace according to the job's evidence mode.

    ``off``: nothing. ``default``: screenshots and the final HTML, plus a
    Playwright trace (actions, network, console and DOM snapshots) kept
    only if the attempt did not end confirmed. ``full``: the trace is
    always kept, with the screencast filmstrip as well. ``paths`` (kind -> file) goes into
    ``AttemptResult.evidence``; ``problems`` says what could not be saved.
    A missing screenshot never fails an attempt.
    """

    files: AttemptFiles
    mode: str = "default"
    paths: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _tracing: object = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"evidence must be one of {', '.join(MODES)}, not {self.mode!r}")

    def screenshot(self, page, kind: str) -> None:
        if self.mode == "off" or page is None:
            return
        # JPEG: several times faster to encode than PNG on a full page, and smaller; still legible.
        path = self.files.path(kind, "jpg")
        try:
            # caret="initial": no style sheet injected to hide the text cursor (two more restyles per shot)
            page.screenshot(path=str(path), full_page=True, type="jpeg", quality=80, caret="initial")
            self.paths[kind] = str(path)
        except PlaywrightError as exc:
            self.problems.append(f"no {kind} screenshot: {_first_line(exc)}")

    def html(self, page) -> None:
        if self.mode == "off" or page is None:
            return
        try:
            html = page.content()
        except PlaywrightError as exc:
            self.problems.append(f"no HTML: {_first_line(exc)}")
            return
        path = self.files.path("html", "html")
        path.write_text(html, encoding="utf-8")
        self.paths["html"] = str(path)

    def start_trace(self, context, title: str) -> None:
        if self.mode == "off":
            return
        try:
            # The trace's filmstrip (a screencast) doubles the cost of an attempt and repeats the
            # before/after screenshots: only "full" records it. DOM snapshots are kept in both.
            context.tracing.start(screenshots=self.mode == "full", snapshots=True, title=title)
            self._tracing = context.tracing
        except PlaywrightError as exc:  # e.g. the caller is already tracing this context
            self.problems.append(f"no trace: {_first_line(exc)}")

    def stop_trace(self, confirmed: bool) -> None:
        """Save the trace unless the attempt was confirmed (``full``: always save)."""
        if self._tracing is None:
            return
        tracing, self._tracing = self._tracing, None
        try:
            if self.mode == "full" or not confirmed:
                path = self.files.path("trace", "zip")
                tracing.stop(path=str(path))
                self.paths["trace"] = str(path)
            else:
                tracing.stop()  # discarded
        except PlaywrightError as exc:
            self.problems.append(f"no trace: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _inside(path: Path, directory: Path) -> None:
    resolved, base = Path(path).resolve(), Path(directory).resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafePath(f"evidence path {path} is outside {directory}")
