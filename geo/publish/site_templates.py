"""The site's page templates: ``geo/publish/templates/*.html``, or a webmaster's own.

:class:`SiteTemplates` loads the template files with a Jinja2 sandboxed environment,
autoescape on for every template and :class:`jinja2.StrictUndefined` (a name missing
from the context is an error, not an empty text). Data reach a page only as the
context of :meth:`SiteTemplates.render`; no template is ever built from a string,
so a name like ``{{7*7}}`` in the data is shown as it is.

A folder given as ``templates=`` is searched first, template by template: a
webmaster overrides ``base.html`` to fit the site's look and keeps the others.
This module knows nothing of the pages' content (see :mod:`geo.publish.site_data`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from geo.errors import ArgumentError

__all__ = ["PAGE_TEMPLATES", "SiteTemplates"]

#: The templates of the site's pages; they extend ``base.html`` and import ``macros.html``.
PAGE_TEMPLATES = ("index.html", "region.html", "territory.html", "data.html")
_ALL_TEMPLATES = ("base.html", "macros.html", *PAGE_TEMPLATES)


class SiteTemplates:
    """The page templates of a site, loaded once, rendered with data as context only.

    Parameters
    ----------
    templates
        A folder of templates that replace the shipped ones of the same name
        (``base.html``, ``macros.html``, ``index.html``, ``region.html``,
        ``territory.html``, ``data.html``); ``None`` for the shipped ones.

    Raises
    ------
    ArgumentError
        ``templates`` is not a folder, or one of its templates does not compile.

    Examples
    --------
    >>> pages = SiteTemplates()
    >>> pages.environment.autoescape, pages.environment.undefined.__name__
    (True, 'StrictUndefined')
    """

    def __init__(self, templates: str | os.PathLike[str] | None = None) -> None:
        loader: jinja2.BaseLoader = jinja2.PackageLoader("geo.publish", "templates")
        if templates is not None:
            folder = Path(templates)
            if not folder.is_dir():
                raise ArgumentError(
                    f"templates={str(templates)!r}: expected a folder of Jinja2 templates "
                    f"(to override any of base.html, macros.html, {', '.join(PAGE_TEMPLATES)})"
                )
            loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), loader])
        self.folder = None if templates is None else Path(templates)
        self.environment = SandboxedEnvironment(
            loader=loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        for name in _ALL_TEMPLATES:  # compile now: a broken override fails before any file
            self._template(name)

    def _template(self, name: str) -> jinja2.Template:
        try:
            return self.environment.get_template(name)
        except jinja2.TemplateError as error:
            raise self._error(name, error) from None

    def render(self, name: str, context: dict[str, Any]) -> str:
        """Return one page: the template ``name`` rendered with ``context``.

        Parameters
        ----------
        name
            One of :data:`PAGE_TEMPLATES`.
        context
            The page's data (:mod:`geo.publish.site_data`); every text is escaped.

        Returns
        -------
        str
            The page's HTML.

        Raises
        ------
        ArgumentError
            A template uses a name the context does not have, or something the
            sandbox forbids.
        """
        template = self._template(name)
        try:
            return template.render(context)
        except jinja2.TemplateError as error:
            raise self._error(name, error) from None

    def _error(self, name: str, error: jinja2.TemplateError) -> ArgumentError:
        """Name the template file and line of a Jinja2 error, and where it was looked for."""
        where, line = name, None
        if isinstance(error, jinja2.TemplateSyntaxError):
            where, line = error.filename or error.name or name, error.lineno
        else:  # the innermost template frame of the traceback (Jinja2 maps its lines)
            tb = error.__traceback__
            while tb is not None:
                if tb.tb_frame.f_code.co_filename.endswith(".html"):
                    where, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
                tb = tb.tb_next
        shipped = "the shipped templates"
        folders = f"{self.folder} or {shipped}" if self.folder else shipped
        at = f", line {line}" if line else ""
        return ArgumentError(f"site template {Path(where).name}{at} ({folders}): {error}")
