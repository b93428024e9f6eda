"""Every URL of the project against the policy table in authorization_policy.py, for every persona.

The patterns come from the URLconf itself (pages, API, allauth, admin, schema, healthz), so a URL added
without a row in the table fails here. Objects in URLs belong to clinic A: the pasante of clinic A gets
in where the pasante of clinic B gets a 404.
"""

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone

from ces.accounts.models import User
from ces.notifications.tests.factories import NotificationFactory
from ces.reports.models import Export
from clinics.models import Assignment
from clinics.services import host_family_create, host_family_payment_create, host_family_stay_create
from clinics.tests.factories import ClinicFactory, CohortFactory, PatientFactory
from pharmacy.models import StockMovement
from pharmacy.services import (
    Move,
    ledger_move,
    restock_request_create_draft,
    restock_request_submit,
    stock_count_record,
)
from pharmacy.tests.factories import ItemFactory, LotFactory
from tests import authorization_policy as policy
from tests.kit import FAST_HASHERS
from tests.personas import CLINICS, build_personas

LOGIN_VIEWS = {"account_login", "admin:login"}
# Every clinic A object carries one of these in its name; a list that must hide clinic A must not show them.
CLINIC_A_MARKERS = ("Capit", "Jolote", "Tzeltal")


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or the whole route of an unnamed pattern
    route: str
    params: tuple[str, ...]
    model_admin: object = None

    @property
    def name(self):
        return None if self.key == self.route else self.key

    @property
    def test_id(self):
        return f"{self.key} [.format]" if "format" in self.params else self.key


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, route, inner)
            continue
        key = route
        if entry.name:
            key = f"{namespace}:{entry.name}" if namespace else entry.name
        params = tuple(re.findall(r"\(\?P<(\w+)>", route) + re.findall(r"<(?:\w+:)?(\w+)>", route))
        yield Pattern(key, route, params, getattr(entry.callback, "model_admin", None))


PATTERNS = list(_walk(get_resolver().url_patterns))


# --- The world: personas and clinic A's objects ------------------------------------------------------------
@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module (like TestCase.setUpTestData) inside one transaction per database
    that is rolled back after the module's last test: the database is left as it was found. Each test's ``db``
    atomic nests in it as a savepoint, so what a test's requests write is undone before the next test."""
    # Eleven accounts: a fast hasher keeps the build quick. Files go to a directory of the module's own.
    module_settings = override_settings(
        PASSWORD_HASHERS=FAST_HASHERS,
        MEDIA_ROOT=tmp_path_factory.mktemp("authorization") / "media",
    )
    module_settings.enable()
    atomics = {}
    try:
        with django_db_blocker.unblock():
            for alias in connections:
                atomics[alias] = transaction.atomic(using=alias)
                atomics[alias].__enter__()
            cache.clear()  # as each test's world was built: after the cache was cleared
            world = _build_world()
        yield world
    finally:
        with django_db_blocker.unblock():
            for alias, atomic in reversed(atomics.items()):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)
        module_settings.disable()


@pytest.fixture
def world(db, _module_world):
    """The personas, and the objects of clinic A that fill URLs (an app whose URLs take a new kind of
    object adds one here, named as its rows' ``obj``).

    The objects are the module's own instances, shared by every test: tests read only their primary keys. The
    users are fetched again for each test, since logging in changes the instance (``last_login``)."""
    users, objects = _module_world
    fresh = User.objects.in_bulk([user.pk for user in users.values()])
    return {name: fresh[user.pk] for name, user in users.items()}, objects


def _build_world():
    users, clinics = build_personas(policy.LOGGED_IN)
    clinic = clinics["clinic_a"] if "clinic_a" in clinics else CLINICS["clinic_a"]()
    staff = users["pasante_a"].staff
    staff.full_name = "Aurora Jolote Vega"
    staff.cohort = CohortFactory(name="Promoción Capitán", start_date=timezone.localdate() - timedelta(days=60),
                                 end_date=timezone.localdate() + timedelta(days=300))
    staff.save(update_fields=["full_name", "cohort"])
    objects = {
        "clinic": clinic,
        "community": clinic.community,
        "staff": staff,
        "cohort": staff.cohort,
        "assignment": Assignment.objects.get(staff=staff, clinic=clinic),
        "patient": PatientFactory(clinic=clinic, given_names="Rosalba", family_names="Tzeltal Pérez"),
        "merged": PatientFactory(clinic=clinic, given_names="Rosalva", family_names="Tzeltal Pérez"),
        "user": users["admin_user"],
        "notification": NotificationFactory(recipient=users["pasante_a"]),
        "export": _finished_export(users["supervisor"]),
        **_pharmacy_objects(clinic, users),
        **_host_family_objects(clinic),
    }
    objects.update(_visitor_objects(clinic, users, objects["host_family"]))
    objects["visitor_exit_survey"] = _visitor_exit_survey(objects["visitor_placement"])
    return users, objects


