"""The ``knock`` command: thin wrappers over library calls.

Each command opens the store, calls one library function and prints the
result. A ``KnockError`` becomes a one-line message and a non-zero exit;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from experiments.errors import ImportRefused, KnockError
from experiments.store import DEFAULT_DB, Store

EXIT_INVALID = 2


def _table(rows: list[dict], columns: list[str]) -> str:
    """A plain text table (no dependency; the dashboard shows the rich one)."""
    if not rows:
        return "(none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def knock_errors(func):
    """Turn domain errors into clean messages at the edge."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ImportRefused as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            click.echo(f"Nothing imported: {len(exc.problems)} problem(s).", err=True)
            sys.exit(EXIT_INVALID)
        except KnockError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


class Context:
    def __init__(self, db_path: Path):
        self.db_path = db_path
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_path)
        return self._store


pass_ctx = click.make_pass_decorator(Context)


@click.group()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              default=lambda: os.environ.get("KNOCK_DB", str(DEFAULT_DB)), show_default="data/knock.db or $KNOCK_DB",
              help="The SQLite database.")
@click.version_option("0.1.0", prog_name="knock")
@click.pass_context
def main(ctx: click.Context, db_path: Path) -> None:
    """Knock: do companies answer the people who knock on their doors?"""
    ctx.obj = Context(db_path)


@main.command()
@pass_ctx
@knock_errors
def init(ctx: Context) -> None:
    """Create the database (and apply migrations) if needed."""
    store = ctx.store
    click.echo(f"Database ready: {store.path} ({len(store.experiments())} experiments)")


# --- experiments -------------------------------------------------------------

@main.group()
def experiment() -> None:
    """Write, check, store and steer experiments."""


def _validated(file: Path):
    from experiments.validation import validate_file

    result = validate_file(file)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if not result.ok:
        click.echo(f"{file}: {len(result.problems)} problem(s)", err=True)
        sys.exit(EXIT_INVALID)
    return result


@experiment.command()
@click.argument("file", type=click.Path(path_type=Path))
def validate(file: Path) -> None:
    """Check FILE; exit 0 when valid, 2 with one line per problem when not."""
    from experiments.assignment import plan

    result = _validated(file)
    experiment = result.experiment
    contacts = plan(experiment, b"validate-only")
    click.echo(f"{file}: valid: {len(experiment.targets)} targets, {len(experiment.variants)} variants, "
               f"{len(contacts)} contacts planned")


@experiment.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_ctx
@knock_errors
def load(ctx: Context, file: Path) -> None:
    """Store FILE's experiment and its contact plan (same file and seed, same plan)."""
    result = _validated(file)
    loaded = ctx.store.load(result.experiment, result.source, str(file))
    verb = {"created": "Loaded", "unchanged": "Unchanged", "replanned": "Re-planned draft",
            "updated": "Updated (design unchanged)"}[loaded.action]
    click.echo(f"{verb}: {loaded.experiment_id} ({loaded.contacts} contacts). "
               f"Next: knock experiment show {loaded.experiment_id} --plan")


@experiment.command("list")
@pass_ctx
@knock_errors
def list_(ctx: Context) -> None:
    """Every experiment with its status and progress."""
    rows = ctx.store.experiments()
    if not rows:
        click.echo("No experiments yet. Try: knock experiment load experiments/examples/inquiry.yaml")
        return
    click.echo(_table(rows, ["id", "status", "kind", "contacts", "planned", "sent", "title"]))


