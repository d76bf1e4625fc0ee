"""Security headers of the portal: a CSP without inline script, HSTS, secure cookies, `check --deploy` clean."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

from .test_isolation import OBJET, PORTAIL, PUBLIC

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def _directives(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_csp_allows_only_own_scripts(client, db):
    """The policy: scripts and styles from the site itself only, no inline code, no framing, no plugin."""
    directives = _directives(client.get(reverse("collectivites:connexion")))
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]


def test_no_page_holds_inline_script_or_style(client, monde):
    """Every portal page, logged out and in: no <script> without src, no on…= handler, no style attribute."""
    pages = [(name, entry) for name, entry in PORTAIL.items() if entry.owner_status == 200]
    for logged_in in (False, True):
        if logged_in:
            client.force_login(monde.representant)
        for name, entry in pages:
            if not logged_in and entry.kind != PUBLIC:
                continue
            response = client.get(reverse(name, kwargs=entry.kwargs(monde)))
            if response.streaming or not response["Content-Type"].startswith("text/html"):
                if response.streaming:
                    b"".join(response.streaming_content)
                continue
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html), name
            assert not INLINE_HANDLER.search(html), name
            assert not STYLE_ATTRIBUTE.search(html), name
            assert "Content-Security-Policy" in response, name


def test_hsts_and_secure_cookies_in_production(client, representant_a):
    """Over HTTPS: HSTS for a year with subdomains; the session and CSRF cookies are Secure, the session HttpOnly."""
    response = client.get(reverse("collectivites:connexion"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.cookies["csrftoken"]["secure"]
    login = client.post(
        reverse("collectivites:connexion"), {"username": representant_a.email, "password": PASSWORD}, secure=True
    )
    session = login.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert login["X-Frame-Options"] == "DENY"
    assert login["Referrer-Policy"] == "same-origin"


def test_downloads_are_attachments_and_not_sniffed(client, monde):
    """PDF downloads are attachments with their type, never rendered as HTML by a browser's guess."""
    client.force_login(monde.representant)
    for name, entry in PORTAIL.items():
        if entry.kind != OBJET or not name.endswith("pdf"):
            continue
        response = client.get(reverse(name, kwargs=entry.kwargs(monde)))
        if response.streaming:
            b"".join(response.streaming_content)
        assert response["Content-Type"] == "application/pdf", name
        assert response["Content-Disposition"].startswith("attachment;"), name
        assert response["X-Content-Type-Options"] == "nosniff", name


def test_deploy_check_is_clean(settings, db):
    """`manage.py check --deploy --fail-level WARNING` passes with the production settings (DEBUG=False)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SITE_URL = "https://conventions.ac-montpellier.fr"
    settings.SECURITY_CONTACT = "mailto:rssi@ac-montpellier.fr"
    call_command("check", "--deploy", "--fail-level", "WARNING")


@pytest.mark.parametrize("contact", ["", "rssi@ac-montpellier.fr", "http://example.org/securite"])
def test_deploy_check_asks_where_to_report_a_vulnerability(settings, db, contact):
    """Without a mailto: or https:// contact, `check --deploy` warns: security.txt would not say where to write."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SITE_URL = "https://conventions.ac-montpellier.fr"
    settings.SECURITY_CONTACT = contact
    with pytest.raises(SystemCheckError, match=r"portail\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING")


def test_security_txt(client, db, settings):
    """RFC 9116: the contact, an expiry less than a year ahead, the canonical address; 404 while no contact is set."""
    settings.SITE_URL = "https://conventions.ac-montpellier.fr"
    settings.SECURITY_CONTACT = ""
    assert client.get("/.well-known/security.txt").status_code == 404

    settings.SECURITY_CONTACT = "mailto:rssi@ac-montpellier.fr"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    champs = dict(ligne.split(": ", 1) for ligne in response.content.decode().splitlines())
    assert champs["Contact"] == "mailto:rssi@ac-montpellier.fr"
    assert champs["Canonical"] == "https://conventions.ac-montpellier.fr/.well-known/security.txt"
    expires = datetime.datetime.fromisoformat(champs["Expires"])
    assert datetime.timedelta(days=30) < expires - timezone.now() < datetime.timedelta(days=365)
