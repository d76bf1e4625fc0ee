"""Start-up checks: every deployment value comes from the environment and a bad one stops start-up clearly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOOD = {
    "DEBUG": "False",
    "SECRET_KEY": "a-real-production-secret-key-with-enough-length-and-entropy-0123456789",
    "ALLOWED_HOSTS": "conventions.ac-montpellier.fr",
    "SITE_URL": "https://conventions.ac-montpellier.fr",
    # Asked for by check --deploy since security.txt (portail.W001), as the Makefile's quality target sets it.
    "SECURITY_CONTACT": "mailto:rssi@ac-montpellier.fr",
}


def run_manage(*args, **env):
    """Runs manage.py in a clean environment (no .env influence: variables given here win)."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_the_development_secret_key():
    """With DEBUG off and no SECRET_KEY, the application does not start and says why."""
    result = run_manage("check", DEBUG="False", ALLOWED_HOSTS="x.fr")
    assert result.returncode != 0
    assert "SECRET_KEY doit être défini en production" in result.stderr


def test_a_malformed_database_url_names_the_variable():
    """A DATABASE_URL with an unknown scheme stops start-up with a message naming DATABASE_URL."""
    result = run_manage("check", **GOOD, DATABASE_URL="nosuchdb://x")
    assert result.returncode != 0
    assert "Variable d'environnement DATABASE_URL invalide" in result.stderr


def test_a_malformed_boolean_names_the_variable():
    """DEBUG=peut-être is not silently read as False."""
    result = run_manage("check", **GOOD | {"DEBUG": "peut-être"})
    assert result.returncode != 0
    assert "Variable d'environnement DEBUG invalide" in result.stderr


def test_deploy_check_is_clean_with_production_values():
    """`check --deploy --fail-level WARNING` passes with DEBUG off and real values."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **GOOD)
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("valeur", ["", "0", "2", "10.0.0.0/8, 2001:db8::/32"])
def test_trusted_proxies_accepte_un_nombre_ou_des_reseaux(valeur):
    assert run_manage("check", **GOOD, TRUSTED_PROXIES=valeur).returncode == 0


def test_trusted_proxies_mal_forme_nomme_la_variable():
    result = run_manage("check", **GOOD, TRUSTED_PROXIES="le proxy")
    assert result.returncode != 0
    assert "Variable d'environnement TRUSTED_PROXIES invalide" in result.stderr
