"""The admin side of the académie as tenant: an agent sees and acts only within his académies.

Every model an agent reaches in the admin has a `for_user()` queryset method (the rule, on the model's QuerySet,
built on `collectivites.models.for_agent`); `AcademieScopedAdmin` applies it to the changelist, the change, delete
and history pages, the actions (they act on the changelist's queryset), the autocompletes (they search the related
model's admin) and the choices of foreign keys. `tests/test_isolation_academies.py` walks every admin URL.
"""

from django.http import Http404

from .admin_listes import ListeNationaleAdmin
from .models import academies_de


def scope(queryset, user):
    """`queryset` reduced to what `user` may see, when its model is scoped by académie."""
    return queryset.for_user(user) if hasattr(queryset, "for_user") else queryset


class AcademieScopedAdmin(ListeNationaleAdmin):
    # Every scoped list may hold a whole country's rows (ListeNationaleAdmin).
    # The lookup of the list filter by académie, offered to a national role (who sees them all).
    academie_filter: str | None = None

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_list_filter(self, request):
        list_filter = super().get_list_filter(request)
        if self.academie_filter and academies_de(request.user) is None:
            return [self.academie_filter, *list_filter]
        return list_filter

    def history_view(self, request, object_id, extra_context=None):
        self._exiger(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._exiger(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _exiger(self, request, object_id):
        # django-simple-history shows the history of a row the queryset does not hold (it takes it for deleted).
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("Aucun objet de vos académies ne correspond.")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _scoped(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _scoped(super().formfield_for_manytomany(db_field, request, **kwargs), request)


def _scoped(formfield, request):
    if formfield is not None and hasattr(formfield, "queryset"):
        formfield.queryset = scope(formfield.queryset, request.user)
    return formfield
