"""The collectivités' accounts (log in, invitation, forgotten password) and contacts, in the portal.

The access rule of every portal view: `compte_portail` (an account of a collectivité), `representant` (the person
who signs and pays; référents and contributeurs only read); objects always come from a `.for_user()` queryset, so
another collectivité's object is a 404 by construction.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from . import services
from .forms import (
    ChoixMotDePasseForm,
    ConnexionForm,
    ContactForm,
    InvitationPortailForm,
    MotDePasseOublieForm,
    est_compte_portail,
)
from .models import Contact, Invitation, User

COMPTE_PORTAIL_REQUIS = (
    "Cet espace est réservé aux comptes des collectivités. Les agents du rectorat travaillent dans l'administration."
)
REPRESENTANT_REQUIS = "Seul le représentant de la collectivité peut {action}."


def compte_portail(view):
    """The portal is for the accounts of a collectivité; rectorat staff work in the admin."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.collectivite_id is None:
            raise PermissionDenied(COMPTE_PORTAIL_REQUIS)
        return view(request, *args, **kwargs)

    return wrapper


def est_representant(user) -> bool:
    return user.collectivite_id is not None and user.role == User.Role.REPRESENTANT


def representant(action: str):
    """Only the representative acts; référents and contributeurs see the same pages read-only."""

    def decorator(view):
        @wraps(view)
        @compte_portail
        def wrapper(request, *args, **kwargs):
            if not est_representant(request.user):
                raise PermissionDenied(REPRESENTANT_REQUIS.format(action=action))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def axes_username(request, credentials) -> str:
    """django-axes counts failures per account: the same e-mail typed in capitals is the same account."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()


# Accounts ---------------------------------------------------------------------------------------------------------

connexion = auth_views.LoginView.as_view(
    form_class=ConnexionForm,
    template_name="registration/connexion.html",
    redirect_authenticated_user=True,
    extra_context={"title": "Connexion"},
)


class DeconnexionView(auth_views.LogoutView):
    """Logging out says so on the login page it leads to (LOGOUT_REDIRECT_URL): the session is really over."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "Déconnexion effectuée. À bientôt sur l'espace ENT-école.")
        return response


deconnexion = DeconnexionView.as_view()


TROP_DE_DEMANDES = (
    "Trop de demandes de lien en peu de temps, depuis cette adresse ou pour cette adresse e-mail. Pour protéger les "
    "comptes, les demandes sont limitées : réessayez dans une heure, ou contactez le rectorat."
)


def _email_saisi(group, request) -> str:
    return request.POST.get("email", "").strip().lower()


TROP_D_INVITATIONS = (
    "Trop d'invitations envoyées en peu de temps pour votre collectivité : pour protéger les adresses de vos "
    "collègues, les envois sont limités. Réessayez dans une heure, ou contactez le rectorat."
)


def _collectivite_du_compte(group, request) -> str:
    return str(request.user.collectivite_id)


def _trop_d_invitations(request) -> bool:
    """Sending and sending again count together, per collectivité (whoever of its accounts sends)."""
    return is_ratelimited(
        request, group="invitations", key=_collectivite_du_compte, rate=settings.INVITATIONS_RATE, increment=True
    )


def _trop_de_demandes(request) -> bool:
    """Throttled per address (one machine asking for many accounts) and per e-mail (one person's inbox flooded from
    many machines); both counters move on every request."""
    par_adresse = is_ratelimited(
        request, group="mot-de-passe-oublie-ip", key="ip", rate=settings.MOT_DE_PASSE_OUBLIE_RATE_IP, increment=True
    )
    par_email = is_ratelimited(
        request,
        group="mot-de-passe-oublie-email",
        key=_email_saisi,
        rate=settings.MOT_DE_PASSE_OUBLIE_RATE_EMAIL,
        increment=True,
    )
    return par_adresse or par_email


class MotDePasseOublieView(auth_views.PasswordResetView):
    form_class = MotDePasseOublieForm
    template_name = "registration/mot_de_passe_oublie.html"
    subject_template_name = "registration/email/mot_de_passe_sujet.txt"
    email_template_name = "registration/email/mot_de_passe.txt"
    success_url = reverse_lazy("collectivites:mot_de_passe_envoye")
    title = "Mot de passe oublié"

    def post(self, request, *args, **kwargs):
        if _trop_de_demandes(request):
            form = self.get_form()
            form.add_error(None, TROP_DE_DEMANDES)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The link is built from SITE_URL, never from the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


mot_de_passe_oublie = MotDePasseOublieView.as_view()
mot_de_passe_envoye = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/mot_de_passe_envoye.html", title="Lien envoyé"
)


class MotDePasseNouveauView(auth_views.PasswordResetConfirmView):
    def get_user(self, uidb64):
        # A staff account's password is not reset from the portal, even with a valid link obtained elsewhere.
        user = super().get_user(uidb64)
        return user if user is not None and est_compte_portail(user) else None


