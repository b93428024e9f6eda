"""The checks of every file the visitors app stores (an applicant's document, the orientation pack).

The type comes from the content's first bytes, never from the name or from what the browser claims; the
size is capped; the name the person gave is kept only to be shown, cleaned of folders and control
characters (the stored file gets a random name, ``visitors.models.document_path``).
"""

import os
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ces.core.uploads import sniff_content_type

from .models import MAX_DOCUMENT_BYTES

NAME_MAX_LENGTH = 200


def clean_name(name: str) -> str:
    """The name to show for an uploaded file: its last part whichever slash separates folders, without
    control or invisible formatting characters, at most ``NAME_MAX_LENGTH`` characters (the extension kept)."""
    name = (name or "").replace("\\", "/")
    name = os.path.basename(name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(". ")
    if len(name) > NAME_MAX_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:10]
        name = stem[: NAME_MAX_LENGTH - len(extension)] + extension
    return name or pgettext("file name when none was given", "document")


def check_upload(upload, *, field: str = "file") -> tuple[str, str]:
    """``(content_type, cleaned name)`` of an uploaded file that may be stored, or a ValidationError on
    ``field`` that says what is wrong: nothing sent, empty, too large, or not a PDF, JPEG or PNG."""
    if upload is None:
        raise ValidationError({field: _("Choose a file to upload.")})
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ValidationError({field: _("The file is empty. Choose the file again.")})
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError({field: _("The file is larger than 10 MB. Send a smaller PDF or photo.")})
    content_type = sniff_content_type(upload)
    if content_type is None:
        raise ValidationError({field: _("The file must be a PDF or a photo (JPEG or PNG); this one is neither, "
                                        "whatever its name says.")})
    return content_type, clean_name(getattr(upload, "name", ""))