@experiment.command()
@click.argument("experiment_id")
@click.option("--plan", "show_plan", is_flag=True, help="List every planned contact.")
@pass_ctx
@knock_errors
def show(ctx: Context, experiment_id: str, show_plan: bool) -> None:
    """Details, status and contact counts of one experiment."""
    store = ctx.store
    row = store.experiment_row(experiment_id)
    click.echo(f"{row['id']}: {row['title']}")
    click.echo(f"  status: {row['status']}   kind: {row['kind']}   created: {row['created_at']}")
    if row["prereg_hash"]:
        click.echo(f"  pre-registered: {row['prereg_hash']} at {row['armed_at']}")
    if row["kind"] == "designed":
        definition = store.definition(experiment_id)
        click.echo(f"  hypothesis: {definition.hypothesis.strip().splitlines()[0]}")
        click.echo(f"  design: {definition.design.arms}-company, seed {definition.design.seed}, "
                   f"from {definition.design.start} for {definition.design.days} days")
        click.echo(f"  targets: {len(definition.targets)}   variants: "
                   f"{', '.join(v.id for v in definition.variants)}   ethics: {definition.ethics.approval}")
    counts = store.state_counts(experiment_id)
    click.echo("  contacts: " + (", ".join(f"{n} {state}" for state, n in counts.items()) or "none"))
    if show_plan:
        click.echo(_table(store.contacts(experiment_id),
                          ["planned_at", "target_id", "channel_key", "variant_id", "persona_id", "state"]))


def _transition(status: str):
    @pass_ctx
    @knock_errors
    def command(ctx: Context, experiment_id: str) -> None:
        row = ctx.store.set_status(experiment_id, status)
        extra = f" (pre-registration {row['prereg_hash']})" if status == "armed" else ""
        click.echo(f"{experiment_id} is now {status}{extra}")

    return command


experiment.command("arm", help="Lock the pre-registration: design, hypothesis, seed and plan.")(
    click.argument("experiment_id")(_transition("armed")))
experiment.command("close", help="Close an experiment: nothing more is submitted.")(
    click.argument("experiment_id")(_transition("closed")))


@experiment.command("go-live")
@click.argument("experiment_id")
@click.option("--yes", is_flag=True, help="Skip the confirmation (for scripts).")
@pass_ctx
@knock_errors
def go_live(ctx: Context, experiment_id: str, yes: bool) -> None:
    """Allow real submissions: names how many contacts go to which domains first."""
    from experiments.safety import live_reach

    status = ctx.store.experiment_row(experiment_id)["status"]
    if status != "armed":
        raise click.ClickException(f"experiment '{experiment_id}' is {status}: only an armed experiment goes live "
                                   f"(knock experiment arm {experiment_id} first)")
    reach = live_reach(ctx.store, experiment_id)
    click.echo(f"Going live makes {reach.total} real contacts to {len(reach.domains)} domains:")
    for domain, count in reach.domains.items():
        click.echo(f"  {count:4d}  {domain}")
    if not yes:
        click.confirm("Go live?", abort=True)
    ctx.store.set_status(experiment_id, "live")
    click.echo(f"{experiment_id} is now live")


# --- running -------------------------------------------------------------------

@main.command()
@click.option("--experiment", "experiment_id", required=True)
@click.option("--now", "ignore_schedule", is_flag=True,
              help="Ignore planned times (and, for the sandbox only, business hours and spacing).")
