"""The public side: no account, no login. Never imports code that can read a submitted case."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@login_not_required
@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/landing.html")
