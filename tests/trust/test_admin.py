"""The admin tells the rectorat whether documents are signed electronically and what the upload check found."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conventions.services import deposer_exemplaire_signe, enregistrer_signature
from tests.factories import UserFactory

from .conftest import envoye, signer_comme_collectivite

CHANGELIST = reverse("admin:conventions_convention_changelist")


@pytest.fixture
def agent(db, client):
    client.force_login(UserFactory(email="agent@ac-montpellier.fr", is_staff=True, groups=["Gestion ENT"]))
    return client


def test_without_a_certificate_the_admin_says_so(agent, settings):
    """No certificate configured: the changelist warns that documents are issued unsigned."""
    settings.SIGNATURE_PKCS12_PATH = ""
    response = agent.get(CHANGELIST)
    assert "Documents émis sans signature électronique : aucun certificat configuré" in response.content.decode()


def test_with_a_certificate_no_warning(agent, certificat_academie):
    """With a certificate configured, no such warning."""
    response = agent.get(CHANGELIST)
    assert "sans signature électronique" not in response.content.decode()


def test_change_page_shows_the_signer_of_the_deposited_copy(agent, envoyee, signataire_collectivite):
    """The convention's page shows the upload check: conform, signed by whom and when."""
    signe = signer_comme_collectivite(envoye(envoyee), signataire_collectivite)
    deposer_exemplaire_signe(envoyee, SimpleUploadedFile("s.pdf", signe))
    page = agent.get(reverse("admin:conventions_convention_change", args=[envoyee.pk])).content.decode()
    assert "Signé numériquement et conforme" in page
    assert "Agathe Ménard" in page


@pytest.mark.parametrize(
    "avec_certificat, attendu",
    [
        (True, "Convention signée électroniquement par l'académie : PAdES B-B (vérifiable tant que le certificat"),
        (False, "Copie datée par le rectorat, sans signature électronique de l'académie."),
    ],
)
def test_change_page_shows_the_level_of_the_academies_signature(agent, envoyee, request, avec_certificat, attendu):
    """Once signed, the convention's page says how the académie signed: the PAdES level read from the stored copy
    (B-B without a timestamp authority), or a dated copy without electronic signature."""
    if avec_certificat:
        request.getfixturevalue("certificat_academie")
    else:
        request.getfixturevalue("settings").SIGNATURE_PKCS12_PATH = ""
    enregistrer_signature(envoyee, envoyee.date_envoi.date(), "Montpellier")
    page = agent.get(reverse("admin:conventions_convention_change", args=[envoyee.pk])).content.decode()
    assert attendu.replace("'", "&#x27;") in page
