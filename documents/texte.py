"""Text that no document can carry, refused where it is typed and stripped where it is printed.

ASCII control characters (but tab, line feed and carriage return, which a text area sends), the non-characters
U+FFFE and U+FFFF, and unpaired surrogates are invisible when typed or pasted, and XML forbids them: a PDF's XMP
metadata, a Factur-X invoice or an XLSX cell holding one cannot be written. One validator, given in `ready()` to
every text field of every model (`proteger_les_champs_texte`): model forms (the admin's and the portal's) and the
imports that call it refuse such a value with a message naming the field; the forms' own text fields get it from
`proteger_le_formulaire` (the portal's DsfrForm, the `ChampsTexteProteges` mixin). What was stored before, or came by
another path, is stripped by `nettoyer()` when a document is rendered rather than failing the document.
"""

import re

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible

INTERDITS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def caractere_interdit(valeur: str) -> str | None:
    """How the first forbidden character reads in a message ("U+000B, 5e caractère"), or None when there is none."""
    trouve = INTERDITS.search(valeur)
    if trouve is None:
        return None
    position = trouve.start() + 1
    return f"U+{ord(trouve.group()):04X}, {position}{'er' if position == 1 else 'e'} caractère"


def message(champ: str, valeur: str) -> str | None:
    """The French message for `valeur` typed in `champ`, or None when the value is clean."""
    caractere = caractere_interdit(valeur)
    if caractere is None:
        return None
    return (
        f"Le champ « {champ} » contient un caractère invisible interdit ({caractere}), souvent venu d'un "
        "copier-coller : retapez la valeur ou supprimez ce caractère."
    )


def nettoyer(valeur: str) -> str:
    """The value without its forbidden characters: for rendering, never for storing."""
    return INTERDITS.sub("", valeur)


@deconstructible
class SansCaractereInterdit:
    """A model field's validator; `champ` is the field's name as users read it (its verbose_name)."""

    code = "caractere_interdit"

    def __init__(self, champ: str):
        self.champ = champ

    def __call__(self, valeur) -> None:
        if isinstance(valeur, str) and (texte := message(self.champ, valeur)):
            raise ValidationError(texte, code=self.code)

    def __eq__(self, other):
        return isinstance(other, SansCaractereInterdit) and other.champ == self.champ


def proteger_les_champs_texte() -> None:
    """Gives every CharField and TextField of every installed model the validator, once.

    Added to the field's validators as Django computed them, not to the field's arguments: the migrations do not
    see it, and no model repeats it."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField) and not any(
                isinstance(v, SansCaractereInterdit) for v in field.validators
            ):
                field.validators.append(SansCaractereInterdit(str(field.verbose_name)))


def proteger_le_formulaire(form: forms.BaseForm) -> None:
    """Gives every text field of a form the validator, named by its label: the fields that no model field backs (a
    motif, a signatory typed in an action's page) are refused where they are typed too."""
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField) and not any(
            isinstance(v, SansCaractereInterdit) for v in field.validators
        ):
            field.validators.append(SansCaractereInterdit(str(field.label or name)))


class ChampsTexteProteges:
    """Form mixin: `proteger_le_formulaire` on each instance (the admin's forms that no model backs)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        proteger_le_formulaire(self)


def nettoyer_tout(valeur):
    """`nettoyer` applied to every string of nested dicts, lists and tuples (the data of a Factur-X invoice...)."""
    if isinstance(valeur, str):
        return nettoyer(valeur)
    if isinstance(valeur, dict):
        return {cle: nettoyer_tout(v) for cle, v in valeur.items()}
    if isinstance(valeur, list | tuple):
        return type(valeur)(nettoyer_tout(v) for v in valeur)
    return valeur