@click.option("--dry-run", is_flag=True, help="Fill every form and keep the evidence; never click submit or send.")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 16), help="Browser contexts at once.")
@click.option("--contact", "contact_ids", multiple=True, type=int, help="Only these contacts (repeatable).")
@click.option("--limit", type=click.IntRange(1), help="At most this many contacts.")
@click.option("--evidence", type=click.Choice(["default", "off", "full"]), default="default", show_default=True)
@pass_ctx
@knock_errors
def run(ctx: Context, experiment_id: str, ignore_schedule: bool, dry_run: bool, concurrency: int,
        contact_ids: tuple[int, ...], limit: int | None, evidence: str) -> None:
    """Submit every due contact of an experiment, then summarise the outcomes."""
    from runners.email_send import SmtpConfig, SmtpConfigError
    from runners.run import RunOptions, run_experiment

    try:
        smtp = SmtpConfig.from_env()
    except SmtpConfigError as exc:
        raise click.ClickException(str(exc)) from None
    options = RunOptions(experiment_id, ignore_schedule, dry_run, concurrency, evidence,
                         ctx.db_path.parent / "evidence", smtp, contact_ids or None, limit)
    bar = None

    def progress(entry: dict, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Submitting", show_pos=True, file=sys.stderr)
            bar.__enter__()
        bar.update(1, entry["outcome"])

    try:
        summary = run_experiment(ctx.store, options, progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    rows = [{"outcome": k, "contacts": v} for k, v in sorted(summary.outcomes.items())]
    click.echo(_table(rows, ["outcome", "contacts"]) if rows else "Nothing was due.")
    if summary.skipped:
        click.echo(f"Skipped {len(summary.skipped)}: " + "; ".join(sorted({r for _, r in summary.skipped})))
    if summary.deferred:
        click.echo(f"Deferred {len(summary.deferred)}: " + "; ".join(sorted({r for _, r in summary.deferred}))[:300])
    click.echo(f"Next: knock status --experiment {experiment_id}")


@main.command()
@click.option("--experiment", "experiment_id", required=True)
@pass_ctx
@knock_errors
def preflight(ctx: Context, experiment_id: str) -> None:
    """Visit every channel without submitting anything: which are testable, with evidence."""
    from runners.preflight import preflight as run_preflight

    rows = run_preflight(ctx.store, experiment_id, ctx.db_path.parent / "evidence")
    table = [{"target": r.target, "channel": r.channel, "ok": "yes" if r.testable else "NO", "verdict": r.verdict,
              "fields": ", ".join(sorted(r.fields)) or "-"} for r in rows]
    click.echo(_table(table, ["target", "channel", "ok", "verdict", "fields"]))
    bad = [r for r in rows if not r.testable and r.channel not in ("phone", "social", "chat")]
    click.echo(f"{len(rows) - len(bad)} of {len(rows)} channels testable."
               + (" Fix their recipes or drop those targets before going live; evidence under "
                  f"{ctx.db_path.parent / 'evidence' / 'preflight' / experiment_id}" if bad else ""))


@main.command()
@click.option("--experiment", "experiment_id", required=True)
@click.option("--all", "show_all", is_flag=True, help="List every contact, not only the counts.")
@pass_ctx
@knock_errors
def status(ctx: Context, experiment_id: str, show_all: bool) -> None:
    """Where every contact of an experiment stands."""
    store = ctx.store
    row = store.experiment_row(experiment_id)
    paused = "  (PAUSED)" if row["paused"] else ""
    click.echo(f"{experiment_id}: {row['status']}{paused}")
    counts = store.state_counts(experiment_id)
    click.echo(_table([{"state": k, "contacts": v} for k, v in counts.items()], ["state", "contacts"]))
    uncertain = store.contacts(experiment_id, state="uncertain")
    if uncertain:
        click.echo(f"\n{len(uncertain)} uncertain contact(s) may have gone out and need a decision "
                   "(knock resolve CONTACT --sent|--not-sent --note ...):")
        click.echo(_table(uncertain, ["id", "target_id", "channel_key", "variant_id", "submitting_at", "last_error"]))
    if show_all:
        click.echo(_table(store.contacts(experiment_id),
                          ["id", "planned_at", "target_id", "channel_key", "variant_id", "state", "attempts", "last_error"]))


def _which(experiment_id: str | None, every: bool) -> str | None:
    if bool(experiment_id) == every:
        raise click.UsageError("name one experiment, or give --all for every experiment")
    return experiment_id


@main.command()
@click.argument("experiment_id", required=False)
@click.option("--all", "every", is_flag=True, help="The global switch: every experiment.")
@pass_ctx
@knock_errors
def pause(ctx: Context, experiment_id: str | None, every: bool) -> None:
    """Stop submitting: runners and workers stop claiming and submitting within seconds."""
    if _which(experiment_id, every) is None:
        ctx.store.set_paused_all(True)
        click.echo("Every experiment is paused. Resume with: knock resume --all")
        return
    ctx.store.set_paused(experiment_id, True)
    click.echo(f"{experiment_id} is paused. Resume with: knock resume {experiment_id}")


@main.command()
@click.argument("experiment_id", required=False)
@click.option("--all", "every", is_flag=True, help="Lift the global switch.")
@pass_ctx
@knock_errors
def resume(ctx: Context, experiment_id: str | None, every: bool) -> None:
    """Lift the pause."""
    if _which(experiment_id, every) is None:
        ctx.store.set_paused_all(False)
        click.echo("The global pause is lifted (experiments paused on their own stay paused)")
        return
    ctx.store.set_paused(experiment_id, False)
    click.echo(f"{experiment_id} is no longer paused")


@main.command()
@click.argument("contact_id", type=int)
@click.option("--sent/--not-sent", "went_out", required=True, help="Did the submission go out?")
@click.option("--note", required=True, help="The evidence for the decision.")
@pass_ctx
@knock_errors
def resolve(ctx: Context, contact_id: int, went_out: bool, note: str) -> None:
    """Decide an uncertain contact (it may have gone out): it is never retried either way."""
    if not ctx.store.resolve_uncertain(contact_id, went_out, note):
        raise click.ClickException(f"contact {contact_id} is {ctx.store.contact(contact_id)['state']}, not uncertain")
    click.echo(f"contact {contact_id}: {'submitted' if went_out else 'failed (not retried)'}")


@main.command()
@click.option("--role", type=click.Choice(["all", "coordinator", "submit"]), default="all", show_default=True,
              help="coordinator: owns the database and dispatches; submit: only submits (no database needed).")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 16), help="Submitting threads.")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between looks for due contacts.")
