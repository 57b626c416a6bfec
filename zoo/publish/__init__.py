"""Everything rendered from the catalog: the README awesome list and the export formats."""
