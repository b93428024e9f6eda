"""What every page view of the project does the same way: refuse a role with no business on the page,
fetch through a ``*_for(user, pk)`` selector, paginate a list, show a service's refusal on a form, and
answer the POST that moves an object to its next state."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect

from .services import ILLEGAL_TRANSITION

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


def show_errors(request, exc: ValidationError) -> None:
    """Show a service's refusal as error messages on the next page drawn (where no form can hold it)."""
    for message in exc.messages:
        messages.error(request, message)


def is_illegal_transition(exc: ValidationError) -> bool:
    """The service refused a transition the object's current state does not allow."""
    return getattr(exc, "code", None) == ILLEGAL_TRANSITION


def transition_page(request, transition, *, done: str, back: str, then: str | None = None, form=None):
    """Answer a POST that moves an object to its next state through ``transition``, a call of its service.

    Done: the ``done`` message, and a redirect to ``then`` (``back`` unless given). Refused because the
    object's state no longer allows it (someone moved it on since the page was drawn), or refused with no
    ``form`` to show it on: the refusal is shown as messages on ``back``, the object's page, since nothing
    typed can mend it. Any other refusal goes on ``form`` and the answer is None: the view draws the form
    again with what was typed. Nothing is written when the service refuses.
    """
    try:
        transition()
    except ValidationError as exc:
        if form is None or is_illegal_transition(exc):
            show_errors(request, exc)
            return redirect(back)
        add_service_error(form, exc)
        return None
    messages.success(request, done)
    return redirect(then or back)