@click.option("--now", "ignore_schedule", is_flag=True,
              help="Ignore planned times (and, for the sandbox only, business hours and spacing).")
@click.option("--evidence", type=click.Choice(["default", "off", "full"]), default="default", show_default=True)
@click.option("--maildir", type=click.Path(file_okay=False, path_type=Path), help="Coordinator: poll this Maildir.")
@click.option("--imap", "imap_url", help="Coordinator: poll this mailbox (password in KNOCK_IMAP_PASSWORD).")
@click.option("--collect-every", default=300.0, show_default=True, help="Seconds between mailbox polls.")
@pass_ctx
@knock_errors
def worker(ctx: Context, role: str, concurrency: int, interval: float, ignore_schedule: bool, evidence: str,
           maildir: Path | None, imap_url: str | None, collect_every: float) -> None:
    """Run unattended: dispatch what is due, submit it, poll the mailbox (queue: $KNOCK_QUEUE or SQLite)."""
    from runners.email_send import SmtpConfig
    from runners.run import RunOptions
    from runners.worker import Mailbox, serve

    options = RunOptions("*", evidence=evidence, evidence_root=ctx.db_path.parent / "evidence",
                         smtp=SmtpConfig.from_env())
    mailbox = Mailbox(maildir, imap_url, collect_every) if (maildir or imap_url) else None
    serve(role, ctx.db_path, options, concurrency, interval, ignore_schedule, echo=click.echo, mailbox=mailbox)


# --- manual channels -----------------------------------------------------------

def _when(text: str | None) -> dt.datetime:
    """An ISO 8601 time (no offset: the local zone of this machine); default now."""
    if not text:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date-time like 2026-03-02T14:05+01:00", param_hint="--at") from None
    return (value if value.tzinfo else value.astimezone()).astimezone(dt.timezone.utc)


@main.command()
@click.option("--experiment", "experiment_id", help="Only this experiment.")
@pass_ctx
@knock_errors
def todo(ctx: Context, experiment_id: str | None) -> None:
    """Knocks to make by hand (phone, social, chat) that are due, with what to say."""
    from runners.manual import todo_items

    items = todo_items(ctx.store, experiment_id)
    if not items:
        click.echo("Nothing to do by hand right now.")
        return
    for item in items:
        click.echo(f"[{item['contact_id']}] {item['planned_at']}  {item['target']} by {item['channel']}"
                   f"{' (' + item['handle'] + ')' if item['handle'] else ''} as {item['persona']}")
        click.echo("    " + item["message"].strip().replace("\n", "\n    "))
        click.echo(f"    when done: knock made {item['contact_id']} --at TIME --note '...'")


