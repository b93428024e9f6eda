"""The inbox's page and its unread head (the home panel, the badge) are read from the head of the inbox index,
in its order, without PostgreSQL reading or sorting the person's whole history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ces.notifications import selectors

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

INDEX = "notification_inbox_order"


@pytest.fixture
def history(pasante_a):
    now = timezone.now()
    for n in range(12):
        NotificationFactory(recipient=pasante_a, delivered_at=now - timedelta(hours=n),
                            read_at=now if n % 3 else None)
    NotificationFactory(recipient=pasante_a, delivered_at=None, state="pending")  # not delivered: never shown
    NotificationFactory()  # someone else's
    return pasante_a


def plan_of(queryset=None, *, sql=None, params=()) -> str:
    if queryset is not None:
        sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A dozen rows, which PostgreSQL would rather scan and sort: with scans and sorts priced out, a Sort or
        # another index left in the plan means the inbox index cannot serve the read in its order.
        cursor.execute("ANALYZE notifications_notification")
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("read", [
    pytest.param(lambda user: selectors.inbox_for(user)[:25], id="the inbox's first page"),
    pytest.param(lambda user: selectors.inbox_for(user)[25:50], id="its second page"),
    pytest.param(lambda user: selectors.unread_for(user)[:5], id="the home panel's unread notices"),
])
def test_each_read_walks_the_index_in_order_and_sorts_nothing(history, read):
    plan = plan_of(read(history))
    assert INDEX in plan and "Sort" not in plan, plan


def test_the_unread_count_is_read_from_the_index(history):
    with CaptureQueriesContext(connection) as queries:
        assert selectors.unread_count(history) == 4
    plan = plan_of(sql=queries.captured_queries[0]["sql"])
    assert INDEX in plan, plan


def test_the_inbox_shows_unread_first_then_newest_first_and_the_panel_is_its_head(history):
    inbox = list(selectors.inbox_for(history))
    assert len(inbox) == 12
    unread = [n for n in inbox if n.read_at is None]
    assert inbox[:4] == unread
    for part in (inbox[:4], inbox[4:]):
        assert [n.delivered_at for n in part] == sorted((n.delivered_at for n in part), reverse=True)
    assert list(selectors.unread_for(history)) == unread