def _pharmacy_objects(clinic, users):
    """A submitted restock request of clinic A, its item and a lot in stock there, and a count of clinic A."""
    item = ItemFactory(name="Paracetamol Capitán")
    lot = LotFactory(item=item, lot_number="CAPIT-1")
    ledger_move(moves=[Move(clinic, lot, 10)], kind=StockMovement.Kind.RECEIPT)
    request = restock_request_create_draft(
        clinic=clinic, period=timezone.localdate().replace(day=1), by=users["pasante_a"],
        lines=[{"item": item.pk, "consumed": 4, "stock_on_hand": 10}],
    )
    restock_request_submit(request=request, by=users["pasante_a"])
    count = stock_count_record(clinic=clinic, counts={lot.pk: 10}, by=users["pharmacy"])
    return {"restock_request": request, "item": item, "lot": lot, "stock_count": count}


def _host_family_objects(clinic):
    """A host family of clinic A's community, a visitor's stay and a payment with its receipt (hosts10)."""
    family = host_family_create(community=clinic.community, head_of_household="Doña Capitana",
                                rate_per_night=Decimal("150"), rate_per_meal=Decimal("50"))
    stay = host_family_stay_create(family=family, guest_kind="visitor", guest_name="Jane Capitán",
                                   first_night=timezone.localdate(), last_night=timezone.localdate())
    receipt = ContentFile(b"%PDF-1.4 capitana", name="recibo.pdf")
    payment = host_family_payment_create(family=family, amount=Decimal("200"), paid_on=timezone.localdate(),
                                         concept="Hospedaje", stays=[stay], receipt=receipt)
    return {"host_family": family, "host_payment": payment, "host_stay": stay}


def _visitor_objects(clinic, users, family):
    """Applicant A's application, driven through the services to a confirmed placement at clinic A with pasante A
    and clinic A's host family (visitors.tests.factories.application_in_state): its CV, its recorded interview, an
    offered slot, the arrival, and the program's orientation pack.

    Applicant B and everyone without a part in it must get 404 (or 403) on each of them."""
    from visitors import services as visitor_services
    from visitors.models import Application, InterviewSlot
    from visitors.tests.factories import application_in_state, pdf_upload

    application = application_in_state(
        Application.State.PLACEMENT_CONFIRMED, applicant=users["applicant"], clinic=clinic,
        pasante=users["pasante_a"].staff, host_family=family, staff_user=users["visitor_program"],
        full_name="Emily Capitán Carter", institution="Capitán University Hospital",
    )
    slot = InterviewSlot.objects.create(application=application, starts_at=timezone.now() - timedelta(days=16),
                                        offered_by=users["visitor_program"])
    pack = visitor_services.orientation_pack_upload(title="Orientación Capitán", upload=pdf_upload("guia.pdf"),
                                                    by=users["visitor_program"])
    return {
        "visitor_application": application,
        "visitor_document": application.documents.order_by("pk").first(),
        "visitor_interview": application.interviews.order_by("-pk").first(),
        "visitor_slot": slot,
        "visitor_placement": application.placements.exclude(state="cancelled").get(),
        "visitor_arrival": application.arrival,
        "visitor_orientation_pack": pack,
    }


