from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "balie.core"
    label = "core"
    verbose_name = "Balie"

    def ready(self) -> None:
        """Keep the SQLite files owner-only (see balie.core.storage)."""
        from django.db.backends.signals import connection_created

        from balie.core.storage import restrict_sqlite_files

        connection_created.connect(restrict_sqlite_files, dispatch_uid="balie_sqlite_mode")
