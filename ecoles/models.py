import datetime
import re

from django.db import models
from simple_history.models import HistoricalRecords

from collectivites.academies import CHOIX_ACADEMIES, academie_de_commune
from collectivites.models import Commune, for_agent

from .validators import validate_uai

# The generic part of a school's official name, before its own name ("ECOLE PRIMAIRE PUBLIQUE JEAN MOULIN").
GENERIC_NAME_RE = re.compile(
    r"^\s*(?:ECOLE|ÉCOLE)(?:\s+(?:MATERNELLE|ELEMENTAIRE|ÉLÉMENTAIRE|PRIMAIRE|DE NIVEAU ELEMENTAIRE))?"
    r"(?:\s+(?:PUBLIQUE|PRIVEE|PRIVÉE))?\s*",
    re.IGNORECASE,
)


class EcoleQuerySet(models.QuerySet):
    def for_user(self, user):
        return for_agent(self, user, "academie")

    def ouvertes(self):
        return self.filter(etat=Ecole.Etat.OUVERTE)

    def ouvertes_depuis(self, date: datetime.date):
        """Opened on or after `date`, by the annuaire's date_ouverture (unknown for a file that does not give it)."""
        return self.filter(date_ouverture__gte=date)

    def publiques(self):
        return self.filter(secteur=Ecole.Secteur.PUBLIC)

    def inscriptibles(self):
        """Schools that may join a new convention (Ecole.est_inscriptible, in SQL)."""
        return self.ouvertes().publiques()


class Ecole(models.Model):
    class Nature(models.TextChoices):
        MATERNELLE = "maternelle", "École maternelle"
        ELEMENTAIRE = "elementaire", "École élémentaire"
        PRIMAIRE = "primaire", "École primaire"

    class Secteur(models.TextChoices):
        PUBLIC = "public", "Public"
        PRIVE = "prive", "Privé"

    class Etat(models.TextChoices):
        OUVERTE = "ouverte", "Ouverte"
        A_FERMER = "a_fermer", "À fermer"
        FERMEE = "fermee", "Fermée"

    uai = models.CharField("UAI", max_length=8, unique=True, validators=[validate_uai])
    nom = models.CharField("nom officiel", max_length=200)
    nature = models.CharField("nature", max_length=20, choices=Nature.choices)
    secteur = models.CharField("secteur", max_length=10, choices=Secteur.choices, default=Secteur.PUBLIC)
    etat = models.CharField("état", max_length=10, choices=Etat.choices, default=Etat.OUVERTE)
    commune = models.ForeignKey(Commune, verbose_name="commune", on_delete=models.PROTECT, related_name="ecoles")
    # Derived from the commune by the table of académies (Saint-Martin's schools are Guadeloupe's), kept in step by
    # save() and by the imports; stored so that an académie's schools are one indexed filter.
    academie = models.CharField("académie", max_length=2, choices=CHOIX_ACADEMIES, editable=False, db_index=True)
    adresse = models.CharField("adresse", max_length=250, blank=True)
    code_postal = models.CharField("code postal", max_length=5, blank=True)
    siret = models.CharField("SIRET de la commune gestionnaire", max_length=14, blank=True)
    # From the Annuaire de l'éducation (date_ouverture, date_fermeture): what the preparation of a year reads.
    date_ouverture = models.DateField("date d'ouverture", null=True, blank=True)
    date_fermeture = models.DateField("date de fermeture", null=True, blank=True)
    # The fingerprint of the file row the school was last imported from: the same row read again is skipped. Any
    # change made elsewhere (admin, fusion of communes) clears it, so that the next import compares again.
    empreinte_import = models.CharField("empreinte de la ligne importée", max_length=32, blank=True, editable=False)
    # The history is read by row (its `id`) and by author, never by these: their indexes would only slow the imports.
    history = HistoricalRecords(no_db_index=["uai", "commune", "academie"])

    objects = EcoleQuerySet.as_manager()

    class Meta:
        verbose_name = "école"
        verbose_name_plural = "écoles"
        ordering = ["uai"]

    def __str__(self):
        return f"{self.uai} – {self.nom}"

    def save(self, *args, **kwargs):
        academie = academie_de_commune(self.commune.code_insee)
        self.academie = academie.code if academie else ""
        self.empreinte_import = ""
        super().save(*args, **kwargs)

    @property
    def est_inscriptible(self) -> bool:
        """Only open public schools join a new convention: one A FERMER or closed stays only where it already is."""
        return self.etat == self.Etat.OUVERTE and self.secteur == self.Secteur.PUBLIC

    def fermee_au(self, date: datetime.date) -> bool:
        """Closed on `date`: marked closed, or with a closing date on or before it."""
        return self.etat == self.Etat.FERMEE or (self.date_fermeture is not None and self.date_fermeture <= date)

    @property
    def libelle_nature_secteur(self) -> str:
        """ "ECOLE PRIMAIRE PUBLIQUE", as Annexe 1 of the convention writes it."""
        nature = {"maternelle": "MATERNELLE", "elementaire": "ELEMENTAIRE", "primaire": "PRIMAIRE"}[self.nature]
        secteur = "PUBLIQUE" if self.secteur == self.Secteur.PUBLIC else "PRIVEE"
        return f"ECOLE {nature} {secteur}"

    @property
    def patronyme(self) -> str:
        """The school's own name, without its nature: "CELINE PINAUD" for "ECOLE ELEMENTAIRE CELINE PINAUD"."""
        return GENERIC_NAME_RE.sub("", self.nom, count=1).strip()
