"""Who may open what: the authorization policy of every URL of the project, read by test_authorization.py.

Every URL pattern of the URLconf needs a row here, keyed by its URL name (``namespace:name``) or, for an
unnamed pattern, by its route. A new page or endpoint without a row fails the test: every app adds its
rows when it adds its URLs. A row whose URL no longer exists fails too.

A row says, per HTTP method tried, the outcome expected for each persona. Objects in the URL (``pk`` and
friends) are filled with objects of clinic A, so a pasante of clinic B must get 404 where the pasante of
clinic A gets 200. A cell is one outcome, or a frozenset of outcomes when either is right (a role with no
business on a detail page may be turned away with 403 or 404).

Adding an app: add a dict of rows for its URL names below and merge it into POLICY. A URL that takes an
object names it with ``obj=`` (the objects are made in the ``world`` fixture of test_authorization.py;
add yours there); a list that must not show clinic A to pasante B says ``hides=("pasante_b",)``.
"""

from dataclasses import dataclass, field

# --- Outcomes ------------------------------------------------------------------------------------------
OK = "ok"  # 2xx, or a redirect that does not go to a login page
REDIRECT = "redirect"  # a redirect that does not go to a login page (allauth sends a logged-in person home)
LOGIN = "login"  # pages: a redirect to the login page; API: 401 (with WWW-Authenticate) to the anonymous
FORBIDDEN = "forbidden"  # 403
NOTFOUND = "notfound"  # 404: the object is outside the person's reach
INVALID = "invalid"  # 400: the person may do this, but an empty body is not valid
EMPTY = "empty"  # API list: 200 with no results
NOT_ALLOWED = "not-allowed"  # 405

DENIED = frozenset({FORBIDDEN, NOTFOUND})
EMPTY_OR_FORBIDDEN = frozenset({EMPTY, FORBIDDEN})

# --- Personas (fixtures of the root conftest.py, plus the anonymous visitor) ------------------------------
# Those allowed to write come last, so an accidental write cannot change what those before them see.
PERSONAS = (
    "anonymous",
    "outsider",  # logged in, no role
    "applicant",  # applicant A: the visitor objects of the world are theirs
    "applicant_b",  # another applicant: reaches nothing of applicant A's
    "pharmacy",
    "visitor_program",
    "pasante_b",  # pasante of clinic B
    "chw",  # CHW of clinic A
    "supervisor",  # supervisor of clinic A
    "pasante_a",  # pasante of clinic A
    "coordinator",
    "admin_user",
)
LOGGED_IN = PERSONAS[1:]
NETWORK_WIDE = ("coordinator", "admin_user", "pharmacy", "visitor_program")
CLINIC_A = ("supervisor", "pasante_a", "chw")
NO_ROLE = ("outsider", "applicant", "applicant_b")


def expect(default, *, anonymous=LOGIN, **cells) -> dict[str, frozenset[str]]:
    """Outcomes per persona: ``default`` for every logged-in persona not named in ``cells``."""
    unknown = set(cells) - set(PERSONAS)
    assert not unknown, f"unknown personas {unknown}"
    table = {"anonymous": anonymous, **{p: cells.get(p, default) for p in LOGGED_IN}}
    return {p: frozenset({v}) if isinstance(v, str) else frozenset(v) for p, v in table.items()}


def cells(personas, outcome) -> dict:
    return {p: outcome for p in personas}


@dataclass(frozen=True)
class Row:
    """``checks``: method -> outcomes per persona. ``obj``: which object of clinic A fills ``pk``/``id``.

    ``hides``: personas who, when they get the page, must not see clinic A's objects in it (lists).
    """

    checks: dict
    obj: str | None = None
    hides: tuple = ()
    note: str = ""
    kwargs: dict = field(default_factory=dict)


def get(outcomes, **kw) -> Row:
    return Row(checks={"GET": outcomes}, **kw)


def post(outcomes, **kw) -> Row:
    return Row(checks={"POST": outcomes}, **kw)


# Frequently used shapes.
EVERYONE = expect(OK, anonymous=OK)
LOGGED_IN_ONLY = expect(OK)
ANONYMOUS_ONLY = expect(REDIRECT, anonymous=OK)  # allauth pages that send a logged-in person home
MANAGERS_ONLY = expect(FORBIDDEN, coordinator=OK, admin_user=OK)  # staffing: coordinators and admins
ADMIN_SITE = expect(LOGIN, admin_user=OK)
API_DOCS_READERS = expect(FORBIDDEN, **cells(
    ("coordinator", "supervisor", "pasante_a", "pasante_b", "pharmacy", "visitor_program", "admin_user"), OK,
))

# --- Core ---------------------------------------------------------------------------------------------------
CORE = {
    "accounts:home": get(LOGGED_IN_ONLY),
    "accounts:set-language": post(expect(OK, anonymous=OK), note="POST only; anyone may switch language"),
    "livez": get(EVERYONE, note="public: the load balancer's liveness probe; touches neither database nor Redis"),
    "healthz": get(EVERYONE, note="public: the load balancer and monitoring call it"),
    "favicon": get(EVERYONE, note="public: a redirect to the static icon"),
    "api:auth-token": post(expect(INVALID, anonymous=INVALID), note="POST only; empty body is a 400 for all"),
    "api:api-root": get(LOGGED_IN_ONLY),
    "api-schema": get(API_DOCS_READERS, note="the schema: staff roles only (API_DOCS_ROLES), not applicants or CHWs"),
    "api-docs": get(API_DOCS_READERS, note="Swagger UI: staff roles only, like the schema"),
}

