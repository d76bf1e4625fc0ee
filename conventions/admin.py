from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from collectivites.models import Collectivite
from collectivites.scoping import AcademieScopedAdmin
from documents.formats import date_longue, euros
from documents.signatures import certificat_configure, niveau_affiche
from documents.texte import ChampsTexteProteges
from ecoles.models import Ecole

from . import admin_texte  # noqa: F401  (the convention text's admin registers itself)
from .admin_campagne import envoyer_en_arriere_plan, preparer_annee
from .admin_confirmation import OBJET, Confirmation, Ligne, est_confirmee, page
from .admin_pdf import ConventionPdfAdminMixin, envoyer_pour_signature_maintenant, remettre_en_brouillon
from .models import Academie, AnneeScolaire, Convention, Inscription, StatutExemplaire
from .services import TransitionInterdite, enregistrer_signature, reference_for


@dataclass(frozen=True)
class _LogoServi:
    """The stored logo as the file input shows it: its name, and the page that serves it (media have no URL)."""

    nom: str
    url: str

    def __str__(self):
        return self.nom


class LogoInput(forms.ClearableFileInput):
    """« Actuellement » links to the logo's page: MEDIA_URL serves nothing, not even in DEBUG."""

    def __init__(self, url: str, attrs=None):
        super().__init__(attrs)
        self.url = url

    def format_value(self, value):
        if self.is_initial(value):
            return _LogoServi(value.name.rsplit("/", 1)[-1], self.url)
        return super().format_value(value)


