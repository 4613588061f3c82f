import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classification import excel, ledgers
from classification.excel import columns as c
from classification.excel import importing
from classification.models import (
    CollectionRecord,
    FacilityKind,
    PersonRole,
    PublicityActivity,
    PublicityKind,
    SortingFacility,
    SortingPerson,
)
from sanitation.core import spreadsheets
from sanitation.core.spreadsheets import row_message
from sanitation.organisations.models import Role, Unit

from ..factories import PASSWORD, member

COLLECTION_HEADERS = [
    "日期",
    "街道",
    "社区",
    "点位",
    "可回收物(吨)",
    "有害垃圾(吨)",
    "厨余垃圾(吨)",
    "其他垃圾(吨)",
    "车辆",
    "去向",
]


def _unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def _sheet(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _month(days=30) -> list[list]:
    """A month of daily records of two streets: 10 t a day each, of which 3 t kitchen waste."""
    rows = []
    for day in range(days):
        on = datetime(2025, 6, 1) + timedelta(days=day)
        rows.append([on, "A第1街道", "A第1街道1社区", "A小区1", 1.5, 0.1, 3, 5.4, "浙A12345", "城东转运站"])
        rows.append([on, "A第2街道", "", "", "1.5", "0.1", "3.000", "5.4", "", "城东转运站"])
    return rows


def _import(clerk, slug, content, *, dry_run=False):
    return excel.ledger_import(excel.SHEETS[slug], content, user=clerk, dry_run=dry_run)


def _ledger_values(model) -> list[tuple]:
    skip = {"id"}
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
    return sorted(model.objects.values_list(*names), key=str)


def test_collection_export_has_the_chinese_headers():
    assert list(excel.SHEETS["collection"].headers) == COLLECTION_HEADERS


@pytest.mark.django_db
def test_a_month_of_collection_records_is_imported(district_a, sites_a, clerk_a):
    result = _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS, _month()))
    assert result.ok, result.errors
    assert (result.rows, result.new, result.replaced) == (60, 60, 0)
    totals = ledgers.collection_totals(CollectionRecord.objects.all())
    assert totals["total_t"] == Decimal("600.000")
    assert totals["kitchen_t"] == Decimal("180.000")
    assert round(totals["separation_rate"], 1) == Decimal("30.0")
    first = CollectionRecord.objects.get(street__code="A-JD1", collected_on=date(2025, 6, 1))
    assert (first.community.code, first.site, first.vehicle) == ("A-JD1-SQ1", sites_a[0], "浙A12345")


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_previews(district_a, sites_a, clerk_a):
    result = _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS, _month()), dry_run=True)
    assert result.ok and result.new == 60
    assert result.preview[0][:4] == ["2025-06-01", "A第1街道", "A第1街道1社区", "A小区1"]
    assert result.more == 10
    assert CollectionRecord.objects.count() == 0


@pytest.mark.django_db
def test_reimport_replaces_instead_of_duplicating(district_a, sites_a, clerk_a):
    rows = _month()
    _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS, rows))
    rows[0][6] = 4  # 6月1日 of 第1街道: 4 t kitchen waste, not 3
    result = _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS, rows))
    assert (result.new, result.replaced) == (0, 60)
    assert CollectionRecord.objects.count() == 60
    first = CollectionRecord.objects.get(street__code="A-JD1", collected_on=date(2025, 6, 1))
    assert first.kitchen_t == Decimal("4.000")


