"""`check --deploy` refuses a production without the public address that documents and e-mails print."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize(
    "site_url",
    [
        "",
        "http://127.0.0.1:8000",  # the default: what a production without SITE_URL would print on every PDF
        "http://conventions.ac-montpellier.fr",
        "https://localhost",
        "https://127.0.0.1:8443",
        "https://[::1]",
        "https://conventions.localhost",
        "https://0.0.0.0",
    ],
)
def test_check_deploy_refuse_un_site_url_absent_local_ou_non_https(settings, site_url):
    settings.SITE_URL = site_url
    with pytest.raises(SystemCheckError, match=r"documents\.E001"):
        call_command("check", "--deploy")


def test_check_deploy_accepte_l_adresse_publique_en_https(settings):
    settings.SITE_URL = "https://conventions.ac-montpellier.fr"
    call_command("check", "--deploy", "--fail-level", "ERROR")
