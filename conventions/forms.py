import pikepdf
from django import forms
from django.conf import settings

from collectivites.forms import DsfrForm
from documents.contenu_actif import contenu_actif
from documents.televersements import en_mo

PDF_MAGIC = b"%PDF-"


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
    """The size is limited before the body is read (documents.televersements, on the view)."""

    fichier = forms.FileField(
        label="Convention signée (PDF)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def preparer_champs(self):
        taille = en_mo(settings.EXEMPLAIRE_SIGNE_TAILLE_MAX)
        self.fields["fichier"].help_text = f"Le fichier PDF de la convention signée, {taille} au maximum."

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        fichier.seek(0)
        if fichier.read(len(PDF_MAGIC)) != PDF_MAGIC:
            raise forms.ValidationError(
                f"Le fichier « {fichier.name} » n'est pas un PDF. Enregistrez la convention signée au format PDF "
                "(par exemple avec « Imprimer › Enregistrer au format PDF » de votre scanner ou de votre logiciel)."
            )
        fichier.seek(0)
        # A file that merely starts like a PDF is not enough: the rectorat must be able to open it.
        try:
            with pikepdf.open(fichier) as pdf:
                actif = contenu_actif(pdf)
        except pikepdf.PasswordError as exc:
            raise forms.ValidationError(
                f"Le PDF « {fichier.name} » est protégé par un mot de passe : déposez-le sans protection."
            ) from exc
        except pikepdf.PdfError as exc:
            raise forms.ValidationError(f"Le PDF « {fichier.name} » est endommagé et ne peut pas être lu.") from exc
        if actif:
            raise forms.ValidationError(
                f"Le PDF « {fichier.name} » est refusé : il contient {' et '.join(actif)}. Une convention signée "
                "n'a besoin que de ses pages et de ses signatures : déposez le fichier tel que votre logiciel de "
                "signature l'a produit, ou une numérisation de la convention signée."
            )
        fichier.seek(0)
        return fichier
