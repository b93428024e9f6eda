#!/usr/bin/env python
"""make bench: generate data at a scale factor in a database of its own, measure, print a table.

    .venv/bin/python scripts/bench.py [--scale 1.0]      (DATABASE_URL defaults to .../ces_bench)

(a) CSV export: the staff directory report (Django ORM, with each person's current clinic prefetched) and
    the same columns as a plain-SQL report, both through the project's streaming code (the view, chunk
    after chunk, as a browser would read it), against ``psql \\copy (same query) to stdout``; at 100k and
    1M rows × scale. Each export runs in a child process, whose peak RSS (ru_maxrss) and tracemalloc
    peak of the streaming loop are reported: flat from 100k to 1M rows means constant memory.
(b) Reminder dispatch: 100k × scale due reminders inserted as rows, then claimed and delivered by the
    ces.notifications engine (in-app entry and e-mail to the dummy backend) by two processes at once.

Later issues add their measurements here. One run is about ten minutes on two cores at scale 1.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ces_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ces.settings")
os.environ.setdefault("EMAIL_URL", "dummymail://")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

CSV_SIZES = (100_000, 1_000_000)
REMINDERS = 100_000
RECIPIENTS = 1000
CLINICS = 50
BENCH_SQL_KEY = "bench-staff-sql"


def setup_django():
    import django

    django.setup()


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


def bench_user(email="bench-coordinator@example.mx"):
    from django.contrib.auth.models import Group

    from ces.accounts.models import User
    from ces.accounts.roles import Role

    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": "Bench"})
    user.groups.add(Group.objects.get_or_create(name=Role.COORDINATOR)[0])
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
        cursor.execute(
            """
            INSERT INTO clinics_staff (full_name, cadre, email, phone, cohort_id, active, notes)
            SELECT 'Persona ' || md5(i::text), CASE WHEN i %% 3 = 0 THEN 'pasante' ELSE 'nurse' END,
                   'p' || i || '@example.mx', '96' || lpad(i::text, 8, '0'),
                   CASE WHEN i %% 3 = 0 THEN %s END, i %% 17 <> 0, ''
              FROM generate_series(1, %s) AS i
            """, [cohort.pk, n])
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
    tracemalloc.start()
    for i, chunk in enumerate(chunks):
        size += len(chunk)
        lines += chunk.count(b"\n")
        if i == 3:  # tracemalloc slows Python down: measure a few chunks of the loop, then let it run
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    if tracemalloc.is_tracing():
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    seconds = time.perf_counter() - start
    return {"rows": lines - 1, "seconds": seconds, "first_byte": first_byte, "first_rows": first_rows_at, "bytes": size,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "traced_peak_mb": peak / 2**20}


def psql_copy(key: str) -> dict:
    """``psql \\copy (the report's main query) to stdout``: the database's own speed for the same rows."""
    from django.conf import settings
    from django.db import connection

    from ces.reports import registry

    if key == BENCH_SQL_KEY:
        register_sql_report()
    report = registry.report_by_key(key)
    form = report.build_form({}, bench_user())
    assert form.is_valid()
    source = report.rows(bench_user(), form.cleaned_data)
    if hasattr(source, "query"):
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


def dispatch_child() -> dict:
    from ces.notifications.services import notifications_dispatch

    register_bench_rule()
    start = time.perf_counter()
    outcome = notifications_dispatch(limit=200, max_batches=10**9)
    return {"sent": outcome.get("sent", 0), "seconds": time.perf_counter() - start, "outcome": outcome}


# --- Main ---------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("SCALE", 1)))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_django()
    if args.child:
        kind, *rest = args.child
        result = {"csv": lambda: csv_child(rest[0]), "psql": lambda: psql_copy(rest[0]),
                  "dispatch": dispatch_child}[kind]()
        print(json.dumps(result))
        return

    ensure_database()
    from django.db import connection

    from ces.notifications.models import Notification

    table = []
    began = time.perf_counter()
    for size in CSV_SIZES:
        n = max(int(size * args.scale), 1000)
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
    connection.close()

    n = max(int(REMINDERS * args.scale), 1000)
    t = time.perf_counter()
    generate_reminders(n)
    print(f"generated {n:,} due reminders in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    start = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, __file__, "--child", "dispatch"], stdout=subprocess.PIPE, text=True,
                                env=os.environ) for _ in range(2)]
    results = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    elapsed = time.perf_counter() - start
    sent = Notification.objects.filter(state=Notification.State.SENT).count()
    assert sent == n, (sent, n, results)
    table.append((f"Reminder dispatch, {n:,} due, 2 processes ({elapsed:,.0f} s)", f"{sent / elapsed:,.0f}",
                  "", "", "", ""))

    headers = ("Measure", "ours rows/s", "psql \\copy rows/s", "first byte / rows", "peak RSS (child)",
               "tracemalloc peak")
    widths = [max(len(str(row[i])) for row in (headers, *table)) for i in range(len(headers))]
    print()
    print(f"make bench  (scale {args.scale}, {os.cpu_count()} cores, {time.perf_counter() - began:,.0f} s)")
    for row in (headers, tuple("-" * w for w in widths), *table):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
