"""Photos from phones: checked by content, size and pixels, re-encoded as JPEG under a
server-generated name, with a thumbnail for lists."""

import datetime
import io
import logging
import threading
import uuid
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .models import Photo

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 60-megapixel image is refused before it is decoded
MAX_SIDE = 2560  # long side of the stored photo
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
# What phones send; told by the file's first bytes, whatever its name says.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")

NOT_AN_IMAGE = _("The file is not a JPEG, PNG or WebP photo.")
TOO_LARGE = _("The photo is larger than 15 MB.")
TOO_MANY_PIXELS = _("The photo has more than 40 megapixels; take it at a lower resolution.")
UNREADABLE = _("The photo is damaged or incomplete and cannot be read; take it again.")
EMPTY = _("The file is empty.")
NOT_STAGED = _("A photo is not one of your own new uploads, or it is already attached to something.")


def _read_limited(upload: UploadedFile) -> bytes:
    """The upload's bytes, refusing more than MAX_PHOTO_BYTES without reading much further."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(TOO_LARGE, code="too_large")
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(TOO_LARGE, code="too_large")
    if not data:
        raise ValidationError(EMPTY, code="empty")
    return data


def _open_checked(data: bytes) -> Image.Image:
    """Open (header only) and check format and pixel count before anything is decoded."""
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit; ours is lower and checked just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as error:
        raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from error
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ValidationError(UNREADABLE, code="unreadable")
    if width * height > MAX_PHOTO_PIXELS:
        raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels")
    return image


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_rgb(image: Image.Image) -> Image.Image:
    # Transparent parts become white, as on paper, not black.
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("L")
    return image.convert("RGB")


def _encode(image: Image.Image, *, quality: int) -> bytes:
    out = io.BytesIO()
    # No EXIF is written: it may carry the phone's GPS track and owner, and the pixels are upright now.
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


# WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES at import, which would let a
# half-sent photo through as a grey-bottomed picture. Decoding turns it off for the moment of
# the load, under a lock so two threads cannot restore each other's setting midway.
_TRUNCATION_LOCK = threading.Lock()


@contextmanager
def _truncated_images_refused():
    with _TRUNCATION_LOCK:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _reencode(image: Image.Image) -> tuple[bytes, bytes, tuple[int, int]]:
    """The stored photo and its thumbnail, as JPEG bytes, and the photo's size."""
    try:
        if image.format in ("JPEG", "MPO"):  # MPO: a phone's JPEG with extra frames (portrait mode)
            # Decode at a reduced scale when the photo is shrunk anyway: less memory and time.
            image.draft("RGB", _fit(image.size, MAX_SIDE))
        with _truncated_images_refused():
            image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
    except Image.DecompressionBombError as error:
        raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(UNREADABLE, code="unreadable") from error
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return _encode(image, quality=JPEG_QUALITY), _encode(thumbnail, quality=THUMBNAIL_QUALITY), image.size


def photo_accept(*, upload: UploadedFile, by) -> Photo:
    """Check and store an uploaded photo as a staged Photo (attached to nothing yet).
    Raises ValidationError with a clear message (translatable constants)."""
    data = _read_limited(upload)
    image = _open_checked(data)
    photo_bytes, thumbnail_bytes, (width, height) = _reencode(image)

    name = uuid.uuid4().hex
    photo = Photo(
        uploaded_by=by,
        uploaded_at=timezone.now(),
        original_name=PurePath((upload.name or "").replace("\\", "/")).name[:200],
    )
    stored: list = []
    try:
        photo.image.save(f"{name}.jpg", ContentFile(photo_bytes), save=False)
        stored.append(photo.image)
        photo.thumbnail.save(f"{name}-t.jpg", ContentFile(thumbnail_bytes), save=False)
        stored.append(photo.thumbnail)
        # Known already; the field's own reading of the stored file is not relied upon.
        photo.width, photo.height = width, height
        with transaction.atomic():
            photo.save()
    except BaseException:
        # No file without its row: a failed insert leaves nothing behind in storage.
        for field_file in stored:
            _delete_quietly(field_file)
        raise
    return photo


def _delete_quietly(field_file) -> None:
    try:
        field_file.storage.delete(field_file.name)
    except OSError:
        logger.warning("Could not delete %s after a failed upload", field_file.name, exc_info=True)


def staged_photos(*, user=None) -> QuerySet[Photo]:
    """Photos attached to nothing yet, all of them or those `user` uploaded."""
    queryset = Photo.objects.filter(problem__isnull=True, event__isnull=True)
    return queryset if user is None else queryset.filter(uploaded_by_id=user.pk)


def photos_staged_by(*, user, ids: Iterable) -> list[Photo]:
    """The user's own staged photos among `ids`; ValidationError if any is not one.

    Inside a transaction the rows are locked, so two forms cannot attach the same photo.
    """
    try:
        wanted = list(dict.fromkeys(int(pk) for pk in ids))
    except (TypeError, ValueError) as error:
        raise ValidationError(NOT_STAGED, code="not_staged") from error
    if not wanted:
        return []
    queryset = staged_photos(user=user).filter(pk__in=wanted).order_by()
    if transaction.get_connection().in_atomic_block:
        queryset = queryset.select_for_update()
    found = {photo.pk: photo for photo in queryset}
    if len(found) != len(wanted):
        raise ValidationError(NOT_STAGED, code="not_staged")
    return [found[pk] for pk in wanted]


def photos_attach(*, photos: Iterable[Photo], problem=None, event=None) -> None:
    """Attach checked staged photos (from `photos_staged_by`) to a problem or an event, in one query."""
    photos = list(photos)
    if not photos:
        return
    for photo in photos:
        photo.problem, photo.event = problem, event
    Photo.objects.bulk_update(photos, ["problem", "event"])


STAGED_PHOTO_LIFETIME = datetime.timedelta(days=2)


def staged_photos_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete photos uploaded and never attached (a form given up, a save that failed) once they
    are older than STAGED_PHOTO_LIFETIME, rows and files; return how many went. A form still
    being filled in on a phone uses its photos within the day, so two days is safe."""
    before = (now or timezone.now()) - STAGED_PHOTO_LIFETIME
    stale = list(staged_photos().filter(uploaded_at__lt=before))
    purged = 0
    for photo in stale:
        with transaction.atomic():
            # Attached meanwhile (a late save): the row is no longer staged, leave it.
            if not staged_photos().filter(pk=photo.pk).delete()[0]:
                continue
        # Files go after the row: a file without a row is harmless, a row without a file is not.
        _delete_quietly(photo.image)
        _delete_quietly(photo.thumbnail)
        purged += 1
    return purged
