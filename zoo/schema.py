"""JSON Schemas for editors, generated from the Pydantic models (never written by hand)."""

from __future__ import annotations

import json

from .catalog.models import Paper, Taxonomy, Venues

SCHEMAS = {"paper": Paper, "taxonomy": Taxonomy, "venues": Venues}


def schema_texts() -> dict[str, str]:
    """File name → JSON text, one schema per kind of catalog file."""
    texts = {}
    for name, model in SCHEMAS.items():
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  **model.model_json_schema()}
        texts[f"{name}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return texts

