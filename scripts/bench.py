#!/usr/bin/env python
"""make bench: generate data at a scale factor in a database of its own, measure, print a table.

    .venv/bin/python scripts/bench.py [--scale 1.0]      (DATABASE_URL defaults to .../ces_bench)

(a) CSV export: the staff directory report (Django ORM; each person's current clinics a subquery) and
    the same columns as a plain-SQL report, both through the project's streaming code (the view, chunk
    after chunk, as a browser would read it), against ``psql \\copy (same query) to stdout`` (the report's row
    source where it has one: the query that gives the export's cells, see ces/reports/rows.py); at 100k and
    1M rows × scale. Each export runs in a child process, whose peak RSS (ru_maxrss) and tracemalloc
    peak of the streaming loop are reported: flat from 100k to 1M rows means constant memory.
(b) Reminder dispatch: 100k × scale due reminders inserted as rows, then claimed and delivered by the
    ces.notifications engine (in-app entry and e-mail to a backend that only counts) by two processes at
    once; then every row must be sent and in its inbox and every e-mail sent once: the duplicates and the
    lost are counted (both 0, or the run fails).
(c) Pharmacy: every main page (the pharmacy's and the coordinator's home, the stock alerts, the request list
    and queue, the reports page and the pharmacy's report previews, the new monthly request form) through
    django.test.Client, with 30 × scale clinics (in a database of its own, ``<bench>_small``) and ten times
    as many, each with 12 months of requests of 58 lines and of notices: queries of one request (the same at
    both sizes: fixed), the median latency of 20 taken from the two sizes in turns, and their ratio. Then
    600 × scale approved requests dispatched by 8 processes at once, all against the same warehouse lots:
    dispatches/s and ledger lines/s, and at the end no negative balance and every balance equal to its ledger
    sum (printed, and asserted).

(d) HTTP throughput (``--only http``): gunicorn started with the Procfile's web command (so with
    ces/gunicorn.conf.py: 3 processes × 4 threads) on a free 127.0.0.1 port against the bench database,
    as in production (DEBUG=0, static files collected, every request with ``X-Forwarded-Proto: https`` as
    the TLS proxy sends it). Each person logs in once by posting the login form; wrk (Debian's package,
    installed through scripts/apt-install.sh if missing) then runs ``-t2 -c8 -d10s`` with that session
    cookie on the busiest pages of each role (pasante: home, new restock request form; pharmacy: queue,
    home; coordinator: home, clinic list), the smallest logged-in page (the unread badge) and the smallest
    page with the layout (the pasante's notices), the ceilings of any list and of any page, and the
    restock-request and item API lists, each printed as requests/s, a ratio to ``/livez`` (the bare view)
    and to ``/healthz`` in the same run, and median latency, with 30 × scale
    clinics of request history. Then the staff directory's CSV at 1,000,000 × scale rows is downloaded
    through the same server as a browser saves it: rows counted, the transfer complete, and its last line
    ``# Fin del reporte: N filas`` with N the rows counted (asserted). The server is stopped at the end;
    its log is kept in a temporary file named in the output. About 3 minutes at scale 1.

    .venv/bin/python scripts/bench.py --scale 0.1 --only pharmacy      (one part; repeat --only for more)
    .venv/bin/python scripts/bench.py --only pharmacy --page preview --reuse
        (--page TEXT: only the pages whose label contains TEXT, repeatable, and then no dispatch in (c) and no
        CSV download in (d); --reuse: keep the pharmacy data an earlier run generated where it already has the
        size asked for. Part (d) regenerates 30 × scale clinics in the bench database, (c) 300 × scale: give
        each its own BENCH_DATABASE_URL to alternate them with --reuse.)

Later issues add their measurements here. One run is 10 to 15 minutes on two cores at scale 1 (627 s last
measured, most of it the reminders).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ces_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ces.settings")
os.environ.setdefault("EMAIL_URL", "dummymail://")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PARTS = ("csv", "reminders", "pharmacy", "http")
CSV_SIZES = (100_000, 1_000_000)
REMINDERS = 100_000
RECIPIENTS = 1000
CLINICS = 50
BENCH_SQL_KEY = "bench-staff-sql"


def setup_django():
    import django

    django.setup()


def ensure_database_named(name: str):
    """``ensure_database`` for database ``name`` of the same server, and point the connection at it."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    ensure_database()


def ensure_database():
    """Create the bench database if it does not exist, then migrate it."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    admin = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                            password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def bench_user(email="bench-coordinator@example.mx", role="coordinator"):
    from django.contrib.auth.models import Group

    from ces.accounts.models import User

    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": "Bench"})
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return User.objects.get(pk=user.pk)


# --- (a) CSV -------------------------------------------------------------------------------------------


def register_sql_report():
    """The staff directory's columns as a plain-SQL report, to see what the ORM costs on top."""
    from django.utils import timezone

    from ces.reports.registry import Column, Report, Sql, register, report_by_key

    def rows(user, filters):
        today = timezone.localdate()
        return Sql(
            """
            SELECT s.full_name, s.cadre, s.email, s.phone,
                   (SELECT string_agg(c.name, ', ')
                      FROM clinics_assignment a JOIN clinics_clinic c ON c.id = a.clinic_id
                     WHERE a.staff_id = s.id AND a.start_date <= %s AND (a.end_date IS NULL OR a.end_date >= %s)),
                   co.name, s.active
              FROM clinics_staff s LEFT JOIN clinics_cohort co ON co.id = s.cohort_id
             ORDER BY lower(s.full_name)
            """,
            [today, today],
        )

    staff = report_by_key("staff-directory")
    register(Report(key=BENCH_SQL_KEY, title="Staff (SQL)", columns=[Column(c.key, c.header) for c in staff.columns],
                    rows=rows, allowed=lambda user: True))


