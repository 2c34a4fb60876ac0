"""Validation of profile URLs and of the named social links on a streamer profile."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from core.errors import FieldError, InvalidInput

#: Link names a profile may carry; any other name is rejected.
SOCIAL_LINK_NAMES = frozenset(
    {
        "discord",
        "facebook",
        "github",
        "instagram",
        "kick",
        "linkedin",
        "tiktok",
        "twitch",
        "twitter",
        "website",
        "youtube",
    }
)

#: Maximum URL length accepted in a profile field, in characters.
MAX_URL_LENGTH = 2048


def url_problem(value: object) -> str | None:
    """Return why ``value`` is not an absolute http(s) URL, or None when it is one."""
    if not isinstance(value, str):
        return "must be a string holding an http(s) URL"
    if len(value) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if not hostname:
        return "must include a host name, e.g. https://example.com/"
    return None


def check_http_url(value: str, field: str) -> str:
    """Return ``value`` unchanged, or raise InvalidInput naming ``field``."""
    problem = url_problem(value)
    if problem is not None:
        raise InvalidInput(
            f"invalid URL in {field}: {problem}",
            [FieldError("body", field, problem)],
        )
    return value


def validate_social_links(links: Mapping[str, object]) -> dict[str, str]:
    """Return the links with empty values dropped, or raise InvalidInput.

    Every unknown name and every value that is not an http(s) URL becomes one
    field error named ``social_links.<name>``, so a client can mark each field.
    """
    cleaned: dict[str, str] = {}
    errors: list[FieldError] = []
    for name, value in links.items():
        field = f"social_links.{name}"
        if name not in SOCIAL_LINK_NAMES:
            allowed = ", ".join(sorted(SOCIAL_LINK_NAMES))
            errors.append(
                FieldError("body", field, f"unknown link name: use one of {allowed}")
            )
            continue
        if value is None or value == "":
            continue
        problem = url_problem(value)
        if problem is not None:
            errors.append(FieldError("body", field, problem))
            continue
        assert isinstance(value, str)
        cleaned[name] = value
    if errors:
        names = ", ".join(error.field for error in errors)
        raise InvalidInput(f"invalid social links: {names}", errors)
    return cleaned
