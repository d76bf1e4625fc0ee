import datetime

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from jobs.models import Job, TypeEnregistre

from .academies import ACADEMIES, CHOIX_ACADEMIES, TERRITOIRES
from .validators import departement_of, validate_code_insee, validate_siren, validate_siret

# Members of this group see every académie, as superusers do; every other agent sees only the académies of his account.
GROUPE_NATIONAL = "National"


def academies_de(user) -> frozenset[str] | None:
    """The codes of the académies whose data a rectorat agent sees; None for a national role (every académie).

    Cached on the user object: it is asked for by every queryset of a request."""
    if not hasattr(user, "_academies_visibles"):
        if user.is_superuser or user.groups.filter(name=GROUPE_NATIONAL).exists():
            user._academies_visibles = None
        else:
            user._academies_visibles = frozenset(getattr(user, "academies", None) or ())
    return user._academies_visibles


def for_agent(queryset, user, lookup: str):
    """The rows of `queryset` a rectorat agent may see, `lookup` leading to their académie's code; none for anyone
    else. The one rule of staff scoping, behind every model's `for_user()`."""
    if not (user.is_authenticated and user.is_staff):
        return queryset.none()
    codes = academies_de(user)
    return queryset if codes is None else queryset.filter(**{f"{lookup}__in": codes})


def territoires_de(codes) -> list[str]:
    """The départements and collectivités d'outre-mer of these académies, as INSEE writes them."""
    return [territoire for code in codes for territoire in ACADEMIES[code].territoires]


class Civilite(models.TextChoices):
    MONSIEUR = "Monsieur", "Monsieur"
    MADAME = "Madame", "Madame"


class CollectiviteQuerySet(models.QuerySet):
    def for_user(self, user):
        """The collectivités a user may see: those of his académies for rectorat staff (all for a national role),
        their own for a portal account."""
        if user.is_authenticated and user.is_staff:
            return for_agent(self, user, "academie")
        if not user.is_authenticated or user.collectivite_id is None:
            return self.none()
        return self.filter(pk=user.collectivite_id)