@pytest.mark.django_db
def test_a_bad_row_among_good_ones_writes_nothing_and_names_row_and_column(district_a, district_b, sites_a, clerk_a):
    rows = _month()
    rows[3][6] = -1  # Excel row 5
    rows[7][1] = "B第1街道"  # row 9: a street of another district
    rows[10][2] = "A第2街道1社区"  # row 12: a community of the other street
    rows[12][0] = "2025-02-30"  # row 14
    rows[14][3] = "不存在的小区"  # row 16
    rows[16][4] = "一吨"  # row 18
    result = _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS, rows))
    assert not result.ok
    assert result.errors == [
        row_message(5, "厨余垃圾(吨)", c.NEGATIVE % {"value": "-1"}),
        row_message(9, "街道", importing.UNKNOWN_STREET % {"name": "B第1街道"}),
        row_message(
            12,
            "社区",
            importing.COMMUNITY_ELSEWHERE % {"name": "A第2街道1社区", "other": "A第2街道", "street": "A第1街道"},
        ),
        row_message(14, "日期", spreadsheets.BAD_DATE % {"value": "2025-02-30"}),
        row_message(16, "点位", importing.UNKNOWN_SITE % {"name": "不存在的小区", "street": "A第1街道"}),
        row_message(18, "可回收物(吨)", c.BAD_NUMBER % {"value": "一吨"}),
    ]
    assert "5" in result.errors[0] and "厨余垃圾(吨)" in result.errors[0] and "-1" in result.errors[0]
    assert CollectionRecord.objects.count() == 0


@pytest.mark.django_db
def test_the_same_key_twice_in_a_file_is_an_error(district_a, sites_a, clerk_a):
    rows = _month(2)
    rows.append(list(rows[0]))
    result = _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS, rows))
    duplicate = importing.DUPLICATE_KEY % {"other": 2, "columns": "日期、街道、社区、点位"}
    assert result.errors == [row_message(6, None, duplicate)]


@pytest.mark.django_db
def test_missing_columns_refuse_the_file(district_a, clerk_a):
    with pytest.raises(spreadsheets.ExcelFileError, match="去向"):
        _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS[:-1], []))


def _every_ledger(street: Unit, site) -> None:
    community = street.children.first()
    place = {"street": street, "community": community, "site": site}
    SortingFacility.objects.create(
        **place,
        kind=FacilityKind.DROP_OFF,
        count=6,
        capacity=Decimal("240.00"),
        capacity_unit="L",
        recorded_on=date(2025, 4, 1),
        note="四分类",
    )
    SortingFacility.objects.create(street=street, kind=FacilityKind.VEHICLE, count=2, recorded_on=date(2025, 4, 1))
    PublicityActivity.objects.create(
        **place, kind=PublicityKind.HOUSEHOLD, held_on=date(2025, 4, 2), title="入户宣传", audience=120, materials=300
    )
    SortingPerson.objects.create(
        **place,
        name="王督导",
        role=PersonRole.SUPERVISOR,
        post="早晚桶边督导",
        phone="13800000000",
        since=date(2025, 3, 1),
    )
    SortingPerson.objects.create(street=street, name="李志愿", role=PersonRole.VOLUNTEER, active=False)
    CollectionRecord.objects.create(
        **place,
        collected_on=date(2025, 4, 3),
        recyclable_t=Decimal("1.250"),
        kitchen_t=Decimal("3.100"),
        other_t=Decimal("7.000"),
        vehicle="浙A00001",
        destination="焚烧厂",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "slug, model, visible",
    [
        ("facilities", SortingFacility, ledgers.facilities_visible_to),
        ("collection", CollectionRecord, ledgers.collection_records_visible_to),
        ("publicity", PublicityActivity, ledgers.publicity_activities_visible_to),
        ("people", SortingPerson, ledgers.sorting_people_visible_to),
    ],
)
def test_every_ledger_round_trips_through_excel(district_a, sites_a, clerk_a, slug, model, visible):
    _every_ledger(_unit("A-JD1"), sites_a[0])
    before = _ledger_values(model)
    content = excel.ledger_xlsx(slug, visible(clerk_a))
    assert list(next(openpyxl.load_workbook(io.BytesIO(content)).active.values)) == list(excel.SHEETS[slug].headers)
    again = _import(clerk_a, slug, content)  # the same rows: replaced, not duplicated
    assert again.ok, again.errors
    assert again.replaced == len(before)
    assert _ledger_values(model) == before
    model.objects.all().delete()
    fresh = _import(clerk_a, slug, content)
    assert fresh.new == len(before)
    assert _ledger_values(model) == before


