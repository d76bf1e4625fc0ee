"""The money of a convention is frozen when its PDF is: a later change of the year's rate changes nothing that was
sent, signed or billed (issue 12, row « money not frozen »), and each amount is computed in one place."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from conventions.campagne import tableau_de_bord
from conventions.models import AnneeScolaire, Convention
from conventions.services import enregistrer_signature, envoyer_pour_signature, revenir_en_brouillon
from facturation.pdf import pdf_stocke
from facturation.services import emettre_titre, enregistrer_paiement
from facturation.syntheses import synthese_exercice, synthese_participations
from tests.conventions.pdf_support import pages_text, words
from tests.factories import AnneeScolaireFactory, ConventionFactory

from .factories import ParametresFacturationFactory

pytestmark = pytest.mark.django_db

TARIF_LIVE = Decimal("999.99")


def _texte(pdf: bytes) -> str:
    return " ".join(words(" ".join(pages_text(pdf))))


@pytest.fixture
def signee_2022(collectivite_a):
    """ENT-2022-2023-…: four schools at 50 € sent, frozen, then signed; the rate of 2022-2023 is then set to
    999,99 € by the ORM (the way around every form)."""
    annee = AnneeScolaireFactory(libelle="2022-2023", tarif_par_ecole=Decimal("50.00"))
    convention = ConventionFactory(annee=annee, collectivite=collectivite_a, ecoles=4)
    ParametresFacturationFactory(academie=annee.academie)
    envoyer_pour_signature(convention)
    enregistrer_signature(convention, datetime.date(2022, 10, 3), "Montpellier")
    AnneeScolaire.objects.filter(pk=annee.pk).update(tarif_par_ecole=TARIF_LIVE)
    return Convention.objects.get(pk=convention.pk)


def test_sending_copies_the_rate_and_the_participation_onto_the_convention(signee_2022):
    assert signee_2022.tarif_fige == Decimal("50.00")
    assert signee_2022.participation_figee == Decimal("200.00")
    assert signee_2022.participation == Decimal("200.00")
    assert signee_2022.tarif == Decimal("50.00")


def test_titre_states_the_amount_of_the_signed_pdf_not_the_live_rate(signee_2022):
    """The issue's row: the rate set to 999,99 € after signature, the titre still claims the 200 € signed."""
    with signee_2022.document.open("rb") as sent:
        convention_pdf = _texte(sent.read())
    assert "200 € TTC (4 écoles x 50 € TTC)" in convention_pdf
    titre = emettre_titre(signee_2022, date_emission=datetime.date(2022, 11, 2))
    assert titre.montant == Decimal("200.00")
    assert (titre.nb_ecoles, titre.tarif_par_ecole) == (4, Decimal("50.00"))
    titre_pdf = _texte(pdf_stocke(titre)[2])
    assert "200,00 €" in titre_pdf
    assert "999,99" not in titre_pdf and "3 999,96" not in titre_pdf


def test_every_page_summary_and_email_reads_the_frozen_participation(
    signee_2022, client, representant_a, agent_finances, django_user_model
):
    """The finance summary, the campaign follow-up, the portal and the e-mail show 200 €, not 4 × 999,99 €."""
    par_annee = synthese_participations(agent_finances, "2022-2023")["par_annee"]
    assert [(p["nb_ecoles"], p["participation"]) for p in par_annee] == [(4, Decimal("200.00"))]
    titre = emettre_titre(signee_2022, date_emission=datetime.date(2022, 11, 2))
    enregistrer_paiement(titre, datetime.date(2022, 11, 20), Decimal("80.00"), "virement", "VIR-1")
    ligne = synthese_exercice(agent_finances, 2022)["total"]
    assert (ligne["emis"], ligne["paye"], ligne["reste"]) == (Decimal("200.00"), Decimal("80.00"), Decimal("120.00"))
    suivi = tableau_de_bord(signee_2022.annee)["total"]
    assert (suivi["emis"], suivi["paye"], suivi["reste"]) == (ligne["emis"], ligne["paye"], ligne["reste"])

    client.force_login(representant_a)
    for url in (reverse("portail:tableau_de_bord"), reverse("conventions:detail", args=[signee_2022.pk])):
        page = client.get(url).content.decode()
        assert "200,00\u00a0€" in page, url
        assert "999,99" not in page and "3\u00a0999,96" not in page, url

    from facturation.services import annoncer_titre

    mail.outbox.clear()
    Convention.objects.get(pk=signee_2022.pk).notifications.all().delete()
    annoncer_titre(titre)
    assert "200,00\u00a0€" in mail.outbox[0].body and "999,99" not in mail.outbox[0].body


