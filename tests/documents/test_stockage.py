"""A document's file follows the transaction that issues it: rolled back, even by a caller, it leaves no file; a
file let go (return to draft) is deleted only once that change is committed."""

from pathlib import Path

import pytest
from django.db import transaction

from conventions.models import Convention
from conventions.services import envoyer_pour_signature, revenir_en_brouillon
from facturation.models import TitreDePerception
from facturation.services import emettre_titre
from tests.conventions.pdf_support import seed_convention
from tests.facturation.factories import convention_a_facturer

pytestmark = pytest.mark.django_db


class Annule(Exception):
    """The caller's own error, after the document was issued inside its transaction."""


def _fichiers(settings, dossier: str) -> set[Path]:
    racine = Path(settings.MEDIA_ROOT) / dossier
    return set(racine.rglob("*.pdf")) if racine.exists() else set()


def test_un_titre_annule_par_la_transaction_de_l_appelant_ne_laisse_aucun_fichier(settings):
    """The issue's row: a titre issue rolled back by an outer transaction left its PDF on disk, under a number that
    then went to another debtor. Now the file goes with the rollback, and the number's next titre is the only one."""
    convention = convention_a_facturer()
    avant = _fichiers(settings, "titres")
    with pytest.raises(Annule), transaction.atomic():
        titre = emettre_titre(convention)
        assert Path(titre.pdf.path).exists()  # written, inside the transaction
        raise Annule
    assert _fichiers(settings, "titres") == avant
    assert not TitreDePerception.objects.exists()

    titre = emettre_titre(convention)
    assert _fichiers(settings, "titres") == avant | {Path(titre.pdf.path)}


def test_un_envoi_annule_ne_laisse_pas_de_pdf_fige(settings):
    convention = seed_convention(signee=False, date_signature=None, lieu_signature="")
    avant = _fichiers(settings, "conventions")
    with pytest.raises(Annule), transaction.atomic():
        envoyer_pour_signature(convention)
        raise Annule
    assert _fichiers(settings, "conventions") == avant
    assert Convention.objects.get(pk=convention.pk).etat == Convention.Etat.BROUILLON


def test_un_retour_en_brouillon_annule_garde_le_pdf_fige(settings, django_capture_on_commit_callbacks):
    """Rolled back, the return to draft keeps the file the sent convention still points to; committed, it deletes it."""
    convention = seed_convention(signee=False, date_signature=None, lieu_signature="")
    envoyer_pour_signature(convention)
    fichier = Path(Convention.objects.get(pk=convention.pk).document.path)

    with pytest.raises(Annule), transaction.atomic():
        revenir_en_brouillon(Convention.objects.get(pk=convention.pk), "Une école manquait.")
        raise Annule
    assert fichier.exists()
    assert Convention.objects.get(pk=convention.pk).document.path == str(fichier)

    with django_capture_on_commit_callbacks(execute=True):
        revenir_en_brouillon(Convention.objects.get(pk=convention.pk), "Une école manquait.")
    assert not fichier.exists()
