"""The pages: inbox, mark as read, e-mail preferences, the coordinators' page; scoping and query counts."""

import pytest
from django.urls import reverse

from ces.notifications import selectors
from ces.notifications.models import EmailPreference, Notification

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db
INBOX = reverse("notifications:inbox")
OUTBOX = reverse("notifications:outbox")
PREFERENCES = reverse("notifications:preferences")
BADGE = reverse("notifications:badge")


def mark_read_url(n):
    return reverse("notifications:mark-read", args=[n.pk])


# --- Inbox -----------------------------------------------------------------------------------------------


def test_inbox_lists_my_notices_unread_first(client, pasante_a):
    read = NotificationFactory(recipient=pasante_a, title="Leído", read_at="2026-01-01T10:00:00Z")
    unread = NotificationFactory(recipient=pasante_a, title="Sin leer")
    client.force_login(pasante_a)
    page = client.get(INBOX).content.decode()
    assert page.index(unread.title) < page.index(read.title)


def test_inbox_hides_notices_not_yet_delivered(client, pasante_a):
    NotificationFactory(recipient=pasante_a, title="Todavía no", delivered_at=None, state="pending")
    client.force_login(pasante_a)
    assert "Todavía no" not in client.get(INBOX).content.decode()


def test_nobody_sees_anothers_notices(client, pasante_a, pasante_b):
    NotificationFactory(recipient=pasante_a, title="Para la pasante A")
    client.force_login(pasante_b)
    assert "Para la pasante A" not in client.get(INBOX).content.decode()


