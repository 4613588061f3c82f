"""Telling people: leaders when a report is done, units when their rectifications go overdue."""


def leaders_notify(*, report) -> int:
    """Notification (and e-mail on commit) to the leaders of the report's district, once per report."""
    raise NotImplementedError


def overdue_units_notify(*, rectifications) -> int:
    """Remind each unit of its newly overdue rectifications: one notification per unit and day."""
    raise NotImplementedError
