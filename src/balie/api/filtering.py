"""Query filters whose ids are checked before they reach the database.

Django answers an out-of-range id in an ``exact`` lookup with no rows, but an ``in`` lookup
(a many-to-many filter such as ``?teams=…``) hands it to the driver, which overflows (SQLite)
or fails (PostgreSQL): a 500. The backend's filtersets refuse such ids with a 400.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django_filters import fields, filterset
from django_filters import rest_framework as filters

from balie.core.converters import MAX_ID


def _check_ids(field: Any, values: Any) -> None:
    """Each value a positive 64-bit integer, when the field looks up an integer primary key."""
    if field.to_field_name or not isinstance(field.queryset.model._meta.pk, models.IntegerField):
        return
    for value in values or ():
        text = str(value)
        if not (text.isdigit() and 0 < int(text) <= MAX_ID):
            raise ValidationError(
                field.error_messages["invalid_pk_value"],
                code="invalid_pk_value",
                params={"pk": value},
            )


class IdMultipleChoiceField(fields.ModelMultipleChoiceField):
    """A list of ids, each a positive 64-bit integer (400 otherwise)."""

    def _check_values(self, value: Any) -> Any:
        _check_ids(self, value)
        return super()._check_values(value)


class IdMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """A many-to-many filter whose ids are checked before the query."""

    field_class = IdMultipleChoiceField


class FilterSet(filters.FilterSet):
    """The API's filtersets: many-to-many filters check their ids."""

    FILTER_DEFAULTS = {
        **filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.ManyToManyField: {
            **filterset.FILTER_FOR_DBFIELD_DEFAULTS[models.ManyToManyField],
            "filter_class": IdMultipleChoiceFilter,
        },
        models.ManyToOneRel: {
            **filterset.FILTER_FOR_DBFIELD_DEFAULTS[models.ManyToOneRel],
            "filter_class": IdMultipleChoiceFilter,
        },
        models.ManyToManyRel: {
            **filterset.FILTER_FOR_DBFIELD_DEFAULTS[models.ManyToManyRel],
            "filter_class": IdMultipleChoiceFilter,
        },
    }


class FilterBackend(filters.DjangoFilterBackend):
    """``DjangoFilterBackend`` building its filtersets on :class:`FilterSet`."""

    filterset_base = FilterSet
