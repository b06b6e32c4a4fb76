"""Signed in with the password only: nothing but the second-factor pages until it is given.

Deny by default, like LoginRequiredMiddleware before it: a view is open to a person who has given
only their password when it is public (login_not_required: the public intake, the language
choice, sign-in and password reset) or marked `second_factor_not_required` (verification,
enrolment, passkey ceremonies, signing out). Every other request, whatever its method, is sent
to verification, or to enrolment for someone with no device yet; it never reaches its view.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.deprecation import MiddlewareMixin

from clemency.accounts.twofactor import is_verified, second_factor_url


def second_factor_not_required(view: Callable) -> Callable:
    """Open `view` to people who have given their password but not yet their second factor."""
    view.second_factor_required = False
    return view


class SecondFactorRequiredMiddleware(MiddlewareMixin):
    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        if not getattr(view_func, "second_factor_required", True):
            return None
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return None
        return self.handle_unverified(request)

    def handle_unverified(self, request: HttpRequest) -> HttpResponse:
        # Come back here afterwards only for a page (a form sent now is not sent again).
        next_url = request.get_full_path() if request.method in {"GET", "HEAD"} else ""
        return HttpResponseRedirect(second_factor_url(request.user, next_url))
