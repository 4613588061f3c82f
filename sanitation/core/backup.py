"""Backups: one tar.gz with the database, the media folder and a manifest that vouches for both.

The archive holds three members: ``manifest.json``, the database (``database.dump`` from
pg_dump's custom format, or ``database.sqlite3``) and ``media.tar``. A restore checks the
whole archive before it touches anything, so a damaged or foreign archive leaves the current
data as it was.
"""

import datetime
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media.tar"
DATABASE = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}

NOT_AN_ARCHIVE = "This file is not a readable backup archive: {error}"
UNKNOWN_FORMAT = "The archive has format version {found}; this version of the application reads version {expected}."
OTHER_ENGINE = "The archive holds a {found} database; this installation uses {expected}."
HASH_MISMATCH = "The archive is damaged: {part} does not match the SHA-256 recorded in its manifest."
NEWER_MIGRATIONS = "The archive comes from a newer version of the application (unknown migrations: {migrations})."
NOT_EMPTY = "The database already holds data; restoring replaces all of it. Pass --yes to confirm."
UNSUPPORTED_ENGINE = "Backups support PostgreSQL and SQLite, not {engine}."
NO_CLIENT = "{program} was not found; install the PostgreSQL client (package postgresql-client)."
CLIENT_FAILED = "{program} failed: {error}"
CLIENT_VERSION = (
    " {program} is version {client} but the server is version {server}; use the client of the server's version."
)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the person running it."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    media_files: int
    missing_migrations: list[str]


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE:
        raise BackupError(_(UNSUPPORTED_ENGINE).format(engine=vendor))
    return vendor


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _applied_migrations(alias: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


# --- PostgreSQL clients -------------------------------------------------------------------


def _server_major(alias: str) -> int:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.pg_version // 10000


def _pg_program(name: str, server_major: int) -> str:
    """The client matching the server when Debian's versioned directories have it, else PATH's."""
    candidates = [Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")]
    if found := shutil.which(name):
        candidates.append(Path(found))
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(_(NO_CLIENT).format(program=name))


def _client_major(program: str) -> int | None:
    result = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"(\d+)(?:\.\d+)?", result.stdout)
    return int(match.group(1)) if match else None


def _pg_run(name: str, arguments: list[str], alias: str) -> None:
    server = _server_major(alias)
    program = _pg_program(name, server)
    db = connections[alias].settings_dict
    env = os.environ.copy()
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    if sslmode := db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    result = subprocess.run(
        [program, *arguments, f"--dbname={db['NAME']}"], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        message = _(CLIENT_FAILED).format(program=name, error=result.stderr.strip() or result.returncode)
        client = _client_major(program)
        if client is not None and client != server:
            message += _(CLIENT_VERSION).format(program=name, client=client, server=server)
        raise BackupError(message)


# --- Backup -------------------------------------------------------------------------------


def _dump_database(*, alias: str, engine: str, target: Path) -> None:
    if engine == "postgresql":
        _pg_run("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], alias)
        return
    source = sqlite3.connect(connections[alias].settings_dict["NAME"])
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _pack_media(*, media_root: Path, target: Path) -> int:
    """Regular files and folders only: a symbolic link could point anywhere on the server."""
    count = 0
    with tarfile.open(target, "w") as tar:
        if media_root.is_dir():
            for folder, dirs, files in os.walk(media_root):
                dirs.sort()
                for name in sorted(files):
                    path = Path(folder) / name
                    if path.is_file() and not path.is_symlink():
                        tar.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
                        count += 1
    return count


def backup_create(*, output: Path, using: str = DEFAULT_DB_ALIAS) -> BackupResult:
    engine = _engine(using)
    media_root = Path(settings.MEDIA_ROOT)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backup-", dir=output.parent) as work:
        database = Path(work) / DATABASE[engine]
        media = Path(work) / MEDIA
        _dump_database(alias=using, engine=engine, target=database)
        media_files = _pack_media(media_root=media_root, target=media)
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "engine": engine,
            "migrations": _applied_migrations(using),
            "parts": {
                DATABASE[engine]: {"sha256": _sha256(database), "size": database.stat().st_size},
                MEDIA: {"sha256": _sha256(media), "size": media.stat().st_size, "files": media_files},
            },
        }
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            for name in (MANIFEST, DATABASE[engine], MEDIA):
                tar.add(Path(work) / name, arcname=name)
        # Written whole or not at all: an interrupted backup never leaves a truncated archive.
        os.replace(partial, output)
    return BackupResult(path=output, manifest=manifest)


def backup_default_name() -> str:
    return f"sanitation-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}.tar.gz"


# --- Restore ------------------------------------------------------------------------------


def _unpack_archive(*, archive: Path, work: Path) -> dict:
    """Extracts the members the manifest names into work and checks them; returns the manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {member.name: member for member in tar.getmembers()}
            if MANIFEST not in members or not members[MANIFEST].isfile():
                raise BackupError(_(NOT_AN_ARCHIVE).format(error=_("no manifest")))
            manifest = json.loads(tar.extractfile(members[MANIFEST]).read().decode("utf-8"))
            if not isinstance(manifest, dict) or not isinstance(manifest.get("parts"), dict):
                raise BackupError(_(NOT_AN_ARCHIVE).format(error=_("the manifest is malformed")))
            if manifest.get("format_version") != FORMAT_VERSION:
                raise BackupError(
                    _(UNKNOWN_FORMAT).format(found=manifest.get("format_version"), expected=FORMAT_VERSION)
                )
            for name in manifest["parts"]:
                if name not in (MEDIA, *DATABASE.values()) or name not in members or not members[name].isfile():
                    raise BackupError(_(NOT_AN_ARCHIVE).format(error=_("part {name} is missing").format(name=name)))
                tar.extract(members[name], work, filter="data")
    except (tarfile.TarError, EOFError, OSError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(_(NOT_AN_ARCHIVE).format(error=error)) from error
    for name, part in manifest["parts"].items():
        if not isinstance(part, dict) or _sha256(work / name) != part.get("sha256"):
            raise BackupError(_(HASH_MISMATCH).format(part=name))
    return manifest


def _holds_data(alias: str) -> bool:
    """Users or units: everything people enter hangs off them, while migrations seed only catalogues."""
    from sanitation.organisations.models import Unit, User

    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    return any(model._meta.db_table in tables and model.objects.using(alias).exists() for model in (User, Unit))


def _unknown_migrations(manifest: dict) -> tuple[list[str], list[str]]:
    """Migrations the archive has but this code lacks, and those this code has but the archive lacks."""
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_archive = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    return (
        sorted(f"{app}.{name}" for app, name in in_archive - on_disk),
        sorted(f"{app}.{name}" for app, name in on_disk - in_archive),
    )


def _extract_media(*, media_tar: Path, into: Path, expected_files: int) -> None:
    into.mkdir()
    with tarfile.open(media_tar, "r") as tar:
        members = tar.getmembers()
        if sum(member.isfile() for member in members) != expected_files:
            raise BackupError(_(HASH_MISMATCH).format(part=MEDIA))
        tar.extractall(into, filter="data")


def _restore_database(*, alias: str, engine: str, source: Path) -> None:
    # Open connections would hold locks on the tables pg_restore drops.
    connections.close_all()
    if engine == "postgresql":
        _pg_run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)], alias)
        return
    backup = sqlite3.connect(source)
    target = sqlite3.connect(connections[alias].settings_dict["NAME"])
    try:
        backup.backup(target)
    finally:
        target.close()
        backup.close()


def _swap_media(*, restored: Path, media_root: Path) -> None:
    """Renames within one folder, so the old media is replaced in two renames, not file by file."""
    old = media_root.with_name(f".{media_root.name}.old-{os.getpid()}")
    if media_root.exists():
        os.rename(media_root, old)
    os.rename(restored, media_root)
    shutil.rmtree(old, ignore_errors=True)


def backup_restore(*, archive: Path, confirmed: bool, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    engine = _engine(using)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    if not archive.is_file():
        raise BackupError(_(NOT_AN_ARCHIVE).format(error=_("no such file")))
    with tempfile.TemporaryDirectory(prefix=f".{media_root.name}.restore-", dir=media_root.parent) as work_dir:
        work = Path(work_dir)
        manifest = _unpack_archive(archive=archive, work=work)
        if manifest.get("engine") != engine:
            raise BackupError(_(OTHER_ENGINE).format(found=manifest.get("engine"), expected=engine))
        if set(manifest["parts"]) != {DATABASE[engine], MEDIA}:
            raise BackupError(_(NOT_AN_ARCHIVE).format(error=_("the manifest lists the wrong parts")))
        newer, missing = _unknown_migrations(manifest)
        if newer:
            raise BackupError(_(NEWER_MIGRATIONS).format(migrations=", ".join(newer)))
        if not confirmed and _holds_data(using):
            raise BackupError(_(NOT_EMPTY))
        media_files = manifest["parts"][MEDIA].get("files")
        restored_media = work / "media"
        try:
            _extract_media(media_tar=work / MEDIA, into=restored_media, expected_files=media_files)
        except (tarfile.TarError, OSError) as error:
            raise BackupError(_(NOT_AN_ARCHIVE).format(error=error)) from error
        # Everything is checked; from here on the current data is replaced.
        _restore_database(alias=using, engine=engine, source=work / DATABASE[engine])
        _swap_media(restored=restored_media, media_root=media_root)
    return RestoreResult(manifest=manifest, media_files=media_files, missing_migrations=missing)