class Collectivite(models.Model):
    """The party that signs the convention and pays the participation."""

    class Type(models.TextChoices):
        COMMUNE = "commune", "Commune"
        COMMUNAUTE_COMMUNES = "cc", "Communauté de communes"
        COMMUNAUTE_AGGLOMERATION = "ca", "Communauté d'agglomération"
        METROPOLE = "metropole", "Métropole"
        SYNDICAT = "syndicat", "Syndicat intercommunal"
        AUTRE = "autre", "Autre"

    nom = models.CharField("nom légal", max_length=200)
    type = models.CharField("type", max_length=20, choices=Type.choices, default=Type.COMMUNE)
    # Optional until a titre de perception is issued (facturation checks it then).
    siren = models.CharField("SIREN", max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    code_service_chorus = models.CharField("code service Chorus Pro", max_length=100, blank=True)
    numero_engagement = models.CharField("numéro d'engagement", max_length=50, blank=True)
    commune = models.OneToOneField(
        "Commune",
        verbose_name="commune (si la collectivité est une commune)",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collectivite_commune",
    )
    departement = models.CharField("département", max_length=3, help_text="Code INSEE : 11, 2A, 971…")
    # The tenant: derived from the département by save(), never typed (Saint-Martin's 978 is Guadeloupe's, 32).
    academie = models.CharField("académie", max_length=2, choices=CHOIX_ACADEMIES, editable=False, db_index=True)
    adresse = models.CharField("adresse", max_length=250)
    code_postal = models.CharField("code postal", max_length=5)
    ville = models.CharField("ville", max_length=100)
    representant_civilite = models.CharField(
        "civilité du représentant", max_length=10, choices=Civilite.choices, default=Civilite.MONSIEUR
    )
    representant_prenom = models.CharField("prénom du représentant", max_length=100)
    representant_nom = models.CharField("nom du représentant", max_length=100)
    representant_qualite = models.CharField("qualité du représentant", max_length=100, help_text="Maire, Président…")
    email = models.EmailField("e-mail de contact", blank=True)
    # Article 1 NB of the convention: when each commune of a grouping pays its own share, one convention per commune.
    conventions_par_commune = models.BooleanField(
        "une convention par commune",
        default=False,
        help_text="Pour un regroupement dont chaque commune paie sa participation.",
    )
    notes = models.TextField("notes", blank=True)
    history = HistoricalRecords()

    objects = CollectiviteQuerySet.as_manager()

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["nom"]
        # The lists sort by name: at national scale (12,000 rows) an index gives a page without sorting them all.
        # The département's list filter reads its distinct values from an index.
        indexes = [
            models.Index(fields=["nom"], name="collectivite_nom_idx"),
            models.Index(fields=["departement"], name="collectivite_departement_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["siren"], condition=~models.Q(siren=""), name="collectivite_siren_unique"),
        ]

    def __str__(self):
        return self.nom

    def save(self, *args, **kwargs):
        self.deriver_academie()
        super().save(*args, **kwargs)

    def deriver_academie(self) -> None:
        """The académie of the département, by the national table; for the imports, which bypass save()."""
        territoire = TERRITOIRES.get(self.departement)
        self.academie = territoire.academie.code if territoire else ""

    def clean(self):
        super().clean()
        if self.departement and self.departement not in TERRITOIRES:
            raise ValidationError(
                {
                    "departement": f"Le département « {self.departement} » ne relève d'aucune académie : code "
                    "INSEE attendu (11, 2A, 971…)."
                }
            )

    @property
    def est_groupement(self) -> bool:
        return self.type != self.Type.COMMUNE

    @property
    def adresse_complete(self) -> str:
        return f"{self.adresse} {self.code_postal} {self.ville}"

    @property
    def representant(self) -> str:
        """ "Monsieur André HERNANDEZ", as the convention names the representative."""
        return f"{self.representant_civilite} {self.representant_prenom} {self.representant_nom.upper()}"

    def communes_couvertes(self, au: datetime.date | None = None):
        """The communes whose schools this collectivité may register; for a grouping, its members on the date `au`
        when its composition is dated (Adhesion), else today's."""
        if not self.est_groupement:
            return Commune.objects.filter(pk=self.commune_id)
        if au is not None and self.adhesions.exists():
            return Commune.objects.filter(pk__in=self.adhesions.au(au).values("commune"))
        return Commune.objects.filter(groupement=self)


class CommuneQuerySet(models.QuerySet):
    def for_user(self, user):
        """Reference data, scoped for rectorat agents to the territories of their académies."""
        codes = academies_de(user) if user.is_authenticated and user.is_staff else frozenset()
        return self if codes is None else self.filter(departement__in=territoires_de(codes))


class Commune(models.Model):
    code_insee = models.CharField("code INSEE", max_length=5, unique=True, validators=[validate_code_insee])
    nom = models.CharField("nom", max_length=150)
    code_postal = models.CharField("code postal", max_length=5, blank=True)
    # Kept in step with the INSEE code by save(): stored so that lists filter and count by département.
    departement = models.CharField("département", max_length=3, editable=False, db_index=True)
    groupement = models.ForeignKey(
        Collectivite,
        verbose_name="groupement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communes_membres",
        limit_choices_to=~models.Q(type=Collectivite.Type.COMMUNE),
    )
    # INSEE's "mouvements des communes": a commune merged into a commune nouvelle (or whose code changed) is kept,
    # for the conventions sent with its name and code, and points to the commune that took its place.
    remplacee_par = models.ForeignKey(
        "self",
        verbose_name="remplacée par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remplacees",
    )
    date_remplacement = models.DateField("date d'effet du remplacement", null=True, blank=True)
    # The history is read by row (its `id`) and by author, never by these: their indexes would only slow the imports.
    history = HistoricalRecords(no_db_index=["code_insee", "departement", "groupement", "remplacee_par"])

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = "commune"
        verbose_name_plural = "communes"
        ordering = ["nom"]
        indexes = [models.Index(fields=["nom"], name="commune_nom_idx")]  # as for the collectivités (35,000 rows)

    def __str__(self):
        return f"{self.nom} ({self.code_insee})"

    def save(self, *args, **kwargs):
        self.departement = departement_of(self.code_insee)
        super().save(*args, **kwargs)

    @property
    def actuelle(self) -> "Commune":
        """This commune, or the one that took its place (a commune nouvelle may itself merge later)."""
        commune = self
        while commune.remplacee_par_id is not None:
            commune = commune.remplacee_par
        return commune


class AdhesionQuerySet(models.QuerySet):
    def au(self, date: datetime.date):
        return self.filter(models.Q(date_fin__isnull=True) | models.Q(date_fin__gt=date), date_debut__lte=date)


class Adhesion(models.Model):
    """A commune's membership of a grouping, dated: the composition of an EPCI changes from one year to the next,
    and a convention lists the members of its own school year. Recorded by the EPCI import."""

    groupement = models.ForeignKey(
        Collectivite, verbose_name="groupement", on_delete=models.CASCADE, related_name="adhesions"
    )
    commune = models.ForeignKey(Commune, verbose_name="commune", on_delete=models.CASCADE, related_name="adhesions")
    date_debut = models.DateField("membre depuis le")
    date_fin = models.DateField("membre jusqu'au (exclu)", null=True, blank=True)

    objects = AdhesionQuerySet.as_manager()

    class Meta:
        verbose_name = "adhésion à un groupement"
        verbose_name_plural = "adhésions aux groupements"
        ordering = ["commune", "date_debut"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_fin__isnull=True) | models.Q(date_fin__gt=models.F("date_debut")),
                name="adhesion_dates_ordonnees",
            ),
            # One open membership per commune at a time.
            models.UniqueConstraint(
                fields=["commune"], condition=models.Q(date_fin__isnull=True), name="adhesion_ouverte_unique"
            ),
        ]

    def __str__(self):
        fin = f" au {self.date_fin:%d/%m/%Y}" if self.date_fin else ""
        return f"{self.commune} dans {self.groupement} du {self.date_debut:%d/%m/%Y}{fin}"

    def en_vigueur(self, date: datetime.date) -> bool:
        """AdhesionQuerySet.au for rows already in hand (prefetched for a batch of documents)."""
        return self.date_debut <= date and (self.date_fin is None or self.date_fin > date)


