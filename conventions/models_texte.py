"""The convention's text as data: one version per académie and campaign, frozen once a convention of the campaign
has been sent (conventions.texte renders it, conventions.admin_texte edits it)."""

from django.db import models

from .models import Academie, AnneeScolaire

AIDE_LIGNE = (
    "Les chiffres de chaque convention s'écrivent entre doubles accolades, par exemple {{ annee }} (la liste est en "
    "tête de page) ; le texte est imprimé tel quel, sans HTML."
)
AIDE_CHAMPS = (
    "Les paragraphes sont séparés par une ligne vide. Les chiffres de chaque convention s'écrivent entre doubles "
    "accolades, par exemple {{ collectivite }} ou {{ montant }} (la liste est en tête de page). Le texte est imprimé "
    "tel quel : ni HTML ni code de gabarit, les espaces insécables avant « : ; ! ? » et dans les guillemets sont "
    "ajoutées à l'impression, « 1er » s'imprime en exposant."
)


class TexteConventionQuerySet(models.QuerySet):
    def figes(self):
        return self.filter(fige_le__isnull=False)

    def modifiables(self):
        return self.filter(fige_le__isnull=True)


class TexteConvention(models.Model):
    """What a campaign's conventions say besides their figures. Once frozen, PostgreSQL refuses any change of the
    row or of its articles (migration 0009): a new wording is a new version, for a campaign still to come."""

    academie = models.ForeignKey(
        Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="textes_convention"
    )
    # Empty for a version prepared for the académie's next campaign: `prepare_annee` attaches it.
    annee = models.OneToOneField(
        AnneeScolaire,
        verbose_name="année scolaire",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="texte_convention",
        help_text="Vide pour une version préparée pour la prochaine campagne : la préparation de l'année la reprend.",
    )
    version = models.PositiveIntegerField("version", editable=False)
    titre = models.TextField("titre", help_text="Chaque ligne est une ligne du titre imprimé. " + AIDE_LIGNE)
    clause_nb = models.TextField("clause NB", blank=True, help_text="Imprimée sous les parties. " + AIDE_CHAMPS)
    titre_preambule = models.CharField("titre du préambule", max_length=100, default="PREAMBULE")
    preambule = models.TextField("préambule", blank=True, help_text=AIDE_CHAMPS)
    titre_annexe = models.CharField(
        "titre de l'annexe 1",
        max_length=250,
        help_text="Imprimé après « ANNEXE 1 - » et repris par {{ titre_annexe }}. " + AIDE_LIGNE,
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    fige_le = models.DateTimeField("figée le", null=True, blank=True, editable=False)

    objects = TexteConventionQuerySet.as_manager()

    class Meta:
        verbose_name = "texte de la convention"
        verbose_name_plural = "textes de la convention"
        ordering = ["academie", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["academie", "version"], name="texte_convention_version_unique"),
        ]

    def __str__(self):
        annee = f", {self.annee.libelle}" if self.annee_id else ", prochaine campagne"
        return f"Texte de la convention – {self.academie.nom}, version {self.version}{annee}"

    @property
    def est_fige(self) -> bool:
        return self.fige_le is not None


class ArticleConvention(models.Model):
    texte = models.ForeignKey(TexteConvention, verbose_name="texte", on_delete=models.CASCADE, related_name="articles")
    ordre = models.PositiveSmallIntegerField("ordre")
    numero = models.CharField(
        "numéro",
        max_length=10,
        help_text="« 3 » s'imprime « ARTICLE 3 – titre » ; « 2.1 » (avec un point) « Article 2.1 titre ».",
    )
    titre = models.CharField("titre", max_length=250)
    corps = models.TextField("texte", help_text=AIDE_CHAMPS)

    class Meta:
        verbose_name = "article"
        verbose_name_plural = "articles"
        ordering = ["ordre", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["texte", "numero"], name="article_convention_numero_unique"),
        ]

    def __str__(self):
        return f"Article {self.numero}"

    @property
    def est_sous_article(self) -> bool:
        return "." in self.numero

    @property
    def intitule(self) -> str:
        """ "ARTICLE 1 – Objet de la convention", "Article 2.1 Équipement …", as the 2021-2022 text heads them."""
        if self.est_sous_article:
            return f"Article {self.numero} {self.titre}"
        return f"ARTICLE {self.numero} – {self.titre}"