def generate_staff(n: int):
    """Exactly ``n`` staff rows; one in a hundred holds an open assignment at one of the clinics.

    (Not more: each insert checks the assignments' exclusion constraints through a GiST index, and a
    million of those would be most of the bench's time.)"""
    from django.db import connection

    from clinics.models import Cohort

    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM clinics_staff), (SELECT count(*) FROM clinics_assignment)")
        if cursor.fetchone() == (n, n // 100):
            return
        cursor.execute("TRUNCATE clinics_assignment, clinics_staff, clinics_clinic, clinics_community, "
                       "clinics_cohort, accounts_user RESTART IDENTITY CASCADE")
        cursor.execute(
            "INSERT INTO clinics_community (name, municipality, travel_minutes, road_notes, accepts_visitors, "
            "visitors_agreement) SELECT 'Comunidad ' || i, 'Jaltenango', 60, '', false, '' "
            "FROM generate_series(1, %s) AS i", [CLINICS])
        cursor.execute(
            "INSERT INTO clinics_clinic (community_id, name, kind, moh_code, active) "
            "SELECT id, 'Clínica ' || name, 'rural_clinic', '', true FROM clinics_community")
        cohort = Cohort.objects.create(name="Promoción bench", start_date="2026-02-01", end_date="2027-01-31")
        # The staff table keeps an audit history (pghistory): its row triggers would write a million events,
        # most of the generation's time, for rows that are generated, not changed by anyone.
        cursor.execute("ALTER TABLE clinics_staff DISABLE TRIGGER USER")
        try:
            cursor.execute(
            """
            INSERT INTO clinics_staff (full_name, cadre, email, phone, cohort_id, active, notes, curp)
            SELECT 'Persona ' || md5(i::text), CASE WHEN i %% 3 = 0 THEN 'pasante' ELSE 'nurse' END,
                   'p' || i || '@example.mx', '96' || lpad(i::text, 8, '0'),
                   CASE WHEN i %% 3 = 0 THEN %s END, i %% 17 <> 0, '', ''
              FROM generate_series(1, %s) AS i
            """, [cohort.pk, n])
        finally:
            cursor.execute("ALTER TABLE clinics_staff ENABLE TRIGGER USER")
        cursor.execute(
            """
            INSERT INTO clinics_assignment (staff_id, clinic_id, role, start_date, end_date, end_reason, created_at)
            SELECT s.id, (SELECT min(id) FROM clinics_clinic) + s.id %% %s, 'other', DATE '2026-01-01', NULL, '', now()
              FROM clinics_staff s WHERE s.id %% 100 = 0
            """, [CLINICS])
        cursor.execute("ANALYZE")


def csv_child(key: str) -> dict:
    """In a fresh process: stream the report's CSV through the view and throw it away."""
    import tracemalloc

    from django.test import RequestFactory

    from ces.reports import views

    if key == BENCH_SQL_KEY:
        register_sql_report()
    request = RequestFactory().get(f"/reportes/{key}/csv/")
    request.user = bench_user()
    request.htmx = False
    start = time.perf_counter()
    response = views.report_csv(request, key)
    chunks = iter(response.streaming_content)
    header = next(chunks)
    first_byte = time.perf_counter() - start
    first_rows = next(chunks)
    first_rows_at = time.perf_counter() - start
    size, lines = len(header) + len(first_rows), header.count(b"\n") + first_rows.count(b"\n")
    last = first_rows
    tracemalloc.start()
    for i, chunk in enumerate(chunks):
        size += len(chunk)
        lines += chunk.count(b"\n")
        last = chunk
        if i == 3:  # tracemalloc slows Python down: measure a few chunks of the loop, then let it run
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    if tracemalloc.is_tracing():
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    seconds = time.perf_counter() - start
    assert last.startswith(b"# "), last  # the line that says the file is whole, after the last row
    return {"rows": lines - 2, "seconds": seconds, "first_byte": first_byte, "first_rows": first_rows_at, "bytes": size,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "traced_peak_mb": peak / 2**20}


def psql_copy(key: str) -> dict:
    """``psql \\copy (the report's main query) to stdout``: the database's own speed for the same rows."""
    from django.conf import settings
    from django.db import connection

    from ces.reports import registry, rows

    if key == BENCH_SQL_KEY:
        register_sql_report()
    report = registry.report_by_key(key)
    form = report.build_form({}, bench_user())
    assert form.is_valid()
    source = report.rows(bench_user(), form.cleaned_data)
    # The query that gives the export's cells: a report's row source (the ORM report's current clinics are a
    # subquery there, not a second query psql would never run), else its QuerySet as it is.
    cells = rows.row_source(report, source)
    if cells is not None:
        sql, params = cells.text, cells.params
    elif hasattr(source, "query"):
        sql, params = source.query.sql_with_params()
    else:
        sql, params = source.text, source.params
    with connection.cursor():
        composed = connection.ops.compose_sql(sql, params)
    db = settings.DATABASES["default"]
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    command = ["psql", url, "-X", "-q", "-c", f"\\copy ({' '.join(composed.split())}) to stdout with csv header"]
    start = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True)
    return {"rows": out.stdout.count(b"\n") - 1, "seconds": time.perf_counter() - start}


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True,
                         env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- (b) Reminder dispatch -----------------------------------------------------------------------------------


def register_bench_rule():
    from ces.notifications.registry import Message, ReminderRule, register

    class BenchRule(ReminderRule):
        kind = "bench.ping"
        label = "Bench"

        def due(self, now):
            return []

        def message(self, notification, subject):
            return Message(title=f"Recordatorio {notification.occurrence}", body="Prueba de carga", link="/avisos/")

    register(BenchRule())


def generate_reminders(n: int):
    """``n`` due reminders spread over ``RECIPIENTS`` people, inserted as the engine materialises them."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from ces.accounts.models import User
    from ces.notifications.models import Notification

    Notification.objects.all().delete()
    missing = RECIPIENTS - User.objects.filter(email__startswith="bench-r").count()
    User.objects.bulk_create([User(email=f"bench-r{i}-{time.time_ns()}@example.mx", password="!")
                              for i in range(missing)])
    user_type = ContentType.objects.get_for_model(User)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Notification._meta.db_table}
                   (recipient_id, kind, subject_type_id, subject_id, occurrence, due_at, next_attempt_at, state,
                    attempts, last_error, title, body, link, emailed, created_at)
            SELECT u.id, 'bench.ping', %s, u.id, 'occ-' || i, now() - interval '1 minute',
                   now() - interval '1 minute', 'pending', 0, '', '', '', '', false, now()
              FROM generate_series(1, %s) AS i
              JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM accounts_user
                     WHERE email LIKE 'bench-r%%') AS u ON u.k = i %% %s
            """, [user_type.pk, n, RECIPIENTS])
        cursor.execute("ANALYZE")


