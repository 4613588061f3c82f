"""backup and restore round-trip the database and the media folder on the test database itself."""

import gzip
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from sanitation.core import backup
from sanitation.core.backup import HASH_MISMATCH, NOT_EMPTY
from sanitation.documents.models import Circular, DocumentIssuer
from sanitation.organisations.models import Unit, User
from tests.factories import district_with_streets, member

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PHOTO = b"\xff\xd8\xff\xe0" + b"photo" * 2000 + b"\xff\xd9"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def data(media):
    district = district_with_streets("A")
    member(Unit.objects.get(code="A-FLB"), "clerk", username="clerk_a")
    issuer = DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-ZX"), prefix="A环卫", mark="A区环卫中心文件")
    circular = Circular.objects.create(issuer=issuer, title="垃圾分类通知", body="正文。")
    circular.pdf.save("通知.pdf", ContentFile(PDF))
    photo = media / "supervision" / "photos" / "2026" / "site-1.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(PHOTO)
    return district, circular


def snapshot(media: Path) -> dict:
    return {
        "units": list(Unit.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "circulars": list(Circular.objects.order_by("pk").values()),
        "files": {str(p.relative_to(media)): p.read_bytes() for p in sorted(media.rglob("*")) if p.is_file()},
    }


def vandalise(media: Path, circular: Circular) -> None:
    Path(circular.pdf.path).write_bytes(b"overwritten")
    (media / "supervision" / "photos" / "2026" / "site-1.jpg").unlink()
    (media / "stray.txt").write_text("new file")
    circular.delete()
    Unit.objects.filter(code="A-JD1").update(name="改名的街道")
    Unit.objects.create(code="NEW", name="新单位", kind="district")


def test_restore_brings_back_rows_and_files_exactly(data, media, tmp_path):
    _, circular = data
    before = snapshot(media)
    archive = tmp_path / "out" / "backup.tar.gz"

    call_command("backup", output=str(archive))
    vandalise(media, circular)
    assert snapshot(media) != before
    call_command("restore", str(archive), yes=True)

    assert snapshot(media) == before
    assert len(before["files"]) == 2
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format_version"] == 1
    assert manifest["engine"] == "postgresql"
    assert manifest["parts"]["media.tar"]["files"] == 2
    assert "0001_initial" in manifest["migrations"]["organisations"]
    assert not list(media.parent.glob(".media*")), "no temporary folders left beside MEDIA_ROOT"


def test_tampered_archive_is_refused_and_nothing_changes(data, media, tmp_path):
    _, circular = data
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive))
    vandalise(media, circular)
    after_changes = snapshot(media)

    # Rewrite the archive with one byte of the database dump changed, keeping the manifest.
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member_info in source.getmembers():
            content = bytearray(source.extractfile(member_info).read())
            if member_info.name == "database.dump":
                content[len(content) // 2] ^= 0x01
            target.addfile(member_info, fileobj=io.BytesIO(bytes(content)))

    with pytest.raises(CommandError, match=re.escape(HASH_MISMATCH.format(part="database.dump"))):
        call_command("restore", str(tampered), yes=True)
    assert snapshot(media) == after_changes

    # A byte changed in the compressed file itself is caught by gzip's checksum.
    damaged = bytearray(archive.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    archive.write_bytes(bytes(damaged))
    with pytest.raises(CommandError, match=r"not a readable backup archive|is damaged"):
        call_command("restore", str(archive), yes=True)
    assert snapshot(media) == after_changes


def test_restore_refuses_a_database_with_data_without_yes(data, media, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive))
    Unit.objects.filter(code="A-JD1").update(name="改名的街道")
    before = snapshot(media)

    with pytest.raises(CommandError, match=re.escape(NOT_EMPTY)):
        call_command("restore", str(archive))
    assert snapshot(media) == before


def test_a_file_that_is_not_an_archive_is_refused(media, tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(gzip.compress(b"not a tar file"))
    with pytest.raises(CommandError, match="not a readable backup archive"):
        call_command("restore", str(bogus), yes=True)


def test_a_client_of_another_major_version_is_named_in_the_error(media, tmp_path, monkeypatch):
    fake = tmp_path / "pg_dump"
    fake.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && echo "pg_dump (PostgreSQL) 9.6.24" && exit 0\n'
        'echo "pg_dump: error: server version mismatch" >&2\nexit 1\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(backup, "_pg_program", lambda name, server_major: str(fake))
    server = connection.pg_version // 10000

    with pytest.raises(CommandError, match=rf"server version mismatch.* version 9 but the server is version {server}"):
        call_command("backup", output=str(tmp_path / "backup.tar.gz"))
    assert not (tmp_path / "backup.tar.gz").exists()
