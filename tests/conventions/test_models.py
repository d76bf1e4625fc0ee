import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from conventions.models import Convention, Inscription, validate_libelle_annee
from tests.factories import (
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    EcoleFactory,
)


def test_a_school_cannot_be_registered_twice_in_one_school_year(db):
    """The database refuses a school in two conventions of the same year: it would be billed twice."""
    ecole = EcoleFactory()
    ConventionFactory(ecoles=[ecole])
    other = ConventionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Inscription(convention=other, ecole=ecole).save()


def test_a_school_can_be_registered_again_the_next_year(db):
    """The constraint is per school year: renewing a convention the next year is allowed."""
    ecole = EcoleFactory()
    ConventionFactory(ecoles=[ecole])
    ConventionFactory(annee=AnneeScolaireFactory(libelle="2022-2023"), ecoles=[ecole])
    assert Inscription.objects.filter(ecole=ecole).count() == 2


def test_one_convention_per_collectivite_and_year(db):
    """A second convention for the same collectivité and year (no commune) is refused by the database."""
    convention = ConventionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Convention.objects.create(annee=convention.annee, collectivite=convention.collectivite, reference="ENT-AUTRE")


def test_one_convention_per_collectivite_commune_and_year(db):
    """For a grouping signing per commune, the same commune twice in one year is refused; another commune is not."""
    groupement = CollectiviteFactory(groupement=True)
    mouthoumet, lagrasse = CommuneFactory(groupement=groupement), CommuneFactory(groupement=groupement)
    first = ConventionFactory(collectivite=groupement, commune=mouthoumet)
    ConventionFactory(collectivite=groupement, commune=lagrasse, annee=first.annee)
    with pytest.raises(IntegrityError), transaction.atomic():
        Convention.objects.create(annee=first.annee, collectivite=groupement, commune=mouthoumet, reference="ENT-AUTRE")


def test_duplicate_convention_is_explained_by_model_validation(db):
    """Forms validate the same rule with a French message before reaching the database."""
    convention = ConventionFactory()
    duplicate = Convention(annee=convention.annee, collectivite=convention.collectivite, reference="ENT-X")
    with pytest.raises(ValidationError, match="Une convention existe déjà pour cette collectivité"):
        duplicate.validate_constraints()


def test_participation_is_decimal_schools_times_rate(db):
    """Article 7: 3 schools at 50,00 € make 150,00 €, as a Decimal."""
    convention = ConventionFactory(ecoles=3)
    assert convention.participation == Decimal("150.00")
    assert isinstance(convention.participation, Decimal)


def test_end_date_is_first_september_of_the_second_year(db):
    """Article 3: the 2021-2022 convention ends on 1 September 2022."""
    assert AnneeScolaireFactory(libelle="2021-2022").date_fin == datetime.date(2022, 9, 1)


@pytest.mark.parametrize("libelle", ["2021-2023", "2021/2022", "21-22", "2022-2021", ""])
def test_invalid_school_year_label(libelle):
    """A school year is two consecutive years written AAAA-AAAA; the message names the value."""
    with pytest.raises(ValidationError, match=f"L'année scolaire « {libelle} » est invalide"):
        validate_libelle_annee(libelle)


def test_expired_conventions_are_derived_from_the_end_date(db):
    """A signed 2021-2022 convention is expired from 1 September 2022, not the day before."""
    convention = ConventionFactory(signee=True)
    assert convention not in Convention.objects.expirees(today=datetime.date(2022, 8, 31))
    assert convention in Convention.objects.expirees(today=datetime.date(2022, 9, 1))


def test_for_user_scopes_to_the_representatives_collectivite(representant_a, representant_b, agent_gestion):
    """A representative sees their collectivité's conventions only; rectorat staff see all of them."""
    mine = ConventionFactory(collectivite=representant_a.collectivite)
    theirs = ConventionFactory(collectivite=representant_b.collectivite)
    assert list(Convention.objects.for_user(representant_a)) == [mine]
    assert set(Convention.objects.for_user(agent_gestion)) == {mine, theirs}