# --- allauth (/cuentas/) ------------------------------------------------------------------------------------
ACCOUNTS = {
    "account_login": get(ANONYMOUS_ONLY, note="a logged-in person is sent home"),
    "account_logout": get(expect(OK), note="GET shows the confirmation; the anonymous go to the login"),
    "account_inactive": get(EVERYONE),
    "account_signup": get(ANONYMOUS_ONLY, note="visitor applicants sign up; a logged-in person is sent home"),
    "account_reauthenticate": get(LOGGED_IN_ONLY),
    "account_email": get(LOGGED_IN_ONLY),
    "account_email_verification_sent": get(EVERYONE),
    "account_change_password": get(LOGGED_IN_ONLY),
    "account_set_password": get(expect(REDIRECT), note="everyone has a password: sent to change it"),
    "account_reset_password": get(EVERYONE),
    "account_confirm_login_code": get(expect(REDIRECT), note="no login code pending"),
    "account_confirm_email": get(EVERYONE, kwargs={"key": "not-a-real-key"}, note="bad key: an error page"),
    "account_reset_password_from_key_done": get(EVERYONE),
    "account_reset_password_from_key": get(EVERYONE, kwargs={"uidb36": "zz", "key": "not-a-real-key"}),
    "account_reset_password_done": get(EVERYONE),
}

# --- Django admin (/admin/) ---------------------------------------------------------------------------------
# The whole admin is one group: the admin role (staff) gets in, everyone else is sent to the login. Object
# URLs are filled with a real row of the admin's model. The exceptions are listed after the group.
ADMIN = {
    "admin:*": get(ADMIN_SITE, note="every admin: URL, named or not, without a row of its own"),
    "admin:login": get(
        expect(FORBIDDEN, anonymous=LOGIN, admin_user=REDIRECT),
        note="allauth's login form stands in front (rate limited); a logged-in non-staff person gets 403",
    ),
    "admin:logout": post(expect(REDIRECT, anonymous=REDIRECT, admin_user=OK), note="POST only; others: to /admin/"),
    "admin:autocomplete": get(
        expect(LOGIN, admin_user=FORBIDDEN), note="without a model and field to complete even the admin gets 403"
    ),
    "admin:view_on_site": get(expect(LOGIN, admin_user=NOTFOUND), note="a user has no page of its own"),
    "admin:notifications_notification_add": get(
        expect(LOGIN, admin_user=FORBIDDEN), note="notifications are made by the engine only: no add, even for admins"
    ),
    "admin/(?P<url>.*)$": get(expect(LOGIN, admin_user=NOTFOUND), kwargs={"url": "no-such-page/"}),
    **{
        f"admin:pharmacy_{model}_{action}": get(
            expect(LOGIN, admin_user=FORBIDDEN),
            note="the stock ledger, balances and counts change through pharmacy.services only: read-only admin",
        )
        for model in ("stockmovement", "stockbalance", "stockcount")
        for action in ("add", "delete")
    },
}

# --- clinics pages (/clinicas/) -----------------------------------------------------------------------------
CLINIC_DETAIL = expect(OK, pasante_b=NOTFOUND, **cells(NO_ROLE, FORBIDDEN))  # no role: no business here
PATIENT_PAGE = expect(OK, pharmacy=FORBIDDEN, visitor_program=FORBIDDEN, **cells(NO_ROLE, FORBIDDEN))
CLINICS = {
    "clinics:clinic-list": get(expect(OK, **cells(NO_ROLE, FORBIDDEN)), hides=("pasante_b",)),
    "clinics:clinic-detail": get(CLINIC_DETAIL, obj="clinic"),
    "clinics:staff-list": get(expect(OK, **cells(NO_ROLE, FORBIDDEN)), hides=("pasante_b",)),
    "clinics:staff-detail": get(CLINIC_DETAIL, obj="staff"),
    "clinics:cohort-list": get(MANAGERS_ONLY),
    "clinics:cohort-detail": get(MANAGERS_ONLY, obj="cohort"),
    "clinics:assignment-create": get(MANAGERS_ONLY),
    "clinics:assignment-end": get(MANAGERS_ONLY, obj="assignment"),
    "clinics:assignment-move": get(MANAGERS_ONLY, obj="assignment"),
    "clinics:supervision-create": get(
        expect(FORBIDDEN, coordinator=OK, admin_user=OK, supervisor=OK, pasante_b=DENIED, **cells(NO_ROLE, DENIED)),
        obj="clinic",
        note="coordinators, admins and the supervisor of that clinic",
    ),
    "clinics:patient-list": get(PATIENT_PAGE, hides=("pasante_b",)),
    "clinics:patient-create": get(PATIENT_PAGE),
    "clinics:patient-detail": get(
        expect(OK, pasante_b=NOTFOUND, **cells(("pharmacy", "visitor_program", *NO_ROLE), FORBIDDEN)), obj="patient"
    ),
    # --- People and accounts (people10): coordinators and admins; the invitation link is anyone's ---
    "clinics:person-create": Row(checks={"GET": MANAGERS_ONLY, "POST": MANAGERS_ONLY},
                                 note="an empty POST shows the form again with its errors, writes nothing"),
    "clinics:person-edit": Row(checks={"GET": MANAGERS_ONLY, "POST": MANAGERS_ONLY}, obj="staff",
                               note="an empty POST is a form error"),
    "clinics:person-deactivate": Row(checks={"GET": MANAGERS_ONLY, "POST": MANAGERS_ONLY}, obj="staff",
                                     note="an empty POST has no last day: a form error, nobody deactivated"),
    "clinics:person-invite": Row(checks={"GET": MANAGERS_ONLY, "POST": MANAGERS_ONLY}, obj="staff",
                                 note="an empty POST chooses no role: a form error, nothing sent"),
    "clinics:invitation-accept": Row(
        checks={"GET": EVERYONE, "POST": EVERYONE}, kwargs={"token": "not-a-real-token"},
        note="a wrong token: the same page for everyone, which offers nothing and tells nothing",
    ),
    "clinics:cohort-import": Row(checks={"GET": MANAGERS_ONLY, "POST": MANAGERS_ONLY}, obj="cohort",
                                 note="a POST without a file is a form error, writes nothing"),
}

