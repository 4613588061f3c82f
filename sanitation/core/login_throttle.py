"""Login throttling: failures counted per user name and per address, separately, in the cache.

A user name that fails too often is locked from every address, so guessing one person's
password from many machines does not help. An address is locked only after many more failures,
across any names, so that one person's typing mistakes do not lock out a whole office that
shares one public address.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _key(kind: str, value: str) -> str:
    # Hashed: user names may hold any character, and cache keys must not.
    return f"login-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def _username_key(username: str) -> str:
    return _key("username", username.strip().casefold())


def _address_key(address: str) -> str:
    return _key("address", address)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the one the trusted proxies in front of us saw."""
    proxies = settings.LOGIN_THROTTLE_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        # Each trusted proxy appends the address it saw; entries further left are the client's word.
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def login_locked(*, username: str, address: str) -> bool:
    """Whether a login with this user name from this address is refused without checking the password."""
    counts = cache.get_many([_username_key(username), _address_key(address)])
    return (
        counts.get(_username_key(username), 0) >= settings.LOGIN_THROTTLE_USERNAME_FAILURES
        or counts.get(_address_key(address), 0) >= settings.LOGIN_THROTTLE_ADDRESS_FAILURES
    )


def _increment(key: str) -> None:
    # add() is a no-op when the key exists, so the window starts at the first failure.
    cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def login_failure_record(*, username: str, address: str) -> None:
    _increment(_username_key(username))
    _increment(_address_key(address))


def login_success_record(*, username: str) -> None:
    """A successful login clears its user name's failures; the address keeps its count."""
    cache.delete(_username_key(username))
