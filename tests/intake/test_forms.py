"""Hostile and random input to every step: a valid step or field errors, never a crash."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.steps import STEPS

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "<script>alert(1)</script>",
            "'; DROP TABLE intake_draft; --",
            "\x00\u202e\ufeff",
            "9999-99-99",
            "0000-00-00",
            "1990-02-30",
            "yes",
            "no",
            "on",
            "A" * 100_000,
            "٣٤٥٦٧٨٩٠",
            "১৯৯০-০৫-১৭",
        ]
    ),
)


@pytest.mark.parametrize("step", STEPS, ids=[s.identifier for s in STEPS])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_input_gives_a_clean_result_or_field_errors(step, data):
    form_class = step.form_class
    payload = {name: data.draw(HOSTILE) for name in form_class.base_fields}
    form = form_class(payload)
    if form.is_valid():
        answers = form.as_answers()
        assert set(answers) == set(form_class.base_fields)
        json.dumps(answers)  # storable as the encrypted JSON of the draft
    else:
        assert form.errors
        for errors in form.errors.values():
            assert all(str(error) for error in errors)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_posts_to_every_step_never_cause_a_server_error(client, settings, data):
    from django.urls import reverse

    settings.INTAKE_START_LIMIT = 10_000

    client.post(reverse("intake:start"))
    for step in STEPS:
        payload = {name: data.draw(HOSTILE) for name in step.form_class.base_fields}
        payload["action"] = data.draw(st.sampled_from(["next", "later", "", "x"]))
        response = client.post(
            reverse("intake:step", kwargs={"identifier": step.identifier}), payload
        )
        assert response.status_code in {200, 302}, response.status_code
        if payload["action"] == "later" and response.status_code == 200:
            client.post(reverse("intake:start"))  # the draft was put away: start another