# --- API (/api/v1/) -----------------------------------------------------------------------------------------
API_LIST = expect(OK, **cells(NO_ROLE, EMPTY_OR_FORBIDDEN))
API_DETAIL = expect(OK, pasante_b=NOTFOUND, **cells(NO_ROLE, DENIED))
API_MANAGE = expect(FORBIDDEN, coordinator=INVALID, admin_user=INVALID, pasante_b=DENIED, **cells(NO_ROLE, DENIED))
API_PATIENT_LIST = expect(OK, **cells(("pharmacy", "visitor_program", *NO_ROLE), EMPTY_OR_FORBIDDEN))
API_PATIENT_CREATE = expect(INVALID, **cells(("pharmacy", "visitor_program", *NO_ROLE), FORBIDDEN))
API_NETWORK_CREATE = expect(FORBIDDEN, coordinator=INVALID, admin_user=INVALID)
API = {
    "api:community-list": Row(checks={"GET": API_LIST, "POST": API_NETWORK_CREATE}, hides=("pasante_b",),
                              note="scoped like the clinics in them; adding one is for coordinators and admins"),
    "api:community-detail": get(API_DETAIL, obj="community"),
    "api:clinic-list": Row(checks={"GET": API_LIST, "POST": API_NETWORK_CREATE}, hides=("pasante_b",),
                           note="PUT/PATCH on a clinic, a community, a person: coordinators and admins (test_api_i10)"),
    "api:clinic-detail": get(API_DETAIL, obj="clinic"),
    "api:clinic-coverage": get(API_DETAIL, obj="clinic"),
    "api:staff-list": Row(checks={"GET": API_LIST, "POST": API_NETWORK_CREATE}, hides=("pasante_b",)),
    "api:staff-detail": get(API_DETAIL, obj="staff"),
    "api:assignment-list": Row(
        checks={"GET": API_LIST, "POST": expect(FORBIDDEN, coordinator=INVALID, admin_user=INVALID)},
        hides=("pasante_b",),
        note="reading is scoped; creating is for coordinators and admins",
    ),
    "api:assignment-detail": get(API_DETAIL, obj="assignment"),
    "api:assignment-end": post(API_MANAGE, obj="assignment"),
    "api:assignment-move": post(API_MANAGE, obj="assignment"),
    "api:patient-list": Row(checks={"GET": API_PATIENT_LIST, "POST": API_PATIENT_CREATE}, hides=("pasante_b",)),
    "api:patient-detail": get(
        expect(OK, pasante_b=NOTFOUND, **cells(("pharmacy", "visitor_program", *NO_ROLE), FORBIDDEN)), obj="patient",
        note="a role with no business with patients gets 403 for any id (as the pages); out of scope is 404",
    ),
}

# --- notifications (/avisos/) -------------------------------------------------------------------------------
NOTIFICATIONS = {
    "notifications:inbox": get(LOGGED_IN_ONLY, note="each person's own inbox"),
    "notifications:badge": get(EVERYONE, note="own unread count (htmx); the anonymous get an empty 204"),
    "notifications:mark-read": Row(
        checks={"GET": expect(NOT_ALLOWED), "POST": expect(NOTFOUND, pasante_a=OK)},
        obj="notification",
        note="POST only; a notification of pasante A: only its recipient may mark it, the others get 404",
    ),
    "notifications:preferences": get(LOGGED_IN_ONLY, note="each person's own e-mail preferences"),
    "notifications:outbox": get(MANAGERS_ONLY, note="what was sent to whom: coordinators and admins"),
}

# --- reports (/reportes/) ----------------------------------------------------------------------------------
# The report in the URL is the pasante roster (coordinators, admins, supervisors, visitor program); the
# export is the supervisor's own: an export is for the person who asked and nobody else.
ROSTER = {"key": "pasante-roster"}
ROSTER_RUNNERS = expect(FORBIDDEN, coordinator=OK, admin_user=OK, supervisor=OK, visitor_program=OK)
REPORTS = {
    "reports:report-list": get(
        expect(OK, **cells(NO_ROLE, FORBIDDEN)), note="403 for whoever may run no report at all"
    ),
    "reports:report-detail": get(ROSTER_RUNNERS, kwargs=ROSTER),
    "reports:report-csv": get(ROSTER_RUNNERS, kwargs=ROSTER),
    "reports:export-create": post(
        ROSTER_RUNNERS, kwargs=ROSTER, note="POST only; filters ride in the query string, so empty is valid"
    ),
    "reports:export-status": get(expect(NOTFOUND, supervisor=OK), obj="export"),
    "reports:export-download": get(expect(NOTFOUND, supervisor=OK), obj="export"),
}

