"""The admin side of the académie as tenant: an agent sees and acts only within his académies.

Every model an agent reaches in the admin has a `for_user()` queryset method (the rule, on the model's QuerySet,
built on `collectivites.models.for_agent`); `AcademieScopedAdmin` applies it to the changelist, the change, delete
and history pages, the actions (they act on the changelist's queryset), the autocompletes (they search the related
model's admin) and the choices of foreign keys. `tests/test_isolation_academies.py` walks every admin URL.
"""


def scope(queryset, user):
    """`queryset` reduced to what `user` may see, when its model is scoped by académie."""
    return queryset.for_user(user) if hasattr(queryset, "for_user") else queryset


class AcademieScopedAdmin:
    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _scoped(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _scoped(super().formfield_for_manytomany(db_field, request, **kwargs), request)


def _scoped(formfield, request):
    if formfield is not None and hasattr(formfield, "queryset"):
        formfield.queryset = scope(formfield.queryset, request.user)
    return formfield
