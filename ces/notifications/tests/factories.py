from datetime import timedelta

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ces.accounts.tests.factories import UserFactory
from ces.notifications.models import Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    """A delivered inbox entry about its own recipient (any model will do as a subject)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "tests.ping"
    subject_type = factory.LazyFunction(lambda: ContentType.objects.get_by_natural_key("accounts", "user"))
    subject_id = factory.LazyAttribute(lambda o: o.recipient.pk)
    occurrence = factory.Sequence(lambda n: f"occurrence-{n}")
    due_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    next_attempt_at = factory.LazyAttribute(lambda o: o.due_at)
    state = Notification.State.SENT
    title = factory.Sequence(lambda n: f"Aviso {n}")
    body = "Texto del aviso."
    link = "/clinicas/"
    delivered_at = factory.LazyAttribute(lambda o: o.due_at)
    sent_at = factory.LazyAttribute(lambda o: o.due_at)
