from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from dsfr.forms import DsfrBaseForm
from dsfr.utils import dsfr_input_class_attr

from documents.texte import proteger_le_formulaire

from . import services
from .destinataires import correspondant
from .models import Contact, Invitation


class DsfrForm(DsfrBaseForm):
    """A form drawn with the State design system; optional fields are marked (settings.DSFR_MARK_OPTIONAL_FIELDS).

    Subclasses adapt their fields in `preparer_champs()`: DsfrBaseForm caches the bound fields (label, help text)
    when it adds its CSS classes, so a label changed after __init__ would not show.
    """

    def __init__(self, *args, **kwargs):
        super(DsfrBaseForm, self).__init__(*args, **kwargs)
        self.preparer_champs()
        proteger_le_formulaire(self)  # after preparer_champs: the message names the field by its final label
        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)

    def preparer_champs(self):
        pass

    def get_context(self):
        # DsfrBaseForm.get_context only adds that flag and a transitional warning; the tests turn warnings into errors.
        context = super(DsfrBaseForm, self).get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context


class ConnexionForm(DsfrForm, AuthenticationForm):
    error_messages = {
        "invalid_login": "Adresse e-mail ou mot de passe incorrect. Après 5 essais, le compte est bloqué 15 minutes "
        "depuis cette adresse.",
        "inactive": "Ce compte est désactivé. Contactez le rectorat.",
    }

    def preparer_champs(self):
        self.fields["username"].label = "Adresse e-mail"
        self.fields["username"].widget = forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
        self.fields["password"].label = "Mot de passe"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


def est_compte_portail(user) -> bool:
    return not user.is_staff and not user.is_superuser


class MotDePasseOublieForm(DsfrForm, PasswordResetForm):
    """Portal accounts only: a staff account's password is never reset by e-mail from the portal (one stolen mailbox
    would open the admin); a superuser sets it."""

    def preparer_champs(self):
        self.fields["email"].label = "Adresse e-mail de votre compte"

    def get_users(self, email):
        return (user for user in super().get_users(email) if est_compte_portail(user))

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        # Signed by the académie of the account's collectivité (a deployment serves several).
        context["correspondant"] = correspondant(context["user"].collectivite)
        super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class ChoixMotDePasseForm(DsfrForm, SetPasswordForm):
    """The password chosen from an invitation or a reset link: 12 characters at least (AUTH_PASSWORD_VALIDATORS)."""

    def preparer_champs(self):
        self.fields["new_password1"].label = "Mot de passe"
        self.fields[
            "new_password1"
        ].help_text = (
            "Au moins 12 caractères ; évitez un mot de passe courant ou proche de votre nom ou de votre adresse."
        )
        self.fields["new_password2"].label = "Confirmation du mot de passe"


class InvitationAdminForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["collectivite", "role", "prenom", "nom", "email"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if services.compte_existe(email):
            raise forms.ValidationError(f"Un compte existe déjà pour l'adresse {email}.")
        return email


class InvitationPortailForm(DsfrForm, forms.ModelForm):
    """A representative invites a colleague (référent ville or contributeur); the view sets the collectivité."""

    class Meta:
        model = Invitation
        fields = ["role", "prenom", "nom", "email"]
        widgets = {"role": forms.RadioSelect}

    def preparer_champs(self):
        # Radio buttons without the empty « --------- » choice, and none preselected.
        self.fields["role"].choices = [(role.value, role.label) for role in services.ROLES_INVITES_PAR_LE_REPRESENTANT]
        self.fields["role"].help_text = (
            "Le référent ville et les contributeurs consultent les conventions et les titres ; seul le représentant "
            "choisit les écoles, dépose la convention signée et invite des personnes."
        )
        self.fields["email"].help_text = "Le lien d'invitation y est envoyé ; ce sera l'identifiant du compte."

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if services.compte_existe(email):
            raise forms.ValidationError(f"Un compte existe déjà pour l'adresse {email}.")
        return email


class ContactForm(DsfrForm, forms.ModelForm):
    """A contact of Article 2.7; the view sets the collectivité on the instance before validation."""

    class Meta:
        model = Contact
        fields = ["role", "prenom", "nom", "email", "fonction"]
        widgets = {"role": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons need no empty « --------- » choice, and none is preselected: the person picks the role.
        self.fields["role"].choices = Contact.Role.choices

    def clean(self):
        cleaned = super().clean()
        # The database guarantees both rules; these messages say which field to correct and why.
        others = Contact.objects.filter(collectivite=self.instance.collectivite_id).exclude(pk=self.instance.pk)
        referent = others.filter(role=Contact.Role.REFERENT).first()
        if cleaned.get("role") == Contact.Role.REFERENT and referent:
            self.add_error(
                "role",
                f"La collectivité a déjà un référent ville : {referent.prenom} {referent.nom}. Modifiez-le, ou "
                "enregistrez cette personne comme contributeur.",
            )
        email = cleaned.get("email")
        if email and others.filter(email__iexact=email).exists():
            self.add_error("email", f"L'adresse {email} figure déjà parmi les contacts de la collectivité.")
        return cleaned
