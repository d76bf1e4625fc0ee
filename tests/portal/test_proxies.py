"""Behind reverse proxies: lockouts and rate limits count the client's real address, which no header can forge.

The README's deployment puts a reverse proxy in front of the application: every request then comes from the proxy's
address. Without TRUSTED_PROXIES, X-Forwarded-For is ignored; with it, only what the trusted proxies wrote is read.
"""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from config.proxies import adresse_client, lire_proxies
from tests.conftest import PASSWORD
from tests.factories import UserFactory

PROXY = "10.0.0.5"
ATTAQUANT = "203.0.113.9"
ADMINISTRATEUR = "198.51.100.7"


@pytest.mark.parametrize(
    "trusted, remote, forwarded, attendu",
    [
        # No trusted proxy: the header is anyone's, never read.
        ("", "203.0.113.9", "198.51.100.7", "203.0.113.9"),
        # One proxy: the entry it appended (the last one); what the client wrote before it is ignored.
        ("1", PROXY, "198.51.100.7", "198.51.100.7"),
        ("1", PROXY, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two proxies: the entry the outer one appended.
        ("2", PROXY, "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        # Reached directly, without the expected proxies: only the connection's address is sure.
        ("2", "203.0.113.9", "1.2.3.4", "203.0.113.9"),
        ("1", PROXY, "", PROXY),
        # Networks: read from the right, past the trusted addresses.
        ("10.0.0.0/8", PROXY, "1.2.3.4, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        # A connection from outside the trusted networks: its header is not believed.
        ("10.0.0.0/8", "203.0.113.9", "198.51.100.7", "203.0.113.9"),
        # Garbage written by a client where the proxy's entry is expected: the connection's address.
        ("10.0.0.0/8, 2001:db8::/32", "2001:db8::1", "pas-une-adresse", "2001:db8::1"),
        ("1", PROXY, "2001:db8::42", "2001:db8::42"),
    ],
)
def test_adresse_du_client(settings, trusted, remote, forwarded, attendu):
    """The client's address for each shape of proxy chain."""
    settings.TRUSTED_PROXIES = lire_proxies(trusted)
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert adresse_client(request) == attendu


def _connexion_admin(client, email, password, ip, forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("admin:login"), {"username": email, "password": password}, **extra)


def test_derriere_le_proxy_cinq_erreurs_ne_bloquent_pas_l_administrateur(client, settings, db):
    """Behind the proxy, an attacker's five bad passwords lock the administrator out from the attacker's address only:
    the administrator still logs in from theirs."""
    settings.TRUSTED_PROXIES = 1
    admin = UserFactory(email="admin@ac-montpellier.fr", is_staff=True, is_superuser=True)
    for _ in range(5):
        _connexion_admin(client, admin.email, "mauvais", PROXY, forwarded=ATTAQUANT)
    assert _connexion_admin(client, admin.email, PASSWORD, PROXY, forwarded=ATTAQUANT).status_code == 429
    assert _connexion_admin(client, admin.email, PASSWORD, PROXY, forwarded=ADMINISTRATEUR).status_code == 302


def test_sans_proxy_un_en_tete_forge_ne_contourne_pas_le_blocage(client, db):
    """Without a trusted proxy, an attacker who writes a new X-Forwarded-For on each try is still locked after five."""
    admin = UserFactory(email="admin@ac-montpellier.fr", is_staff=True, is_superuser=True)
    for i in range(5):
        _connexion_admin(client, admin.email, "mauvais", ATTAQUANT, forwarded=f"192.0.2.{i}")
    assert _connexion_admin(client, admin.email, PASSWORD, ATTAQUANT, forwarded="192.0.2.99").status_code == 429


def test_la_limite_de_verifier_compte_par_client_derriere_le_proxy(client, settings, db):
    """/verifier/'s limit is per client behind the proxy, not site-wide; a forged header does not reset it."""
    settings.TRUSTED_PROXIES = 1
    settings.VERIFICATION_RATE = "2/m"

    def verifier(forwarded):
        return client.get("/verifier/", {"code": "K7QM-4XPA-9DZC"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert [verifier(ATTAQUANT).status_code for _ in range(3)] == [200, 200, 429]
    assert verifier(f"1.2.3.4, {ATTAQUANT}").status_code == 429
    assert verifier(ADMINISTRATEUR).status_code == 200


def _demande_de_lien(client, email, ip):
    return client.post(reverse("collectivites:mot_de_passe_oublie"), {"email": email}, REMOTE_ADDR=ip)


def test_demandes_de_lien_limitees_par_adresse_e_mail(client, settings, representant_a):
    """One person's inbox is not flooded: past the limit for one e-mail address, from any machine, no more mail."""
    settings.MOT_DE_PASSE_OUBLIE_RATE_EMAIL = "3/h"
    for i in range(3):
        assert _demande_de_lien(client, representant_a.email.upper(), f"192.0.2.{i}").status_code == 302
    refus = _demande_de_lien(client, representant_a.email, "192.0.2.50")
    assert refus.status_code == 429
    assert "Trop de demandes de lien" in refus.content.decode()
    assert len(mail.outbox) == 3


def test_demandes_de_lien_limitees_par_adresse_ip(client, settings, db):
    """One machine does not ask for links for every address it can think of."""
    settings.MOT_DE_PASSE_OUBLIE_RATE_IP = "5/h"
    reponses = [_demande_de_lien(client, f"personne{i}@example.fr", ATTAQUANT).status_code for i in range(6)]
    assert reponses == [302] * 5 + [429]
    assert _demande_de_lien(client, "personne9@example.fr", ADMINISTRATEUR).status_code == 302


@pytest.mark.parametrize("droits", [{"is_staff": True}, {"is_staff": True, "is_superuser": True}])
def test_un_compte_du_rectorat_ne_passe_pas_par_le_mot_de_passe_oublie_du_portail(client, db, droits):
    """No reset e-mail for a staff account, and a valid reset link for it (made elsewhere) does not work either."""
    agent = UserFactory(email="agent@ac-montpellier.fr", **droits)
    assert _demande_de_lien(client, agent.email, ADMINISTRATEUR).status_code == 302
    assert not mail.outbox
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    lien = reverse("collectivites:mot_de_passe_nouveau", args=[uid, default_token_generator.make_token(agent)])
    page = client.get(lien, follow=True)
    assert "Lien expiré ou déjà utilisé" in page.content.decode()
    url = page.redirect_chain[-1][0] if page.redirect_chain else lien
    client.post(url, {"new_password1": "un-nouveau-mot-de-passe-42", "new_password2": "un-nouveau-mot-de-passe-42"})
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)
