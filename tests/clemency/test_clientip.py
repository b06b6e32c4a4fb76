"""Which address a request is counted against, with and without trusted proxies."""

import pytest
from django.test import RequestFactory

from clemency.clientip import client_address


def request(remote: str, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8:ffff::1"]
    settings.CLIENT_ADDRESS_HEADER = "x-forwarded-for"
    return settings


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("192.0.2.7", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "192.0.2.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("6.6.6.6, 198.51.100.1", "198.51.100.1"),  # what the client wrote is not believed
        ("198.51.100.1, 10.0.0.2", "198.51.100.1"),  # two proxies of ours
        ("10.0.0.3, 10.0.0.2", "10.0.0.3"),  # all ours: the farthest one
        ("not-an-address, 10.0.0.2", "10.0.0.2"),  # garbage stops the walk
        ("", "10.0.0.1"),
        ("198.51.100.1:4711", "198.51.100.1"),
        ("[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::99", "2001:db8:1:2::/64"),  # one household's /64 counts as one
        ("::ffff:198.51.100.9", "198.51.100.9"),
    ],
)
def test_the_header_is_read_from_the_right(proxies, forwarded, expected):
    assert client_address(request("10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)) == expected


def test_a_request_from_elsewhere_is_its_own_address(proxies):
    assert client_address(request("203.0.113.5", HTTP_X_FORWARDED_FOR="10.0.0.9")) == "203.0.113.5"


def test_rfc_7239_forwarded(proxies):
    proxies.CLIENT_ADDRESS_HEADER = "forwarded"
    header = 'for=6.6.6.6;proto=https, for="[2001:db8:5::1]:80";proto=https'
    found = client_address(request("2001:db8:ffff::1", HTTP_FORWARDED=header))
    assert found == "2001:db8:5::/64"
