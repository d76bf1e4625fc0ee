"""The campaign in the admin: the actions, the self-refreshing progress page with retry, the follow-up of a year."""

import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from collectivites.models import User
from conventions.campagne import lancer_envoi
from conventions.models import AnneeScolaire, Convention, ElementTraitement, Traitement
from conventions.services import choisir_ecoles
from tests.factories import (
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    EcoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, agent_gestion):
    client.force_login(agent_gestion)
    return client


def _progression(traitement):
    return reverse("admin:conventions_traitement_change", args=[traitement.pk])


def test_prepare_year_action_shows_a_form_with_last_years_values(agent):
    """The action first asks for the new year, its rate and signatory, filled with last year's values."""
    precedente = AnneeScolaireFactory(libelle="2021-2022")
    response = agent.post(
        reverse("admin:conventions_anneescolaire_changelist"),
        {"action": "preparer_annee", ACTION_CHECKBOX_NAME: [precedente.pk]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="2022-2023"' in html
    assert 'value="50.00"' in html
    assert "Béjean" in html
    assert not AnneeScolaire.objects.filter(libelle="2022-2023").exists()


def test_prepare_year_action_runs_the_batch_and_shows_its_progress(agent, django_capture_on_commit_callbacks):
    """Confirmed, the year is created, its conventions prepared in the background, and the progress page opens."""
    precedente = AnneeScolaireFactory(libelle="2021-2022")
    ConventionFactory.create_batch(3, annee=precedente, signee=True, ecoles=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            reverse("admin:conventions_anneescolaire_changelist"),
            {
                "action": "preparer_annee",
                ACTION_CHECKBOX_NAME: [precedente.pk],
                "confirmer": "1",
                "libelle": "2022-2023",
                "tarif_par_ecole": "52.00",
                "signataire_prenom": "Sophie",
                "signataire_nom": "Béjean",
                "signataire_titre": "Rectrice",
            },
        )
    traitement = Traitement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _progression(traitement)
    assert traitement.type == Traitement.Type.PREPARATION
    assert Convention.objects.filter(annee__libelle="2022-2023").count() == 3
    page = agent.get(_progression(traitement)).content.decode()
    assert "Terminé le" in page
    assert 'http-equiv="refresh"' not in page
    assert re.search(r'<td id="compteur-faits">\s*3\s*</td>', page)


def test_prepare_year_action_refuses_a_conflicting_year(agent):
    """An existing year with another rate is reported on the form, and nothing is started."""
    precedente = AnneeScolaireFactory(libelle="2021-2022")
    AnneeScolaireFactory(libelle="2022-2023")
    response = agent.post(
        reverse("admin:conventions_anneescolaire_changelist"),
        {
            "action": "preparer_annee",
            ACTION_CHECKBOX_NAME: [precedente.pk],
            "confirmer": "1",
            "libelle": "2022-2023",
            "tarif_par_ecole": "60",
            "signataire_prenom": "Sophie",
            "signataire_nom": "Béjean",
            "signataire_titre": "Rectrice de la région académique Occitanie, rectrice de l'académie de Montpellier, "
            "chancelière des universités",
        },
    )
    assert response.status_code == 200
    assert "L&#x27;année 2022-2023 existe déjà avec d&#x27;autres valeurs" in response.content.decode()
    assert not Traitement.objects.exists()


def test_running_batch_page_refreshes_itself_without_script(agent):
    """While items remain, the page carries a meta refresh and no inline script."""
    convention = ConventionFactory(ecoles=1)
    traitement = Traitement.objects.create(type=Traitement.Type.ENVOI, annee=convention.annee, tache="x.y")
    ElementTraitement.objects.create(traitement=traitement, convention=convention)
    page = agent.get(_progression(traitement)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "0 sur 1 traité" in page
    assert '<progress id="avancement" max="1" value="0">' in page
    inline_scripts = [s for s in re.findall(r"<script([^>]*)>", page) if "src=" not in s]
    assert inline_scripts == []


def test_failed_item_shows_its_reason_and_is_retried_from_the_page(agent, django_capture_on_commit_callbacks):
    """The reason of a failure is on the page; its « Réessayer » button runs it again."""
    # Started by the service: the admin's action refuses an empty convention on its confirmation page already.
    vide = ConventionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_envoi(Convention.objects.filter(pk=vide.pk))
    page = agent.get(_progression(traitement)).content.decode()
    assert "aucune école n&#x27;est inscrite à l&#x27;annexe 1" in page
    element = traitement.elements.get()
    assert f'name="element" value="{element.pk}"' in page
    choisir_ecoles(vide, [EcoleFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            reverse("admin:conventions_traitement_reessayer", args=[traitement.pk]), {"element": element.pk}
        )
    assert response.status_code == 302
    element.refresh_from_db()
    assert element.etat == ElementTraitement.Etat.FAIT
    vide.refresh_from_db()
    assert vide.etat == Convention.Etat.ENVOYEE


def test_retry_needs_a_post(agent):
    """A GET on the retry address changes nothing."""
    convention = ConventionFactory()
    traitement = Traitement.objects.create(type=Traitement.Type.ENVOI, annee=convention.annee, tache="x.y")
    assert agent.get(reverse("admin:conventions_traitement_reessayer", args=[traitement.pk])).status_code == 403


def test_portal_account_cannot_reach_the_campaign_pages(client, representant_a):
    """A collectivité's account never sees the admin pages of the campaign."""
    client.force_login(representant_a)
    response = client.get(reverse("admin:conventions_traitement_suivi"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.fixture
def annee_suivie():
    """Aude (11): 4 open public schools, 3 registered (2 in a signed convention), one convention not returned.
    Hérault (34): one open public school, no convention."""
    annee = AnneeScolaireFactory(libelle="2022-2023")
    aude = CommuneFactory(code_insee="11260")
    signee = ConventionFactory(annee=annee, collectivite=CollectiviteFactory(commune=aude), signee=True, ecoles=2)
    attente = ConventionFactory(
        annee=annee,
        collectivite=CollectiviteFactory(commune=CommuneFactory(code_insee="11261"), nom="Commune de Lairière"),
        etat=Convention.Etat.ENVOYEE,
        date_envoi=timezone.now() - datetime.timedelta(days=45),
        ecoles=1,
    )
    EcoleFactory(commune=aude)  # open, not registered
    EcoleFactory(commune=aude, fermee=True)
    EcoleFactory(commune=aude, privee=True)
    EcoleFactory(commune=CommuneFactory(code_insee="34172"))
    return {"annee": annee, "signee": signee, "attente": attente}


def test_follow_up_counts_per_departement(agent, annee_suivie):
    """Conventions per state, schools covered out of the open public ones, and the collectivités to chase."""
    annee = annee_suivie["annee"]
    page = agent.get(reverse("admin:conventions_traitement_suivi"), {"annee": annee.pk}).content.decode()
    lignes = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", page, re.S)
    cellules = {dep: re.findall(r"<td>(.*?)</td>", reste, re.S) for dep, reste in lignes}
    # brouillon, envoyée, signée, résiliée, total, couvertes/ouvertes, inscrites, émis, payé, reste
    assert cellules["11"][:7] == ["0", "1", "1", "0", "2", "2 / 4 (50 %)", "3"]
    assert cellules["34"][:7] == ["0", "0", "0", "0", "0", "0 / 1 (0 %)", "0"]
    assert cellules["Total"][:7] == ["0", "1", "1", "0", "2", "2 / 5 (40 %)", "3"]
    assert cellules["11"][7:] == ["0,00\u00a0€"] * 3
    non_retournees = page.split('id="non-retournees"')[1]
    assert "Commune de Lairière" in non_retournees
    assert annee_suivie["attente"].reference in non_retournees
    assert annee_suivie["signee"].reference not in non_retournees
    assert re.search(r"<td>1\smois", non_retournees)  # sent 45 days ago
    # Where the reminder would go: the contact address (no representative account), by the one contact rule.
    assert f"<td>{annee_suivie['attente'].collectivite.email}</td>" in non_retournees


def test_follow_up_shows_the_representatives_accounts_and_the_refusal(agent, annee_suivie):
    """A representative's account takes over from the contact address; with neither, the page says it cannot go."""
    attente = annee_suivie["attente"]
    UserFactory(email="maire@lairiere.fr", collectivite=attente.collectivite, role=User.Role.REPRESENTANT)
    sans = ConventionFactory(
        annee=annee_suivie["annee"],
        collectivite=CollectiviteFactory(email=""),
        etat=Convention.Etat.ENVOYEE,
        date_envoi=timezone.now(),
    )
    page = agent.get(reverse("admin:conventions_traitement_suivi"), {"annee": annee_suivie["annee"].pk})
    lignes = dict(re.findall(r"(ENT-[\w-]+)</a></td>.*?<td>([^<]*)</td>\s*</tr>", page.content.decode(), re.S))
    assert lignes[attente.reference] == "maire@lairiere.fr"
    assert lignes[sans.reference] == "aucune adresse : envoi impossible"


def test_follow_up_query_count_does_not_grow_with_the_year(agent, annee_suivie, django_assert_max_num_queries):
    """The follow-up is a fixed number of grouped queries, however many conventions are waiting."""
    annee = annee_suivie["annee"]
    url = reverse("admin:conventions_traitement_suivi")
    with django_assert_max_num_queries(20) as petit:
        agent.get(url, {"annee": annee.pk})
    for _ in range(5):
        ConventionFactory(annee=annee, etat=Convention.Etat.ENVOYEE, date_envoi=timezone.now(), ecoles=1)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        agent.get(url, {"annee": annee.pk})


def test_progress_page_query_count_does_not_grow_with_the_batch(agent, django_assert_max_num_queries):
    """The progress page fetches its items in one query, whatever their number."""
    annee = AnneeScolaireFactory()
    traitement = Traitement.objects.create(type=Traitement.Type.ENVOI, annee=annee, tache="x.y")
    ElementTraitement.objects.create(traitement=traitement, convention=ConventionFactory(annee=annee))
    with django_assert_max_num_queries(20) as petit:
        agent.get(_progression(traitement))
    for convention in ConventionFactory.create_batch(5, annee=annee):
        ElementTraitement.objects.create(traitement=traitement, convention=convention, etat="echec", message="x")
    with django_assert_max_num_queries(len(petit.captured_queries)):
        agent.get(_progression(traitement))


def test_batch_list_shows_progress_in_a_fixed_number_of_queries(agent, django_assert_max_num_queries):
    """The list of batches counts each one's items in the same query, and links to the follow-up."""
    annee = AnneeScolaireFactory()
    url = reverse("admin:conventions_traitement_changelist")
    traitement = Traitement.objects.create(type=Traitement.Type.ENVOI, annee=annee, tache="x.y")
    for etat in ["fait", "fait", "echec", "a_faire"]:
        ElementTraitement.objects.create(traitement=traitement, convention=ConventionFactory(annee=annee), etat=etat)
    with django_assert_max_num_queries(20) as petit:
        page = agent.get(url).content.decode()
    assert '<td class="field-avancement">3 / 4</td>' in page
    assert '<td class="field-nb_echecs">1</td>' in page
    assert reverse("admin:conventions_traitement_suivi") in page
    for _ in range(5):
        Traitement.objects.create(type=Traitement.Type.RELANCE, annee=annee, tache="x.y")
    with django_assert_max_num_queries(len(petit.captured_queries)):
        agent.get(url)