@pytest.mark.django_db
def test_choices_are_written_and_read_in_chinese(district_a, clerk_a):
    content = _sheet(
        excel.SHEETS["facilities"].headers,
        [
            ["A第1街道", "", "", "投放点", 3, "", "", "2025-05-01", ""],
            ["A第1街道", "", "", "垃圾桶", 1, "", "", "", ""],
        ],
    )
    result = _import(clerk_a, "facilities", content)
    kinds = "收集容器、投放点、分拣中心、易腐垃圾中转点、大件垃圾暂存点、有害垃圾暂存点、收运车辆"
    assert result.errors == [
        row_message(3, "类别", c.UNKNOWN_CHOICE % {"value": "垃圾桶", "choices": kinds}),
        row_message(3, "登记日期", spreadsheets.REQUIRED),
    ]


# The pages ------------------------------------------------------------------------------------


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)


@pytest.mark.django_db
def test_import_page_previews_then_imports(client, district_a, sites_a, clerk_a):
    _login(client, clerk_a)
    url = reverse("classification:ledger-import", args=["collection"])
    assert "日期、街道、社区、点位" in client.get(url).content.decode()
    upload = io.BytesIO(_sheet(COLLECTION_HEADERS, _month()))
    upload.name = "六月.xlsx"
    response = client.post(url, {"file": upload, "preview": "1"})
    assert response.status_code == 200
    assert response.context["result"].new == 60
    assert CollectionRecord.objects.count() == 0
    response = client.post(url, {"confirm": "1", "upload": response.context["upload"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("classification:ledger-collection")
    assert CollectionRecord.objects.count() == 60


@pytest.mark.django_db
def test_import_page_shows_row_errors_and_offers_no_confirmation(client, district_a, sites_a, clerk_a):
    _login(client, clerk_a)
    rows = _month(3)
    rows[1][7] = "-2"
    upload = io.BytesIO(_sheet(COLLECTION_HEADERS, rows))
    upload.name = "bad.xlsx"
    response = client.post(reverse("classification:ledger-import", args=["collection"]), {"file": upload})
    html = response.content.decode()
    assert row_message(3, "其他垃圾(吨)", c.NEGATIVE % {"value": "-2"}) in html
    assert 'id="excel-confirm"' not in html


@pytest.mark.django_db
def test_a_stale_confirmation_imports_nothing(client, district_a, clerk_a):
    _login(client, clerk_a)
    url = reverse("classification:ledger-import", args=["collection"])
    response = client.post(url, {"confirm": "1", "upload": "forged"})
    assert response.status_code == 302 and response["Location"] == url


@pytest.mark.django_db
def test_leader_may_not_import(client, district_a):
    leader = member(_unit("A"), Role.LEADER, username="leader_a")
    _login(client, leader)
    assert client.get(reverse("classification:ledger-import", args=["collection"])).status_code == 403


@pytest.mark.django_db
def test_unknown_ledger_is_404(client, clerk_a):
    _login(client, clerk_a)
    assert client.get(reverse("classification:ledger-export", args=["sites"])).status_code == 404


@pytest.mark.django_db
def test_export_is_filtered_and_scoped(client, district_a, district_b, sites_a, sites_b, clerk_b):
    _every_ledger(_unit("A-JD1"), sites_a[0])
    _every_ledger(_unit("B-JD1"), sites_b[0])
    _every_ledger(_unit("B-JD2"), sites_b[1])
    _login(client, clerk_b)
    url = reverse("classification:ledger-export", args=["facilities"])
    response = client.get(url, {"street": _unit("B-JD2").pk})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert {row[0] for row in rows[1:]} == {"B第2街道"}
    assert len(rows) == 3


@pytest.mark.django_db
def test_export_costs_the_same_queries_at_two_sizes(client, district_a, sites_a, clerk_a):
    _login(client, clerk_a)
    url = reverse("classification:ledger-export", args=["collection"])
    _every_ledger(_unit("A-JD1"), sites_a[0])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _import(clerk_a, "collection", _sheet(COLLECTION_HEADERS, _month()))
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)) == 62
    assert len(large) == len(small)
