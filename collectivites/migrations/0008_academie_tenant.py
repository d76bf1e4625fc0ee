"""The académie becomes the tenant: each collectivité records the académie of its département, each agent his
académies, each import the académie it was limited to."""

from django.db import migrations, models

from collectivites.academies import CHOIX_ACADEMIES, TERRITOIRES


def academie_des_collectivites(apps, schema_editor):
    Collectivite = apps.get_model("collectivites", "Collectivite")
    for departement in Collectivite.objects.values_list("departement", flat=True).distinct():
        territoire = TERRITOIRES.get(departement)
        if territoire:
            Collectivite.objects.filter(departement=departement).update(academie=territoire.academie.code)
    ImportFichier = apps.get_model("collectivites", "ImportFichier")
    for import_ in ImportFichier.objects.exclude(options={}):
        code = str((import_.options or {}).get("academie") or "").zfill(2)
        if any(code == choice for choice, _ in CHOIX_ACADEMIES):
            import_.academie = code
            import_.save(update_fields=["academie"])


def groupe_national(apps, schema_editor):
    """The scope of the national level: its members see every académie (rights still come from other groups)."""
    apps.get_model("auth", "Group").objects.get_or_create(name="National")


class Migration(migrations.Migration):
    dependencies = [("collectivites", "0007_types_enregistres")]

    operations = [
        migrations.AddField(
            model_name="collectivite",
            name="academie",
            field=models.CharField(
                choices=CHOIX_ACADEMIES,
                db_index=True,
                default="",
                editable=False,
                max_length=2,
                verbose_name="académie",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalcollectivite",
            name="academie",
            field=models.CharField(
                choices=CHOIX_ACADEMIES,
                db_index=True,
                default="",
                editable=False,
                max_length=2,
                verbose_name="académie",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="importfichier",
            name="academie",
            field=models.CharField(
                blank=True, choices=CHOIX_ACADEMIES, db_index=True, max_length=2, verbose_name="académie"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="academies",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Les académies dont l'agent voit et traite les données. Un membre du groupe « National » "
                "ou un superutilisateur les voit toutes.",
                verbose_name="académies",
            ),
        ),
        migrations.RunPython(academie_des_collectivites, migrations.RunPython.noop),
        migrations.RunPython(groupe_national, migrations.RunPython.noop),
    ]
