"""Facturation in the admin: who may do what, payments, exports, issuing, cancelling, reminders, summary page."""

import datetime
import html
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conventions.models import Convention, Notification
from documents.formats import date_longue
from facturation import exports
from facturation.models import Paiement, Relance, TitreDePerception
from facturation.notifications import TITRE_EMIS
from facturation.services import annuler_titre, emettre_titre, enregistrer_paiement
from tests.factories import UserFactory

from .factories import (
    PaiementFactory,
    RelanceFactory,
    TitreDePerceptionFactory,
    convention_a_facturer,
    convention_du_seed,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:facturation_titredeperception_changelist"


def _stored(titre) -> bytes:
    with titre.pdf.open("rb") as stored:
        return stored.read()


def _action(client, action: str, titres, url_name: str = CHANGELIST):
    """The action, confirmed (its confirmation page is tested in tests/campagne/test_confirmations.py)."""
    selection = {"action": action, "_selected_action": [t.pk for t in titres], "confirmer": "1"}
    return client.post(reverse(url_name), selection)


def test_groups_hold_the_facturation_rights():
    """Finances issues, exports, records payments and reminders; Gestion ENT only views."""

    def codenames(name):
        group = Group.objects.get(name=name)
        return set(group.permissions.filter(content_type__app_label="facturation").values_list("codename", flat=True))

    assert codenames("Finances") >= {
        "view_titredeperception",
        "emettre_titre",
        "exporter_titres",
        "view_paiement",
        "add_paiement",
        "add_relance",
    }
    assert codenames("Gestion ENT") == {
        "view_titredeperception",
        "view_paiement",
        "view_relance",
        "view_parametresfacturation",
    }


def test_finance_officer_downloads_the_issued_pdf(client, agent_finances, titre_seed):
    """The admin's PDF link returns the bytes stored at issue."""
    client.force_login(agent_finances)
    response = client.get(reverse("admin:facturation_titredeperception_pdf", args=[titre_seed.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == _stored(titre_seed)


def test_finance_officer_records_a_payment(client, agent_finances, titre_seed):
    """The add form, opened from the titre, records the payment and goes back to the titre."""
    client.force_login(agent_finances)
    url = reverse("admin:facturation_paiement_add")
    assert client.get(url, {"titre": titre_seed.pk}).status_code == 200
    response = client.post(
        url,
        {"titre": titre_seed.pk, "date": "01/02/2022", "montant": "50,00", "moyen": "virement", "reference": "VIR-7"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == reverse("admin:facturation_titredeperception_change", args=[titre_seed.pk])
    paiement = Paiement.objects.get()
    assert (paiement.montant, paiement.enregistre_par) == (Decimal("50.00"), agent_finances)
    assert TitreDePerception.objects.get(pk=titre_seed.pk).etat == "paye"


def test_overpayment_in_the_admin_shows_why(client, agent_finances, titre_seed):
    """An amount above what is owed comes back with the service's message, nothing recorded."""
    client.force_login(agent_finances)
    response = client.post(
        reverse("admin:facturation_paiement_add"),
        {"titre": titre_seed.pk, "date": "01/02/2022", "montant": "60,00", "moyen": "virement", "reference": "V"},
    )
    assert response.status_code == 200
    assert "dépasse le reste à payer du titre n° 2022-000001" in response.content.decode()
    assert not Paiement.objects.exists()


def test_gestion_agent_cannot_record_a_payment(client, agent_gestion, titre_seed):
    """Without the finance rights the payment form is forbidden, shown or posted."""
    client.force_login(agent_gestion)
    url = reverse("admin:facturation_paiement_add")
    assert client.get(url).status_code == 403
    data = {"titre": titre_seed.pk, "date": "01/02/2022", "montant": "10,00", "moyen": "virement", "reference": "V"}
    assert client.post(url, data).status_code == 403
    assert not Paiement.objects.exists()


def test_gestion_agent_views_titres_but_gets_no_finance_action(client, agent_gestion, titre_seed):
    """The list and the PDF open; exporting, reminding and cancelling are neither offered nor accepted."""
    client.force_login(agent_gestion)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.context["action_form"] is None  # no action at all is offered
    assert client.get(reverse("admin:facturation_titredeperception_pdf", args=[titre_seed.pk])).status_code == 200
    response = _action(client, "exporter_csv", [titre_seed])
    assert not response["Content-Type"].startswith("text/csv")
    url = reverse("admin:facturation_titredeperception_annuler", args=[titre_seed.pk])
    assert client.post(url, {"motif": "Essai"}).status_code == 403
    assert TitreDePerception.objects.count() == 1


def _page_du_titre(client, titre) -> str:
    return html.unescape(
        client.get(reverse("admin:facturation_titredeperception_change", args=[titre.pk])).content.decode()
    )


def test_titre_page_says_an_unsigned_pdf_is_unsigned(client, agent_gestion, titre_seed):
    """Issued without a certificate: the page says the PDF is not signed, and why; an altered PDF is reported."""
    client.force_login(agent_gestion)
    page = _page_du_titre(client, titre_seed)
    assert "Non signé (aucun certificat de signature configuré lors de l'émission)" in page
    assert "Signé électroniquement" not in page
    with open(titre_seed.pdf.path, "ab") as stored:
        stored.write(b"%altere")
    assert "Le PDF du titre n° 2022-000001 ne correspond plus à l'empreinte" in _page_du_titre(client, titre_seed)


def test_titre_page_names_the_signer_of_a_signed_pdf(client, agent_gestion, certificat_academie):
    """Issued with the académie's certificate: the page names the signer read from the PDF, the day, and the level
    (PAdES B-B without a timestamp authority)."""
    titre = emettre_titre(convention_du_seed())
    client.force_login(agent_gestion)
    page = _page_du_titre(client, titre)
    assert f"Signé électroniquement par Sophie Béjean le {date_longue(timezone.localdate())} : PAdES B-B" in page
    assert "Non signé" not in page


def test_nobody_changes_or_deletes_an_issued_titre_in_the_admin(client, titre_seed):
    """Even a superuser gets a read-only page, 403 on a change or delete, and no bulk delete."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = reverse("admin:facturation_titredeperception_change", args=[titre_seed.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change, {"montant": "1"}).status_code == 403
    delete = reverse("admin:facturation_titredeperception_delete", args=[titre_seed.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    actions = dict(client.get(reverse(CHANGELIST)).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert client.get(reverse("admin:facturation_titredeperception_add")).status_code == 403
    assert TitreDePerception.objects.get(pk=titre_seed.pk).montant == Decimal("50.00")


def test_finance_officer_exports_the_selection(client, agent_finances, titre_seed):
    """CSV, XLSX and ZIP actions return the same content as facturation.exports (and so as the command)."""
    autre = emettre_titre(convention_a_facturer(), date_emission=datetime.date(2022, 3, 1))
    client.force_login(agent_finances)
    selection = exports.titres_a_exporter(TitreDePerception.objects.all())

    csv = _action(client, "exporter_csv", [titre_seed, autre])
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv["Content-Disposition"] == 'attachment; filename="titres-2022.csv"'
    assert csv.content == exports.export_csv(selection)

    xlsx = _action(client, "exporter_xlsx", [titre_seed, autre])
    cells = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.rows]
    expected = exports.export_xlsx(selection)
    assert cells == [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(expected)).active.rows]

    archive = _action(client, "exporter_zip", [titre_seed, autre])
    assert archive["Content-Type"] == "application/zip"
    assert archive.content == exports.export_zip(selection)


def test_finance_officer_issues_titres_from_the_conventions_admin(client, agent_finances, agent_gestion):
    """The « émettre maintenant » action issues the signed conventions and reports the refused ones."""
    signee = convention_a_facturer()
    envoyee = convention_a_facturer()
    Convention.objects.filter(pk=envoyee.pk).update(etat=Convention.Etat.ENVOYEE)
    url = "admin:conventions_convention_changelist"

    client.force_login(agent_gestion)
    _action(client, "emettre_titres", [signee, envoyee], url_name=url)
    assert not TitreDePerception.objects.exists()

    client.force_login(agent_finances)
    response = client.post(
        reverse(url),
        {"action": "emettre_titres", "_selected_action": [signee.pk, envoyee.pk], "confirmer": "1"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    numero = TitreDePerception.objects.get(convention=signee).numero
    assert f"1 titre émis : {numero}." in messages
    assert any(f"{envoyee.reference} n'est pas signée" in m for m in messages)
    assert not TitreDePerception.objects.filter(convention=envoyee).exists()
    page = client.get(reverse(url))
    assert numero in page.content.decode()


def test_issuing_from_the_admin_announces_the_titre_once(client, agent_finances, mailoutbox):
    """The immediate action sends the « titre émis » e-mail the background batch sends, recorded once: issuing again
    is refused and sends nothing."""
    convention = convention_a_facturer()
    client.force_login(agent_finances)
    _action(client, "emettre_titres", [convention], url_name="admin:conventions_convention_changelist")
    titre = TitreDePerception.objects.get()
    assert [(message.to, message.subject) for message in mailoutbox] == [
        ([convention.collectivite.email], f"ENT-école 2021-2022 : titre de perception n° {titre.numero} (50,00\u00a0€)")
    ]
    assert Notification.objects.get(type=TITRE_EMIS).cle == titre.numero

    _action(client, "emettre_titres", [convention], url_name="admin:conventions_convention_changelist")
    assert TitreDePerception.objects.count() == 1 and len(mailoutbox) == 1


def test_finance_officer_cancels_a_titre_with_a_reason(client, agent_finances, titre_seed):
    """The cancel page asks for the reason, then issues the cancelling titre."""
    client.force_login(agent_finances)
    url = reverse("admin:facturation_titredeperception_annuler", args=[titre_seed.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"motif": "", "confirmer": "1"}).status_code == 200
    response = client.post(url, {"motif": "Mauvaise commune", "confirmer": "1"})
    assert response.status_code == 302
    annulation = TitreDePerception.objects.annulations().get()
    assert (annulation.annule, annulation.motif_annulation, annulation.emis_par) == (
        titre_seed,
        "Mauvaise commune",
        agent_finances,
    )


def test_overdue_list_and_reminder(client, agent_finances, titre_seed, mailoutbox):
    """The overdue filter lists the seed titre; the reminder goes to the contact with the PDF and is recorded."""
    a_jour = emettre_titre(convention_a_facturer())  # issued today: not due yet
    client.force_login(agent_finances)
    overdue = client.get(reverse(CHANGELIST), {"etat": "en_retard"})
    assert list(overdue.context["cl"].result_list) == [titre_seed]

    response = _action(client, "envoyer_relances", [titre_seed, a_jour])
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [titre_seed.convention.collectivite.email]
    assert "2022-000001" in message.subject
    assert "Reste à payer : 50,00\u00a0€" in message.body
    assert message.attachments[0][0] == "titre-2022-000001.pdf"
    assert message.attachments[0][1] == _stored(titre_seed)
    relance = Relance.objects.get()
    assert (relance.titre, relance.envoyee_par, relance.reste_a_payer) == (titre_seed, agent_finances, Decimal("50"))
    page = client.get(reverse("admin:facturation_titredeperception_change", args=[titre_seed.pk]))
    assert relance.destinataires in page.content.decode()


def test_a_reminder_never_mails_an_altered_pdf(client, agent_finances, titre_seed, mailoutbox):
    """A stored PDF that no longer matches its SHA-256: the reminder is refused with the reason, nothing is sent."""
    with open(titre_seed.pdf.path, "ab") as stored:
        stored.write(b"%altere")
    client.force_login(agent_finances)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "envoyer_relances", "_selected_action": [titre_seed.pk], "confirmer": "1"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Le PDF du titre n° 2022-000001 ne correspond plus à l'empreinte enregistrée à son émission : il a été "
        "altéré. Prévenez l'administrateur. Aucune relance n'a été envoyée."
    ]
    assert mailoutbox == []
    assert not Relance.objects.exists()


def test_gestion_agent_cannot_send_reminders(client, agent_gestion, titre_seed, mailoutbox):
    """The reminder action needs the finance right."""
    client.force_login(agent_gestion)
    _action(client, "envoyer_relances", [titre_seed])
    assert mailoutbox == []
    assert not Relance.objects.exists()


def test_summary_page_shows_the_year_per_departement(client, agent_gestion, titre_seed):
    """Issued, cancelled, paid and outstanding amounts of the budget year, and the participations."""
    enregistrer_paiement(titre_seed, datetime.date(2022, 2, 1), Decimal("20.00"), "virement", "VIR")
    annule = emettre_titre(convention_a_facturer(nb_ecoles=2), date_emission=datetime.date(2022, 3, 1))
    annuler_titre(annule, "Erreur", date_emission=datetime.date(2022, 3, 2))
    client.force_login(agent_gestion)
    response = client.get(reverse("admin:facturation_synthese"), {"exercice": "2022"})
    assert response.status_code == 200
    total = response.context["synthese"]["total"]
    assert (total["nb_emis"], total["emis"], total["nb_annules"], total["annules"]) == (
        2,
        Decimal("150.00"),
        1,
        Decimal("100.00"),
    )
    assert (total["net"], total["paye"], total["reste"]) == (Decimal("50.00"), Decimal("20.00"), Decimal("30.00"))
    html = response.content.decode()
    assert "150,00\u00a0€" in html
    assert "Communauté de Communes Région Lézignanaise Corbières et Minervois" in html


def test_titre_changelist_query_count_does_not_grow(client, agent_finances, django_assert_max_num_queries):
    """Payments, reminders and cancellations on every row: 3 rows or 20 cost the same queries."""

    def rows(n):
        for _ in range(n):
            titre = TitreDePerceptionFactory()
            PaiementFactory(titre=titre)
            RelanceFactory(titre=titre)

    client.force_login(agent_finances)
    rows(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(CHANGELIST)).status_code == 200
    rows(17)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 20


def test_summary_defaults_to_everything_still_owed(client, agent_gestion):
    """Without a chosen budget year the summary adds every year up: a 2021 titre still unpaid is counted overdue."""
    ancien = TitreDePerceptionFactory(annee_budgetaire=2021, date_emission=datetime.date(2021, 11, 1))
    recent = TitreDePerceptionFactory(annee_budgetaire=2022)
    client.force_login(agent_gestion)
    response = client.get(reverse("admin:facturation_synthese"))
    total = response.context["synthese"]["total"]
    assert (total["nb_en_retard"], total["en_retard"]) == (2, ancien.montant + recent.montant)
    assert "tous les exercices" in response.content.decode()
    assert (
        client.get(reverse("admin:facturation_synthese"), {"exercice": "2022"}).context["synthese"]["total"][
            "nb_en_retard"
        ]
        == 1
    )
