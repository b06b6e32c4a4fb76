"""The staff and attorney side. Every view here needs a signed-in user (LoginRequiredMiddleware)."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
@permission_required("accounts.use_screening_workspace", raise_exception=True)
def screening(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/screening.html")


@require_safe
@permission_required("accounts.use_coordination_workspace", raise_exception=True)
def coordination(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/coordination.html")


@require_safe
@permission_required("accounts.use_attorney_workspace", raise_exception=True)
def my_cases(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/my_cases.html")
