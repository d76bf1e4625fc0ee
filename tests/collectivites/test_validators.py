import pytest
from django.core.exceptions import ValidationError

from collectivites.validators import departement_of, validate_code_insee, validate_siren, validate_siret


@pytest.mark.parametrize("siren", ["200035715", "732829320"])
def test_valid_siren(siren):
    """SIRENs with a correct Luhn key pass."""
    validate_siren(siren)


@pytest.mark.parametrize("siren", ["200035716", "20003571", "2000357155", "20003571A", ""])
def test_invalid_siren_named_in_french(siren):
    """A wrong key, a wrong length or a letter is refused with a message naming the value."""
    with pytest.raises(ValidationError) as error:
        validate_siren(siren)
    assert f"Le SIREN « {siren} » est invalide" in error.value.messages[0]


def test_siret_key_is_checked():
    """The SIRET of the commune running the Fresnes school (open data) is valid; one changed digit is not."""
    validate_siret("21940034800195")
    with pytest.raises(ValidationError, match="Le SIRET « 21940034800196 » est invalide"):
        validate_siret("21940034800196")


@pytest.mark.parametrize(
    ("code", "departement"),
    [("11260", "11"), ("01001", "01"), ("2A004", "2A"), ("2B033", "2B"), ("97101", "971"), ("95127", "95")],
)
def test_valid_insee_codes_and_their_departement(code, departement):
    """Metropolitan, Corsican (2A/2B) and overseas codes are accepted and give their département."""
    validate_code_insee(code)
    assert departement_of(code) == departement


@pytest.mark.parametrize("code", ["1126", "112600", "20004", "00123", "2C004", "96001", "1126A", ""])
def test_invalid_insee_codes(code):
    """Wrong length, département 20 or 00, Corsica as 2C, département 96 and letters are refused, naming the code."""
    with pytest.raises(ValidationError) as error:
        validate_code_insee(code)
    assert f"Le code INSEE « {code} » est invalide" in error.value.messages[0]
