"""?ordering= on every list of the API: each named field works both ways, an unknown one answers
400 naming the choices, and a new list without ordering_fields fails here."""

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from sanitation.core.api_ordering import UNKNOWN_ORDERING
from sanitation.urls import api

# Lists that order another way, and why.
OWN_ORDERING = {
    "plan-item": "orders with its own ?ordering=deadline|-deadline|position, validated with its filters",
    "score": "one ranking of streets, not a list of rows",
}
LISTS = {
    basename: viewset
    for _prefix, viewset, basename in api.registry
    if basename not in OWN_ORDERING and "list" in dir(viewset)
}


def test_every_list_names_its_ordering_fields():
    missing = [basename for basename, viewset in LISTS.items() if not getattr(viewset, "ordering_fields", None)]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("basename", sorted(LISTS))
def test_each_ordering_field_works_both_ways_and_unknown_ones_are_refused(basename, admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    url = reverse(f"{basename}-list")
    for field in LISTS[basename].ordering_fields:
        for term in (field, f"-{field}"):
            response = client.get(url, {"ordering": term})
            assert response.status_code == 200, (term, response.content[:300])
    response = client.get(url, {"ordering": "password"})
    assert response.status_code == 400
    choices = ", ".join(LISTS[basename].ordering_fields)
    with translation.override("zh-hans"):  # the API answers in the site's language
        assert response.json() == {"ordering": [UNKNOWN_ORDERING % {"ordering": "password", "choices": choices}]}
