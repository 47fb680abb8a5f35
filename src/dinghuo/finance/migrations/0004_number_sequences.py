from django.db import migrations

SEQUENCES = ["dinghuo_fin_payment", "dinghuo_fin_statement", "dinghuo_fin_invoice", "dinghuo_fin_rebate"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEQUENCES:
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START 1 CACHE 20")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEQUENCES:
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_payments_rebates_statements_invoices")]
    operations = [migrations.RunPython(create, drop)]
