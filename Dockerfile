# CES Operaciones: one image for the three processes (web, worker, beat); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext compiles the Spanish translations at build time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, in their own layer: the direct ones from pyproject.toml, every version from the lock.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c requirements.lock -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN python manage.py compilemessages --ignore=.venv -v0 \
    && useradd --system --home-dir /app --shell /usr/sbin/nologin ces \
    && mkdir -p /app/staticfiles /app/media \
    && chown -R ces:ces /app/staticfiles /app/media

USER ces
EXPOSE 8000
# The web command of docker-compose.yml migrates and collects static files first; this is the bare server,
# with the settings of ces/gunicorn.conf.py as everywhere else.
CMD ["gunicorn", "--config", "ces/gunicorn.conf.py"]
