"""allauth's (and Django's password validators', and DRF's) English strings on our pages and in the API,
kept in our catalogue.

allauth's Spanish catalogue is written for Spain and addresses the reader as "usted"; CES speaks to
everyone as "tú" (docs/decisions/0011-spanish-voice-tu.md). Its templates are overridden under
templates/account/, but these strings live in its Python code (form labels, form errors, the
adapter's messages), and Django's password validators write their help under its forms in "usted"
too. Django reads the catalogues of LOCALE_PATHS before those of installed apps, so
translating the very same msgids in locale/es gives our Spanish. Listing them here keeps them in the
catalogue when `makemessages` next runs; nothing imports this module.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

ALLAUTH_STRINGS = [
    # forms and fields
    gettext_noop("Forgot your password?"),
    gettext_noop("You must type the same password each time."),
    gettext_noop("You must type the same email each time."),
    gettext_noop("Email address"),
    gettext_noop("Email (again)"),
    gettext_noop("Email address confirmation"),
    gettext_noop("Password (again)"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("Remember Me"),
    # the adapter's error messages (DefaultAccountAdapter.error_messages)
    gettext_noop("This account is currently inactive."),
    gettext_noop("You cannot remove your primary email address."),
    gettext_noop("This email address is already associated with this account."),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("A user is already registered with this email address."),
    gettext_noop("Please type your current password."),
    gettext_noop("Incorrect password."),
    gettext_noop("Invalid or expired key."),
    gettext_noop("The password reset token was invalid."),
    gettext_noop("The email address is not assigned to any user account."),
    gettext_noop("Your primary email address must be verified."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("Your account has no password set up."),
    gettext_noop("Your account has no verified email address."),
    # Django's password validators (AUTH_PASSWORD_VALIDATORS), whose help the sign-up form shows
    gettext_noop("Your password can’t be too similar to your other personal information."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    # DRF's answers an API client reads, in "usted" in DRF's catalogue
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("A valid integer is required."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Time has wrong format. Use one of these formats instead: {format}."),
]