class CountingEmailBackend:
    """The dummy backend, keeping who got which subject: the parent counts duplicates and losses."""

    sent: list[list[str]] = []

    def __init__(self, fail_silently=False, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        self.sent.extend([m.to[0], m.subject] for m in messages)
        return len(messages)


def dispatch_child() -> dict:
    from django.conf import settings

    from ces.notifications.services import notifications_dispatch

    settings.EMAIL_BACKEND = f"{__name__}.CountingEmailBackend"
    register_bench_rule()
    start = time.perf_counter()
    outcome = notifications_dispatch(limit=200, max_batches=10**9)
    return {"sent": outcome.get("sent", 0), "seconds": time.perf_counter() - start, "outcome": outcome,
            "emails": CountingEmailBackend.sent}


def reminders_check(n: int, results: list[dict]) -> dict:
    """Exactly once, counted: every row sent and in its inbox, and one e-mail per row, none twice, none missing."""
    from collections import Counter

    from ces.notifications.models import Notification

    emails = Counter((to, subject) for r in results for to, subject in r["emails"])
    expected = Counter(Notification.objects.filter(kind="bench.ping").values_list("recipient__email", "title"))
    in_inbox = Notification.objects.filter(kind="bench.ping", state=Notification.State.SENT, emailed=True,
                                           delivered_at__isnull=False).count()
    return {
        "sent": in_inbox,
        "duplicates": sum(count - 1 for count in emails.values() if count > 1) + sum(
            count - 1 for count in expected.values() if count > 1),
        "lost": (n - in_inbox) + sum(1 for key in expected if key not in emails),
    }


# --- (c) Pharmacy: the request pages at two data sizes, and dispatch under contention ----------------------

PHARMACY_CLINICS = 30  # × scale for the first size, 10 × that for the second
PHARMACY_MONTHS = 12
PHARMACY_ITEMS = 58  # the demo catalogue's size, in six categories
LINE_BATCH = 100  # requests whose lines one statement inserts (see generate_pharmacy)
PAGE_RUNS = 20
DISPATCHES = 600  # × scale
DISPATCH_WORKERS = 8
BENCH_CLINIC = "Clínica farmacia bench "
PASANTE_EMAIL = "bench-pasante@example.mx"
PHARMACY_EMAIL = "bench-pharmacy@example.mx"


def release_pasante():
    """Remove the bench pasante's post and staff row, so the staff directory of (a) keeps its exact size."""
    from clinics.models import Assignment, Staff

    Assignment.objects.filter(staff__user__email=PASANTE_EMAIL).delete()
    Staff.objects.filter(user__email=PASANTE_EMAIL).delete()


def pharmacy_reset():
    """Empty the pharmacy's tables (and the bench's notices): each run starts from nothing."""
    from django.db import connection

    from ces.notifications.models import Notification

    release_pasante()
    Notification.objects.filter(kind=NOTICE_KIND).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE pharmacy_restockrequesttotals, pharmacy_restocklineevent, pharmacy_restockline, "
            "pharmacy_restockrequestevent, "
            "pharmacy_restockrequest, pharmacy_stockmovementevent, pharmacy_stockmovement, pharmacy_stockbalance, "
            "pharmacy_stockcountline, pharmacy_stockcount, pharmacy_lot, pharmacy_item RESTART IDENTITY CASCADE")


def pharmacy_people():
    """The pharmacist, and the pasante posted at the first bench clinic (their clinic's form is measured)."""
    from django.utils import timezone

    from ces.accounts.roles import Role
    from clinics.models import Assignment, Cadre, Clinic, Staff

    pharmacist, pasante = bench_user(PHARMACY_EMAIL, Role.PHARMACY), bench_user(PASANTE_EMAIL, Role.PASANTE)
    clinic = Clinic.objects.filter(name__startswith=BENCH_CLINIC).order_by("pk").first()
    staff, _ = Staff.objects.get_or_create(user=pasante, defaults={"full_name": "Pasante bench",
                                                                   "cadre": Cadre.PASANTE, "email": PASANTE_EMAIL})
    Assignment.objects.get_or_create(staff=staff, clinic=clinic, role=Assignment.Role.PASANTE, defaults={
        "start_date": timezone.localdate().replace(day=1), "end_date": None})
    return pharmacist, pasante, clinic


def generate_pharmacy(clinics: int):
    """``clinics`` clinics × ``PHARMACY_MONTHS`` months of regular requests with a line per item (58).

    Past months are closed (approved, dispatched and received as requested); this month every clinic
    but the bench pasante's has submitted its request (the pharmacy's queue), the pasante's has none yet
    (the form is new). Requests and lines are inserted as rows: they do not move stock, so the ledger
    and the balances are untouched (both empty here).
    """
    from django.db import connection
    from django.utils import timezone

    from pharmacy.models import Item

    period = timezone.localdate().replace(day=1)
    if not Item.objects.exists():
        Item.objects.bulk_create([
            Item(code=f"BEN-{i:03d}", name=f"Medicamento bench {i:02d}", form="tableta", strength="500 mg",
                 unit="tableta", category=f"Bench {i % 6}", max_months_of_stock=2 + i % 3)
            for i in range(PHARMACY_ITEMS)])
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE pharmacy_restockrequesttotals, pharmacy_restocklineevent, pharmacy_restockline, "
                       "pharmacy_restockrequestevent, pharmacy_restockrequest RESTART IDENTITY")
        cursor.execute(
            "INSERT INTO clinics_community (name, municipality, travel_minutes, road_notes, accepts_visitors, "
            "visitors_agreement) SELECT 'Comunidad farmacia ' || i, 'Jaltenango', 90, '', false, '' "
            "FROM generate_series(1, %s) AS i ON CONFLICT (name) DO NOTHING", [clinics])
        cursor.execute(
            "INSERT INTO clinics_clinic (community_id, name, kind, moh_code, active) "
            "SELECT id, %s || substr(name, 20), 'rural_clinic', '', true FROM clinics_community "
            "WHERE name LIKE 'Comunidad farmacia %%' ON CONFLICT (name) DO NOTHING", [BENCH_CLINIC])
        pharmacist, pasante, pasante_clinic = pharmacy_people()
        cursor.execute(
            """
            WITH c AS (SELECT id FROM clinics_clinic WHERE name LIKE %(prefix)s ORDER BY id LIMIT %(clinics)s),
                 s AS (SELECT c.id AS clinic_id, k, (%(period)s::date - make_interval(months => k))::date AS period
                         FROM c CROSS JOIN generate_series(0, %(months)s - 1) AS k
                        WHERE NOT (k = 0 AND c.id = %(pasante_clinic)s))
            INSERT INTO pharmacy_restockrequest
                   (clinic_id, period, kind, state, rejection_reason, emergency_reason, receipt_remarks,
                    created_by_id, created_at, submitted_by_id, submitted_at, decided_by_id, decided_at,
                    dispatched_by_id, dispatched_at, received_by_id, received_at, closed_at)
            SELECT clinic_id, period, 'regular', CASE WHEN k = 0 THEN 'submitted' ELSE 'closed' END, '', '', '',
                   %(pasante)s, period + interval '18 days',
                   %(pasante)s, CASE WHEN k = 0 THEN now() - (clinic_id %% 6) * interval '1 day' - interval '1 hour'
                                     ELSE period + interval '20 days' END,
                   CASE WHEN k > 0 THEN %(pharmacy)s END, CASE WHEN k > 0 THEN period + interval '22 days' END,
                   CASE WHEN k > 0 THEN %(pharmacy)s END, CASE WHEN k > 0 THEN period + interval '24 days' END,
                   CASE WHEN k > 0 THEN %(pasante)s END, CASE WHEN k > 0 THEN period + interval '30 days' END,
                   CASE WHEN k > 0 THEN period + interval '31 days' END
              FROM s
            """,
            {"prefix": BENCH_CLINIC + "%", "clinics": clinics, "period": period, "months": PHARMACY_MONTHS,
             "pasante_clinic": pasante_clinic.pk, "pasante": pasante.pk, "pharmacy": pharmacist.pk})
        # Figures that hold together: AMC = consumption, maximum = AMC × max months, suggestion = maximum
        # minus stock on hand, requested = suggested; closed months approved, dispatched and received in full.
        # A statement per LINE_BATCH requests, each its own transaction: the audit trigger opens a
        # subtransaction per row, and past a few thousand of them in one transaction every insert slows down
        # (subtransaction overflow), so one statement for all lines grows with the square of their number.
        cursor.execute("SELECT min(id), max(id) FROM pharmacy_restockrequest")
        first, last = cursor.fetchone()
        for start in range(first, last + 1, LINE_BATCH):
            cursor.execute(
                """
                WITH f AS (SELECT r.id AS request_id, r.state, i.id AS item_id, i.max_months_of_stock AS months,
                                  10 + abs(hashtext(r.id || ':' || i.id)) %% 50 AS consumed,
                                  abs(hashtext(i.id || ':' || r.id)) %% 40 AS on_hand
                             FROM pharmacy_restockrequest r CROSS JOIN pharmacy_item i
                            WHERE r.id BETWEEN %s AND %s),
                     g AS (SELECT *, consumed * months AS maximum,
                                  greatest(consumed * months - on_hand, 0) AS suggested FROM f)
                INSERT INTO pharmacy_restockline
                       (request_id, item_id, beginning_balance, received, consumed, losses_adjustments,
                        adjustment_reason, stock_on_hand, stockout_days, amc, maximum, suggested, requested,
                        explanation, approved, cut_reason, dispatched, received_quantity, remarks)
                SELECT request_id, item_id, on_hand + consumed, 0, consumed, 0, '', on_hand, 0, consumed, maximum,
                       suggested, suggested, '',
                       CASE WHEN state = 'closed' THEN suggested END, '',
                       CASE WHEN state = 'closed' THEN suggested END,
                       CASE WHEN state = 'closed' THEN suggested END, ''
                  FROM g
                """, [start, start + LINE_BATCH - 1])
        # VACUUM as well: autovacuum would have passed over rows this old in any database that lives, and
        # without the visibility map it sets no index-only scan is one (each would read the table too).
        cursor.execute("VACUUM (ANALYZE) pharmacy_restockrequest, pharmacy_restockline, pharmacy_item")
    generate_notification_history(clinics)


