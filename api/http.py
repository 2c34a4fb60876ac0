"""Request parsing and JSON responses shared by every handler."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.errors import FieldError, InvalidInput, UnsupportedMediaType

ModelT = TypeVar("ModelT", bound=BaseModel)

_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_JSON_OPTIONS)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(data),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def empty_response(*, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers)


class InvalidField(ValueError):
    """Raised by a model validator to name the field a rule across fields blames."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validation_errors(error: ValidationError, location: str) -> list[FieldError]:
    errors = []
    for item in error.errors(include_url=False):
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, InvalidField):
            errors.append(FieldError(location, cause.field, str(cause)))
            continue
        field = ".".join(str(part) for part in item["loc"]) or location
        errors.append(FieldError(location, field, item["msg"]))
    return errors


def validate(model: type[ModelT], data: Any, location: str) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = validation_errors(error, location)
        names = ", ".join(sorted({item.field for item in errors}))
        raise InvalidInput(f"invalid {location}: check {names}", errors) from error


def _nul_fields(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                found.append(child)
            found += _nul_fields(item, child)
        return found
    if isinstance(value, list):
        found = []
        for index, item in enumerate(value):
            found += _nul_fields(item, f"{path}.{index}" if path else str(index))
        return found
    return []


def reject_nul_characters(data: Any, location: str) -> None:
    """Raise ``InvalidInput`` naming each string in ``data`` that contains U+0000.

    PostgreSQL text and jsonb cannot store the NUL character, so such a value
    is rejected before it reaches a query.
    """
    fields = _nul_fields(data, "")
    if fields:
        names = ", ".join(field or location for field in fields)
        raise InvalidInput(
            f"invalid {location}: {names} must not contain the NUL character (U+0000)",
            [
                FieldError(location, field or location, "must not contain U+0000")
                for field in fields
            ],
        )


async def read_json(request: web.Request) -> Any:
    """Read a JSON request body; a non-JSON content type is 415, bad JSON is 422.

    A string anywhere in the body that contains U+0000 is also 422.
    """
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            f"unsupported content type {request.content_type!r}: send application/json"
        )
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(
            f"request body is not valid JSON: {error}",
            [FieldError("body", "body", "not valid JSON")],
        ) from error
    reject_nul_characters(data, "body")
    return data


async def parse_body(request: web.Request, model: type[ModelT]) -> ModelT:
    """Validate the JSON body against ``model``; an empty body counts as ``{}``."""
    return validate(model, await read_json(request), "body")


def parse_query(request: web.Request, model: type[ModelT]) -> ModelT:
    """Validate the query string against ``model``; repeated parameters keep the last value."""
    data = {key: request.query.getall(key)[-1] for key in request.query.keys()}
    reject_nul_characters(data, "query")
    return validate(model, data, "query")


def parse_path(request: web.Request, model: type[ModelT]) -> ModelT:
    return validate(model, dict(request.match_info), "path")


#: ``{stream_id}`` path segment that matches only UUID-shaped text, so static
#: paths such as ``/api/v1/streams/search`` never match routes built on it.
STREAM_ID_SEGMENT = "{stream_id:[0-9a-fA-F-]{36}}"


def path_uuid(request: web.Request, name: str) -> UUID:
    """Return the path parameter ``name`` as a UUID; anything else is 422."""
    value = request.match_info[name]
    try:
        return UUID(value)
    except ValueError as error:
        raise InvalidInput(
            f"invalid {name} {value!r}: expected a UUID",
            [FieldError("path", name, "must be a UUID")],
        ) from error
