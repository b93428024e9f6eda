"""``/media/`` in development (``DEBUG=1`` only): the uploaded files, except those under ``private/``.

Django's ``static.serve`` checks no login, so a file that only its owners may read (a host family's payment
receipt, ``private/host-receipts/...``) would be served to anyone who has its name. Those files are read through
the product's own views, which check who asks; here they are a 404, as any missing file is.
"""

import posixpath

from django.conf import settings
from django.http import Http404
from django.views.static import serve

PRIVATE = "private"


def is_private(path: str) -> bool:
    """Whether ``path`` (as it comes from the URL) names something under ``MEDIA_ROOT/private/``.

    Normalised as ``static.serve`` normalises it, so ``./private/x``, ``a/../private/x`` and ``/private/x``
    are private too; and whatever the case, for a developer's case-insensitive disk (macOS).
    """
    normalised = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    return normalised.split("/", 1)[0].casefold() == PRIVATE


def serve_public_media(request, path):
    if is_private(path):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
