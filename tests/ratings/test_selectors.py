from datetime import date

from plans.ratings import selectors, services
from plans.ratings.models import Facility

from .conftest import make_facility, rated


def _names(ratings) -> list[str]:
    return sorted(rating.subject.name for rating in ratings)


def test_expiring_lists_published_ratings_ending_within_the_days_not_renewed(scheme, association):
    round_2023 = services.round_open(scheme=scheme, year=2023)
    old = {name: make_facility(association, name) for name in ("甲厂", "乙厂", "丙厂", "丁厂")}
    for name in old:
        rated(round_2023, old[name], ("36", "36", "18"), on=date(2024, 1, 20))  # valid until 2027-01-19
    revoked = round_2023.applications.get(facility=old["丁厂"])
    services.round_publish(rating_round=round_2023, written_on=date(2024, 1, 31))
    services.rating_revoke(application=revoked, reason="撤销")
    round_2026 = services.round_open(scheme=scheme, year=2026)
    rated(round_2026, old["甲厂"], ("36", "36", "18"), on=date(2026, 10, 20))  # renews 甲厂 once published
    rated(round_2026, old["乙厂"], ("36", "36", "18"), on=date(2026, 10, 20))

    today = date(2026, 11, 24)  # 2027-01-19 is 56 days away
    assert _names(selectors.ratings_expiring(organisation=association, today=today)) == ["丙厂", "乙厂", "甲厂"]
    assert _names(selectors.ratings_expiring(organisation=association, today=today, days=55)) == []
    assert _names(selectors.ratings_expiring(organisation=association, today=date(2027, 1, 19), days=0)) == [
        "丙厂",
        "乙厂",
        "甲厂",
    ]
    services.round_publish(rating_round=round_2026)
    assert _names(selectors.ratings_expiring(organisation=association, today=today)) == ["丙厂"]
    assert _names(selectors.ratings_expired(organisation=association, today=date(2027, 1, 20))) == ["丙厂"]
    assert _names(selectors.ratings_expired(organisation=association, today=date(2027, 1, 19))) == []
    assert _names(selectors.ratings_expiring(organisation=association.children.all(), today=today)) == []


def test_current_rating_is_the_published_unrevoked_one_valid_today(scheme, association):
    plant = make_facility(association, "甲厂")
    round_2023 = services.round_open(scheme=scheme, year=2023)
    old = rated(round_2023, plant, ("32", "32", "16"), on=date(2024, 1, 20))
    assert selectors.rating_current(subject=plant, today=date(2026, 1, 1)) is None  # not published yet
    services.round_publish(rating_round=round_2023)
    assert selectors.rating_current(subject=plant, today=date(2026, 1, 1)) == old
    assert selectors.rating_current(subject=plant, today=date(2027, 1, 20)) is None  # expired
    round_2026 = services.round_open(scheme=scheme, year=2026)
    new = rated(round_2026, plant, ("36", "36", "18"), on=date(2026, 10, 20))
    services.round_publish(rating_round=round_2026)
    assert selectors.rating_current(subject=plant, today=date(2026, 11, 24)) == new
    listed = selectors.with_current_rating(Facility.objects.all(), today=date(2026, 11, 24)).get()
    assert (listed.current_grade, listed.current_valid_until) == ("AAA", date(2029, 10, 19))
    services.rating_revoke(application=new, reason="撤销")
    assert selectors.rating_current(subject=plant, today=date(2026, 11, 24)) == old
    assert [rating.pk for rating in selectors.rating_history(plant)] == [new.pk, old.pk]
