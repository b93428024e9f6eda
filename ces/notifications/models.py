from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils.translation import gettext_lazy as _

# "Not read yet", as the inbox orders by it (unread first) and its index holds it.
UNREAD = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())


class Notification(models.Model):
    """One reminder for one person: materialised from a rule, then claimed, sent and read.

    The unique key (kind, subject, occurrence, recipient) is what makes a reminder exactly-once: however
    many times a rule is evaluated, by however many beat processes, there is one row. The state machine
    lives in ``services.py``; every transition is a conditional UPDATE on the current state.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=100)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    occurrence = models.CharField(_("occurrence"), max_length=100)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    # What the recipient reads, rendered in their language when it is delivered.
    title = models.CharField(_("title"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("in the inbox since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed = models.BooleanField(_("e-mailed"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-due_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "occurrence", "recipient"],
                name="notification_once_per_occurrence_and_recipient",
            ),
        ]
        indexes = [
            # The dispatcher's claim: pending rows whose time has come, and sending rows whose lease ran out.
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="notification_pending_due"),
            models.Index(fields=["claimed_until"], condition=Q(state="sending"), name="notification_sending_lease"),
            # The inbox in its own order (selectors.INBOX_ORDER): a person's delivered notices, unread first, then
            # newest first. The page of a long history and the unread ones (the home panel, the badge's count)
            # are read from its head; an index on read_at itself cannot serve "unread first" (decision 0016).
            models.Index(
                F("recipient"), UNREAD.desc(), F("delivered_at").desc(), F("id").desc(),
                condition=Q(delivered_at__isnull=False), name="notification_inbox_order",
            ),
            models.Index(fields=["state", "-due_at"], name="notification_state_due"),
        ]

    def __str__(self):
        return self.title or f"{self.kind} · {self.occurrence}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class EmailPreference(models.Model):
    """Whether a person also wants e-mail for a kind of notification. No row means yes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=100)
    email = models.BooleanField(_("also by e-mail"), default=True)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_preference_once_per_kind"),
        ]

    def __str__(self):
        return f"{self.user} · {self.kind}: {self.email}"

