"""A small asynchronous client for the Meilisearch HTTP API, on aiohttp.

The official ``meilisearch`` package is synchronous, so calling the HTTP API
directly keeps the event loop free without a thread pool. Only the endpoints
the project uses are wrapped. Writes in Meilisearch are asynchronous tasks:
:meth:`MeilisearchClient.wait_for_task` polls ``/tasks/{uid}`` until the task
has succeeded or failed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from core.errors import UpstreamError, UpstreamTimeout

logger = logging.getLogger(__name__)

#: First and longest pause between two polls of a task, in seconds.
TASK_POLL_START_SECONDS = 0.01
TASK_POLL_MAX_SECONDS = 0.5


class MeilisearchError(UpstreamError):
    """Meilisearch could not be reached or answered with an error."""

    def __init__(
        self, detail: str, *, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.http_status = status


class MeilisearchTimeout(MeilisearchError, UpstreamTimeout):
    """A request or a task took longer than its timeout."""


class MeilisearchTaskFailed(MeilisearchError):
    """A task finished with status ``failed``; ``code`` is Meilisearch's error code."""


class MeilisearchClient:
    """Meilisearch endpoints over a shared ``aiohttp.ClientSession``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str | None,
        *,
        timeout_seconds: float,
        task_timeout_seconds: float,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._task_timeout_seconds = task_timeout_seconds

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON body; errors raise MeilisearchError."""
        url = f"{self._base_url}{path}"
        try:
            async with self._session.request(
                method,
                url,
                json=json,
                params=params,
                headers=self._headers,
                timeout=self._timeout,
            ) as response:
                if response.status >= 400:
                    body = await _read_error(response)
                    raise MeilisearchError(
                        f"Meilisearch {method} {path} failed with HTTP {response.status}: "
                        f"{body.get('code')}: {body.get('message')}",
                        code=body.get("code"),
                        status=response.status,
                    )
                if response.status == 204:
                    return None
                return await response.json(content_type=None)
        except TimeoutError as error:
            raise MeilisearchTimeout(
                f"Meilisearch {method} {path} timed out after {self._timeout.total} s"
            ) from error
        except aiohttp.ClientError as error:
            raise MeilisearchError(
                f"Meilisearch {method} {path} failed: {error}"
            ) from error

    async def wait_for_task(self, task_uid: int) -> dict[str, Any]:
        """Poll the task until it succeeds; raise MeilisearchTaskFailed if it fails."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._task_timeout_seconds
        pause = TASK_POLL_START_SECONDS
        while True:
            task = await self.request("GET", f"/tasks/{task_uid}")
            status = task.get("status")
            if status == "succeeded":
                return task
            if status in ("failed", "canceled"):
                error = task.get("error") or {}
                raise MeilisearchTaskFailed(
                    f"Meilisearch task {task_uid} ({task.get('type')}) {status}: "
                    f"{error.get('code')}: {error.get('message')}",
                    code=error.get("code"),
                )
            if loop.time() >= deadline:
                raise MeilisearchTimeout(
                    f"Meilisearch task {task_uid} still {status} after "
                    f"{self._task_timeout_seconds} s; raise MEILISEARCH_TASK_TIMEOUT_SECONDS "
                    "if the index is large"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, TASK_POLL_MAX_SECONDS)

    async def run_task(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send a write request and wait until its task has succeeded."""
        summary = await self.request(method, path, json=json, params=params)
        return await self.wait_for_task(summary["taskUid"])

    async def health(self) -> bool:
        try:
            body = await self.request("GET", "/health")
        except MeilisearchError:
            return False
        return isinstance(body, dict) and body.get("status") == "available"

    async def get_index(self, uid: str) -> dict[str, Any] | None:
        try:
            return await self.request("GET", f"/indexes/{uid}")
        except MeilisearchError as error:
            if error.code == "index_not_found":
                return None
            raise

    async def ensure_index(self, uid: str, primary_key: str = "id") -> None:
        """Create the index unless it exists."""
        if await self.get_index(uid) is not None:
            return
        try:
            await self.run_task(
                "POST", "/indexes", json={"uid": uid, "primaryKey": primary_key}
            )
        except MeilisearchTaskFailed as error:
            # Another process created it between the check and the task.
            if error.code != "index_already_exists":
                raise

    async def delete_index(self, uid: str) -> None:
        try:
            await self.run_task("DELETE", f"/indexes/{uid}")
        except MeilisearchError as error:
            if error.code != "index_not_found":
                raise

    async def update_settings(self, uid: str, settings: dict[str, Any]) -> None:
        await self.run_task("PATCH", f"/indexes/{uid}/settings", json=settings)

    async def add_documents(self, uid: str, documents: list[dict[str, Any]]) -> None:
        """Add or replace documents (by primary key ``id``) and wait for the task."""
        if documents:
            await self.run_task(
                "POST",
                f"/indexes/{uid}/documents",
                json=documents,
                params={"primaryKey": "id"},
            )

    async def delete_documents(self, uid: str, ids: list[str]) -> None:
        if ids:
            await self.run_task(
                "POST", f"/indexes/{uid}/documents/delete-batch", json=ids
            )

    async def search(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", f"/indexes/{uid}/search", json=body)

    async def swap_indexes(self, first: str, second: str) -> None:
        await self.run_task(
            "POST", "/swap-indexes", json=[{"indexes": [first, second]}]
        )


async def _read_error(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return {"message": (await response.text())[:200]}
    return body if isinstance(body, dict) else {"message": str(body)[:200]}
