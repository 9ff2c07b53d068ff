"""The Procfile's processes start under honcho and work together (what ``make run`` execs)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

PROCFILE = PROJECT_ROOT / "Procfile"


def _processes() -> dict[str, str]:
    lines = PROCFILE.read_text().splitlines()
    return dict(re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line).groups() for line in lines
                if re.match(r"^[A-Za-z0-9_-]+:", line))


def test_procfile_names_every_process():
    processes = _processes()
    assert list(processes) == ["web", "worker", "redis", "emulator"]  # web first: honcho gives it $PORT
    assert "--bind 127.0.0.1:$PORT" in processes["web"]
    assert processes["emulator"] == (
        ".venv/bin/python -m presswise_emulator --host 127.0.0.1 --port $EMULATOR_PORT "
        "--db instance/presswise-emulator.db --user demo --password demo-secret --code DEMO-AUTH "
        "--control-token $EMULATOR_CONTROL_TOKEN"
    )
    assert processes["redis"].endswith("-m portal.embedded_redis instance/redis.sock")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_web_and_worker_run_under_honcho(migrated_database):
    from redis import Redis
    from rq import Worker

    port = _free_port()
    env = dict(os.environ, PORT=str(port), FLASK_APP="wsgi")
    honcho = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "start", "-f", str(PROCFILE), "-d", str(PROJECT_ROOT),
         "web", "worker"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        answered = None
        while answered is None:
            assert honcho.poll() is None, honcho.stdout.read().decode(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer within 60s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2) as response:
                    answered = response.status
            except OSError:
                time.sleep(0.2)
        assert answered == 200

        connection = Redis.from_url(migrated_database["REDIS_URL"])
        while not any(migrated_database["RQ_QUEUE"] in w.queue_names() and _is_child_of(w.pid, honcho.pid)
                      for w in Worker.all(connection=connection)):
            assert time.monotonic() < deadline, "the worker did not register within 60s"
            time.sleep(0.2)
    finally:
        honcho.send_signal(signal.SIGINT)  # Ctrl-C: honcho stops every process
        try:
            honcho.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()


def _is_child_of(pid: int, ancestor: int) -> bool:
    """Whether ``pid`` descends from ``ancestor`` (so the worker is honcho's, not the rq_worker fixture's)."""
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False
