"""The campaign at a glance on the admin's home page: per school year, the conventions at each step, the schools and
the amounts (overdue included), per département, as figures, SVG bars and links to the filtered lists."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conventions.models import Convention
from conventions.services import deposer_exemplaire_signe
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, CommuneFactory, ConventionFactory
from tests.portal.conftest import upload

from .factories import PaiementFactory, TitreDePerceptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campagne():
    annee = AnneeScolaireFactory(libelle="2021-2022")
    aude = CollectiviteFactory(commune=CommuneFactory(code_insee="11260"))
    herault = CollectiviteFactory(commune=CommuneFactory(code_insee="34172"), departement="34")
    ConventionFactory(annee=annee, collectivite=CollectiviteFactory(commune=CommuneFactory(code_insee="11261")))
    deposee = ConventionFactory(
        annee=annee,
        collectivite=CollectiviteFactory(commune=CommuneFactory(code_insee="11262")),
        envoyee=True,
        ecoles=1,
        date_envoi=timezone.now(),
    )
    deposer_exemplaire_signe(deposee, upload())
    paye = TitreDePerceptionFactory(convention=ConventionFactory(annee=annee, collectivite=aude, signee=True))
    PaiementFactory(titre=paye, montant=paye.montant)
    # Due yesterday, unpaid: overdue.
    TitreDePerceptionFactory(
        convention=ConventionFactory(annee=annee, collectivite=herault, signee=True),
        date_echeance=timezone.localdate() - datetime.timedelta(days=1),
    )
    return annee


def _texte(page: str) -> str:
    return re.sub(r"[ \n]+", " ", re.sub(r"<[^>]+>", " ", page))


def test_home_page_shows_the_campaign(client, agent_gestion, campagne, django_assert_max_num_queries):
    client.force_login(agent_gestion)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("admin:index")).content.decode()
    section = page.split('id="campagne"')[1].split("</section>")[0]
    texte = _texte(section)
    assert "Campagne 2021-2022 en un coup d'œil" in texte.replace("&#x27;", "'")
    for attendu in ("1 en préparation", "0 envoyées, en attente", "1 retournées, en vérification", "2 signées"):
        assert attendu in texte
    assert "100,00\u00a0€ émis" in texte and "50,00\u00a0€ payés" in texte and "50,00\u00a0€ en retard" in texte
    conventions = reverse("admin:conventions_convention_changelist")
    assert f"{conventions}?annee__id__exact={campagne.pk}&amp;retour=a_confirmer" in section
    assert f"{conventions}?annee__id__exact={campagne.pk}&amp;departement=34" in section
    assert "etat=en_retard" in section
    # Two charts, a bar per département; each département's row of figures.
    assert section.count("<svg") == 2
    lignes = dict(re.findall(r'<th scope="row"><a[^>]*>(\d+)</a></th>(.*?)</tr>', section))
    assert re.findall(r">([^<]*)</td>", lignes["11"])[:4] == ["1", "0", "1", "1"]
    assert re.findall(r">([^<]*)</td>", lignes["34"])[:4] == ["0", "0", "0", "1"]


def test_the_filtered_lists_it_links_to_answer(client, agent_gestion, campagne):
    """The links lead to lists that apply their filter (an unknown filter would answer 302 to ?e=1)."""
    client.force_login(agent_gestion)
    page = client.get(reverse("admin:index")).content.decode()
    section = page.split('id="campagne"')[1].split("</section>")[0]
    liens = {lien.replace("&amp;", "&") for lien in re.findall(r'href="(/admin/[^"]+\?[^"]+)"', section)}
    assert len(liens) >= 8
    for lien in liens:
        response = client.get(lien)
        assert response.status_code == 200, lien
    deposees = client.get(reverse("admin:conventions_convention_changelist"), {"retour": "a_confirmer"})
    assert [c.etat for c in deposees.context["cl"].result_list] == [Convention.Etat.ENVOYEE]


def test_a_portal_account_never_sees_it(client, representant_a, campagne):
    client.force_login(representant_a)
    assert client.get(reverse("admin:index")).status_code == 302
