"""The académie's identity and billing settings in the admin: a national role edits them, other agents only read
them; a logo is refused, with a French message, unless it is a PNG or JPEG image of 500 Ko at most."""

import io
import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conventions.models import Academie
from facturation.models import ParametresFacturation
from tests.factories import AcademieFactory, UserFactory
from tests.facturation.factories import BIC_TEST, IBAN_TEST, ParametresFacturationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(db):
    """An agent of the « National » group: the identity of every académie and its billing settings."""
    return UserFactory(email="national@education.gouv.fr", is_staff=True, groups=["National"])


@pytest.fixture
def academie():
    return AcademieFactory()


@pytest.fixture
def parametres(academie):
    return ParametresFacturationFactory(academie=academie)


def image(format_image: str = "PNG", taille=(300, 100), bruit: bool = False) -> bytes:
    """An image; with `bruit`, random pixels, which do not compress: the file is as heavy as the image."""
    if bruit:
        dessin = Image.frombytes("RGB", taille, os.urandom(taille[0] * taille[1] * 3))
    else:
        dessin = Image.new("RGB", taille, "navy")
    sortie = io.BytesIO()
    dessin.save(sortie, format=format_image)
    return sortie.getvalue()


def identite(academie: Academie, **changes) -> dict:
    data = {
        "nom": academie.nom,
        "code": academie.code,
        "adresse": academie.adresse,
        "code_postal": academie.code_postal,
        "ville": academie.ville,
        "ville_signature": academie.ville_signature,
        "correspondant_nom": academie.correspondant_nom,
        "correspondant_email": "ent-ecole@ac-montpellier.fr",
        "telephone": "04 67 91 47 00",
        "site_internet": "https://www.ac-montpellier.fr",
    }
    data.update(changes)
    return data


def facturation(parametres: ParametresFacturation, **changes) -> dict:
    data = {
        "academie": parametres.academie_id,
        "ordonnateur_nom": parametres.ordonnateur_nom,
        "ordonnateur_titre": parametres.ordonnateur_titre,
        "siret": parametres.siret,
        "comptable_nom": parametres.comptable_nom,
        "comptable_adresse": parametres.comptable_adresse,
        "titulaire_compte": parametres.titulaire_compte,
        "iban": IBAN_TEST,
        "bic": BIC_TEST,
        "delai_paiement_jours": 30,
    }
    data.update(changes)
    return data


def url_academie(academie) -> str:
    return reverse("admin:conventions_academie_change", args=[academie.pk])


def url_parametres(parametres) -> str:
    return reverse("admin:facturation_parametresfacturation_change", args=[parametres.pk])


def test_a_national_agent_edits_the_identity_and_uploads_a_logo(client, national, academie):
    """The form saves the identity; the logo is stored with the documents and served at the académie's address."""
    client.force_login(national)
    assert 'name="adresse"' in client.get(url_academie(academie)).content.decode()
    logo = image()
    data = identite(academie, adresse="Allée de la Citadelle", logo=SimpleUploadedFile("logo.PNG", logo))
    response = client.post(url_academie(academie), data)
    assert response.status_code == 302, response.content.decode()
    academie.refresh_from_db()
    assert academie.adresse == "Allée de la Citadelle"
    assert academie.telephone == "04 67 91 47 00"
    assert academie.logo.name.startswith("academies/11/logo-") and academie.logo.name.endswith(".png")
    served = client.get(reverse("conventions:logo_academie", args=["11"]))
    assert b"".join(served.streaming_content) == logo
    # « Actuellement » links to that page, not to MEDIA_URL, which serves nothing.
    page = client.get(url_academie(academie)).content.decode()
    nom = academie.logo.name.rsplit("/", 1)[-1]
    assert f'<a href="{reverse("conventions:logo_academie", args=["11"])}">{nom}</a>' in page
    assert settings.MEDIA_URL not in page


def test_a_national_agent_edits_the_billing_settings(client, national, parametres):
    """The ordonnateur, the comptable and the account printed on the titres: the national role changes them."""
    client.force_login(national)
    assert 'name="iban"' in client.get(url_parametres(parametres)).content.decode()
    response = client.post(url_parametres(parametres), facturation(parametres, titulaire_compte="DRFIP OCCITANIE"))
    assert response.status_code == 302, response.content.decode()
    parametres.refresh_from_db()
    assert parametres.titulaire_compte == "DRFIP OCCITANIE"


@pytest.mark.parametrize("persona", ["agent_gestion", "agent_finances"])
def test_other_agents_only_read_the_identity(request, client, persona, academie, parametres):
    """« Gestion ENT » and « Finances » open both pages read-only, the logo shown from its page (not MEDIA_URL); a
    POST is refused (403) and changes nothing."""
    academie.logo.save("logo.png", SimpleUploadedFile("logo.png", image()))
    client.force_login(request.getfixturevalue(persona))
    page = client.get(url_academie(academie)).content.decode()
    assert f'<img src="{reverse("conventions:logo_academie", args=["11"])}"' in page
    assert settings.MEDIA_URL not in page
    for url, champ, data in (
        (url_academie(academie), "adresse", identite(academie, adresse="Ailleurs")),
        (url_parametres(parametres), "iban", facturation(parametres, titulaire_compte="Ailleurs")),
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert f'name="{champ}"' not in page.content.decode()
        assert client.post(url, data).status_code == 403
    academie.refresh_from_db()
    parametres.refresh_from_db()
    assert academie.adresse == "31, rue de l'Université"
    assert parametres.titulaire_compte == "DRFIP OCCITANIE ET HAUTE-GARONNE"
    assert client.get(reverse("admin:conventions_academie_add")).status_code == 403


@pytest.mark.parametrize(
    "nom, contenu, message",
    [
        ("logo.png", b"%PDF-1.7 pas une image", "Téléversez une image valide"),
        ("logo.gif", image("GIF"), "Le logo doit être une image PNG ou JPEG (ce fichier est au format GIF)."),
        ("logo.png", image(taille=(600, 600), bruit=True), "Le logo pèse"),
    ],
    ids=["pas-une-image", "gif", "trop-lourd"],
)
def test_an_invalid_logo_is_refused_with_a_french_message(client, national, academie, nom, contenu, message):
    """Not an image, another format, too heavy: the form says why, and nothing is stored."""
    client.force_login(national)
    response = client.post(url_academie(academie), identite(academie, logo=SimpleUploadedFile(nom, contenu)))
    assert response.status_code == 200
    assert message in response.content.decode()
    academie.refresh_from_db()
    assert not academie.logo
