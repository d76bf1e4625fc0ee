"""The convention PDF in the admin: preview, download, sending one or many, back to draft with a reason."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from conventions.models import Convention
from conventions.services import envoyer_pour_signature
from tests.factories import ConventionFactory, UserFactory

from .pdf_support import frozen_bytes, pages_text

CHANGELIST = reverse("admin:conventions_convention_changelist")


@pytest.fixture
def agent(db, client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_preview_of_a_draft(agent, client):
    """The preview of a draft is a PDF shown in the browser, marked "PROJET"."""
    convention = ConventionFactory(ecoles=2)
    response = client.get(reverse("admin:conventions_convention_pdf", args=[convention.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{convention.reference}.pdf"'
    assert all("PROJET" in page for page in pages_text(response.content))


def test_download_of_a_sent_convention_is_the_frozen_pdf(agent, client):
    """The download of a sent convention is an attachment holding exactly the frozen bytes."""
    convention = ConventionFactory(ecoles=1)
    envoyer_pour_signature(convention)
    convention.refresh_from_db()
    response = client.get(reverse("admin:conventions_convention_pdf_telecharger", args=[convention.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{convention.reference}.pdf"'
    assert response.content == frozen_bytes(convention)


def test_change_page_links_to_the_pdf(agent, client):
    """The convention's page offers the preview and the download."""
    convention = ConventionFactory(ecoles=1)
    response = client.get(reverse("admin:conventions_convention_change", args=[convention.pk]))
    assert reverse("admin:conventions_convention_pdf", args=[convention.pk]) in response.content.decode()
    assert "Aperçu (PROJET)" in response.content.decode()


def test_pdf_views_need_admin_access(db, client):
    """A visitor who is not rectorat staff gets no PDF."""
    convention = ConventionFactory(ecoles=1)
    client.force_login(UserFactory(is_staff=False))
    response = client.get(reverse("admin:conventions_convention_pdf", args=[convention.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_send_many_reports_each_refusal(agent, client):
    """Sending a selection freezes the PDF of each draft with schools and says why the others were refused."""
    ok = [ConventionFactory(ecoles=1), ConventionFactory(ecoles=3)]
    empty = ConventionFactory()
    response = client.post(
        CHANGELIST,
        {
            "action": "envoyer_pour_signature_maintenant",
            ACTION_CHECKBOX_NAME: [c.pk for c in [*ok, empty]],
            "confirmer": "1",
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("2 conventions envoyées pour signature, PDF figé") for m in messages)
    assert any(empty.reference in m and "aucune école n'est inscrite" in m for m in messages)
    for convention in ok:
        convention.refresh_from_db()
        assert convention.etat == Convention.Etat.ENVOYEE and convention.document_sha256
    empty.refresh_from_db()
    assert empty.etat == Convention.Etat.BROUILLON


def test_send_now_emails_the_collectivite(agent, client, mailoutbox):
    """Sending from the admin e-mails the collectivité as the background action does; a collectivité with nobody to
    write to is refused before anything is sent (its convention stays a draft), and the agent is told why."""
    convention = ConventionFactory(ecoles=1)
    sans_adresse = ConventionFactory(ecoles=1, collectivite__email="")
    response = client.post(
        CHANGELIST,
        {
            "action": "envoyer_pour_signature_maintenant",
            ACTION_CHECKBOX_NAME: [convention.pk, sans_adresse.pk],
            "confirmer": "1",
        },
        follow=True,
    )
    assert [message.to for message in mailoutbox] == [[convention.collectivite.email]]
    assert convention.reference in mailoutbox[0].subject
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith(f"{sans_adresse} non envoyée : La collectivité") for m in messages)
    sans_adresse.refresh_from_db()
    assert sans_adresse.etat == Convention.Etat.BROUILLON


def test_back_to_draft_asks_for_a_reason(agent, client):
    """The action first asks for the reason; without one nothing changes; with one the decision is recorded."""
    convention = ConventionFactory(ecoles=1)
    envoyer_pour_signature(convention)
    selection = {"action": "remettre_en_brouillon", ACTION_CHECKBOX_NAME: [convention.pk]}

    page = client.post(CHANGELIST, selection)
    assert page.status_code == 200
    assert "Motif du retour en brouillon" in page.content.decode()

    refused = client.post(CHANGELIST, {**selection, "confirmer": "1", "motif": "  "})
    assert refused.status_code == 200
    assert Convention.objects.get(pk=convention.pk).etat == Convention.Etat.ENVOYEE

    client.post(CHANGELIST, {**selection, "confirmer": "1", "motif": "Erreur d'adresse"})
    convention = Convention.objects.get(pk=convention.pk)
    assert (convention.etat, convention.document.name) == (Convention.Etat.BROUILLON, "")
    assert convention.history.first().history_change_reason == "Retour en brouillon : Erreur d'adresse"
    assert convention.history.first().history_user == agent
