"""Titres numbered per académie: each académie has its own ordonnateur, so its own gapless sequence per budget year.

Existing titres and counters get the académie of their conventions (before this, a deployment served one académie).
The guards of migrations 0002 and 0005 refuse any change to an issued titre and any move of a counter other than +1:
they are set aside while the new column is filled (on PostgreSQL by the tables' owner, who runs migrations; on
SQLite, facturation/gardes.py recreates them after every migrate) and the counter's guard now also refuses a change
of académie.
"""

import django.db.models.deletion
from django.db import migrations, models

PG_COMPTEUR = """
CREATE OR REPLACE FUNCTION facturation_compteur_garde() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Le compteur des titres de l''exercice % ne peut pas être supprimé.', OLD.annee_budgetaire
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'INSERT' AND NEW.dernier_numero <> 0 THEN
        RAISE EXCEPTION 'Le compteur des titres de l''exercice % commence à 0.', NEW.annee_budgetaire
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'UPDATE' AND (NEW.annee_budgetaire <> OLD.annee_budgetaire
                                OR NEW.academie_id IS DISTINCT FROM OLD.academie_id
                                OR NEW.dernier_numero <> OLD.dernier_numero + 1) THEN
        RAISE EXCEPTION 'Le compteur des titres de l''exercice % avance d''un numéro à la fois (de % à %).',
            OLD.annee_budgetaire, OLD.dernier_numero, NEW.dernier_numero
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION facturation_compteur_titre_emis() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM facturation_titredeperception
                   WHERE academie_id = NEW.academie_id AND annee_budgetaire = NEW.annee_budgetaire
                     AND sequence = NEW.dernier_numero) THEN
        RAISE EXCEPTION 'Le numéro % de l''exercice % a été pris sans qu''un titre soit émis : il laisserait un trou.',
            NEW.dernier_numero, NEW.annee_budgetaire
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


# Migration 0005's functions, for going back: the same text without the académie.
PG_COMPTEUR_AVANT = (
    PG_COMPTEUR.replace("\n                                OR NEW.academie_id IS DISTINCT FROM OLD.academie_id", "")
    .replace("WHERE academie_id = NEW.academie_id AND annee_budgetaire", "WHERE annee_budgetaire")
    .replace("\n                     AND sequence", " AND sequence")
)
assert "academie" not in PG_COMPTEUR_AVANT


def gardes_d_avant(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_COMPTEUR_AVANT, params=None)


def _gardes(schema_editor, action: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in ("facturation_titredeperception", "facturation_compteurtitres"):
            schema_editor.execute(f"ALTER TABLE {table} {action} TRIGGER USER")
    elif vendor == "sqlite" and action == "DISABLE":
        from facturation.gardes import SQLITE_TRIGGERS

        for sql in SQLITE_TRIGGERS:
            name = sql.split("EXISTS", 1)[1].split()[0]
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def academie_des_titres(apps, schema_editor):
    Titre = apps.get_model("facturation", "TitreDePerception")
    Compteur = apps.get_model("facturation", "CompteurTitres")
    Academie = apps.get_model("conventions", "Academie")
    _gardes(schema_editor, "DISABLE")
    for academie_id in Titre.objects.values_list("convention__annee__academie", flat=True).distinct():
        Titre.objects.filter(convention__annee__academie=academie_id).update(academie_id=academie_id)
    for compteur in Compteur.objects.all():
        academies = set(
            Titre.objects.filter(annee_budgetaire=compteur.annee_budgetaire).values_list("academie_id", flat=True)
        ) or set(Academie.objects.order_by("pk").values_list("pk", flat=True)[:1])
        if len(academies) != 1:
            raise RuntimeError(
                f"Les titres de l'exercice {compteur.annee_budgetaire} relèvent de plusieurs académies : leur "
                "numérotation unique ne peut pas être répartie automatiquement."
            )
        Compteur.objects.filter(pk=compteur.pk).update(academie_id=academies.pop())
    if schema_editor.connection.vendor == "postgresql":
        # The foreign keys' checks are deferred: run them now, or re-enabling the triggers finds them pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(PG_COMPTEUR, params=None)
    _gardes(schema_editor, "ENABLE")


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0011_campagne_par_academie"),
        ("facturation", "0007_titre_emetteur_logo"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="titredeperception", name="titre_numero_unique_par_exercice"),
        migrations.AddField(
            model_name="compteurtitres",
            name="academie",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="conventions.academie",
                verbose_name="académie",
            ),
        ),
        migrations.AddField(
            model_name="titredeperception",
            name="academie",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="conventions.academie",
                verbose_name="académie",
            ),
        ),
        migrations.RunPython(academie_des_titres, gardes_d_avant),
    ]
