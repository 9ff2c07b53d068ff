"""Ctrl-C on ``make run`` stops every process without a traceback.

It printed a Redis ``ConnectionError`` traceback every time: honcho sends SIGTERM to every
process at once, the private Redis exited first, and the worker (releasing its scheduler locks,
registering its death) found it gone. The Procfile's ``redis`` now waits for its clients to
leave before it stops Redis (``portal.embedded_redis.serve_forever``).

Run as ``make run`` runs them: honcho with the Procfile, every process (web, worker, cron, redis,
emulator), in a temporary copy of the project's shape so a developer's instance/ and a running
``make run`` are left alone (as in test_procfile.py), with a SQLite database of its own in that
instance/, as ``make run`` has: its sweeps never touch the suite's database.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.test_procfile import PROCFILE, _free_port, _is_child_of


@pytest.mark.slow
def test_ctrl_c_on_make_run_leaves_no_traceback(tmp_path, test_environment):
    from redis import Redis
    from rq import Worker

    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")  # the Procfile runs .venv/bin/...
    instance = tmp_path / "instance"
    instance.mkdir()  # scripts/run makes it before starting honcho
    redis_url = f"unix://{instance / 'redis.sock'}"
    port, emulator_port = _free_port(), _free_port()
    env = dict(
        os.environ,
        PORT=str(port), EMULATOR_PORT=str(emulator_port), EMULATOR_CONTROL_TOKEN=secrets.token_urlsafe(24),
        REDIS_URL=redis_url, FLASK_APP="wsgi", PYTHONPATH=str(PROJECT_ROOT), PYTHONUNBUFFERED="1",
        DATABASE_URL=f"sqlite:///{instance / 'portal.db'}", PORTAL_INSTANCE_PATH=str(instance),
        SWEEP_INTERVAL="1",  # so the worker has run jobs, as under make run, before Ctrl-C
        PRESSWISE_EMULATOR_URL=f"http://127.0.0.1:{emulator_port}/r/wsdl-order2.php",
    )
    # As scripts/run does before starting honcho.
    subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "db", "upgrade"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    honcho = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "start", "--no-colour", "-f", str(PROCFILE),
         "-d", str(tmp_path), "web", "worker", "cron", "redis", "emulator"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(honcho.stdout), daemon=True).start()

    def everything_so_far() -> str:
        return "".join(output)

    try:
        deadline = time.monotonic() + 60
        answered = False
        while not answered:
            assert honcho.poll() is None, everything_so_far()[-3000:]
            assert time.monotonic() < deadline, f"gunicorn did not answer within 60s: {everything_so_far()[-3000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2) as response:
                    answered = response.status == 200
            except OSError:
                time.sleep(0.2)
        connection = Redis.from_url(redis_url)
        while not any(_is_child_of(w.pid, honcho.pid) for w in Worker.all(connection=connection)):
            assert time.monotonic() < deadline, f"the worker did not register: {everything_so_far()[-3000:]}"
            time.sleep(0.2)
        # The worker's log leaves the sweeps out (portal.worker.QuietRoutineJobs): its count in Redis says.
        while (max(w.successful_job_count for w in Worker.all(connection=connection) if _is_child_of(w.pid, honcho.pid)) < 2
               or "PressWise emulator listening" not in everything_so_far()):
            assert time.monotonic() < deadline, f"no sweep ran: {everything_so_far()[-3000:]}"
            time.sleep(0.2)
        connection.close()
    finally:
        honcho.send_signal(signal.SIGINT)  # Ctrl-C: honcho stops every process
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
    time.sleep(0.2)  # the reader thread takes the last lines

    text = everything_so_far()
    assert "SIGINT received" in text
    assert "Traceback" not in text, text[text.find("Traceback") - 1500:][:6000]
    assert "Error" not in text.split("SIGINT received", 1)[1], text.split("SIGINT received", 1)[1][-4000:]
    assert "SIGKILL" not in text, "every process stopped on SIGTERM, in time"
    stopped = [line.split("|", 1)[1].split()[0] for line in text.splitlines()
               if "system" in line and " stopped (rc=" in line]
    assert sorted(stopped) == ["cron.1", "emulator.1", "redis.1", "web.1", "worker.1"], text[-3000:]
    assert stopped.index("redis.1") > max(stopped.index("worker.1"), stopped.index("cron.1")), \
        f"Redis stops after the processes that use it: {stopped}\n{text.split('SIGINT received', 1)[1][-4000:]}"
