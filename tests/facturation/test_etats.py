"""One state, shown the same everywhere: a titre past its due date with something left to pay reads « en retard »
in the admin, on the portal and in the finance export; a titre not yet due reads as before."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from collectivites.models import User
from facturation import exports
from facturation.models import ParametresFacturation
from facturation.notifications import annoncer_titre
from facturation.services import annuler_titre, emettre_titre
from tests.factories import AnneeScolaireFactory, ConventionFactory, UserFactory

from .factories import PaiementFactory, TitreDePerceptionFactory, convention_a_facturer

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


def test_portal_titres_show_what_is_owed_the_payments_and_how_to_pay(client):
    """The portal's titres page: the total left to pay (overdue part), each payment, the account to pay into."""
    titre = TitreDePerceptionFactory(date_echeance=timezone.localdate() - datetime.timedelta(days=3))
    PaiementFactory(titre=titre, date=datetime.date(2022, 3, 15))
    client.force_login(UserFactory(collectivite=titre.convention.collectivite, role=User.Role.REPRESENTANT))
    page = client.get(reverse("facturation:titres")).content.decode()
    assert "Reste à payer : 30,00\u00a0€" in page and "30,00\u00a0€ en retard" in page
    assert "20,00\u00a0€ reçus le 15 mars 2022 (virement)" in page
    assert titre.iban_affiche in page and f'id="titre-{titre.numero}"' in page


def test_a_convention_page_shows_its_titre_where_the_titre_email_leads(client, mailoutbox):
    """The « titre émis » e-mail links to the titre on its convention's portal page, which shows it: state, what is
    left to pay, the payments, the PDF and how to pay; a convention without a titre has no such section, and another
    convention's titre is not shown."""
    titre = TitreDePerceptionFactory(date_echeance=timezone.localdate() - datetime.timedelta(days=3))
    PaiementFactory(titre=titre, date=datetime.date(2022, 3, 15))
    autre = TitreDePerceptionFactory(
        convention__collectivite=titre.convention.collectivite,
        convention__annee=AnneeScolaireFactory(libelle="2019-2020"),
    )
    sans_titre = ConventionFactory(
        collectivite=titre.convention.collectivite, annee=AnneeScolaireFactory(libelle="2018-2019"), envoyee=True
    )
    annoncer_titre(titre)
    [message] = mailoutbox
    page_convention = reverse("conventions:detail", args=[titre.convention.pk])
    assert f"{settings.SITE_URL}{page_convention}#titre-{titre.numero}" in message.body

    client.force_login(UserFactory(collectivite=titre.convention.collectivite, role=User.Role.REFERENT))
    page = client.get(page_convention).content.decode()
    section = page.split('id="titres-convention"')[1].split("</section>")[0]
    assert f'id="titre-{titre.numero}"' in section and "Partiellement payé, en retard" in section
    assert "Reste à payer pour cette convention : <strong>30,00 €</strong>" in section
    assert "20,00 € reçus le 15 mars 2022 (virement)" in section
    assert reverse("facturation:titre_pdf", args=[titre.pk]) in section
    assert titre.iban_affiche in section and "Comment payer" in section
    assert autre.numero not in page
    assert (
        'id="titres-convention"' not in client.get(reverse("conventions:detail", args=[sans_titre.pk])).content.decode()
    )


def test_how_to_pay_shows_the_account_of_a_titre_still_owed(client):
    """« Comment payer » takes the account frozen on the newest titre still owed: never that of a newer cancelling
    titre (issued after the académie changed its account), and no such block once nothing is owed."""
    premiere = convention_a_facturer()
    collectivite = premiere.collectivite
    seconde = convention_a_facturer(collectivite=collectivite, annee=AnneeScolaireFactory(libelle="2022-2023"))
    du = emettre_titre(premiere, date_emission=datetime.date(2022, 3, 1))
    nouveau = "FR1420041010050500013M02606"
    ParametresFacturation.objects.update(iban=nouveau)
    annule = emettre_titre(seconde, date_emission=datetime.date(2022, 3, 2))
    annulation = annuler_titre(annule, "Erreur", date_emission=datetime.date(2022, 3, 3))
    assert annulation.iban == nouveau != du.iban

    client.force_login(UserFactory(collectivite=collectivite, role=User.Role.REPRESENTANT))
    page = client.get(reverse("facturation:titres")).content.decode()
    payer = page.split('id="payer"')[1]
    assert du.iban_affiche in payer and f"Titre n° {du.numero}" in payer and annulation.iban_affiche not in payer
    page_annulee = client.get(reverse("conventions:detail", args=[annule.convention.pk])).content.decode()
    assert 'id="payer"' not in page_annulee