# --- pharmacy pages (/farmacia/) and API (/api/v1/pharmacy/) -------------------------------------------------
# One dict per part of the app, each kept by whoever builds that part.
# The pasante's monthly / emergency request form: pasantes only, for their own clinic. Clinic A's request of the
# month is submitted, so pasante A is sent on to it (a redirect); pasante B gets clinic B's blank form.
FORM_PASANTES = expect(FORBIDDEN, pasante_a=OK, pasante_b=OK)
PHARMACY_REQUEST_FORM: dict[str, Row] = {
    "pharmacy:request-create": Row(
        checks={"GET": FORM_PASANTES, "POST": FORM_PASANTES},
        note="an empty POST shows the form's errors and writes nothing",
    ),
    "pharmacy:request-emergency-create": Row(
        checks={"GET": FORM_PASANTES, "POST": FORM_PASANTES},
        note="an empty POST shows the form's errors and writes nothing",
    ),
    "pharmacy:request-edit": Row(
        checks={"GET": expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND),
                "POST": expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND)},
        obj="restock_request",
        note="the figures are the pasante's: coordinators and pharmacy read the request on its page (403 here); "
             "clinic A's request is submitted, so pasante A is sent to it",
    ),
}
PHARMACY_REQUESTS: dict[str, Row] = {}  # lists, queue, review, approve / reject, dispatch, pick list, receipt
# Pharmacy, coordinators and admins review, dispatch and close any clinic's request; a pasante sees their clinic's
# (pasante B gets 404 on clinic A's) and confirms its deliveries; other roles have no business here (403). The
# request of the walk is submitted: dispatch, receipt, close and the pick list answer with a message and a redirect
# to the request (wrong state, nothing written); an empty review POST shows the form's errors.
REQUEST_WIDE = cells(("pharmacy", "coordinator", "admin_user"), OK)
REQUEST_REVIEWERS = expect(FORBIDDEN, **REQUEST_WIDE)
REQUEST_READERS = expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND, **REQUEST_WIDE)
PHARMACY_REQUESTS.update({
    "pharmacy:request-list": get(expect(FORBIDDEN, pasante_a=OK, pasante_b=OK, **REQUEST_WIDE), hides=("pasante_b",)),
    "pharmacy:request-queue": get(REQUEST_REVIEWERS, note="a pasante has no queue (403)"),
    "pharmacy:request-detail": get(REQUEST_READERS, obj="restock_request"),
    "pharmacy:request-approve": Row(
        checks={"GET": REQUEST_REVIEWERS, "POST": REQUEST_REVIEWERS}, obj="restock_request",
        note="GET is the review page; an empty POST lacks the approved quantities: the form's errors, nothing written",
    ),
    "pharmacy:request-reject": post(REQUEST_REVIEWERS, obj="restock_request", note="no reason: the review page again"),
    "pharmacy:request-dispatch": post(REQUEST_REVIEWERS, obj="restock_request", note="not approved: a message"),
    "pharmacy:request-pick-list": get(REQUEST_READERS, obj="restock_request", note="not dispatched: a message"),
    "pharmacy:request-receive": Row(
        checks={"GET": expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND),
                "POST": expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND)},
        obj="restock_request",
        note="the pasante of the clinic only (pharmacy 403); not dispatched: a message and back to the request",
    ),
    "pharmacy:request-close": post(REQUEST_REVIEWERS, obj="restock_request", note="not received: a message"),
})
# Warehouse receipts, counts, stock by item and lot, expiring, below minimum, the deadline-day setting.
# Pharmacy, coordinators and admins: everything. A pasante sees and counts their own clinic only (the one
# who is there; a pasante of another clinic gets 404 on clinic A's count). Other roles have no business here.
STOCK_WIDE = cells(("pharmacy", "coordinator", "admin_user"), OK)
STOCK_WAREHOUSE = expect(FORBIDDEN, **STOCK_WIDE)
STOCK_AND_PASANTES = expect(FORBIDDEN, pasante_a=OK, pasante_b=OK, **STOCK_WIDE)
PHARMACY_STOCK: dict[str, Row] = {
    "pharmacy:stock-list": get(
        STOCK_AND_PASANTES,
        note="warehouse by default; a pasante gets their own clinic (another clinic's ?clinic= is a 404, tested in "
             "pharmacy/tests/test_stock_views.py); every active item is listed, so clinic A's item name shows",
    ),
    "pharmacy:stock-item": get(
        STOCK_AND_PASANTES, obj="item", note="an item is catalogue: a pasante sees its lots and moves at their clinic"
    ),
    "pharmacy:stock-expiring": get(STOCK_WAREHOUSE),
    "pharmacy:stock-below-minimum": get(STOCK_WAREHOUSE),
    "pharmacy:warehouse-receipt-create": Row(
        checks={"GET": STOCK_WAREHOUSE, "POST": STOCK_WAREHOUSE}, note="an empty POST shows the form's errors"
    ),
    "pharmacy:count-list": get(STOCK_AND_PASANTES, hides=("pasante_b",)),
    "pharmacy:count-create": Row(
        checks={"GET": STOCK_AND_PASANTES, "POST": STOCK_AND_PASANTES},
        note="a pasante counts their own clinic; an empty POST shows the form's errors",
    ),
    "pharmacy:count-detail": get(expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND, **STOCK_WIDE), obj="stock_count"),
    "pharmacy:settings": Row(
        checks={"GET": STOCK_WAREHOUSE, "POST": expect(FORBIDDEN, coordinator=OK, admin_user=OK)},
        note="pharmacy reads the deadline day; coordinators and admins change it (an empty POST shows the error)",
    ),
}
# The API (/api/v1/pharmacy/). Catalogue, lots and stock: the pharmacy-wide roles and pasantes read (the offline
# form needs the catalogue); pharmacy and admins keep the catalogue. A request's steps: the pasante's (draft,
# lines, submit, receive) are for pasantes, the warehouse's (approve, reject, dispatch, close) for pharmacy,
# coordinators and admins; a role with no part in a step gets 403, pasante B gets 404 on clinic A's request.
# The request of the walk is submitted, so most steps are refused as illegal (400) to those who may take them.
API_PHARMACY_READERS = cells(("pharmacy", "coordinator", "admin_user", "pasante_a", "pasante_b"), OK)
API_CATALOGUE = expect(FORBIDDEN, **API_PHARMACY_READERS)
API_PASANTE_STEP = expect(FORBIDDEN, pasante_a=INVALID, pasante_b=NOTFOUND)
API_WAREHOUSE_STEP = expect(FORBIDDEN, **cells(("pharmacy", "coordinator", "admin_user"), INVALID))
PHARMACY_API: dict[str, Row] = {
    "api:pharmacy:item-list": Row(
        checks={"GET": API_CATALOGUE, "POST": expect(FORBIDDEN, pharmacy=INVALID, admin_user=INVALID)},
        note="adding an item is for pharmacy and admins; an empty body is a 400",
    ),
    "api:pharmacy:item-detail": get(API_CATALOGUE, obj="item", note="PUT/PATCH: pharmacy and admins (test_api.py)"),
    "api:pharmacy:lot-list": get(API_CATALOGUE),
    "api:pharmacy:lot-detail": get(API_CATALOGUE, obj="lot"),
    "api:pharmacy:stock-list": get(
        API_CATALOGUE,
        note="the warehouse by default, a pasante's own clinic for them; another clinic's ?clinic= is a 400 and "
             "?location=warehouse a 403 to a pasante (pharmacy/tests/test_api.py)",
    ),
    "api:pharmacy:restock-request-list": Row(
        checks={"GET": API_CATALOGUE, "POST": expect(FORBIDDEN, pasante_a=INVALID, pasante_b=INVALID)},
        hides=("pasante_b",),
        note="a pasante drafts for their own clinic; an empty body is a 400",
    ),
    "api:pharmacy:restock-request-detail": get(
        expect(FORBIDDEN, pasante_b=NOTFOUND, **cells(("pharmacy", "coordinator", "admin_user", "pasante_a"), OK)),
        obj="restock_request",
    ),
    "api:pharmacy:restock-request-lines": post(API_PASANTE_STEP, obj="restock_request", note="no lines: 400"),
    "api:pharmacy:restock-request-submit": post(API_PASANTE_STEP, obj="restock_request", note="submitted already"),
    "api:pharmacy:restock-request-receive": post(API_PASANTE_STEP, obj="restock_request", note="not dispatched"),
    "api:pharmacy:restock-request-approve": post(
        expect(FORBIDDEN, pharmacy=OK, coordinator=INVALID, admin_user=INVALID), obj="restock_request",
        note="an empty body approves as requested: pharmacy, walked first, approves; coordinator and admin then find "
             "it approved already (400)",
    ),
    "api:pharmacy:restock-request-reject": post(API_WAREHOUSE_STEP, obj="restock_request", note="no reason: 400"),
    "api:pharmacy:restock-request-dispatch": post(API_WAREHOUSE_STEP, obj="restock_request", note="not approved"),
    "api:pharmacy:restock-request-close": post(API_WAREHOUSE_STEP, obj="restock_request", note="not received"),
}
# The catalogue import (helper "catalogue"): the warehouse keeps the catalogue, the data manager the reference data.
PHARMACY_STOCK["pharmacy:catalogue-import"] = Row(
    checks={"GET": expect(FORBIDDEN, pharmacy=OK, admin_user=OK),
            "POST": expect(FORBIDDEN, pharmacy=OK, admin_user=OK)},
    note="POST without a file shows the form again with its error, writes nothing",
)

