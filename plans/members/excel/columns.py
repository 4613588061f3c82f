"""The sheet's columns and how its cells read: Chinese headers and choice names in every
language, since they are what the secretariat types and reads."""

import tablib
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from import_export import widgets

from sanitation.core import spreadsheets
from sanitation.core.credit_code import credit_code_normalise, credit_code_validate
from sanitation.core.spreadsheets import REQUIRED
from sanitation.core.spreadsheets import cell_text as _text

from ..models import CouncilPosition, IndividualCategory, MemberKind, MemberStatus, OrganisationType

NAME, KIND, CREDIT_CODE, ORGANISATION_TYPE, REGION = "名称", "类型", "统一社会信用代码", "单位性质", "地区"
CONTACT, PHONE, EMAIL, POSITION, JOINED, STATUS = "联系人", "联系电话", "电子邮箱", "理事会职务", "入会日期", "状态"
CATEGORY, TITLE, SPECIALITY, EMPLOYER = "会员类别", "职称", "专业", "工作单位"
HEADERS = (
    NAME,
    KIND,
    CREDIT_CODE,
    ORGANISATION_TYPE,
    REGION,
    CONTACT,
    PHONE,
    EMAIL,
    POSITION,
    JOINED,
    STATUS,
    CATEGORY,
    TITLE,
    SPECIALITY,
    EMPLOYER,
)
REQUIRED_HEADERS = tuple(header for header in HEADERS if header != EMAIL)
COLUMN_WIDTHS = {NAME: 36, CREDIT_CODE: 22, REGION: 16, PHONE: 16, EMAIL: 24, SPECIALITY: 20, EMPLOYER: 30}

# The Chinese names of the choices, as the sheet writes them; a few other spellings are read too.
KIND_NAMES = {MemberKind.UNIT: "单位会员", MemberKind.INDIVIDUAL: "个人会员"}
KIND_ALIASES = {"单位": MemberKind.UNIT, "个人": MemberKind.INDIVIDUAL}
TYPE_NAMES = {
    OrganisationType.ENTERPRISE: "企业",
    OrganisationType.PUBLIC_INSTITUTION: "事业单位",
    OrganisationType.SOCIAL_ORGANISATION: "社会组织",
    OrganisationType.RESEARCH_INSTITUTE: "科研院所",
    OrganisationType.UNIVERSITY: "高校",
    OrganisationType.GOVERNMENT: "机关",
    OrganisationType.OTHER: "其他",
}
TYPE_ALIASES = {"社会团体": OrganisationType.SOCIAL_ORGANISATION, "高等院校": OrganisationType.UNIVERSITY}
POSITION_NAMES = {
    CouncilPosition.PRESIDENT: "会长",
    CouncilPosition.VICE_PRESIDENT: "副会长",
    CouncilPosition.EXECUTIVE_DIRECTOR: "常务理事",
    CouncilPosition.DIRECTOR: "理事",
    CouncilPosition.MEMBER: "会员",
}
POSITION_ALIASES = {"会长单位": CouncilPosition.PRESIDENT, "副会长单位": CouncilPosition.VICE_PRESIDENT}
STATUS_NAMES = {MemberStatus.ACTIVE: "在册", MemberStatus.SUSPENDED: "暂停", MemberStatus.WITHDRAWN: "退会"}
CATEGORY_NAMES = {IndividualCategory.EXPERT: "专家", IndividualCategory.YOUNG_TALENT: "青年人才"}

WRONG_HEADERS = _(
    "The first row of the first sheet must name the columns %(expected)s (电子邮箱 may be left out). "
    "Missing or repeated: %(missing)s."
)
UNKNOWN_CHOICE = _("“%(value)s” is not one of %(choices)s.")
DUPLICATE_ROW = _("row %(other)s is the same member.")
IMPORTED = _("Changed by an Excel import.")


def sheet_read(content: bytes) -> tablib.Dataset:
    return spreadsheets.sheet_read(content, required=REQUIRED_HEADERS, expected=HEADERS, wrong_headers=WRONG_HEADERS)


# Cells → values ---------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    def __init__(self, *, required: bool = False):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if self.required and not text:
            raise ValueError(REQUIRED)
        return text


class ChoiceWidget(widgets.Widget):
    """A choice by its Chinese name (or its label or key). An empty cell is blank, or with
    `keep` None: the field keeps its value (the default for a new member)."""

    def __init__(self, names: dict, choices, *, aliases=None, required: bool = False, keep: bool = False):
        super().__init__()
        self.names, self.choices, self.aliases = names, choices, aliases or {}
        self.required, self.keep = required, keep

    def clean(self, value, row=None, **kwargs):
        text = "".join(_text(value).split())
        if not text:
            if self.required:
                raise ValueError(REQUIRED)
            return None if self.keep else ""
        known = self._known()
        if text not in known:
            raise ValueError(UNKNOWN_CHOICE % {"value": text, "choices": "、".join(self.names.values())})
        return known[text]

    def _known(self) -> dict[str, str]:
        """Every spelling read: Chinese name, alias, key, English label, label in the user's language."""
        known = {key: key for key in self.choices.values}
        with translation.override("en"):
            known |= {str(label): key for key, label in self.choices.choices}
        known |= {str(label): key for key, label in self.choices.choices}
        return known | self.aliases | {name: key for key, name in self.names.items()}

    def render(self, value, obj=None, **kwargs):
        return self.names.get(value, "")


class CreditCodeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        code = credit_code_normalise(_text(value))
        if code:
            try:
                credit_code_validate(code)
            except ValidationError as error:
                raise ValueError(" ".join(error.messages)) from None
        return code
