"""Participation billing: titres de perception, their numbering counter, payments, reminders, per-académie settings.

A titre is a legal document. Everything it states is copied onto it when it is issued (the debtor, the schools, the
rate, the comptable...) and never read live afterwards; once issued it is never changed nor deleted (Python guards
here, a trigger in PostgreSQL); a mistake is corrected by a cancelling titre that refers to it.
"""

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import Exact
from django.utils import timezone
from simple_history.models import HistoricalRecords
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

from collectivites.models import for_agent
from collectivites.validators import validate_siret
from conventions.models import Academie, Convention
from documents.models import DocumentEmis, FichierAltere

ZERO = Decimal("0.00")
MONEY = {"max_digits": 12, "decimal_places": 2}


def validate_iban(value: str) -> None:
    try:
        stdnum_iban.validate(value or "")
    except StdnumValidationError as exc:
        raise ValidationError(
            "L'IBAN « %(value)s » est invalide (%(reason)s).",
            code="iban",
            params={"value": value, "reason": "clé de contrôle ou longueur incorrecte"},
        ) from exc


def validate_bic(value: str) -> None:
    try:
        stdnum_bic.validate(value or "")
    except StdnumValidationError as exc:
        raise ValidationError(
            "Le BIC « %(value)s » est invalide : 8 ou 11 caractères attendus (banque, pays, place, agence).",
            code="bic",
            params={"value": value},
        ) from exc


class TitreImmuable(Exception):
    """Raised on any attempt to change or delete an issued titre. The message is for users."""


class PdfTitreAltere(FichierAltere):
    """The stored PDF no longer matches the SHA-256 recorded at issue. The message is for users."""


class ParAcademieQuerySet(models.QuerySet):
    """Rows that belong to an académie through `academie_lookup`: scoped for rectorat agents by `for_user()`."""

    academie_lookup = "academie__code"

    def for_user(self, user):
        return for_agent(self, user, self.academie_lookup)


class ParTitreQuerySet(ParAcademieQuerySet):
    academie_lookup = "titre__academie__code"


