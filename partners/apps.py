from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and access"

    def ready(self) -> None:
        from partners import signals  # noqa: F401 - connects the receivers
