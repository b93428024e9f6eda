"""ces.core.pagination: the count in the page's query answers what DRF's page-number pagination answers."""

import pytest
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from ces.core.models import Heartbeat
from ces.core.pagination import InlineCountPagination

pytestmark = pytest.mark.django_db

PAGES = [None, "", "1", "2", "3", "4", "last", "0", "-1", "abc", "2.0", "1.5", "99", str(2**62), "9" * 30]


class Three:
    page_size = 3


def _answer(pagination_class, queryset, page):
    pagination = type("P", (Three, pagination_class), {})()
    query = {} if page is None else {"page": page}
    request = Request(APIRequestFactory().get("/api/v1/x/", query))
    try:
        rows = pagination.paginate_queryset(queryset, request)
    except NotFound as exc:
        return ("404", str(exc.detail))
    return pagination.get_paginated_response(rows).data


@pytest.mark.parametrize("how_many", [0, 1, 3, 7, 9])
def test_every_page_is_what_page_number_pagination_answers(how_many, django_assert_num_queries):
    Heartbeat.objects.bulk_create(Heartbeat(name=f"beat-{n}", last_beat=timezone.now()) for n in range(how_many))
    rows = Heartbeat.objects.order_by("name").values("id", "name")

    for page in PAGES:
        expected = _answer(PageNumberPagination, rows, page)
        assert _answer(InlineCountPagination, rows, page) == expected, page


def test_a_page_is_one_query(django_assert_num_queries):
    Heartbeat.objects.bulk_create(Heartbeat(name=f"beat-{n}", last_beat=timezone.now()) for n in range(7))
    rows = Heartbeat.objects.order_by("name").values("id", "name")

    with django_assert_num_queries(1):
        answer = _answer(InlineCountPagination, rows, "2")

    assert answer["count"] == 7 and [row["name"] for row in answer["results"]] == ["beat-3", "beat-4", "beat-5"]
    assert answer["next"].endswith("page=3") and answer["previous"].endswith("/api/v1/x/")


def test_other_query_sets_are_counted_apart_as_before(django_assert_num_queries):
    Heartbeat.objects.bulk_create(Heartbeat(name=f"beat-{n}", last_beat=timezone.now()) for n in range(7))

    beats = Heartbeat.objects.values("name")
    for rows in (Heartbeat.objects.order_by("name"), beats.order_by("name").distinct(),
                 beats.filter(name__lt="beat-3").union(beats.filter(name__gt="beat-4")).order_by("name")):
        with django_assert_num_queries(2):
            answer = _answer(InlineCountPagination, rows, "2")
        assert answer == _answer(PageNumberPagination, rows, "2")
