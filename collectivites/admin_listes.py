"""What keeps an admin changelist cheap at national volume (issue 19).

A changelist's page query carries its joins (`list_select_related`) and its annotations (counts, amounts) and is
sorted on a joined column (the school year's label, the collectivité's name): PostgreSQL joins and annotates the
whole table before it can sort and cut the page. `PaginatorParCles` cuts the page on the narrow rows first (the
keys, with the filters and the sort only), then fetches the rows of that page with everything else.
`ListeNationaleAdmin` puts it on a ModelAdmin, with the selection checkbox of each row written without the form
renderer.
"""

from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext as _


class PaginatorParCles(Paginator):
    """A paginator whose page is read in two queries: its keys, then its rows for those keys only.

    The page's queryset keeps its ordering, joins and annotations: the changelist (and `list_editable`'s formset)
    sees a queryset of the same rows in the same order as with Django's paginator.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            cles = list(object_list.values_list("pk", flat=True)[bottom:top])
            object_list = object_list.filter(pk__in=cles)
        else:
            object_list = object_list[bottom:top]
        return self._get_page(object_list, number, self)


class ListeNationaleAdmin:
    """A ModelAdmin's changelist at national volume: pages cut on the keys, row checkboxes written directly."""

    paginator = PaginatorParCles

    def action_checkbox(self, obj):
        # Django renders this checkbox with a `CheckboxInput` through the form renderer's templates, once per row:
        # ~15 % of the CPU of a 100-row list. The same markup (tests/test_admin.py compares them), written directly.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )
