"""Isolation by construction: every portal URL, anonymous → login, another collectivité → 404 and nothing changes."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from collectivites.models import Contact, Invitation
from config.urls import PORTAIL_PREFIX
from conventions.models import Convention
from facturation.models import TitreDePerception

from .conftest import Monde, pdf_bytes, upload

PUBLIC = "public"  # open to anonymous visitors (legal pages, log in, invitation, password reset)
COLLECTION = "collection"  # a page of the user's own collectivité with no object in its address
OBJET = "objet"  # names one object of collectivité A in its address


@dataclass
class Entry:
    kind: str
    kwargs: Callable[[Monde], dict] = lambda monde: {}
    post: Callable[[Monde], dict] | None = None
    # What the entitled visitor's GET answers: 200 for pages and downloads; logging out only accepts POST; a reset
    # link moves its token out of the address (302); an unknown invitation link is gone (410).
    owner_status: int = 200


def _reset_kwargs(monde: Monde) -> dict:
    user = monde.representant
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}


def _ecoles(monde: Monde) -> dict:
    return {"ecoles": [e.pk for e in monde.ecoles_libres]}


def _contact(monde: Monde) -> dict:
    return {"role": "contributeur", "prenom": "Intrus", "nom": "Dupont", "email": "intrus@example.fr", "fonction": ""}


def _invitation(monde: Monde) -> dict:
    return {"role": "contributeur", "prenom": "Intrus", "nom": "Dupont", "email": "intrus@example.fr"}


# Every URL of the portal, with how to build it. test_table_covers_every_portal_url keeps this list complete.
PORTAIL = {
    "collectivites:connexion": Entry(PUBLIC),
    "collectivites:deconnexion": Entry(COLLECTION, post=lambda m: {}, owner_status=405),
    "collectivites:mot_de_passe_oublie": Entry(PUBLIC),
    "collectivites:mot_de_passe_envoye": Entry(PUBLIC),
    "collectivites:mot_de_passe_nouveau": Entry(PUBLIC, _reset_kwargs, owner_status=302),
    "collectivites:mot_de_passe_termine": Entry(PUBLIC),
    "collectivites:invitation": Entry(PUBLIC, lambda m: {"token": "lien-inconnu"}, owner_status=410),
    "portail:mentions_legales": Entry(PUBLIC),
    "portail:donnees_personnelles": Entry(PUBLIC),
    "portail:accessibilite": Entry(PUBLIC),
    "portail:plan_du_site": Entry(PUBLIC),
    "collectivites:contacts": Entry(COLLECTION),
    "collectivites:contact_ajouter": Entry(COLLECTION, post=_contact),
    "collectivites:contact_modifier": Entry(OBJET, lambda m: {"pk": m.contact.pk}, post=_contact),
    "collectivites:contact_supprimer": Entry(OBJET, lambda m: {"pk": m.contact.pk}, post=lambda m: {}),
    "collectivites:comptes": Entry(COLLECTION),
    "collectivites:inviter": Entry(COLLECTION, post=_invitation),
    "collectivites:invitation_retirer": Entry(OBJET, lambda m: {"pk": m.invitation.pk}, post=lambda m: {}),
    "collectivites:invitation_renvoyer": Entry(
        OBJET, lambda m: {"pk": m.invitation.pk}, post=lambda m: {}, owner_status=405
    ),
    "portail:tableau_de_bord": Entry(COLLECTION),
    "facturation:titres": Entry(COLLECTION),
    "facturation:titre_pdf": Entry(OBJET, lambda m: {"pk": m.titre.pk}, post=lambda m: {}),
    "conventions:detail": Entry(OBJET, lambda m: {"pk": m.brouillon.pk}, post=lambda m: {}),
    "conventions:pdf": Entry(OBJET, lambda m: {"pk": m.brouillon.pk}, post=lambda m: {}),
    "conventions:choix_ecoles": Entry(OBJET, lambda m: {"pk": m.brouillon.pk}, post=_ecoles),
    "conventions:exemplaire_signe": Entry(
        OBJET, lambda m: {"pk": m.envoyee.pk}, post=lambda m: {"fichier": upload(pdf_bytes(2, "Intrus"))}
    ),
    "conventions:exemplaire_signe_pdf": Entry(OBJET, lambda m: {"pk": m.envoyee.pk}, post=lambda m: {}),
    # Public, as on the académie's letters; this world's académie has no logo (tests/portal/test_academie.py has one).
    "conventions:logo_academie": Entry(PUBLIC, lambda m: {"code": m.signee.annee.academie.code}, owner_status=404),
}


def _portal_url_names(resolver=None, prefix="", namespace="") -> set[str]:
    """Every named URL whose address starts with the portal's prefix, walking the includes."""
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _portal_url_names(pattern, route, ns)
        elif isinstance(pattern, URLPattern) and pattern.name and route.startswith(PORTAIL_PREFIX):
            names.add(namespace + pattern.name)
    return names


