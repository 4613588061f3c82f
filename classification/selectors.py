from django.db.models import QuerySet

from sanitation.organisations.access import scope_by_unit

from .models import Site


def sites_visible_to(user) -> QuerySet[Site]:
    return scope_by_unit(Site.objects.select_related("street", "community"), user, via="street")