def test_inbox_asks_the_anonymous_to_log_in(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/cuentas/login/" in response["Location"]


def test_the_header_fetches_my_unread_count(client, pasante_a):
    NotificationFactory.create_batch(3, recipient=pasante_a)
    NotificationFactory(recipient=pasante_a, read_at="2026-01-01T10:00:00Z")
    NotificationFactory(title="De otra persona")
    client.force_login(pasante_a)
    assert f'hx-get="{BADGE}"' in client.get(INBOX).content.decode()
    with_count = client.get(BADGE).content.decode()
    assert '<span class="count">3</span>' in with_count
    assert 'hx-trigger="every 120s"' in with_count  # keeps polling, never reloads itself on load


def test_the_unread_count_drops_when_i_read_one(client, pasante_a):
    first, _second = NotificationFactory.create_batch(2, recipient=pasante_a)
    client.force_login(pasante_a)
    client.post(mark_read_url(first))
    assert '<span class="count">1</span>' in client.get(BADGE).content.decode()


def test_the_unread_count_is_empty_for_the_anonymous(client):
    response = client.get(BADGE)
    assert response.status_code == 204 and response.content == b""


def test_the_unread_count_costs_one_query_after_the_session(client, pasante_a, django_assert_num_queries):
    NotificationFactory.create_batch(3, recipient=pasante_a)
    client.force_login(pasante_a)
    with django_assert_num_queries(2):  # user, count (the session is read from Redis)
        client.get(BADGE)


@pytest.mark.parametrize("size", [3, 30])
def test_inbox_runs_a_fixed_number_of_queries(client, pasante_a, django_assert_num_queries, size):
    NotificationFactory.create_batch(size, recipient=pasante_a)
    client.force_login(pasante_a)
    # the user with their roles (navigation), count, page
    with django_assert_num_queries(3):
        assert client.get(INBOX).status_code == 200


# --- Mark as read ----------------------------------------------------------------------------------------


def test_marking_as_read_with_htmx_returns_the_updated_entry(client, pasante_a):
    n = NotificationFactory(recipient=pasante_a)
    client.force_login(pasante_a)
    response = client.post(mark_read_url(n), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="notice-{n.pk}"' in response.content.decode()
    assert "Mark as read" not in response.content.decode() and "Marcar" not in response.content.decode()
    n.refresh_from_db()
    assert n.read_at is not None


def test_marking_as_read_without_htmx_goes_back_to_the_inbox(client, pasante_a):
    n = NotificationFactory(recipient=pasante_a)
    client.force_login(pasante_a)
    response = client.post(mark_read_url(n))
    assert response.status_code == 302 and response["Location"] == INBOX
    n.refresh_from_db()
    assert n.read_at is not None


def test_marking_anothers_notice_as_read_is_not_found(client, pasante_a, pasante_b):
    n = NotificationFactory(recipient=pasante_a)
    client.force_login(pasante_b)
    assert client.post(mark_read_url(n)).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_marking_as_read_needs_a_post(client, pasante_a):
    n = NotificationFactory(recipient=pasante_a)
    client.force_login(pasante_a)
    assert client.get(mark_read_url(n)).status_code == 405
    n.refresh_from_db()
    assert n.read_at is None


# --- Preferences -----------------------------------------------------------------------------------------


def test_a_coordinator_can_turn_off_email_for_a_kind(client, coordinator):
    client.force_login(coordinator)
    page = client.get(PREFERENCES)
    assert "clinics.coverage_gap" in page.content.decode()
    response = client.post(PREFERENCES, {})  # the box unticked
    assert response.status_code == 302
    assert EmailPreference.objects.get(user=coordinator, kind="clinics.coverage_gap").email is False
    client.post(PREFERENCES, {"clinics.coverage_gap": "on"})
    assert EmailPreference.objects.get(user=coordinator, kind="clinics.coverage_gap").email is True


def test_preferences_offer_only_the_kinds_of_my_roles(client, pasante_a):
    client.force_login(pasante_a)
    assert "clinics.coverage_gap" not in client.get(PREFERENCES).content.decode()
    client.post(PREFERENCES, {"clinics.coverage_gap": "on", "made.up": "on"})
    # The pasante's own kinds (the pharmacy's) are stored; a coordinator's kind or a made-up one never is.
    assert not EmailPreference.objects.filter(user=pasante_a, kind__in=["clinics.coverage_gap", "made.up"]).exists()


# --- The coordinators' page ------------------------------------------------------------------------------


@pytest.fixture
def sent_and_failed(pasante_a, pasante_b):
    sent = NotificationFactory(recipient=pasante_a, title="Aviso-entregado-7431")
    failed = NotificationFactory(recipient=pasante_b, title="Aviso-con-error-9182", state=Notification.State.FAILED,
                                 last_error="SMTP server unreachable", attempts=5)
    return sent, failed


@pytest.mark.parametrize("persona", ["coordinator", "admin_user"])
def test_coordinators_and_admins_see_what_was_sent_and_what_failed(client, sent_and_failed, persona, request):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(OUTBOX).content.decode()
    assert "Aviso-entregado-7431" in page and "Aviso-con-error-9182" in page and "SMTP server unreachable" in page


def test_the_coordinators_page_filters_by_state(client, coordinator, sent_and_failed):
    client.force_login(coordinator)
    page = client.get(OUTBOX, {"state": "failed"}).content.decode()
    assert "Aviso-con-error-9182" in page and "Aviso-entregado-7431" not in page


def test_the_coordinators_page_searches_by_person(client, coordinator, sent_and_failed, pasante_b):
    client.force_login(coordinator)
    page = client.get(OUTBOX, {"q": pasante_b.email}).content.decode()
    assert "Aviso-con-error-9182" in page and "Aviso-entregado-7431" not in page


def test_an_unknown_state_is_a_clear_message_not_an_error(client, coordinator, sent_and_failed):
    client.force_login(coordinator)
    response = client.get(OUTBOX, {"state": "lost-in-the-mail"})
    assert response.status_code == 200
    assert response.context["form"].errors["state"]
    page = response.content.decode()
    assert "Aviso-con-error-9182" in page and "Aviso-entregado-7431" in page


@pytest.mark.parametrize("persona", ["pasante_a", "supervisor", "pharmacy", "outsider"])
def test_others_may_not_see_the_coordinators_page(client, sent_and_failed, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(OUTBOX).status_code == 403


@pytest.mark.parametrize("size", [3, 30])
def test_the_coordinators_page_runs_a_fixed_number_of_queries(
    client, coordinator, pasante_a, django_assert_num_queries, size
):
    NotificationFactory.create_batch(size, recipient=pasante_a)
    client.force_login(coordinator)
    # the user with their roles, count, page (with recipients), state counts
    with django_assert_num_queries(4):
        assert client.get(OUTBOX).status_code == 200


# --- Home panel ------------------------------------------------------------------------------------------


def test_my_home_page_lists_my_unread_notices(client, pasante_a):
    NotificationFactory(recipient=pasante_a, title="Sin leer en casa")
    NotificationFactory(recipient=pasante_a, title="Ya leído", read_at="2026-01-01T10:00:00Z")
    client.force_login(pasante_a)
    page = client.get(reverse("accounts:home")).content.decode()
    assert "Sin leer en casa" in page and "Ya leído" not in page


def test_the_home_panel_shows_my_five_newest_unread_notices_newest_first(rf, pasante_a, pasante_b,
                                                                        django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from ces.notifications.panels import notices

    now = timezone.now()
    for days in (9, 2, 7, 1, 5, 3, 8):
        NotificationFactory(recipient=pasante_a, title=f"Hace {days} días", due_at=now - timedelta(days=days))
    NotificationFactory(recipient=pasante_a, title="Leído ayer", due_at=now - timedelta(hours=1), read_at=now)
    NotificationFactory(recipient=pasante_a, title="Aún no entregado", due_at=now, delivered_at=None)
    NotificationFactory(recipient=pasante_b, title="De otra persona", due_at=now)
    request = rf.get("/")
    request.user = pasante_a
    assert pasante_a.roles  # the roles are read before, as the home page has them
    with django_assert_num_queries(1):
        unread = notices(request)["unread"]
    assert [n.title for n in unread] == [f"Hace {days} días" for days in (1, 2, 3, 5, 7)]


def test_a_coordinators_home_page_tells_of_failed_notices(client, coordinator, sent_and_failed):
    client.force_login(coordinator)
    page = client.get(reverse("accounts:home")).content.decode()
    assert f'{OUTBOX}?state=failed' in page


def test_the_home_panel_counts_only_the_failed_notices(client, coordinator, pasante_a, sent_and_failed):
    NotificationFactory(recipient=pasante_a, title="Otro error", state=Notification.State.FAILED)
    NotificationFactory(recipient=pasante_a, title="Pendiente", state=Notification.State.PENDING)
    client.force_login(coordinator)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    notices = next(ctx for panel, ctx in response.context["panels"] if panel.key == "notifications")
    assert notices["failed"] == 2


def test_the_failed_count_is_nothing_for_who_may_not_see_the_outbox(pharmacy, sent_and_failed):
    assert selectors.outbox_failed_count(pharmacy) == 0
