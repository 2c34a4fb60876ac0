"""Social link and profile URL validation."""

from __future__ import annotations

import pytest

from core.community.social_links import check_http_url, validate_social_links
from core.errors import InvalidInput


def test_social_links_accepts_known_http_urls() -> None:
    links = {
        "twitter": "https://twitter.com/alice",
        "github": "http://github.com/alice",
        "website": "https://alice.dev/about?x=1",
    }

    assert validate_social_links(links) == links


def test_social_links_drops_empty_values() -> None:
    assert validate_social_links({"youtube": "", "discord": None}) == {}


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "ftp://example.com/x",
        "https://",
        "example.com",
        "https://exa mple.com",
        "https://example.com/\nSet-Cookie",
        42,
        "https://" + "a" * 2050 + ".com",
    ],
)
def test_social_links_rejects_non_http_url(value: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_social_links({"twitter": value})

    assert [error.field for error in raised.value.errors] == ["social_links.twitter"]


def test_social_links_rejects_unknown_name() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_social_links({"myspace": "https://myspace.com/alice"})

    assert [error.field for error in raised.value.errors] == ["social_links.myspace"]


def test_social_links_names_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_social_links(
            {
                "twitter": "nope",
                "github": "https://github.com/a",
                "orkut": "https://o.com",
            }
        )

    assert sorted(error.field for error in raised.value.errors) == [
        "social_links.orkut",
        "social_links.twitter",
    ]


def test_check_http_url_names_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_http_url("data:image/png;base64,xx", "avatar_url")

    assert raised.value.errors[0].field == "avatar_url"
