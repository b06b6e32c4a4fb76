from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from clemency.security.casekeys import key_scope


class CaseKeyScopeMiddleware:
    """Unwrapped case keys live for one request at most (see casekeys.key_scope).

    A streamed response (document download) keeps using the key it captured; the cache itself is
    emptied as soon as the view returns.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with key_scope():
            return self.get_response(request)
