"""A stream's chat: messages, moderation (deletes, bans, timeouts) and the WebSocket feed.

The WebSocket at ``/api/v1/streams/{stream_id}/chat/ws`` only pushes: it
sends ``{"type": "ready"}`` once subscribed, then one JSON text per event
(``message``, ``message_deleted``, ``user_banned``, ``user_timed_out``,
``user_unbanned``). Clients send messages with the REST endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import WSMsgType, web
from redis.exceptions import RedisError

from api.auth import require_user
from api.http import (
    STREAM_ID_SEGMENT,
    dumps,
    empty_response,
    json_response,
    parse_body,
    parse_query,
    path_uuid,
)
from api.keys import DATABASE, REDIS, SETTINGS
from api.openapi import ApiRoutes
from api.schemas.common import PageQuery, page_envelope
from api.schemas.chat import (
    ChatBan,
    ChatBanList,
    ChatBanRequest,
    ChatHistoryQuery,
    ChatMessage,
    ChatMessageCreate,
    ChatMessageList,
)
from core.community import chat, chat_bans
from core.community.chat_hub import ChatHub, publish_chat_event
from core.community.roles import get_stream

logger = logging.getLogger(__name__)

CHAT_HUB = web.AppKey("chat_hub", ChatHub)

#: Seconds between WebSocket pings; a client that misses a pong is dropped.
WEBSOCKET_HEARTBEAT_SECONDS = 30.0

_CHAT = f"/api/v1/streams/{STREAM_ID_SEGMENT}/chat"


async def chat_hub_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = ChatHub(app[REDIS], app[SETTINGS])
    app[CHAT_HUB] = hub
    yield
    await hub.close()


class ChatRoutes(ApiRoutes):
    """The chat route table; registering it also opens the process's ChatHub."""

    def register(self, app: web.Application) -> None:
        super().register(app)
        app.cleanup_ctx.append(chat_hub_ctx)


routes = ChatRoutes(tag="chat")


@routes.get(
    f"{_CHAT}/messages",
    query=ChatHistoryQuery,
    response=ChatMessageList,
    responses={404: "Unknown stream"},
)
async def list_messages(request: web.Request) -> web.Response:
    """List recent chat messages, oldest first, with each author's badges."""
    stream_id = path_uuid(request, "stream_id")
    query = parse_query(request, ChatHistoryQuery)
    messages = await chat.list_messages(
        request.app[DATABASE], stream_id, limit=query.limit, before_id=query.before_id
    )
    items = [ChatMessage.model_validate(message) for message in messages]
    return json_response(ChatMessageList(stream_id=stream_id, messages=items))


@routes.post(
    f"{_CHAT}/messages",
    body=ChatMessageCreate,
    response=ChatMessage,
    status=201,
    auth="required",
    responses={
        400: "The stream has ended",
        403: "The caller is banned or timed out in this chat",
        404: "Unknown stream",
        429: "Too many messages; retry after Retry-After seconds",
    },
)
async def send_message(request: web.Request) -> web.Response:
    """Send a chat message."""
    user = await require_user(request)
    stream_id = path_uuid(request, "stream_id")
    body = await parse_body(request, ChatMessageCreate)
    message = await chat.send_message(
        request.app[DATABASE],
        request.app[REDIS],
        request.app[SETTINGS],
        stream_id,
        user.id,
        body.body,
    )
    return json_response(ChatMessage.model_validate(message), status=201)


@routes.delete(
    f"{_CHAT}/messages/{{message_id:\\d{{1,18}}}}",
    status=204,
    auth="required",
    responses={
        403: "Only the broadcaster or a moderator deletes messages",
        404: "Unknown stream or message",
    },
)
async def delete_message(request: web.Request) -> web.Response:
    """Delete a chat message (broadcaster or moderator)."""
    user = await require_user(request)
    stream_id = path_uuid(request, "stream_id")
    message_id = int(request.match_info["message_id"])
    await chat.delete_message(
        request.app[DATABASE],
        request.app[REDIS],
        request.app[SETTINGS],
        stream_id,
        user.id,
        message_id,
    )
    return empty_response()


