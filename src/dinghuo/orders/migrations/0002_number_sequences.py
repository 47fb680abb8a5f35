"""Document-number sequences on PostgreSQL (SQLite uses core.Counter rows, its writes being serialised)."""

from django.db import migrations

SEQUENCES = ["dinghuo_order_number", "dinghuo_shipment_number"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEQUENCES:
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START 1 CACHE 20")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEQUENCES:
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
