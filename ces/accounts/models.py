from functools import cached_property

from django.contrib.auth.models import AbstractUser, BaseUserManager, Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import HOME_ORDER, NETWORK_WIDE_ROLES, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in. E-mail is the login; there are no usernames."""

    class Language(models.TextChoices):
        SPANISH = "es", _("Spanish")
        ENGLISH = "en", _("English")

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.SPANISH
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name.split() or [self.email])[0]

    @cached_property
    def roles(self) -> frozenset[str]:
        """The role names this user holds (one query, cached on the instance)."""
        if not self.is_authenticated or not self.is_active:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True)) & set(Role.values)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_network_wide(self) -> bool:
        """Sees every clinic (coordinators, pharmacy, visitor program, admin)."""
        return bool(self.roles & NETWORK_WIDE_ROLES)

    @property
    def home_role(self) -> str | None:
        for role in HOME_ORDER:
            if role in self.roles:
                return role
        return None


class RoleGroup(Group):
    """The groups that hold the roles (roles.py), shown in the admin beside the users.

    A proxy, so that the admin lists roles under "Users and roles" instead of a second section of
    django.contrib.auth's: no table of its own.
    """

    class Meta:
        proxy = True
        verbose_name = _("role")
        verbose_name_plural = _("roles")
