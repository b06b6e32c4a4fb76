"""Screening pages: the screening record with its guidance, a conviction's facts, the person's
consent, and applying again after a denial. Thin, as cases/views.py: fetch the case with
``case_for`` (404), ask cases/rules.py (403), validate, call the service."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import decisions, rules, screening, screening_forms
from cases.services import CaseError, CaseForbidden
from cases.views import _case_page, case_for
from clemency.audit.log import record


@require_http_methods(["GET", "POST"])
def case_screening(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """The screening record: relief sought, grounds per conviction, and the guidance the rules
    give for them (cases/law.py), shown with their reasons and sources."""
    case = case_for(request.user, case_id)
    rules.require(rules.may_screen(case, request.user))
    convictions = list(case.convictions.all())
    status = 200
    if request.method == "POST":
        form = screening_forms.ScreeningForm(request.POST, convictions=convictions)
        if form.is_valid():
            try:
                screening.case_save_screening(
                    case=case,
                    actor=request.user,
                    relief=form.cleaned_data["relief"],
                    notes=form.cleaned_data["notes"],
                    grounds=form.grounds(),
                    facts=form.facts(),
                )
            except CaseForbidden:
                rules.require(False)
            except CaseError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The screening is saved."))
                return redirect("cases:case-screening", case_id=case.pk)
        status = 400
    else:
        form = screening_forms.ScreeningForm(
            initial=screening_forms.ScreeningForm.initial_for(
                screening.screening_of(case), convictions, facts=screening.facts_of(case)
            ),
            convictions=convictions,
        )
    record("case.viewed", actor=request.user, case_id=case.pk, data={"page": "screening"})
    guidance = screening.guidance_for(case, convictions)
    return render(
        request,
        "cases/screening.html",
        {
            "case": case,
            "form": form,
            "rows": [
                (conviction, form[name], advice)
                for (conviction, name), advice in zip(form.rows, guidance.convictions, strict=True)
            ],
            "case_advice": guidance.case,
            "facts_fields": [form[name] for name in screening.FACTS],
            "problems": screening.screening_problems(case, convictions),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def conviction_edit(
    request: HttpRequest, case_id: uuid.UUID, conviction_id: uuid.UUID | None = None
) -> HttpResponse:
    """Add a conviction, or change one's facts: staff, coordinators, the assigned attorney."""
    case = case_for(request.user, case_id)
    rules.require(rules.may_edit_convictions(case, request.user))
    conviction = None
    if conviction_id is not None:
        conviction = case.convictions.filter(pk=conviction_id).first()
        if conviction is None:
            raise Http404
    if request.method == "POST":
        form = screening_forms.ConvictionForm(
            request.POST, county=conviction.county if conviction else ""
        )
        if form.is_valid():
            try:
                screening.case_save_conviction(
                    case=case,
                    actor=request.user,
                    conviction_id=conviction_id,
                    values=form.cleaned_data,
                )
            except CaseForbidden:
                rules.require(False)
            except CaseError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The conviction is saved."))
                return redirect("cases:case", case_id=case.pk)
    elif conviction is not None:
        record("case.viewed", actor=request.user, case_id=case.pk, data={"page": "conviction"})
        form = screening_forms.ConvictionForm(
            initial=screening_forms.ConvictionForm.initial_from(conviction),
            county=conviction.county,
        )
    else:
        form = screening_forms.ConvictionForm()
    return render(
        request,
        "cases/conviction.html",
        {"case": case, "form": form, "conviction": conviction},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def case_consent(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = case_for(request.user, case_id)
    rules.require(rules.may_record_consent(case, request.user))
    form = screening_forms.ConsentForm(request.POST, prefix="consent")
    if form.is_valid():
        try:
            screening.case_record_consent(case=case, actor=request.user, **form.cleaned_data)
        except CaseError as error:  # recorded already (its form is gone): said at the top
            messages.error(request, str(error))
        else:
            messages.success(request, _("The person's consent is recorded."))
            return redirect("cases:case", case_id=case.pk)
    return _case_page(request, case, consent_form=form, status=400)


@require_http_methods(["GET", "POST"])
def case_apply_again(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """After a denial: a new case for the same person, linked to this one."""
    case = case_for(request.user, case_id)
    rules.require(rules.may_apply_again(case, request.user))
    error = None
    if request.method == "POST":
        try:
            new = decisions.case_apply_again(case=case, actor=request.user)
        except CaseForbidden:
            rules.require(False)
        except CaseError as refused:
            error = str(refused)
        else:
            messages.success(
                request,
                _("Case %(reference)s is opened for the new application.")
                % {"reference": new.reference},
            )
            return redirect("cases:case", case_id=new.pk)
    return render(
        request,
        "cases/apply_again.html",
        {
            "case": case,
            "error": error,
            "possible": decisions.may_apply_again(case),
        },
        status=400 if error else 200,
    )