NOTICES_PER_CLINIC_MONTH = 10  # the outbox's history grows with the clinics and the months, as the requests do
NOTICE_KIND = "bench.pharmacy-history"


def generate_notification_history(clinics: int):
    """``NOTICES_PER_CLINIC_MONTH`` notices a clinic and month, sent to the pharmacist and read long ago, and one
    a clinic that failed: what the coordinator's outbox panel counts."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from ces.notifications.models import Notification
    from clinics.models import Clinic

    Notification.objects.filter(kind=NOTICE_KIND).delete()
    pharmacist = pharmacy_people()[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH c AS (SELECT id FROM clinics_clinic WHERE name LIKE %(prefix)s ORDER BY id LIMIT %(clinics)s)
            INSERT INTO {Notification._meta.db_table}
                   (recipient_id, kind, subject_type_id, subject_id, occurrence, due_at, next_attempt_at, state,
                    attempts, last_error, title, body, link, delivered_at, sent_at, read_at, emailed, created_at)
            SELECT %(recipient)s, %(kind)s, %(type)s, c.id, 'm' || k || '/' || n, due, due,
                   CASE WHEN k = 0 AND n = 0 THEN 'failed' ELSE 'sent' END, 1,
                   CASE WHEN k = 0 AND n = 0 THEN 'SMTP 421' ELSE '' END, 'Aviso bench', '', '',
                   CASE WHEN k = 0 AND n = 0 THEN NULL ELSE due END, CASE WHEN k = 0 AND n = 0 THEN NULL ELSE due END,
                   CASE WHEN k = 0 AND n = 0 THEN NULL ELSE due END, false, due
              FROM c CROSS JOIN generate_series(0, %(months)s - 1) AS k CROSS JOIN generate_series(0, %(per)s - 1) AS n
                   CROSS JOIN LATERAL (SELECT now() - make_interval(months => k, hours => n) AS due) AS d
            """,
            {"prefix": BENCH_CLINIC + "%", "clinics": clinics, "months": PHARMACY_MONTHS,
             "per": NOTICES_PER_CLINIC_MONTH, "recipient": pharmacist.pk, "kind": NOTICE_KIND,
             "type": ContentType.objects.get_for_model(Clinic).pk})
        cursor.execute(f"VACUUM (ANALYZE) {Notification._meta.db_table}")


def use_database(name: str):
    """Point the default connection at database ``name`` (of the same server) and connect, outside any timing."""
    from django.db import connection

    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name
    connection.ensure_connection()


def measure_pages(sites: list[tuple[str, dict]], url: str) -> list[tuple[int, float]]:
    """``(queries of one request, median latency of PAGE_RUNS more)`` of ``url`` at each site, a site being a
    database and its logged-in client. The sites take turns request by request, so a machine busy with
    something else slows each of them alike, and the ratio between sizes stays a property of the code."""
    import statistics

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    counted, times = [], [[] for _ in sites]
    for database, client in sites:
        use_database(database)
        reset_queries()  # the log is a bounded deque: once full, its length no longer counts anything
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)  # also the warm-up
        assert response.status_code == 200, (url, response.status_code)
        counted.append(len(queries))
    for _ in range(PAGE_RUNS):
        for (database, client), measured in zip(sites, times, strict=True):
            use_database(database)
            start = time.perf_counter()
            response = client.get(url)
            measured.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
    return [(n, statistics.median(t)) for n, t in zip(counted, times, strict=True)]


