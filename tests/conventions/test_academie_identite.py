"""Each académie's identity (issue 17, points 4 and 6): a second académie gets its own name, address, contacts, IBAN
and logo on its convention and titre PDFs, its e-mails, its collectivités' portal pages and /verifier/, and nothing
of the first one."""

import datetime
import io

import pikepdf
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from collectivites.models import User
from conventions.models import Academie, Convention
from conventions.notifications import notifier_convention_prete
from conventions.services import envoyer_pour_signature
from documents.verification import affiche
from facturation.notifications import annoncer_titre
from facturation.services import emettre_titre
from tests.conventions.pdf_support import pages_text
from tests.factories import (
    AcademieFactory,
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    UserFactory,
)
from tests.facturation.factories import ParametresFacturationFactory

pytestmark = pytest.mark.django_db

TOULOUSE = {
    "nom": "Académie de Toulouse",
    "code": "16",
    "adresse": "75, rue Saint-Roch",
    "code_postal": "31 400",
    "ville": "TOULOUSE Cedex 4",
    "ville_signature": "Toulouse",
    "correspondant_nom": "Service ENT-école – DRANE de Toulouse",
    "correspondant_email": "ent-ecole@ac-toulouse.fr",
    "telephone": "05 36 25 70 00",
    "site_internet": "https://www.ac-toulouse.fr",
}
IBAN_TOULOUSE = "FR1420041010050500013M02606"
# What of Montpellier (tests.factories, the demo) must never show on a document or page of Toulouse.
MONTPELLIER = ("Montpellier", "MONTPELLIER", "Université", "34 064", "FR76 3000 1007 9412 3456 7890 185")
# Logos told apart by their size in pixels once in the PDF.
LOGO_MONTPELLIER = (200, 50)
LOGO_TOULOUSE = (120, 60)


def png(taille: tuple[int, int], couleur: str) -> bytes:
    sortie = io.BytesIO()
    Image.new("RGB", taille, couleur).save(sortie, format="PNG")
    return sortie.getvalue()


def avec_logo(academie: Academie, taille: tuple[int, int], couleur: str) -> Academie:
    academie.logo.save("logo.png", SimpleUploadedFile("logo.png", png(taille, couleur)))
    return academie


@pytest.fixture
def montpellier():
    academie = avec_logo(
        AcademieFactory(correspondant_email="ent-ecole@ac-montpellier.fr", telephone="04 67 91 47 00"),
        LOGO_MONTPELLIER,
        "blue",
    )
    ParametresFacturationFactory(academie=academie)
    return academie


@pytest.fixture
def toulouse(montpellier):
    academie = avec_logo(AcademieFactory(**TOULOUSE), LOGO_TOULOUSE, "red")
    ParametresFacturationFactory(
        academie=academie,
        ordonnateur_nom="Mostafa Fourar",
        ordonnateur_titre="Recteur de l'académie de Toulouse",
        comptable_nom="Direction départementale des finances publiques de l'Ariège",
        comptable_adresse="9, rue Lazare-Carnot\n09000 FOIX",
        titulaire_compte="DDFIP ARIEGE",
        iban=IBAN_TOULOUSE,
        bic="CCBPFRPPTLS",
    )
    return academie


@pytest.fixture
def annee_toulouse(toulouse):
    return AnneeScolaireFactory(
        academie=toulouse,
        libelle="2022-2023",
        signataire_prenom="Mostafa",
        signataire_nom="Fourar",
        signataire_titre="Recteur de l'académie de Toulouse, chancelier des universités",
    )


@pytest.fixture
def foix(annee_toulouse):
    """A commune of Ariège, with its conventions of the académie de Toulouse."""
    commune = CommuneFactory(code_insee="09122", nom="Foix", code_postal="09000")
    return CollectiviteFactory(
        nom="Commune de Foix", commune=commune, departement="09", code_postal="09000", ville="Foix"
    )


@pytest.fixture
def envoyee(foix, annee_toulouse):
    return envoyer_pour_signature(ConventionFactory(collectivite=foix, annee=annee_toulouse, ecoles=2))


