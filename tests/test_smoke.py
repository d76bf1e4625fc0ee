from tests.factories import ConventionFactory


def test_convention_participation_is_schools_times_rate(db):
    """Article 7: the participation is the number of registered schools times the year's rate."""
    convention = ConventionFactory(ecoles=3)
    assert str(convention.participation) == "150.00"
