from django.urls import reverse

from conventions.models import Convention
from tests.factories import ConventionFactory


def delete_url(convention):
    return reverse("admin:conventions_convention_delete", args=[convention.pk])


def test_a_draft_can_be_deleted_in_the_admin(client, agent_gestion):
    """A convention still being prepared can be deleted by a "Gestion ENT" agent."""
    convention = ConventionFactory(ecoles=1)
    client.force_login(agent_gestion)
    response = client.post(delete_url(convention), {"post": "yes"})
    assert response.status_code == 302
    assert not Convention.objects.filter(pk=convention.pk).exists()


def test_a_convention_that_left_the_draft_cannot_be_deleted(client, agent_gestion):
    """Sent, signed or terminated conventions are legal records: the admin refuses to delete them."""
    for trait in ("envoyee", "signee"):
        convention = ConventionFactory(ecoles=1, **{trait: True})
        client.force_login(agent_gestion)
        assert client.post(delete_url(convention), {"post": "yes"}).status_code == 403
        assert Convention.objects.filter(pk=convention.pk).exists()


def test_the_changelist_offers_no_bulk_delete(client, agent_gestion):
    """The bulk action would bypass the per-convention rule, so it is not offered."""
    ConventionFactory(signee=True)
    client.force_login(agent_gestion)
    page = client.get(reverse("admin:conventions_convention_changelist")).content.decode()
    assert "delete_selected" not in page
