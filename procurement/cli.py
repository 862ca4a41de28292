"""The ``procurement`` command: serve the platform, migrate, load demo data, check the audit log.

Every command reads the same PROCUREMENT_* environment variables as the server; with none
set it works on the embedded SQLite database and object store under ./var.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from procurement.settings import Settings, documented_variables

console = Console(stderr=True)

ENV_HELP = "\n".join(f"  {name} (default: {default or 'derived'})" for name, default in documented_variables())


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=False
    )


@click.group(
    help="Electronic procurement and bidding platform (公共资源交易平台).\n\n"
    "Quick start: `procurement serve --demo` migrates the database, loads demo accounts and serves "
    "http://127.0.0.1:8000.",
    epilog="Configuration (environment variables):\n\n" + ENV_HELP,
)
def main() -> None:
    pass


# --- serve ---------------------------------------------------------------------------------


@main.command(help="Serve the platform (migrates the database first).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--migrate/--no-migrate", default=True, show_default=True, help="Apply pending migrations before serving.")
@click.option("--demo", is_flag=True, help="Load the demo data (idempotent) and print the demo accounts.")
def serve(host: str, port: int, workers: int, migrate: bool, demo: bool) -> None:
    import uvicorn

    settings = _settings()
    if migrate:
        _upgrade(settings)
    if demo:
        _demo(settings)
    console.print(f"[bold]Serving on http://{host}:{port}[/bold] (Ctrl+C stops)")
    uvicorn.run(
        "procurement.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


# --- db ------------------------------------------------------------------------------------


@main.group(help="Database schema.")
def db() -> None:
    pass


def _upgrade(settings: Settings) -> None:
    from procurement.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    console.print("database schema is up to date")


@db.command("upgrade", help="Apply every pending migration.")
def db_upgrade() -> None:
    _upgrade(_settings())


# --- demo ----------------------------------------------------------------------------------


def _demo(settings: Settings) -> None:
    from procurement.demo import load_demo
    from procurement.platform import Platform

    async def run() -> list[tuple[str, str, str]]:
        platform = Platform.build(settings)
        try:
            return await load_demo(platform)
        finally:
            await platform.close()

    accounts = asyncio.run(run())
    table = Table(title="Demo accounts (演示账号)")
    table.add_column("user name")
    table.add_column("password")
    table.add_column("roles")
    for row in accounts:
        table.add_row(*row)
    Console().print(table)


@main.command(help="Load demo organisations and one user per role; prints their passwords. Idempotent.")
def demo() -> None:
    _demo(_settings())


# --- users ---------------------------------------------------------------------------------


@main.group(help="User accounts.")
def users() -> None:
    pass


@users.command("create", help="Create a user in an existing organisation (audited as done by the system).")
@click.option("--organisation", "uscc", required=True, help="The organisation's unified social credit code.")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="The person's name.")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several: supplier, purchaser, agency, expert, supervisor, operator, admin.")
@click.option("--email", default="")
def users_create(uscc: str, username: str, display_name: str, roles: tuple[str, ...], email: str) -> None:
    from pydantic import ValidationError

    from procurement.errors import DomainError
    from procurement.identity import schemas, service
    from procurement.platform import Platform

    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    try:
        data = schemas.UserCreate(username=username, display_name=display_name, email=email, password=password, roles=list(roles))  # type: ignore[arg-type]
    except ValidationError as exc:
        raise click.UsageError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc

    async def run() -> None:
        platform = Platform.build(_settings())
        try:
            async with platform.db.transaction() as session:
                org = await service.find_organisation(session, uscc.strip().upper())
                if org is None:
                    raise click.UsageError(f"no organisation with code {uscc}")
                await service.system_create_user(session, platform, org, data, via="cli")
        finally:
            await platform.close()

    try:
        asyncio.run(run())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    console.print(f"created user {username}")


# --- experts -------------------------------------------------------------------------------


@main.group(help="The expert pool (评标专家库).")
def experts() -> None:
    pass


@experts.command("import", help="Import experts from a CSV FILE (columns: see expert_pool/csv_io.py): all rows or none; "
                 "prints the report, exit 1 on a refused file.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def experts_import(file: Path) -> None:
    from expert_pool import csv_io
    from procurement.platform import Platform

    async def run() -> csv_io.schemas.ImportReport:
        platform = Platform.build(_settings())
        try:
            async with platform.db.transaction() as session:
                return await csv_io.import_experts(session, platform, None, file.read_bytes(), via="cli")
        finally:
            await platform.close()

    try:
        report = asyncio.run(run())
    except csv_io.ImportRefused as exc:
        for row in exc.report.rows:
            for error in row.errors:
                click.echo(f"row {row.row}\t{error.field}\t{error.rule}")
        for error in exc.errors:
            if not error.field.startswith("row["):
                click.echo(f"file\t{error.field}\t{error.message}")
        console.print(f"[red]refused: {exc.detail}[/red]")
        sys.exit(1)
    for row in report.rows:
        click.echo(f"row {row.row}\texpert {row.expert_id}")
    console.print(f"imported {report.created} expert(s)")


# --- audit ---------------------------------------------------------------------------------


@main.group(help="The tamper-evident audit log.")
def audit() -> None:
    pass


@audit.command("verify", help="Check the whole chain and every signed checkpoint; exit 1 naming the first bad entry.")
def audit_verify() -> None:
    from procurement.audit import chain, offline
    from procurement.keys import PlatformKeys, verifier_for

    settings = _settings()
    keys = PlatformKeys.load_or_create(settings.resolved_keys_dir, settings.session_secret)
    with offline.open_log(settings.resolved_database_url) as session, _progress() as progress:
        head = offline.head(session)
        task = progress.add_task("verifying audit log", total=head[0])

        def counted(entries):  # noqa: ANN001, ANN202 - a generator adapter
            for entry in entries:
                yield entry
                progress.advance(task)

        problem = chain.verify_log(
            counted(offline.entries(session)), offline.checkpoints(session), verifier_for(keys.public_key), head=head
        )
    if problem is not None:
        console.print(f"[bold red]TAMPERED[/bold red]: {problem}")
        sys.exit(1)
    console.print(f"OK: {head[0]} entries, chain unbroken, every checkpoint signature and root matches")


@audit.command("export", help="Write the log, checkpoints and public key to FILE for the standalone verifier.")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def audit_export(file: Path) -> None:
    from procurement.audit import export, offline
    from procurement.keys import PlatformKeys, public_key_pem

    settings = _settings()
    keys = PlatformKeys.load_or_create(settings.resolved_keys_dir, settings.session_secret)
    tmp = file.with_name(file.name + ".partial")
    with offline.open_log(settings.resolved_database_url) as session, _progress() as progress, tmp.open("w", encoding="utf-8") as out:
        head = offline.head(session)
        task = progress.add_task("exporting audit log", total=head[0])

        def counted(entries):  # noqa: ANN001, ANN202
            for entry in entries:
                yield entry
                progress.advance(task)

        count = export.write_export(
            out, public_key_pem(keys.public_key), keys.key_id, head, datetime.now(UTC), offline.checkpoints(session),
            counted(offline.entries(session)),
        )
    tmp.replace(file)  # a half-written export never carries the final name
    console.print(f"wrote {count} entries to {file}")
    console.print(f"verify with: python -m procurement.audit.verify {file} --public-key platform-public.pem")


@audit.command("public-key", help="Print the platform's Ed25519 public key (PEM).")
def audit_public_key() -> None:
    from procurement.keys import PlatformKeys, public_key_pem

    settings = _settings()
    click.echo(public_key_pem(PlatformKeys.load_or_create(settings.resolved_keys_dir, settings.session_secret).public_key), nl=False)


@audit.command("checkpoint", help="Sign a checkpoint of the log now (the scheduler also does it periodically).")
def audit_checkpoint() -> None:
    from procurement.audit import service
    from procurement.platform import Platform

    async def run() -> str:
        platform = Platform.build(_settings())
        try:
            async with platform.db.transaction() as session:
                cp = await service.sign_checkpoint(session, platform.clock, platform.keys)
                return f"signed checkpoint of {cp.tree_size} entries" if cp else "the newest checkpoint already covers the log"
        finally:
            await platform.close()

    console.print(asyncio.run(run()))


# --- draw -----------------------------------------------------------------------------------


@main.group(help="Expert draws (docs/expert-draw.md).")
def draw() -> None:
    pass


@draw.command("verify", help="Re-run draw DRAW_ID from the stored snapshot, request and seed; print each check, exit 1 on a mismatch.")
@click.argument("draw_id", type=click.IntRange(1))
def draw_verify(draw_id: int) -> None:
    from expert_pool import draws
    from procurement.errors import NotFound
    from procurement.platform import Platform

    async def run() -> draws.VerificationOut:
        platform = Platform.build(_settings())
        try:
            async with platform.db.transaction(write=False) as session:
                return await draws.verification(session, None, draw_id)
        finally:
            await platform.close()

    try:
        report = asyncio.run(run())
    except NotFound as exc:
        console.print(f"[red]{exc.detail}[/red]")
        sys.exit(2)
    for check in report.checks:
        click.echo(f"{'ok' if check.ok else 'MISMATCH'}\t{check.check}\t{check.message}")
    if not report.ok:
        console.print(f"[red]draw {draw_id}: verification failed[/red]")
        sys.exit(1)
    console.print(f"draw {draw_id}: verified")


# --- bid: the bidder's side, over HTTP (bidding/cli.py) ----------------------------------------

from bidding.cli import (
    bid,  # the group lives in its own module, beside the bidding code
)

main.add_command(bid)

if __name__ == "__main__":
    main()
