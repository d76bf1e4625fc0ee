from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .academies import CHOIX_ACADEMIES
from .admin_imports import ImportEnArrierePlanMixin, ImportForm
from .forms import InvitationAdminForm
from .models import Adhesion, Collectivite, Commune, Contact, ImportFichier, Invitation, User
from .scoping import AcademieScopedAdmin


class CommuneInline(admin.TabularInline):
    model = Commune
    fk_name = "groupement"
    fields = ["code_insee", "nom", "code_postal"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "communes membres"

    def has_add_permission(self, request, obj=None):
        return False


class AdhesionInline(admin.TabularInline):
    """The dated composition, as the EPCI imports recorded it: what each school year's conventions read."""

    model = Adhesion
    fk_name = "groupement"
    fields = ["commune", "date_debut", "date_fin"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "composition datée (imports des EPCI)"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("commune")


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["role", "prenom", "nom", "email", "fonction"]
    extra = 0
    verbose_name_plural = "contacts de l'article 2.7 (référent ville, contributeurs)"


class CompteInline(admin.TabularInline):
    """The portal accounts of the collectivité, for information: they are created by invitation."""

    model = User
    fields = ["email", "first_name", "last_name", "role", "is_active", "last_login"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "comptes du portail"

    def has_add_permission(self, request, obj=None):
        return False


@admin.action(description="Inviter une personne de cette collectivité sur le portail")
def inviter_une_personne(modeladmin, request, queryset):
    """Opens the invitation form with the collectivité already chosen."""
    if queryset.count() != 1:
        modeladmin.message_user(
            request, "Choisissez une seule collectivité pour inviter une personne.", messages.WARNING
        )
        return None
    url = reverse("admin:collectivites_invitation_add")
    return HttpResponseRedirect(f"{url}?collectivite={queryset.get().pk}")


@admin.register(Collectivite)
class CollectiviteAdmin(AcademieScopedAdmin, SimpleHistoryAdmin):
    actions = [inviter_une_personne]
    list_display = ["nom", "type", "siren", "departement", "representant", "email"]
    academie_filter = "academie"
    list_filter = ["type", "departement", "conventions_par_commune"]
    search_fields = ["nom", "siren", "commune__code_insee", "commune__nom", "ville"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune"]
    fieldsets = [
        (None, {"fields": ["nom", "type", "commune", "departement", "conventions_par_commune"]}),
        ("Identification", {"fields": ["siren", "siret", "code_service_chorus", "numero_engagement"]}),
        ("Adresse", {"fields": ["adresse", "code_postal", "ville", "email"]}),
        (
            "Représentant",
            {"fields": ["representant_civilite", "representant_prenom", "representant_nom", "representant_qualite"]},
        ),
        ("Notes", {"fields": ["notes"]}),
    ]
    inlines = [CommuneInline, AdhesionInline, ContactInline, CompteInline]


@admin.register(Commune)
class CommuneAdmin(AcademieScopedAdmin, ImportEnArrierePlanMixin, SimpleHistoryAdmin):
    type_import = ImportFichier.Type.COMMUNES
    form_import = ImportForm
    titre_import = "Importer des communes"
    introduction_import = (
        "Déposez un fichier de l'INSEE : les communes du Code officiel géographique (colonnes TYPECOM, COM, DEP, "
        "LIBELLE), ou la composition communale des EPCI (CODGEO, LIBGEO, EPCI, LIBEPCI), qui rattache chaque "
        "commune à son groupement et crée les groupements inconnus. Une commune est reconnue à son code INSEE. "
        "Le fichier est d'abord lu en arrière-plan pour un aperçu : rien n'est enregistré avant votre confirmation."
    )
    list_display = ["nom", "code_insee", "code_postal", "departement", "groupement"]
    list_filter = ["departement"]
    search_fields = ["nom", "code_insee", "code_postal"]
    autocomplete_fields = ["groupement"]
    list_select_related = ["groupement"]


def gere_les_comptes_du_rectorat(user) -> bool:
    """Only a superuser creates or changes staff accounts, grants groups or permissions, or sets a password: an agent
    who could would make themselves superuser, or take over the administrator's account."""
    return user.is_active and user.is_superuser


@admin.register(User)
class UserAdmin(AcademieScopedAdmin, BaseUserAdmin):
    """Superusers manage every account. The other agents (« Gestion ENT ») manage the collectivités' portal accounts
    only: they never see a staff account, its rights, nor any password (the person resets their own)."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "collectivite", "role", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "role", "groups"]
    search_fields = ["email", "first_name", "last_name", "collectivite__nom"]
    list_select_related = ["collectivite"]
    autocomplete_fields = ["collectivite"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Portail des collectivités", {"fields": ["collectivite", "role"]}),
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser", "academies", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    fieldsets_compte_portail = [
        (None, {"fields": ["email"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Portail des collectivités", {"fields": ["collectivite", "role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "academies":
            return forms.TypedMultipleChoiceField(
                label=db_field.verbose_name,
                help_text=db_field.help_text,
                choices=CHOIX_ACADEMIES,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if gere_les_comptes_du_rectorat(request.user):
            return queryset
        # A staff account is not even found: its change page, password page and deletion answer "not found".
        return queryset.filter(is_staff=False, is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        if obj is None or gere_les_comptes_du_rectorat(request.user):
            return super().get_fieldsets(request, obj)
        return self.fieldsets_compte_portail

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and not gere_les_comptes_du_rectorat(request.user):
            # Not UserChangeForm: its password field (and the link to change it) is declared on the form itself.
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if gere_les_comptes_du_rectorat(request.user):
            return super().get_readonly_fields(request, obj)
        return ["last_login", "date_joined"]

    def get_list_filter(self, request):
        if gere_les_comptes_du_rectorat(request.user):
            return self.list_filter
        return ["is_active", "role"]

    def has_add_permission(self, request):
        # Portal accounts are opened by invitation (the person chooses the password); staff ones by a superuser.
        return gere_les_comptes_du_rectorat(request.user)

    def user_change_password(self, request, id, form_url=""):
        if not gere_les_comptes_du_rectorat(request.user):
            raise PermissionDenied("Seul un superutilisateur peut définir le mot de passe d'un compte.")
        return super().user_change_password(request, id, form_url)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """A group's permissions are rights: only a superuser grants them, whatever permissions an agent holds."""

    def has_add_permission(self, request):
        return gere_les_comptes_du_rectorat(request.user)

    def has_change_permission(self, request, obj=None):
        return gere_les_comptes_du_rectorat(request.user)

    def has_delete_permission(self, request, obj=None):
        return gere_les_comptes_du_rectorat(request.user)


class EtatInvitationFilter(admin.SimpleListFilter):
    title = "état"
    parameter_name = "etat"

    def lookups(self, request, model_admin):
        return [("attente", "en attente"), ("acceptee", "acceptée"), ("expiree", "expirée")]

    def queryset(self, request, queryset):
        if self.value() == "attente":
            return queryset.en_attente()
        if self.value() == "acceptee":
            return queryset.filter(acceptee_le__isnull=False)
        if self.value() == "expiree":
            return queryset.filter(acceptee_le__isnull=True, expire_le__lte=timezone.now())
        return queryset


@admin.register(Invitation)
class InvitationAdmin(AcademieScopedAdmin, admin.ModelAdmin):
    """The rectorat invites a person of a collectivité, with a role; the e-mail leaves when the form is saved."""

    form = InvitationAdminForm
    list_display = ["email", "prenom", "nom", "collectivite", "role", "etat", "creee_le", "expire_le", "invitee_par"]
    list_filter = [EtatInvitationFilter, "role"]
    search_fields = ["email", "nom", "prenom", "collectivite__nom"]
    list_select_related = ["collectivite", "invitee_par"]
    autocomplete_fields = ["collectivite"]
    actions = ["renvoyer"]
    SUIVI = ["creee_le", "expire_le", "acceptee_le", "compte", "invitee_par"]

    def get_fields(self, request, obj=None):
        fields = ["collectivite", "role", "prenom", "nom", "email"]
        return fields if obj is None else fields + self.SUIVI

    def get_readonly_fields(self, request, obj=None):
        # An invitation that left is a record: to correct it, delete it (the link stops working) and invite again.
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description="état")
    def etat(self, obj):
        if obj.est_acceptee:
            return f"acceptée le {timezone.localtime(obj.acceptee_le):%d/%m/%Y}"
        return "expirée" if obj.est_expiree else "en attente"

    def save_model(self, request, obj, form, change):
        if not change:
            services.inviter(obj, par=request.user)
            self.message_user(
                request,
                f"L'invitation est envoyée à {obj.email} ; le lien expire le "
                f"{timezone.localtime(obj.expire_le):%d/%m/%Y à %H:%M}.",
            )

    @admin.action(description="Renvoyer l'invitation (nouveau lien, nouvelle échéance)", permissions=["change"])
    def renvoyer(self, request, queryset):
        envoyees = 0
        for invitation in queryset.select_related("collectivite"):
            try:
                services.renouveler(invitation, par=request.user)
            except services.InvitationInvalide as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                envoyees += 1
        if envoyees:
            texte = "1 invitation renvoyée" if envoyees == 1 else f"{envoyees} invitations renvoyées"
            self.message_user(request, f"{texte}.", messages.SUCCESS)


@admin.action(description="Exporter en CSV (ouverture des comptes ENT)", permissions=["view"])
def exporter_contacts(modeladmin, request, queryset):
    filename = f"contacts-ent-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(services.contacts_csv(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.action(description="Inviter sur l'espace des collectivités (un compte par contact)", permissions=["inviter"])
def inviter_contacts(modeladmin, request, queryset):
    """One click from a contact to its account: the invitation leaves with the contact's role, name and address."""
    envoyees = []
    for contact in queryset.select_related("collectivite").order_by("collectivite__nom", "nom"):
        try:
            services.inviter_contact(contact, par=request.user)
        except services.InvitationInvalide as exc:
            modeladmin.message_user(request, str(exc), messages.WARNING)
        else:
            envoyees.append(contact.email)
    if envoyees:
        modeladmin.message_user(request, f"Invitation envoyée à {', '.join(envoyees)}.", messages.SUCCESS)


@admin.register(Contact)
class ContactAdmin(AcademieScopedAdmin, SimpleHistoryAdmin):
    list_display = ["nom", "prenom", "email", "role", "fonction", "collectivite", "modifie_le"]
    list_filter = ["role", "collectivite__departement"]
    search_fields = ["nom", "prenom", "email", "collectivite__nom"]
    list_select_related = ["collectivite"]
    autocomplete_fields = ["collectivite"]
    actions = [exporter_contacts, inviter_contacts]

    def has_inviter_permission(self, request):
        return request.user.has_perm("collectivites.add_invitation")
