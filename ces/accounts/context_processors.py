from .roles import Role


def navigation(request):
    """What the base layout needs to draw the navigation for the roles the user holds."""
    user = getattr(request, "user", None)
    roles = user.roles if user is not None and user.is_authenticated else frozenset()
    return {"roles": roles, "Role": Role}
