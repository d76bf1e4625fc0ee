"""An issued titre cannot be changed or deleted by any route; a cancelling titre corrects it."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, ProtectedError, Sum

from facturation.models import CompteurTitres, TitreDePerception, TitreImmuable
from facturation.services import AnnulationImpossible, annuler_titre, emettre_titre, enregistrer_paiement
from tests.conftest import non_proprietaire

from .conftest import DATE_SEED

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
REFUS = "ne peut être ni modifié ni supprimé"


def _inchange(titre):
    stored = TitreDePerception.objects.get(pk=titre.pk)
    assert (stored.montant, stored.debiteur_nom, stored.numero) == (
        Decimal("50.00"),
        "Communauté de Communes Région Lézignanaise Corbières et Minervois",
        "2022-000001",
    )


def test_save_is_refused(titre_seed):
    """Model.save() on an issued titre raises, whatever was changed."""
    titre_seed.montant = Decimal("1.00")
    with pytest.raises(TitreImmuable, match="ne peut pas être modifié"):
        titre_seed.save()
    _inchange(titre_seed)


def test_queryset_update_is_refused(titre_seed, convention_seed):
    """QuerySet.update(), from the manager or the convention's related manager, raises."""
    with pytest.raises(TitreImmuable):
        TitreDePerception.objects.filter(pk=titre_seed.pk).update(montant=Decimal("1.00"))
    with pytest.raises(TitreImmuable):
        convention_seed.titres.update(debiteur_nom="Autre")
    with pytest.raises(TitreImmuable):
        TitreDePerception.objects.bulk_update([titre_seed], ["montant"])
    _inchange(titre_seed)


def test_deletes_are_refused(titre_seed, convention_seed):
    """Model.delete(), QuerySet.delete() and deleting the convention all fail."""
    with pytest.raises(TitreImmuable, match="ne peut pas être supprimé"):
        titre_seed.delete()
    with pytest.raises(TitreImmuable):
        TitreDePerception.objects.all().delete()
    with pytest.raises(ProtectedError):
        convention_seed.delete()
    _inchange(titre_seed)


def test_raw_sql_update_and_delete_are_refused_by_the_database(titre_seed):
    """The database's trigger (PostgreSQL and SQLite alike) refuses what bypasses Django altogether."""
    for sql in [
        "UPDATE facturation_titredeperception SET montant = 1 WHERE id = %s",
        "DELETE FROM facturation_titredeperception WHERE id = %s",
    ]:
        with pytest.raises(IntegrityError, match=REFUS), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [titre_seed.pk])
    _inchange(titre_seed)


def test_django_routes_around_the_python_guards_are_refused_by_the_database(titre_seed):
    """`_base_manager.update()`, `save_base()` and `_base_manager` deletes skip the model's guards: the database's
    trigger still refuses them, on every supported database (issue 12, « immutability elsewhere than PostgreSQL »)."""
    with pytest.raises(IntegrityError, match=REFUS), transaction.atomic():
        TitreDePerception._base_manager.filter(pk=titre_seed.pk).update(montant=Decimal("1.00"))
    titre_seed.montant = Decimal("1.00")
    with pytest.raises(IntegrityError, match=REFUS), transaction.atomic():
        titre_seed.save_base()
    with pytest.raises(IntegrityError, match=REFUS), transaction.atomic():
        TitreDePerception._base_manager.filter(pk=titre_seed.pk)._raw_delete(connection.alias)
    _inchange(titre_seed)


def test_the_counter_only_moves_by_one_and_is_never_deleted(titre_seed):
    """The counter row of a budget year: +5 would leave four numbers never given, a reset would give one twice."""
    compteur = CompteurTitres.objects.filter(annee_budgetaire=2022)
    for changement in (
        lambda: compteur.update(dernier_numero=F("dernier_numero") + 5),
        lambda: compteur.update(dernier_numero=0),
        lambda: compteur.update(annee_budgetaire=2023),
        lambda: compteur.delete(),
        lambda: CompteurTitres.objects.create(annee_budgetaire=2030, dernier_numero=7),
    ):
        with pytest.raises(IntegrityError, match="compteur des titres"), transaction.atomic():
            changement()
    assert compteur.get().dernier_numero == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_number_taken_without_its_titre_cannot_be_committed(titre_seed):
    """On PostgreSQL the counter moves only inside an issue: a +1 committed without the titre of that number is
    refused at commit (a deferred trigger), so no number is ever skipped."""
    # Raised at COMMIT, where psycopg2 decodes the server's message as ASCII: match its unaccented words only.
    with pytest.raises(IntegrityError, match="pris sans qu'un titre soit"), transaction.atomic():
        CompteurTitres.objects.filter(annee_budgetaire=2022).update(dernier_numero=F("dernier_numero") + 1)
    assert CompteurTitres.objects.get(annee_budgetaire=2022).dernier_numero == 1