def _url(name: str, monde: Monde) -> str:
    return reverse(name, kwargs=PORTAIL[name].kwargs(monde))


def _snapshot(collectivite) -> dict:
    """Everything of collectivité A that a request from B could change."""
    conventions = Convention.objects.filter(collectivite=collectivite).order_by("pk")
    return {
        "conventions": list(
            conventions.values_list("pk", "etat", "exemplaire_signe", "exemplaire_signe_sha256", "date_retour")
        ),
        "inscriptions": sorted(conventions.values_list("pk", "inscriptions__ecole")),
        "contacts": list(Contact.objects.filter(collectivite=collectivite).order_by("pk").values()),
        "invitations": list(Invitation.objects.filter(collectivite=collectivite).order_by("pk").values()),
        "titres": list(TitreDePerception.objects.filter(convention__collectivite=collectivite).values_list("pk")),
        "comptes": list(collectivite.comptes.order_by("pk").values_list("pk", "email", "is_active")),
    }


def test_table_covers_every_portal_url():
    """A portal URL added without its line in the table makes this test fail (and a stale line too)."""
    assert _portal_url_names() == set(PORTAIL)


@pytest.mark.parametrize("name", sorted(n for n, e in PORTAIL.items() if e.kind != PUBLIC))
def test_anonymous_is_sent_to_the_login_page(client, monde, name):
    """Anonymous GET and POST on a portal page are redirected to the login page, with the page to come back to."""
    url = _url(name, monde)
    login = reverse("collectivites:connexion")
    for response in (client.get(url), client.post(url, {})):
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == login
        assert f"next={url}" in response["Location"].replace("%2F", "/")


@pytest.mark.parametrize("name", sorted(n for n, e in PORTAIL.items() if e.kind == PUBLIC))
def test_public_pages_open_to_anonymous(client, monde, name):
    """Legal pages, logging in, the password reset and invitation pages answer anonymous visitors."""
    assert client.get(_url(name, monde)).status_code == PORTAIL[name].owner_status


@pytest.mark.parametrize("name", sorted(n for n, e in PORTAIL.items() if e.kind == OBJET))
def test_other_collectivite_gets_404_and_changes_nothing(client, monde, representant_b, collectivite_a, name):
    """The representative of B asking for an object of A: 404 on GET and on POST, and A's data unchanged."""
    entry = PORTAIL[name]
    url = _url(name, monde)
    before = _snapshot(collectivite_a)
    client.force_login(representant_b)
    assert client.get(url).status_code == 404
    assert client.post(url, entry.post(monde) if entry.post else {}).status_code == 404
    assert _snapshot(collectivite_a) == before


@pytest.mark.parametrize("name", sorted(n for n, e in PORTAIL.items() if e.kind == COLLECTION))
def test_other_collectivite_sees_only_its_own(client, monde, representant_b, collectivite_a, name):
    """On a page without an object in its address, B sees nothing of A, and its POST changes nothing of A."""
    entry = PORTAIL[name]
    url = _url(name, monde)
    before = _snapshot(collectivite_a)
    client.force_login(representant_b)
    if entry.owner_status == 200:
        content = client.get(url).content.decode()
        secrets = (monde.brouillon.reference, monde.titre.numero, monde.contact.email, monde.invitation.email)
        for secret in (*secrets, collectivite_a.nom):
            assert secret not in content
    if entry.post:
        client.post(url, entry.post(monde))
    assert _snapshot(collectivite_a) == before


@pytest.mark.parametrize("name", sorted(n for n, e in PORTAIL.items() if e.kind != PUBLIC))
def test_owner_gets_the_page(client, monde, name):
    """The representative of A opens every portal page of A (logging out only answers POST)."""
    client.force_login(monde.representant)
    response = client.get(_url(name, monde))
    assert response.status_code == PORTAIL[name].owner_status
    if response.streaming:
        # A download is only complete, and its file closed (by the test client), once read.
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