# --- Host families, their stays, payments and receipts (/clinicas/familias/, hosts10) ------------------------
HOST_FAMILY_PAGE = expect(FORBIDDEN, coordinator=OK, visitor_program=OK, admin_user=OK)
HOST_FAMILIES = {
    "clinics:host-family-list": get(HOST_FAMILY_PAGE, note="coordinators, the visitor program and admins"),
    "clinics:host-family-create": Row(
        checks={"GET": HOST_FAMILY_PAGE, "POST": HOST_FAMILY_PAGE},
        note="an empty POST shows the form again with its errors and writes nothing",
    ),
    "clinics:host-family-detail": get(HOST_FAMILY_PAGE, obj="host_family"),
    "clinics:host-family-edit": Row(checks={"GET": HOST_FAMILY_PAGE, "POST": HOST_FAMILY_PAGE}, obj="host_family"),
    "clinics:host-stay-create": Row(checks={"GET": HOST_FAMILY_PAGE, "POST": HOST_FAMILY_PAGE}, obj="host_family"),
    "clinics:host-payment-create": Row(checks={"GET": HOST_FAMILY_PAGE, "POST": HOST_FAMILY_PAGE},
                                       obj="host_family"),
    "clinics:host-payment-receipt": get(
        HOST_FAMILY_PAGE, obj="host_payment", note="the receipt file is never served from MEDIA_URL: only here"
    ),
    **{
        f"admin:clinics_{model}_delete": get(
            expect(LOGIN, admin_user=FORBIDDEN), note="nobody deletes a stay or a payment: they have history"
        )
        for model in ("hoststay", "hostpayment", "hostfamily")
    },
}

# --- Development only ---------------------------------------------------------------------------------------
DEVELOPMENT = {
    "^media/(?P<path>.*)$": get(
        expect(NOTFOUND, anonymous=NOTFOUND), kwargs={"path": "private/host-receipts/1/recibo.jpg"},
        note="served only with DEBUG=1, and never what is under private/ (ces/core/media.py)",
    ),
}

# --- clinics: communities, clinics, cohorts and their placement, supervision (network10) -------------------
MANAGERS_WRITE = {"GET": MANAGERS_ONLY, "POST": MANAGERS_ONLY}
MANAGERS_TRANSITION = {"GET": expect(NOT_ALLOWED), "POST": MANAGERS_ONLY}
CLINICS_NETWORK = {
    "clinics:community-list": get(expect(OK, **cells(NO_ROLE, FORBIDDEN)), hides=("pasante_b",)),
    "clinics:community-create": Row(checks=MANAGERS_WRITE, note="POST empty: the form again with its errors"),
    "clinics:community-edit": Row(checks=MANAGERS_WRITE, obj="community"),
    "clinics:clinic-create": Row(checks=MANAGERS_WRITE),
    "clinics:clinic-edit": Row(checks=MANAGERS_WRITE, obj="clinic"),
    "clinics:clinic-deactivate": Row(checks=MANAGERS_TRANSITION, obj="clinic",
                                     note="POST only; clinic A still has posts, so it is refused and nothing changes"),
    "clinics:clinic-reactivate": Row(checks=MANAGERS_TRANSITION, obj="clinic",
                                     note="POST only; clinic A is active, so it is refused and nothing changes"),
    "clinics:cohort-create": Row(checks=MANAGERS_WRITE),
    "clinics:cohort-placement": Row(checks=MANAGERS_WRITE, obj="cohort",
                                    note="POST empty: asks for at least one choice, saves nothing"),
    "clinics:supervision-overdue": get(expect(FORBIDDEN, coordinator=OK, admin_user=OK, supervisor=OK,
                                              visitor_program=OK)),
    "clinics:supervision-settings": Row(checks=MANAGERS_WRITE),
}

# --- Patients: edit and merge (patients10) -------------------------------------------------------------------
PATIENTS10 = {
    "clinics:patient-edit": get(
        expect(FORBIDDEN, coordinator=OK, admin_user=OK, supervisor=OK, pasante_a=OK, pasante_b=NOTFOUND),
        obj="patient", note="pasantes and supervisors of the patient's clinic, coordinators; a CHW reads only",
    ),
    "clinics:patient-merge-pick": get(MANAGERS_ONLY, obj="patient", note="merging is a coordinator's decision"),
    "clinics:patient-merge": get(
        MANAGERS_ONLY, obj="patient", note="the confirmation page; merged_pk is a second patient of clinic A",
    ),
}

