import factory

from classification.models import Site, SiteKind
from sanitation.organisations.models import Membership, Role, Unit, UnitKind, User

PASSWORD = "secret-pass-1"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    kind = UnitKind.DISTRICT
    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"单位{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Role.CLERK


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    street = factory.SubFactory(UnitFactory, kind=UnitKind.STREET)
    name = factory.Sequence(lambda n: f"小区{n}")
    kind = SiteKind.MANAGED_ESTATE


def district_with_streets(code: str, streets: int = 2, communities: int = 2) -> Unit:
    """A district tree: district → office, center → section/station, streets → communities."""
    district = UnitFactory(code=code, name=f"{code}区", kind=UnitKind.DISTRICT)
    UnitFactory(code=f"{code}-FLB", name=f"{code}区分类办", kind=UnitKind.OFFICE, parent=district)
    center = UnitFactory(code=f"{code}-ZX", name=f"{code}区环卫中心", kind=UnitKind.CENTER, parent=district)
    UnitFactory(code=f"{code}-ZX-BGS", name="中心办公室", short_name="办公室", kind=UnitKind.SECTION, parent=center)
    UnitFactory(code=f"{code}-ZX-HWG", name="环境卫生股", kind=UnitKind.SECTION, parent=center)
    UnitFactory(code=f"{code}-ZX-S1", name="第一环卫所", kind=UnitKind.STATION, parent=center)
    UnitFactory(code=f"{code}-ZX-S2", name="第二环卫所", kind=UnitKind.STATION, parent=center)
    for s in range(1, streets + 1):
        street = UnitFactory(code=f"{code}-JD{s}", name=f"{code}第{s}街道", kind=UnitKind.STREET, parent=district)
        for c in range(1, communities + 1):
            UnitFactory(
                code=f"{code}-JD{s}-SQ{c}", name=f"{code}第{s}街道{c}社区", kind=UnitKind.COMMUNITY, parent=street
            )
    return district


def member(unit: Unit, role: str, **user_fields) -> User:
    return MembershipFactory(unit=unit, role=role, user=UserFactory(**user_fields)).user
