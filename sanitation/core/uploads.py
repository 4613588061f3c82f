"""The one limit on the size of a whole upload, before any of it is read (settings: uploads)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class RequestSizeLimit(FileUploadHandler):
    """Refuses a multipart request larger than UPLOAD_MAX_REQUEST_BYTES from its declared length:
    the visitor gets the 400 page, and nothing is read or written to a temporary file. Smaller
    requests pass on to Django's own handlers (memory, then temporary file)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.UPLOAD_MAX_REQUEST_BYTES:
            raise RequestDataTooBig("The request is larger than settings.UPLOAD_MAX_REQUEST_BYTES.")

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
