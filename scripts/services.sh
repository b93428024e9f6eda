#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 (start them if installed and stopped, install
# them if missing), and that the database of DATABASE_URL exists.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || scripts/apt-install.sh postgresql postgresql-contrib
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  if [ -n "$version" ]; then
    conf=/etc/postgresql/$version/main/pg_hba.conf
    # Local development only: trust connections from this machine, as the defaults expect.
    if ! grep -q "^host all all 127.0.0.1/32 trust" "$conf" 2>/dev/null && [ -w "$conf" ]; then
      sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "PostgreSQL does not answer on 127.0.0.1:5432. Start it, or set DATABASE_URL." >&2; exit 1; }

if ! redis_up; then
  command -v redis-server >/dev/null || scripts/apt-install.sh redis-server
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ces.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
redis_up || { echo "Redis does not answer on 127.0.0.1:6379. Start it, or set REDIS_URL." >&2; exit 1; }

# Create the database named in DATABASE_URL (default: ces) if it is not there yet.
.venv/bin/python - <<'PY'
import environ, psycopg
cfg = environ.Env.db_url_config(environ.Env().str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/ces"))
name = cfg["NAME"]
conn = psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or "postgres",
                       password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True)
if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
    conn.execute(f'CREATE DATABASE "{name}"')
    print(f"Created database {name}")
PY
