from django.db import migrations, models


class Migration(migrations.Migration):
    """A reminder goes to every address of the contact rule (collectivites.destinataires), not one."""

    dependencies = [
        ("facturation", "0005_gardes_base"),
    ]

    operations = [
        migrations.RenameField(model_name="relance", old_name="destinataire", new_name="destinataires"),
        migrations.AlterField(
            model_name="relance",
            name="destinataires",
            field=models.TextField(verbose_name="destinataires"),
        ),
    ]