class ParametresFacturation(models.Model):
    """Who issues the titres of an académie, who collects the money (the comptable assignataire) and how to pay."""

    academie = models.OneToOneField(
        Academie, verbose_name="académie", on_delete=models.CASCADE, related_name="parametres_facturation"
    )
    ordonnateur_nom = models.CharField("nom de l'ordonnateur", max_length=150, help_text="« Sophie Béjean »")
    ordonnateur_titre = models.CharField(
        "qualité de l'ordonnateur", max_length=250, help_text="« Rectrice de l'académie de Montpellier »"
    )
    siret = models.CharField(
        "SIRET du rectorat", max_length=14, validators=[validate_siret], help_text="Identifiant de l'émetteur."
    )
    comptable_nom = models.CharField(
        "comptable assignataire",
        max_length=250,
        help_text="« Direction régionale des finances publiques d'Occitanie et du département de la Haute-Garonne »",
    )
    comptable_adresse = models.TextField("adresse du comptable assignataire")
    titulaire_compte = models.CharField("titulaire du compte", max_length=150, help_text="« DRFIP OCCITANIE »")
    iban = models.CharField("IBAN", max_length=34, validators=[validate_iban])
    bic = models.CharField("BIC", max_length=11, validators=[validate_bic])
    delai_paiement_jours = models.PositiveSmallIntegerField(
        "délai de paiement (jours)", default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    history = HistoricalRecords()

    objects = ParAcademieQuerySet.as_manager()

    class Meta:
        verbose_name = "paramètres de facturation"
        verbose_name_plural = "paramètres de facturation"
        constraints = [
            models.CheckConstraint(condition=Q(delai_paiement_jours__gte=1), name="parametres_delai_paiement_positif"),
        ]

    def __str__(self):
        return f"Facturation – {self.academie}"

    def clean(self):
        # Stored compact (FR7630001007941234567890185), shown grouped by iban_affiche.
        self.iban = stdnum_iban.compact(self.iban or "")
        self.bic = stdnum_bic.compact(self.bic or "")

    @property
    def iban_affiche(self) -> str:
        return stdnum_iban.format(self.iban)


class CompteurTitres(models.Model):
    """The last number an académie gave in a budget year: each académie has its own ordonnateur, so its own
    sequence. Its row is locked while a titre is issued, so numbers have no gap."""

    academie = models.ForeignKey(Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="+")
    annee_budgetaire = models.PositiveSmallIntegerField("exercice budgétaire")
    dernier_numero = models.PositiveIntegerField("dernier numéro attribué", default=0)

    objects = ParAcademieQuerySet.as_manager()

    class Meta:
        verbose_name = "compteur de titres"
        verbose_name_plural = "compteurs de titres"
        constraints = [
            models.UniqueConstraint(fields=["academie", "annee_budgetaire"], name="compteur_unique_par_academie"),
        ]

    def __str__(self):
        return f"{self.academie} – {self.annee_budgetaire} : {self.dernier_numero}"


class TitreQuerySet(models.QuerySet):
    """States are derived from payments and cancellations, so they are annotations and filters, never stored."""

    # --- immutability: the bulk routes that would bypass Model.save()/delete() ---
    def update(self, **kwargs):
        raise TitreImmuable("Un titre de perception émis ne peut pas être modifié : émettez un titre d'annulation.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise TitreImmuable("Un titre de perception émis ne peut pas être modifié : émettez un titre d'annulation.")

    def delete(self):
        raise TitreImmuable("Un titre de perception émis ne peut pas être supprimé : émettez un titre d'annulation.")

    delete.queryset_only = True

    # --- scoping ---
    def for_user(self, user):
        if user.is_authenticated and user.is_staff:
            return for_agent(self, user, "academie__code")
        return self.filter(convention__in=Convention.objects.for_user(user))

    def for_annee_budgetaire(self, exercice: int):
        return self.filter(annee_budgetaire=exercice)

    # --- annotations (one query for a list, however long) ---
    def with_paiements(self):
        """Annotates what was paid and whether the titre was cancelled: etat and reste_a_payer then cost no query."""
        paye = (
            Paiement.objects.filter(titre=OuterRef("pk"))
            .order_by()
            .values("titre")
            .annotate(total=Sum("montant"))
            .values("total")
        )
        return self.annotate(
            montant_paye_annot=Coalesce(Subquery(paye), Value(ZERO), output_field=models.DecimalField(**MONEY)),
            est_annule_annot=Exists(TitreDePerception.objects.filter(annule=OuterRef("pk"))),
        )

    # --- kinds ---
    def hors_annulations(self):
        """Titres that claim money, as opposed to cancelling titres (`annulations()`); those cancelled since are in."""
        return self.filter(annule__isnull=True)

    def annulations(self):
        return self.filter(annule__isnull=False)

    def vivants(self):
        """Titres that claim money and were not cancelled: a convention has at most one."""
        return self.hors_annulations().filter(titre_annulation__isnull=True)

    # --- states (the vocabulary of TitreDePerception.Etat) ---
    def emis(self):
        """State « émis »: live and nothing paid yet."""
        return self.vivants().with_paiements().filter(montant_paye_annot=0)

    def partiellement_payes(self):
        return self.vivants().with_paiements().filter(montant_paye_annot__gt=0, montant_paye_annot__lt=F("montant"))

    def payes(self):
        return self.vivants().with_paiements().filter(montant_paye_annot__gte=F("montant"))

    def annules(self):
        return self.hors_annulations().filter(titre_annulation__isnull=False)

    def a_recouvrer(self):
        """Live titres with something left to pay (émis or partiellement payé)."""
        return self.vivants().with_paiements().filter(montant_paye_annot__lt=F("montant"))

    def en_retard(self, today: datetime.date | None = None):
        """Overdue: something left to pay after the due date."""
        return self.a_recouvrer().filter(date_echeance__lt=today or timezone.localdate())

    # --- the amounts owed, computed here only ---
    def montants(self, *champs: str, today: datetime.date | None = None) -> dict[tuple, dict]:
        """What the titres of this queryset claim, per group of `champs` (e.g. "debiteur_departement"): {group values:
        {"nb_emis", "emis", "nb_annules", "annules", "net", "paye", "reste", "nb_en_retard", "en_retard"}}.

        « émis » counts the titres that claim money (cancelling titres aside), « annulés » those cancelled since,
        « net » what is still claimed, « payé » the payments, « reste » and « en retard » what is left to pay on the
        live titres (overdue: after the due date). Three grouped queries, whatever the number of titres: joining
        titres and payments at once would count a titre once per payment.
        """
        today = today or timezone.localdate()
        titres = self.hors_annulations()
        resultat: dict[tuple, dict] = {}

        def ligne(row: dict) -> dict:
            return resultat.setdefault(tuple(row[champ] for champ in champs), montants_vides())

        annule = Q(titre_annulation__isnull=False)
        for row in (
            titres.values(*champs)
            .order_by()
            .annotate(
                nb_emis=Count("pk"),
                emis=Sum("montant"),
                nb_annules=Count("pk", filter=annule),
                annules=Coalesce(Sum("montant", filter=annule), Value(ZERO)),
            )
        ):
            ligne(row).update({key: row[key] for key in ("nb_emis", "emis", "nb_annules", "annules")})
        paiements = Paiement.objects.filter(titre__in=titres).values(*(f"titre__{champ}" for champ in champs))
        for row in paiements.order_by().annotate(total=Sum("montant")):
            ligne({champ: row[f"titre__{champ}"] for champ in champs})["paye"] = row["total"]
        du = F("montant") - F("montant_paye_annot")
        retard = Q(date_echeance__lt=today)
        for row in (
            titres.a_recouvrer()
            .values(*champs)
            .order_by()
            .annotate(reste=Sum(du), nb_en_retard=Count("pk", filter=retard), en_retard=Sum(du, filter=retard))
        ):
            ligne(row).update(reste=row["reste"], nb_en_retard=row["nb_en_retard"], en_retard=row["en_retard"] or ZERO)
        for valeurs in resultat.values():
            valeurs["net"] = valeurs["emis"] - valeurs["annules"]
        return resultat


def montants_vides() -> dict:
    """The figures of TitreQuerySet.montants() for a group without titres (and to add groups up into a total)."""
    return {key: 0 if key.startswith("nb_") else ZERO for key in CHAMPS_MONTANTS}


CHAMPS_MONTANTS = ("nb_emis", "emis", "nb_annules", "annules", "net", "paye", "reste", "nb_en_retard", "en_retard")


def titre_upload_to(titre: "TitreDePerception", filename: str) -> str:
    # A random name (192 bits): it cannot be guessed, and it is never the number's, which a rolled-back issuing
    # gives back to the next titre.
    return f"titres/{titre.annee_budgetaire}/{secrets.token_urlsafe(24)}.pdf"


class TitreDePerception(DocumentEmis):
    """An order to pay issued by the rectorat after signature; what it states is frozen at issue.

    An issued document (documents.models.DocumentEmis): its PDF, the PDF's SHA-256, its verification code (printed
    with a QR code; /verifier/ finds the titre by it) and its date of issue."""

    champ_fichier = "pdf"
    champ_empreinte = "pdf_sha256"
    champ_emission = "date_emission"
    erreur_alteration = PdfTitreAltere

    class Etat(models.TextChoices):
        EMIS = "emis", "Émis"
        PARTIELLEMENT_PAYE = "partiellement_paye", "Partiellement payé"
        PAYE = "paye", "Payé"
        ANNULE = "annule", "Annulé"

    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.PROTECT, related_name="titres"
    )
    # The issuing académie, the convention's, copied at issue: the database numbers titres per académie with it.
    academie = models.ForeignKey(
        Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="+", editable=False
    )
    numero = models.CharField("numéro", max_length=12, help_text="« 2022-000123 »")
    annee_budgetaire = models.PositiveSmallIntegerField("exercice budgétaire", db_index=True)
    sequence = models.PositiveIntegerField("rang dans l'exercice")
    # A cancelling titre (titre d'annulation) points to the titre it cancels; a titre is cancelled at most once.
    annule = models.OneToOneField(
        "self",
        verbose_name="titre annulé",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="titre_annulation",
    )
    motif_annulation = models.TextField("motif de l'annulation", blank=True)
    date_emission = models.DateField("date d'émission")
    date_echeance = models.DateField("date d'échéance", null=True, blank=True)
    montant = models.DecimalField("montant (€)", **MONEY, help_text="Négatif pour un titre d'annulation.")
    montant_en_lettres = models.CharField("montant en lettres", max_length=300)

    # Object and bases of liquidation, frozen.
    objet = models.CharField("objet", max_length=300)
    convention_reference = models.CharField("référence de la convention", max_length=40)
    convention_date_signature = models.DateField("date de signature de la convention", null=True)
    annee_scolaire = models.CharField("année scolaire", max_length=9)
    tarif_par_ecole = models.DecimalField("participation par école (€ TTC)", max_digits=8, decimal_places=2)
    nb_ecoles = models.PositiveIntegerField("nombre d'écoles")
    ecoles = models.JSONField("écoles (UAI et nom)", default=list, help_text='[{"uai": "0110422Z", "nom": "…"}]')

    # Issuer, frozen.
    emetteur_nom = models.CharField("émetteur", max_length=100)
    emetteur_adresse = models.CharField("adresse de l'émetteur", max_length=250)
    emetteur_code_postal = models.CharField("code postal de l'émetteur", max_length=10)
    emetteur_ville = models.CharField("ville de l'émetteur", max_length=100)
    lieu_emission = models.CharField("lieu d'émission", max_length=100)
    emetteur_siret = models.CharField("SIRET de l'émetteur", max_length=14)
    # The stored name of the académie's logo at issue (Academie.logo): a logo changed since is another file.
    emetteur_logo = models.CharField("logo de l'émetteur", max_length=200, blank=True)
    ordonnateur_nom = models.CharField("ordonnateur", max_length=150)
    ordonnateur_titre = models.CharField("qualité de l'ordonnateur", max_length=250)

    # Debtor, frozen.
    debiteur_nom = models.CharField("débiteur", max_length=200)
    debiteur_commune = models.CharField("commune", max_length=150, blank=True)
    debiteur_adresse = models.CharField("adresse du débiteur", max_length=250)
    debiteur_code_postal = models.CharField("code postal", max_length=5)
    debiteur_ville = models.CharField("ville", max_length=100)
    debiteur_departement = models.CharField("département", max_length=3, db_index=True)
    debiteur_siren = models.CharField("SIREN", max_length=9)
    debiteur_siret = models.CharField("SIRET", max_length=14, blank=True)
    debiteur_code_service_chorus = models.CharField("code service Chorus Pro", max_length=100, blank=True)
    debiteur_numero_engagement = models.CharField("numéro d'engagement", max_length=50, blank=True)

    # Comptable assignataire and how to pay, frozen.
    comptable_nom = models.CharField("comptable assignataire", max_length=250)
    comptable_adresse = models.TextField("adresse du comptable")
    titulaire_compte = models.CharField("titulaire du compte", max_length=150)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)

    # The document as issued: bytes on storage, and their fingerprint to prove they never changed.
    pdf = models.FileField("titre (PDF)", upload_to=titre_upload_to, max_length=200)
    pdf_sha256 = models.CharField("empreinte SHA-256 du PDF", max_length=64)
    emis_le = models.DateTimeField("émis le", default=timezone.now)
    emis_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="émis par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = TitreQuerySet.as_manager()

    class Meta:
        verbose_name = "titre de perception"
        verbose_name_plural = "titres de perception"
        ordering = ["-annee_budgetaire", "-sequence"]
        # The admin list's date hierarchy and filters read these columns over every titre of the country: from an
        # index they are read without the (wide) rows.
        indexes = [
            models.Index(fields=["date_emission"], name="titre_date_emission_idx"),
            models.Index(fields=["annee_scolaire"], name="titre_annee_scolaire_idx"),
        ]
        permissions = [
            ("emettre_titre", "Peut émettre et annuler des titres de perception"),
            ("exporter_titres", "Peut exporter les titres de perception"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["academie", "annee_budgetaire", "sequence"],
                name="titre_numero_unique_par_exercice",
                violation_error_message="Ce numéro de titre est déjà attribué pour cet exercice.",
            ),
            models.UniqueConstraint(fields=["academie", "numero"], name="titre_numero_unique_par_academie"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="titre_sequence_positive"),
            # A titre claims a positive amount and has a due date; a cancelling titre is negative.
            models.CheckConstraint(
                condition=(Q(annule__isnull=True, montant__gt=0, date_echeance__isnull=False))
                | Q(annule__isnull=False, montant__lt=0),
                name="titre_montant_signe",
                violation_error_message="Un titre a un montant positif et une échéance ; une annulation, un montant "
                "négatif.",
            ),
            models.CheckConstraint(
                condition=Q(date_echeance__isnull=True) | Q(date_echeance__gte=F("date_emission")),
                name="titre_echeance_apres_emission",
            ),
            # A titre never exists without its document.
            models.CheckConstraint(condition=Q(~Q(pdf=""), Exact(Length("pdf_sha256"), 64)), name="titre_avec_pdf"),
        ]

    def __str__(self):
        return f"Titre n° {self.numero}"

    # --- immutability ---
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TitreImmuable(
                f"Le titre n° {self.numero} est émis : il ne peut pas être modifié. Émettez un titre d'annulation."
            )
        if self.academie_id is None:
            self.academie_id = self.convention.annee.academie_id
        # Never an UPDATE, even if a primary key was set by hand.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TitreImmuable(
            f"Le titre n° {self.numero} est émis : il ne peut pas être supprimé. Émettez un titre d'annulation."
        )

    # --- derived state ---
    @property
    def est_annulation(self) -> bool:
        return self.annule_id is not None

    @property
    def est_annule(self) -> bool:
        annotated = getattr(self, "est_annule_annot", None)
        if annotated is not None:
            return annotated
        return TitreDePerception.objects.filter(annule=self.pk).exists()

    @property
    def montant_paye(self) -> Decimal:
        annotated = getattr(self, "montant_paye_annot", None)
        if annotated is not None:
            return annotated
        return self.paiements.aggregate(total=Coalesce(Sum("montant"), Value(ZERO)))["total"]

    @property
    def reste_a_payer(self) -> Decimal:
        if self.est_annulation or self.est_annule:
            return ZERO
        return max(self.montant - self.montant_paye, ZERO)

    @property
    def etat(self) -> str:
        """A cancelling titre is itself « émis »: it claims nothing and is never paid."""
        if self.est_annulation:
            return self.Etat.EMIS
        if self.est_annule:
            return self.Etat.ANNULE
        paye = self.montant_paye
        if paye >= self.montant:
            return self.Etat.PAYE
        return self.Etat.PARTIELLEMENT_PAYE if paye > 0 else self.Etat.EMIS

    @property
    def etat_libelle(self) -> str:
        return self.Etat(self.etat).label

    @property
    def nature_libelle(self) -> str:
        return "Titre d'annulation" if self.est_annulation else "Titre de perception"

    def est_en_retard(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.date_echeance is not None and self.date_echeance < today and self.reste_a_payer > 0

    # « En retard » is derived from the local date, like en_retard() above; the admin, the portal, the e-mails and
    # the exports all read these two, so that a titre past due never reads « à payer » in one place only.
    def etat_du_jour(self, today: datetime.date | None = None) -> str:
        """The state key people look for: `en_retard` when past due with something left to pay, else `etat`."""
        return "en_retard" if self.est_en_retard(today) else self.etat

    @property
    def etat_affiche(self) -> str:
        """ "En retard", "Partiellement payé, en retard", else the state's label."""
        if self.etat_du_jour() == "en_retard":
            return "Partiellement payé, en retard" if self.montant_paye > 0 else "En retard"
        return self.etat_libelle

    @property
    def debiteur_adresse_complete(self) -> str:
        return f"{self.debiteur_adresse} {self.debiteur_code_postal} {self.debiteur_ville}"

    @property
    def iban_affiche(self) -> str:
        return stdnum_iban.format(self.iban)

    @property
    def nom_fichier(self) -> str:
        return f"titre-{self.numero}.pdf"

    @property
    def designation_document(self) -> str:
        return f"du titre n° {self.numero}"


class Paiement(models.Model):
    """Money received by the comptable for a titre."""

    class Moyen(models.TextChoices):
        VIREMENT = "virement", "Virement"
        CHEQUE = "cheque", "Chèque"
        PRELEVEMENT = "prelevement", "Prélèvement"
        COMPENSATION = "compensation", "Compensation"
        AUTRE = "autre", "Autre"

    titre = models.ForeignKey(
        TitreDePerception, verbose_name="titre", on_delete=models.PROTECT, related_name="paiements"
    )
    date = models.DateField("date du paiement")
    montant = models.DecimalField("montant (€)", **MONEY)
    moyen = models.CharField("moyen de paiement", max_length=20, choices=Moyen.choices, default=Moyen.VIREMENT)
    reference = models.CharField("référence", max_length=100, help_text="Référence du virement, n° du chèque…")
    enregistre_le = models.DateTimeField("enregistré le", auto_now_add=True)
    enregistre_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="enregistré par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = ParTitreQuerySet.as_manager()

    class Meta:
        verbose_name = "paiement"
        verbose_name_plural = "paiements"
        ordering = ["-date", "-pk"]
        # The list's order and its date hierarchy, without sorting or reading every payment.
        indexes = [models.Index(fields=["date", "id"], name="paiement_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(montant__gt=0),
                name="paiement_montant_positif",
                violation_error_message="Le montant d'un paiement doit être positif.",
            ),
        ]

    def __str__(self):
        return f"Paiement du {self.date:%d/%m/%Y} – titre n° {self.titre.numero}"


class Relance(models.Model):
    """A reminder e-mail sent for an overdue titre: kept as the trace of the follow-up."""

    titre = models.ForeignKey(
        TitreDePerception, verbose_name="titre", on_delete=models.PROTECT, related_name="relances"
    )
    envoyee_le = models.DateTimeField("envoyée le", default=timezone.now)
    # The addresses the reminder went to (collectivites.destinataires), comma-separated as on Notification.
    destinataires = models.TextField("destinataires")
    reste_a_payer = models.DecimalField("reste à payer à la date de la relance (€)", **MONEY)
    envoyee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="envoyée par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ParTitreQuerySet.as_manager()

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["-envoyee_le"]

    def __str__(self):
        return f"Relance du {timezone.localtime(self.envoyee_le):%d/%m/%Y} – titre n° {self.titre.numero}"
