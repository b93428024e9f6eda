"""Reads and per-user scoping of the visitors app, by sub-domain: the applications and who may reach them
(``applications``), the program's board, calendar and pasante views (``program``), the visitor log and the
feedback (``insights``). Import from ``visitors.selectors``."""

from .applications import *  # noqa: F401,F403
from .insights import *  # noqa: F401,F403
from .program import *  # noqa: F401,F403
