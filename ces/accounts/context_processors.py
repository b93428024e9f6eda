from .menu import menu_for
from .roles import Role


def navigation(request):
    """What the base layout needs to draw the navigation for the roles the user holds."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    roles = user.roles if signed_in else frozenset()
    return {"roles": roles, "Role": Role, "menu": menu_for(user) if signed_in else []}