# The main pages, as their people open them: (label, URL name, kwargs, who). Each is measured at both sizes.
PHARMACY_PAGES = (
    ("pharmacy home", "accounts:home", {}, "pharmacy"),
    ("stock alerts: below minimum", "pharmacy:stock-below-minimum", {}, "pharmacy"),
    ("stock alerts: expiring", "pharmacy:stock-expiring", {}, "pharmacy"),
    ("request list", "pharmacy:request-list", {}, "pharmacy"),
    ("request queue", "pharmacy:request-queue", {}, "pharmacy"),
    ("coordinator home", "accounts:home", {}, "coordinator"),
    ("reports page", "reports:report-list", {}, "coordinator"),
    *[(f"report preview: {key}", "reports:report-detail", {"key": key}, "coordinator")
      for key in ("restock-requests", "stockouts", "stock-on-hand", "consumption")],
    ("new request form", "pharmacy:request-create", {}, "pasante"),
)


def pharmacy_clients() -> dict:
    """A client logged in for each of the pages' people, in the database the connection points at."""
    from django.test import Client

    from ces.accounts.roles import Role

    pharmacist, pasante, _ = pharmacy_people()
    people = {"pharmacy": pharmacist, "pasante": pasante, "coordinator": bench_user(role=Role.COORDINATOR)}
    clients = {}
    for who, user in people.items():
        clients[who] = Client(HTTP_HOST="localhost")
        clients[who].force_login(user)
    return clients


def measure_pharmacy_pages(databases: list[str], pages: list[str] | None = None) -> list[tuple]:
    """``(label, who, [(queries, median) at each database])`` of each of ``PHARMACY_PAGES`` (those ``_chosen``)."""
    from django.urls import reverse

    clients = []
    for database in databases:
        use_database(database)
        clients.append(pharmacy_clients())
    rows = []
    chosen = _chosen([f"{label} ({who})" for label, _, _, who in PHARMACY_PAGES], pages)
    for label, name, kwargs, who in PHARMACY_PAGES:
        if f"{label} ({who})" not in chosen:
            continue
        sites = [(database, by[who]) for database, by in zip(databases, clients, strict=True)]
        rows.append((label, who, measure_pages(sites, reverse(name, kwargs=kwargs))))
    return rows


def generate_dispatches(n: int) -> dict:
    """``n`` approved emergency requests of ``PHARMACY_ITEMS`` lines each, all served by the SAME warehouse
    lots: per item, four lots received through ``warehouse_receive`` (the ledger and the balances move
    together) that hold the demand and a tenth more, so first-expiry-first-out empties three of them during
    the run, and an expired lot that must never be picked."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from pharmacy import services
    from pharmacy.models import Item

    today = timezone.localdate()
    pharmacist = pharmacy_people()[0]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM clinics_clinic WHERE name LIKE %s),
                 n AS (SELECT count(*) AS clinics FROM c)
            INSERT INTO pharmacy_restockrequest
                   (clinic_id, period, kind, state, rejection_reason, emergency_reason, receipt_remarks,
                    created_at, submitted_at, decided_by_id, decided_at)
            SELECT c.id, %s, 'emergency', 'approved', '', 'Brote de diarrea', '', now(), now(), %s, now()
              FROM generate_series(0, %s - 1) AS i CROSS JOIN n JOIN c ON c.k = i %% n.clinics
            """, [BENCH_CLINIC + "%", today.replace(day=1), pharmacist.pk, n])
        cursor.execute(
            """
            INSERT INTO pharmacy_restockline
                   (request_id, item_id, beginning_balance, received, consumed, losses_adjustments,
                    adjustment_reason, stock_on_hand, stockout_days, amc, maximum, suggested, requested, explanation,
                    approved, cut_reason, remarks)
            SELECT r.id, i.id, 0, 0, 0, 0, '', 0, 0, 0, 0, q, q, '', q, '', ''
              FROM pharmacy_restockrequest r CROSS JOIN pharmacy_item i
                   CROSS JOIN LATERAL (SELECT 5 + abs(hashtext(r.id || '/' || i.id)) % 16 AS q) AS x
             WHERE r.kind = 'emergency' AND r.state = 'approved'
            """)
        cursor.execute(
            "SELECT l.item_id, sum(l.approved) FROM pharmacy_restockline l JOIN pharmacy_restockrequest r "
            "ON r.id = l.request_id WHERE r.kind = 'emergency' AND r.state = 'approved' GROUP BY l.item_id")
        demand = dict(cursor.fetchall())
    for item in Item.objects.all():
        total = demand[item.pk] * 11 // 10
        services.warehouse_receive(item=item, lot_number=f"{item.code}-VENCIDO", expiry=today - timedelta(days=10),
                                   quantity=500, by=pharmacist, document="bench")
        for k in range(4):
            quantity = total // 4 if k < 3 else total - 3 * (total // 4)
            services.warehouse_receive(item=item, lot_number=f"{item.code}-{k}", quantity=quantity,
                                       expiry=today + timedelta(days=90 * (k + 1)), by=pharmacist, document="bench")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE pharmacy_restockrequest, pharmacy_restockline, pharmacy_lot, pharmacy_stockbalance, "
                       "pharmacy_stockmovement")
    return demand


def dispatch_worker(index: int, workers: int) -> dict:
    """One of the pharmacists: dispatches its share of the approved requests once the parent says go."""
    from django.core.exceptions import ValidationError

    from ces.accounts.roles import Role
    from pharmacy import services
    from pharmacy.models import RestockRequest

    ids = list(RestockRequest.objects.filter(kind=RestockRequest.Kind.EMERGENCY, state=RestockRequest.State.APPROVED)
               .order_by("pk").values_list("pk", flat=True))[index::workers]
    by = bench_user(PHARMACY_EMAIL, Role.PHARMACY)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.time()
    dispatched = short = 0
    for pk in ids:
        try:
            services.restock_request_dispatch(request=RestockRequest.objects.get(pk=pk), by=by)
            dispatched += 1
        except ValidationError:
            short += 1
    return {"dispatched": dispatched, "short": short, "start": start, "end": time.time()}


