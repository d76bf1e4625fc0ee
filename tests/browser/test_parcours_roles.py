"""The rectorat's journeys and the public one in a real Chromium: a « Gestion ENT » agent confirms a signature from
the convention's page, a « Finances » agent sends the reminders of overdue titres, anyone checks a document. Each
page visited is checked by axe-core (WCAG 2.1 AA) at 1280 and 390 px and kept as a screenshot in test-artifacts/
(tests/browser/parcours.py)."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conventions.models import Convention
from conventions.services import deposer_exemplaire_signe
from documents.verification import affiche
from facturation.models import Relance
from tests.conftest import PASSWORD
from tests.factories import ConventionFactory, UserFactory
from tests.facturation.factories import TitreDePerceptionFactory
from tests.portal.conftest import upload

from .parcours import Parcours

# The groups are put back: a browser test before these flushed them (transactional tests empty every table).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("groupes_du_rectorat"),
]


def _connexion_admin(page, email: str) -> None:
    page.goto(reverse("admin:login"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Gestion des conventions")).to_be_visible()


def test_gestion_confirms_a_signature_from_the_convention_page(page):
    agent = UserFactory(email="gestion@ac-montpellier.fr", is_staff=True, groups=["Gestion ENT"])
    convention = ConventionFactory(envoyee=True, ecoles=2, date_envoi=timezone.now())
    deposer_exemplaire_signe(convention, upload())
    parcours = Parcours(page, "gestion")

    _connexion_admin(page, agent.email)
    expect(page.get_by_role("heading", name=re.compile("en un coup d'œil"))).to_be_visible()
    expect(page.get_by_role("link", name="1 retournées, en vérification")).to_be_visible()
    parcours.etape("accueil")

    page.goto(reverse("admin:conventions_convention_change", args=[convention.pk]))
    parcours.etape("convention")
    page.get_by_role("button", name="Confirmer la signature").click()
    expect(page.get_by_role("heading", name="Ce qui va se passer")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Convention déposée le"))).to_be_visible()
    hier = timezone.localdate() - datetime.timedelta(days=1)
    page.get_by_label("Date de signature par l'académie").fill(hier.isoformat())
    parcours.etape("confirmation-signature")
    page.get_by_role("button", name="Confirmer la signature").click()

    expect(page.get_by_text(re.compile("Signature enregistrée le"))).to_be_visible()
    assert page.url.endswith(reverse("admin:conventions_convention_change", args=[convention.pk]))
    convention.refresh_from_db()
    assert (convention.etat, convention.date_signature) == (Convention.Etat.SIGNEE, hier)
    parcours.etape("convention-signee")
    assert not parcours.violations, "\n".join(parcours.violations)


def test_finances_sends_the_reminders_of_overdue_titres(page):
    agent = UserFactory(email="finances@ac-montpellier.fr", is_staff=True, groups=["Finances"])
    titre = TitreDePerceptionFactory(date_echeance=timezone.localdate() - datetime.timedelta(days=10))
    parcours = Parcours(page, "finances")

    _connexion_admin(page, agent.email)
    page.goto(reverse("admin:facturation_titredeperception_changelist") + "?etat=en_retard")
    expect(page.get_by_role("link", name="En retard", exact=True)).to_be_visible()
    parcours.etape("titres-en-retard")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("envoyer_relances")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("heading", name="Ce qui va se passer")).to_be_visible()
    expect(page.get_by_role("cell", name=titre.convention.collectivite.email)).to_be_visible()
    parcours.etape("confirmation-relances")
    assert not Relance.objects.exists() and mail.outbox == []
    page.get_by_role("button", name="Envoyer les relances").click()

    expect(page.get_by_text("1 relance envoyée.")).to_be_visible()
    assert [m.to for m in mail.outbox] == [[titre.convention.collectivite.email]]
    assert Relance.objects.get().titre == titre
    page.goto(reverse("admin:facturation_synthese"))
    parcours.etape("synthese")
    assert not parcours.violations, "\n".join(parcours.violations)


def test_anyone_checks_a_document_by_its_code(page):
    convention = ConventionFactory(envoyee=True, ecoles=1, date_envoi=timezone.now(), code_verification="0123456789AB")
    parcours = Parcours(page, "public")
    page.goto(reverse("verification"))
    parcours.etape("verifier")
    page.get_by_label("Code de vérification").fill(affiche(convention.code_verification))
    page.get_by_role("button", name=re.compile("Vérifier")).click()
    expect(page.get_by_text("Ce code est celui d'un document émis par le rectorat")).to_be_visible()
    expect(page.get_by_text(convention.reference)).to_be_visible()
    parcours.etape("document-verifie")
    assert not parcours.violations, "\n".join(parcours.violations)
    assert page.erreurs == []