@main.command()
@click.argument("contact_id", type=int)
@click.option("--at", "at", help="When the knock was made (ISO 8601; default now).")
@click.option("--note", default="", help="What happened.")
@pass_ctx
@knock_errors
def made(ctx: Context, contact_id: int, at: str | None, note: str) -> None:
    """Record that a knock by phone, social or chat was made by hand."""
    from runners.contact_job import channel_of
    from runners.manual import may_knock_by_hand

    contact = ctx.store.contact(contact_id)
    if contact["channel_type"] not in ("phone", "social", "chat"):
        raise click.ClickException(f"contact {contact_id} is a {contact['channel_type']} contact: Knock submits it itself")
    experiment = ctx.store.definition(contact["experiment_id"])
    refused = may_knock_by_hand(ctx.store, experiment, *channel_of(experiment, contact))
    if refused:
        raise click.ClickException(f"contact {contact_id} may not be knocked now: {refused}")
    if not ctx.store.record_manual_knock(contact_id, _when(at), note):
        raise click.ClickException(f"contact {contact_id} is {contact['state']}; only a planned knock can be made")
    click.echo(f"contact {contact_id}: knock recorded")


@main.command("log-response")
@click.argument("contact_id", type=int)
@click.option("--at", "at", help="When the reply came (ISO 8601; default now).")
@click.option("--kind", type=click.Choice(["human", "auto"]), default="human", show_default=True)
@click.option("--channel", type=click.Choice(["phone", "social", "chat", "in_person", "email", "other"]),
              default="phone", show_default=True)
@click.option("--note", default="", help="What was said (kept private, never published).")
@pass_ctx
@knock_errors
def log_response(ctx: Context, contact_id: int, at: str | None, kind: str, channel: str, note: str) -> None:
    """Record a reply that arrived outside the mailbox."""
    kind = "auto_reply" if kind == "auto" else kind
    message_id = ctx.store.log_response(contact_id, _when(at), kind, channel, note)
    click.echo(f"contact {contact_id}: {kind} reply by {channel} logged (message {message_id})")


# --- replies -------------------------------------------------------------------

@main.command()
@click.option("--imap", "imap_url", help="imaps://user@host/INBOX (password in KNOCK_IMAP_PASSWORD).")
@click.option("--maildir", type=click.Path(file_okay=False, path_type=Path),
              help="A Maildir to read (default: data/mail, where the sandbox delivers).")
@pass_ctx
@knock_errors
def collect(ctx: Context, imap_url: str | None, maildir: Path | None) -> None:
    """Fetch new replies, tell human from auto-reply and bounce, match them to contacts."""
    from runners.collect import collect_imap, collect_maildir

    if imap_url and maildir:
        raise click.UsageError("give --imap or --maildir, not both")
    with click.progressbar(length=0, label="Collecting", show_pos=True, file=sys.stderr) as bar:
        def progress(n: int) -> None:
            bar.length = (bar.length or 0) + n
            bar.update(n)

        if imap_url:
            from runners.imap_fetch import password_from_env

            counts = collect_imap(ctx.store, imap_url, password_from_env(), progress)
        else:
            counts = collect_maildir(ctx.store, maildir or ctx.db_path.parent / "mail", progress)
    click.echo(_table(counts.rows(), ["what", "messages"]))
    if counts.unmatched or counts.by_rule.get("probable"):
        click.echo("Triage: knock inbox --unmatched   /   knock inbox --probable")
    if counts.quarantined:
        click.echo("Kept aside for a person: knock inbox --quarantined")


