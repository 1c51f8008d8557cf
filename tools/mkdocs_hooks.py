"""MkDocs hooks (mkdocs.yml `hooks:`): pages kept at the repository's root join the site, and the
settings reference is generated from the settings model.

- CHANGELOG.md, ARCHITECTURE.md and BENCHMARKS.md stay where readers of the repository look for
  them; the site shows them as its own pages (`changelog.md` and the others link to them).
- `<!-- settings-table -->` in a page becomes the table of every setting, its default and its
  meaning (`smartcart.slack.settings_markdown`), so the docs cannot drift from `Settings`.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
ROOT_PAGES = ("CHANGELOG.md", "ARCHITECTURE.md", "BENCHMARKS.md")
SETTINGS_MARKER = "<!-- settings-table -->"


def on_files(files: Files, config) -> Files:
    for name in ROOT_PAGES:
        files.append(File.generated(config, name, abs_src_path=str(ROOT / name)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    if SETTINGS_MARKER not in markdown:
        return markdown
    from smartcart.slack import settings_markdown

    return markdown.replace(SETTINGS_MARKER, settings_markdown())
