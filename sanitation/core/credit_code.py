"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a
check character computed from the first 17."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The 31 characters the code uses: digits and capitals without I, O, Z, S, V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first_17: str) -> str:
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first_17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_normalise(value: str) -> str:
    """As people type it: spaces and lower case are forgiven."""
    return "".join((value or "").split()).upper()


def credit_code_validate(value: str) -> None:
    code = credit_code_normalise(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; “%(code)s” has %(count)d."),
            code="length",
            params={"code": code, "count": len(code)},
        )
    wrong = sorted({char for char in code if char not in ALPHABET})
    if wrong:
        raise ValidationError(
            _("“%(code)s” contains characters a credit code never uses: %(chars)s."),
            code="characters",
            params={"code": code, "chars": " ".join(wrong)},
        )
    if check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of “%(code)s” is wrong: it should end in %(expected)s. Check the code for a typo."),
            code="check",
            params={"code": code, "expected": check_character(code[:17])},
        )
