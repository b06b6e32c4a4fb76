"""Text messages: the development backend writes files; the provider backend speaks Twilio's REST
API over real HTTP (a local server stands in for the provider) and says nothing personal when it
fails."""

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from clemency import texting
from tests.clemency.subprocess_env import production_environ, run_python

NUMBER = "+13475550199"
BODY = "There is news about your application."


@pytest.fixture
def provider():
    """A local HTTP server answering as the provider does; what it received, and what it says."""
    received: list[dict] = []
    answer = {"status": 201, "body": {"sid": "SM1", "status": "queued"}}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(
                {
                    "path": self.path,
                    "authorization": self.headers["Authorization"],
                    "form": urllib.parse.parse_qs(self.rfile.read(length).decode()),
                }
            )
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(answer["body"]).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received, answer
    server.shutdown()
    server.server_close()


@pytest.fixture
def twilio(settings, provider):
    url, received, answer = provider
    settings.TEXT_MESSAGE_BACKEND = "clemency.texting.TwilioBackend"
    settings.TEXT_TWILIO_API_URL = url
    settings.TEXT_TWILIO_ACCOUNT = "AC123"
    settings.TEXT_TWILIO_TOKEN = "secret-token"
    settings.TEXT_TWILIO_FROM = "+12125550100"
    return received, answer


def test_the_provider_gets_the_number_the_sender_and_the_sentence(twilio):
    received, _answer = twilio
    texting.send_text(NUMBER, BODY)
    (request,) = received
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["authorization"] == "Basic " + base64.b64encode(b"AC123:secret-token").decode()
    assert request["form"] == {"To": [NUMBER], "From": ["+12125550100"], "Body": [BODY]}


@pytest.mark.parametrize(("status", "body"), [(400, {"code": 21211}), (201, {"status": "failed"})])
def test_a_refusal_is_an_error_that_names_neither_the_number_nor_the_text(twilio, status, body):
    _received, answer = twilio
    answer.update(status=status, body=body)
    with pytest.raises(texting.TextMessageError) as refused:
        texting.send_text(NUMBER, BODY)
    assert NUMBER not in str(refused.value)
    assert BODY not in str(refused.value)


def test_an_unreachable_provider_is_an_error(settings, twilio):
    settings.TEXT_TWILIO_API_URL = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(texting.TextMessageError, match="could not be reached"):
        texting.send_text(NUMBER, BODY)


def test_development_writes_each_text_to_a_file(settings, tmp_path):
    settings.TEXT_MESSAGE_BACKEND = "clemency.texting.FileBackend"
    settings.VAR_DIR = tmp_path
    texting.send_text(NUMBER, BODY)
    (written,) = (tmp_path / "texts").iterdir()
    assert written.read_text() == f"To: {NUMBER}\n\n{BODY}\n"


def test_with_no_backend_nothing_is_sent(settings):
    settings.TEXT_MESSAGE_BACKEND = ""
    assert not texting.enabled()
    with pytest.raises(texting.TextMessageError):
        texting.send_text(NUMBER, BODY)


TWILIO = {
    "TEXT_MESSAGE_BACKEND": "clemency.texting.TwilioBackend",
    "TEXT_TWILIO_ACCOUNT": "AC123",
    "TEXT_TWILIO_TOKEN": "secret-token",
    "TEXT_TWILIO_FROM": "+12125550100",
}


@pytest.mark.parametrize(
    ("missing", "refused"),
    [("TEXT_TWILIO_TOKEN", "needs TEXT_TWILIO_ACCOUNT"), (None, "must be an https:// address")],
)
def test_a_provider_half_configured_refuses_to_start(tmp_path, missing, refused):
    env = production_environ(tmp_path) | TWILIO
    if missing:
        env.pop(missing)
    else:
        env["TEXT_TWILIO_API_URL"] = "http://sms.example.org"
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert refused in result.stderr
    env["TEXT_TWILIO_API_URL"] = "https://sms.example.org"
    env.update(TWILIO)
    assert run_python("import django; django.setup()", env).returncode == 0
