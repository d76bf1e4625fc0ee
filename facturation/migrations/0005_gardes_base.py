"""The database guard of the numbering on PostgreSQL (SQLite gets the same triggers from facturation/gardes.py).

- The counter of a budget year is created at 0, never deleted, and only ever moves by one; on PostgreSQL a deferred
  trigger also checks, at commit, that the number taken belongs to a titre issued in the same transaction (SQLite
  has no deferred triggers: there the Python service is the only way a number is taken).
TRUNCATE and ALTER TABLE … DISABLE TRIGGER need the tables' owner: the application runs as another role (README,
« Base de données »).
"""

from django.db import migrations

PG_CREATE = """
CREATE OR REPLACE FUNCTION facturation_compteur_garde() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Le compteur des titres de l''exercice % ne peut pas être supprimé.', OLD.annee_budgetaire
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'INSERT' AND NEW.dernier_numero <> 0 THEN
        RAISE EXCEPTION 'Le compteur des titres de l''exercice % commence à 0.', NEW.annee_budgetaire
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'UPDATE' AND (NEW.annee_budgetaire <> OLD.annee_budgetaire
                                OR NEW.dernier_numero <> OLD.dernier_numero + 1) THEN
        RAISE EXCEPTION 'Le compteur des titres de l''exercice % avance d''un numéro à la fois (de % à %).',
            OLD.annee_budgetaire, OLD.dernier_numero, NEW.dernier_numero
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER facturation_compteur_garde
    BEFORE INSERT OR UPDATE OR DELETE ON facturation_compteurtitres
    FOR EACH ROW EXECUTE FUNCTION facturation_compteur_garde();

CREATE OR REPLACE FUNCTION facturation_compteur_titre_emis() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM facturation_titredeperception
                   WHERE annee_budgetaire = NEW.annee_budgetaire AND sequence = NEW.dernier_numero) THEN
        RAISE EXCEPTION 'Le numéro % de l''exercice % a été pris sans qu''un titre soit émis : il laisserait un trou.',
            NEW.dernier_numero, NEW.annee_budgetaire
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER facturation_compteur_titre_emis
    AFTER UPDATE ON facturation_compteurtitres
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION facturation_compteur_titre_emis();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS facturation_compteur_titre_emis ON facturation_compteurtitres;
DROP FUNCTION IF EXISTS facturation_compteur_titre_emis();
DROP TRIGGER IF EXISTS facturation_compteur_garde ON facturation_compteurtitres;
DROP FUNCTION IF EXISTS facturation_compteur_garde();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("facturation", "0004_code_verification")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