@routes.get(
    f"{_CHAT}/bans",
    query=PageQuery,
    response=ChatBanList,
    auth="required",
    responses={
        403: "Only the broadcaster or a moderator sees bans",
        404: "Unknown stream",
    },
)
async def list_bans(request: web.Request) -> web.Response:
    """List the bans and timeouts in force in the stream's channel."""
    user = await require_user(request)
    stream_id = path_uuid(request, "stream_id")
    query = parse_query(request, PageQuery)
    bans, total = await chat_bans.list_bans(
        request.app[DATABASE],
        stream_id,
        user.id,
        page=query.page,
        per_page=query.per_page,
    )
    items = [ChatBan.model_validate(ban) for ban in bans]
    return json_response(page_envelope("bans", items, total=total, query=query))


@routes.post(
    f"{_CHAT}/bans",
    body=ChatBanRequest,
    response=ChatBan,
    status=201,
    auth="required",
    responses={
        400: "Target is the caller, the broadcaster, or a moderator",
        403: "Only the broadcaster or a moderator bans; only the broadcaster acts on moderators",
        404: "Unknown stream or user",
    },
)
async def ban_user(request: web.Request) -> web.Response:
    """Ban a user from the chat, or time them out when ``duration_seconds`` is set."""
    user = await require_user(request)
    stream_id = path_uuid(request, "stream_id")
    body = await parse_body(request, ChatBanRequest)
    ban = await chat_bans.ban_user(
        request.app[DATABASE],
        stream_id,
        user.id,
        body.user_id,
        duration_seconds=body.duration_seconds,
        reason=body.reason,
    )
    event_type = "user_banned" if ban["kind"] == "ban" else "user_timed_out"
    await publish_chat_event(
        request.app[REDIS],
        request.app[SETTINGS],
        stream_id,
        {
            "type": event_type,
            "user_id": ban["user_id"],
            "expires_at": ban["expires_at"],
        },
    )
    return json_response(ChatBan.model_validate(ban), status=201)


@routes.delete(
    f"{_CHAT}/bans/{{user_id}}",
    status=204,
    auth="required",
    responses={
        403: "Only the broadcaster or a moderator lifts bans",
        404: "No ban or timeout in force",
    },
)
async def unban_user(request: web.Request) -> web.Response:
    """Lift a ban or timeout."""
    user = await require_user(request)
    stream_id = path_uuid(request, "stream_id")
    user_id = path_uuid(request, "user_id")
    await chat_bans.unban_user(request.app[DATABASE], stream_id, user.id, user_id)
    await publish_chat_event(
        request.app[REDIS],
        request.app[SETTINGS],
        stream_id,
        {"type": "user_unbanned", "user_id": user_id},
    )
    return empty_response()


async def _wait_for_close(socket: web.WebSocketResponse) -> None:
    """Read and ignore client frames until the client closes the connection."""
    async for frame in socket:
        if frame.type == WSMsgType.ERROR:
            logger.debug("chat websocket error: %s", socket.exception())


@routes.get(
    f"{_CHAT}/ws",
    responses={400: "Not a WebSocket upgrade request", 404: "Unknown stream"},
    summary="Receive chat events over a WebSocket",
)
async def chat_websocket(request: web.Request) -> web.WebSocketResponse:
    """Push the stream's chat events to the client as JSON texts."""
    stream_id = path_uuid(request, "stream_id")
    await get_stream(request.app[DATABASE], stream_id)
    socket = web.WebSocketResponse(heartbeat=WEBSOCKET_HEARTBEAT_SECONDS)
    await socket.prepare(request)
    client_closed = asyncio.create_task(_wait_for_close(socket))
    try:
        async with request.app[CHAT_HUB].listen(stream_id) as listener:
            await socket.send_str(
                dumps({"type": "ready", "stream_id": stream_id}).decode()
            )
            while not listener.overflowed:
                next_event = asyncio.ensure_future(listener.queue.get())
                done, _ = await asyncio.wait(
                    {next_event, client_closed}, return_when=asyncio.FIRST_COMPLETED
                )
                if next_event not in done:
                    next_event.cancel()
                    break
                await socket.send_str(next_event.result())
            if listener.overflowed:
                logger.info("chat websocket too slow; closing stream_id=%s", stream_id)
                await socket.close(code=1013, message=b"client too slow, reconnect")
    except (TimeoutError, RedisError):
        logger.warning(
            "chat subscription failed stream_id=%s", stream_id, exc_info=True
        )
        await socket.close(code=1011, message=b"chat unavailable, reconnect later")
    finally:
        client_closed.cancel()
    return socket
