"""The abstract models of background work: a job launched by someone, and its items, each done or failed once.

A domain app subclasses them with its own links (the school year of a campaign batch, the convention of an item),
which jobs cannot know. Kinds of jobs are registered, not listed: an app above adds its own with `ajouter_type`.
"""

from django.conf import settings
from django.db import models


class TypeEnregistre:
    """A `type` field whose labels are registered (`ajouter_type`) rather than fixed choices: the app that defines
    the model lists its own kinds, and an app above adds its kinds from its ready() without the lower one naming
    them. Each concrete model sets its own `LIBELLES`."""

    LIBELLES: dict[str, str] = {}

    @classmethod
    def ajouter_type(cls, type_: str, libelle: str) -> None:
        cls.LIBELLES[type_] = libelle

    @property
    def libelle_type(self) -> str:
        return self.LIBELLES.get(self.type, self.type)


class Job(models.Model):
    """A piece of background work; it ends when its last item is done or failed (`termine_le`). A job with no items
    (a file import, one transaction) is its own single unit, claimed by `jobs.runner.reserver`."""

    lance_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="lancé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    termine_le = models.DateTimeField("terminé le", null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def est_termine(self) -> bool:
        return self.termine_le is not None


class Item(models.Model):
    """One unit of a job: done, failed (with the reason, for the agent), or still to do. A failed item waits for the
    agent's « Réessayer »; a done one is never done again (see jobs.runner)."""

    class Etat(models.TextChoices):
        A_FAIRE = "a_faire", "À faire"
        FAIT = "fait", "Fait"
        ECHEC = "echec", "Échec"

    etat = models.CharField("état", max_length=10, choices=Etat.choices, default=Etat.A_FAIRE)
    message = models.TextField("compte rendu", blank=True, help_text="Ce qui a été fait, ou la raison de l'échec.")
    detail = models.JSONField("détail", default=dict, blank=True)
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    maj_le = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        abstract = True


def compteurs(items) -> dict:
    """{"total", "faits", "echecs", "restants"} of a job's items (a queryset), in one query."""
    counts = dict(items.values_list("etat").annotate(n=models.Count("pk")).order_by())
    faits, echecs = counts.get(Item.Etat.FAIT, 0), counts.get(Item.Etat.ECHEC, 0)
    restants = counts.get(Item.Etat.A_FAIRE, 0)
    return {"total": faits + echecs + restants, "faits": faits, "echecs": echecs, "restants": restants}