@main.command()
@click.option("--experiment", "experiment_id")
@click.option("--unmatched", is_flag=True, help="Only messages not matched to any contact.")
@click.option("--probable", is_flag=True, help="Only matches proposed by sender domain, awaiting a person.")
@click.option("--quarantined", is_flag=True, help="Messages kept aside: unreadable, or reusing another's Message-ID.")
@click.option("--raw", "raw_id", type=int, default=None, metavar="ID",
              help="Write quarantined message ID as it arrived to standard output (> message.eml).")
@click.option("--limit", default=50, show_default=True)
@pass_ctx
@knock_errors
def inbox(ctx: Context, experiment_id: str | None, unmatched: bool, probable: bool, quarantined: bool,
          raw_id: int | None, limit: int) -> None:
    """Collected messages with their match and classification."""
    if raw_id is not None:
        sys.stdout.buffer.write(ctx.store.quarantined_raw(raw_id))
        sys.stdout.buffer.flush()
        return
    if quarantined:
        rows = ctx.store.quarantined()[-limit:]
        click.echo(_table(rows, ["id", "created_at", "source_key", "item", "size", "reason"]))
        if rows:
            click.echo("Look at one: knock inbox --raw ID > message.eml")
        return
    rows = ctx.store.inbox(experiment_id, unmatched, probable, limit)
    click.echo(_table(rows, ["id", "received_at", "from_addr", "classification", "match_rule", "contact_id",
                             "subject"]))
    if rows:
        click.echo("Assign: knock assign MESSAGE CONTACT   Undo: knock unassign MESSAGE   "
                   "Reclassify: knock reclassify MESSAGE human|auto_reply|bounce")


@main.command()
@click.argument("message_pk", type=int)
@click.argument("contact_id", type=int)
@click.option("--note", default="")
@pass_ctx
@knock_errors
def assign(ctx: Context, message_pk: int, contact_id: int, note: str) -> None:
    """Match a message to a contact by hand (or confirm a probable match)."""
    ctx.store.assign_message(message_pk, contact_id, note)
    click.echo(f"message {message_pk} -> contact {contact_id}")


@main.command()
@click.argument("message_pk", type=int)
@click.option("--note", default="")
@pass_ctx
@knock_errors
def unassign(ctx: Context, message_pk: int, note: str) -> None:
    """Undo a wrong match: the message goes back to the unmatched list."""
    ctx.store.unassign_message(message_pk, note)
    click.echo(f"message {message_pk} is unmatched again")


@main.command()
@click.argument("message_pk", type=int)
@click.argument("kind", type=click.Choice(["human", "auto_reply", "bounce"]))
@click.option("--note", default="")
@pass_ctx
@knock_errors
def reclassify(ctx: Context, message_pk: int, kind: str, note: str) -> None:
    """Override the classifier for one message."""
    ctx.store.reclassify_message(message_pk, kind, note)
    click.echo(f"message {message_pk} is now {kind}")


# --- results -------------------------------------------------------------------

@main.command()
@click.argument("experiment_id")
@click.option("--by", default="variant", show_default=True,
              help="variant, channel, company, persona, or a stratum such as industry.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--correction", type=click.Choice(["holm", "fdr_bh"]), default="holm", show_default=True,
              help="Multiple-comparison control for pairwise comparisons.")
@click.option("--clock", type=click.Choice(["wall", "business"]), default="wall", show_default=True,
              help="business: count only each company's opening hours, in its own timezone.")
