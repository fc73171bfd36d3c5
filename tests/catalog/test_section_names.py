"""The catalog names the sections a batch may require without importing the dossiers above it."""

from app.catalog.models import DEFAULT_REQUIRED_SECTIONS, SECTION_NAMES
from app.dossiers.sections import SECTIONS


def test_the_catalog_names_exactly_the_dossier_sections():
    assert SECTION_NAMES == tuple(SECTIONS)


def test_the_default_required_sections_exist():
    assert set(DEFAULT_REQUIRED_SECTIONS) <= set(SECTION_NAMES)
