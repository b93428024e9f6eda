"""The Jinja2 environment, for the few partials that a page writes many times over (decision 0018).

Django's template language stays the project's: pages, layouts and every partial are Django templates.
Jinja2 compiles a template to Python, which writes a long repeated block (the restock form's 58 items ×
9 boxes) about ten times faster than Django's node-by-node rendering. Such a partial is rendered to a
string by ``render_partial`` and placed in its Django page as it is.

Written as Django writes it, so the page is the same byte for byte: every ``{{ value }}`` goes through
Django's own localisation, time zone and escaping (``finalize``: ``"`` as ``&quot;``, ``'`` as
``&#x27;``, numbers and dates as the active language writes them), and ``_("...")`` is Django's gettext,
so makemessages finds the strings of these templates as it finds those of Django's.
"""

from html import escape

from django.conf import settings
from django.template import engines
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext
from jinja2 import Environment


def _as_django_writes_it(value) -> str:
    """What Django's ``{{ value }}`` writes in an autoescaped template: localised, then escaped unless safe.

    Plain strings and whole numbers, most of what a partial writes, take the short way: Django's
    ``escape`` is ``html.escape``, a string has nothing to localise, and without thousand separators a
    whole number is written as Python writes it."""
    if value.__class__ is str:
        return escape(value)
    if value.__class__ is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return conditional_escape(localize(template_localtime(value)))


def environment(**options) -> Environment:
    # Escaping is ``finalize``'s, which every ``{{ }}`` goes through: Jinja2's own autoescape would escape
    # what finalize returns a second time (two Markup objects per value, a third of the render). So these
    # templates use no macros and no ``|safe``: a macro's output would be escaped again.
    options["autoescape"] = False
    options.setdefault("keep_trailing_newline", True)  # as Django keeps it
    env = Environment(**options, finalize=_as_django_writes_it)
    env.globals.update(_=gettext, ngettext=ngettext)
    return env


def render_partial(template_name: str, context: dict) -> str:
    """``template_name`` from an app's ``jinja2/`` folder, rendered with ``context``, safe to place in a page."""
    return mark_safe(engines["jinja2"].get_template(template_name).render(context))  # noqa: S308 - autoescaped