mot_de_passe_nouveau = MotDePasseNouveauView.as_view(
    form_class=ChoixMotDePasseForm,
    template_name="registration/mot_de_passe_nouveau.html",
    success_url=reverse_lazy("collectivites:mot_de_passe_termine"),
    title="Nouveau mot de passe",
)
mot_de_passe_termine = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/mot_de_passe_termine.html", title="Mot de passe enregistré"
)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The link of the invitation e-mail: the person chooses a password and their account is created."""
    invitation = services.invitation_pour(token)
    try:
        services.verifier(invitation)
    except services.InvitationInvalide as exc:
        return render(
            request, "registration/invitation_invalide.html", {"message": str(exc), "title": "Invitation"}, status=410
        )
    futur_compte = User(email=invitation.email, first_name=invitation.prenom, last_name=invitation.nom)
    form = ChoixMotDePasseForm(futur_compte, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accepter(invitation, form.cleaned_data["new_password1"])
        except services.InvitationInvalide as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Votre compte est créé. Bienvenue dans l'espace des collectivités.")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "registration/invitation.html",
        {"form": form, "invitation": invitation, "title": "Créer votre compte"},
    )


# Contacts of Article 2.7 ------------------------------------------------------------------------------------------


@representant("gérer les contacts")
def contacts(request):
    contacts = Contact.objects.for_user(request.user).order_by("role", "nom", "prenom")
    referents = [c for c in contacts if c.role == Contact.Role.REFERENT]
    return render(
        request,
        "collectivites/contacts.html",
        {
            "referent": referents[0] if referents else None,
            "contributeurs": [c for c in contacts if c.role == Contact.Role.CONTRIBUTEUR],
            "title": "Contacts de la collectivité",
        },
    )


def _contact_form(request, contact: Contact, title: str):
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        contact = form.save()
        messages.success(request, f"Le contact {contact.prenom} {contact.nom} est enregistré.")
        return redirect("collectivites:contacts")
    return render(request, "collectivites/contact_form.html", {"form": form, "contact": contact, "title": title})


@representant("gérer les contacts")
@require_http_methods(["GET", "POST"])
def contact_ajouter(request):
    return _contact_form(request, Contact(collectivite=request.user.collectivite), "Ajouter un contact")


@representant("gérer les contacts")
@require_http_methods(["GET", "POST"])
def contact_modifier(request, pk):
    contact = get_object_or_404(Contact.objects.for_user(request.user), pk=pk)
    return _contact_form(request, contact, f"Modifier le contact {contact.prenom} {contact.nom}")


@representant("gérer les contacts")
@require_http_methods(["GET", "POST"])
def contact_supprimer(request, pk):
    contact = get_object_or_404(Contact.objects.for_user(request.user), pk=pk)
    if request.method == "POST":
        contact.delete()
        messages.success(request, f"Le contact {contact.prenom} {contact.nom} est retiré de la liste.")
        return redirect("collectivites:contacts")
    return render(
        request,
        "collectivites/contact_supprimer.html",
        {"contact": contact, "title": f"Retirer le contact {contact.prenom} {contact.nom}"},
    )


# Accounts of the collectivité: the representative invites colleagues ------------------------------------------------

INVITER = "inviter des personnes sur l'espace"


def _lien_expire(invitation: Invitation) -> str:
    return f"{timezone.localtime(invitation.expire_le):%d/%m/%Y à %H:%M}"


@representant(INVITER)
def comptes(request):
    """Who has an account for the collectivité, and the invitations not yet accepted (pending or expired)."""
    collectivite = request.user.collectivite
    return render(
        request,
        "collectivites/comptes.html",
        {
            "comptes": collectivite.comptes.filter(is_active=True).order_by("role", "last_name", "first_name"),
            "invitations": Invitation.objects.for_user(request.user).non_acceptees().order_by("-creee_le"),
            "maintenant": timezone.now(),
            "title": "Comptes de l'espace",
        },
    )


@representant(INVITER)
@require_http_methods(["GET", "POST"])
def inviter(request):
    """The invitation form; « ?contact=<pk> » fills it from a contact of the collectivité (another's is a 404)."""
    initial = {}
    if request.method == "GET" and request.GET.get("contact"):
        contact = get_object_or_404(Contact.objects.for_user(request.user), pk=request.GET["contact"])
        initial = {"role": contact.role, "prenom": contact.prenom, "nom": contact.nom, "email": contact.email}
    invitation = Invitation(collectivite=request.user.collectivite)
    form = InvitationPortailForm(request.POST or None, instance=invitation, initial=initial)
    if request.method == "POST" and form.is_valid():
        if _trop_d_invitations(request):
            form.add_error(None, TROP_D_INVITATIONS)
            contexte = {"form": form, "title": "Inviter une personne"}
            return render(request, "collectivites/inviter.html", contexte, status=429)
        try:
            invitation = services.inviter_un_collegue(form.instance, par=request.user)
        except services.InvitationInvalide as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"L'invitation est envoyée à {invitation.email}. Le lien ne sert qu'une fois et expire le "
                f"{_lien_expire(invitation)}.",
            )
            return redirect("collectivites:comptes")
    return render(request, "collectivites/inviter.html", {"form": form, "title": "Inviter une personne"})


def _invitation_non_acceptee(request, pk) -> Invitation:
    return get_object_or_404(Invitation.objects.for_user(request.user).non_acceptees(), pk=pk)


@representant(INVITER)
@require_http_methods(["GET", "POST"])
def invitation_retirer(request, pk):
    invitation = _invitation_non_acceptee(request, pk)
    if request.method == "POST":
        services.retirer(invitation)
        messages.success(request, f"L'invitation de {invitation.email} est retirée : son lien ne fonctionne plus.")
        return redirect("collectivites:comptes")
    return render(
        request,
        "collectivites/invitation_retirer.html",
        {"invitation": invitation, "title": f"Retirer l'invitation de {invitation.prenom} {invitation.nom}"},
    )


@representant(INVITER)
def invitation_renvoyer(request, pk):
    """A new link (the previous one stops working) with a new expiry date. POST only; another collectivité's
    invitation is a 404 whatever the method."""
    invitation = _invitation_non_acceptee(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if _trop_d_invitations(request):
        messages.error(request, TROP_D_INVITATIONS)
        return redirect("collectivites:comptes")
    invitation = services.renouveler(invitation, par=request.user)
    expire = _lien_expire(invitation)
    messages.success(request, f"L'invitation est renvoyée à {invitation.email} ; le nouveau lien expire le {expire}.")
    return redirect("collectivites:comptes")
