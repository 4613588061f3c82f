"""API endpoints that belong to no domain: obtaining an authentication token, and the 404 of any
other path under /api/."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle


@extend_schema(
    request=AuthTokenSerializer,
    responses={200: inline_serializer("AuthToken", fields={"token": serializers.CharField()})},
)
class TokenObtainView(ObtainAuthToken):
    """Exchange a user name and password for the user's API token."""

    # Guessing passwords here costs the same as at the login form.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    permission_classes = [AllowAny]  # as ObtainAuthToken's empty list; the schema then says no login is needed


@csrf_exempt  # as every API view: nothing is changed here, and a POST must get its 404 too
def not_found(request, *args, **kwargs):
    """Any other path under /api/ (an id that is no number, /api/v2/ …): JSON as the API's own 404s,
    not the HTML error page."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
