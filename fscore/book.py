"""The book's table of contents: the one ordered list of chapters that every runner uses.

``_toc.yml`` is the order in which a reader meets the chapters; :func:`chapter_notebooks` gives the
notebooks in that order with the pages that read the other chapters' results (the dashboard) last, and
is what ``scripts/run-chapters``, the notebook tests and the dashboard go through.

``python -m fscore.book notebooks`` prints those notebooks' paths, one a line, relative to the project root.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from fscore.paths import project_root

#: Notebooks that read every chapter's results: they run after all the others.
AFTER_THE_CHAPTERS = ("dashboard",)


def toc_files(root: Path | None = None) -> list[str]:
    """Every file of ``_toc.yml`` (root page first, without suffix), in reading order."""
    root = Path(root) if root else project_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] if toc.get("root") else []
    parts = toc.get("parts") or [{"chapters": toc.get("chapters", [])}]
    for part in parts:
        files += [chapter["file"] for chapter in part.get("chapters", []) or [] if chapter.get("file")]
    return files


def toc_chapters(root: Path | None = None, exclude: tuple[str, ...] = ()) -> list[dict]:
    """The notebook chapters of ``_toc.yml`` in reading order, and the entries not written yet.

    Each entry: ``part`` (the caption), ``file`` (toc path without suffix), ``stem``, ``title`` and
    ``written`` (whether the ``.ipynb`` exists). Markdown pages (the introduction, the course outline)
    and the stems in ``exclude`` are left out: they record no claims.
    """
    root = Path(root) if root else project_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    parts = toc.get("parts") or [{"caption": "", "chapters": toc.get("chapters", [])}]
    entries = []
    for part in parts:
        for chapter in part.get("chapters", []) or []:
            file = chapter.get("file")
            if not file:
                continue
            stem = Path(file).stem
            if stem in exclude or (root / f"{file}.md").is_file():
                continue
            notebook = root / f"{file}.ipynb"
            entries.append({"part": part.get("caption", ""), "file": file, "stem": stem,
                            "title": notebook_title(notebook) if notebook.is_file() else stem,
                            "written": notebook.is_file()})
    return entries


def chapter_notebooks(root: Path | None = None) -> list[Path]:
    """Every written notebook of the toc, in reading order, the dashboard (:data:`AFTER_THE_CHAPTERS`) last."""
    root = Path(root) if root else project_root()
    found = [root / f"{entry['file']}.ipynb" for entry in toc_chapters(root) if entry["written"]]
    return sorted(found, key=lambda p: p.stem in AFTER_THE_CHAPTERS)


def notebook_title(notebook: Path) -> str:
    """The first ``# heading`` of a notebook, else its stem."""
    try:
        cells = json.loads(Path(notebook).read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return Path(notebook).stem
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(notebook).stem


def main(argv: list[str]) -> int:
    if argv != ["notebooks"]:
        print("usage: python -m fscore.book notebooks", file=sys.stderr)
        return 2
    root = project_root()
    for path in chapter_notebooks(root):
        print(path.relative_to(root).as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
