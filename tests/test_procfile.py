"""The Procfile's processes start under honcho and work together (what ``make run`` execs)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from tests.conftest import PROJECT_ROOT

PROCFILE = PROJECT_ROOT / "Procfile"


def test_emulator_and_redis_run_under_honcho(tmp_path):
    """The emulator listens on $EMULATOR_PORT, accepts the demo account's credentials, guards its
    control API with $EMULATOR_CONTROL_TOKEN and keeps its data in instance/; the private Redis
    answers on instance/redis.sock; Ctrl-C stops both. Run as ``make run`` runs them: honcho
    in the project folder (here a copy of its shape in tmp_path, so a developer's instance/ and
    a running ``make run`` are left alone)."""
    from portal import embedded_redis
    from portal.accounts.demo import DEMO_AUTHORIZATION_CODE, DEMO_PASSWORD, DEMO_USERNAME
    from portal.partners.base import AccountSettings, PartnerError, Timeouts
    from portal.partners.presswise import PressWiseClient

    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")  # the Procfile runs .venv/bin/python
    (tmp_path / "instance").mkdir()  # scripts/run makes it before starting honcho
    port, token = _free_port(), secrets.token_urlsafe(24)
    env = dict(os.environ, EMULATOR_PORT=str(port), EMULATOR_CONTROL_TOKEN=token, PYTHONPATH=str(PROJECT_ROOT),
               PYTHONUNBUFFERED="1")
    honcho = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "start", "--no-colour", "-f", str(PROCFILE),
         "-d", str(tmp_path), "redis", "emulator"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    output: list[str] = []
    listening = threading.Event()

    def read_output():
        for line in honcho.stdout:  # keeps draining so neither process blocks on a full pipe
            output.append(line)
            if "PressWise emulator listening on " in line:
                listening.set()

    threading.Thread(target=read_output, daemon=True).start()
    emulator_url = f"http://127.0.0.1:{port}/r/wsdl-order2.php"  # what scripts/run gives the portal
    redis_url = f"unix://{tmp_path / 'instance' / 'redis.sock'}"
    try:
        assert listening.wait(timeout=30), "".join(output)[-3000:]
        assert f"listening on {emulator_url}" in "".join(output)

        demo = AccountSettings(emulator_url, DEMO_USERNAME, DEMO_PASSWORD, DEMO_AUTHORIZATION_CODE)
        with PressWiseClient(demo, Timeouts(connect=5, read=10)) as client:
            client.test_connection()
        with PressWiseClient(replace(demo, password="not-the-demo-password"), Timeouts(connect=5, read=10)) as client:
            with pytest.raises(PartnerError):
                client.test_connection()

        control = f"http://127.0.0.1:{port}/_control/calls"
        assert requests.get(control, timeout=10).status_code != 200
        calls = requests.get(control, headers={"X-Control-Token": token}, timeout=10)
        assert calls.status_code == 200
        assert len(calls.json()["calls"]) == 2
        assert (tmp_path / "instance" / "presswise-emulator.db").is_file()

        embedded_redis.wait_until_ready(redis_url, timeout=30)
    finally:
        honcho.send_signal(signal.SIGINT)  # Ctrl-C: honcho stops every process
        try:
            honcho.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()

    with pytest.raises(requests.ConnectionError):
        requests.get(control, timeout=5)
    with pytest.raises(embedded_redis.EmbeddedRedisError):
        embedded_redis.wait_until_ready(redis_url, timeout=0)


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
