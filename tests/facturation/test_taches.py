"""The background titre task (facturation.tasks, run in-process here) relies on the issuing service's own refusals."""

import pytest

from conventions.models import Convention, ElementTraitement
from facturation.campagne import lancer_emission
from facturation.models import TitreDePerception
from facturation.services import emettre_titre

from .factories import convention_a_facturer

pytestmark = pytest.mark.django_db


def test_an_item_whose_titre_exists_reports_it_even_if_the_convention_changed(
    django_capture_on_commit_callbacks, mailoutbox
):
    """The service says « déjà émis » before any other refusal: a convention terminated after its titre was issued
    (a retried item, say) is reported done with that titre, not failed, and its e-mail goes once."""
    convention = convention_a_facturer()
    titre = emettre_titre(convention)
    with django_capture_on_commit_callbacks() as taches:
        [traitement] = lancer_emission(Convention.objects.all())
    Convention.objects.filter(pk=convention.pk).update(etat=Convention.Etat.RESILIEE)
    for tache in taches:
        tache()
    element = traitement.elements.get()
    assert element.etat == ElementTraitement.Etat.FAIT
    assert element.message == (f"Titre n° {titre.numero} déjà émis ; e-mail envoyé à {convention.collectivite.email}.")
    assert TitreDePerception.objects.get() == titre
    assert len(mailoutbox) == 1
