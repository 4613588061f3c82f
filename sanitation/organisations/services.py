"""Writes to the unit tree and to people's memberships."""

from django.db import transaction

from .models import Membership, Role, Unit, User


@transaction.atomic
def unit_ensure(*, code: str, name: str, kind: str, parent: Unit | None = None, **fields) -> tuple[Unit, bool]:
    """Create the unit with this code if it is missing; an existing unit is left as it is."""
    return Unit.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "parent": parent, **fields})


@transaction.atomic
def user_ensure(
    *, username: str, password: str, display_name: str, unit: Unit, role: str, is_superuser: bool = False
) -> tuple[User, bool]:
    """Create the user (with the given password) and membership if missing; existing ones stay."""
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"display_name": display_name, "is_staff": is_superuser or role == Role.ADMIN},
    )
    if created:
        user.is_superuser = is_superuser
        user.set_password(password)
        user.save()
    Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user, created