def run_dispatch_workers() -> dict:
    command = [sys.executable, __file__, "--child", "pharmacy-dispatch"]
    workers = [subprocess.Popen([*command, str(k), str(DISPATCH_WORKERS)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=os.environ) for k in range(DISPATCH_WORKERS)]
    for worker in workers:  # all set up and holding their share: start them together
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    assert all(w.returncode == 0 for w in workers)
    return {"dispatched": sum(r["dispatched"] for r in results), "short": sum(r["short"] for r in results),
            "seconds": max(r["end"] for r in results) - min(r["start"] for r in results)}


def ledger_check() -> dict:
    """Negative balances, and (location, lot) pairs where the balance differs from the ledger's sum."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE b.quantity < 0),
                   count(*) FILTER (WHERE b.quantity IS DISTINCT FROM m.total),
                   coalesce(sum(b.quantity), 0), coalesce(sum(m.total), 0)
              FROM pharmacy_stockbalance b
              FULL JOIN (SELECT clinic_id, lot_id, sum(quantity) AS total FROM pharmacy_stockmovement
                          GROUP BY clinic_id, lot_id) m
                ON m.lot_id = b.lot_id AND m.clinic_id IS NOT DISTINCT FROM b.clinic_id
            """)
        pairs, negative, mismatched, balances, ledger = cursor.fetchone()
        cursor.execute(
            """
            SELECT (SELECT -coalesce(sum(quantity), 0) FROM pharmacy_stockmovement WHERE kind = 'dispatch_out'),
                   (SELECT coalesce(sum(dispatched), 0) FROM pharmacy_restockline l
                      JOIN pharmacy_restockrequest r ON r.id = l.request_id WHERE r.state = 'dispatched'),
                   (SELECT count(*) FROM pharmacy_stockmovement m JOIN pharmacy_lot t ON t.id = m.lot_id
                     WHERE m.kind = 'dispatch_out' AND t.expiry < current_date)
            """)
        moved, lines_dispatched, expired_picked = cursor.fetchone()
    return {"pairs": pairs, "negative": negative, "mismatched": mismatched, "balances": int(balances),
            "ledger": int(ledger), "moved": int(moved), "lines_dispatched": int(lines_dispatched),
            "expired_picked": expired_picked}


# --- (d) HTTP: gunicorn as the Procfile starts it, wrk on each role's busiest pages, the 1M-row CSV -----------

HTTP_SECONDS = 10  # wrk -d, per page
HTTP_THREADS, HTTP_CONNECTIONS = 2, 8  # wrk -t, -c: two cores, against the server's 3 processes × 4 threads
BENCH_PASSWORD = "bench-http-2026"
HTTP_HOST = "localhost"


