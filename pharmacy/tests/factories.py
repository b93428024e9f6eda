from datetime import date

import factory

from pharmacy.models import Item, Lot


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    code = factory.Sequence(lambda n: f"MED-{n:04d}")
    name = factory.Sequence(lambda n: f"Paracetamol {n}")
    form = "tablet"
    strength = "500 mg"
    unit = "tablet"
    category = "Analgesics"
    max_months_of_stock = 3


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot

    item = factory.SubFactory(ItemFactory)
    lot_number = factory.Sequence(lambda n: f"L{n:05d}")
    expiry = date(2030, 1, 31)
