"""Give every request an id, echo it in ``X-Request-Id`` and put it on every log record."""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from core.logs import request_id_var

REQUEST_ID_HEADER = "X-Request-Id"
#: Client-supplied ids are kept only when short and plain, so logs stay clean.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@web.middleware
async def request_id_middleware(
    request: web.Request, handler: Any
) -> web.StreamResponse:
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = supplied if _ACCEPTABLE_ID.match(supplied) else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    try:
        response = await handler(request)
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
    finally:
        request_id_var.reset(token)
