"""axe-core finds no WCAG 2.1 A or AA violation on any portal page, logged out and logged in, on a 1280 px screen
and on a 390 px phone."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from collectivites import services
from collectivites.models import Invitation
from tests.conftest import PASSWORD
from tests.portal.conftest import monde, referent_a  # noqa: F401 (fixtures shared with the portal tests)
from tests.portal.test_isolation import PORTAIL, PUBLIC

from .parcours import violations_aux_deux_largeurs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Downloads and the POST-only log out and sending an invitation again are not pages.
PAS_DES_PAGES = {
    "collectivites:deconnexion",
    "collectivites:invitation_renvoyer",
    "conventions:pdf",
    "conventions:exemplaire_signe_pdf",
    "facturation:titre_pdf",
}


def _violations_ici(page, label: str) -> list[str]:
    """axe-core's WCAG 2.1 A and AA rules on the page as it is now, at 1280 and 390 px."""
    return violations_aux_deux_largeurs(page, label)


def _violations(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.ok or response.status in (403, 404, 410), f"{url} : {response.status}"
    return _violations_ici(page, url)


def _login(page, email):
    page.goto(reverse("collectivites:connexion"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/espace/")


def _invitation_path(collectivite) -> str:
    invitation = Invitation(collectivite=collectivite, email="nouveau@a.fr", prenom="Noé", nom="Vidal", role="referent")
    services.inviter(invitation, par=None)
    return re.search(r"https?://\S+(/espace/invitation/\S+/)", mail.outbox[-1].body).group(1)


def test_pages_logged_out(page, monde):  # noqa: F811
    """Legal pages, log in, password reset (form, sent, new password, invalid link, done), invitation, errors."""
    user = monde.representant
    uid, token = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    urls = [reverse(name, kwargs=entry.kwargs(monde)) for name, entry in PORTAIL.items() if entry.kind == PUBLIC]
    urls += [
        reverse("collectivites:mot_de_passe_nouveau", kwargs={"uidb64": uid, "token": token}),
        _invitation_path(user.collectivite),
        "/espace/page-qui-n-existe-pas/",
    ]
    violations = [v for url in urls for v in _violations(page, url)]
    # A form with its errors shown.
    page.goto(reverse("collectivites:connexion"))
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    violations += _violations_ici(page, "connexion refusée")
    assert not violations, "\n".join(violations)


def test_pages_logged_in(page, monde, referent_a):  # noqa: F811
    """Every portal page of a representative, the pages of a sent and a signed convention, a 403 and a form error."""
    _login(page, monde.representant.email)
    urls = [
        reverse(name, kwargs=entry.kwargs(monde))
        for name, entry in PORTAIL.items()
        if entry.kind != PUBLIC and name not in PAS_DES_PAGES
    ]
    urls += [
        reverse("conventions:detail", args=[monde.envoyee.pk]),
        reverse("conventions:detail", args=[monde.signee.pk]),
        reverse("conventions:choix_ecoles", args=[monde.envoyee.pk]),
        reverse("portail:mentions_legales"),
        "/espace/conventions/999999/",
    ]
    violations = [v for url in urls for v in _violations(page, url)]
    page.goto(reverse("collectivites:contact_ajouter"))
    page.get_by_role("button", name="Enregistrer").click()
    violations += _violations_ici(page, "formulaire de contact en erreur")

    page.get_by_role("button", name="Se déconnecter").click()
    _login(page, referent_a.email)
    violations += _violations(page, reverse("collectivites:contacts"))  # 403 page
    violations += _violations(page, reverse("conventions:detail", args=[monde.brouillon.pk]))
    assert not violations, "\n".join(violations)
