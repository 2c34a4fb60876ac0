"""Route tables that also describe themselves, and the OpenAPI 3.1 document built from them.

Handlers stay plain aiohttp handlers; the decorator records the models a route
reads and returns so ``/api/v1/openapi.json`` lists every route with its
schemas. Parsing still happens explicitly in each handler.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AuthMode = Literal["required", "optional", "none"]

_PARAMETER_NAME = re.compile(r"\w+")


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: AuthMode
    status: int
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    responses: dict[int, str] = field(default_factory=dict)
    content_type: str | None = None
    #: Whether the handler reads ``body`` with ``api.http.read_json``, which
    #: rejects other content types with 415. The app rejects bodies over its
    #: size limit with 413.
    json_body_checked: bool = True


class ApiRoutes:
    """A list of routes with their schemas; ``register(app)`` adds them to the router."""

    def __init__(self, tag: str = "default") -> None:
        self.tag = tag
        self.specs: list[RouteSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str = "",
        tag: str | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        auth: AuthMode = "none",
        status: int = 200,
        responses: dict[int, str] | None = None,
        content_type: str | None = None,
        json_body_checked: bool = True,
    ) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.specs.append(
                RouteSpec(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
                    tag=tag or self.tag,
                    auth=auth,
                    status=status,
                    body=body,
                    query=query,
                    response=response,
                    responses=responses or {},
                    content_type=content_type,
                    json_body_checked=json_body_checked,
                )
            )
            return handler

        return decorator

    def get(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kwargs)

    def register(self, app: web.Application) -> None:
        """Add every route to ``app``; GET routes also answer HEAD, as HTTP expects."""
        for spec in self.specs:
            if spec.method == "GET":
                app.router.add_get(spec.path, spec.handler)
            else:
                app.router.add_route(spec.method, spec.path, spec.handler)


_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
}

_DEFAULT_ERRORS = {
    "required": {401: "Missing or invalid API key", 422: "Invalid body or query"},
    "optional": {401: "Invalid API key", 422: "Invalid body or query"},
    "none": {422: "Invalid body or query"},
}

_JSON_BODY_ERRORS = {
    413: "Body larger than 1 MiB",
    415: "Content-Type is not application/json",
}


def _path_parameters(path: str) -> list[tuple[str, int, int]]:
    """Return ``(name, start, end)`` of each ``{name}`` or ``{name:regex}`` in an aiohttp path.

    Braces are counted because a regex may contain its own, as in ``[0-9a-f]{36}``.
    """
    parameters = []
    index = 0
    while (start := path.find("{", index)) != -1:
        depth = 0
        for end in range(start, len(path)):
            if path[end] == "{":
                depth += 1
            elif path[end] == "}":
                depth -= 1
                if depth == 0:
                    break
        else:
            raise ValueError(f"unbalanced braces in route path {path!r}")
        inner = path[start + 1 : end]
        name = inner.split(":", 1)[0]
        if not _PARAMETER_NAME.fullmatch(name):
            raise ValueError(f"invalid parameter {inner!r} in route path {path!r}")
        parameters.append((name, start, end + 1))
        index = end + 1
    return parameters


def openapi_path(path: str) -> str:
    """Drop the regexes from an aiohttp path: ``/s/{id:[0-9]+}`` becomes ``/s/{id}``."""
    result = path
    for name, start, end in reversed(_path_parameters(path)):
        result = result[:start] + "{" + name + "}" + result[end:]
    return result


def build_openapi(
    specs: Iterable[RouteSpec], *, title: str, version: str
) -> dict[str, Any]:
    """Build an OpenAPI 3.1 document for ``specs``."""
    specs = list(specs)
    models: set[type[BaseModel]] = set()
    for spec in specs:
        models.update(
            model for model in (spec.body, spec.response) if model is not None
        )
    schema_keys = [
        (model, "validation" if _is_input(model, specs) else "serialization")
        for model in sorted(models, key=lambda m: m.__name__)
    ]
    refs, definitions = models_json_schema(
        schema_keys, ref_template="#/components/schemas/{model}"
    )
    components = dict(definitions.get("$defs", {}))
    components["Problem"] = _PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    operation_ids = _operation_ids(specs)
    for spec, operation_id in zip(specs, operation_ids, strict=True):
        operation: dict[str, Any] = {
            "summary": spec.summary,
            "tags": [spec.tag],
            "operationId": operation_id,
            "parameters": _parameters(spec),
            "responses": {},
        }
        if spec.auth == "required":
            operation["security"] = [{"bearer": []}]
        elif spec.auth == "optional":
            operation["security"] = [{}, {"bearer": []}]
        if spec.body is not None:
            mode = "validation" if _is_input(spec.body, specs) else "serialization"
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(spec.body, mode)]}},
            }
        elif spec.content_type:
            operation["requestBody"] = {
                "required": True,
                "content": {spec.content_type: {"schema": {}}},
            }
        success: dict[str, Any] = {"description": "Success"}
        if spec.response is not None:
            mode = "validation" if _is_input(spec.response, specs) else "serialization"
            success["content"] = {
                "application/json": {"schema": refs[(spec.response, mode)]}
            }
        operation["responses"][str(spec.status)] = success
        problems = dict(_DEFAULT_ERRORS[spec.auth])
        if spec.body is not None and spec.json_body_checked:
            problems.update(_JSON_BODY_ERRORS)
        problems.update(spec.responses)
        for status, description in sorted(problems.items()):
            operation["responses"][str(status)] = {
                "description": description,
                "content": {
                    "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}
                    }
                },
            }
        paths.setdefault(openapi_path(spec.path), {})[spec.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API key"}
            },
        },
    }


def _operation_ids(specs: list[RouteSpec]) -> list[str]:
    """Name each operation after its handler, numbering the aliases of one handler.

    A handler registered under several paths or methods (stacked route
    decorators) gets ``name``, ``name_2``, ... so every id stays unique.
    """
    seen: dict[str, int] = {}
    operation_ids = []
    for spec in specs:
        base = f"{spec.handler.__module__.rsplit('.', 1)[-1]}_{spec.handler.__name__}"
        seen[base] = seen.get(base, 0) + 1
        operation_ids.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return operation_ids


def _is_input(model: type[BaseModel], specs: list[RouteSpec]) -> bool:
    return any(spec.body is model for spec in specs)


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name, _, _ in _path_parameters(spec.path):
        schema: dict[str, Any] = {"type": "string"}
        if name == "id" or name.endswith("_id"):
            schema["format"] = "uuid"
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema}
        )
    if spec.query is not None:
        query_schema = spec.query.model_json_schema()
        required = set(query_schema.get("required", []))
        for name, schema in query_schema.get("properties", {}).items():
            parameter = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": schema,
            }
            if "description" in schema:
                parameter["description"] = schema["description"]
            parameters.append(parameter)
    return parameters
