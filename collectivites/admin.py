from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import Collectivite, Commune, User


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


@admin.register(Collectivite)
class CollectiviteAdmin(SimpleHistoryAdmin):
    list_display = ["nom", "type", "siren", "departement", "representant", "email"]
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
    inlines = [CommuneInline]


@admin.register(Commune)
class CommuneAdmin(SimpleHistoryAdmin):
    list_display = ["nom", "code_insee", "code_postal", "departement", "groupement"]
    list_filter = ["departement"]
    search_fields = ["nom", "code_insee", "code_postal"]
    autocomplete_fields = ["groupement"]
    list_select_related = ["groupement"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