@postgresql_only
def test_the_application_role_cannot_disable_the_trigger_nor_truncate(titre_seed):
    """The application runs as a role that does not own the tables: what only an owner may do fails (issue 12)."""
    if not non_proprietaire():
        pytest.skip("DATABASE_OWNER_URL absent : les tests tournent avec le rôle propriétaire (make test le fournit)")
    for sql in [
        "ALTER TABLE facturation_titredeperception DISABLE TRIGGER ALL",
        "ALTER TABLE facturation_titredeperception DISABLE TRIGGER facturation_titre_immuable",
        "TRUNCATE facturation_titredeperception CASCADE",
        "TRUNCATE facturation_compteurtitres",
        "DROP TRIGGER facturation_titre_immuable ON facturation_titredeperception",
    ]:
        with (
            pytest.raises(DatabaseError, match=r"must be owner|permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    _inchange(titre_seed)


def test_the_database_refuses_a_duplicate_number_and_a_negative_titre(titre_seed):
    """Constraints: one (year, sequence) pair; a titre that cancels nothing has a positive amount."""
    copie = {
        field.name: getattr(titre_seed, field.name)
        for field in TitreDePerception._meta.concrete_fields
        if field.name not in ("id", "numero")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        TitreDePerception(**copie, numero="2022-999999").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        TitreDePerception(**{**copie, "sequence": 2, "montant": Decimal("-50.00")}, numero="2022-000002").save()


def test_a_cancelling_titre_nets_the_amount_to_zero(titre_seed, convention_seed):
    """Cancelling issues a new numbered titre for −50,00 € pointing to the cancelled one; the total is zero."""
    annulation = annuler_titre(titre_seed, "Erreur sur le nombre d'écoles", date_emission=datetime.date(2022, 2, 1))

    assert annulation.numero == "2022-000002"
    assert annulation.montant == Decimal("-50.00")
    assert annulation.annule == titre_seed
    assert annulation.motif_annulation == "Erreur sur le nombre d'écoles"
    assert annulation.debiteur_nom == titre_seed.debiteur_nom
    assert convention_seed.titres.aggregate(total=Sum("montant"))["total"] == Decimal("0.00")
    titre = TitreDePerception.objects.get(pk=titre_seed.pk)
    assert titre.etat == TitreDePerception.Etat.ANNULE
    assert titre.etat_libelle == "Annulé"
    assert titre.reste_a_payer == Decimal("0.00")
    assert annulation.reste_a_payer == Decimal("0.00")


def test_after_cancellation_the_convention_can_be_billed_again(titre_seed, convention_seed):
    """The cancelled titre no longer counts as live: a new titre with a new number is accepted."""
    annuler_titre(titre_seed, "Erreur d'adresse", date_emission=datetime.date(2022, 2, 1))
    nouveau = emettre_titre(convention_seed, date_emission=datetime.date(2022, 2, 2))
    assert nouveau.numero == "2022-000003"
    assert list(convention_seed.titres.vivants()) == [nouveau]


def test_cancellation_refusals(titre_seed):
    """No reason, twice, a cancelling titre itself, or a titre already paid: each refused with its reason."""
    with pytest.raises(AnnulationImpossible, match="motif"):
        annuler_titre(titre_seed, "  ")
    annulation = annuler_titre(titre_seed, "Doublon")
    with pytest.raises(AnnulationImpossible, match="déjà annulé"):
        annuler_titre(titre_seed, "Encore")
    with pytest.raises(AnnulationImpossible, match="lui-même un titre d'annulation"):
        annuler_titre(annulation, "Annuler l'annulation")


def test_a_paid_titre_cannot_be_cancelled(titre_seed):
    """Money was received: cancelling would owe it back, so it is refused with the amount paid."""
    enregistrer_paiement(titre_seed, DATE_SEED, Decimal("20.00"), "virement", "VIR-1")
    with pytest.raises(AnnulationImpossible, match="a déjà reçu 20,00"):
        annuler_titre(titre_seed, "Erreur")
