"""The open sessions name the login backends' new paths (decision 0019), so nobody is logged out by the change.

Django keeps, in each session, the path of the backend that logged the person in, and accepts a session only
while that path is still listed in AUTHENTICATION_BACKENDS. The backends moved to ces.accounts.backends: without
this, every session opened before (the pasantes' two-week "remember me" ones too) would end at the deploy, and a
form sent at that moment would be lost. Backwards, the old paths again, for a rollback.

Only the rows in PostgreSQL are rewritten: until this change sessions lived there alone (no copy in Redis).
"""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations

BACKEND_KEY = "_auth_user_backend"
MOVED = {
    "django.contrib.auth.backends.ModelBackend": "ces.accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": "ces.accounts.backends.AuthenticationBackend",
}


def _rename(apps, renames: dict[str, str]):
    Session = apps.get_model("sessions", "Session")
    codec = SessionStore()  # its encoding, signed under every store's salt ("...sessions.SessionStore")
    changed = []
    for session in Session.objects.only("session_key", "session_data").iterator(chunk_size=1000):
        data = codec.decode(session.session_data)
        if data.get(BACKEND_KEY) in renames:
            data[BACKEND_KEY] = renames[data[BACKEND_KEY]]
            session.session_data = codec.encode(data)
            changed.append(session)
    Session.objects.bulk_update(changed, ["session_data"], batch_size=1000)


def forwards(apps, schema_editor):
    _rename(apps, MOVED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_rolegroup"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
