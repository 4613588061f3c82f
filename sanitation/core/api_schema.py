"""The OpenAPI schema declares the errors each operation can really answer, in DRF's shapes.

DRF answers an error about the whole request as {"detail": "…"} (403, 404, 409, 429) and a
refused input as {"field": ["message", …]}, with "non_field_errors" or "detail" for the request
as a whole (400). Which codes an operation can give follows from what it takes:

- 400: a request body, or a query parameter other than the page number (filters are validated);
- 403: every operation (no credentials, a bad token, a missing CSRF token with a session, or a
  permission refused). Never 401: session authentication comes first and names no
  WWW-Authenticate scheme, so DRF turns 401 into 403;
- 404: an object id in the path, or a page number past the last page;
- 415: a request body, sent in a media type the operation does not parse;
- 429: a view with throttles, with Retry-After.

Anything else (409 for a stale version, 404 for an id given as a filter) a view declares itself
with @extend_schema(responses={…: error_response("…")}).
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error about the whole request, in DRF's shape."""

    detail = serializers.CharField()


# A refused input: each field's messages (a list of them per item of a list), "non_field_errors"
# for the request as a whole; "detail" (a string) for a body that could not be parsed.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name → its messages; `non_field_errors` or `detail` for the request as a whole.",
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}

# English, as the rest of the schema's descriptions.
DESCRIPTIONS = {
    "400": "The request was refused: the messages say why, per field.",
    "403": "Not signed in, or not allowed to do this.",
    "404": "No such object among those the user may see, or no such page.",
    "415": "The body is not in a media type this operation takes.",
    "429": "Too many requests: wait the seconds Retry-After gives.",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with the error responses of each operation."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            responses.setdefault(code, self._error_response(code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        page, page_size = self._page_parameters()
        codes = []
        if "requestBody" in operation or query - {page, page_size}:
            codes.append("400")
        codes.append("403")
        if any(p["in"] == "path" for p in parameters) or page in query:
            codes.append("404")
        if "requestBody" in operation:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _page_parameters(self) -> tuple[str | None, str | None]:
        """The paginator's page and page size: an unknown page answers 404, a bad size the default."""
        paginator = self._get_paginator()
        return getattr(paginator, "page_query_param", None), getattr(paginator, "page_size_query_param", None)

    def _error_response(self, code: str) -> dict:
        if code == "400":
            component = ResolvedComponent(
                name="ValidationError",
                type=ResolvedComponent.SCHEMA,
                object="ValidationError",
                schema=VALIDATION_ERROR_SCHEMA,
            )
            self.registry.register_on_missing(component)
            return self._get_response_for_code(OpenApiResponse(component.ref, DESCRIPTIONS[code]), code)
        response = self._get_response_for_code(OpenApiResponse(ErrorSerializer, DESCRIPTIONS[code]), code)
        if code == "429":
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the next try."}
            }
        return response


def error_response(description: str) -> OpenApiResponse:
    """An error a view declares itself, e.g. {409: error_response("…")}, in the shape of the others."""
    return OpenApiResponse(ErrorSerializer, description)
