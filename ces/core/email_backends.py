"""The development e-mail backend: one line per e-mail on the console, instead of the whole message."""

import re

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

LINK = re.compile(r"https?://\S+")


class OneLineConsoleEmailBackend(ConsoleEmailBackend):
    """Used when EMAIL_URL is left at its console default (settings.py); tests use locmem.

    Django's console backend prints every message whole, headers, HTML part and all, which buries the
    worker's log under reminder e-mails. This prints who it is for, the subject, its size and the links
    in the body (so a developer can still follow a password-reset or confirmation link). For whole
    messages, set EMAIL_URL=filemail:///tmp/ces-mail (one file per message) or an SMTP catcher.
    """

    def write_message(self, message):
        body = message.body or ""
        links = LINK.findall(body)
        parts = [
            f"E-mail to {', '.join(message.recipients())}",
            f"«{message.subject}»",
            f"{len(body)} characters",
        ]
        if getattr(message, "alternatives", None):
            parts.append("with HTML")
        if message.attachments:
            parts.append(f"{len(message.attachments)} attachment(s)")
        if links:
            parts.append("links: " + " ".join(links[:3]))
        self.stream.write(" · ".join(parts) + "\n")