# --- visitors: the applicant's pages (/visitantes/, vapp) ------------------------------------------------------
# The objects are applicant A's (``applicant``): an application with a confirmed placement at clinic A, a CV, an
# orientation pack (test_authorization.py ``world``). Applicant B gets 404 on every one of them, as for an id that
# does not exist; every other role has no business on the applicant's pages (403), but the program's staff
# download documents and the orientation pack through the same checked views. The application being confirmed,
# most steps are refused (submitted already, confirmed already, no survey yet): a message and the status page.
APPLICANT_A_PAGE = expect(FORBIDDEN, applicant=OK, applicant_b=NOTFOUND)
APPLICANT_A_REFUSED = expect(FORBIDDEN, applicant=REDIRECT, applicant_b=NOTFOUND)
VISITOR_MANAGERS = cells(("visitor_program", "coordinator", "admin_user"), OK)
VISITORS_APPLICANT: dict[str, Row] = {
    "visitors:apply": get(expect(FORBIDDEN, applicant=REDIRECT, applicant_b=OK),
                          note="A's application is under way: to its status; B has none: the start page"),
    "visitors:start": post(expect(FORBIDDEN, applicant=REDIRECT, applicant_b=REDIRECT),
                           note="A has one under way: refused with the message; B starts a draft (their own)"),
    "visitors:status": get(expect(FORBIDDEN, applicant=OK, applicant_b=REDIRECT),
                           note="each applicant's own current application; B has none: to the start"),
    "visitors:orientation-pack": get(
        expect(FORBIDDEN, applicant=OK, applicant_b=NOTFOUND, **VISITOR_MANAGERS),
        note="a visitor with a confirmed placement, and the program's staff",
    ),
    "visitors:document": get(
        expect(NOTFOUND, applicant=OK, **VISITOR_MANAGERS), obj="visitor_document",
        note="THE download of a document: its applicant and the program's staff; anyone else 404, never served",
    ),
    "visitors:step": Row(checks={"GET": APPLICANT_A_REFUSED, "POST": APPLICANT_A_REFUSED}, obj="visitor_application",
                         kwargs={"step": 1}, note="A's application is sent: no longer editable, to the status page"),
    "visitors:documents": get(APPLICANT_A_PAGE, obj="visitor_application"),
    "visitors:document-upload": post(APPLICANT_A_PAGE, obj="visitor_application",
                                     note="POST only; no file: the form's error, nothing written"),
    "visitors:submit": post(APPLICANT_A_REFUSED, obj="visitor_application", note="submitted already"),
    "visitors:choose-slot": post(APPLICANT_A_REFUSED, obj="visitor_application", note="no slot chosen: a message"),
    "visitors:confirm-placement": post(APPLICANT_A_REFUSED, obj="visitor_application", note="confirmed already"),
    "visitors:flight": Row(checks={"GET": APPLICANT_A_PAGE, "POST": APPLICANT_A_PAGE}, obj="visitor_application",
                           note="an empty POST: the form's errors, nothing written"),
    "visitors:withdraw": Row(checks={"GET": APPLICANT_A_PAGE, "POST": APPLICANT_A_PAGE}, obj="visitor_application",
                             note="GET is the confirmation step; an empty POST lacks the reason: nothing written"),
    "visitors:exit-survey": Row(checks={"GET": APPLICANT_A_REFUSED, "POST": APPLICANT_A_REFUSED},
                                obj="visitor_application", note="before the stay: a message, to the status page"),
}

# --- clinics, the rest of issue 10 (i10): a stay edited or cancelled, a cohort edited, the coordination API ----
CLINICS_I10 = {
    "clinics:host-stay-edit": Row(checks={"GET": HOST_FAMILY_PAGE, "POST": HOST_FAMILY_PAGE}, obj="host_stay",
                                  note="an empty POST shows the form again with its errors and writes nothing"),
    "clinics:host-payment-detail": get(HOST_FAMILY_PAGE, obj="host_payment",
                                       note="the payment with its history, the stays it covers included"),
    "clinics:host-payment-edit": Row(checks={"GET": HOST_FAMILY_PAGE, "POST": HOST_FAMILY_PAGE}, obj="host_payment",
                                     note="an empty POST shows the form again with its errors and writes nothing"),
    "clinics:cohort-edit": Row(checks=MANAGERS_WRITE, obj="cohort",
                               note="an empty POST shows the form again with its errors and writes nothing"),
    "clinics:host-stay-cancel": Row(checks={"GET": expect(NOT_ALLOWED),
                                            "POST": HOST_FAMILY_PAGE}, obj="host_stay",
                                    note="POST only; without a reason the page asks for one and cancels nothing"),
}

API_HOSTS = expect(FORBIDDEN, coordinator=OK, visitor_program=OK, admin_user=OK)
API_HOSTS_WRITE = expect(FORBIDDEN, coordinator=INVALID, visitor_program=INVALID, admin_user=INVALID)
API_MANAGERS = expect(FORBIDDEN, coordinator=OK, admin_user=OK)
API_I10 = {
    "api:clinic-deactivate": post(API_MANAGE, obj="clinic", note="clinic A has posts: refused (400)"),
    "api:clinic-reactivate": post(API_MANAGE, obj="clinic", note="clinic A is active: refused (400)"),
    "api:staff-deactivate": post(API_MANAGE, obj="staff", note="the last day is required: empty, nothing changes"),
    "api:staff-invite": post(API_MANAGE, obj="staff", note="the roles are required: an empty body sends nothing"),
    "api:patient-merge": post(
        expect(FORBIDDEN, coordinator=INVALID, admin_user=INVALID), obj="patient",
        note="merging is a coordinator's decision; PUT/PATCH corrects a record as the page does (test_api_i10)",
    ),
    "api:cohort-list": Row(checks={"GET": API_MANAGERS, "POST": API_NETWORK_CREATE},
                           note="cohorts are the coordination's, as their pages"),
    "api:cohort-detail": get(API_MANAGERS, obj="cohort"),
    "api:host-family-list": Row(checks={"GET": API_HOSTS, "POST": API_HOSTS_WRITE},
                                note="coordinators, the visitor program and admins, as the pages"),
    "api:host-family-detail": get(API_HOSTS, obj="host_family"),
    "api:host-stay-list": Row(checks={"GET": API_HOSTS, "POST": API_HOSTS_WRITE}),
    "api:host-stay-detail": get(API_HOSTS, obj="host_stay"),
    "api:host-stay-cancel": post(API_HOSTS_WRITE, obj="host_stay", note="the reason is required"),
    "api:host-payment-list": Row(checks={"GET": API_HOSTS, "POST": API_HOSTS_WRITE}),
    "api:host-payment-detail": get(API_HOSTS, obj="host_payment"),
}

