"""Titres de perception in bulk (facturation.tasks, run in-process here): one titre and one e-mail per convention."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from conventions.campagne import tableau_de_bord
from conventions.models import Convention, ElementTraitement, Notification
from documents.formats import euros
from facturation.campagne import lancer_emission
from facturation.models import TitreDePerception
from facturation.notifications import TITRE_EMIS
from facturation.services import annuler_titre, emettre_titre, enregistrer_paiement
from tests.factories import ConventionFactory
from tests.facturation.factories import convention_a_facturer

pytestmark = pytest.mark.django_db


def test_bulk_issue_gives_one_titre_and_one_mail_per_signed_convention(django_capture_on_commit_callbacks):
    """Signed conventions get their titre and its e-mail; run again, no second titre and no second e-mail."""
    signees = [convention_a_facturer(nb_ecoles=n) for n in (1, 3)]
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_emission(Convention.objects.all())
    assert traitement.compteurs() == {"total": 2, "faits": 2, "echecs": 0, "restants": 0}
    titres = {t.convention_id: t for t in TitreDePerception.objects.all()}
    assert set(titres) == {c.pk for c in signees}
    assert titres[signees[1].pk].montant == 150
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"ENT-école 2021-2022 : titre de perception n° {t.numero} ({euros(t.montant)})" for t in titres.values()
    )
    assert len(mail.outbox) == 2
    message = traitement.elements.get(convention=signees[0]).message
    assert message.startswith(f"Titre n° {titres[signees[0].pk].numero} émis (50,00\u00a0€) ; e-mail envoyé à ")

    with django_capture_on_commit_callbacks(execute=True):
        [encore] = lancer_emission(Convention.objects.all())
    assert TitreDePerception.objects.count() == 2
    assert len(mail.outbox) == 2
    assert set(encore.elements.values_list("message", flat=True)) == {
        f"Titre n° {t.numero} déjà émis ; e-mail déjà envoyé." for t in titres.values()
    }
    assert Notification.objects.filter(type=TITRE_EMIS).count() == 2


def test_issuing_refused_is_reported_with_facturations_reason(django_capture_on_commit_callbacks):
    """A collectivité without SIREN: the item fails with facturation's own French message."""
    convention = convention_a_facturer()
    convention.collectivite.siren = ""
    convention.collectivite.save()
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_emission(Convention.objects.all())
    element = traitement.elements.get()
    assert element.etat == ElementTraitement.Etat.ECHEC
    assert "n'a pas de SIREN" in element.message
    assert not element.message.startswith("Erreur inattendue")
    assert not TitreDePerception.objects.exists()
    assert mail.outbox == []


def test_only_signed_conventions_enter_the_batch(django_capture_on_commit_callbacks):
    """Drafts and conventions awaiting signature are left out of a titres batch."""
    convention_a_facturer()
    ConventionFactory(ecoles=1)
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_emission(Convention.objects.all())
    assert traitement.compteurs()["total"] == 1


def test_follow_up_amounts_issued_paid_and_outstanding(client, agent_gestion):
    """The follow-up adds up facturation's titres per département: issued (net of cancellations), paid, the rest."""
    payee = convention_a_facturer(nb_ecoles=3)  # 150 €, 100 € paid
    annulee = convention_a_facturer(nb_ecoles=2, annee=payee.annee)  # 100 €, cancelled
    titre = emettre_titre(payee)
    enregistrer_paiement(titre, datetime.date.today(), Decimal("100.00"), "virement", "VIR-1")
    annuler_titre(emettre_titre(annulee), "Erreur sur le nombre d'écoles")
    [ligne] = tableau_de_bord(payee.annee)["departements"]
    assert (ligne["emis"], ligne["paye"], ligne["reste"]) == (Decimal("150.00"), Decimal("100.00"), Decimal("50.00"))

    client.force_login(agent_gestion)
    page = client.get(reverse("admin:conventions_traitement_suivi"), {"annee": payee.annee.pk}).content.decode()
    assert "<td>150,00\u00a0€</td>\n  <td>100,00\u00a0€</td>\n  <td>50,00\u00a0€</td>" in page


def test_background_issue_issues_the_titre_and_reports_a_collectivite_without_email(
    django_capture_on_commit_callbacks,
):
    """One rule for both ways of issuing (issue 12, « one rule, two behaviours »): with no address to write to, the
    background issue issues the titre, as « émettre maintenant » does, and its item says why no e-mail went."""
    convention = convention_a_facturer()
    convention.collectivite.email = ""
    convention.collectivite.save()
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_emission(Convention.objects.all())
    element = traitement.elements.get()
    titre = TitreDePerception.objects.get(convention=convention)
    assert element.etat == ElementTraitement.Etat.FAIT
    assert element.message.startswith(f"Titre n° {titre.numero} émis (50,00\u00a0€) ; e-mail non envoyé : ")
    assert "ni adresse e-mail de contact" in element.message  # the contact rule's refusal (collectivites.destinataires)
    assert mail.outbox == []
