"""Deployment beyond one machine: broker, eager fallback and shared file storage all come from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

ROOT = Path(__file__).resolve().parents[2]
BASE = {
    "DEBUG": "False",
    "SECRET_KEY": "a-real-production-secret-key-with-enough-length-and-entropy-0123456789",
    "ALLOWED_HOSTS": "conventions.ac-montpellier.fr",
}
PRINT_CONFIG = """
import json, django
django.setup()
from django.conf import settings
from config.celery import app
print(json.dumps({
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "acks_late": app.conf.task_acks_late,
    "storage": settings.STORAGES["default"],
}))
"""


def configuration(**env):
    """The settings a process started with this environment sees (no .env file: the given variables only)."""
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **BASE, **env}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_CONFIG], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        return result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_broker_tasks_run_in_process():
    """The embedded default needs no Redis: without CELERY_BROKER_URL every task runs in the calling process."""
    config = configuration()
    assert config["eager"] is True
    assert config["broker"] == "memory://"
    assert config["storage"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_with_a_broker_tasks_go_to_the_workers_and_survive_a_lost_worker():
    """With CELERY_BROKER_URL the tasks are queued, and acknowledged only once done (redelivered if a worker dies)."""
    config = configuration(CELERY_BROKER_URL="redis://redis.interne:6379/0")
    assert config["eager"] is False
    assert config["broker"] == "redis://redis.interne:6379/0"
    assert config["acks_late"] is True


def test_s3_storage_is_configured_from_the_environment():
    """STORAGE_BACKEND=s3 stores the frozen PDFs in a private bucket of an S3-compatible service."""
    config = configuration(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="ent-conventions",
        AWS_S3_ENDPOINT_URL="https://s3.fr-par.example",
        AWS_S3_REGION_NAME="fr-par",
        AWS_ACCESS_KEY_ID="cle",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert config["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = config["storage"]["OPTIONS"]
    assert options["bucket_name"] == "ent-conventions"
    assert options["endpoint_url"] == "https://s3.fr-par.example"
    assert options["default_acl"] == "private"
    assert options["file_overwrite"] is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND invalide : « ftp » (« local » ou « s3 » attendu)"),
        ({"STORAGE_BACKEND": "s3"}, "Variable d'environnement AWS_STORAGE_BUCKET_NAME invalide"),
    ],
)
def test_bad_storage_settings_stop_start_up_clearly(env, message):
    """An unknown storage, or S3 without its bucket, stops start-up with a message naming the variable."""
    assert message in configuration(**env)


def test_a_frozen_file_is_never_overwritten(settings, tmp_path):
    """Two processes saving a file under the same name keep both: a frozen PDF is never replaced."""
    storage = storages["default"]
    first = storage.save("conventions/envoyees/ENT-2022-2023-0001.pdf", ContentFile(b"%PDF-1 premier"))
    second = storage.save("conventions/envoyees/ENT-2022-2023-0001.pdf", ContentFile(b"%PDF-1 second"))
    assert first != second
    with storage.open(first) as fichier:
        assert fichier.read() == b"%PDF-1 premier"
