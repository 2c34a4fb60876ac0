"""Typed application keys for the resources every API module shares."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import aiohttp
import redis.asyncio
from aiohttp import web

from core.cloudflare import CloudflareStream
from core.cache import ListingCache
from core.db import Database
from core.events import EventSink
from core.media.storage import MediaStorage
from core.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
REDIS = web.AppKey("redis", redis.asyncio.Redis)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
EVENTS = web.AppKey("events", EventSink)
CLOUDFLARE = web.AppKey("cloudflare", CloudflareStream)
MEDIA_STORAGE = web.AppKey("media_storage", MediaStorage)
#: Threads that decode and resize uploaded images, off the event loop.
MEDIA_EXECUTOR = web.AppKey("media_executor", ThreadPoolExecutor)
LISTING_CACHE = web.AppKey("listing_cache", ListingCache)
