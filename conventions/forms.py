import pikepdf
from django import forms
from django.conf import settings

from collectivites.forms import DsfrForm

PDF_MAGIC = b"%PDF-"


def _mo(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") + " Mo"


class EcoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, ecole):
        # django-dsfr draws a dict as a label with its hint line.
        return {"label": ecole.nom, "help_text": f"{ecole.commune.nom} – UAI {ecole.uai}"}


class ChoixEcolesForm(DsfrForm):
    """Annexe 1 as the collectivité wants it: among the open public schools of its communes not taken this year."""

    ecoles = EcoleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Écoles inscrites à l'ENT-école",
        help_text="Cochez les écoles publiques de votre territoire qui utiliseront l'ENT-école cette année.",
        error_messages={
            "required": "Cochez au moins une école : la convention inscrit des écoles à l'ENT-école. Pour renoncer à "
            "la convention, contactez le rectorat.",
            "invalid_choice": "Une des écoles cochées ne peut pas être inscrite dans cette convention : rechargez la "
            "page et choisissez dans la liste proposée.",
        },
    )

    def __init__(self, *args, convention, **kwargs):
        self.convention = convention
        super().__init__(*args, **kwargs)

    def preparer_champs(self):
        self.fields["ecoles"].queryset = (
            self.convention.ecoles_proposables().select_related("commune").order_by("commune__nom", "nom", "uai")
        )


class ExemplaireSigneForm(DsfrForm):
    fichier = forms.FileField(
        label="Convention signée (PDF)",
        help_text="Le fichier PDF de la convention signée, 10 Mo au maximum.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        limite = settings.EXEMPLAIRE_SIGNE_TAILLE_MAX
        if fichier.size > limite:
            raise forms.ValidationError(
                f"Le fichier « {fichier.name} » fait {_mo(fichier.size)} : la limite est de {_mo(limite)}."
            )
        fichier.seek(0)
        if fichier.read(len(PDF_MAGIC)) != PDF_MAGIC:
            raise forms.ValidationError(
                f"Le fichier « {fichier.name} » n'est pas un PDF. Enregistrez la convention signée au format PDF "
                "(par exemple avec « Imprimer › Enregistrer au format PDF » de votre scanner ou de votre logiciel)."
            )
        fichier.seek(0)
        # A file that merely starts like a PDF is not enough: the rectorat must be able to open it.
        try:
            with pikepdf.open(fichier):
                pass
        except pikepdf.PasswordError as exc:
            raise forms.ValidationError(
                f"Le PDF « {fichier.name} » est protégé par un mot de passe : déposez-le sans protection."
            ) from exc
        except pikepdf.PdfError as exc:
            raise forms.ValidationError(f"Le PDF « {fichier.name} » est endommagé et ne peut pas être lu.") from exc
        fichier.seek(0)
        return fichier