def test_admin_lists_the_frozen_participation(signee_2022, admin_client):
    page = admin_client.get(reverse("admin:conventions_convention_changelist")).content.decode()
    assert "200,00\u00a0€" in page and "3\u00a0999,96" not in page


def test_back_to_draft_unfreezes_and_sending_again_freezes_the_rate_of_that_day(collectivite_a):
    annee = AnneeScolaireFactory(libelle="2022-2023", tarif_par_ecole=Decimal("50.00"))
    convention = ConventionFactory(annee=annee, collectivite=collectivite_a, ecoles=2)
    envoyer_pour_signature(convention)
    revenir_en_brouillon(convention, "Erreur de participation")
    convention.refresh_from_db()
    assert (convention.tarif_fige, convention.participation_figee) == (None, None)
    AnneeScolaire.objects.filter(pk=annee.pk).update(tarif_par_ecole=Decimal("60.00"))
    convention = Convention.objects.get(pk=convention.pk)
    assert convention.participation == Decimal("120.00")  # a draft shows what it would state if sent today
    envoyer_pour_signature(convention)
    convention.refresh_from_db()
    assert (convention.tarif_fige, convention.participation_figee) == (Decimal("60.00"), Decimal("120.00"))


def test_the_rate_of_a_year_is_locked_in_the_admin_once_a_convention_left_draft(admin_client, collectivite_a):
    """The admin shows the rate read-only with the reason in French; a forged POST does not change it."""
    annee = AnneeScolaireFactory(libelle="2022-2023", tarif_par_ecole=Decimal("50.00"))
    convention = ConventionFactory(annee=annee, collectivite=collectivite_a, ecoles=1)
    url = reverse("admin:conventions_anneescolaire_change", args=[annee.pk])
    assert 'name="tarif_par_ecole"' in admin_client.get(url).content.decode()

    envoyer_pour_signature(convention)
    page = admin_client.get(url).content.decode()
    assert 'name="tarif_par_ecole"' not in page
    assert "ne peut plus être modifiée : 1 convention a été envoyée pour signature avec ce montant" in page
    data = {
        "academie": annee.academie_id,
        "libelle": annee.libelle,
        "tarif_par_ecole": "999.99",
        "signataire_prenom": annee.signataire_prenom,
        "signataire_nom": annee.signataire_nom,
        "signataire_titre": annee.signataire_titre,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    annee.refresh_from_db()
    assert annee.tarif_par_ecole == Decimal("50.00")


def test_migration_freezes_the_conventions_already_sent_at_their_year_rate(collectivite_a, collectivite_b):
    """Conventions sent before the figures existed get them from their year's rate; drafts stay live."""
    annee = AnneeScolaireFactory(libelle="2021-2022", tarif_par_ecole=Decimal("50.00"))
    signee = ConventionFactory(annee=annee, collectivite=collectivite_a, signee=True, ecoles=3)
    brouillon = ConventionFactory(annee=annee, collectivite=collectivite_b, ecoles=2)
    Convention.objects.update(tarif_fige=None, participation_figee=None)
    migration = importlib.import_module("conventions.migrations.0005_montants_figes")
    migration.figer_envoyees(apps, None)
    signee.refresh_from_db()
    brouillon.refresh_from_db()
    assert (signee.tarif_fige, signee.participation_figee) == (Decimal("50.00"), Decimal("150.00"))
    assert (brouillon.tarif_fige, brouillon.participation_figee) == (None, None)
