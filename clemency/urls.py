from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import get_template
from django.urls import include, path, reverse
from django.views.decorators.http import require_safe
from django.views.i18n import set_language

from clemency.context_processors import hotline

admin.site.site_header = admin.site.site_title = "Pardon Project"


@login_not_required
@require_safe
def admin_login(request: HttpRequest) -> HttpResponse:
    """One sign-in page for everybody, the admin site included.

    Someone already signed in arrives here only when the admin site refused them: say so,
    instead of sending them to sign in again (which would send them straight back).
    """
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(
        request.GET.get("next") or reverse("admin:index"), login_url=reverse("accounts:login")
    )


admin.site.login = admin_login

urlpatterns = [
    path("", include("intake.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]
if settings.SITE_ROLE != "intake":
    # The public site (SITE_ROLE=intake) has no sign-in, no admin and no case routes ("cases"
    # is not even installed there): staff sign in on the staff site (STAFF_SITE_URL).
    urlpatterns += [
        path("accounts/", include("clemency.accounts.urls")),
        path("admin/", admin.site.urls),
        path("cases/", include("cases.urls")),
    ]


def server_error(request: HttpRequest) -> HttpResponseServerError:
    """The 500 page, with the number to call: rendered without the request (no database, no
    session), as Django's own."""
    page = get_template("500.html").render({"hotline": hotline()})
    return HttpResponseServerError(page)


handler500 = server_error
