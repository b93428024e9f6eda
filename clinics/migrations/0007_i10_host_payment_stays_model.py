from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    """The payments' covered stays become a model on the table Django had made for them: nothing changes in
    the database here (the next migration adds its history)."""

    dependencies = [
        ("clinics", "0006_i10_host_stay_cancelled"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HostPaymentStay",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("payment", models.ForeignKey(db_column="hostpayment_id",
                                                      on_delete=django.db.models.deletion.CASCADE,
                                                      related_name="covered", to="clinics.hostpayment",
                                                      verbose_name="payment")),
                        ("stay", models.ForeignKey(db_column="hoststay_id",
                                                   on_delete=django.db.models.deletion.CASCADE,
                                                   related_name="+", to="clinics.hoststay", verbose_name="stay")),
                    ],
                    options={
                        "verbose_name": "stay a payment covers",
                        "verbose_name_plural": "stays payments cover",
                        "db_table": "clinics_hostpayment_stays",
                        "unique_together": {("payment", "stay")},
                    },
                ),
                migrations.AlterField(
                    model_name="hostpayment",
                    name="stays",
                    field=models.ManyToManyField(blank=True, related_name="payments", through="clinics.HostPaymentStay",
                                                 to="clinics.hoststay", verbose_name="stays it covers"),
                ),
            ],
            database_operations=[],
        ),
    ]
