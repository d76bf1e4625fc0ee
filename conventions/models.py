import datetime
import re
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from collectivites.academies import CHOIX_ACADEMIES
from collectivites.destinataires import Correspondant
from collectivites.models import Civilite, Collectivite, Commune, for_agent
from documents.logos import extension_logo, valider_logo
from documents.models import DocumentEmis
from ecoles.models import Ecole
from jobs.models import Item, Job, TypeEnregistre, compteurs

LIBELLE_ANNEE_RE = re.compile(r"^(\d{4})-(\d{4})$")


def validate_libelle_annee(value: str) -> None:
    match = LIBELLE_ANNEE_RE.match(value or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValidationError(
            "L'année scolaire « %(value)s » est invalide : le format attendu est AAAA-AAAA, deux années qui se "
            "suivent (par exemple 2021-2022).",
            code="libelle_annee",
            params={"value": value},
        )


class AcademieQuerySet(models.QuerySet):
    def for_user(self, user):
        return for_agent(self, user, "code")

    def get_by_natural_key(self, code):
        return self.get(code=code)


def logo_upload_to(academie: "Academie", filename: str) -> str:
    # A new name for each upload: a titre issued with the previous logo keeps pointing to its file
    # (TitreDePerception.emetteur_logo), and a cached copy of it (documents.logos) never goes stale. The extension
    # is the content's (checked as PNG or JPEG by valider_logo), never the one typed in the uploaded name.
    logo = academie.logo
    # The upload being saved is the field's file when a form assigned it (not yet committed to storage); saved by
    # FieldFile.save() instead, only its name is known here.
    if logo and not logo._committed:
        extension = extension_logo(logo)
    else:
        extension = "png" if filename.lower().endswith(".png") else "jpg"
    return f"academies/{academie.code}/logo-{secrets.token_urlsafe(12)}.{extension}"


class Academie(models.Model):
    """The académie's identity: printed on its conventions and titres, at the foot of its e-mails and on the portal
    pages of its collectivités. Edited by a national role only (conventions.change_academie). The tenant: its
    collectivités are those of its départements (`Collectivite.academie`, the national table)."""

    nom = models.CharField("nom", max_length=100, help_text="« Académie de Montpellier »")
    code = models.CharField(
        "code académie", max_length=2, unique=True, choices=CHOIX_ACADEMIES, help_text="11 pour Montpellier"
    )
    adresse = models.CharField("adresse", max_length=250, help_text="« 31, rue de l'Université »")
    code_postal = models.CharField("code postal", max_length=10, help_text="« 34 064 »")
    ville = models.CharField("ville", max_length=100, help_text="« MONTPELLIER Cedex 2 »")
    ville_signature = models.CharField("lieu de signature des conventions", max_length=100)
    logo = models.ImageField(
        "logo",
        upload_to=logo_upload_to,
        blank=True,
        max_length=200,
        validators=[valider_logo],
        help_text="Imprimé en tête des conventions et des titres, et affiché sur l'espace des collectivités. "
        "Image PNG ou JPEG de 500 Ko au plus.",
    )
    telephone = models.CharField(
        "téléphone du service", max_length=30, blank=True, help_text="Affiché aux collectivités : « 04 67 91 47 00 »"
    )
    site_internet = models.URLField("site internet", blank=True, help_text="« https://www.ac-montpellier.fr »")
    # Named at the foot of every e-mail to the collectivités, and their Reply-To: they answer a person, not a robot.
    correspondant_nom = models.CharField(
        "personne ou service à qui répondre",
        max_length=150,
        default="Le service ENT-école du rectorat",
        help_text="Nommé dans chaque e-mail envoyé aux collectivités, par exemple « Service ENT-école – DANE ».",
    )
    correspondant_email = models.EmailField(
        "adresse e-mail de réponse",
        blank=True,
        help_text="Les réponses des collectivités aux e-mails de la campagne arrivent à cette adresse.",
    )
    history = HistoricalRecords()

    objects = AcademieQuerySet.as_manager()

    class Meta:
        verbose_name = "académie"
        verbose_name_plural = "académies"
        ordering = ["nom"]

    def __str__(self):
        return self.nom

    def natural_key(self):
        return (self.code,)

    @property
    def adresse_complete(self) -> str:
        return f"{self.adresse} {self.code_postal} - {self.ville}"

    @property
    def designation(self) -> str:
        """ "académie de Montpellier", as a sentence names it after "le rectorat de l'"."""
        return self.nom[:1].lower() + self.nom[1:]

    @property
    def site_internet_court(self) -> str:
        """ "ac-montpellier.fr": the address as a link shows it."""
        return self.site_internet.split("://", 1)[-1].removeprefix("www.").rstrip("/")

    @property
    def correspondant(self) -> Correspondant:
        return Correspondant(self.correspondant_nom, self.correspondant_email, self.designation)

    @classmethod
    def de_collectivite(cls, collectivite: Collectivite) -> "Academie | None":
        """The académie of the collectivité's département, if it is set up in this deployment."""
        return cls.objects.filter(code=collectivite.academie).first()

    @classmethod
    def correspondant_de(cls, collectivite: Collectivite) -> Correspondant | None:
        academie = cls.de_collectivite(collectivite)
        return academie.correspondant if academie else None


class AnneeScolaireQuerySet(models.QuerySet):
    def for_user(self, user):
        return for_agent(self, user, "academie__code")

    def get_by_natural_key(self, code_academie, libelle):
        return self.get(academie__code=code_academie, libelle=libelle)

    def par_libelle(self, libelle: str, academie: str = "", option: str = "--annee"):
        """The campaign « 2022-2023 » of the académie coded `academie`, which may be left out when only one académie
        has that year. Raises AnneeScolaire.DoesNotExist or MultipleObjectsReturned with a message for users, naming
        the command's `option`."""
        annees = self.filter(libelle=libelle)
        if academie:
            annees = annees.filter(academie__code=academie)
        trouvees = list(annees.select_related("academie")[:2])
        if not trouvees:
            dans = f" pour l'académie {academie}" if academie else ""
            raise AnneeScolaire.DoesNotExist(f"L'année scolaire {libelle} ({option}) n'existe pas{dans}.")
        if len(trouvees) > 1:
            raise AnneeScolaire.MultipleObjectsReturned(
                f"L'année scolaire {libelle} ({option}) existe dans plusieurs académies : précisez laquelle "
                "(--academie 11)."
            )
        return trouvees[0]


class AnneeScolaire(models.Model):
    academie = models.ForeignKey(Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="annees")
    libelle = models.CharField("année scolaire", max_length=9, validators=[validate_libelle_annee])
    tarif_par_ecole = models.DecimalField(
        "participation par école (€ TTC)",
        max_digits=8,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    signataire_prenom = models.CharField("prénom du signataire de l'académie", max_length=100)
    signataire_nom = models.CharField("nom du signataire de l'académie", max_length=100)
    signataire_titre = models.TextField(
        "titre du signataire",
        help_text="« Rectrice de la région académique Occitanie, rectrice de l'académie de Montpellier, "
        "chancelière des universités »",
    )
    history = HistoricalRecords()

    objects = AnneeScolaireQuerySet.as_manager()

    class Meta:
        verbose_name = "année scolaire"
        verbose_name_plural = "années scolaires"
        ordering = ["-libelle", "academie__nom"]
        constraints = [
            models.CheckConstraint(condition=models.Q(tarif_par_ecole__gte=0), name="annee_tarif_positif"),
            # The campaign is (académie, school year): each académie has its own rate, signatory and conventions.
            models.UniqueConstraint(fields=["academie", "libelle"], name="annee_unique_par_academie"),
        ]

    def __str__(self):
        return self.libelle

    def natural_key(self):
        return (self.academie.code, self.libelle)

    natural_key.dependencies = ["conventions.academie"]

    @property
    def premiere_annee(self) -> int:
        return int(self.libelle[:4])

    @property
    def rentree(self) -> datetime.date:
        """1 September of the first year: the day the previous year's conventions end (Article 3)."""
        return datetime.date(self.premiere_annee, 9, 1)

    @property
    def rentree_precedente(self) -> datetime.date:
        """A school opened on or after this day is new to this year's conventions."""
        return datetime.date(self.premiere_annee - 1, 9, 1)

    @property
    def date_fin(self) -> datetime.date:
        """Article 3: the convention ends on 1 September of the second calendar year."""
        return datetime.date(self.premiere_annee + 1, 9, 1)

    @property
    def signataire(self) -> str:
        return f"{self.signataire_prenom} {self.signataire_nom}"

    def motif_tarif_verrouille(self) -> str:
        """Why the rate can no longer change (in French, for the admin), or "" while every convention is a draft:
        the conventions sent state it in their PDF and are billed by it."""
        if self.pk is None:
            return ""
        nb = self.conventions.exclude(etat=Convention.Etat.BROUILLON).count()
        if not nb:
            return ""
        envoyees = "convention a été envoyée" if nb == 1 else "conventions ont été envoyées"
        return (
            f"La participation par école de {self.libelle} ne peut plus être modifiée : {nb} {envoyees} pour "
            "signature avec ce montant, qui figure dans leur PDF et sur leurs titres. Pour une autre participation, "
            "remettez d'abord ces conventions en brouillon."
        )


class ConventionQuerySet(models.QuerySet):
    def for_user(self, user):
        """What a user may see: the conventions of his académies for rectorat staff, their collectivité's for a
        portal account."""
        if user.is_authenticated and user.is_staff:
            return for_agent(self, user, "annee__academie__code")
        return self.filter(collectivite__in=Collectivite.objects.for_user(user))

    def for_annee(self, annee):
        return self.filter(annee=annee)

    def brouillons(self):
        return self.filter(etat=Convention.Etat.BROUILLON)

    def envoyees(self):
        return self.filter(etat=Convention.Etat.ENVOYEE)

    def signees(self):
        return self.filter(etat=Convention.Etat.SIGNEE)

    def avec_ecoles_nouvelles(self):
        """Drafts with a school to propose that opened since the previous rentrée (Convention.ecoles_nouvelles, in
        SQL): one condition per school year, since "since the previous rentrée" depends on the year."""
        condition = models.Q(pk__in=[])
        for annee in AnneeScolaire.objects.filter(pk__in=self.values("annee")):
            inscrites = Inscription.objects.filter(annee=annee).values("ecole")
            nouvelles = (
                Ecole.objects.inscriptibles().ouvertes_depuis(annee.rentree_precedente).exclude(pk__in=inscrites)
            )
            # The communes a convention covers (Convention.communes_couvertes): its own commune when it names one,
            # else the grouping's members or the commune that is the collectivité.
            par_commune = nouvelles.filter(commune=models.OuterRef("commune"))
            par_collectivite = nouvelles.filter(
                models.Q(commune__groupement=models.OuterRef("collectivite"))
                | models.Q(commune__collectivite_commune=models.OuterRef("collectivite"))
            )
            condition |= models.Q(annee=annee) & (
                (models.Q(commune__isnull=False) & models.Exists(par_commune))
                | (models.Q(commune__isnull=True) & models.Exists(par_collectivite))
            )
        return self.brouillons().filter(condition)

    def deposees(self):
        """Sent, and the signed copy is back: the rectorat checks it (« déposée, en vérification »)."""
        return self.envoyees().exclude(exemplaire_signe="")

    def resiliees(self):
        return self.filter(etat=Convention.Etat.RESILIEE)

    def expirees(self, today=None):
        """Derived, not stored: signed conventions whose end date (1 September, Article 3) has passed."""
        today = today or timezone.localdate()
        last_ended = today.year if today >= datetime.date(today.year, 9, 1) else today.year - 1
        return self.signees().filter(annee__libelle__lte=f"{last_ended - 1}-{last_ended}")

    def with_nb_ecoles(self):
        """A count per row (correlated subquery) rather than a GROUP BY over the join: a list page of 100 among
        12,000 conventions counts the schools of its 100 rows only, and its total (`count()`) leaves it out."""
        par_convention = (
            Inscription.objects.filter(convention=models.OuterRef("pk"))
            .order_by()
            .values("convention")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(nb_ecoles_annot=Coalesce(models.Subquery(par_convention), 0))

    def with_participation(self):
        """Annotates the number of schools and the participation (see Convention.participation): a list shows them
        in one query."""
        return self.with_nb_ecoles().annotate(
            participation_annot=Coalesce(
                models.F("participation_figee"),
                models.F("nb_ecoles_annot") * models.F("annee__tarif_par_ecole"),
                output_field=models.DecimalField(max_digits=12, decimal_places=2),
            )
        )

    def totaux(self, *champs):
        """Per group of `champs` (e.g. "annee__libelle"): the number of conventions, of schools, and the sum of
        their participations. Meant for conventions that left draft, whose participation is frozen."""
        ecoles = (
            Inscription.objects.filter(convention=models.OuterRef("pk"))
            .order_by()
            .values("convention")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return (
            self.annotate(nb_ecoles_conv=Coalesce(models.Subquery(ecoles), 0))
            .values(*champs)
            .annotate(
                nb_conventions=models.Count("pk"),
                nb_ecoles=Coalesce(models.Sum("nb_ecoles_conv"), 0),
                participation=Coalesce(models.Sum("participation_figee"), models.Value(Decimal("0.00"))),
            )
            .order_by(*champs)
        )


class StatutExemplaire(models.TextChoices):
    SIGNE_CONFORME = "signe_conforme", "Signé numériquement et conforme"
    SCAN_A_VERIFIER = "scan_a_verifier", "Scan à vérifier"


class Convention(DocumentEmis):
    """A collectivité's convention for one school year. Its frozen PDF, sent for signature, is an issued document
    (documents.models.DocumentEmis): the file `document`, its SHA-256, the verification code printed on it with a
    QR code (a new one at each sending; none in draft) and the date of sending. The copies that come back signed
    keep their own files and fingerprints below."""

    champ_fichier = "document"
    champ_empreinte = "document_sha256"
    champ_emission = "date_envoi"

    class Etat(models.TextChoices):
        BROUILLON = "brouillon", "Brouillon"
        ENVOYEE = "envoyee", "Envoyée pour signature"
        SIGNEE = "signee", "Signée"
        RESILIEE = "resiliee", "Résiliée"

    annee = models.ForeignKey(
        AnneeScolaire, verbose_name="année scolaire", on_delete=models.PROTECT, related_name="conventions"
    )
    collectivite = models.ForeignKey(
        Collectivite, verbose_name="collectivité", on_delete=models.PROTECT, related_name="conventions"
    )
    # Set when a grouping signs one convention per commune (NB of the convention); empty otherwise.
    commune = models.ForeignKey(
        Commune,
        verbose_name="commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conventions",
        help_text="Seulement pour une convention par commune d'un regroupement.",
    )
    reference = models.CharField("référence", max_length=40, unique=True, editable=False)
    etat = models.CharField("état", max_length=10, choices=Etat.choices, default=Etat.BROUILLON, editable=False)
    # The representative as named at signature time, copied from the collectivité and kept.
    representant_civilite = models.CharField(
        "civilité du représentant", max_length=10, choices=Civilite.choices, default=Civilite.MONSIEUR
    )
    representant_prenom = models.CharField("prénom du représentant", max_length=100)
    representant_nom = models.CharField("nom du représentant", max_length=100)
    representant_qualite = models.CharField("qualité du représentant", max_length=100)
    # Article 7's figures as the sent PDF states them, copied when it is frozen and never read live afterwards: a
    # later change of the year's rate does not change what the collectivité signed nor what it is billed.
    tarif_fige = models.DecimalField(
        "participation par école (figée à l'envoi)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    participation_figee = models.DecimalField(
        "participation (figée à l'envoi)", max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    choix_ecoles_verrouille = models.BooleanField(
        "choix des écoles verrouillé", default=False, help_text="La collectivité ne peut plus modifier ses écoles."
    )
    # The PDF sent for signature: frozen bytes and their SHA-256 (set when sent, cleared if sent back to draft).
    document = models.FileField("convention envoyée (PDF)", upload_to="conventions/envoyees/", blank=True)
    document_sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True, editable=False)
    date_envoi = models.DateTimeField("date d'envoi", null=True, blank=True, editable=False)
    # The signed copy returned by the collectivité.
    exemplaire_signe = models.FileField("exemplaire signé (PDF)", upload_to="conventions/signees/", blank=True)
    exemplaire_signe_sha256 = models.CharField("empreinte de l'exemplaire signé", max_length=64, blank=True)
    date_retour = models.DateTimeField("date de retour", null=True, blank=True)
    # The check of the returned copy (documents/signatures.py): digitally signed and conform, or a scan to check.
    exemplaire_signe_statut = models.CharField(
        "contrôle de l'exemplaire signé", max_length=20, choices=StatutExemplaire.choices, blank=True, editable=False
    )
    exemplaire_signe_signataire = models.CharField(
        "signataire (signature électronique)", max_length=200, blank=True, editable=False
    )
    exemplaire_signe_signe_le = models.DateTimeField("signé électroniquement le", null=True, blank=True, editable=False)
    # The convention signed by both parties: the returned file (or, for a scan, the sent one) with the académie's
    # electronic signature added as an incremental update. Empty when no certificate is configured.
    document_signe = models.FileField(
        "convention signée par les deux parties (PDF)",
        upload_to="conventions/contresignees/",
        blank=True,
        editable=False,
    )
    document_signe_sha256 = models.CharField(
        "empreinte de la convention signée", max_length=64, blank=True, editable=False
    )
    date_signature = models.DateField("date de signature", null=True, blank=True)
    lieu_signature = models.CharField("lieu de signature", max_length=100, blank=True)
    date_resiliation = models.DateField("date de résiliation", null=True, blank=True)
    motif_resiliation = models.TextField("motif de la résiliation", blank=True)
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    history = HistoricalRecords()

    objects = ConventionQuerySet.as_manager()

    class Meta:
        verbose_name = "convention"
        verbose_name_plural = "conventions"
        ordering = ["-annee__libelle", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["annee", "collectivite", "commune"],
                condition=models.Q(commune__isnull=False),
                name="convention_unique_par_commune",
                violation_error_message="Une convention existe déjà pour cette collectivité, cette commune et "
                "cette année scolaire.",
            ),
            models.UniqueConstraint(
                fields=["annee", "collectivite"],
                condition=models.Q(commune__isnull=True),
                name="convention_unique_par_collectivite",
                violation_error_message="Une convention existe déjà pour cette collectivité et cette année scolaire.",
            ),
            # Frozen together: a rate without its amount (or the reverse) would be half a figure.
            models.CheckConstraint(
                condition=models.Q(tarif_fige__isnull=True, participation_figee__isnull=True)
                | models.Q(tarif_fige__gte=0, participation_figee__gte=0),
                name="convention_montants_figes_ensemble",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.collectivite}" + (f" ({self.commune.nom})" if self.commune_id else "")

    @property
    def designation_document(self) -> str:
        return f"de la convention {self.reference}"

    @property
    def academie(self) -> Academie:
        return self.annee.academie

    def clean(self):
        super().clean()
        if self.annee_id and self.collectivite_id and self.collectivite.academie != self.annee.academie.code:
            raise ValidationError(
                {
                    "annee": f"{self.collectivite} relève de l'académie {self.collectivite.get_academie_display()}"
                    f" (département {self.collectivite.departement}) : choisissez une année scolaire de cette"
                    f" académie, et non de « {self.annee.academie} »."
                }
            )

    @property
    def representant(self) -> str:
        """ "Monsieur André HERNANDEZ"."""
        return f"{self.representant_civilite} {self.representant_prenom} {self.representant_nom.upper()}"

    @property
    def est_modifiable(self) -> bool:
        return self.etat == self.Etat.BROUILLON

    @property
    def est_expiree(self) -> bool:
        return self.etat == self.Etat.SIGNEE and timezone.localdate() >= self.annee.date_fin

    @property
    def est_deposee(self) -> bool:
        return self.etat == self.Etat.ENVOYEE and bool(self.exemplaire_signe)

    @property
    def etat_affiche(self) -> str:
        """The state as the admin, the portal and the e-mails name it: once the signed copy is deposited the
        convention is « déposée, en vérification », no longer « à signer »."""
        return "Déposée, en vérification" if self.est_deposee else self.get_etat_display()

    @property
    def nb_ecoles(self) -> int:
        # Uses the annotation of with_nb_ecoles() when the list fetched it, so lists stay at one query.
        annotated = getattr(self, "nb_ecoles_annot", None)
        return annotated if annotated is not None else self.inscriptions.count()

    @property
    def montants_figes(self) -> bool:
        return self.tarif_fige is not None

    @property
    def tarif(self) -> Decimal:
        """The rate per school: frozen once sent, the year's current rate while a draft."""
        return self.tarif_fige if self.montants_figes else self.annee.tarif_par_ecole

    @property
    def participation(self) -> Decimal:
        """Article 7: number of registered schools × the rate per school, TTC. Frozen when the PDF is (figer_montants);
        while a draft, what it would be if sent today. Every page, document, e-mail and export reads it here."""
        if self.montants_figes:
            return self.participation_figee
        annotated = getattr(self, "participation_annot", None)
        return annotated if annotated is not None else self.nb_ecoles * self.annee.tarif_par_ecole

    def figer_montants(self) -> None:
        """Copies the year's rate and the participation onto the convention (not saved): done when its PDF is frozen,
        undone (defiger_montants) when it goes back to draft."""
        self.tarif_fige = self.annee.tarif_par_ecole
        self.participation_figee = self.nb_ecoles * self.tarif_fige

    def defiger_montants(self) -> None:
        self.tarif_fige = None
        self.participation_figee = None

    def communes_couvertes(self):
        if self.commune_id:
            return Commune.objects.filter(pk=self.commune_id)
        return self.collectivite.communes_couvertes(au=self.annee.rentree)

    def ecoles_proposables(self):
        """Open public schools of the communes covered that no convention of the year has registered yet."""
        taken = Inscription.objects.filter(annee=self.annee_id).exclude(convention=self).values("ecole")
        return Ecole.objects.inscriptibles().filter(commune__in=self.communes_couvertes()).exclude(pk__in=taken)

    def ecoles_nouvelles(self):
        """The schools to propose that opened since the previous year's rentrée: « nouvelle école dans votre
        commune ». Proposed to the collectivité, never added by anyone but its choice or an agent's."""
        return self.ecoles_proposables().ouvertes_depuis(self.annee.rentree_precedente)

    def ecoles_a_proposer(self) -> list[tuple[Ecole, bool]]:
        """The schools to propose, each with whether it is new since the previous rentrée (one query)."""
        depuis = self.annee.rentree_precedente
        ecoles = self.ecoles_proposables().select_related("commune").order_by("commune__nom", "nom")
        return [(ecole, ecole.date_ouverture is not None and ecole.date_ouverture >= depuis) for ecole in ecoles]


class Inscription(models.Model):
    """A school listed in Annexe 1 of a convention."""

    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.CASCADE, related_name="inscriptions"
    )
    ecole = models.ForeignKey(Ecole, verbose_name="école", on_delete=models.PROTECT, related_name="inscriptions")
    # Copied from the convention so that the database can refuse a school registered twice in one school year.
    annee = models.ForeignKey(AnneeScolaire, on_delete=models.PROTECT, related_name="+", editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "école inscrite (annexe 1)"
        verbose_name_plural = "écoles inscrites (annexe 1)"
        ordering = ["ecole__uai"]
        constraints = [
            models.UniqueConstraint(
                fields=["annee", "ecole"],
                name="inscription_ecole_unique_par_annee",
                violation_error_message="Cette école est déjà inscrite dans une convention de cette année scolaire.",
            ),
        ]

    def __str__(self):
        return str(self.ecole)

    def save(self, *args, **kwargs):
        self.annee_id = self.convention.annee_id
        super().save(*args, **kwargs)


class TraitementQuerySet(models.QuerySet):
    def for_user(self, user):
        return for_agent(self, user, "annee__academie__code")

    def with_compteurs(self):
        """Progress counters of each batch, in the same query (the changelist shows them per row)."""
        elements = "elements__etat"
        return self.annotate(
            nb_total=models.Count("elements"),
            nb_faits=models.Count("elements", filter=models.Q(**{elements: ElementTraitement.Etat.FAIT})),
            nb_echecs=models.Count("elements", filter=models.Q(**{elements: ElementTraitement.Etat.ECHEC})),
        )


class Traitement(TypeEnregistre, Job):
    """A batch of background work on many conventions of a year, run item by item on the Celery workers.

    Progress is read from the items (done, failed with the reason, still to do), so that any number of workers can
    work on one batch without counters to keep in step, and without a Celery result backend.
    """

    class Type(models.TextChoices):
        PREPARATION = "preparation", "Préparation de l'année"
        ENVOI = "envoi", "Envoi pour signature"
        RELANCE = "relance", "Relance des conventions non retournées"

    LIBELLES = dict(Type.choices)
    type = models.CharField("type", max_length=20)
    annee = models.ForeignKey(
        AnneeScolaire, verbose_name="année scolaire", on_delete=models.PROTECT, related_name="traitements"
    )
    # The Celery task run for each item, by its import path (conventions.campagne.TACHES, where apps above add theirs).
    tache = models.CharField("tâche", max_length=200, editable=False)
    lance_le = models.DateTimeField("lancé le", auto_now_add=True)

    objects = TraitementQuerySet.as_manager()

    class Meta:
        verbose_name = "traitement en arrière-plan"
        verbose_name_plural = "traitements en arrière-plan"
        ordering = ["-lance_le"]

    def __str__(self):
        return f"{self.libelle_type} – {self.annee} (n° {self.pk})"

    def compteurs(self) -> dict:
        """{"total", "faits", "echecs", "restants"} in one query."""
        return compteurs(self.elements)


class ElementTraitement(Item):
    """One convention of a batch: done, failed (with the reason, for the agent), or still to do (jobs.models.Item)."""

    traitement = models.ForeignKey(Traitement, on_delete=models.CASCADE, related_name="elements")
    # For a preparation, the convention of the previous year that is renewed; otherwise the one worked on.
    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.CASCADE, related_name="elements_traitement"
    )

    class Meta:
        verbose_name = "élément de traitement"
        verbose_name_plural = "éléments de traitement"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["traitement", "convention"], name="element_unique_par_traitement"),
        ]
        indexes = [models.Index(fields=["traitement", "etat"], name="element_traitement_etat")]

    def __str__(self):
        return f"{self.convention.reference} : {self.get_etat_display()}"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return for_agent(self, user, "convention__annee__academie__code")

    def en_echec(self):
        return self.filter(etat=Notification.Etat.ECHEC)


class Notification(TypeEnregistre, models.Model):
    """An e-mail about a convention: recorded once (its unique key makes a second one impossible), then sent by a
    task that retries a refusing or silent server, and records each failure with its reason for the agents."""

    class Etat(models.TextChoices):
        A_ENVOYER = "a_envoyer", "À envoyer"
        ENVOYEE = "envoyee", "Envoyée"
        ECHEC = "echec", "Échec"

    class Type(models.TextChoices):
        CONVENTION_PRETE = "convention_prete", "Convention prête à signer"
        RELANCE_RETOUR = "relance_retour", "Relance : convention à retourner"

    LIBELLES = dict(Type.choices)

    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField("type", max_length=20)
    # What the e-mail is about within the convention: the frozen PDF's SHA-256 (a convention sent again after a
    # correction is announced again), or the titre's number.
    cle = models.CharField("objet", max_length=64, blank=True)
    destinataires = models.TextField("destinataires")
    sujet = models.CharField("sujet", max_length=250)
    # The message as written when it was recorded: each attempt, and the agent's resending, send the same one.
    corps_texte = models.TextField("texte", blank=True)
    corps_html = models.TextField("HTML", blank=True)
    etat = models.CharField("état", max_length=10, choices=Etat.choices, default=Etat.A_ENVOYER)
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    erreur = models.TextField("raison du dernier échec", blank=True)
    # When recorded, then when the server accepted it.
    envoyee_le = models.DateTimeField("envoyée le", default=timezone.now)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "notification envoyée"
        verbose_name_plural = "notifications envoyées"
        ordering = ["-envoyee_le"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "type", "cle"], name="notification_unique"),
        ]

    def __str__(self):
        return f"{self.libelle_type} – {self.convention.reference}"


# --- The convention text as data: one version per académie and campaign, frozen once a convention of the campaign
# has been sent (conventions.texte renders it, conventions.admin_texte edits it). ---

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
    def for_user(self, user):
        return for_agent(self, user, "academie__code")

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
    # Who wrote what the conventions say, and when (the articles keep theirs too).
    history = HistoricalRecords()

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
    history = HistoricalRecords()

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
