"""Facturation rights of the two staff groups created by conventions/0002_groupes.

"Gestion ENT" follows the billing without acting on it: it views titres, payments, reminders and the settings.
"Finances" views titres, issues (and cancels) them, exports them, records payments and sends reminders.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GESTION_ENT = "Gestion ENT"
FINANCES = "Finances"

DROITS = {
    GESTION_ENT: ["view_titredeperception", "view_paiement", "view_relance", "view_parametresfacturation"],
    FINANCES: [
        "view_titredeperception",
        "emettre_titre",
        "exporter_titres",
        "view_paiement",
        "add_paiement",
        "view_relance",
        "add_relance",
        "view_parametresfacturation",
    ],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; they are needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in DROITS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="facturation", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="facturation")
    for group in Group.objects.filter(name__in=DROITS):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("facturation", "0002_titre_immuable"),
        ("conventions", "0002_groupes"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
