import datetime
import hashlib
import subprocess
import threading

import pytest
from django.db import connection
from django.utils import timezone

from sanitation.documents import services
from sanitation.documents.models import Circular, CircularStatus, DocumentIssuer, IssuedCircularError, NumberCounter
from tests.factories import UnitFactory

BODY = "一、总体要求\n请各单位认真落实。"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite ignores SELECT FOR UPDATE and refuses concurrent writers",
)


def make_issuer(prefix="中环卫", padding=2) -> DocumentIssuer:
    return DocumentIssuer.objects.create(
        unit=UnitFactory(),
        prefix=prefix,
        number_padding=padding,
        mark="中国城市环境卫生协会文件",
        signature="中国城市环境卫生协会",
        printed_by="中国城市环境卫生协会秘书处",
    )


def draft(issuer, **fields) -> Circular:
    return services.circular_create(issuer=issuer, **{"title": "关于开展检查的通知", "body": BODY, **fields})


def last_number(issuer, year) -> int | None:
    counter = NumberCounter.objects.filter(issuer=issuer, year=year).first()
    return counter.last_number if counter else None


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_format_number_padding():
    assert DocumentIssuer(prefix="中环卫", number_padding=2).format_number(2022, 3) == "中环卫〔2022〕03号"
    assert DocumentIssuer(prefix="中环卫", number_padding=2).format_number(2022, 123) == "中环卫〔2022〕123号"
    assert DocumentIssuer(prefix="城东环卫", number_padding=0).format_number(2025, 7) == "城东环卫〔2025〕7号"


@pytest.mark.django_db
def test_issue_numbers_in_the_year_of_writing_and_stores_the_pdf(media):
    issuer = make_issuer(prefix="城东环卫", padding=0)
    circular = services.circular_issue(draft(issuer, written_on=datetime.date(2024, 12, 30)).pk)
    circular.refresh_from_db()
    assert circular.status == CircularStatus.ISSUED
    assert (circular.year, circular.sequence, circular.number) == (2024, 1, "城东环卫〔2024〕1号")
    assert circular.printed_on == datetime.date(2024, 12, 30)
    assert circular.issued_at is not None and circular.pdf_pages >= 1
    stored = media / circular.pdf.name
    assert stored.is_file()
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == circular.pdf_sha256
    assert last_number(issuer, 2024) == 1


@pytest.mark.django_db
def test_draft_without_date_is_written_today():
    circular = services.circular_issue(draft(make_issuer()).pk)
    assert circular.written_on == timezone.localdate()
    assert circular.year == timezone.localdate().year


@pytest.mark.django_db
def test_preset_counter_continues_the_paper_numbers(media):
    issuer = make_issuer()
    NumberCounter.objects.create(issuer=issuer, year=2022, last_number=2)
    circular = services.circular_issue(draft(issuer, written_on=datetime.date(2022, 2, 28)).pk)
    assert circular.number == "中环卫〔2022〕03号"
    text = subprocess.run(["pdftotext", str(media / circular.pdf.name), "-"], capture_output=True, text=True).stdout
    assert "中环卫〔2022〕03号" in text
    assert last_number(issuer, 2022) == 3


@pytest.mark.django_db
def test_issuing_twice_raises_and_takes_no_number():
    issuer = make_issuer()
    circular = draft(issuer, written_on=datetime.date(2025, 1, 1))
    services.circular_issue(circular.pk)
    with pytest.raises(IssuedCircularError):
        services.circular_issue(circular.pk)
    assert last_number(issuer, 2025) == 1
    assert Circular.objects.get(pk=circular.pk).sequence == 1


@pytest.mark.django_db
def test_issued_circular_cannot_be_saved_or_deleted():
    issued = services.circular_issue(draft(make_issuer()).pk)
    with pytest.raises(IssuedCircularError):
        issued.save()
    fetched = Circular.objects.get(pk=issued.pk)
    fetched.title = "改过的标题"
    with pytest.raises(IssuedCircularError):
        fetched.save()
    with pytest.raises(IssuedCircularError):
        services.circular_update(fetched, title="改过的标题")
    with pytest.raises(IssuedCircularError):
        fetched.delete()
    assert Circular.objects.get(pk=issued.pk).title == "关于开展检查的通知"


@pytest.mark.django_db
def test_draft_can_be_changed_and_deleted():
    circular = services.circular_update(draft(make_issuer()), title="新标题")
    assert Circular.objects.get(pk=circular.pk).title == "新标题"
    circular.delete()
    assert not Circular.objects.filter(pk=circular.pk).exists()


@pytest.mark.django_db
def test_correction_is_a_new_draft_pointing_back():
    issued = services.circular_issue(draft(make_issuer(), written_on=datetime.date(2025, 3, 1)).pk)
    correction = services.circular_correct(issued)
    correction.refresh_from_db()
    assert correction.pk != issued.pk
    assert correction.status == CircularStatus.DRAFT
    assert correction.supersedes_id == issued.pk
    assert (correction.title, correction.body) == (issued.title, issued.body)
    assert (correction.number, correction.sequence, correction.written_on) == ("", None, None)
    assert list(issued.corrections.all()) == [correction]


class FailingRenderer:
    def render(self, content):
        raise RuntimeError("layout failed")


@pytest.mark.django_db
def test_rendering_failure_gives_the_number_back(monkeypatch, media):
    issuer = make_issuer()
    services.circular_issue(draft(issuer, written_on=datetime.date(2025, 1, 1)).pk)
    failing = draft(issuer, written_on=datetime.date(2025, 2, 1))
    monkeypatch.setattr(services, "renderer", FailingRenderer)
    with pytest.raises(RuntimeError):
        services.circular_issue(failing.pk)
    assert last_number(issuer, 2025) == 1
    failing.refresh_from_db()
    assert (failing.status, failing.sequence, failing.number) == (CircularStatus.DRAFT, None, "")
    assert len(list(media.rglob("*.pdf"))) == 1
    monkeypatch.undo()
    assert services.circular_issue(failing.pk).number == "中环卫〔2025〕02号"


def issue_concurrently(drafts: list[Circular]) -> list[Exception]:
    barrier = threading.Barrier(len(drafts), timeout=30)
    errors: list[Exception] = []

    def issue(pk):
        try:
            barrier.wait()
            services.circular_issue(pk)
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(circular.pk,)) for circular in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an issuing thread hangs"
    return errors


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_gap_free_distinct_numbers():
    issuer = make_issuer()
    drafts = [draft(issuer, title=f"通知{n}", written_on=datetime.date(2025, 5, 1)) for n in range(8)]
    assert issue_concurrently(drafts) == []
    sequences = sorted(Circular.objects.filter(issuer=issuer).values_list("sequence", flat=True))
    assert sequences == list(range(1, 9))
    assert last_number(issuer, 2025) == 8
    assert Circular.objects.filter(issuer=issuer, status=CircularStatus.ISSUED).count() == 8


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_number_independently():
    issuers = [make_issuer(prefix="甲"), make_issuer(prefix="乙")]
    drafts = [
        draft(issuer, title=f"通知{n}", written_on=datetime.date(2025, 5, 1)) for issuer in issuers for n in range(4)
    ]
    assert issue_concurrently(drafts) == []
    for issuer in issuers:
        assert sorted(Circular.objects.filter(issuer=issuer).values_list("sequence", flat=True)) == [1, 2, 3, 4]
        assert last_number(issuer, 2025) == 4
