"""What a collectivité types is shown as text everywhere on the portal, messages included."""

from django.urls import reverse

INJECTION = '<img src=x onerror="alert(1)">'


def test_un_nom_injecte_est_affiche_comme_du_texte_dans_les_messages(client, representant_a):
    """A contact named with markup: the « enregistré » message and the list show it escaped, never as an element."""
    client.force_login(representant_a)
    response = client.post(
        reverse("collectivites:contact_ajouter"),
        {"role": "contributeur", "prenom": "Paul", "nom": INJECTION, "email": "paul@commune-a.fr", "fonction": ""},
        follow=True,
    )
    html = response.content.decode()
    assert "est enregistré" in html
    assert "<img src=x" not in html
    assert "Le contact Paul &lt;img src=x onerror=&quot;alert(1)&quot;&gt; est enregistré." in html