class UserQuerySet(models.QuerySet):
    def for_user(self, user):
        """For an agent, the portal accounts of his académies' collectivités; every account for a national role."""
        return for_agent(self, user, "collectivite__academie")


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """An account: rectorat staff (is_staff) or a person of a collectivité on the portal. Logs in by e-mail."""

    class Role(models.TextChoices):
        REPRESENTANT = "representant", "Représentant (signe et paie)"
        REFERENT = "referent", "Référent ville"
        CONTRIBUTEUR = "contributeur", "Contributeur"

    username = None
    email = models.EmailField("adresse e-mail", unique=True)
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comptes",
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices, blank=True)
    # A rectorat agent's académies: he sees and acts only within them (academies_de), unless national.
    academies = models.JSONField(
        "académies",
        default=list,
        blank=True,
        help_text="Les académies dont l'agent voit et traite les données. Un membre du groupe « National » ou un "
        "superutilisateur les voit toutes.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(collectivite__isnull=True) | ~models.Q(role=""),
                name="user_role_with_collectivite",
            ),
            # A portal account never opens the admin: staff belong to the rectorat, not to a collectivité.
            models.CheckConstraint(
                condition=models.Q(collectivite__isnull=True) | models.Q(is_staff=False, is_superuser=False),
                name="user_portail_pas_staff",
                violation_error_message="Un compte de collectivité ne peut pas accéder à l'administration.",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        inconnues = [code for code in self.academies or () if code not in ACADEMIES]
        if not isinstance(self.academies, list) or inconnues:
            raise ValidationError({"academies": f"Académie inconnue : {', '.join(map(str, inconnues))}."})
        if self.collectivite_id and self.academies:
            raise ValidationError({"academies": "Un compte de collectivité n'est rattaché à aucune académie."})


class InvitationQuerySet(models.QuerySet):
    def en_attente(self):
        return self.filter(acceptee_le__isnull=True, expire_le__gt=timezone.now())

    def non_acceptees(self):
        return self.filter(acceptee_le__isnull=True)

    def for_user(self, user):
        return self.filter(collectivite__in=Collectivite.objects.for_user(user))


class Invitation(models.Model):
    """A person invited to open a portal account for a collectivité, by the rectorat (admin) or by the collectivité's
    representative (portal: référents and contributeurs only).

    Only the SHA-256 of the link's token is stored: a copy of the database does not let anyone accept an invitation.
    """

    collectivite = models.ForeignKey(
        Collectivite, verbose_name="collectivité", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField("adresse e-mail")
    prenom = models.CharField("prénom", max_length=150)
    nom = models.CharField("nom", max_length=150)
    role = models.CharField("rôle", max_length=20, choices=User.Role.choices)
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    invitee_par = models.ForeignKey(
        User, verbose_name="invitée par", on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    creee_le = models.DateTimeField("créée le", default=timezone.now, editable=False)
    expire_le = models.DateTimeField("expire le", editable=False)
    acceptee_le = models.DateTimeField("acceptée le", null=True, blank=True, editable=False)
    compte = models.ForeignKey(
        User,
        verbose_name="compte créé",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_acceptees",
        editable=False,
    )
    # Who invited, sent again or withdrew, and when: a withdrawn invitation is deleted but its history stays. The
    # token's hash is left out, as a copy of a link that no longer opens anything.
    history = HistoricalRecords(excluded_fields=["token_sha256"])

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        verbose_name_plural = "invitations"
        ordering = ["-creee_le"]

    def __str__(self):
        return f"{self.prenom} {self.nom} <{self.email}> – {self.collectivite}"

    @property
    def est_acceptee(self) -> bool:
        return self.acceptee_le is not None

    @property
    def est_expiree(self) -> bool:
        return not self.est_acceptee and timezone.now() >= self.expire_le


class ContactQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(collectivite__in=Collectivite.objects.for_user(user))


class Contact(models.Model):
    """Article 2.7: the town's agents who publish in the ENT, a "référent ville" and "contributeurs".

    Kept by the representative on the portal; the rectorat exports them to open the ENT accounts.
    """

    class Role(models.TextChoices):
        REFERENT = "referent", "Référent ville"
        CONTRIBUTEUR = "contributeur", "Contributeur"

    collectivite = models.ForeignKey(
        Collectivite, verbose_name="collectivité", on_delete=models.CASCADE, related_name="contacts"
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    prenom = models.CharField("prénom", max_length=150)
    nom = models.CharField("nom", max_length=150)
    email = models.EmailField("adresse e-mail")
    fonction = models.CharField("fonction", max_length=150, blank=True, help_text="Par exemple : secrétaire de mairie")
    modifie_le = models.DateTimeField("modifié le", auto_now=True)
    history = HistoricalRecords()

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = "contact (article 2.7)"
        verbose_name_plural = "contacts (article 2.7)"
        ordering = ["collectivite__nom", "role", "nom", "prenom"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite"],
                condition=models.Q(role="referent"),
                name="contact_un_referent_par_collectivite",
                violation_error_message="Cette collectivité a déjà un référent ville.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                "collectivite",
                name="contact_email_unique_par_collectivite",
                violation_error_message="Cette adresse e-mail figure déjà parmi les contacts de la collectivité.",
            ),
        ]

    def __str__(self):
        return f"{self.prenom} {self.nom} ({self.get_role_display()})"


class ImportFichierQuerySet(models.QuerySet):
    def for_user(self, user):
        """An agent sees the imports of his académies and those of the whole country (a national role's, which
        concern his académies too); a national role sees them all."""
        nationaux = self.filter(academie="") if user.is_authenticated and user.is_staff else self.none()
        return for_agent(self, user, "academie") | nationaux

    def en_cours(self):
        return self.filter(etat__in=[ImportFichier.Etat.EN_ATTENTE, ImportFichier.Etat.EN_COURS])


class ImportFichier(TypeEnregistre, Job):
    """One run of a reference-data import (schools, communes) from a file uploaded in the admin, on a Celery worker.

    The file lives in the default storage, so that a worker on another machine reads it; it is kept as the record of
    what was imported. A preview (`simulation`) writes nothing; confirming it starts a second run on the same file.
    The report is the importer's own (`jobs.tabular.RapportImport`), stored as JSON.
    """

    class Type(models.TextChoices):
        COMMUNES = "communes", "Communes et groupements (INSEE)"

    # The kinds of files: collectivites' own; an app above adds its own (`enregistrer_format`, in imports_fichiers).
    LIBELLES = dict(Type.choices)

    class Etat(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente"
        EN_COURS = "en_cours", "En cours"
        TERMINE = "termine", "Terminé"
        ECHEC = "echec", "Échec"

    type = models.CharField("type", max_length=20)
    fichier = models.FileField("fichier", upload_to="imports/%Y/%m/", max_length=250)
    nom_fichier = models.CharField("nom du fichier déposé", max_length=200)
    options = models.JSONField("options", default=dict, blank=True)
    simulation = models.BooleanField("aperçu", default=False, help_text="Un aperçu n'enregistre rien.")
    apercu = models.OneToOneField(
        "self",
        verbose_name="aperçu confirmé",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confirmation",
    )
    cree_le = models.DateTimeField("déposé le", auto_now_add=True)
    commence_le = models.DateTimeField("commencé le", null=True, blank=True)
    etat = models.CharField("état", max_length=20, choices=Etat.choices, default=Etat.EN_ATTENTE)
    rapport = models.JSONField("rapport", null=True, blank=True)
    erreur = models.TextField("erreur", blank=True)
    # The file's lines outside this académie are left out; blank: the whole country (a national role's import).
    academie = models.CharField("académie", max_length=2, choices=CHOIX_ACADEMIES, blank=True, db_index=True)

    objects = ImportFichierQuerySet.as_manager()

    class Meta:
        verbose_name = "import de fichier"
        verbose_name_plural = "imports de fichiers"
        ordering = ["-cree_le"]

    def __str__(self):
        genre = "Aperçu" if self.simulation else "Import"
        return f"{genre} n° {self.pk} – {self.nom_fichier}"

    @property
    def est_fini(self) -> bool:
        return self.etat in (self.Etat.TERMINE, self.Etat.ECHEC)
