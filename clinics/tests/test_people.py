"""People and accounts (people10): the services (add, edit, deactivate; invitations; the cohort import), the
pages and their refusals, and the query counts of the new pages pinned at two sizes."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone, translation

from ces.accounts.models import User
from ces.accounts.roles import Role
from clinics import services
from clinics.cohort_import import cohort_import
from clinics.models import Assignment, Cadre, Invitation, Staff
from clinics.tests.factories import AssignmentFactory, ClinicFactory, CohortFactory, StaffFactory
from tests.kit import LAYOUT_QUERIES, client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LINK = re.compile(r"https?://[^\s]+/clinicas/invitacion/([^/\s]+)/")


def link_token(message) -> str:
    return LINK.search(message.body).group(1)


@pytest.fixture
def cohort(db):
    return CohortFactory(name="Promoción 2027", start_date=TODAY + timedelta(days=30),
                         end_date=TODAY + timedelta(days=395))


@pytest.fixture
def person(cohort):
    return services.person_add(full_name="  Itzel   Moreno Cruz ", cadre=Cadre.PASANTE, email="Itzel@Example.mx",
                               cohort=cohort)


# --- Services: a person ----------------------------------------------------------------------------------------


def test_person_add_tidies_name_and_email(person):
    assert person.full_name == "Itzel Moreno Cruz"
    assert person.email == "itzel@example.mx"
    assert person.user is None


def test_duplicate_email_is_refused_with_a_message(person):
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        services.person_add(full_name="Otra Persona", cadre=Cadre.NURSE, email="ITZEL@example.mx")
    assert "Itzel Moreno Cruz already has this e-mail address." in caught.value.message_dict["email"]
    assert Staff.objects.filter(email__iexact="itzel@example.mx").count() == 1


def test_bad_curp_is_refused(cohort):
    with pytest.raises(ValidationError) as caught:
        services.person_add(full_name="Ana Ruiz", cadre=Cadre.PASANTE, curp="ABC123", cohort=cohort)
    assert "curp" in caught.value.message_dict
    assert not Staff.objects.filter(full_name="Ana Ruiz").exists()


def test_good_curp_is_kept_in_capitals(cohort):
    staff = services.person_add(full_name="Ana Ruiz", cadre=Cadre.PASANTE, curp="goma850312mcsnrr09", cohort=cohort)
    assert staff.curp == "GOMA850312MCSNRR09"


def test_a_cohort_is_for_pasantes_only(cohort):
    with pytest.raises(ValidationError) as caught:
        services.person_add(full_name="Rosa Díaz", cadre=Cadre.NURSE, cohort=cohort)
    assert "cohort" in caught.value.message_dict


def test_person_update_changes_the_account_too(person):
    invitation, _token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    services.person_update(staff=person, phone=" 961 123 4567 ", full_name="Itzel Moreno")
    invitation.user.refresh_from_db()
    assert invitation.user.phone == "961 123 4567"
    assert invitation.user.full_name == "Itzel Moreno"


def test_person_update_refuses_a_colleagues_email(person):
    other = StaffFactory(email="otra@example.mx", cadre=Cadre.NURSE)
    with pytest.raises(ValidationError):
        services.person_update(staff=other, email="itzel@example.mx")
    other.refresh_from_db()
    assert other.email == "otra@example.mx"


def test_person_history_is_recorded(person):
    services.person_update(staff=person, phone="961 000 0000")
    assert [e.phone for e in person.events.order_by("pgh_id")] == ["", "961 000 0000"]


# --- Services: deactivation ---------------------------------------------------------------------------------


def test_deactivate_ends_open_assignments_on_the_day(clinic_a):
    staff = StaffFactory(cadre=Cadre.NURSE)
    post = AssignmentFactory(staff=staff, clinic=clinic_a, role=Assignment.Role.NURSE,
                             start_date=TODAY - timedelta(days=40), end_date=None)
    ended = AssignmentFactory(staff=staff, clinic=ClinicFactory(), role=Assignment.Role.NURSE,
                              start_date=TODAY - timedelta(days=100), end_date=TODAY - timedelta(days=50))
    services.person_deactivate(staff=staff, last_day=TODAY + timedelta(days=3))
    post.refresh_from_db()
    ended.refresh_from_db()
    assert post.end_date == TODAY + timedelta(days=3)
    assert ended.end_date == TODAY - timedelta(days=50)
    staff.refresh_from_db()
    assert not staff.active
    assert staff.last_day == TODAY + timedelta(days=3)
    assert Staff.objects.filter(pk=staff.pk).exists()


def test_deactivate_refuses_with_a_post_starting_after_the_last_day(clinic_a):
    staff = StaffFactory(cadre=Cadre.NURSE)
    AssignmentFactory(staff=staff, clinic=clinic_a, role=Assignment.Role.NURSE,
                      start_date=TODAY + timedelta(days=10), end_date=None)
    with pytest.raises(ValidationError) as caught:
        services.person_deactivate(staff=staff, last_day=TODAY)
    assert "last_day" in caught.value.message_dict
    staff.refresh_from_db()
    assert staff.active


def test_deactivate_twice_is_refused(clinic_a):
    staff = StaffFactory(cadre=Cadre.NURSE)
    services.person_deactivate(staff=staff)
    with pytest.raises(ValidationError):
        services.person_deactivate(staff=staff)


def test_deactivation_ends_access_the_next_day(pasante_a, clinic_a, password):
    staff = pasante_a.staff
    services.person_deactivate(staff=staff, last_day=TODAY)
    client = client_for(pasante_a)
    # Today is still their last day: they are in, and still see their clinic.
    assert client.get(reverse("clinics:clinic-detail", args=[clinic_a.pk])).status_code == 200
    assert services.accounts_close_due(today=TODAY) == 0
    # The day after, the beat task closes the account: the open session and any new login stop working.
    assert services.accounts_close_due(today=TODAY + timedelta(days=1)) == 1
    pasante_a.refresh_from_db()
    assert not pasante_a.is_active
    response = client.get(reverse("clinics:clinic-detail", args=[clinic_a.pk]))
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("account_login"))
    assert not client.login(email=pasante_a.email, password=password)
    assert services.accounts_close_due(today=TODAY + timedelta(days=1)) == 0


def test_deactivation_with_a_past_last_day_closes_the_account_at_once(pasante_a):
    services.person_deactivate(staff=pasante_a.staff, last_day=TODAY - timedelta(days=1))
    pasante_a.refresh_from_db()
    assert not pasante_a.is_active


def test_the_persons_page_says_their_account_is_deactivated(pasante_a, coordinator):
    services.person_deactivate(staff=pasante_a.staff, last_day=TODAY - timedelta(days=1))
    page = client_for(coordinator, language="es").get(pasante_a.staff.get_absolute_url()).content.decode()
    assert "Cuenta desactivada" in page and "Tiene cuenta" not in page


# --- Services: invitations ------------------------------------------------------------------------------------


def test_invitation_is_sent_in_the_persons_language_with_a_one_time_link(
    person, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE], base_url="http://testserver")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["itzel@example.mx"]
    assert "Hola" in message.body  # Spanish by default
    assert link_token(message) == token
    assert token not in invitation.token_hash
    assert invitation.expires_at - invitation.sent_at == timedelta(days=settings.INVITATION_DAYS)
    user = User.objects.get(email="itzel@example.mx")
    assert not user.has_usable_password()
    assert user.roles == {Role.PASANTE}
    assert invitation.state == Invitation.State.SENT


def test_invitation_in_english_for_an_english_speaker(person, django_capture_on_commit_callbacks):
    user = User.objects.create_user(email=person.email, preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_send(staff=person, roles=[Role.PASANTE])
    assert "Hello" in mail.outbox[0].body
    person.refresh_from_db()
    assert person.user == user


def test_invitation_roles_replace_the_previous_ones(person):
    services.invitation_send(staff=person, roles=[Role.PASANTE, Role.VISITOR_PROGRAM])
    services.invitation_send(staff=person, roles=[Role.PASANTE])
    person.refresh_from_db()
    assert set(person.user.groups.values_list("name", flat=True)) == {Role.PASANTE}


def test_applicant_role_cannot_be_given(person):
    with pytest.raises(ValidationError) as caught:
        services.invitation_send(staff=person, roles=[Role.APPLICANT])
    assert "roles" in caught.value.message_dict
    assert not Invitation.objects.exists()
    assert not User.objects.filter(email=person.email).exists()


def test_only_an_admin_gives_the_admin_role(person, coordinator, admin_user):
    with pytest.raises(ValidationError) as caught:
        services.invitation_send(staff=person, roles=[Role.ADMIN], by=coordinator)
    assert "roles" in caught.value.message_dict
    assert not Invitation.objects.exists()
    invitation, _token = services.invitation_send(staff=person, roles=[Role.ADMIN], by=admin_user)
    assert invitation.roles == [Role.ADMIN]


def test_the_invite_page_offers_the_admin_role_to_admins_only(person, coordinator, admin_user):
    url = reverse("clinics:person-invite", args=[person.pk])
    assert 'value="admin"' not in client_for(coordinator).get(url).content.decode()
    assert 'value="admin"' in client_for(admin_user).get(url).content.decode()
    assert 'value="visitor_program"' in client_for(coordinator).get(url).content.decode()
    assert 'value="applicant"' not in client_for(admin_user).get(url).content.decode()


def test_invitation_needs_an_email(cohort):
    staff = services.person_add(full_name="Sin Correo", cadre=Cadre.PASANTE, cohort=cohort)
    with pytest.raises(ValidationError) as caught:
        services.invitation_send(staff=staff, roles=[Role.PASANTE])
    assert "email" in caught.value.message_dict


def test_invitation_is_accepted_once(person):
    _invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    invitation = services.invitation_accept(token=token, password="maiz-y-frijol-2027")
    assert invitation.state == Invitation.State.ACCEPTED
    assert invitation.user.check_password("maiz-y-frijol-2027")
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=token, password="otra-clave-larga-2027")
    invitation.user.refresh_from_db()
    assert invitation.user.check_password("maiz-y-frijol-2027")


def test_expired_invitation_says_so(person):
    invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=9),
                                                       expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.InvitationExpired):
        services.invitation_accept(token=token, password="maiz-y-frijol-2027")
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.EXPIRED
    assert not invitation.user.has_usable_password()


def test_resent_invitation_kills_the_old_link(person):
    first, old_token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    second, new_token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    first.refresh_from_db()
    assert first.state == Invitation.State.REVOKED
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=old_token, password="maiz-y-frijol-2027")
    services.invitation_accept(token=new_token, password="maiz-y-frijol-2027")


def test_a_weak_password_is_refused_and_the_link_still_works(person):
    _invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, password="123")
    services.invitation_accept(token=token, password="maiz-y-frijol-2027")


def test_deactivation_withdraws_pending_invitations(person):
    invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    services.person_deactivate(staff=person)
    with pytest.raises(services.InvitationInvalid):
        services.invitation_by_token(token)


# --- Pages ----------------------------------------------------------------------------------------------------


def test_coordinator_adds_a_person(coordinator, cohort):
    response = client_for(coordinator).post(reverse("clinics:person-create"), {
        "full_name": "Iván Pérez", "cadre": Cadre.PASANTE, "email": "ivan@example.mx", "phone": "", "curp": "",
        "cohort": cohort.pk, "notes": ""})
    staff = Staff.objects.get(email="ivan@example.mx")
    assert response.status_code == 302 and response.headers["Location"] == staff.get_absolute_url()
    assert staff.cohort == cohort


def test_add_with_a_duplicate_email_shows_the_message_and_writes_nothing(coordinator, person):
    response = client_for(coordinator).post(reverse("clinics:person-create"), {
        "full_name": "Otra", "cadre": Cadre.NURSE, "email": "itzel@example.mx"})
    assert response.status_code == 200
    assert "Itzel Moreno Cruz already has this e-mail address." in response.content.decode()
    assert Staff.objects.filter(email="itzel@example.mx").count() == 1


def test_add_with_an_unknown_cohort_is_a_form_error(coordinator):
    response = client_for(coordinator).post(reverse("clinics:person-create"), {
        "full_name": "Otra", "cadre": Cadre.PASANTE, "cohort": "99999"})
    assert response.status_code == 200
    assert "Choose one of the options in the list." in response.content.decode()
    assert not Staff.objects.filter(full_name="Otra").exists()


def test_supervisor_cannot_add_people(supervisor):
    assert client_for(supervisor).post(reverse("clinics:person-create"), {"full_name": "X"}).status_code == 403


def test_coordinator_edits_a_person(coordinator, person):
    response = client_for(coordinator).post(reverse("clinics:person-edit", args=[person.pk]), {
        "full_name": "Itzel Moreno Cruz", "cadre": Cadre.PASANTE, "email": "itzel@example.mx",
        "phone": "961 555 0101", "curp": "", "cohort": person.cohort_id, "notes": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "961 555 0101"


def test_deactivate_page_defaults_to_today_and_ends_posts(coordinator, clinic_a):
    staff = StaffFactory(cadre=Cadre.NURSE)
    post = AssignmentFactory(staff=staff, clinic=clinic_a, role=Assignment.Role.NURSE,
                             start_date=TODAY - timedelta(days=5), end_date=None)
    client = client_for(coordinator)
    assert TODAY.isoformat() in client.get(reverse("clinics:person-deactivate", args=[staff.pk])).content.decode()
    response = client.post(reverse("clinics:person-deactivate", args=[staff.pk]), {"last_day": TODAY.isoformat()})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.end_date == TODAY


def test_deactivate_page_with_a_bad_date_changes_nothing(coordinator):
    staff = StaffFactory(cadre=Cadre.NURSE)
    response = client_for(coordinator).post(reverse("clinics:person-deactivate", args=[staff.pk]),
                                            {"last_day": "31/02/2026"})
    assert response.status_code == 200
    staff.refresh_from_db()
    assert staff.active


def test_invite_page_sends_and_the_state_shows(coordinator, person, django_capture_on_commit_callbacks):
    client = client_for(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clinics:person-invite", args=[person.pk]), {"roles": [Role.PASANTE]})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "http://testserver/clinicas/invitacion/" in mail.outbox[0].body
    detail = client.get(person.get_absolute_url()).content.decode()
    assert "Invitation sent" in detail
    listing = client.get(reverse("clinics:staff-list")).content.decode()
    assert "Invitation sent" in listing


def test_invite_page_without_roles_is_a_form_error(coordinator, person):
    response = client_for(coordinator).post(reverse("clinics:person-invite", args=[person.pk]), {})
    assert response.status_code == 200
    assert "Choose at least one role." in response.content.decode()
    assert not Invitation.objects.exists()


def test_accept_page_sets_the_password_logs_in_and_lands_on_the_pasante_home(person, client):
    _invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    url = reverse("clinics:invitation-accept", args=[token])
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_password1": "maiz-y-frijol-2027", "new_password2": "maiz-y-frijol-2027"})
    assert response.status_code == 302 and response.headers["Location"] == reverse("accounts:home")
    home = client.get(reverse("accounts:home"))
    assert home.context["role"] == Role.PASANTE
    # Used: the same link now says what a wrong one says (in Spanish: the new person reads Spanish).
    again = client.get(url).content.decode()
    assert "Este enlace no es válido o ya se usó." in again


def test_a_guessed_token_and_a_used_one_read_the_same(person, client):
    _invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    services.invitation_accept(token=token, password="maiz-y-frijol-2027")
    used = client.get(reverse("clinics:invitation-accept", args=[token]))
    guessed = client.get(reverse("clinics:invitation-accept", args=["adivinanza"]))
    assert used.status_code == guessed.status_code == 200
    assert used.context["message"] == guessed.context["message"]
    assert "form" not in guessed.context
    assert person.email not in guessed.content.decode()


def test_an_expired_link_says_so_in_spanish_and_offers_nothing(person, client):
    invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=9),
                                                       expires_at=timezone.now() - timedelta(days=2))
    url = reverse("clinics:invitation-accept", args=[token])
    page = client.get(url).content.decode()
    assert "Esta invitación ha vencido" in page
    assert "accept-form" not in page and "new_password1" not in page
    response = client.post(url, {"new_password1": "maiz-y-frijol-2027", "new_password2": "maiz-y-frijol-2027"})
    assert "accept-form" not in response.content.decode()
    invitation.user.refresh_from_db()
    assert not invitation.user.has_usable_password()


def test_accept_with_mismatched_passwords_changes_nothing(person, client):
    invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    url = reverse("clinics:invitation-accept", args=[token])
    response = client.post(url, {"new_password1": "maiz-y-frijol-2027", "new_password2": "otra-cosa-2027"})
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- The cohort import ------------------------------------------------------------------------------------------

EXCEL_CP1252 = (
    "Nombre;Correo;Teléfono;CURP\r\n"
    "José Ñúñez Gómez;jose@example.mx;961 111 2222;GOMA850312MCSNRR09\r\n"
    "María Pérez;maria@example.mx;;\r\n"
    ";sin.nombre@example.mx;;\r\n"
    "Otra María;MARIA@example.mx;;\r\n"
    "Curp Mala;curp@example.mx;;XYZ\r\n"
).encode("cp1252")


def test_import_reads_excel_windows_1252_with_semicolons_and_reports_bad_rows(cohort):
    with translation.override("en"):
        report = cohort_import(cohort=cohort, data=EXCEL_CP1252)
    assert (report.created, report.updated) == (2, 0)
    assert [row.line for row in report.rejected] == [4, 5, 6]
    reasons = {row.line: " ".join(row.reasons) for row in report.rejected}
    assert "Full name is missing." in reasons[4]
    assert "already on line 3" in reasons[5]
    assert "CURP" in reasons[6]
    jose = Staff.objects.get(email="jose@example.mx")
    assert (jose.full_name, jose.cadre, jose.cohort, jose.phone) == ("José Ñúñez Gómez", Cadre.PASANTE, cohort,
                                                                   "961 111 2222")


def test_import_twice_updates_known_emails_instead_of_duplicating(cohort):
    cohort_import(cohort=cohort, data=EXCEL_CP1252)
    data = "name,email,phone\nJosé Núñez Gómez,JOSE@example.mx,961 999 0000\n".encode("utf-8-sig")
    report = cohort_import(cohort=cohort, data=data)
    assert (report.created, report.updated) == (0, 1)
    assert Staff.objects.filter(email__iexact="jose@example.mx").count() == 1
    assert Staff.objects.get(email="jose@example.mx").phone == "961 999 0000"


def test_import_refuses_a_known_email_of_someone_not_a_pasante(cohort):
    StaffFactory(email="enfermera@example.mx", cadre=Cadre.NURSE, full_name="Rosa Díaz")
    with translation.override("en"):
        report = cohort_import(cohort=cohort, data=b"nombre,correo\nRosa,enfermera@example.mx\n")
    assert report.imported == 0
    assert "not a pasante" in report.rejected[0].reasons[0]
    assert Staff.objects.get(email="enfermera@example.mx").cohort is None


@pytest.mark.parametrize("data", [b"", b"nombre;telefono\nAna;123\n", b"PK\x03\x04rest", b"nombre,correo\n"])
def test_a_file_that_is_not_a_roster_writes_nothing(cohort, data):
    with pytest.raises(ValidationError):
        cohort_import(cohort=cohort, data=data)
    assert not Staff.objects.filter(cohort=cohort).exists()


def test_import_page_shows_the_report(coordinator, cohort):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("promocion.csv", EXCEL_CP1252, content_type="text/csv")
    response = client_for(coordinator).post(reverse("clinics:cohort-import", args=[cohort.pk]), {"file": upload})
    assert response.status_code == 200
    assert response.context["report"].created == 2
    assert 'data-testid="rejected-row"' in response.content.decode()


def test_import_page_without_a_file_writes_nothing(coordinator, cohort):
    response = client_for(coordinator).post(reverse("clinics:cohort-import", args=[cohort.pk]), {})
    assert response.status_code == 200
    assert "Choose the CSV file to import." in response.content.decode()
    assert not Staff.objects.filter(cohort=cohort).exists()


# --- Query counts at two sizes ---------------------------------------------------------------------------------


def _people(size, cohort):
    for n in range(size):
        staff = StaffFactory(cadre=Cadre.PASANTE, cohort=cohort)
        if n % 2:
            services.invitation_send(staff=staff, roles=[Role.PASANTE])


@pytest.mark.parametrize("size", [3, 30])
def test_staff_list_with_invitation_states_query_count_is_fixed(coordinator, cohort, django_assert_num_queries,
                                                                  size):
    _people(size, cohort)
    client = client_for(coordinator)
    # clinic filter choices, count, page (with the latest invitation's state), current assignments
    with django_assert_num_queries(LAYOUT_QUERIES + 4):
        response = client.get(reverse("clinics:staff-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_import_post_query_count_is_fixed(coordinator, cohort, django_assert_num_queries, size):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _people(size, cohort)
    known = list(Staff.objects.filter(cohort=cohort).values_list("email", flat=True))
    lines = [f"Persona {n},{email}" for n, email in enumerate(known)]
    lines += [f"Nueva {n},nueva{n}@example.mx" for n in range(size)]
    data = ("nombre,correo\n" + "\n".join(lines) + "\n").encode()
    client = client_for(coordinator)
    # the cohort and its roster (2), the transaction's and the insert's savepoints (3), the people on file,
    # one insert, one update, one release
    with django_assert_num_queries(LAYOUT_QUERIES + 10):
        response = client.post(reverse("clinics:cohort-import", args=[cohort.pk]),
                               {"file": SimpleUploadedFile("p.csv", data, content_type="text/csv")})
    assert response.context["report"].created == size
    assert response.context["report"].updated == size


@pytest.mark.parametrize("size", [3, 30])
def test_person_page_with_invitations_query_count_is_fixed(coordinator, person, django_assert_num_queries, size):
    for _ in range(size):
        services.invitation_send(staff=person, roles=[Role.PASANTE])
    client = client_for(coordinator)
    # the person, the assignments, the invitations
    with django_assert_num_queries(LAYOUT_QUERIES + 3):
        response = client.get(person.get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 6])
def test_deactivate_post_query_count_is_fixed(coordinator, django_assert_num_queries, size):
    staff = StaffFactory(cadre=Cadre.NURSE)
    for _ in range(size):
        AssignmentFactory(staff=staff, clinic=ClinicFactory(), role=Assignment.Role.NURSE,
                          start_date=TODAY - timedelta(days=30), end_date=None)
    client = client_for(coordinator)
    # the person; then, in the transaction and its savepoints: lock, later posts, one UPDATE of the posts,
    # save, withdraw invitations, close the account (if due): the same however many posts
    with django_assert_num_queries(LAYOUT_QUERIES + 14):
        response = client.post(reverse("clinics:person-deactivate", args=[staff.pk]), {"last_day": TODAY.isoformat()})
    assert response.status_code == 302
    assert not Assignment.objects.filter(staff=staff, end_date__isnull=True).exists()
    assert staff.assignments.first().end_reason


@pytest.mark.parametrize("size", [3, 30])
def test_person_create_post_query_count_is_fixed(coordinator, cohort, django_assert_num_queries, size):
    StaffFactory.create_batch(size, cadre=Cadre.PASANTE, cohort=cohort)
    client = client_for(coordinator)
    # cohort choice, known e-mail, full_clean (with the cohort and the e-mail constraint), savepoints, insert
    with django_assert_num_queries(LAYOUT_QUERIES + 11):
        response = client.post(reverse("clinics:person-create"), {
            "full_name": "Iván Pérez", "cadre": Cadre.PASANTE, "email": "ivan@example.mx", "cohort": cohort.pk})
    assert response.status_code == 302


@pytest.mark.parametrize("size", [3, 30])
def test_invite_post_query_count_is_fixed(coordinator, person, django_assert_num_queries, size):
    for _ in range(size):
        services.invitation_send(staff=person, roles=[Role.PASANTE])
    client = client_for(coordinator)
    # the person, the lock, the account's groups, one UPDATE withdrawing every earlier invitation, the insert
    with django_assert_num_queries(LAYOUT_QUERIES + 18):
        response = client.post(reverse("clinics:person-invite", args=[person.pk]), {"roles": [Role.PASANTE]})
    assert response.status_code == 302


def test_the_staff_list_and_the_person_page_agree_on_every_state(coordinator, cohort):
    states = {}
    for state in ["sent", "accepted", "expired", "revoked"]:
        staff = StaffFactory(cadre=Cadre.PASANTE, cohort=cohort, full_name=f"Persona {state}")
        invitation, token = services.invitation_send(staff=staff, roles=[Role.PASANTE])
        if state == "accepted":
            services.invitation_accept(token=token, password="maiz-y-frijol-2027")
        elif state == "expired":
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=8),
                                                               expires_at=timezone.now() - timedelta(days=1))
        elif state == "revoked":
            services.person_deactivate(staff=staff)
        states[staff.pk] = state
    response = client_for(coordinator).get(reverse("clinics:staff-list"))
    listed = {person.pk: person.invitation_state for person in response.context["page_obj"] if person.pk in states}
    assert listed == states
    for pk, state in states.items():
        invitation = Invitation.objects.filter(staff_id=pk).first()
        assert invitation.state == state


def test_the_beat_task_closes_the_accounts_due(pasante_a):
    from clinics.tasks import close_accounts_due

    Staff.objects.filter(user=pasante_a).update(active=False, last_day=TODAY - timedelta(days=1))
    assert close_accounts_due() == 1
    pasante_a.refresh_from_db()
    assert not pasante_a.is_active


@pytest.mark.parametrize("size", [3, 30])
def test_invitations_panel_shows_expired_first_in_one_query(coordinator, cohort, rf, django_assert_num_queries,
                                                            size):
    from clinics import panels

    _people(size, cohort)
    late = StaffFactory(cadre=Cadre.PASANTE, cohort=cohort, full_name="Zacarías Tarde")
    invitation, _token = services.invitation_send(staff=late, roles=[Role.PASANTE])
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=8),
                                                       expires_at=timezone.now() - timedelta(days=1))
    request = rf.get("/")
    request.user = coordinator
    assert coordinator.roles
    with django_assert_num_queries(1):
        context = panels.invitations_pending(request)
    assert context["people"][0] == late
    assert context["people"][0].invitation_state == Invitation.State.EXPIRED
    assert len(context["people"]) == min(size // 2 + 1, panels.PANEL_ROWS)


def test_an_invitation_opened_where_someone_else_is_logged_in_says_who_will_be_logged_out(person, coordinator):
    invitation, token = services.invitation_send(staff=person, roles=[Role.PASANTE])
    url = reverse("clinics:invitation-accept", args=[token])
    page = client_for(coordinator, language="es").get(url).content.decode()
    assert (f"En este navegador está abierta la cuenta de {coordinator.email}. Esta invitación es para "
            f"{invitation.user.get_short_name()}") in page
    assert 'data-testid="someone-else-logged-in"' not in DjangoClient().get(url).content.decode()
