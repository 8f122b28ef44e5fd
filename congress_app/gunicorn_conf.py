"""gunicorn settings for the hall, read by
`gunicorn -c congress_app/gunicorn_conf.py 'congress_app:create_app()'`.

Phones poll /stage.json every few seconds and keep their connections open between polls:
gthread workers park idle keep-alive connections in a poller, so threads serve requests
only. Every setting can be overridden on the command line or through the environment.
"""

from __future__ import annotations

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
# One worker per core, each with a few threads for requests that wait on the disk. Measured
# on 2 cores with 200 connections on the QR landing page (make bench, 6 s runs): 2 workers ×
# 4 threads 2,690 req/s, p99 105 ms; 5 × 4 (the usual 2 × cores + 1) 2,460–2,600 req/s,
# p99 210–255 ms — extra processes only fight over the same two cores and the GIL.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Phones poll every 5 s: keep their connection across one poll, not longer.
keepalive = 6
# Cold PDF renders (the programme, cards) take seconds, never a minute.
timeout = 60
graceful_timeout = 30
# Import and build the app once in the master; workers start fast and share its pages.
preload_app = True
# Recycle workers now and then so a slow leak cannot grow without bound; the jitter keeps
# them from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# The workers' heartbeat files: in memory, so a slow disk cannot make them look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def on_starting(server) -> None:
    """Refuse to start several workers that would each keep their own rate-limit counts
    (memory://): the limits must hold across workers, so they count in Redis."""
    from congress_app.config import check_rate_limit_storage, rate_limit_storage

    check_rate_limit_storage(rate_limit_storage(os.environ), server.cfg.workers)


def post_fork(server, worker) -> None:
    """A worker must not share the master's database connections (SQLAlchemy's fork rule).

    The master opens none today; this keeps it safe if start-up ever queries the database.
    The page-image thread pool starts its thread on first use, so each worker gets its own.
    """
    from congress_app.extensions import db

    app = worker.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