@pytest.fixture
def titre(foix, annee_toulouse):
    signee = ConventionFactory(
        collectivite=foix,
        commune=CommuneFactory(code_insee="09001", nom="Aigues-Juntes", code_postal="09240"),
        annee=annee_toulouse,
        signee=True,
        date_signature=datetime.date(2022, 9, 20),
        lieu_signature="Toulouse",
        ecoles=1,
    )
    return emettre_titre(signee, date_emission=datetime.date(2022, 10, 3))


def lire(fichier) -> bytes:
    with fichier.open("rb") as stored:
        return stored.read()


def texte(pdf: bytes) -> str:
    return " ".join(" ".join(pages_text(pdf)).split())


def tailles_des_images(pdf: bytes) -> set[tuple[int, int]]:
    """The size in pixels of every image of the PDF; each image not interpolated, as PDF/A wants."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        images = [o for o in document.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        assert all(image.get("/Interpolate") is False for image in images), [
            (image.get("/Interpolate"), image.Width, image.Height) for image in images
        ]
        return {(int(image.Width), int(image.Height)) for image in images}


def sans_montpellier(contenu: str) -> None:
    for mot in MONTPELLIER:
        assert mot not in contenu


def test_the_convention_pdf_states_its_academie_and_its_logo(envoyee):
    """Toulouse's convention names Toulouse (party, address, articles 2.6, 6 and 8, place of signature), prints its
    logo, and nothing of Montpellier."""
    pdf = lire(envoyee.document)
    contenu = texte(pdf)
    assert "L'ACADEMIE DE TOULOUSE" in contenu
    assert "75, rue Saint-Roch 31 400 - TOULOUSE Cedex 4" in contenu
    assert "Représentée par Mostafa Fourar" in contenu
    assert "du rectorat de Toulouse prend en charge l'assistance de niveau 2" in contenu
    assert "émission par le Rectorat de l'académie de Toulouse d'un titre de perception" in contenu
    assert "A Toulouse, le" in contenu
    sans_montpellier(contenu)
    assert LOGO_TOULOUSE in tailles_des_images(pdf)
    assert LOGO_MONTPELLIER not in tailles_des_images(pdf)


def test_a_convention_of_an_academie_without_logo_prints_none(montpellier):
    """No logo, no image but the verification QR code: the document is issued as before."""
    montpellier.logo = ""
    montpellier.save()
    pdf = lire(envoyer_pour_signature(ConventionFactory(ecoles=1)).document)
    assert len(tailles_des_images(pdf)) == 1


def test_the_titre_pdf_states_its_issuer_iban_and_logo(titre):
    """Toulouse's titre: its issuer, ordonnateur, comptable, IBAN and BIC, its logo; none of Montpellier's."""
    pdf = lire(titre.pdf)
    contenu = texte(pdf)
    assert "Académie de Toulouse" in contenu
    assert "75, rue Saint-Roch" in contenu and "31 400 TOULOUSE Cedex 4" in contenu
    assert "Fait à Toulouse" in contenu
    assert "Mostafa Fourar" in contenu
    assert "Direction départementale des finances publiques de l'Ariège" in contenu
    assert "FR14 2004 1010 0505 0001 3M02 606" in contenu and "CCBPFRPPTLS" in contenu
    sans_montpellier(contenu)
    assert LOGO_TOULOUSE in tailles_des_images(pdf)
    assert LOGO_MONTPELLIER not in tailles_des_images(pdf)


def test_the_titre_keeps_the_logo_it_was_issued_with(toulouse, titre):
    """A new logo is another file: the titre's frozen copy still names the one it printed."""
    ancien = titre.emetteur_logo
    assert ancien.startswith("academies/16/logo-") and ancien.endswith(".png")
    avec_logo(toulouse, (90, 90), "green")
    titre.refresh_from_db()
    assert titre.emetteur_logo == ancien != toulouse.logo.name


def test_the_emails_are_signed_by_the_academie_and_answered_to_its_service(envoyee, titre):
    """The « convention prête » and « titre émis » e-mails: Toulouse's signature, address, phone, Reply-To."""
    notifier_convention_prete(envoyee)
    annoncer_titre(titre)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        [(html, _mimetype)] = message.alternatives
        for corps in (message.body, html):
            assert "Le rectorat de l'académie de Toulouse – service ENT-école" in corps
            assert "75, rue Saint-Roch" in corps and "05 36 25 70 00" in corps
            assert "Service ENT-école – DRANE de Toulouse" in corps
            sans_montpellier(corps)
        assert message.reply_to == ["ent-ecole@ac-toulouse.fr"]


