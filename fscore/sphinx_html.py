"""A small Sphinx extension for the book's HTML: every page loads cleanly and offline.

Listed in ``_config.yml`` (``sphinx: extra_extensions``). On each page it

* removes duplicated inline scripts: with Sphinx 7.4, sphinx-thebe and sphinx-togglebutton add their
  configuration twice, and the repeated ``const THEBE_JS_URL`` is a JavaScript error in the console;
* drops sphinx-thebe's scripts when thebe (live code via Binder) is off, as it is in this offline
  book: they only name a CDN (unpkg) to load thebe from.

The browser tests (``tests/browser``) check that no page logs a console error and that no script,
style or font comes from outside the built site.
"""
from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
