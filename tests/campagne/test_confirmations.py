"""Every irreversible action of the admin first answers a confirmation page (what will happen, to how many, the
total, the date, what is refused and why); a POST without confirming changes nothing and sends nothing."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from conventions.models import Convention, Notification, Traitement
from conventions.services import deposer_exemplaire_signe
from documents.formats import date_longue
from facturation.models import Relance, TitreDePerception
from tests.factories import CollectiviteFactory, ConventionFactory
from tests.facturation.factories import TitreDePerceptionFactory, convention_a_facturer
from tests.portal.conftest import upload

pytestmark = pytest.mark.django_db

CONVENTIONS = "admin:conventions_convention_changelist"
TITRES = "admin:facturation_titredeperception_changelist"


def _brouillons():
    ok = [ConventionFactory(ecoles=1), ConventionFactory(ecoles=3)]
    sans_adresse = ConventionFactory(ecoles=1, collectivite=CollectiviteFactory(email=""))
    return [*ok, sans_adresse], {}


def _deposee():
    convention = ConventionFactory(envoyee=True, ecoles=2, date_envoi=timezone.now())
    deposer_exemplaire_signe(convention, upload())
    hier = timezone.localdate() - datetime.timedelta(days=1)
    return [convention, ConventionFactory()], {"date_signature": hier.isoformat(), "lieu_signature": "Montpellier"}


def _signee():
    return [convention_a_facturer(nb_ecoles=1), ConventionFactory(envoyee=True)], {}


def _en_retard():
    en_retard = TitreDePerceptionFactory(date_echeance=datetime.date(2022, 3, 31))
    a_jour = TitreDePerceptionFactory(date_emission=timezone.localdate(), date_echeance=timezone.localdate())
    return [en_retard, a_jour], {}


def _etat():
    """Everything these actions could change or send."""
    return {
        "conventions": sorted(Convention.objects.values_list("pk", "etat", "document_sha256", "date_signature")),
        "notifications": Notification.objects.count(),
        "traitements": Traitement.objects.count(),
        "titres": TitreDePerception.objects.count(),
        "relances": Relance.objects.count(),
    }


@dataclass
class Cas:
    agent: str
    url: str
    objets: Callable
    attendu: list[str]  # on the confirmation page: the count, the total, what is refused


CAS = {
    "envoyer_pour_signature_maintenant": Cas(
        "agent_gestion", CONVENTIONS, _brouillons, ["2 conventions", "200,00\u00a0€", "ni adresse e-mail de contact"]
    ),
    "envoyer_en_arriere_plan": Cas(
        "agent_gestion", CONVENTIONS, _brouillons, ["2 conventions", "200,00\u00a0€", "ni adresse e-mail de contact"]
    ),
    "confirmer_signature": Cas(
        "agent_gestion",
        CONVENTIONS,
        _deposee,
        ["1 convention", "100,00\u00a0€", "Convention déposée le", "« Brouillon »"],
    ),
    "emettre_titres": Cas("agent_finances", CONVENTIONS, _signee, ["1 titre à émettre", "50,00\u00a0€", "Envoyée"]),
    "emettre_titres_en_arriere_plan": Cas(
        "agent_finances", CONVENTIONS, _signee, ["1 titre à émettre", "50,00\u00a0€", "Envoyée"]
    ),
    "envoyer_relances": Cas(
        "agent_finances", TITRES, _en_retard, ["1 relance", "50,00\u00a0€", "pas en retard de paiement"]
    ),
}


@pytest.mark.parametrize("action", CAS)
def test_confirmation_page_then_only_the_confirmation_acts(
    action, client, request, mailoutbox, django_capture_on_commit_callbacks
):
    cas = CAS[action]
    objets, formulaire = cas.objets()
    client.force_login(request.getfixturevalue(cas.agent))
    selection = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objets]}
    avant = _etat()

    # The action, and a POST of the page's form without its button: the page, nothing done, nothing sent.
    for donnees in (selection, {**selection, **formulaire}):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(cas.url), donnees)
        assert response.status_code == 200
        texte = re.sub(r"[ \n]+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).replace("&#x27;", "'")
        assert "Ce qui va se passer" in texte
        for attendu in cas.attendu:
            assert attendu in texte
        assert _etat() == avant
        assert mailoutbox == []
    if action != "confirmer_signature":
        assert date_longue(timezone.localdate()) in texte

    # Confirmed: the action is done.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(cas.url), {**selection, **formulaire, "confirmer": "1"})
    assert response.status_code == 302
    assert _etat() != avant


def test_signature_confirmed_with_the_date_chosen(client, agent_gestion):
    """The date typed on the page is the one recorded, not today's."""
    [convention, _], formulaire = _deposee()
    client.force_login(agent_gestion)
    page = client.post(
        reverse(CONVENTIONS), {"action": "confirmer_signature", ACTION_CHECKBOX_NAME: [convention.pk]}
    ).content.decode()
    assert reverse("admin:conventions_convention_exemplaire_signe", args=[convention.pk]) in page
    client.post(
        reverse(CONVENTIONS),
        {"action": "confirmer_signature", ACTION_CHECKBOX_NAME: [convention.pk], "confirmer": "1", **formulaire},
    )
    convention.refresh_from_db()
    assert (convention.etat, convention.date_signature.isoformat()) == ("signee", formulaire["date_signature"])


