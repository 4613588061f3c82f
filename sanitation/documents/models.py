"""Official documents (公文): issuers with their document numbers, and circulars."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .content import CircularContent


class DocumentIssuer(models.Model):
    """A unit that issues numbered documents, with the parts of its letterhead."""

    unit = models.OneToOneField(
        "organisations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="document_issuer"
    )
    prefix = models.CharField(_("number prefix"), max_length=20, help_text=_("e.g. 中环卫 in 中环卫〔2022〕03号"))
    number_padding = models.PositiveSmallIntegerField(
        _("number digits"),
        default=0,
        validators=[MaxValueValidator(4)],
        help_text=_("Pad the sequence to this many digits (2 gives 03); 0 writes it as it is (3)."),
    )
    mark = models.CharField(_("issuer mark"), max_length=60, help_text=_("e.g. 中国城市环境卫生协会文件"))
    signature = models.CharField(_("signature"), max_length=60, blank=True)
    printed_by = models.CharField(_("printing office"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("document issuer")
        verbose_name_plural = _("document issuers")
        ordering = ["unit__path"]

    def __str__(self):
        return self.prefix

    def format_number(self, year: int, sequence: int) -> str:
        return f"{self.prefix}〔{year}〕{sequence:0{self.number_padding}d}号"


class NumberCounter(models.Model):
    """The last number an issuer gave in a year. Set it by hand when an office starts using
    the system in the middle of a year, so the next number follows the paper ones."""

    issuer = models.ForeignKey(DocumentIssuer, verbose_name=_("issuer"), on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="one_counter_per_issuer_year")]

    def __str__(self):
        return f"{self.issuer}〔{self.year}〕{self.last_number}"


class CircularKind(models.TextChoices):
    NOTICE = "notice", _("Notice")  # 通知
    BULLETIN = "bulletin", _("Bulletin")  # 通报
    MINUTES = "minutes", _("Minutes")  # 纪要
    REPORT = "report", _("Report")  # 报告


class CircularStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")


class IssuedCircularError(Exception):
    """An issued circular never changes; a correction is a new circular."""


class Circular(models.Model):
    # History keys that are not fields (sanitation.core.history).
    HISTORY_LABELS = {"corrected_by": _("corrected by")}

    issuer = models.ForeignKey(DocumentIssuer, verbose_name=_("issuer"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=20, choices=CircularKind.choices, default=CircularKind.NOTICE)
    title = models.CharField(_("title"), max_length=200)
    recipients = models.CharField(_("recipients"), max_length=500, blank=True, help_text=_("主送, e.g. 各街道、各社区"))
    body = models.TextField(
        _("body"),
        help_text=_("One paragraph per line; headings start with 一、 （一） 1. （1）; # Title starts an attachment."),
    )
    attachments = models.TextField(_("attachment list"), blank=True, help_text=_("One attachment name per line."))
    signature = models.CharField(_("signature"), max_length=60, blank=True)
    written_on = models.DateField(_("date of writing"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("附注, printed in parentheses"))
    copy_to = models.CharField(_("copied to"), max_length=1000, blank=True)
    printed_by = models.CharField(_("printing office"), max_length=60, blank=True)
    printed_on = models.DateField(_("printing date"), null=True, blank=True)
    # Charts and tables a report embeds with [[figure:NAME]]: markup our own code made.
    figures = models.JSONField(default=dict, blank=True, editable=False)

    status = models.CharField(
        _("status"), max_length=10, choices=CircularStatus.choices, default=CircularStatus.DRAFT, db_index=True
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    number = models.CharField(_("document number"), max_length=40, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to="circulars/%Y/", blank=True, editable=False)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True, editable=False)
    pdf_pages = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("circular")
        verbose_name_plural = _("circulars")
        ordering = ["-issued_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="one_circular_per_number",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | (models.Q(sequence__isnull=False) & ~models.Q(pdf_sha256="")),
                name="issued_circular_has_number_and_pdf",
            ),
        ]
        indexes = [models.Index(fields=["issuer", "status", "year"])]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    def save(self, *args, **kwargs):
        if getattr(self, "_stored_status", None) == CircularStatus.ISSUED:
            raise IssuedCircularError(self.number)
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args, **kwargs):
        if CircularStatus.ISSUED in (self.status, getattr(self, "_stored_status", None)):
            raise IssuedCircularError(self.number)
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.status
        return instance

    @property
    def is_issued(self) -> bool:
        return self.status == CircularStatus.ISSUED

    def attachment_names(self) -> list[str]:
        return [line.strip() for line in self.attachments.splitlines() if line.strip()]

    def content(self, **overrides) -> CircularContent:
        values = {
            "title": self.title,
            "body": self.body,
            "mark": self.issuer.mark,
            "number": self.number,
            "recipients": self.recipients,
            "attachments": self.attachment_names(),
            "signature": self.signature,
            "written_on": self.written_on,
            "note": self.note,
            "copy_to": self.copy_to,
            "printed_by": self.printed_by,
            "printed_on": self.printed_on,
            "figures": self.figures,
        }
        return CircularContent(**(values | overrides))

    def download_name(self) -> str:
        return f"{self.number or _('draft')} {self.title}.pdf"
