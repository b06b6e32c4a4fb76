"""Background work for accounts. Task arguments are ids, never addresses, tokens or names."""

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clemency.accounts.models import User


@task()
def send_password_reset(*, user_id: int | None, domain: str, use_https: bool) -> None:
    """Mail a reset link in the person's own language. The token is made here, not stored.

    A request for an address with no account queues this task too, with no user: it sends
    nothing, and the request did the same work as for a known address.
    """
    if user_id is None:
        return
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    context = {
        "domain": domain,
        "protocol": "https" if use_https else "http",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    with translation.override(user.language):
        subject = render_to_string("registration/password_reset_subject.txt", context)
        body = render_to_string("registration/password_reset_email.txt", context)
    EmailMessage(" ".join(subject.split()), body, to=[user.email]).send()
