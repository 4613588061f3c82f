"""The unit tree (协会 → 部门/分支机构; 区 → 环卫中心 → 股室/环卫所; 区 → 街道 → 社区) and people."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PATH_SEPARATOR = "/"


class UnitKind(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    DEPARTMENT = "department", _("Secretariat department")
    BRANCH = "branch", _("Branch")
    CENTER = "center", _("Sanitation center")
    SECTION = "section", _("Section")
    STATION = "station", _("Sanitation station")
    DISTRICT = "district", _("District")
    OFFICE = "office", _("Sorting office")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    OTHER = "other", _("Other unit")


class Unit(models.Model):
    """A node of an organisation's tree; the root of a tree is the organisation (tenant)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", _("Use capital letters, digits and hyphens."))],
        help_text=_("Capital letters, digits and hyphens; cannot be changed later."),
    )
    name = models.CharField(_("full name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    aliases = models.JSONField(
        _("aliases"), default=list, blank=True, help_text=_("Other names documents use for this unit.")
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Materialised path of codes ("CD/CD-JD01/"): a subtree is one indexed prefix match.
    path = models.CharField(max_length=500, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_name_unique_among_siblings"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The path is derived from the parent's; keeping it in step is an invariant of the row.
        if self.parent_id:
            self.path = f"{self.parent.path}{self.code}{PATH_SEPARATOR}"
            self.depth = self.parent.depth + 1
        else:
            self.path = f"{self.code}{PATH_SEPARATOR}"
            self.depth = 0
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def organisation_path(self) -> str:
        """Path prefix of the organisation (tree root) this unit belongs to."""
        return self.path.split(PATH_SEPARATOR, 1)[0] + PATH_SEPARATOR

    def names(self) -> list[str]:
        """Every name a document may use for this unit."""
        return [n for n in (self.name, self.short_name, *self.aliases) if n]


class User(AbstractUser):
    display_name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_username()


class Role(models.TextChoices):
    SECRETARIAT = "secretariat", _("Secretariat staff")
    CLERK = "clerk", _("Sorting-office clerk")
    UNIT_STAFF = "unit_staff", _("Unit staff")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class Membership(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"
