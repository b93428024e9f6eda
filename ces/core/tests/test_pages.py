"""transition_page: how every page answers a POST that moves an object to its next state."""

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from ces.core.pages import transition_page
from ces.core.services import ILLEGAL_TRANSITION

BACK, THEN = "/objects/7/", "/objects/7/printable/"


class NoteForm(forms.Form):
    note = forms.CharField()


def _post():
    request = RequestFactory().post(BACK)
    request._messages = CookieStorage(request)
    return request


def _messages(request):
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def _refuse(exc):
    def transition():
        raise exc
    return transition


def _bound_form():
    form = NoteForm({"note": "hello"})
    assert form.is_valid()
    return form


def test_a_done_transition_says_so_and_goes_on():
    request, done = _post(), []

    answer = transition_page(request, lambda: done.append(True), done="Done.", back=BACK, then=THEN, form=_bound_form())

    assert done == [True]
    assert (answer.status_code, answer.url) == (302, THEN)
    assert _messages(request) == [("success", "Done.")]


def test_a_done_transition_goes_back_when_told_nowhere_else():
    answer = transition_page(_post(), lambda: None, done="Done.", back=BACK)

    assert answer.url == BACK


def test_a_transition_the_state_no_longer_allows_is_told_on_the_objects_page_not_the_form():
    request, form = _post(), _bound_form()

    answer = transition_page(request, _refuse(ValidationError("Already approved.", code=ILLEGAL_TRANSITION)),
                             done="Done.", back=BACK, then=THEN, form=form)

    assert (answer.status_code, answer.url) == (302, BACK)
    assert _messages(request) == [("error", "Already approved.")]
    assert not form.errors


def test_a_refusal_the_person_can_mend_goes_on_the_form_and_the_page_is_drawn_again():
    request, form = _post(), _bound_form()

    answer = transition_page(request, _refuse(ValidationError({"note": "Say more."})), done="Done.", back=BACK,
                             form=form)

    assert answer is None
    assert form.errors == {"note": ["Say more."]}
    assert _messages(request) == []


def test_a_refusal_with_no_form_to_hold_it_is_told_on_the_objects_page():
    request = _post()

    answer = transition_page(request, _refuse(ValidationError(["Short of stock.", "Lot expired."])), done="Done.",
                             back=BACK, then=THEN)

    assert answer.url == BACK
    assert _messages(request) == [("error", "Short of stock."), ("error", "Lot expired.")]
