"""Assessment schemes: which version is in force, new versions, putting a draft in force."""

import datetime

from .models import AssessmentScheme


def scheme_in_force(*, district, on: datetime.date) -> AssessmentScheme | None:
    """The version of `district`'s scheme for `on.year` that was in force on `on`: the highest
    version not in draft whose `in_force_from` is on or before `on`."""
    raise NotImplementedError


def scheme_new_version(*, scheme: AssessmentScheme, by) -> AssessmentScheme:
    """A draft copy (version + 1) of `scheme` with its sources, criteria and deduction rules."""
    raise NotImplementedError


def scheme_put_in_force(*, scheme: AssessmentScheme, on: datetime.date, by) -> AssessmentScheme:
    """Put a draft in force from `on`; earlier versions of the year become superseded (but keep
    scoring the inspections made under them). Refuses a scheme whose weights do not add to 100,
    that has no criteria, or whose date is before the version it replaces."""
    raise NotImplementedError
