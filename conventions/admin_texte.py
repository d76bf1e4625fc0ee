"""The convention text in the admin: an agent edits the campaign's version (its articles inline), previews it as a
PDF, and, once a convention of the campaign is sent, gets the version read-only and a button for the next one."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from collectivites.scoping import AcademieScopedAdmin
from documents.formats import date_longue
from documents.texte import ChampsTexteProteges

from .documents import apercu_texte
from .models import AnneeScolaire, ArticleConvention, TexteConvention
from .texte import CHAMPS, LIEUX, lieu_article, nouvelle_version, texte_de_campagne, verifier


class TexteConventionForm(ChampsTexteProteges, forms.ModelForm):
    class Meta:
        model = TexteConvention
        fields = ["academie", "annee", "titre", "clause_nb", "titre_preambule", "preambule", "titre_annexe"]

    def clean(self):
        cleaned = super().clean()
        for champ, (lieu, connus) in LIEUX.items():
            try:
                verifier(cleaned.get(champ) or "", lieu, connus)
            except ValidationError as exc:
                self.add_error(champ, exc)
        annee, academie = cleaned.get("annee"), cleaned.get("academie")
        if annee is not None and academie is not None and annee.academie_id != academie.pk:
            self.add_error("annee", f"L'année {annee} est une campagne de {annee.academie}, pas de {academie}.")
        return cleaned


class ArticleForm(ChampsTexteProteges, forms.ModelForm):
    class Meta:
        model = ArticleConvention
        fields = ["ordre", "numero", "titre", "corps"]
        widgets = {"corps": forms.Textarea(attrs={"rows": 6, "cols": 100})}

    def clean(self):
        cleaned = super().clean()
        lieu = lieu_article(cleaned.get("numero", ""))
        for champ in ("titre", "corps"):
            try:
                verifier(cleaned.get(champ) or "", lieu)
            except ValidationError as exc:
                self.add_error(champ, exc)
        return cleaned


class ArticleInline(admin.StackedInline):
    model = ArticleConvention
    form = ArticleForm
    extra = 0
    ordering = ["ordre", "pk"]

    def _modifiable(self, obj) -> bool:
        return obj is None or not obj.est_fige

    def has_add_permission(self, request, obj=None):
        return self._modifiable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._modifiable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._modifiable(obj) and super().has_delete_permission(request, obj)


class CampagneForm(forms.Form):
    annee = forms.ModelChoiceField(
        AnneeScolaire.objects.none(),
        label="Année scolaire",
        help_text="Le texte part de la version de la campagne précédente de l'académie (ou du texte de 2021-2022).",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        annees = AnneeScolaire.objects.for_user(user) if user else AnneeScolaire.objects.none()
        sans_texte = annees.filter(texte_convention__isnull=True).select_related("academie")
        self.fields["annee"].queryset = sans_texte


@admin.register(TexteConvention)
class TexteConventionAdmin(AcademieScopedAdmin, SimpleHistoryAdmin):
    form = TexteConventionForm
    inlines = [ArticleInline]
    list_display = ["__str__", "academie", "annee", "version", "etat"]
    academie_filter = "academie"
    list_select_related = ["academie", "annee"]
    readonly_fields = ["version", "fige_le"]
    fieldsets = [
        (None, {"fields": ["academie", "annee", "version", "fige_le"]}),
        ("Texte", {"fields": ["titre", "clause_nb", "titre_preambule", "preambule", "titre_annexe"]}),
    ]

    @admin.display(description="état")
    def etat(self, obj):
        if obj.est_fige:
            return f"Figée le {date_longue(obj.fige_le.date())}"
        return "Modifiable"

    def has_change_permission(self, request, obj=None):
        # A frozen version is shown read-only: a convention was sent with it (see conventions.texte).
        return super().has_change_permission(request, obj) and not (obj is not None and obj.est_fige)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.est_fige)

    def get_urls(self):
        vue = self.admin_site.admin_view
        return [
            path("<int:pk>/apercu/", vue(self.apercu), name="conventions_texteconvention_apercu"),
            path(
                "<int:pk>/nouvelle-version/",
                vue(self.creer_nouvelle_version),
                name="conventions_texteconvention_nouvelle_version",
            ),
            *super().get_urls(),
        ]

    def _version(self, request, pk) -> TexteConvention:
        version = self.get_queryset(request).filter(pk=pk).first()
        if version is None or not self.has_view_permission(request, version):
            raise Http404
        return version

    def apercu(self, request, pk):
        """The PDF this version prints, on the first convention of its campaign or on an example."""
        filename, content_type, pdf = apercu_texte(self._version(request, pk))
        response = HttpResponse(pdf, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    def creer_nouvelle_version(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        version = self._version(request, pk)
        if not self.has_add_permission(request):
            raise PermissionDenied
        suivante = nouvelle_version(version)
        messages.success(
            request,
            f"Version {suivante.version} : modifiez-la ici. "
            + (
                f"Elle servira aux conventions de {suivante.annee}."
                if suivante.annee_id
                else "Elle servira à la prochaine campagne de l'académie, à sa préparation."
            ),
        )
        return HttpResponseRedirect(reverse("admin:conventions_texteconvention_change", args=[suivante.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        """A new version is made for a campaign that has none, from the text its conventions would print today."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CampagneForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            version = texte_de_campagne(form.cleaned_data["annee"])
            messages.success(request, f"{version} créé : modifiez-le ici.")
            return HttpResponseRedirect(reverse("admin:conventions_texteconvention_change", args=[version.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Texte de la convention d'une campagne",
            "form": form,
        }
        return TemplateResponse(request, "admin/conventions/texteconvention/ajouter.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "champs": [("{{ " + nom + " }}", description) for nom, description in CHAMPS.items()],
        }
        if version is not None and version.est_fige:
            messages.info(
                request,
                format_html(
                    "Cette version est figée depuis le {} : des conventions de {} ont été envoyées avec ce texte, qui "
                    "ne peut plus changer. Pour la campagne suivante, créez une nouvelle version.",
                    date_longue(version.fige_le.date()),
                    version.annee,
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if change:
            # Locked against the first sending of the campaign (conventions.texte.figer_pour_envoi): whichever
            # comes second sees the other's result.
            if TexteConvention.objects.select_for_update().filter(pk=obj.pk, fige_le__isnull=False).exists():
                raise PermissionDenied("Cette version vient d'être figée par l'envoi d'une convention.")
        else:
            derniere = TexteConvention.objects.filter(academie=obj.academie).order_by("-version").first()
            obj.version = (derniere.version if derniere else 0) + 1
        super().save_model(request, obj, form, change)
