from django.apps import AppConfig


class CreatorsConfig(AppConfig):
    name = "creators"
    verbose_name = "Creators and raw data"

    def ready(self) -> None:
        # The published run's copies of creator categories and country follow ORM changes (creators.signals).
        from creators import signals  # noqa: F401 - connects the receivers
