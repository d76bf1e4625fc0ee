from django.contrib.auth import middleware
from django.urls import reverse


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    """Every page needs a logged-in user, except those marked `login_not_required` and the admin.

    The admin checks `is_staff` itself and sends anonymous visitors to its own login page: the rectorat's agents
    should not land on the collectivités' login page.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(reverse("admin:index")):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
