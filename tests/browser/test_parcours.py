"""A representative's journey in a real Chromium: invitation, log in, schools, PDFs, signed copy, titre, inviting a
colleague, log out. Each page is checked by axe-core at 1280 and 390 px and kept as screenshots in test-artifacts/."""

import datetime
import hashlib
import io
import re

import pypdf
import pytest
from django.core import mail
from playwright.sync_api import expect

from collectivites import services
from collectivites.models import Invitation, User
from conventions.models import Convention
from facturation.services import emettre_titre
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, ConventionFactory, EcoleFactory
from tests.facturation.factories import ParametresFacturationFactory
from tests.portal.conftest import pdf_bytes

from .parcours import Parcours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOT_DE_PASSE = "une-phrase-de-passe-solide"
NBSP = "\u00a0"


@pytest.fixture
def mairie():
    """Commune de Mouthoumet: a draft for 2023-2024 with three schools to choose, a sent convention, a signed one
    with its titre."""
    collectivite = CollectiviteFactory(nom="Commune de Mouthoumet")
    commune = collectivite.commune
    brouillon = ConventionFactory(collectivite=collectivite, annee=AnneeScolaireFactory(libelle="2023-2024"))
    for nom in ("ECOLE PRIMAIRE DES CORBIERES", "ECOLE MATERNELLE LES OLIVIERS", "ECOLE ELEMENTAIRE JEAN MOULIN"):
        EcoleFactory(nom=nom, commune=commune)
    envoyee = ConventionFactory(
        collectivite=collectivite, annee=AnneeScolaireFactory(libelle="2022-2023"), envoyee=True, ecoles=1
    )
    envoyee.document.save("envoyee.pdf", io.BytesIO(pdf_bytes(2, "Convention envoyée")), save=True)
    signee = ConventionFactory(
        collectivite=collectivite,
        annee=AnneeScolaireFactory(libelle="2021-2022"),
        signee=True,
        date_signature=datetime.date(2021, 9, 13),
        ecoles=1,
    )
    ParametresFacturationFactory(academie=signee.annee.academie)
    titre = emettre_titre(signee, date_emission=datetime.date(2021, 10, 1))
    services.inviter(
        Invitation(
            collectivite=collectivite, email="maire@mouthoumet.fr", prenom="Anne", nom="Roux", role="representant"
        ),
        par=None,
    )
    lien = re.search(r"https?://\S+(/espace/invitation/\S+/)", mail.outbox[-1].body).group(1)
    return {"brouillon": brouillon, "envoyee": envoyee, "titre": titre, "lien": lien}


def _telecharger(page, locator) -> bytes:
    with page.expect_download() as info:
        locator.click()
    with open(info.value.path(), "rb") as fichier:
        return fichier.read()


