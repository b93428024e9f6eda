"""The login stages of the project's own (``AccountAdapter.get_login_stages`` puts them in allauth's place)."""

from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.stages import EmailVerificationStage

from .roles import Role


class ApplicantEmailVerificationStage(EmailVerificationStage):
    """A visitor applicant confirms their e-mail address before they are in, whatever ACCOUNT_EMAIL_VERIFICATION
    says for everyone else.

    Applicants sign themselves up from abroad: the address is the only way the program reaches them (every
    change of their application is e-mailed), so it must be theirs. Staff get their login from an invitation
    sent to their work address (clinics.services.invitation_send), which is proof enough: for them the
    setting ("optional" by default) holds, so nobody invited is locked out.
    """

    def handle(self):
        user = self.login.user
        # The groups themselves, not the cached ``roles``: at sign-up the role was given a moment ago.
        if user is not None and user.pk and user.groups.filter(name=Role.APPLICANT).exists():
            self.login.email_verification = EmailVerificationMethod.MANDATORY
        return super().handle()