def test_the_portal_shows_the_collectivite_its_academie(client, foix, envoyee, toulouse):
    """Home and convention page of a collectivité of Toulouse: Toulouse's name, address, contacts and logo."""
    representant = UserFactory(email="maire@foix.fr", collectivite=foix, role=User.Role.REPRESENTANT)
    client.force_login(representant)
    logo = reverse("conventions:logo_academie", args=["16"])
    for url in (reverse("portail:tableau_de_bord"), reverse("conventions:detail", args=[envoyee.pk])):
        contenu = client.get(url).content.decode()
        assert "Conventions de partenariat avec l'académie de Toulouse" in contenu
        assert "Rectorat de l'académie de Toulouse" in contenu
        assert "75, rue Saint-Roch" in contenu and "31 400 TOULOUSE Cedex 4" in contenu
        assert "mailto:ent-ecole@ac-toulouse.fr" in contenu and "05 36 25 70 00" in contenu
        assert 'href="https://www.ac-toulouse.fr"' in contenu
        assert f'src="{logo}"' in contenu
        sans_montpellier(contenu)
        assert "ac-montpellier" not in contenu
    response = client.get(logo)
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == LOGO_TOULOUSE


def test_the_convention_page_names_the_academie_of_that_convention(client, foix, montpellier, annee_toulouse):
    """A collectivité with conventions of two académies sees, on each convention's page, that convention's."""
    ancienne = ConventionFactory(collectivite=foix, annee=AnneeScolaireFactory(academie=montpellier), ecoles=1)
    client.force_login(UserFactory(email="maire@foix.fr", collectivite=foix, role=User.Role.REPRESENTANT))
    contenu = client.get(reverse("conventions:detail", args=[ancienne.pk])).content.decode()
    section = contenu.split('id="academie-convention"')[1].split("</section>")[0]
    assert "Rectorat de l'académie de Montpellier" in section and "Toulouse" not in section


def test_public_pages_name_every_academie_to_an_anonymous_visitor(client, toulouse, settings):
    """Without an account, the legal pages name the publishers of a deployment of two académies, and its host."""
    settings.HEBERGEUR = "le centre de services mutualisés de la région académique Occitanie"
    contenu = client.get(reverse("portail:mentions_legales")).content.decode()
    assert "Rectorat de l'académie de Toulouse" in contenu
    assert "Rectorat de l'académie de Montpellier" in contenu
    assert "Conventions de partenariat avec les académies" in contenu
    assert "hébergé par le centre de services mutualisés de la région académique Occitanie." in contenu


def test_verifier_names_the_issuing_academie(client, envoyee, titre):
    """/verifier/ says which rectorat issued the convention and the titre, by code and by file."""
    for code in (envoyee.code_verification, titre.code_verification):
        contenu = client.get("/verifier/", {"code": affiche(code)}).content.decode()
        assert "Document authentique" in contenu
        assert "Rectorat de l'académie de Toulouse" in contenu
        assert "Montpellier" not in contenu
    fichier = SimpleUploadedFile("titre.pdf", lire(titre.pdf))
    contenu = client.post("/verifier/", {"fichier": fichier}).content.decode()
    assert "émis par le rectorat de l'académie de Toulouse" in contenu


def test_verifier_names_montpellier_for_its_documents(client, montpellier):
    """The other académie's document names the other académie."""
    convention = envoyer_pour_signature(ConventionFactory(ecoles=1))
    assert convention.etat == Convention.Etat.ENVOYEE
    contenu = client.get("/verifier/", {"code": affiche(convention.code_verification)}).content.decode()
    assert "Rectorat de l'académie de Montpellier" in contenu and "Toulouse" not in contenu


def test_the_password_email_is_signed_by_the_academie_of_the_account(client, foix, envoyee):
    """An e-mail of the portal itself (a new password) names the académie of the account's collectivité."""
    UserFactory(email="maire@foix.fr", collectivite=foix, role=User.Role.REPRESENTANT)
    client.post(reverse("collectivites:mot_de_passe_oublie"), {"email": "maire@foix.fr"})
    [message] = mail.outbox
    assert "Le rectorat de l'académie de Toulouse – ENT-école" in message.body
    sans_montpellier(message.body)