# The visitor program's admin pages are read-only (visitors/admin.py): add and delete answer 403 to admins.
VISITORS_ADMIN = {
    f"admin:visitors_{model}_{action}": get(
        expect(LOGIN, admin_user=FORBIDDEN),
        note="applications and their rows change through visitors.services only: read-only admin",
    )
    for model in ("application", "document", "documentrequest", "interviewslot", "interview", "placement",
                  "arrival", "exitsurvey", "pasantefeedback", "orientationpack")
    for action in ("add", "delete")
}

# --- visitors: the visitor log and the feedback (/visitantes/registro/, /visitantes/opiniones/, vins) ------------
# Coordinators, the visitor program and admins; nobody else has business with them (403). Their four reports
# (visitor-log, visitor-placements, visitor-host-nights, visitor-exit-surveys) are behind reports:report-detail,
# whose row above tries the roster; visitors/tests/test_reports.py tries these four per persona.
VISITOR_INSIGHT_READERS = expect(FORBIDDEN, coordinator=OK, visitor_program=OK, admin_user=OK)
VISITORS_INSIGHTS: dict[str, Row] = {
    "visitors:log": get(VISITOR_INSIGHT_READERS, note="totals since the program began, by category, year, country"),
    "visitors:feedback": get(VISITOR_INSIGHT_READERS, note="exit-survey scores and comments, the pasantes' feedback"),
}

POLICY: dict[str, Row] = {**CORE, **ACCOUNTS, **ADMIN, **CLINICS, **API, **NOTIFICATIONS, **REPORTS,
                         **PHARMACY_REQUEST_FORM, **PHARMACY_REQUESTS, **PHARMACY_STOCK, **PHARMACY_API,
                         **HOST_FAMILIES, **DEVELOPMENT, **CLINICS_NETWORK, **PATIENTS10, **CLINICS_I10, **API_I10,
                         **VISITORS_ADMIN, **VISITORS_INSIGHTS, **VISITORS_APPLICANT}

# Rows whose URL may be absent: present only with DEBUG=1.
OPTIONAL = frozenset(DEVELOPMENT)

# Rows written ahead of their URLs, allowed to be absent while those are being built. The clinics pages and
# API have landed, so it is empty; the test prints a note for any name listed here that is still missing.
PENDING: frozenset[str] = frozenset()


def row_for(key: str) -> tuple[str, Row] | None:
    """The row of a URL: its own, else the group of its namespace (``admin:*``)."""
    if key in POLICY:
        return key, POLICY[key]
    if key.startswith("admin:") or key.startswith("admin/"):
        return "admin:*", POLICY["admin:*"]
    return None

# --- visitors: the program's pages and the pasante's (/visitantes/programa/, /visitantes/mi-visitante/, vprog) -----
# The visitor program, coordinators and admins manage every application (the board, the review and its actions,
# the calendar, the orientation pack); every other role, applicants included, gets 403. The world's application
# is applicant A's with a placement confirmed at clinic A with pasante A: an empty POST of an action either lacks
# what the form needs (the review page again with the errors: 200) or is refused by the state (a message and the
# review page: a redirect); mark-arrived is the one that may go through (orientation not done), written by the
# visitor program after whom only coordinators and admins try it (then refused: arrived already).
# The pasante's page of their visitor: pasante A's (the one paired); pasante B reads an empty list and gets 404
# on A's placement; other roles 403.
PROGRAM_MANAGERS = expect(FORBIDDEN, **VISITOR_MANAGERS)
PROGRAM_ACTION = post(PROGRAM_MANAGERS, obj="visitor_application")
PAIRED_PASANTE = expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND)
VISITORS_PROGRAM: dict[str, Row] = {
    "visitors:board": get(PROGRAM_MANAGERS),
    "visitors:calendar": get(PROGRAM_MANAGERS),
    "visitors:orientation-pack-upload": Row(checks={"GET": PROGRAM_MANAGERS, "POST": PROGRAM_MANAGERS},
                                            note="an empty POST: the form's errors, nothing written"),
    "visitors:review": get(PROGRAM_MANAGERS, obj="visitor_application"),
    "visitors:review-placement-check": get(PROGRAM_MANAGERS, obj="visitor_application",
                                           note="htmx: nothing filled, nothing said"),
    **{f"visitors:review-{name}": PROGRAM_ACTION for name in (
        "request-document", "offer-slots", "schedule-interview", "record-interview", "accept", "waitlist",
        "decline", "short-stay", "propose-placement", "confirm-placement", "arrival", "mark-arrived",
        "mark-in-community", "complete", "withdraw", "disengage")},
    "visitors:my-visitor": get(expect(FORBIDDEN, pasante_a=OK, pasante_b=OK), hides=("pasante_b",),
                               note="pasante A: to their one visitor's page; pasante B: no visitor"),
    "visitors:my-visitor-detail": get(PAIRED_PASANTE, obj="visitor_placement"),
    "visitors:my-visitor-host-family-ready": post(PAIRED_PASANTE, obj="visitor_placement"),
    "visitors:my-visitor-feedback": post(PAIRED_PASANTE, obj="visitor_placement",
                                         note="an empty POST: the form's errors, nothing written"),
}
POLICY.update(VISITORS_PROGRAM)

