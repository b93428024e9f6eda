"""What every page view of the project does the same way: refuse a role with no business on the page,
fetch through a ``*_for(user, pk)`` selector, paginate a list, and show a service's refusal on a form."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404

PAGE_SIZE = 25


def require(allowed: bool) -> None:
    """A page the user's role may not use answers 403."""
    if not allowed:
        raise PermissionDenied


def get_or_404(fetch, *args):
    """Run a ``*_for(user, pk)`` selector; an object outside the user's reach is a 404."""
    try:
        return fetch(*args)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def paginate(request, items, size: int = PAGE_SIZE):
    """The page of ``items`` asked for in ``?page=`` (a bad number gives the first or last page), and the
    query string without ``page`` for the links to the other pages."""
    page_obj = Paginator(items, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page_obj, query.urlencode()


def add_service_error(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, above otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