def _visitor_exit_survey(current):
    """The survey of a stay of applicant A's that ended a year ago, at clinic A (the visitors API's row)."""
    from visitors.models import Application, ExitSurvey, Placement

    year_ago = timezone.now() - timedelta(days=400)
    first, last = year_ago.date(), year_ago.date() + timedelta(days=29)
    ended = Application.objects.create(
        applicant=current.application.applicant, state=Application.State.COMPLETED, full_name="Emily Capitán Carter",
        category="resident", wanted_start=first, wanted_end=last, created_at=year_ago, state_changed_at=year_ago,
    )
    placement = Placement.objects.create(application=ended, state=Placement.State.CONFIRMED, clinic=current.clinic,
                                         pasante=current.pasante, host_family=current.host_family, start_date=first,
                                         end_date=last, confirmed_at=year_ago)
    return ExitSurvey.objects.create(application=ended, placement=placement, mentorship=5, clinical=4, community=5,
                                     host_family=4, logistics=3, best="Capitán", submitted_at=year_ago)


def _finished_export(user):
    now = timezone.now()
    export = Export.objects.create(user=user, report_key="pasante-roster", state=Export.State.DONE,
                                   finished_at=now, expires_at=now + timedelta(days=1))
    export.file.save("pasante-roster.xlsx", ContentFile(b"not really a spreadsheet"))
    return export


def _object_value(pattern, param, row, objects):
    if param in row.kwargs:
        return row.kwargs[param]
    if param == "format":
        return "json"
    if pattern.key.startswith("admin:") or pattern.route.startswith("admin/"):
        return _admin_value(pattern, param, objects)
    if param in ("pk", "id") and row.obj:
        return objects[row.obj].pk
    stem = re.sub(r"_(pk|id)$", "", param)
    if stem in objects:
        return objects[stem].pk
    pytest.fail(f"{pattern.test_id}: no value for the URL parameter {param!r}; give its row obj= or kwargs=")


def _admin_value(pattern, param, objects):
    if param == "app_label":
        return "accounts"
    if param == "content_type_id":
        return ContentType.objects.get_for_model(User).pk
    if param in ("object_id", "id"):
        model = pattern.model_admin.model if pattern.model_admin else User
        if model is Group:
            return Group.objects.order_by("pk").first().pk
        instance = model._default_manager.order_by("pk").first()
        # A model with no row yet: the admin answers its staff with a redirect to its index.
        return instance.pk if instance else 1
    pytest.fail(f"{pattern.test_id}: no value for the admin URL parameter {param!r}")


def _url(pattern, row, objects):
    values = {param: _object_value(pattern, param, row, objects) for param in pattern.params}
    if pattern.name:
        return reverse(pattern.name, kwargs=values)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), pattern.route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


# --- Outcomes ---------------------------------------------------------------------------------------------
def _is_api(url):
    return url.startswith("/api/")


def _goes_to_login(response):
    location = urlparse(response.headers.get("Location", "")).path
    try:
        return resolve(location).view_name in LOGIN_VIEWS
    except Resolver404:
        return False


def _is_empty_list(response):
    if getattr(response, "streaming", False):
        return False  # a file (a document's download) is no list
    try:
        data = json.loads(response.content)
    except ValueError:
        return False
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    return data == []


def outcomes_of(response, url, anonymous) -> set[str]:
    """Every outcome of the table that this response satisfies."""
    status = response.status_code
    if 200 <= status < 300:
        return {policy.OK, policy.EMPTY} if _is_api(url) and _is_empty_list(response) else {policy.OK}
    if 300 <= status < 400:
        return {policy.LOGIN} if _goes_to_login(response) else {policy.OK, policy.REDIRECT}
    found = {
        400: {policy.INVALID},
        401: {policy.LOGIN} if _is_api(url) and anonymous else set(),
        403: {policy.FORBIDDEN},
        404: {policy.NOTFOUND},
        405: {policy.NOT_ALLOWED},
    }.get(status, set())
    return found or {f"HTTP {status}"}


def _audited_tables():
    """The tables whose rows pghistory keeps a history of (each change with who and where)."""
    from django.apps import apps
    from pghistory.models import Event

    return frozenset(model.pgh_tracked_model._meta.db_table for model in apps.get_models()
                     if issubclass(model, Event) and getattr(model, "pgh_tracked_model", None))