# --- visitors: the API (/api/v1/visitors/, vapi) ---------------------------------------------------------------
# The objects are applicant A's (the world's visitor_*: an application with a confirmed placement at clinic A with
# pasante A), and a survey of a stay of A's that has ended (visitor_exit_survey). An applicant reaches only their
# own: applicant B gets 404 on every object and every step of A's, and empty lists. The visitor program,
# coordinators and admins reach every application; pharmacy, clinic roles and the outsider none (empty lists,
# 404), except that pasante A reads the placement and arrival of the visitor paired with them (pasante B: 404).
# A step is the applicant's, the program's or both: a role with no part in it gets 403 before any lookup. The
# application being confirmed, every empty POST is refused with a message (400): fields required, or the step
# illegal from a confirmed placement; nothing is written, except applicant B's POST to the list, which starts
# B's own draft.
VAPI_MANAGERS = ("visitor_program", "coordinator", "admin_user")
VAPI_LIST = expect(EMPTY, applicant=OK, **cells(VAPI_MANAGERS, OK))
VAPI_DETAIL = expect(NOTFOUND, applicant=OK, **cells(VAPI_MANAGERS, OK))
VAPI_PAIRED_LIST = expect(EMPTY, applicant=OK, pasante_a=OK, **cells(VAPI_MANAGERS, OK))
VAPI_PAIRED_DETAIL = expect(NOTFOUND, applicant=OK, pasante_a=OK, **cells(VAPI_MANAGERS, OK))
VAPI_APPLICANT_STEP = expect(FORBIDDEN, applicant=INVALID, applicant_b=NOTFOUND)
VAPI_SHARED_STEP = expect(FORBIDDEN, applicant=INVALID, applicant_b=NOTFOUND, **cells(VAPI_MANAGERS, INVALID))
VAPI_STAFF_STEP = expect(FORBIDDEN, applicant_b=NOTFOUND, **cells(VAPI_MANAGERS, INVALID))
# The paired pasante's steps on a placement: pasante A's (the one paired); pasante B does not reach it (404);
# every other role is turned away before any lookup (403). The orientation packs are the program's: others
# read an empty list and 404, and may not upload (403).
VAPI_PASANTE_STEP = expect(FORBIDDEN, pasante_a=OK, pasante_b=NOTFOUND)
VAPI_MANAGERS_LIST = expect(EMPTY, **cells(VAPI_MANAGERS, OK))
# The lists whose rows name clinic A or applicant A (the others' rows hold no name; EMPTY proves them).
VAPI_HIDES = ("applicant_b", "pharmacy", "pasante_b", "chw", "supervisor", "outsider")
VISITORS_API: dict[str, Row] = {
    "api:visitors:application-list": Row(
        checks={"GET": VAPI_LIST, "POST": expect(FORBIDDEN, applicant=INVALID, applicant_b=OK)},
        hides=(*VAPI_HIDES, "pasante_a"),
        note="POST starts a draft: A has one under way (400, the constraint's message); B has none, so starts theirs",
    ),
    "api:visitors:application-detail": get(VAPI_DETAIL, obj="visitor_application"),
    **{f"api:visitors:application-{step}": post(VAPI_APPLICANT_STEP, obj="visitor_application",
                                                note="the applicant's own step: staff 403; no body: 400")
       for step in ("edit", "submit", "choose-slot", "exit-survey")},
    **{f"api:visitors:application-{step}": post(VAPI_SHARED_STEP, obj="visitor_application",
                                                note="the applicant's, or the program's for them; no body or "
                                                     "confirmed already: 400")
       for step in ("upload-document", "confirm-placement", "flight-details", "withdraw")},
    **{f"api:visitors:application-{step}": post(VAPI_STAFF_STEP, obj="visitor_application",
                                                note="the program's step: the applicant 403 on their own, B 404; "
                                                     "no body or illegal from a confirmed placement: 400")
       for step in ("request-document", "offer-slots", "schedule-interview", "record-interview", "accept",
                    "waitlist", "decline", "allow-short-stay", "check-placement", "propose-placement",
                    "arrange-arrival", "mark-arrived", "mark-in-community", "complete", "disengage")},
    "api:visitors:document-list": get(VAPI_LIST),
    "api:visitors:document-detail": get(VAPI_DETAIL, obj="visitor_document"),
    "api:visitors:document-download": get(VAPI_DETAIL, obj="visitor_document",
                                          note="the file, through visitors.selectors.document_for as the page"),
    "api:visitors:interview-slot-list": get(VAPI_LIST),
    "api:visitors:interview-slot-detail": get(VAPI_DETAIL, obj="visitor_slot"),
    "api:visitors:interview-list": get(VAPI_LIST),
    "api:visitors:interview-detail": get(VAPI_DETAIL, obj="visitor_interview",
                                         note="the assessment is null for the applicant (visitors/tests/test_api.py)"),
    "api:visitors:placement-list": get(VAPI_PAIRED_LIST, hides=VAPI_HIDES),
    "api:visitors:placement-detail": get(VAPI_PAIRED_DETAIL, obj="visitor_placement"),
    "api:visitors:arrival-list": get(VAPI_PAIRED_LIST),
    "api:visitors:arrival-detail": get(VAPI_PAIRED_DETAIL, obj="visitor_arrival"),
    "api:visitors:exit-survey-list": get(VAPI_LIST),
    "api:visitors:exit-survey-detail": get(VAPI_DETAIL, obj="visitor_exit_survey"),
    "api:visitors:placement-host-family-ready": post(
        VAPI_PASANTE_STEP, obj="visitor_placement",
        note="pasante A's visitor, not arrived yet: pasante A's empty POST goes through (the host family is ready)"),
    "api:visitors:placement-feedback": post(
        expect(FORBIDDEN, pasante_a=INVALID, pasante_b=NOTFOUND), obj="visitor_placement",
        note="the paired pasante's after the stay: no rating, no yes or no: 400"),
    "api:visitors:orientation-pack-list": Row(
        checks={"GET": VAPI_MANAGERS_LIST, "POST": expect(FORBIDDEN, **cells(VAPI_MANAGERS, INVALID))},
        hides=(*VAPI_HIDES, "applicant", "pasante_a"),
        note="the program's packs (the world's names clinic A); uploading is theirs: no title, no file: 400"),
    "api:visitors:orientation-pack-detail": get(expect(NOTFOUND, **cells(VAPI_MANAGERS, OK)),
                                                obj="visitor_orientation_pack"),
}
POLICY.update(VISITORS_API)
