"""JSON Schemas for editors, generated from the Pydantic models (never written by hand)."""

from __future__ import annotations

import json

from .catalog.keywords import KeywordFile
from .catalog.models import Paper, Taxonomy, Venues

SCHEMAS = {"paper": Paper, "taxonomy": Taxonomy, "venues": Venues, "keywords": KeywordFile}


def schema_texts() -> dict[str, str]:
    """File name → JSON text, one schema per kind of catalog file."""
    texts = {}
    for name, model in SCHEMAS.items():
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  **model.model_json_schema()}
        texts[f"{name}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return texts



def _type_name(prop: dict) -> str:
    if "$ref" in prop:
        return "mapping"
    if "anyOf" in prop:
        return " or ".join(_type_name(p) for p in prop["anyOf"] if p.get("type") != "null")
    if "enum" in prop:
        return " / ".join(str(v) for v in prop["enum"])
    if prop.get("type") == "array":
        return f"list of {_type_name(prop.get('items', {}))}"
    if prop.get("format") == "date":
        return "date"
    return str(prop.get("type", "any"))


def field_rows() -> list[tuple[str, str, bool, str]]:
    """(field, type, required, description) for each entry field, for the docs' field table."""
    schema = Paper.model_json_schema()
    required = set(schema.get("required", ()))
    return [
        (name, _type_name(prop), name in required, prop.get("description", ""))
        for name, prop in schema["properties"].items()
    ]
