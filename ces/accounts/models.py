from functools import cached_property

from django.apps import apps
from django.contrib.auth.models import AbstractUser, BaseUserManager, Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import HOME_ORDER, NETWORK_WIDE_ROLES, Role


def role_names_sql(user_table: str) -> str:
    """SQL for the array of the group names of the user row of ``user_table`` (its name or alias)."""
    groups, through = Group._meta.db_table, User.groups.through._meta
    user_column = through.get_field("user").column
    group_column = through.get_field("group").column
    group_pk, user_pk = Group._meta.pk.column, User._meta.pk.column
    return (f'ARRAY(SELECT g."name" FROM "{groups}" g JOIN "{through.db_table}" ug '
            f'ON ug."{group_column}" = g."{group_pk}" WHERE ug."{user_column}" = "{user_table}"."{user_pk}")')


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

    def save(self, *args, **kwargs):
        """A new password also ends the person's API token, as it ends their other sessions: a phone that
        was lost, or a password that was known, stops reaching the API at once (a new login gets a new one)."""
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            apps.get_model("authtoken", "Token").objects.filter(user=self).delete()

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name.split() or [self.email])[0]

    @cached_property
    def roles(self) -> frozenset[str]:
        """The role names this user holds, cached on the instance.

        Read with the user where the user's query carried ``role_names`` (``role_names_sql``: the request's
        user, read by the authentication backends and the API's token), else one query."""
        if not self.is_authenticated or not self.is_active:
            return frozenset()
        names = self.__dict__.get("role_names")
        if names is None:
            names = self.groups.values_list("name", flat=True)
        return frozenset(names) & set(Role.values)

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
