"""PostgreSQL refuses any UPDATE or DELETE of an issued titre, whatever the route (raw SQL, another client).

The Python guards (Model.save/delete, QuerySet.update/delete, the admin) explain the rule to users; this trigger
makes it hold for everything else. TRUNCATE, used by the test runner to empty tables, does not fire row triggers.
SQLite (local runs only) keeps the Python guards.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION facturation_titre_immuable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le titre de perception n° % est émis : il ne peut être ni modifié ni supprimé.', OLD.numero
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER facturation_titre_immuable
    BEFORE UPDATE OR DELETE ON facturation_titredeperception
    FOR EACH ROW EXECUTE FUNCTION facturation_titre_immuable();
"""

DROP = """
DROP TRIGGER IF EXISTS facturation_titre_immuable ON facturation_titredeperception;
DROP FUNCTION IF EXISTS facturation_titre_immuable();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("facturation", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
