"""Photos from phones: checked by content, bytes and pixels, re-encoded under a server name."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone
from PIL import Image, ImageFile

from sanitation.organisations.models import Role, Unit
from supervision import photos
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import Photo, ProblemType
from supervision.photos import photo_accept, photos_staged_by
from tests.factories import member

SERVER_NAME = re.compile(r"^supervision/photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg$")
THUMBNAIL_NAME = re.compile(r"^supervision/photos/\d{4}/\d{2}/[0-9a-f]{32}-t\.jpg$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def uploader(district):
    return member(Unit.objects.get(code="A-FLB"), Role.CLERK, username="uploader")


def encoded(image: Image.Image, format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def upload(data: bytes, name: str, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def refused(data: bytes, name: str, by) -> str:
    with pytest.raises(ValidationError) as error:
        photo_accept(upload=upload(data, name), by=by)
    return error.value.messages


@pytest.mark.parametrize(("format", "name"), [("JPEG", "IMG_0001.JPG"), ("PNG", "截图.png"), ("WEBP", "photo.webp")])
def test_jpeg_png_and_webp_are_stored_as_jpeg_under_server_names(uploader, media, format, name):
    source = Image.new("RGB", (800, 600), (200, 40, 40))
    photo = photo_accept(upload=upload(encoded(source, format), name), by=uploader)

    photo.refresh_from_db()
    assert SERVER_NAME.match(photo.image.name), photo.image.name
    assert THUMBNAIL_NAME.match(photo.thumbnail.name)
    assert photo.thumbnail.name == photo.image.name.removesuffix(".jpg") + "-t.jpg"
    assert name not in photo.image.name
    assert photo.original_name == name
    assert (photo.width, photo.height) == (800, 600)
    assert photo.uploaded_by == uploader
    assert photo.uploaded_at is not None
    assert (photo.problem, photo.event) == (None, None)
    with Image.open(media / photo.image.name) as stored:
        assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (800, 600))
        red, green, blue = stored.getpixel((400, 300))
        assert red > 180 and green < 70 and blue < 70
    with Image.open(media / photo.thumbnail.name) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (320, 240)
    assert len(stored_files(media)) == 2


def test_a_phones_multi_picture_jpeg_keeps_its_first_picture(uploader, media):
    first, depth_map = Image.new("RGB", (300, 200), (255, 0, 0)), Image.new("RGB", (300, 200), (0, 0, 255))
    data = encoded(first, "MPO", save_all=True, append_images=[depth_map])
    photo = photo_accept(upload=upload(data, "IMG_0003.jpg"), by=uploader)
    with Image.open(media / photo.image.name) as stored:
        assert stored.format == "JPEG"
        assert stored.getpixel((150, 100))[0] > 240


def test_two_uploads_of_the_same_file_get_different_names(uploader):
    data = encoded(Image.new("RGB", (40, 30)), "JPEG")
    first = photo_accept(upload=upload(data, "a.jpg"), by=uploader)
    second = photo_accept(upload=upload(data, "a.jpg"), by=uploader)
    assert first.image.name != second.image.name


def test_the_original_name_keeps_no_path(uploader):
    data = encoded(Image.new("RGB", (40, 30)), "JPEG")
    photo = photo_accept(upload=upload(data, "C:\\Users\\李\\Pictures\\现场.jpg"), by=uploader)
    assert photo.original_name == "现场.jpg"


def test_a_text_file_named_jpg_is_refused(uploader, media):
    messages = refused("这不是照片，只是一段文字。\n".encode() * 20, "现场照片.jpg", uploader)
    assert messages == [str(photos.NOT_AN_IMAGE)]
    assert not Photo.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (encoded(Image.new("RGB", (20, 20)), "GIF"), "animation.jpg"),
        (encoded(Image.new("RGB", (20, 20)), "BMP"), "scan.png"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "report.jpg"),
    ],
)
def test_other_formats_are_refused_whatever_their_name(uploader, data, name):
    assert refused(data, name, uploader) == [str(photos.NOT_AN_IMAGE)]


def test_an_empty_file_is_refused(uploader):
    assert refused(b"", "empty.jpg", uploader) == [str(photos.EMPTY)]


def test_a_60_megapixel_image_is_refused_before_it_is_decoded(uploader, media, monkeypatch):
    # 1 bit per pixel and all white: 8000 × 7500 compresses to a few kilobytes.
    data = encoded(Image.new("1", (8000, 7500), 1), "PNG", optimize=True)
    assert len(data) < 100_000

    def no_decoding(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    assert refused(data, "huge.png", uploader) == [str(photos.TOO_MANY_PIXELS)]
    assert not Photo.objects.exists()
    assert stored_files(media) == []


def test_pillows_own_decompression_bomb_guard_is_a_clear_message(uploader, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow refuses above twice this
    data = encoded(Image.new("RGB", (50, 50)), "PNG")
    assert refused(data, "bomb.png", uploader) == [str(photos.TOO_MANY_PIXELS)]


def test_a_file_over_15_mb_is_refused_before_it_is_read_as_an_image(uploader, media, monkeypatch):
    data = encoded(Image.new("RGB", (20, 20)), "JPEG")
    data += b"\0" * (photos.MAX_PHOTO_BYTES + 1 - len(data))

    def no_opening(*args, **kwargs):
        raise AssertionError("the file was opened as an image")

    monkeypatch.setattr(Image, "open", no_opening)
    assert refused(data, "big.jpg", uploader) == [str(photos.TOO_LARGE)]
    assert stored_files(media) == []


def test_a_file_of_exactly_15_mb_is_not_refused_for_its_size(uploader):
    data = encoded(Image.new("RGB", (20, 20)), "JPEG")
    data += b"\0" * (photos.MAX_PHOTO_BYTES - len(data))
    photo = photo_accept(upload=upload(data, "padded.jpg"), by=uploader)
    assert (photo.width, photo.height) == (20, 20)


def test_a_truncated_photo_is_unreadable(uploader):
    import weasyprint  # noqa: F401 - it turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process

    source = Image.effect_noise((600, 400), 64).convert("RGB")
    data = encoded(source, "JPEG", quality=95)
    assert refused(data[: len(data) // 2], "cut.jpg", uploader) == [str(photos.UNREADABLE)]


def test_an_exif_rotated_photo_comes_out_upright(uploader, media):
    # The sensor's 200 × 100 frame: left half red, right half blue. Orientation 6 says
    # "turn 90° clockwise to view", so upright it is 100 × 200 with red on top.
    frame = Image.new("RGB", (200, 100), (0, 0, 255))
    frame.paste((255, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {2: (30.0, 34.0, 22.0)}  # a GPS position, which must not be kept
    photo = photo_accept(upload=upload(encoded(frame, "JPEG", exif=exif), "IMG_0002.jpg"), by=uploader)

    assert (photo.width, photo.height) == (100, 200)
    with Image.open(media / photo.image.name) as stored:
        assert stored.size == (100, 200)
        top, bottom = stored.getpixel((50, 30)), stored.getpixel((50, 170))
        assert top[0] > 200 and top[2] < 60
        assert bottom[2] > 200 and bottom[0] < 60
        assert not stored.getexif()  # neither the orientation nor the GPS position is kept


def test_a_large_photo_is_downscaled_to_2560_on_its_long_side(uploader, media):
    photo = photo_accept(upload=upload(encoded(Image.new("RGB", (3000, 4000)), "JPEG"), "big.jpg"), by=uploader)
    assert (photo.width, photo.height) == (1920, 2560)
    with Image.open(media / photo.image.name) as stored:
        assert stored.size == (1920, 2560)
    with Image.open(media / photo.thumbnail.name) as thumbnail:
        assert thumbnail.size == (240, 320)


def test_a_small_photo_is_not_enlarged(uploader, media):
    photo = photo_accept(upload=upload(encoded(Image.new("RGB", (120, 90)), "PNG"), "small.png"), by=uploader)
    with Image.open(media / photo.thumbnail.name) as thumbnail:
        assert thumbnail.size == (120, 90)


def test_transparency_becomes_white(uploader, media):
    source = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    photo = photo_accept(upload=upload(encoded(source, "PNG"), "clear.png"), by=uploader)
    with Image.open(media / photo.image.name) as stored:
        assert min(stored.getpixel((30, 20))) > 245


def test_no_file_is_left_behind_when_the_row_cannot_be_written(uploader, media, monkeypatch):
    def failing_save(self, *args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(Photo, "save", failing_save)
    with pytest.raises(DatabaseError):
        photo_accept(upload=upload(encoded(Image.new("RGB", (40, 30)), "JPEG"), "a.jpg"), by=uploader)
    assert stored_files(media) == []


def test_staged_photos_of_the_user_are_returned_in_the_order_asked(uploader):
    data = encoded(Image.new("RGB", (40, 30)), "JPEG")
    first, second = (photo_accept(upload=upload(data, "a.jpg"), by=uploader) for _ in range(2))
    assert photos_staged_by(user=uploader, ids=[second.pk, str(first.pk), second.pk]) == [second, first]
    assert photos_staged_by(user=uploader, ids=[]) == []


def test_someone_elses_or_an_attached_or_a_missing_photo_is_not_staged(uploader, clerk, scheme, sites):
    data = encoded(Image.new("RGB", (40, 30)), "JPEG")
    mine = photo_accept(upload=upload(data, "a.jpg"), by=clerk)
    theirs = photo_accept(upload=upload(data, "b.jpg"), by=uploader)
    attached = photo_accept(upload=upload(data, "c.jpg"), by=clerk)
    inspection_record(
        site=sites[0],
        recorded_by=clerk,
        problems=[ProblemInput(ProblemType.objects.get(code="odour"), photos=[attached])],
        inspected_at=timezone.make_aware(datetime.datetime(2026, 6, 10, 10)),
    )
    for ids in ([mine.pk, theirs.pk], [attached.pk], [mine.pk, 999_999], ["x"]):
        with pytest.raises(ValidationError) as error:
            photos_staged_by(user=clerk, ids=ids)
        assert error.value.messages == [str(photos.NOT_STAGED)]
    assert photos_staged_by(user=clerk, ids=[mine.pk]) == [mine]


def test_photos_never_attached_are_purged_after_two_days(uploader, clerk, scheme, sites, media):
    data = encoded(Image.new("RGB", (40, 30)), "JPEG")
    old_staged = photo_accept(upload=upload(data, "old.jpg"), by=uploader)
    fresh_staged = photo_accept(upload=upload(data, "fresh.jpg"), by=uploader)
    old_attached = photo_accept(upload=upload(data, "kept.jpg"), by=clerk)
    inspection_record(
        site=sites[0],
        recorded_by=clerk,
        problems=[ProblemInput(ProblemType.objects.get(code="odour"), photos=[old_attached])],
        inspected_at=timezone.make_aware(datetime.datetime(2026, 6, 10, 10)),
    )
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    Photo.objects.filter(pk__in=[old_staged.pk, old_attached.pk]).update(uploaded_at=three_days_ago)
    old_files = [media / old_staged.image.name, media / old_staged.thumbnail.name]
    assert all(path.exists() for path in old_files)

    assert photos.staged_photos_purge() == 1
    assert set(Photo.objects.values_list("pk", flat=True)) == {fresh_staged.pk, old_attached.pk}
    assert not any(path.exists() for path in old_files)
    assert (media / old_attached.image.name).exists() and (media / fresh_staged.image.name).exists()
    assert photos.staged_photos_purge() == 0