def procfile_web() -> str:
    """The Procfile's web command, as honcho or a platform would run it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("the Procfile has no web process")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(port: int) -> dict:
    """The environment of the web process in production (DEBUG=0), bound to loopback only.

    Requests carry ``X-Forwarded-Proto: https`` as the TLS proxy in front of web sends it, so the
    production security settings (SSL redirect, secure cookies, CSRF's referer check) stay on.
    """
    import secrets

    return {**os.environ, "DEBUG": "0", "SECRET_KEY": secrets.token_hex(40), "ALLOWED_HOSTS": HTTP_HOST,
            "PORT": str(port),
            # No control socket: its default path is one per user, shared with any other gunicorn running here.
            "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --no-control-socket", "LOG_LEVEL": "WARNING",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


class Server:
    """gunicorn started with the Procfile's web command; stopped (and waited for) on leaving the block."""

    def __init__(self, env: dict, log):
        self.env, self.log, self.process = env, log, None
        self.base = f"http://127.0.0.1:{env['PORT']}"

    def __enter__(self):
        self.process = subprocess.Popen(["sh", "-c", f"exec {procfile_web()}"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.request("/livez"), timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /livez within 60 s; see {self.log.name}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        return urllib.request.Request(self.base + path, data=data, headers={
            "Host": HTTP_HOST, "X-Forwarded-Proto": "https", **(headers or {})})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login(server: Server, email: str) -> str:
    """Post the login form once, as a browser does; the Cookie header that carries the session."""
    import re
    import urllib.error
    import urllib.parse

    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(server.request("/cuentas/login/"), timeout=30) as response:
        page = response.read().decode()
        cookies = _cookies(response.headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": email, "password": BENCH_PASSWORD})
    try:
        opener.open(server.request("/cuentas/login/", form.encode(), {
            "Cookie": _cookie_header(cookies), "Referer": f"https://{HTTP_HOST}/cuentas/login/",
            "Content-Type": "application/x-www-form-urlencoded"}), timeout=30)
        raise SystemExit(f"logging in as {email} did not redirect: the form was refused")
    except urllib.error.HTTPError as redirect:
        if redirect.code != 302:
            raise SystemExit(f"logging in as {email}: HTTP {redirect.code}") from None
        cookies.update(_cookies(redirect.headers))
    assert "sessionid" in cookies, cookies
    return _cookie_header(cookies)


def _cookies(headers) -> dict:
    return dict(h.split(";", 1)[0].split("=", 1) for h in headers.get_all("Set-Cookie") or [])


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def wrk(server: Server, path: str, cookie: str | None) -> dict:
    """Requests per second and median latency of ``path`` under wrk; every response must be a 200."""
    import re

    headers = {"Cookie": cookie} if cookie else {}
    with urllib.request.build_opener(NoRedirect).open(server.request(path, headers=headers), timeout=60) as first:
        assert first.status == 200, (path, first.status)  # not a redirect to the login page
    # A generous --timeout: a slow page is measured, not dropped from the latencies as a "timeout".
    command = ["wrk", f"-t{HTTP_THREADS}", f"-c{HTTP_CONNECTIONS}", f"-d{HTTP_SECONDS}s", "--timeout", "60s",
               "--latency", "-H", f"Host: {HTTP_HOST}", "-H", "X-Forwarded-Proto: https"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, server.base + path], check=True, capture_output=True, text=True).stdout
    assert "Non-2xx or 3xx" not in out and "Socket errors" not in out, out
    median = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "median_ms": float(median.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[median.group(2)]}


def download_csv(server: Server, key: str, cookie: str) -> dict:
    """The report's CSV through the server, read as a browser saves it: rows counted, the last line checked."""
    import csv
    import http.client
    import io

    start = time.perf_counter()
    rows, last, complete = 0, None, True
    response = urllib.request.urlopen(server.request(f"/reportes/{key}/csv/", headers={"Cookie": cookie}),
                                      timeout=120)
    try:
        reader = csv.reader(io.TextIOWrapper(response, encoding="utf-8-sig", newline=""))
        next(reader)  # the header
        for row in reader:
            if last is not None:
                rows += 1
            last = row
    except http.client.IncompleteRead:
        complete = False
    finally:
        response.close()
    return {"rows": rows, "last": last, "complete": complete, "seconds": time.perf_counter() - start}


def bench_http(scale: float, pages_asked: list[str] | None = None, reuse: bool = False) -> list[str]:
    """Each role's busiest pages and the API list under wrk, as ratios to /livez in the same run; then the
    staff directory's CSV through the same server. Printed lines.

    ``pages_asked``: /livez and the pages whose label contains one of them, and no CSV. ``reuse``: keep the
    pharmacy's data of an earlier run where it is already the size asked for."""
    import shutil
    import tempfile

    from django.urls import reverse
    from django.utils import translation

    from ces.accounts.models import User
    from ces.reports.services import csv_end_line
    from clinics.models import Clinic

    if not shutil.which("wrk"):
        subprocess.run([str(ROOT / "scripts" / "apt-install.sh"), "wrk"], check=True)
    n = max(int(CSV_SIZES[-1] * scale), 1000)
    t = time.perf_counter()
    if not pages_asked:
        generate_staff(n)
    clinics = max(int(PHARMACY_CLINICS * scale), 2)
    if not (reuse and _pharmacy_generated(clinics)):
        pharmacy_reset()
        generate_pharmacy(clinics)
    coordinator = bench_user()
    pharmacist, pasante, _ = pharmacy_people()  # the pasante's post again: the last run's CSV released it
    people = {"coordinator": coordinator, "pharmacy": pharmacist, "pasante": pasante}
    for user in people.values():
        user.set_password(BENCH_PASSWORD)
        user.save(update_fields=["password"])
    print(f"prepared {n:,} staff rows and {clinics} clinics × {PHARMACY_MONTHS} months of requests "
          f"in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    pages = [
        ("/livez (bare view)", None, reverse("livez")),
        ("/healthz (PostgreSQL and Redis)", None, reverse("healthz")),
        ("pasante: unread badge (the smallest logged-in page)", "pasante", reverse("notifications:badge")),
        ("pasante: notices (the smallest page with the layout)", "pasante", reverse("notifications:inbox")),
        ("pasante: home", "pasante", reverse("accounts:home")),
        ("pasante: new restock request form", "pasante", reverse("pharmacy:request-create")),
        ("pharmacy: queue", "pharmacy", reverse("pharmacy:request-queue")),
        ("pharmacy: home", "pharmacy", reverse("accounts:home")),
        ("coordinator: home", "coordinator", reverse("accounts:home")),
        ("coordinator: clinic list", "coordinator", reverse("clinics:clinic-list")),
        ("API restock-request list (pharmacy)", "pharmacy", reverse("api:pharmacy:restock-request-list")),
        ("API item list (pasante)", "pasante", reverse("api:pharmacy:item-list")),
    ]
    chosen = _chosen([label for label, _, _ in pages[2:]], pages_asked)
    pages = [*pages[:2], *(page for page in pages[2:] if page[0] in chosen)]
    port = free_port()
    env = production_env(port)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    results = {}
    with tempfile.NamedTemporaryFile("w", prefix="bench-gunicorn-", suffix=".log", delete=False) as log:
        try:
            with Server(env, log) as server:
                cookies = {who: login(server, user.email) for who, user in people.items()}
                for label, who, path in pages:
                    results[label] = wrk(server, path, cookies.get(who))
                    print(f"{label}: {results[label]['rps']:,.1f} req/s", file=sys.stderr)
                release_pasante()  # the staff directory holds exactly the generated rows again
                if not pages_asked:
                    staff = download_csv(server, "staff-directory", cookies["coordinator"])
        finally:
            release_pasante()
    baseline, healthz = results[pages[0][0]]["rps"], results[pages[1][0]]["rps"]
    out = [f"HTTP through gunicorn as the Procfile starts it ({procfile_web()}; DEBUG=0), wrk -t{HTTP_THREADS} "
           f"-c{HTTP_CONNECTIONS} -d{HTTP_SECONDS}s per page; {clinics} clinics with requests, "
           f"{Clinic.objects.count()} clinics in all; load average {os.getloadavg()[0]:.1f} at the end"]
    out += format_table(("Page (as)", "req/s", "× /livez", "× /healthz", "median ms", "requests"), [
        (label, f"{r['rps']:,.1f}", f"{r['rps'] / baseline:.3f}", f"{r['rps'] / healthz:.3f}", f"{r['median_ms']:,.1f}",
         f"{r['requests']:,}")
        for label, r in results.items()])
    if pages_asked:
        return out
    with translation.override(User.objects.get(pk=coordinator.pk).preferred_language or "es"):
        end = [csv_end_line(staff["rows"])]
    whole = staff["complete"] and staff["rows"] == n and staff["last"] == end
    out.append("")
    transfer = "complete" if staff["complete"] else "CUT"
    out.append(f"Staff directory CSV through the server: {staff['rows']:,} rows of {n:,} in {staff['seconds']:,.1f} s "
               f"({staff['rows'] / staff['seconds']:,.0f} rows/s), transfer {transfer}, last line {staff['last']!r}: "
               f"{'whole' if whole else 'NOT WHOLE'} (server log: {log.name})")
    assert whole, staff
    return out


# --- Main ---------------------------------------------------------------------------------------------------


def bench_csv(scale: float) -> list[tuple]:
    table = []
    for size in CSV_SIZES:
        n = max(int(size * scale), 1000)
        t = time.perf_counter()
        generate_staff(n)
        print(f"generated {n:,} staff rows in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        for key, label in (("staff-directory", "CSV staff directory (ORM)"), (BENCH_SQL_KEY, "CSV same columns (SQL)")):
            ours = child(["csv", key])
            theirs = child(["psql", key])
            first = f"{ours['first_byte'] * 1000:,.0f} / {ours['first_rows'] * 1000:,.0f} ms"
            table.append((f"{label}, {n:,} rows", f"{ours['rows'] / ours['seconds']:,.0f}",
                          f"{theirs['rows'] / theirs['seconds']:,.0f}", first,
                          f"{ours['maxrss_mb']:,.0f} MB", f"{ours['traced_peak_mb']:,.1f} MB"))
            assert ours["rows"] == theirs["rows"] == n, (ours, theirs)
    return table


def bench_reminders(scale: float) -> list[tuple]:

    n = max(int(REMINDERS * scale), 1000)
    t = time.perf_counter()
    generate_reminders(n)
    print(f"generated {n:,} due reminders in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    start = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, __file__, "--child", "dispatch"], stdout=subprocess.PIPE, text=True,
                                env=os.environ) for _ in range(2)]
    results = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    elapsed = time.perf_counter() - start
    check = reminders_check(n, results)
    outcomes = [r["outcome"] for r in results]
    assert check == {"sent": n, "duplicates": 0, "lost": 0}, (check, n, outcomes)
    return [(f"Reminder dispatch, {n:,} due, 2 processes ({elapsed:,.0f} s; "
             f"{check['duplicates']} duplicates, {check['lost']} lost)", f"{check['sent'] / elapsed:,.0f}",
             "", "", "", "")]


def _chosen(labels, pages: list[str] | None) -> list:
    """The labels that contain one of ``pages`` (any case), or all of them without ``--page``."""
    return [label for label in labels if not pages or any(p.lower() in label.lower() for p in pages)]


def _pharmacy_generated(clinics: int) -> bool:
    """Whether the database already holds ``generate_pharmacy(clinics)``'s requests and lines (``--reuse``)."""
    from pharmacy.models import RestockLine, RestockRequest

    regular = RestockRequest.objects.filter(kind=RestockRequest.Kind.REGULAR, clinic__name__startswith=BENCH_CLINIC)
    expected = clinics * PHARMACY_MONTHS - 1
    return (regular.count() == expected and RestockLine.objects.filter(request__in=regular).count()
            == expected * PHARMACY_ITEMS and not RestockRequest.objects.exclude(pk__in=regular.values("pk")).exists())


def bench_pharmacy(scale: float, pages: list[str] | None = None, reuse: bool = False) -> list[str]:
    """The request pages at two sizes, then dispatch by 8 pharmacists against the same lots: printed lines.

    ``pages``: only the pages whose label contains one of them, and no dispatch. ``reuse``: keep the data of
    an earlier run where it is already the size asked for."""
    from django.db import connection

    from pharmacy.models import RestockLine, StockMovement

    small = max(int(PHARMACY_CLINICS * scale), 2)
    sizes = (small, 10 * small)
    pages_only = bool(pages)
    # The smaller size in a database of its own beside the bench's, the larger in the bench's (where the
    # dispatch below runs): both stay in place, and the pages are measured against the two in turns.
    main = connection.settings_dict["NAME"]
    databases = [f"{main}_small", main]
    lines = []
    n = max(int(DISPATCHES * scale), 80)
    try:
        for clinics, database in zip(sizes, databases, strict=True):
            if database == main:
                use_database(database)
            else:
                ensure_database_named(database)
            t = time.perf_counter()
            if not (reuse and _pharmacy_generated(clinics)):
                pharmacy_reset()
                generate_pharmacy(clinics)
            lines.append(RestockLine.objects.count())
            print(f"generated {clinics} clinics × {PHARMACY_MONTHS} months of requests ({lines[-1]:,} lines) "
                  f"in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        pages = {(label, who): runs for label, who, runs in measure_pharmacy_pages(databases, pages)}
        use_database(main)
        if pages_only:
            return _pharmacy_table(sizes, lines, pages)
        t = time.perf_counter()
        demand = generate_dispatches(n)
        print(f"generated {n:,} approved requests against {len(demand) * 5} warehouse lots "
              f"in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        connection.close()
        dispatch = run_dispatch_workers()
        check = ledger_check()
    finally:
        use_database(main)
        release_pasante()
    assert dispatch["dispatched"] == n and dispatch["short"] == 0, dispatch
    assert check["negative"] == 0 and check["mismatched"] == 0 and check["balances"] == check["ledger"], check
    assert check["moved"] == check["lines_dispatched"] and check["expired_picked"] == 0, check
    ledger_lines = StockMovement.objects.filter(kind=StockMovement.Kind.DISPATCH_OUT).count()

    out = _pharmacy_table(sizes, lines, pages)
    out.append("")
    out += format_table(("Dispatch (restock_request_dispatch)", "dispatches/s", "ledger lines/s", "seconds"), [(
        f"{DISPATCH_WORKERS} processes, {n:,} approved requests × {PHARMACY_ITEMS} lines, the same "
        f"{len(demand) * 4} unexpired lots", f"{dispatch['dispatched'] / dispatch['seconds']:,.1f}",
        f"{ledger_lines / dispatch['seconds']:,.0f}", f"{dispatch['seconds']:,.1f}")])
    out.append(f"Ledger check: {check['pairs']:,} balances, {check['negative']} negative, {check['mismatched']} "
               f"differing from the ledger's sum (balances {check['balances']:,} = ledger {check['ledger']:,}); "
               f"{check['moved']:,} units dispatched = {check['lines_dispatched']:,} on the dispatched lines; "
               f"expired lots picked: {check['expired_picked']}")
    return out


def _pharmacy_table(sizes, lines, pages) -> list[str]:
    out = [f"Pharmacy pages through django.test.Client: {sizes[0]} and {sizes[1]} clinics × {PHARMACY_MONTHS} months "
           f"× {PHARMACY_ITEMS} lines ({lines[0]:,} and {lines[1]:,} lines); median of {PAGE_RUNS} requests, "
           f"the two sizes in turns"]
    out += format_table(
        ("Page (as)", f"queries ({sizes[0]} / {sizes[1]} clinics)", f"median ms ({sizes[0]} / {sizes[1]})",
         "ratio (goal <= 1.5)"), [
            (f"{label} ({who})", " / ".join(str(q) for q, _ in runs),
             " / ".join(f"{m * 1000:,.0f}" for _, m in runs), f"{runs[1][1] / runs[0][1]:.2f}x")
            for (label, who), runs in pages.items()
        ])
    return out


def format_table(headers, rows) -> list[str]:
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
    return ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in (headers, tuple("-" * w for w in widths), *rows)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("SCALE", 1)))
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    parser.add_argument("--page", action="append", metavar="TEXT",
                        help="pharmacy and http parts: only the pages whose label contains TEXT (repeatable); "
                             "then no dispatch and no CSV download")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the pharmacy data of an earlier run where it already has the size asked for")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_django()
    if args.child:
        kind, *rest = args.child
        result = {"csv": lambda: csv_child(rest[0]), "psql": lambda: psql_copy(rest[0]),
                  "dispatch": dispatch_child,
                  "pharmacy-dispatch": lambda: dispatch_worker(int(rest[0]), int(rest[1]))}[kind]()
        print(json.dumps(result))
        return

    ensure_database()
    from django.db import connection

    parts = args.only or PARTS
    began = time.perf_counter()
    table, pharmacy, http = [], [], []
    if "csv" in parts:
        table += bench_csv(args.scale)
        connection.close()
    if "reminders" in parts:
        table += bench_reminders(args.scale)
        connection.close()
    if "pharmacy" in parts:
        pharmacy = bench_pharmacy(args.scale, args.page, args.reuse)
        connection.close()
    if "http" in parts:
        http = bench_http(args.scale, args.page, args.reuse)

    print()
    print(f"make bench  (scale {args.scale}, {os.cpu_count()} cores, {time.perf_counter() - began:,.0f} s)")
    if table:
        print("\n".join(format_table(("Measure", "ours rows/s", "psql \\copy rows/s", "first byte / rows",
                                      "peak RSS (child)", "tracemalloc peak"), table)))
        print()
    print("\n".join(pharmacy))
    if http:
        print()
        print("\n".join(http))


if __name__ == "__main__":
    main()