@pass_ctx
@knock_errors
def results(ctx: Context, experiment_id: str, by: str, fmt: str, correction: str, clock: str) -> None:
    """Response rates, times to first human reply and comparisons for one experiment."""
    from analysis.config import ResultsConfig
    from analysis.results import compute_results
    from analysis.schema import AnalysisTableError
    from analysis.table import analysis_table

    table = analysis_table(ctx.store, experiment_id)
    if clock == "business":
        from analysis.business_clock import to_business_hours

        table = to_business_hours(table, ctx.store.definition(experiment_id))
    try:
        computed = compute_results(table, by=by, config=ResultsConfig(correction=correction), experiment=experiment_id)
    except AnalysisTableError as exc:
        raise click.BadParameter(str(exc), param_hint="--by") from None
    simulated = ctx.store.simulated_clock(experiment_id)
    if fmt == "json":
        data = computed.to_dict()
        data["clock"] = clock
        data["simulated_clock"] = simulated
        click.echo(json.dumps(data, indent=2, allow_nan=False))
    elif fmt == "csv":
        click.echo(computed.groups_frame().to_csv(index=False), nl=False)
    else:
        if simulated:
            click.echo("Computed under a simulated clock (the sandbox demo's fast time), not real time.\n")
        if clock == "business":
            click.echo("Times count business hours only: each company's opening hours, in its own timezone.\n")
        click.echo(computed.to_text())


# --- publishing ------------------------------------------------------------------

@main.command()
@click.argument("experiment_ids", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the static site (created; an existing one must be a Knock site).")
@click.option("--models", is_flag=True, help="Also publish the regression models (slower).")
@click.option("--company-names", type=click.Choice(["pseudonym", "show"]),
              help="Override the experiment's publication setting (show only where the design allows it).")
@pass_ctx
@knock_errors
def publish(ctx: Context, experiment_ids: tuple[str, ...], out_dir: Path, models: bool, company_names: str | None) -> None:
    """Write a static, offline, privacy-safe results site for readers."""
    from analysis.publish import publish as publish_site

    report = publish_site(ctx.store, list(experiment_ids), out_dir, models=models, company_names=company_names)
    click.echo(report.to_text())


# --- outcomes from elsewhere -------------------------------------------------

@main.command("import-outcomes")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--experiment", "experiment_id", required=True, help="Id to store the imported study under.")
@click.option("--window-days", default=14.0, show_default=True, help="Response window used when the study ran.")
@click.option("--timezone", "tz", default="UTC", show_default=True, help="Zone of times given without an offset.")
@pass_ctx
@knock_errors
def import_outcomes(ctx: Context, file: Path, experiment_id: str, window_days: float, tz: str) -> None:
    """Reanalyse a study run elsewhere (columns: company, channel, variant, sent_at, responded|responded_at)."""
    from experiments.outcomes_import import read_outcomes

    try:
        zone: dt.tzinfo = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{tz!r} is not an IANA timezone", param_hint="--timezone") from None
    rows = read_outcomes(file, zone)
    result = ctx.store.import_outcomes(experiment_id, rows, str(file), window_days)
    responded = sum(r.responded for r in rows)
    click.echo(f"Imported {result.contacts} contacts ({responded} responded) into '{experiment_id}' "
               f"({result.action}). Next: knock results {experiment_id} --by variant")


# --- the sandbox -------------------------------------------------------------

@main.command()
@click.option("--port", default=8765, show_default=True, help="HTTP port (127.0.0.1 only).")
@click.option("--smtp-port", default=8025, show_default=True, help="SMTP port (127.0.0.1 only).")
@click.option("--data-dir", default="data/sandbox", show_default=True, type=click.Path(path_type=Path))
@click.option("--maildir", default="data/mail", show_default=True, type=click.Path(path_type=Path),
              help="The researcher mailbox replies are delivered into.")
@click.option("--seed", default=0, show_default=True)
@click.option("--speed", default=1.0, show_default=True, help="Simulated seconds per real second.")
@click.option("--latency", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds each company page and form answer takes (a real site's server time).")
def sandbox(port: int, smtp_port: int, data_dir: Path, maildir: Path, seed: int, speed: float,
            latency: float) -> None:
    """Serve the fictitious companies on 127.0.0.1 until Ctrl-C."""
    from sandbox.server import serve_forever

    serve_forever(data_dir=data_dir, maildir=maildir, http_port=port, smtp_port=smtp_port, seed=seed, speed=speed,
                  latency=latency)


if __name__ == "__main__":
    main()
