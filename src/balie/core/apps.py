from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "balie.core"
    label = "core"
    verbose_name = "Balie"

    def ready(self) -> None:
        """Keep the SQLite files owner-only (see balie.core.storage); register the checks."""
        from django.core.checks import Tags, register
        from django.db.backends.signals import connection_created

        from balie.core.checks import check_sqlite_version
        from balie.core.storage import restrict_sqlite_files

        connection_created.connect(restrict_sqlite_files, dispatch_uid="balie_sqlite_mode")
        register(check_sqlite_version, Tags.compatibility)
