"""The contacts of article 2.7: kept by the representative, exported in CSV by the rectorat from the admin."""

import csv
import io

from django.urls import reverse

from collectivites.models import Contact
from tests.factories import CollectiviteFactory


def _ajouter(client, **data):
    values = {
        "role": "contributeur",
        "prenom": "Paul",
        "nom": "Roux",
        "email": "paul.roux@commune-a.fr",
        "fonction": "",
    }
    values.update(data)
    return client.post(reverse("collectivites:contact_ajouter"), values)


def test_representative_adds_edits_and_removes_contacts(client, representant_a, collectivite_a):
    """The representative adds a référent and a contributeur, corrects one, removes the other."""
    client.force_login(representant_a)
    assert (
        _ajouter(client, role="referent", prenom="Jeanne", nom="Martin", email="j.martin@commune-a.fr").status_code
        == 302
    )
    assert _ajouter(client).status_code == 302
    page = client.get(reverse("collectivites:contacts")).content.decode()
    assert "Jeanne Martin" in page and "Paul Roux" in page

    paul = Contact.objects.get(nom="Roux")
    client.post(
        reverse("collectivites:contact_modifier", args=[paul.pk]),
        {"role": "contributeur", "prenom": "Paul", "nom": "Roux", "email": "p.roux@commune-a.fr", "fonction": "DGS"},
    )
    paul.refresh_from_db()
    assert (paul.email, paul.fonction, paul.collectivite) == ("p.roux@commune-a.fr", "DGS", collectivite_a)

    client.post(reverse("collectivites:contact_supprimer", args=[paul.pk]))
    assert list(Contact.objects.values_list("nom", flat=True)) == ["Martin"]


def test_second_referent_is_refused_on_the_role_field(client, representant_a, collectivite_a):
    """One référent ville per collectivité: the form names the current one."""
    Contact.objects.create(collectivite=collectivite_a, role="referent", prenom="Jeanne", nom="Martin", email="j@a.fr")
    client.force_login(representant_a)
    response = _ajouter(client, role="referent")
    assert response.status_code == 200
    assert "La collectivité a déjà un référent ville : Jeanne Martin." in response.content.decode()
    assert Contact.objects.count() == 1


def test_same_email_twice_is_refused(client, representant_a, collectivite_a):
    """An address appears once among a collectivité's contacts, whatever its case."""
    Contact.objects.create(collectivite=collectivite_a, role="contributeur", prenom="P", nom="R", email="paul@a.fr")
    client.force_login(representant_a)
    response = _ajouter(client, email="PAUL@a.fr")
    assert "L&#x27;adresse PAUL@a.fr figure déjà parmi les contacts de la collectivité." in response.content.decode()


def test_referents_and_contributeurs_do_not_see_the_contacts(client, referent_a, contributeur_a, collectivite_a):
    """The contacts page is the representative's: the other roles get a 403 and no link in the menu."""
    contact = Contact.objects.create(collectivite=collectivite_a, role="referent", prenom="J", nom="M", email="j@a.fr")
    for user in (referent_a, contributeur_a):
        client.force_login(user)
        for url in (
            reverse("collectivites:contacts"),
            reverse("collectivites:contact_ajouter"),
            reverse("collectivites:contact_modifier", args=[contact.pk]),
        ):
            assert client.get(url).status_code == 403
        assert client.post(reverse("collectivites:contact_supprimer", args=[contact.pk])).status_code == 403
        assert reverse("collectivites:contacts") not in client.get(reverse("portail:tableau_de_bord")).content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_rectorat_exports_contacts_in_csv(client, agent_gestion, collectivite_a):
    """The admin export: `;`, UTF-8 with BOM, one line per contact, and no cell a spreadsheet would run."""
    autre = CollectiviteFactory(nom="Commune C")
    Contact.objects.create(
        collectivite=collectivite_a, role="referent", prenom="Jeanne", nom="Martin", email="j.martin@a.fr"
    )
    Contact.objects.create(
        collectivite=autre, role="contributeur", prenom="=HYPERLINK()", nom="Roux", email="p@c.fr", fonction="@DGS"
    )
    client.force_login(agent_gestion)
    response = client.post(
        reverse("admin:collectivites_contact_changelist"),
        {"action": "exporter_contacts", "_selected_action": list(Contact.objects.values_list("pk", flat=True))},
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Collectivité", "SIREN", "Département", "Rôle", "Prénom", "Nom", "Adresse e-mail", "Fonction"]
    assert rows[1][:1] + rows[1][3:] == ["Commune A", "Référent ville", "Jeanne", "Martin", "j.martin@a.fr", ""]
    assert rows[1][1] == collectivite_a.siren
    assert rows[2][4] == "'=HYPERLINK()" and rows[2][7] == "'@DGS"
