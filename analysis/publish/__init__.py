"""`knock publish`: a static results site for readers, offline and free of personal data.

Example (needs a store with an experiment; see tests/test_publish_site.py)::

    from analysis.publish import publish
    report = publish(store, ["inquiry-demo"], "site")
    print(report.to_text())

Layout of ``out_dir``::

    index.html                 every published experiment: title, dates, counts, headline finding
    site.css                   the one stylesheet (no script, no font, no request leaves a page)
    site.json                  what was published when (lets a republish keep the other experiments)
    ID/index.html              results: findings in words, charts (inline SVG), tables with intervals
    ID/methods.html            hypothesis as registered, design, dates, counts, classification, ethics
    ID/data.html               the anonymised data, its dictionary, the replication package
    ID/results.json            the numbers on the pages (Results.to_dict() per grouping)
    ID/replication/            analysis-table.csv, codebook.md, design.yaml, replicate.py, README.md

Each experiment is built in a temporary folder beside its old one and
swapped in when complete, so a failed publish leaves the last good site.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from analysis.config import ResultsConfig
from analysis.results import compute_results
from analysis.table import analysis_table
from experiments.errors import KnockError

from . import pages, replication
from .anonymise import anonymise, to_csv
from .methods import build_methods, day, fieldwork, span, when
from .redact import design_data, design_yaml, redact_design, scrubber
from .replicate_script import read_table

GENERATOR = "knock publish"
MANIFEST = "site.json"
STATIC = Path(__file__).with_name("static")
PAGES = ("index.html", "methods.html", "data.html")
CHART_THREADS = 4  # vl-convert draws outside the GIL: charts are drawn while the statistics run


class PublishError(KnockError):
    """The site cannot be written where asked: the message says why and what to do."""


@dataclass(frozen=True)
class PublishedExperiment:
    experiment_id: str
    title: str
    directory: Path
    pages: dict[str, Path]
    page_bytes: dict[str, int]     # each page's HTML plus the stylesheet it loads (its whole weight)
    files: tuple[Path, ...]
    contacts: int
    delivered: int
    companies: int
    pseudonymised: bool
    simulated_clock: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishReport:
    out_dir: Path
    index: Path
    data_as_of: dt.datetime
    experiments: tuple[PublishedExperiment, ...]
    seconds: float
    listed: tuple[str, ...] = field(default_factory=tuple)  # every experiment on the index page

    def to_text(self) -> str:
        lines = [f"Published {len(self.experiments)} experiment(s) to {self.out_dir} in {self.seconds:.1f} s "
                 f"(data as of {when(self.data_as_of)}). Open {self.index}"]
        for e in self.experiments:
            names = "pseudonyms" if e.pseudonymised else "names shown"
            lines.append(f"  {e.experiment_id}: {e.contacts:,} contacts, {e.delivered:,} delivered, "
                         f"{e.companies:,} companies ({names})")
            for name, size in e.page_bytes.items():
                lines.append(f"    {e.directory.name}/{name}  {size / 1024:,.0f} KB")
            lines += [f"    note: {w}" for w in e.warnings]
        return "\n".join(lines)


def _env() -> Environment:
    env = Environment(loader=PackageLoader("analysis.publish", "templates"),
                      autoescape=select_autoescape(["html"], default_for_string=True, default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(day=day, when=when, span=span)
    return env


# --- the output folder ------------------------------------------------------------------------

def _prepare(out_dir: Path) -> dict:
    """Make sure ``out_dir`` can hold the site; return the manifest of an earlier publish there."""
    if out_dir.exists() and not out_dir.is_dir():
        raise PublishError(f"{out_dir} is a file, not a folder: choose a folder for the site")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".knock-probe-", delete=True)
        probe.close()
    except OSError as exc:
        raise PublishError(f"cannot write to {out_dir}: {exc.strerror or exc}; choose a folder you can write to "
                           "(--out DIR)") from None
    manifest_path = out_dir / MANIFEST
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("generator") == GENERATOR:
                return manifest
        except (OSError, ValueError):
            pass
    if any(p for p in out_dir.iterdir() if not p.name.startswith(".knock-")):
        raise PublishError(f"{out_dir} is not empty and was not made by knock publish: choose a new or empty "
                           "folder, so that no file of yours is overwritten")
    return {"generator": GENERATOR, "experiments": {}}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _replace_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".knock-{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _swap_in(built: Path, target: Path, known: bool) -> None:
    if target.exists():
        if not known and not (target / "results.json").exists():
            raise PublishError(f"{target} exists and was not made by knock publish: move it away first")
        old = target.with_name(f".knock-old-{target.name}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(built, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(built, target)


# --- one experiment ---------------------------------------------------------------------------

def _company_setting(row: dict, definition, override: str | None) -> bool:
    """True when names are shown. Imported studies have no setting: pseudonyms unless told otherwise."""
    setting = definition.publication.company_names if definition is not None else "pseudonym"
    if override is None:
        return setting == "show"
    if override not in ("show", "pseudonym"):
        raise PublishError(f"company_names is 'show' or 'pseudonym', not {override!r}")
    if override == "show" and definition is not None and setting != "show":
        raise PublishError(f"experiment '{row['id']}' registered publication.company_names: {setting}; change it in "
                           "its design file to show company names")
    return override == "show"


@dataclass
class _Study:
    """One experiment as it may be published: the row, its design, and the anonymised table."""

    row: dict
    definition: object | None  # the Experiment; None for an imported study
    design: dict | None        # the stored design file as data
    show: bool                 # company names shown
    anon: object               # anonymise.Anonymised
    scrub: object              # anonymise.Scrubber for free text
    simulated: bool
    as_of: dt.datetime

    @property
    def title(self) -> str:
        return self.scrub(self.row["title"])

    @property
    def window(self) -> float:
        return float(json.loads(self.row["definition"]).get("response_window_days", 14))


def _study(store, experiment_id: str, now: dt.datetime, key: bytes, company_names: str | None) -> _Study:
    row = store.experiment_row(experiment_id)
    definition = store.definition(experiment_id) if row["kind"] == "designed" else None
    show = _company_setting(row, definition, company_names)
    targets = store.targets(experiment_id)
    anon = anonymise(analysis_table(store, experiment_id, now=now), key, experiment_id, show,
                     names={t["id"]: t["name"] for t in targets},
                     domains={t["id"]: t.get("domain") or "" for t in targets})
    design = design_data(row)
    scrub = scrubber(design or {"targets": [{"id": t["id"], "name": t["name"], "domain": t.get("domain")}
                                            for t in targets]}, anon.companies, not show)
    simulated = any(e["kind"] == "experiment.simulated_clock" for e in store.events(experiment_id))
    return _Study(row, definition, design, show, anon, scrub, simulated, now.astimezone(dt.timezone.utc))


def _statistics(published, experiment_id: str, models: bool, pool) -> tuple[dict, list, list, object]:
    """Results per grouping, the sections and figures of the results page (charts draw in ``pool``)."""
    prefix = "fig"  # ids only need to be unique within a page
    delivered = bool(published["delivered"].any())
    results, sections, time_figures, shares = {}, [], [], None
    if delivered:  # curves first: they need no statistics, so they draw while the statistics run
        time_figures = pages.time_figures(published, "variant", prefix, pool)
    for grouping in pages.groupings(models):
        by = grouping["by"]
        results[by] = compute_results(published, by=by, config=ResultsConfig(**grouping["config"]),
                                      experiment=experiment_id).to_dict()
        if delivered:
            sections.append(pages.section(published, by, results[by], prefix, pool))
    if delivered:
        shares = pages.shares_table(results["variant"], "Variant")
    return results, sections, time_figures, shares


def _write_replication(folder: Path, study: _Study, settings: dict, results: dict) -> list[str]:
    """results.json and the replication package beside the CSV; returns what was withheld, in words."""
    row, anon, eid = study.row, study.anon, study.row["id"]
    _write(folder / "results.json", json.dumps(
        {"generator": GENERATOR, "experiment": eid, "data_as_of": study.as_of.isoformat(),
         "simulated_clock": study.simulated, "settings": settings, "results": results},
        indent=2, sort_keys=True, allow_nan=False) + "\n")
    rep = folder / "replication"
    withheld = [f"Stratum '{k}': {v}." for k, v in anon.withheld_strata.items()]
    columns = replication.columns_in_order(anon.table.columns)
    _write(rep / "codebook.md", replication.codebook_markdown(eid, columns, len(anon.table), withheld))
    _write(rep / "replicate.py", replication.script_text(settings))
    if study.design is not None:
        header = [f"Design file of experiment '{eid}', published by Knock ({when(study.as_of)}).",
                  f"Pre-registration hash: {row.get('prereg_hash') or 'none (never armed)'}; locked at "
                  f"{row.get('armed_at') or 'never'}.",
                  "The hash covers the unredacted design and contact plan; it cannot be recomputed from this copy.",
                  "Redacted: persona names, phones, employers and mailboxes, the research mailbox, every email "
                  "address,", "form recipes, the opt-out list, comments."]
        if not study.show:
            header.append("Companies appear under their pseudonyms; domains, web addresses and timezones are withheld.")
        header.append("This file documents the design: it is not meant to be loaded again as it is.")
        redacted = redact_design(study.design, anon.companies, anon.personas, not study.show, anon.withheld_strata,
                                 study.scrub)
        _write(rep / "design.yaml", design_yaml(redacted, header))
    _write(rep / "README.md", replication.readme(eid, study.title, row.get("prereg_hash"), row.get("armed_at"),
                                                 study.design is not None, when(study.as_of), study.simulated))
    return withheld


def _build(store, experiment_id: str, folder: Path, now: dt.datetime, key: bytes, models: bool,
           company_names: str | None, env: Environment, pool) -> tuple[PublishedExperiment, dict]:
    study = _study(store, experiment_id, now, key, company_names)
    anon = study.anon
    csv_path = folder / "replication" / "analysis-table.csv"
    _write(csv_path, to_csv(anon.table))
    published = read_table(csv_path)  # every number on the site comes from the file readers get
    settings = {"experiment": experiment_id, "by": [g["by"] for g in pages.groupings(models)],
                "config": {g["by"]: g["config"] for g in pages.groupings(models)}}
    results, sections, time_figures, shares = _statistics(published, experiment_id, models, pool)
    withheld = _write_replication(folder, study, settings, results)

    n_delivered = int(published["delivered"].sum())
    first, last = fieldwork(anon.table)
    summary = {
        "id": experiment_id, "title": study.title, "first_sent": first, "last_sent": last,
        "companies": int(anon.table["company"].nunique()), "contacts": int(len(anon.table)),
        "delivered": n_delivered, "data_as_of": study.as_of.isoformat(), "simulated_clock": study.simulated,
        "imported": study.definition is None,
        "headline": (pages.index_headline(results, study.window) if n_delivered
                     else "No inquiry has been delivered yet."),
    }
    rep = folder / "replication"
    context = {
        "root": "../", "experiment": summary, "title": study.title, "as_of": study.as_of,
        "simulated": study.simulated, "pseudonymised": not study.show, "imported": study.definition is None,
        "sections": sections, "time_figures": time_figures, "shares": shares,
        "headline": pages.headline(results, study.window) if n_delivered else [],
        "overall_rate": pages.pct((results["variant"].get("overall") or {}).get("rate")),
        "notes": results["variant"]["warnings"],
        "methods": build_methods(study.row, study.definition, anon.table, results["variant"], study.scrub,
                                 anon.withheld_strata, not study.show),
        "codebook": replication.codebook_rows(replication.columns_in_order(anon.table.columns)),
        "withheld": withheld, "n_rows": len(anon.table),
        "files": sorted(p.relative_to(folder).as_posix() for p in rep.iterdir()),
        "sizes": {p.relative_to(folder).as_posix(): p.stat().st_size for p in rep.iterdir()},
        "results_size": (folder / "results.json").stat().st_size,
    }
    for name, template in {"index.html": "results.html", "methods.html": "methods.html",
                           "data.html": "data.html"}.items():
        _write(folder / name, env.get_template(template).render(page=name, **context))
    warnings = [f"stratum '{k}' withheld: {v}" for k, v in anon.withheld_strata.items()]
    if not n_delivered:
        warnings.append("no contact delivered yet: the results page says so")
    css = (STATIC / "site.css").stat().st_size
    built = PublishedExperiment(
        experiment_id=experiment_id, title=study.title, directory=folder, pages={n: folder / n for n in PAGES},
        page_bytes={n: (folder / n).stat().st_size + css for n in PAGES},
        files=tuple(sorted(p for p in folder.rglob("*") if p.is_file())), contacts=len(anon.table),
        delivered=n_delivered, companies=summary["companies"], pseudonymised=not study.show,
        simulated_clock=study.simulated, warnings=tuple(warnings))
    return built, summary


def publish(store, experiment_ids, out_dir, now: dt.datetime | None = None, *, models: bool = False,
            company_names: str | None = None) -> PublishReport:
    """Write (or update) the static site for ``experiment_ids`` in ``out_dir``.

    ``now``: the moment the data are taken (default: the store's clock);
    ``models``: add the regression models (slower); ``company_names``:
    "pseudonym" to withhold names whatever the experiment says, or "show"
    for an imported study (a designed one shows names only if its design
    says so). Unknown ids raise ``experiments.errors.NotFound`` before
    anything is written; an unusable ``out_dir`` raises ``PublishError``.
    """
    started = time.perf_counter()
    ids = list(dict.fromkeys([experiment_ids] if isinstance(experiment_ids, str) else experiment_ids))
    if not ids:
        raise PublishError("name at least one experiment to publish")
    for experiment_id in ids:
        store.experiment_row(experiment_id)  # NotFound, before any file is touched
    out_dir = Path(out_dir)
    manifest = _prepare(out_dir)
    now = now or store.clock.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    key = store.token_key()
    env = _env()
    done = []
    with ThreadPoolExecutor(max_workers=CHART_THREADS, thread_name_prefix="knock-chart") as pool:
        for experiment_id in ids:
            folder = Path(tempfile.mkdtemp(prefix=f".knock-new-{experiment_id}-", dir=out_dir))
            target = out_dir / experiment_id
            try:
                built, summary = _build(store, experiment_id, folder, now, key, models, company_names, env, pool)
                _swap_in(folder, target, experiment_id in manifest["experiments"])
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            done.append(_moved(built, target))
            manifest["experiments"][experiment_id] = summary
    manifest["experiments"] = {k: v for k, v in manifest["experiments"].items() if (out_dir / k).is_dir()}
    listed = sorted(manifest["experiments"].values(), key=lambda e: (e.get("first_sent") or "", e["id"]), reverse=True)
    shutil.copyfile(STATIC / "site.css", out_dir / ".knock-site.css.tmp")
    os.replace(out_dir / ".knock-site.css.tmp", out_dir / "site.css")
    _replace_atomically(out_dir / "index.html", env.get_template("index.html").render(
        page="home", root="", experiments=listed, as_of=now.astimezone(dt.timezone.utc)))
    _replace_atomically(out_dir / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return PublishReport(out_dir, out_dir / "index.html", now, tuple(done), time.perf_counter() - started,
                         tuple(e["id"] for e in listed))


def _moved(built: PublishedExperiment, target: Path) -> PublishedExperiment:
    """The report of an experiment built in a temporary folder, with the paths of its final place."""
    def move(p: Path) -> Path:
        return target / p.relative_to(built.directory)
    return PublishedExperiment(
        built.experiment_id, built.title, target, {k: move(v) for k, v in built.pages.items()}, built.page_bytes,
        tuple(move(p) for p in built.files), built.contacts, built.delivered, built.companies, built.pseudonymised,
        built.simulated_clock, built.warnings)


def zip_site(out_dir) -> bytes:
    """The published site as a zip archive (to download from the dashboard), without temporary files."""
    import io
    import zipfile

    out_dir = Path(out_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(out_dir.rglob("*")):
            relative = path.relative_to(out_dir)
            if path.is_file() and not any(part.startswith(".knock-") for part in relative.parts):
                archive.write(path, relative.as_posix())
    return buffer.getvalue()
