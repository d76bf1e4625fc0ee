"""One state, shown the same everywhere: a titre past its due date with something left to pay reads « en retard »
in the admin, on the portal and in the finance export; a titre not yet due reads as before."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from collectivites.models import User
from facturation import exports
from tests.factories import AnneeScolaireFactory, UserFactory

from .factories import PaiementFactory, TitreDePerceptionFactory

pytestmark = pytest.mark.django_db


def test_overdue_reads_en_retard_in_the_admin_the_portal_and_the_csv(client, agent_finances):
    aujourd_hui = timezone.localdate()
    en_retard = TitreDePerceptionFactory(date_echeance=aujourd_hui - datetime.timedelta(days=1))
    collectivite = en_retard.convention.collectivite
    # Partly paid and overdue; then one not due yet (each of another school year: one convention a year).
    partiel = TitreDePerceptionFactory(
        convention__collectivite=collectivite, convention__annee=AnneeScolaireFactory(libelle="2020-2021")
    )
    PaiementFactory(titre=partiel)
    a_echoir = TitreDePerceptionFactory(
        convention__collectivite=collectivite,
        convention__annee=AnneeScolaireFactory(libelle="2019-2020"),
        date_emission=aujourd_hui,
        date_echeance=aujourd_hui,
    )
    attendus = {en_retard.numero: "En retard", a_echoir.numero: "Émis"}

    client.force_login(agent_finances)
    admin = client.get(reverse("admin:facturation_titredeperception_changelist")).context["cl"]
    lu_admin = {t.numero: admin.model_admin.etat_affiche(t) for t in admin.result_list}
    assert lu_admin[en_retard.numero] == "En retard"
    assert lu_admin[partiel.numero] == "Partiellement payé, en retard"
    assert lu_admin[a_echoir.numero] == "Émis"

    content = exports.export_csv(exports.titres_a_exporter(annee_budgetaire=2022)).decode("utf-8-sig")
    lignes = {ligne.split(";")[0]: ligne for ligne in content.splitlines()}
    for numero, etat in attendus.items():
        assert lignes[numero].split(";")[-1] == etat

    client.force_login(UserFactory(collectivite=collectivite, role=User.Role.REPRESENTANT))
    portail = client.get(reverse("facturation:titres")).content.decode()
    lignes_portail = {numero: portail.split(f"n° {numero}")[1].split("</tr>")[0] for numero in attendus}
    assert "En retard" in lignes_portail[en_retard.numero] and "À payer" not in lignes_portail[en_retard.numero]
    assert "À payer" in lignes_portail[a_echoir.numero]
