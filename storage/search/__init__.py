"""Catalog search: `CatalogSearch` (see `storage.search.catalog`) and `Hit`."""

from storage.search.catalog import CatalogSearch, resolve_province, resolve_sector
from storage.search.hits import Hit

__all__ = ["CatalogSearch", "Hit", "resolve_province", "resolve_sector"]
