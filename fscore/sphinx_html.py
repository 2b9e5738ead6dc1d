"""A small Sphinx extension for the book's HTML: every page loads cleanly and offline.

Listed in ``_config.yml`` (``sphinx: extra_extensions``). On each page it

* removes duplicated inline scripts: with Sphinx 7.4, sphinx-thebe and sphinx-togglebutton add their
  configuration twice, and the repeated ``const THEBE_JS_URL`` is a JavaScript error in the console;
* drops sphinx-thebe's scripts when thebe (live code via Binder) is off, as it is in this offline
  book: they only name a CDN (unpkg) to load thebe from.

It also numbers each chapter's figures, tables and listings by the chapter: Figure 7.2 is the second
captioned figure of ``ch07_...`` (the chapter numbers of the plan have gaps, so Sphinx's own numbering,
sequential over the whole book, would not match them); a page that is not a chapter numbers its own from 1.
A figure is numbered when it has a caption and a name, e.g. a code cell's metadata
``{"mystnb": {"figure": {"name": "fig-ch07-kl", "caption": "..."}}}``; the text refers to it with
``{numref}`fig-ch07-kl```.

Before any notebook runs, it sets ``FSCORE_PROGRESS=0`` and ``TQDM_DISABLE=1`` in the environment the kernels
inherit (unless already set): progress bars, the book's own (:mod:`fscore.progress`) and those of other packages
(tqdm), belong in interactive runs, not in the rendered pages.

The browser tests (``tests/browser``) check that no page logs a console error and that no script,
style or font comes from outside the built site.
"""
from __future__ import annotations

import os
import re

#: The environment of every notebook a book build executes: no progress bars on stderr.
QUIET = {"FSCORE_PROGRESS": "0", "TQDM_DISABLE": "1"}

#: A chapter's file name: ``chNN_name``, NN its number in the book's plan.
CHAPTER_FILE = re.compile(r"(?:^|/)ch(\d+)_[^/]*$")


def _name_and_body(script) -> tuple[str, str]:
    name = str(getattr(script, "filename", None) or "")
    body = str(getattr(script, "attributes", {}).get("body", "") or "")
    return name, body


def _thebe_on(app) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def clean_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    thebe = _thebe_on(app)
    seen, kept = set(), []
    for script in scripts:
        name, body = _name_and_body(script)
        if not thebe and (name.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body):
            continue
        if (name, body) in seen:
            continue
        seen.add((name, body))
        kept.append(script)
    context["script_files"] = kept


def number_by_chapter(app, env):
    """``env-get-updated``, after Sphinx has numbered the enumerable nodes: renumber them chapter by chapter."""
    changed = []
    for docname, by_type in env.toc_fignumbers.items():
        match = CHAPTER_FILE.search(docname)
        prefix = (int(match.group(1)),) if match else ()
        for numbers in by_type.values():
            for position, node_id in enumerate(sorted(numbers, key=numbers.get), start=1):
                if numbers[node_id] != (*prefix, position):
                    numbers[node_id] = (*prefix, position)
                    changed.append(docname)
    return sorted(set(changed))


def setup(app):
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
    app.connect("html-page-context", clean_scripts, priority=900)
    app.connect("env-get-updated", number_by_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
