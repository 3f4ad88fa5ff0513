"""gunicorn settings for the feedback service: `gunicorn -c deploy/gunicorn.conf.py`.

- gthread workers: requests wait on SQLite's fsync and on the network, threads overlap that.
- ONE process by default, so flask-limiter's memory:// counters are the only counters. With
  FEEDBACK_WORKERS > 1 set FEEDBACK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (else each
  worker allows the full limit).
- Migrations run once here, in the master before any worker forks (on_starting), never
  concurrently in each worker (docs/dev/0002-migrations.md); workers open their own connections after the fork.
The FEEDBACK_* settings below are read through the service's settings schema
(feedback_api/config.py: README "Settings"), so an impossible value stops the start, named.
"""
from feedback_api.config import from_environment as setting

wsgi_app = "feedback_api:create_app()"
bind = setting("BIND")
worker_class = "gthread"
workers = setting("WORKERS")
threads = setting("THREADS")
# A slow 2G client must not hold a thread forever; the body limit is 32 KiB anyway.
timeout = setting("TIMEOUT")
graceful_timeout = 20
keepalive = 5
# Request line and header limits: nothing we serve needs more.
limit_request_line = 4094
limit_request_fields = 60
accesslog = setting("ACCESS_LOG") or None
errorlog = "-"
loglevel = setting("LOG_LEVEL")
# Access log without the client address or query string; feedback_api/logs.py writes each
# request as one line (CR/LF in a URL cannot forge another), references replaced by
# <reference>, and leaves addresses out of gunicorn's warnings about malformed requests.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logger_class = "feedback_api.logs.GunicornLogger"
# gunicorn 27's control socket defaults to one path per user: two instances on one box (tests,
# benchmarks) would fight over it. We do not use it.
control_socket_disable = True
forwarded_allow_ips = setting("FORWARDED_ALLOW_IPS")


def on_starting(server):
    """Apply pending migrations once, in the master, before workers start. A disk that cannot
    be written does not stop the start: /livez answers and /healthz says what is wrong."""
    import sqlite3

    from feedback_api import create_app, storage

    app = create_app({"MIGRATE_ON_START": False, "SMS_SENDER_THREAD": False})  # workers send
    try:
        applied = storage.migrate(app.config["DATABASE"])
    except (OSError, sqlite3.Error) as exc:
        if storage.fault(exc) is None:
            raise
        server.log.error("database %s cannot be migrated now: %s", app.config["DATABASE"], exc)
        return
    server.log.info("database %s: %s", app.config["DATABASE"],
                    f"applied {', '.join(applied)}" if applied else "up to date")
    from feedback_api.storage import counts, digest, masks, triage

    db = storage.connect(app.config["DATABASE"])
    try:
        server.count_earlier = not all(part.complete(db) for part in (counts, masks, triage, digest))
    finally:
        db.close()


def post_worker_init(worker):
    """Each worker reads its data files and indexes the sensitive terms before its first request."""
    from feedback_api import public

    public.warm_up()


def when_ready(server):
    """A database made before the moderation figures and export masks existed: count and mask
    its rows beside the running service, in a process of its own, in batches that never hold
    the write lock for long (feedback_api/storage/counts.py, masks.py). Until then the queue
    counts rows (capped) and exports mask as they read."""
    if getattr(server, "count_earlier", False):
        import subprocess
        import sys

        subprocess.Popen([sys.executable, "-m", "flask", "--app", "feedback_api", "count-earlier"])
