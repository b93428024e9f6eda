"""The web process as production starts it: ``gunicorn --config ces/gunicorn.conf.py``.

Started for real on a free loopback port, without the database (neither app needs it)."""

import http.client
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
CONFIG = "ces/gunicorn.conf.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve():
    """``serve(*args)`` starts gunicorn with the project's config (one worker): its port and first log lines."""
    started = []

    def start(*args):
        port = _free_port()
        # No control socket: its default path is one per user, shared with any other gunicorn on the machine.
        env = {**os.environ, "WEB_CONCURRENCY": "1", "PYTHONPATH": str(ROOT),
               "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --no-control-socket"}
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", CONFIG, *args], cwd=ROOT, env=env,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        # The arbiter logs its socket, then its worker class; a request sent then waits in the backlog for the
        # worker to boot.
        log = []
        for line in process.stderr:
            log.append(line)
            if "Using worker:" in line:
                break
        else:
            pytest.fail(f"gunicorn exited with {process.wait()}: {''.join(log)}")
        return port, log

    yield start
    for process in started:
        process.terminate()
        process.communicate(timeout=30)


def _get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    return connection.getresponse()


def test_the_config_runs_threaded_workers_and_serves_livez(serve):
    # Threaded: the worker's heartbeat to the arbiter does not wait for a request, so a download longer than
    # the timeout is not killed (a sync worker was, at 30 s, in the middle of the file).
    port, log = serve()
    assert "Using worker: gthread" in log[-1]
    response = _get(port, "/livez")
    assert response.status == 200 and response.read() == b"ok"


def test_a_stream_that_fails_midway_is_cut_off_not_ended(serve):
    # The client must see a broken transfer (no final chunk), never a complete-looking body.
    port, _ = serve("ces.core.tests.failing_stream:app")
    response = _get(port, "/")
    assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == b"Number\r\n1\r\n2\r\n"


def test_every_production_web_command_starts_gunicorn_with_the_config_alone():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    dockerfile = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE).group(1)
    commands = {
        "Procfile": shlex.split(procfile["web"]),
        "docker-compose.yml": shlex.split(compose.split("exec ", 1)[1].rstrip('"')),
        "Dockerfile": yaml.safe_load(dockerfile),
    }
    for where, command in commands.items():
        assert command == ["gunicorn", "--config", CONFIG], where
