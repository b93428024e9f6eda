from django.apps import AppConfig


class ChwConfig(AppConfig):
    name = "chw"
