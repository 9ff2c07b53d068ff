"""Staff > System status: database, Redis, live workers and a queue round trip.

Every probe catches its own failure and reports it on the page: the status page is
where staff look when something is down, so it must render whatever is broken.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

from flask import abort, current_app, redirect, render_template, url_for
from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.queue import enqueue, redis_connection, task_queue
from portal.htmx import wants_fragment
from portal.settings import masked_url
from portal.staff.blueprint import bp

PING_JOB = "jobs.diagnostics.ping"
# A queued ping nobody picked up by then means no worker is serving this queue.
PING_GIVE_UP_SECONDS = 30
PENDING_STATES = {"queued", "started", "scheduled", "deferred", "created"}


def database_status() -> dict:
    """Dialect, URL, migration revision and the row count of every table."""
    info = {
        "dialect": db.engine.dialect.name,
        "url": db.engine.url.render_as_string(hide_password=True),
        "revision": None,
        "head": _migration_head(),
        "tables": [],
        "error": None,
    }
    try:
        info["revision"] = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        for table in db.metadata.sorted_tables:
            count = db.session.execute(select(func.count()).select_from(table)).scalar_one()
            info["tables"].append((table.name, count))
    except SQLAlchemyError as error:
        db.session.rollback()
        info["error"] = _first_line(error)
    return info


def _migration_head() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    try:
        config = Config()
        config.set_main_option("script_location", current_app.extensions["migrate"].directory)
        return ", ".join(ScriptDirectory.from_config(config).get_heads())
    except Exception as error:  # a broken migrations folder must not take the page down
        return f"unknown ({_first_line(error)})"


def redis_status() -> dict:
    """Ping time, server version, queue length, failed jobs and the live workers."""
    from rq import Worker

    info = {
        "url": masked_url(current_app.config["REDIS_URL"]),
        "queue": current_app.config["RQ_QUEUE"],
        "ping_ms": None,
        "version": None,
        "queued": None,
        "failed": None,
        "scheduled": None,
        "workers": [],
        "error": None,
    }
    connection = redis_connection()
    queue = task_queue()
    try:
        started = time.perf_counter()
        connection.ping()
        info["ping_ms"] = (time.perf_counter() - started) * 1000
        info["version"] = connection.info("server").get("redis_version")
        info["queued"] = queue.count
        info["failed"] = queue.failed_job_registry.count
        info["scheduled"] = queue.scheduled_job_registry.count
        for worker in Worker.all(connection=connection):
            info["workers"].append(
                {
                    "name": worker.name,
                    "host": worker.hostname,
                    "pid": worker.pid,
                    "state": worker.get_state(),
                    "current_job": worker.get_current_job_id(),
                    "last_heartbeat": worker.last_heartbeat,
                    "heartbeat_age": _seconds_since(worker.last_heartbeat) if worker.last_heartbeat else None,
                    "queues": ", ".join(worker.queue_names()),
                    "serves_us": queue.name in worker.queue_names(),
                }
            )
    except (RedisError, OSError) as error:
        info["error"] = _first_line(error)
    return info


def _first_line(error: BaseException) -> str:
    text_ = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text_[0] if text_ else ''}"


@bp.route("/status")
def status():
    """Database, Redis and workers at a glance."""
    return render_template("staff/status.html", database=database_status(), redis=redis_status(), ping=None)


@bp.route("/status/ping", methods=["POST"])
def ping():
    """Send a trivial job through the queue; the answer shows which worker ran it and how fast."""
    from rq import Worker

    try:
        if not any(current_app.config["RQ_QUEUE"] in w.queue_names() for w in Worker.all(connection=redis_connection())):
            return _render_ping({"state": "no-worker"})
        job = enqueue(PING_JOB, secrets.token_hex(8), result_ttl=600, failure_ttl=600)
    except (RedisError, OSError) as error:
        return _render_ping({"state": "redis-error", "error": _first_line(error)})
    if wants_fragment():
        return _render_ping(_ping_result(job.id))
    return redirect(url_for("staff.ping_result", job_id=job.id))


@bp.route("/status/ping/<job_id>")
def ping_result(job_id: str):
    """Where the round-trip job is now; HTMX polls this until the job is done."""
    return _render_ping(_ping_result(job_id))


def _ping_result(job_id: str) -> dict:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return {"state": "missing", "job_id": job_id}
    except ValueError:  # not an ID RQ accepts (a NUL byte, '²'...): no job of ours has it
        abort(404)
    except (RedisError, OSError) as error:
        return {"state": "redis-error", "error": _first_line(error)}
    if job.func_name != PING_JOB:
        abort(404)  # this page only reports its own round trips

    try:
        state = job.get_status(refresh=False)
        state = getattr(state, "value", state)
    except (RedisError, OSError) as error:
        return {"state": "redis-error", "error": _first_line(error)}
    result = {"state": state, "job_id": job.id, "worker": job.worker_name}
    if state == "finished":
        answer = job.return_value() or {}
        result["answer"] = answer
        result["worker"] = answer.get("worker") or job.worker_name
        if job.enqueued_at and job.ended_at:
            result["round_trip_ms"] = (job.ended_at - job.enqueued_at).total_seconds() * 1000
    elif state in ("failed", "stopped", "canceled"):
        latest = job.latest_result()
        lines = (latest.exc_string or "").strip().splitlines() if latest else []
        result["error"] = lines[-1] if lines else "no reason recorded"
    elif state in PENDING_STATES:
        waited = _seconds_since(job.enqueued_at or job.created_at)
        result["waited"] = waited
        if state != "started" and waited > PING_GIVE_UP_SECONDS:
            try:
                job.cancel()
            except Exception:  # cancelling is a courtesy; the verdict stands
                pass
            result["state"] = "no-answer"
            result["give_up"] = PING_GIVE_UP_SECONDS
    return result


def _seconds_since(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - moment).total_seconds()


def _render_ping(ping: dict):
    if wants_fragment():
        # An answered round trip refreshes the workers table too: its heartbeats were read when the
        # page loaded, and the worker that answered has sent a newer one since.
        settled = ping.get("state") not in PENDING_STATES
        return render_template("staff/_ping.html", ping=ping, workers_now=redis_status() if settled else None)
    return render_template("staff/status.html", database=database_status(), redis=redis_status(), ping=ping)
