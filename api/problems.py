"""Turn every failure into an RFC 9457 problem-details response, at one boundary."""

from __future__ import annotations

import asyncio
import logging
import re
from http import HTTPStatus
from typing import Any

from aiohttp import web

from api.http import dumps
from core.errors import AuthenticationFailed, RateLimited, ServiceError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


def _code(error: ServiceError) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str,
    code: str | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if code:
        body["code"] = code
    body.update(extensions or {})
    response = web.Response(body=dumps(body), status=status, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _rate_limit_headers(error: RateLimited) -> dict[str, str]:
    return {
        "Retry-After": str(error.retry_after),
        "X-RateLimit-Limit": str(error.limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(error.reset_seconds),
    }


@web.middleware
async def problem_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ServiceError as error:
        headers = None
        if isinstance(error, RateLimited):
            headers = _rate_limit_headers(error)
        elif isinstance(error, AuthenticationFailed):
            headers = {"WWW-Authenticate": 'Bearer realm="api"'}
        if error.status >= 500:
            logger.warning(
                "upstream failure method=%s path=%s error=%s",
                request.method,
                request.path,
                error,
            )
        return problem_response(
            error.status,
            error.detail,
            instance=request.path,
            code=_code(error),
            extensions=error.extensions(),
            headers=headers,
        )
    except web.HTTPException as error:
        if error.status < 400:
            raise
        detail = (
            error.text
            if error.text and not error.text.startswith(str(error.status))
            else error.reason
        )
        if error.status == 404:
            detail = f"no route matches {request.method} {request.path}"
        elif error.status == 405:
            allowed = ", ".join(sorted(getattr(error, "allowed_methods", ()) or ()))
            detail = f"method {request.method} is not allowed on {request.path}; allowed: {allowed}"
        elif error.status == 413:
            detail = "request body is too large"
        headers = {
            key: value
            for key, value in error.headers.items()
            if key.lower() in {"allow", "retry-after"}
        }
        return problem_response(
            error.status, detail, instance=request.path, headers=headers
        )
    except web.RequestPayloadError as error:
        # aiohttp raises this while reading a body it cannot decode, such as
        # one whose Content-Encoding does not match its bytes. The last line
        # of the message names the cause.
        reason = str(error).strip().splitlines()[-1].strip()
        logger.info(
            "unreadable request body method=%s path=%s error=%s",
            request.method,
            request.path,
            reason,
        )
        return problem_response(
            400,
            f"request body could not be read ({reason}); check Content-Encoding "
            "and send the body again",
            instance=request.path,
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception(
            "unhandled error method=%s path=%s", request.method, request.path
        )
        return problem_response(
            500,
            "the server failed to handle this request; try again later",
            instance=request.path,
            code="internal_error",
        )