@admin.register(Academie)
class AcademieAdmin(AcademieScopedAdmin, SimpleHistoryAdmin):
    """The académie's identity. Changed by a national role only (conventions.change_academie, migration 0010):
    the other agents see it read-only, as the admin does for a view permission alone."""

    list_display = ["nom", "code", "ville", "ville_signature", "correspondant_nom", "correspondant_email"]
    search_fields = ["nom", "code"]
    fieldsets = [
        (None, {"fields": ["nom", "code", "logo", "apercu_logo"]}),
        ("Adresse du rectorat", {"fields": ["adresse", "code_postal", "ville", "ville_signature"]}),
        (
            "Contact des collectivités",
            {
                "fields": ["correspondant_nom", "correspondant_email", "telephone", "site_internet"],
                "description": "Nommés au pied de chaque e-mail aux collectivités et sur leur espace ; les réponses "
                "aux e-mails arrivent à l'adresse de réponse.",
            },
        ),
    ]
    readonly_fields = ["apercu_logo"]
    # A site typed without its scheme is an https one (Django 6's default; without it, a deprecation warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_fieldsets(self, request, obj=None):
        """Read-only, the file field would link to MEDIA_URL: the preview alone shows the logo."""
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        return [
            (nom, {**options, "fields": [f for f in options["fields"] if f != "logo"]}) for nom, options in fieldsets
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "logo" in form.base_fields:
            form.base_fields["logo"].widget = LogoInput(reverse("conventions:logo_academie", args=[obj.code]))
        return form

    @admin.display(description="logo actuel")
    def apercu_logo(self, obj):
        if obj is None or not obj.logo:
            return "Aucun logo : les documents et l'espace des collectivités n'en affichent pas."
        return format_html(
            '<img src="{}" alt="Logo de l\'{}" height="80">',
            reverse("conventions:logo_academie", args=[obj.code]),
            obj.designation,
        )


@admin.register(AnneeScolaire)
class AnneeScolaireAdmin(AcademieScopedAdmin, SimpleHistoryAdmin):
    actions = [preparer_annee]
    list_display = ["libelle", "academie", "tarif", "signataire", "date_fin"]
    list_select_related = ["academie"]
    search_fields = ["libelle"]

    @admin.display(description="participation par école")
    def tarif(self, obj):
        return euros(obj.tarif_par_ecole)

    @admin.display(description="pourquoi la participation ne se modifie plus")
    def tarif_verrouille(self, obj):
        return obj.motif_tarif_verrouille()

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.motif_tarif_verrouille():
            readonly += ["tarif_par_ecole", "tarif_verrouille"]
        return readonly


class InscriptionForm(forms.ModelForm):
    class Meta:
        model = Inscription
        fields = ["ecole"]

    def clean_ecole(self):
        """Explains, before saving, what the database guarantees: one convention per school and year."""
        ecole = self.cleaned_data["ecole"]
        convention = self.instance.convention if self.instance.convention_id else self.parent_convention
        if convention is None or (self.instance.pk and self.instance.ecole_id == ecole.pk):
            return ecole
        other = (
            Inscription.objects.filter(annee=convention.annee_id, ecole=ecole)
            .exclude(convention=convention.pk)
            .select_related("convention")
            .first()
        )
        if other:
            raise forms.ValidationError(
                f"L'école {ecole.uai} est déjà inscrite pour {convention.annee} dans la convention "
                f"{other.convention.reference}."
            )
        if ecole.etat != Ecole.Etat.OUVERTE:
            raise forms.ValidationError(
                f"L'école {ecole.uai} est à l'état « {ecole.get_etat_display()} » : elle ne peut plus être inscrite."
            )
        return ecole


class InscriptionInline(admin.TabularInline):
    model = Inscription
    form = InscriptionForm
    autocomplete_fields = ["ecole"]
    extra = 0
    verbose_name = "école inscrite"
    verbose_name_plural = "Annexe 1 – écoles inscrites"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ecole__commune")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.parent_convention = obj
        return formset

    def _editable(self, obj):
        return obj is None or obj.est_modifiable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class DepartementFilter(admin.SimpleListFilter):
    title = "département"
    parameter_name = "departement"

    def lookups(self, request, model_admin):
        # The départements of the collectivités that have a convention in the list, read from the collectivités (a
        # semi-join on the conventions' keys) rather than by joining and sorting every convention of the country.
        # The list's own scoping (`for_user`), without its annotations and their joins.
        conventions = Convention.objects.for_user(request.user).values("collectivite_id")
        codes = (
            Collectivite.objects.filter(pk__in=conventions).order_by().values_list("departement", flat=True).distinct()
        )
        return [(code, code) for code in sorted(set(codes))]

    def queryset(self, request, queryset):
        return queryset.filter(collectivite__departement=self.value()) if self.value() else queryset


class EcolesNouvellesFilter(admin.SimpleListFilter):
    """The drafts to complete: a school opened in one of their communes since last year is not registered yet."""

    title = "nouvelle école dans la commune"
    parameter_name = "nouvelle_ecole"

    def lookups(self, request, model_admin):
        return [("oui", "à proposer (brouillons)")]

    def queryset(self, request, queryset):
        return queryset.avec_ecoles_nouvelles() if self.value() == "oui" else queryset


SANS_CERTIFICAT = "Documents émis sans signature électronique : aucun certificat configuré"


class RetourFilter(admin.SimpleListFilter):
    title = "convention signée"
    parameter_name = "retour"

    def lookups(self, request, model_admin):
        return [("a_confirmer", "déposée, en vérification"), ("attendue", "envoyée, pas encore déposée")]

    def queryset(self, request, queryset):
        if self.value() == "a_confirmer":
            return queryset.deposees()
        if self.value() == "attendue":
            return queryset.envoyees().filter(exemplaire_signe="")
        return queryset


class SignatureForm(ChampsTexteProteges, forms.Form):
    date_signature = forms.DateField(
        label="Date de signature par l'académie",
        help_text="La date que porte la convention signée (« le … »), aujourd'hui ou avant.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    lieu_signature = forms.CharField(label="Lieu de signature", max_length=100)

    def clean_date_signature(self):
        date = self.cleaned_data["date_signature"]
        if date > timezone.localdate():
            raise forms.ValidationError("La date de signature ne peut pas être dans le futur.")
        return date


@admin.action(description="Confirmer la signature des conventions signées déposées", permissions=["change"])
def confirmer_signature(modeladmin, request, queryset):
    """The rectorat checked the signed copy the collectivité deposited on the portal and signs in its turn: the page
    links each deposited copy, asks for the date and the place, and records nothing until confirmed."""
    conventions = queryset.select_related("annee__academie", "collectivite", "commune").order_by("reference")
    a_signer, refus = [], []
    for convention in conventions:
        if convention.etat != Convention.Etat.ENVOYEE:
            refus.append((str(convention), f"elle est à l'état « {convention.get_etat_display()} »."))
        elif not convention.exemplaire_signe:
            refus.append((str(convention), "la collectivité n'a pas encore déposé la convention signée."))
        else:
            a_signer.append(convention)
    initial = {
        "date_signature": timezone.localdate(),
        "lieu_signature": a_signer[0].annee.academie.ville_signature if a_signer else "",
    }
    form = SignatureForm(request.POST if est_confirmee(request) else None, initial=initial)
    if form.is_bound and form.is_valid():
        date, lieu = form.cleaned_data["date_signature"], form.cleaned_data["lieu_signature"]
        signees = []
        for convention in a_signer:
            try:
                enregistrer_signature(convention, date, lieu, user=request.user)
            except TransitionInterdite as exc:
                modeladmin.message_user(request, str(exc), messages.ERROR)
            else:
                signees.append(convention.reference)
        if signees:
            modeladmin.message_user(
                request, f"Signature enregistrée le {date_longue(date)} : {', '.join(signees)}.", messages.SUCCESS
            )
        return None
    confirmation = Confirmation(
        titre="Confirmer la signature",
        consequence=(
            "Chaque convention passe à l'état « signée » à la date choisie ; l'académie la signe électroniquement "
            "si un certificat est configuré. Vérifiez d'abord chaque convention déposée (lien ci-dessous) : la "
            "signature ne s'annule pas."
        ),
        bouton="Confirmer la signature",
        unite=("convention", "conventions"),
        lignes=[
            Ligne(
                str(c),
                c.participation,
                lien=reverse("admin:conventions_convention_exemplaire_signe", args=[c.pk]),
                lien_libelle=f"Convention déposée le {date_longue(timezone.localdate(c.date_retour))}"
                if c.date_retour
                else "Convention déposée",
            )
            for c in a_signer
        ],
        refus=refus,
        libelle_montant="Participation",
        form=form,
    )
    return page(modeladmin, request, queryset, "confirmer_signature", confirmation)


@dataclass(frozen=True)
class Extension:
    """What an app above conventions adds to the conventions' admin (the titres, from facturation), registered with
    `etendre()` from its own admin module, so that conventions names nothing of it."""

    actions: tuple[Callable, ...] = ()
    # "app_label.codename": the actions are offered only to those who hold it.
    permission: str = ""
    # Columns of the list: callables of a convention (with @admin.display), reading what `annoter` added.
    colonnes: tuple[Callable, ...] = ()
    annoter: Callable | None = None
    # Buttons on a convention's page: a callable of the convention giving (action name, label) pairs, each shown
    # only when the action is offered to the user.
    boutons: Callable | None = None


EXTENSIONS: list[Extension] = []


def etendre(extension: Extension) -> None:
    if extension not in EXTENSIONS:
        EXTENSIONS.append(extension)


@admin.register(Convention)
class ConventionAdmin(AcademieScopedAdmin, ConventionPdfAdminMixin, SimpleHistoryAdmin):
    actions = [
        envoyer_pour_signature_maintenant,
        envoyer_en_arriere_plan,
        remettre_en_brouillon,
        confirmer_signature,
    ]
    # State first, then what an agent decides from; the commune shows with the collectivité.
    list_display = ["etat_affiche", "reference", "collectivite_commune", "annee", "nb_ecoles", "participation_affichee"]
    academie_filter = "annee__academie"
    list_filter = ["annee", "etat", RetourFilter, EcolesNouvellesFilter, DepartementFilter, "collectivite__type"]
    search_fields = [
        "reference",
        "collectivite__nom",
        "collectivite__siren",
        "commune__nom",
        "commune__code_insee",
        "inscriptions__ecole__uai",
    ]
    list_select_related = ["annee", "collectivite", "commune"]
    autocomplete_fields = ["collectivite", "commune"]
    readonly_fields = [
        "reference",
        "etat",
        "participation_affichee",
        "pdf_convention",
        "document_sha256",
        "date_envoi",
        "exemplaire_signe_pdf",
        "exemplaire_signe_sha256",
        "date_retour",
        "controle_exemplaire",
        "signature_academie",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "annee", "collectivite", "commune", "etat", "participation_affichee"]}),
        (
            "Représentant de la collectivité",
            {"fields": ["representant_civilite", "representant_prenom", "representant_nom", "representant_qualite"]},
        ),
        ("Choix des écoles", {"fields": ["choix_ecoles_verrouille"]}),
        # The frozen file itself is downloaded through pdf_convention: media files are not served publicly.
        ("Envoi", {"fields": ["pdf_convention", "document_sha256", "date_envoi"]}),
        (
            "Signature",
            {
                "fields": [
                    "exemplaire_signe_pdf",
                    "exemplaire_signe_sha256",
                    "date_retour",
                    "controle_exemplaire",
                    "signature_academie",
                    "date_signature",
                    "lieu_signature",
                ]
            },
        ),
        ("Résiliation", {"fields": ["date_resiliation", "motif_resiliation"]}),
    ]
    inlines = [InscriptionInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).with_participation()
        for extension in EXTENSIONS:
            if extension.annoter is not None:
                queryset = extension.annoter(queryset)
        return queryset

    def get_list_display(self, request):
        return [*super().get_list_display(request), *(c for extension in EXTENSIONS for c in extension.colonnes)]

    # --- the workflow as buttons on the convention's own page ---
    def boutons(self, request, obj) -> list[tuple[str, str]]:
        """(action, label) for the next steps of this convention; each posts the list's action on this one object,
        through the same confirmation page."""
        boutons = {
            Convention.Etat.BROUILLON: [("envoyer_pour_signature_maintenant", "Envoyer pour signature")],
            Convention.Etat.ENVOYEE: [
                *([("confirmer_signature", "Confirmer la signature")] if obj.exemplaire_signe else []),
                ("remettre_en_brouillon", "Remettre en brouillon"),
            ],
        }.get(obj.etat, [])
        for extension in EXTENSIONS:
            if extension.boutons is not None:
                boutons = [*boutons, *extension.boutons(obj)]
        actions = self.get_actions(request)
        return [(action, label) for action, label in boutons if action in actions]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        extra_context = {**(extra_context or {}), "objet_name": OBJET}
        if obj is not None:
            extra_context["boutons"] = self.boutons(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def response_action(self, request, queryset):
        """An action posted from a convention's page comes back to that page once done."""
        response = super().response_action(request, queryset)
        objet = request.POST.get(OBJET, "")
        if objet.isdigit() and isinstance(response, HttpResponseRedirect):
            return HttpResponseRedirect(reverse("admin:conventions_convention_change", args=[objet]))
        return response

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            # The parties and the year are fixed once created; the rest is fixed once it left the draft.
            fields += ["annee", "collectivite", "commune"]
            if not obj.est_modifiable:
                fields += [
                    "representant_civilite",
                    "representant_prenom",
                    "representant_nom",
                    "representant_qualite",
                    "date_signature",
                    "lieu_signature",
                    "date_resiliation",
                    "motif_resiliation",
                ]
        return fields

    @admin.display(description="contrôle de la convention déposée")
    def controle_exemplaire(self, obj):
        """What documents/signatures.py found: who signed electronically and when, or a scan to check by eye."""
        if obj.exemplaire_signe_statut == StatutExemplaire.SIGNE_CONFORME:
            quand = timezone.localtime(obj.exemplaire_signe_signe_le) if obj.exemplaire_signe_signe_le else None
            return format_html(
                "{} : signée électroniquement par <strong>{}</strong>{}",
                obj.get_exemplaire_signe_statut_display(),
                obj.exemplaire_signe_signataire,
                f" le {quand:%d/%m/%Y à %H:%M}" if quand else "",
            )
        if obj.exemplaire_signe_statut == StatutExemplaire.SCAN_A_VERIFIER:
            return "Scan à vérifier : aucune signature électronique, contrôlez la signature manuscrite à l'œil."
        return "—"

    @admin.display(description="signature électronique de l'académie")
    def signature_academie(self, obj):
        if obj.document_signe:
            with obj.document_signe.open("rb") as stored:
                niveau = niveau_affiche(stored.read())
            if niveau:
                return f"Convention signée électroniquement par l'académie : {niveau}."
            return "Copie datée par le rectorat, sans signature électronique de l'académie."
        if not certificat_configure():
            return f"{SANS_CERTIFICAT}."
        return "—"

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not certificat_configure():
            self.message_user(
                request,
                f"{SANS_CERTIFICAT} (SIGNATURE_PKCS12_PATH et SIGNATURE_PKCS12_PASSPHRASE).",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="convention signée déposée (PDF)")
    def exemplaire_signe_pdf(self, obj):
        if not obj.exemplaire_signe:
            return "—"
        url = reverse("admin:conventions_convention_exemplaire_signe", args=[obj.pk])
        return format_html('<a href="{}">Télécharger la convention signée déposée</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.telecharger_exemplaire_signe)
        return [
            path("<int:pk>/exemplaire-signe/", view, name="conventions_convention_exemplaire_signe"),
            *super().get_urls(),
        ]

    def telecharger_exemplaire_signe(self, request, pk):
        """Media files are not served publicly: the signed copy goes through the admin's permission check."""
        convention = self.get_object(request, str(pk))
        if convention is None or not convention.exemplaire_signe:
            raise Http404("Aucune convention signée déposée.")
        if not self.has_view_permission(request, convention):
            raise PermissionDenied
        return FileResponse(
            convention.exemplaire_signe.open("rb"),
            as_attachment=True,
            filename=f"{convention.reference}-signee.pdf",
            content_type="application/pdf",
        )

    @admin.display(description="état", ordering="etat")
    def etat_affiche(self, obj):
        return obj.etat_affiche

    @admin.display(description="collectivité", ordering="collectivite__nom")
    def collectivite_commune(self, obj):
        return f"{obj.collectivite} ({obj.commune.nom})" if obj.commune_id else str(obj.collectivite)

    @admin.display(description="écoles", ordering="nb_ecoles_annot")
    def nb_ecoles(self, obj):
        return obj.nb_ecoles

    @admin.display(description="participation")
    def participation_affichee(self, obj):
        return euros(obj.participation) if obj.pk else "—"

    def has_delete_permission(self, request, obj=None):
        # A convention that left the draft state is a legal record: it can be terminated, never deleted.
        if obj is not None and not obj.est_modifiable:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # The bulk delete would bypass the per-object rule above.
        actions.pop("delete_selected", None)
        if self.actions is not None and not request.GET.get("_popup"):
            for extension in EXTENSIONS:
                if not extension.permission or request.user.has_perm(extension.permission):
                    for action in extension.actions:
                        func, name, description = self.get_action(action)
                        actions[name] = (func, name, description)
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.reference = reference_for(obj.annee, obj.collectivite, obj.commune)
        super().save_model(request, obj, form, change)
