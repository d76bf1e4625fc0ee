"""What keeps an admin changelist cheap at national volume (issue 19).

A changelist's page query carries its joins (`list_select_related`) and its annotations (counts, amounts) and is
sorted on a joined column (the school year's label, the collectivité's name): PostgreSQL joins and annotates the
whole table before it can sort and cut the page. `PaginatorParCles` cuts the page on the narrow rows first (the
keys, with the filters and the sort only), then fetches the rows of that page with everything else.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet


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
