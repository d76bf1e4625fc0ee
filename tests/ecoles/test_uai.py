import csv
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from ecoles.validators import validate_uai

IPS_AUDE = Path(__file__).resolve().parents[2] / "demo" / "data" / "ips-ecoles-aude-2021-2022.csv"


def aude_uais():
    with IPS_AUDE.open(encoding="utf-8-sig") as handle:
        return [row["UAI"] for row in csv.DictReader(handle, delimiter=";")]


def test_every_real_aude_uai_validates():
    """The 229 UAI codes of the Ministry's Aude file all carry a correct check letter."""
    uais = aude_uais()
    assert len(uais) == 229
    for uai in uais:
        validate_uai(uai)


@pytest.mark.parametrize("uai", aude_uais()[:40])
def test_a_wrong_check_letter_is_rejected_naming_the_code(uai):
    """Every other letter than the right one is refused, and the message names the code and the expected letter."""
    wrong = uai[:7] + ("A" if uai[7] != "A" else "B")
    with pytest.raises(ValidationError) as error:
        validate_uai(wrong)
    message = error.value.messages[0]
    assert f"« {wrong} »" in message
    assert f"devrait être « {uai[7]} »" in message


@pytest.mark.parametrize("bad", ["0110422", "01104220Z", "011O422Z", "0110422z", "", "ABCDEFGZ", "011 422Z"])
def test_malformed_uai_is_rejected_in_french(bad):
    """Wrong length, letters among the digits or a lowercase letter get a French message naming the code."""
    with pytest.raises(ValidationError) as error:
        validate_uai(bad)
    assert f"Le code UAI « {bad} » est invalide" in error.value.messages[0]


def test_mouthoumet_school_is_valid():
    """The seed's school 0110422Z is valid (0110422 mod 23 = 21, the letter Z)."""
    validate_uai("0110422Z")