def test_a_future_signature_date_is_refused_and_nothing_changes(client, agent_gestion):
    [convention, _], _formulaire = _deposee()
    client.force_login(agent_gestion)
    demain = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse(CONVENTIONS),
        {
            "action": "confirmer_signature",
            ACTION_CHECKBOX_NAME: [convention.pk],
            "confirmer": "1",
            "date_signature": demain.isoformat(),
            "lieu_signature": "Montpellier",
        },
    )
    assert "La date de signature ne peut pas être dans le futur." in response.content.decode()
    assert Convention.objects.get(pk=convention.pk).etat == Convention.Etat.ENVOYEE


def test_cancelling_a_titre_needs_its_confirmation(client, agent_finances):
    """The cancel page states the amount and the date; the reason posted without the button cancels nothing."""
    titre = TitreDePerceptionFactory(montant=Decimal("150.00"))
    client.force_login(agent_finances)
    url = reverse("admin:facturation_titredeperception_annuler", args=[titre.pk])
    page = client.post(url, {"motif": "Erreur de commune"}).content.decode()
    assert "150,00\u00a0€" in page and date_longue(timezone.localdate()) in page
    assert not TitreDePerception.objects.annulations().exists()
    client.post(url, {"motif": "Erreur de commune", "confirmer": "1"})
    assert TitreDePerception.objects.annulations().get().annule == titre


def test_a_convention_page_has_its_next_steps_as_buttons(client, agent_gestion, mailoutbox):
    """A draft's page offers « Envoyer pour signature »: the same confirmation page, then back to the convention."""
    convention = ConventionFactory(ecoles=1)
    client.force_login(agent_gestion)
    change = reverse("admin:conventions_convention_change", args=[convention.pk])
    page = client.get(change).content.decode()
    assert 'value="envoyer_pour_signature_maintenant"' in page and "Envoyer pour signature</button>" in page
    assert "Confirmer la signature</button>" not in page
    bouton = {
        "action": "envoyer_pour_signature_maintenant",
        ACTION_CHECKBOX_NAME: [convention.pk],
        "_objet": convention.pk,
    }
    confirmation = client.post(reverse(CONVENTIONS), bouton).content.decode()
    assert "Ce qui va se passer" in confirmation and f'href="{change}"' in confirmation
    assert Convention.objects.get(pk=convention.pk).etat == Convention.Etat.BROUILLON
    response = client.post(reverse(CONVENTIONS), {**bouton, "confirmer": "1"})
    assert response["Location"] == change
    assert Convention.objects.get(pk=convention.pk).etat == Convention.Etat.ENVOYEE
    assert len(mailoutbox) == 1


def test_a_signed_convention_page_offers_its_titre_to_finances_only(client, agent_finances, agent_gestion):
    """Facturation adds « Émettre le titre » to a signed convention's page (conventions.admin.Extension.boutons), for
    those who may issue, until the convention has its titre."""
    convention = convention_a_facturer(nb_ecoles=1)
    change = reverse("admin:conventions_convention_change", args=[convention.pk])
    client.force_login(agent_gestion)
    assert "Émettre le titre de perception</button>" not in client.get(change).content.decode()
    client.force_login(agent_finances)
    assert "Émettre le titre de perception</button>" in client.get(change).content.decode()
    bouton = {"action": "emettre_titres", ACTION_CHECKBOX_NAME: [convention.pk], "_objet": convention.pk}
    assert "Ce qui va se passer" in client.post(reverse(CONVENTIONS), bouton).content.decode()
    assert not TitreDePerception.objects.exists()
    assert client.post(reverse(CONVENTIONS), {**bouton, "confirmer": "1"})["Location"] == change
    assert TitreDePerception.objects.filter(convention=convention).count() == 1
    assert "Émettre le titre de perception</button>" not in client.get(change).content.decode()
