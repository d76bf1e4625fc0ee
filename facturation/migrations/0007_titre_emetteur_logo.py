"""The titre freezes the académie's logo it was issued with; the billing settings are a national role's to change.

« Gestion ENT » and « Finances » only view the billing settings (0003_permissions_groupes): the « National » group
(conventions/0010) now adds and changes them, as it does the académie's identity.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

NATIONAL = "National"
DROITS = ["view_parametresfacturation", "add_parametresfacturation", "change_parametresfacturation"]


def national(apps, schema_editor):
    # Permissions are normally created after all migrations ran; they are needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    groupe, _ = Group.objects.get_or_create(name=NATIONAL)
    groupe.permissions.add(*Permission.objects.filter(content_type__app_label="facturation", codename__in=DROITS))


def retour(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for groupe in Group.objects.filter(name=NATIONAL):
        groupe.permissions.remove(
            *Permission.objects.filter(content_type__app_label="facturation", codename__in=DROITS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("facturation", "0006_relance_destinataires"),
        ("conventions", "0010_academie_identite"),
    ]

    operations = [
        migrations.AddField(
            model_name="titredeperception",
            name="emetteur_logo",
            field=models.CharField(blank=True, max_length=200, verbose_name="logo de l'émetteur"),
        ),
        migrations.RunPython(national, retour),
    ]
