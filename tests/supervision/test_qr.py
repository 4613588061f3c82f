"""QR sheets: a printable A4 PDF per street, a code per site that opens its inspection form."""

import subprocess
from pathlib import Path

import pytest
import segno
from django.conf import settings
from django.urls import reverse
from PIL import Image

from tests.factories import SiteFactory

SHEETS_URL = "/supervision/qr/"
DPI = 300


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def sheet_url(street) -> str:
    return reverse("supervision:qr-sheet", args=[street.pk])


def inspect_url(site) -> str:
    return "http://testserver" + reverse("supervision:inspect", args=[site.pk])


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_reverse_names():
    assert reverse("supervision:qr-streets") == SHEETS_URL
    assert reverse("supervision:qr-sheet", args=[7]) == "/supervision/qr/7/"


def test_a_clerk_lists_the_streets_with_their_site_counts(client, clerk, sites, streets, other_district):
    SiteFactory(street=streets[0], name="第四个点")
    client.force_login(clerk)
    response = client.get(SHEETS_URL)
    page = response.content.decode()
    assert [(s.name, s.site_count) for s in response.context["streets"]] == [
        ("A第1街道", 4),
        ("A第2街道", 3),
        ("A第3街道", 3),
    ]
    for street in streets:
        assert sheet_url(street) in page


@pytest.mark.parametrize("who", ["outsider", "street_user", "leader"])
def test_who_may_not_inspect_gets_no_sheet(request, client, sites, streets, who):
    client.force_login(request.getfixturevalue(who))
    assert list(client.get(SHEETS_URL).context["streets"]) == []
    assert client.get(sheet_url(streets[0])).status_code == 404


def test_another_districts_street_is_404(client, clerk, sites, other_district):
    b_street = other_district.children.get(code="B-JD1")
    SiteFactory(street=b_street, name="B小区")
    client.force_login(clerk)
    assert client.get(sheet_url(b_street)).status_code == 404


def test_the_sheet_is_a_pdf_with_each_sites_name_address_and_link(client, clerk, sites, streets, tmp_path):
    street = streets[1]
    site = next(s for s in sites if s.street == street)
    site.address = "解放路88号"
    site.save()
    client.force_login(clerk)
    response = client.get(sheet_url(street))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    joined = "".join(text.split())  # the small URL line may wrap
    assert "A第2街道" in text
    for each in (s for s in sites if s.street == street):
        assert each.name in text
        assert inspect_url(each) in joined
    assert "解放路88号" in text
    assert "A第1街道花园" not in text  # another street's site
    assert pdf_pages(data, tmp_path) == 1


def test_twelve_codes_a_page(client, clerk, streets, tmp_path):
    for n in range(13):
        SiteFactory(street=streets[0], name=f"点位{n:02d}")
    client.force_login(clerk)
    data = b"".join(client.get(sheet_url(streets[0])).streaming_content)
    assert pdf_pages(data, tmp_path) == 2


def test_the_printed_code_is_the_qr_code_of_the_inspect_address(client, clerk, streets, tmp_path):
    """No QR reader is installed: the printed page is read back module by module instead and
    compared with the QR code of the site's inspection address."""
    site = SiteFactory(street=streets[2], name="扫码小区")
    client.force_login(clerk)
    pdf = tmp_path / "one.pdf"
    pdf.write_bytes(b"".join(client.get(sheet_url(streets[2])).streaming_content))
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True
    )
    with Image.open(tmp_path / "page.png") as image:
        page = image.convert("L")
    # The first card's code: the black modules inside the first card's top part (the dashed
    # border and the address line under the code are lighter than the threshold).
    mm = DPI / 25.4
    box = (round(12 * mm), round(20 * mm), round(72 * mm), round(62 * mm))
    card = page.crop(box).point(lambda value: 255 if value < 60 else 0)
    left, top, right, bottom = card.getbbox()
    expected = segno.make(inspect_url(site), error="m").matrix
    size = len(expected)
    module = (right - left) / size
    assert abs((bottom - top) / size - module) < 0.5  # square
    assert module * 25.4 / DPI > 0.8  # modules of nearly a millimetre: readable from arm's length
    read = [
        [
            card.getpixel((round(left + (column + 0.5) * module), round(top + (row + 0.5) * module))) == 255
            for column in range(size)
        ]
        for row in range(size)
    ]
    assert read == [[bool(bit) for bit in row] for row in expected]
