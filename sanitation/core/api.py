"""API endpoints that belong to no domain: obtaining an authentication token."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
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
