"""The pipeline's filters (django-filter). A value a filter cannot use is left out, and named on
the page, while the others still apply; with no state chosen, the queue shows the open cases."""

import html
from datetime import timedelta

import django_filters
from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cases.models import OPEN_STATES, State, Urgency
from cases.workflow import volunteer_attorneys
from clemency.common.counties import NEW_YORK_COUNTIES

ANY = _("Any")


class Select(forms.Select):
    """Django's select, its options written in one Python loop instead of a template per option
    (the filters list 62 counties and every volunteer attorney): the same HTML for a flat list."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(item) for item in self.format_value(value)}
        options = "".join(
            f'<option value="{html.escape(str(key))}"{" selected" if str(key) in selected else ""}>'
            f"{html.escape(str(label))}</option>"
            for key, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        return format_html("<select{}>{}</select>", attributes, mark_safe(options))  # noqa: S308 (escaped above)


class FilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


def _due_within(queryset, name, value):
    """Cases whose next deadline is from today to ``value`` days on (overdue ones have their
    own filter)."""
    if not value:
        return queryset
    today = timezone.localdate()
    return queryset.filter(
        next_deadline__gte=today, next_deadline__lte=today + timedelta(days=int(value))
    )


def _overdue(queryset, name, value):
    return queryset.filter(next_deadline__lt=timezone.localdate()) if value else queryset


def due_within_filter() -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        label=_("Next deadline within"),
        choices=[(7, _("7 days")), (14, _("14 days")), (30, _("30 days"))],
        method=_due_within,
        empty_label=ANY,
        widget=Select,
    )


def overdue_filter() -> django_filters.BooleanFilter:
    return django_filters.BooleanFilter(
        label=_("Only overdue"), method=_overdue, widget=forms.CheckboxInput
    )


class ListFilters(django_filters.FilterSet):
    """What the case lists' filter sets share: the form, and the values left out."""

    class Meta:
        form = FilterForm

    @property
    def ignored(self) -> list[str]:
        """The labels of the filters whose value could not be used."""
        fields = self.form.fields
        return [str(fields[name].label) for name in self.form.errors if name in fields]


class DeadlineFilter(ListFilters):
    """The deadline filters alone: coordination and "my cases"."""

    due_within = due_within_filter()
    overdue = overdue_filter()


class PipelineFilter(ListFilters):
    q = django_filters.CharFilter(
        label=_("Reference"),
        field_name="reference",
        lookup_expr="icontains",
        max_length=20,
        widget=forms.TextInput(attrs={"type": "search", "dir": "ltr"}),
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=State.choices, empty_label=_("All open"), widget=Select
    )
    urgency = django_filters.ChoiceFilter(
        label=_("Urgency"), choices=Urgency.choices, empty_label=ANY, widget=Select
    )
    county = django_filters.ChoiceFilter(
        label=_("County"),
        field_name="convictions__county",
        choices=[(county, county) for county in NEW_YORK_COUNTIES],
        empty_label=ANY,
        distinct=True,
        widget=Select,
    )
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=settings.LANGUAGES, empty_label=ANY, widget=Select
    )
    attorney = django_filters.ChoiceFilter(
        label=_("Volunteer attorney"),
        field_name="assigned_attorney_id",
        choices=lambda: volunteer_attorneys().order_by("email").values_list("pk", "email"),
        empty_label=ANY,
        widget=Select,
    )
    due_within = due_within_filter()
    overdue = overdue_filter()
    stuck = django_filters.BooleanFilter(
        label=_("Only stuck (a long time in one state)"),
        method="filter_stuck",
        widget=forms.CheckboxInput,
    )

    def filter_stuck(self, queryset, name, value):
        if not value:
            return queryset
        since = timezone.now() - timedelta(days=settings.STUCK_AFTER_DAYS)
        return queryset.open().filter(state_changed_at__lt=since)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.form.cleaned_data.get("state") else queryset.open()

    def states_alone(self) -> list[str] | None:
        """The states the queue is made of when nothing but the state chooses it (every other
        filter empty or left out): the page then knows the queue's length from its counts per
        state, without counting the cases again. None when another filter narrows the queue."""
        if not self.is_bound:
            return None
        self.form.is_valid()  # cleaned as for ``qs``: the values it could not use are left out
        data = self.form.cleaned_data
        if any(data.get(name) for name in self.filters if name != "state"):
            return None
        return [data["state"]] if data.get("state") else list(OPEN_STATES)
