"""Photos from phones: checked by content, size and pixels, re-encoded as JPEG under a
server-generated name, with a thumbnail for lists."""

from django.core.files.uploadedfile import UploadedFile

from .models import Photo

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 60-megapixel image is refused before it is decoded


def photo_accept(*, upload: UploadedFile, by) -> Photo:
    """Check and store an uploaded photo as a staged Photo (attached to nothing yet).
    Raises ValidationError with a clear Chinese message (translatable constants)."""
    raise NotImplementedError


def photos_staged_by(*, user, ids) -> list[Photo]:
    """The user's own staged photos among `ids`; ValidationError if any is not one."""
    raise NotImplementedError
