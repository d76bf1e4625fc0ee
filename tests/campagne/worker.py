"""A real Celery worker process for the tests marked `celery`: prefork, 2 processes, on a Redis database of its own,
connected to the test database (pytest-django's `test_<name>`) and writing its files and e-mails where the test reads.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app

# Redis database 7 (issue 7) so that no other test run or helper shares its queue.
BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/7")
BASE_DIR = Path(settings.BASE_DIR)


def database_url() -> str:
    """The test database as a URL the worker reads (DATABASE_URL), with the name pytest-django gave it."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "")
    password = urllib.parse.quote(db["PASSWORD"] or "")
    return f"postgres://{user}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, tmp_path: Path, concurrency: int = 2, env: dict | None = None):
        # Workers started one after the other by a test share its e-mail folder; each has its own log.
        self.mail_dir = tmp_path / "mails"
        self.mail_dir.mkdir(exist_ok=True)
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = tmp_path / f"worker-{self.name}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "False",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            # Four slashes: django-environ reads "filemail:///x" as the relative path "x".
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            "SITE_URL": settings.SITE_URL,
            **(env or {}),
        }
        self.command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", f"{self.name}@%h",
        ]  # fmt: skip
        self.process = None

    def start(self, timeout: float = 60) -> None:
        self.log = self.log_path.open("w")
        # Its own process group, so that a fault test kills the worker and its pool at once (kill()).
        self.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"Le worker Celery n'a pas démarré :\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # warm shutdown: running tasks finish, connections close
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes, as when its machine stops: nothing is acknowledged."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    def logs(self) -> str:
        return self.log_path.read_text()


def redis_or_fail() -> redis.Redis:
    client = redis.Redis.from_url(BROKER_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis est injoignable à {BROKER_URL} : lancez `bash scripts/services.sh`.")
    return client


def publish_to_worker(broker_url: str = BROKER_URL):
    """Points this (test) process's Celery app at the worker's broker; returns a function that restores it."""
    saved = {key: app.conf[key] for key in ("broker_url", "broker_write_url", "task_always_eager")}
    # Celery's conf.broker_url prefers the CELERY_BROKER_URL environment variable (which `make test` exports for the
    # other tests) to any configured value: it must point at the worker's broker too while the test publishes.
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.update(broker_url=broker_url, broker_write_url=None, task_always_eager=False)
    # A producer pool opened earlier would still point at the old broker; Celery drops it this way after a fork.
    app._after_fork()

    def restore():
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(saved)
        app._after_fork()

    return restore
