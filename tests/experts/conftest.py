from tests.routing.conftest import world  # noqa: F401  (the fixture: units, paths, committee, a submitted dossier)
