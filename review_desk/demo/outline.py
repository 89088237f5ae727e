"""The provisional criteria outline that the demo's score sheets use until the guideline
rubric (指导标准) feature replaces it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from review_desk.paths import data_path


def scoring_outline() -> tuple[str, dict[str, Any]]:
    """Return the outline and the SHA-256 of its file (the demo sheets' rubric hash)."""
    raw = data_path("demo", "scoring_outline.json").read_bytes()
    return hashlib.sha256(raw).hexdigest(), json.loads(raw)