def test_representative_journey(page, mairie, tmp_path):
    """From the invitation e-mail to logging out, through every action of a representative."""
    parcours = Parcours(page, "representant")
    # Accept the invitation: choose a password, land on the dashboard, logged in.
    page.goto(mairie["lien"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer votre compte")
    parcours.etape("invitation")
    page.get_by_label(re.compile("Mot de passe")).fill(MOT_DE_PASSE)
    page.get_by_label(re.compile("Confirmation du mot de passe")).fill(MOT_DE_PASSE)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes conventions")
    assert User.objects.get(email="maire@mouthoumet.fr").role == "representant"

    # Log out, then log in by e-mail.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace des collectivités")
    page.get_by_label("Adresse e-mail").fill("maire@mouthoumet.fr")
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes conventions")
    parcours.etape("tableau-de-bord")

    # Choose schools: the amount follows the boxes ticked, before saving.
    brouillon = mairie["brouillon"]
    page.get_by_role("link", name=brouillon.reference).click()
    page.get_by_role("link", name="Choisir les écoles").click()
    montant = page.locator("#montant-participation")
    expect(montant).to_have_text(f"0,00{NBSP}€")
    page.get_by_text("ECOLE PRIMAIRE DES CORBIERES").click()
    expect(montant).to_have_text(f"50,00{NBSP}€")
    expect(page.locator("#nombre-ecoles")).to_have_text("1 école")
    page.get_by_text("ECOLE MATERNELLE LES OLIVIERS").click()
    expect(montant).to_have_text(f"100,00{NBSP}€")
    expect(page.locator("#nombre-ecoles")).to_have_text("2 écoles")
    parcours.etape("choix-ecoles")
    page.get_by_role("button", name="Enregistrer le choix").click()
    expect(page.get_by_text("Le choix est enregistré : 2 écoles sont inscrites.")).to_be_visible()
    assert brouillon.inscriptions.count() == 2

    # Download the draft: a "PROJET" preview.
    projet = _telecharger(page, page.get_by_role("link", name="Télécharger le projet de convention (PDF)"))
    assert "PROJET" in pypdf.PdfReader(io.BytesIO(projet)).pages[0].extract_text()

    # Upload the signed convention on the sent one.
    envoyee = mairie["envoyee"]
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes conventions").click()
    page.get_by_role("link", name=envoyee.reference).click()
    envoye = _telecharger(page, page.get_by_role("link", name="Télécharger la convention (PDF)"))
    with envoyee.document.open("rb") as gele:
        assert envoye == gele.read()
    page.get_by_role("link", name="Déposer la convention signée").click()
    signe = pdf_bytes(2, "Convention signée par Anne Roux")
    fichier = tmp_path / "convention signée.pdf"
    fichier.write_bytes(signe)
    page.get_by_label("Convention signée (PDF)").set_input_files(fichier)
    page.get_by_role("button", name="Déposer").click()
    expect(page.get_by_text("La convention signée est déposée.")).to_be_visible()
    parcours.etape("convention-deposee")
    assert Convention.objects.get(pk=envoyee.pk).exemplaire_signe_sha256 == hashlib.sha256(signe).hexdigest()

    # Download the titre, exactly as issued.
    titre = mairie["titre"]
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Titres de perception").click()
    parcours.etape("titres")
    contenu = _telecharger(page, page.get_by_role("link", name=f"PDF du titre n° {titre.numero}"))
    assert hashlib.sha256(contenu).hexdigest() == titre.pdf_sha256

    # The titre on its convention's page, with what is left to pay and how.
    page.get_by_role("link", name=titre.convention.reference).click()
    expect(page.get_by_role("heading", name="Titre de perception")).to_be_visible()
    expect(page.locator(f"#titre-{titre.numero}")).to_be_visible()
    parcours.etape("convention-signee")

    # Invite a colleague: the e-mail leaves with its link, the invitation is listed as pending.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Comptes de l'espace").click()
    parcours.etape("comptes")
    page.get_by_role("link", name="Inviter une personne").click()
    page.locator("label", has_text="Contributeur").click()
    expect(page.get_by_role("radio", name="Contributeur")).to_be_checked()
    page.get_by_label("Prénom", exact=True).fill("Lucie")
    page.get_by_label("Nom", exact=True).fill("Durand")
    page.get_by_label(re.compile("Adresse e-mail")).fill("lucie.durand@mouthoumet.fr")
    parcours.etape("inviter")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_text("L'invitation est envoyée à lucie.durand@mouthoumet.fr.")).to_be_visible()
    expect(page.get_by_text("En attente")).to_be_visible()
    assert mail.outbox[-1].to == ["lucie.durand@mouthoumet.fr"]
    parcours.etape("comptes-invitation-envoyee")

    # Log out: the portal is closed again.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace des collectivités")
    page.goto("/espace/titres/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace des collectivités")

    # No script refused by the Content-Security-Policy, no JavaScript error, no accessibility violation on the way.
    assert page.erreurs == []
    assert not parcours.violations, "\n".join(parcours.violations)
