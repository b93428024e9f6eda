"""Page-number pagination whose count comes with the page: one query instead of two.

DRF's ``PageNumberPagination`` asks the database twice, ``COUNT(*)`` of the list and then the page. Here the
page's query carries the count as an uncorrelated scalar subquery over the same rows
(``(SELECT COUNT(*) FROM (<the list without its order>)) AS total``): PostgreSQL runs it once (an InitPlan)
and still stops the page's own scan at ``LIMIT``. What the answer says is DRF's: the same ``count``,
``next``, ``previous``, the same 404 "Invalid page." for a page past the end, a page that is not a number
or below 1, and ``?page=last`` (which needs the count first, so it counts apart as before, as does a page
number too large for SQL's ``OFFSET``).

The list should be a plain ``values()`` query set (the rows are dicts; the total is taken out of each row);
anything else (model instances, a grouped, distinct, sliced or combined query set) is paginated as Django
does.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models.query import ValuesIterable
from rest_framework.pagination import PageNumberPagination

TOTAL = "_inline_total"
BIGGEST_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET and LIMIT are bigints


class _CountOf(models.Subquery):
    """``COUNT(*)`` of the rows of a query set, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS inline_counted)"
    output_field = models.BigIntegerField()


def _inline_countable(queryset) -> bool:
    """A ``values()`` query set whose rows the subquery counts as ``count()`` does: not grouped, not distinct,
    not sliced, not a union (which takes no annotation)."""
    query = getattr(queryset, "query", None)
    return (isinstance(queryset, models.QuerySet) and issubclass(queryset._iterable_class, ValuesIterable)
            and query.group_by is None and not query.distinct and not query.is_sliced and not query.combinator)


class InlineCountPaginator(Paginator):
    def page(self, number):
        if "count" in self.__dict__ or self.orphans or not _inline_countable(self.object_list):
            return super().page(number)  # counted already (?page=last), orphans, or not a plain values() list
        number = self._whole_number(number)
        bottom = (number - 1) * self.per_page
        if bottom + self.per_page > BIGGEST_OFFSET:
            return super().page(number)  # beyond what SQL's OFFSET takes: counted apart, an EmptyPage
        counted = self.object_list.annotate(**{TOTAL: _CountOf(self.object_list.order_by().values("pk"))})
        rows = list(counted[bottom:bottom + self.per_page])
        if not rows:
            if bottom:  # past the end: Django's validate_number would say the same
                raise EmptyPage(self.error_messages["no_results"])
            if not self.allow_empty_first_page:
                raise EmptyPage(self.error_messages["no_results"])
            self.count = 0
        else:
            self.count = rows[0][TOTAL]
        for row in rows:
            del row[TOTAL]
        return self._get_page(rows, number, self)

    def _whole_number(self, number):
        """``validate_number`` without the check against the page count (the count is not known yet)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class InlineCountPagination(PageNumberPagination):
    django_paginator_class = InlineCountPaginator
