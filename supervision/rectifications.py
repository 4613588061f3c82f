"""The rectification workflow: 待整改 → 整改中 → 待复查 → 已销号, or 逾期 when the deadline
passes. Every change is an event (who, when, what, photos)."""

import datetime
from collections.abc import Sequence

from .models import Photo, Problem, Rectification


def rectification_open(*, problem: Problem) -> Rectification:
    """Open the rectification of a problem for the site's street, deadline by severity."""
    raise NotImplementedError


def rectification_start(*, rectification: Rectification, by, text: str = "") -> Rectification:
    """The unit says it is working on it: 待整改/逾期 → 整改中."""
    raise NotImplementedError


def rectification_answer(*, rectification: Rectification, by, text: str, photos: Sequence[Photo] = ()) -> Rectification:
    """The unit reports it done, with text and photos: → 待复查."""
    raise NotImplementedError


def rectification_close(
    *, rectification: Rectification, by, text: str = "", photos: Sequence[Photo] = ()
) -> Rectification:
    """A clerk re-inspected and accepts it: 待复查 → 已销号."""
    raise NotImplementedError


def rectification_send_back(
    *,
    rectification: Rectification,
    by,
    text: str,
    photos: Sequence[Photo] = (),
    deadline: datetime.date | None = None,
) -> Rectification:
    """A clerk re-inspected and refuses it: 待复查 → 整改中 (or 逾期 if the deadline has passed)."""
    raise NotImplementedError


def rectifications_mark_overdue(*, today: datetime.date) -> int:
    """Mark every open rectification whose deadline is before `today` and that is not awaiting
    re-inspection as 逾期; return how many changed. Idempotent."""
    raise NotImplementedError