AUDITED_TABLES = _audited_tables()
WRITE = re.compile(r'(?:^|;)\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


class WritesToAuditedTables:
    """The audited tables a request wrote to (an ``execute_wrapper``)."""

    def __init__(self):
        self.tables = set()

    def __call__(self, execute, sql, params, many, context):
        self.tables |= {table for table in WRITE.findall(sql) if table in AUDITED_TABLES}
        return execute(sql, params, many, context)


def _send(client, method, url):
    if method == "GET":
        # A GET must not change an audited row: pghistory records who and where only for the methods that
        # write (settings.PGHISTORY_MIDDLEWARE_METHODS), so such a change would lose its author.
        writes = WritesToAuditedTables()
        with connection.execute_wrapper(writes):
            response = client.get(url)
        assert not writes.tables, f"GET {url} wrote to {sorted(writes.tables)}"
        return response
    if _is_api(url):
        return client.post(url, data="", content_type="application/json")
    return client.post(url)


def _describe(response):
    if 300 <= response.status_code < 400:
        return f"{response.status_code} to {response.headers.get('Location')}"
    return str(response.status_code)


# --- Tests ----------------------------------------------------------------------------------------------------
def _scoping_mismatches(row, persona, where, response):
    """A list that must hide clinic A from some personas: they must not see its objects, the coordinator must."""
    shown = [m for m in CLINIC_A_MARKERS if m in response.content.decode(errors="replace")]
    if persona in row.hides and shown:
        return [f"{where}: shows clinic A's objects ({', '.join(shown)})"]
    if persona == "coordinator" and not shown:
        return [f"{where}: does not show clinic A's objects, so the check that others cannot see them proves nothing"]
    return []


def _missing_row_message(pattern):
    return (
        f"The URL {pattern.test_id!r} (route {pattern.route!r}) has no row in tests/authorization_policy.py. "
        "Every app must add the rows of the URLs it adds: say, for each persona, what it gets."
    )


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.test_id for p in PATTERNS])
def test_url_obeys_the_policy_for_every_persona(pattern, world):
    found = policy.row_for(pattern.key)
    if found is None:
        pytest.fail(_missing_row_message(pattern))
    row_key, row = found
    users, objects = world
    url = _url(pattern, row, objects)
    mismatches = []
    for persona in policy.PERSONAS:
        cache.clear()  # login rate limits and API throttles count per IP; every persona is a new visitor
        client = Client()
        if persona != "anonymous":
            client.force_login(users[persona])
        for method, expected in row.checks.items():
            where = f"{method} {url} as {persona}"
            try:
                response = _send(client, method, url)
            except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported with the others
                mismatches.append(f"{where}: raised {type(exc).__name__}: {str(exc)[:160]}")
                continue
            got = outcomes_of(response, url, anonymous=persona == "anonymous")
            if not got & expected[persona]:
                mismatches.append(
                    f"{where}: got {_describe(response)} ({'/'.join(sorted(got))}), "
                    f"expected {' or '.join(sorted(expected[persona]))}"
                )
            elif row.hides and method == "GET" and policy.OK in got:
                mismatches += _scoping_mismatches(row, persona, where, response)
    assert not mismatches, f"{pattern.test_id} (row {row_key!r}):\n  " + "\n  ".join(mismatches)


def test_the_get_check_sees_a_write_to_an_audited_table(db):
    clinic = ClinicFactory()  # not clinic A, the name of the module's world's clinic
    writes = WritesToAuditedTables()
    with connection.execute_wrapper(writes):
        clinic.name = f"{clinic.name} II"
        clinic.save(update_fields=["name"])
        Assignment.objects.filter(clinic=clinic).delete()
    assert writes.tables == {"clinics_clinic", "clinics_assignment"}


def test_every_url_has_a_policy_row():
    missing = [_missing_row_message(p) for p in PATTERNS if policy.row_for(p.key) is None]
    assert not missing, "\n".join(missing)


def test_the_policy_has_no_row_for_a_url_that_is_gone():
    keys = {p.key for p in PATTERNS}
    used = {policy.row_for(key)[0] for key in keys if policy.row_for(key)}
    gone = set(policy.POLICY) - keys - used - policy.OPTIONAL
    pending = sorted(gone & policy.PENDING)
    if pending:
        print(f"\nNOTE: {len(pending)} policy rows wait for their URLs to land: {', '.join(pending)}")
    stale = sorted(gone - policy.PENDING)
    assert not stale, (
        f"The policy table has rows for URLs that no longer exist: {', '.join(stale)}. "
        "Remove them from tests/authorization_policy.py (or fix the URL name)."
    )
