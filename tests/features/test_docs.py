"""docs/features.md shows `intentseg sql features` for every dialect, and every output column is defined there.

Regenerate with: python tests/features/test_docs.py --write
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from intentseg.features import DIALECTS, FEATURE_COLUMNS, feature_sql

DOC = Path(__file__).resolve().parents[2] / "docs" / "features.md"
BEGIN, END = "<!-- BEGIN GENERATED SQL -->", "<!-- END GENERATED SQL -->"


def generated_section() -> str:
    parts = [BEGIN]
    for dialect in DIALECTS:
        parts += [f"\n### `intentseg sql features --dialect {dialect}`\n", "```sql", feature_sql(dialect).rstrip(), "```"]
    return "\n".join(parts + [END])


def current_doc() -> str:
    text = DOC.read_text(encoding="utf-8")
    return re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: generated_section(), text, flags=re.S)


def test_doc_shows_the_current_sql():
    assert DOC.read_text(encoding="utf-8") == current_doc(), "Run: python tests/features/test_docs.py --write"


def test_every_column_is_defined():
    text = DOC.read_text(encoding="utf-8").split(BEGIN)[0]
    for col in FEATURE_COLUMNS:
        stem = re.sub(r"_(desktop|mobile|tablet|other|search|social|direct|navigational|informational|transactional|commercial)_share$", "", col)
        assert f"`{col}`" in text or f"`{stem}_{{" in text or col.replace("_avg_s", "") in text, col


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        DOC.write_text(current_doc(), encoding="utf-8")
        print(f"wrote {DOC}")
