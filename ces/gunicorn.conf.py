"""gunicorn's settings for the web process, the one place they live.

The Procfile, docker-compose.yml and the Dockerfile all start ``gunicorn --config ces/gunicorn.conf.py``,
and ``make bench`` starts the same command, so what is measured is what runs.

Why threaded workers (``gthread``): a sync worker runs the request in the loop that tells the arbiter it
is alive, so a download longer than ``timeout`` (30 s) got the worker killed mid-file (``WORKER
TIMEOUT``; the 1,000,000-row staff directory takes about a minute) while the access log still said 200.
A gthread worker's main loop keeps beating while its threads serve, so ``timeout`` now only catches a
worker that is really stuck, and a long CSV runs to its end. The threads also overlap the time a request
waits on PostgreSQL.

Environment: ``PORT`` (8000), ``WEB_CONCURRENCY`` worker processes (3), ``WEB_THREADS`` threads each (4).
Each thread keeps its own database connection (``CONN_MAX_AGE``): at most processes × threads of them.
A command-line option, or ``GUNICORN_CMD_ARGS``, still overrides any of these.
"""

import os

wsgi_app = "ces.wsgi:application"
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# The main loop's heartbeat, not a limit on a request's length (see above).
timeout = 30
# On a restart, requests under way get this long to finish. A download cut by a restart still cannot
# pass for complete: the CSV's last line says it is whole (ces/reports/services.py).
graceful_timeout = 30
accesslog = "-"
