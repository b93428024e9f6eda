"""Page-number pagination whose count comes with the page: one query instead of two.

DRF's ``PageNumberPagination`` asks the database twice, ``COUNT(*)`` of the list and then the page. Here the
page's query carries the count as an uncorrelated scalar subquery over the same rows
(``(SELECT COUNT(*) FROM (<the list without its order>)) AS total``): PostgreSQL runs it once (an InitPlan)
and still stops the page's own scan at ``LIMIT``. What the answer says is DRF's: the same ``count``,
``next``, ``previous``, the same 404 "Invalid page." for a page past the end, a page that is not a number
or below 1, and ``?page=last`` (which needs the count first, so it counts apart as before, as does a page
number too large for SQL's ``OFFSET``).

The list must be a ``values()`` query set (the rows are dicts; the total is taken out of each row).
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from rest_framework.pagination import PageNumberPagination

TOTAL = "_inline_total"
BIGGEST_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET and LIMIT are bigints


class _CountOf(models.Subquery):
    """``COUNT(*)`` of the rows of a query set, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS inline_counted)"
    output_field = models.BigIntegerField()


class InlineCountPaginator(Paginator):
    def page(self, number):
        if "count" in self.__dict__ or self.orphans:
            return super().page(number)  # counted already (?page=last) or orphans: Django's way
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
