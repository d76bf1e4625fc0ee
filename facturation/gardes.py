"""The database guards on SQLite: the same rules as the PostgreSQL triggers of migrations 0002 and 0005.

An issued titre is never updated nor deleted, whatever the route (`_base_manager.update()`, `save_base()`, raw SQL);
the counter of a budget year is created at 0, never deleted, and only ever moves by one. SQLite has no deferred
triggers: that a number taken belongs to a titre of the same transaction is checked on PostgreSQL only.

They are (re)created after every `migrate` (post_migrate), not by a migration: SQLite rebuilds a table to alter it,
which drops its triggers, so a later migration of these tables would silently remove them.
"""

TITRE_IMMUABLE = "Le titre de perception est émis : il ne peut être ni modifié ni supprimé."

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS facturation_titre_immuable_update
    BEFORE UPDATE ON facturation_titredeperception
    BEGIN SELECT RAISE(ABORT, '{TITRE_IMMUABLE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS facturation_titre_immuable_delete
    BEFORE DELETE ON facturation_titredeperception
    BEGIN SELECT RAISE(ABORT, '{TITRE_IMMUABLE}'); END""",
    """CREATE TRIGGER IF NOT EXISTS facturation_compteur_insert
    BEFORE INSERT ON facturation_compteurtitres WHEN NEW.dernier_numero <> 0
    BEGIN SELECT RAISE(ABORT, 'Le compteur des titres d''un exercice commence à 0.'); END""",
    """CREATE TRIGGER IF NOT EXISTS facturation_compteur_update
    BEFORE UPDATE ON facturation_compteurtitres
    WHEN NEW.annee_budgetaire <> OLD.annee_budgetaire OR NEW.academie_id IS NOT OLD.academie_id
        OR NEW.dernier_numero <> OLD.dernier_numero + 1
    BEGIN SELECT RAISE(ABORT, 'Le compteur des titres avance d''un numéro à la fois.'); END""",
    """CREATE TRIGGER IF NOT EXISTS facturation_compteur_delete
    BEFORE DELETE ON facturation_compteurtitres
    BEGIN SELECT RAISE(ABORT, 'Le compteur des titres d''un exercice ne peut pas être supprimé.'); END""",
]


def creer_gardes_sqlite(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: the triggers on an SQLite database, if they are missing."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in SQLITE_TRIGGERS:
            cursor.execute(sql)
