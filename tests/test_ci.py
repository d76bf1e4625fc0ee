"""CI cannot be green without having run on PostgreSQL (issue 12, row « CI »)."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def _run(command: list[str], **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL", "CI")}
    return subprocess.run(
        command, cwd=BASE_DIR, env=base | env, capture_output=True, text=True, timeout=300, check=False
    )


def test_with_ci_set_the_session_refuses_to_start_elsewhere_than_on_postgresql_with_the_two_roles():
    """On SQLite (the default), or on PostgreSQL as the tables' owner alone, the test session stops at once."""
    pytest_co = [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", "tests/test_settings.py"]
    for env in ({}, {"DATABASE_URL": "postgres://ent:ent@127.0.0.1:5432/ent"}):
        result = _run(pytest_co, CI="true", **env)
        assert result.returncode == 3, result.stdout + result.stderr
        assert "CI : les tests doivent tourner sur PostgreSQL" in result.stdout + result.stderr


def test_make_test_stops_when_the_servers_cannot_start():
    """`make test` (what .ci/run runs) fails when scripts/services.sh fails, instead of testing on SQLite."""
    result = _run(["make", "--no-print-directory", "test", "SERVICES=false", "PYTEST_ARGS=--co -q tests/test_ci.py"])
    assert result.returncode != 0
    assert "ruff" not in result.stdout, "lint and tests ran without the servers"
