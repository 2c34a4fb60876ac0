"""An in-memory stand-in for the Meilisearch HTTP endpoints the project calls.

It follows Meilisearch 1.x: every write returns ``202`` with a task summary,
tasks run in enqueue order shortly afterwards and go from ``enqueued`` to
``succeeded`` or ``failed``, and searches see only documents whose task has
run. Authorization is checked like Meilisearch does with a master key:
``/health`` is open, a missing bearer token is ``401``, a wrong one ``403``.

Search implements the parts of the engine the project relies on: stop words,
prefix matching on the last query word, typo tolerance with the default word
sizes, the ``all`` and ``last`` matching strategies, the ranking rules
``words``, ``typo``, ``proximity``, ``attribute``, ``sort``, ``exactness`` and
custom ``field:asc|desc`` rules, filters made of ``=``, ``!=``, ``>``, ``>=``,
``<``, ``<=`` and ``IN [...]`` comparisons joined by ``AND``, ``sort``, and
``limit``/``offset`` capped by ``pagination.maxTotalHits``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

DEFAULT_RANKING_RULES = ["words", "typo", "proximity", "attribute", "sort", "exactness"]

_WORD = re.compile(r"[^\W_]+")
_COMPARISON = re.compile(
    r"""\s*(?P<attr>[A-Za-z_][\w.]*)\s*
    (?:(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s\]]+)
      |IN\s*\[(?P<values>[^\]]*)\])\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


class MeiliError(Exception):
    def __init__(
        self, status: int, code: str, message: str, kind: str = "invalid_request"
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.kind = kind
        self.message = message


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _default_settings() -> dict[str, Any]:
    return {
        "displayedAttributes": ["*"],
        "searchableAttributes": ["*"],
        "filterableAttributes": [],
        "sortableAttributes": [],
        "rankingRules": list(DEFAULT_RANKING_RULES),
        "stopWords": [],
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            "disableOnWords": [],
            "disableOnAttributes": [],
        },
        "pagination": {"maxTotalHits": 1000},
    }


class Index:
    def __init__(self, uid: str, primary_key: str | None) -> None:
        self.uid = uid
        self.primary_key = primary_key
        self.documents: dict[str, dict[str, Any]] = {}
        self.settings = _default_settings()
        self.created_at = _now()


def _levenshtein(left: str, right: str, cap: int) -> int:
    if abs(len(left) - len(right)) > cap:
        return cap + 1
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, 1):
        current = [i]
        for j, right_char in enumerate(right, 1):
            cost = 0 if left_char == right_char else 1
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            )
        previous = current
    return previous[-1]


def _tokens(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [token for item in value for token in _tokens(item)]
    return [match.group(0) for match in _WORD.finditer(str(value).casefold())]


class _WordMatch:
    __slots__ = ("attribute", "position", "typos", "exact")

    def __init__(self, attribute: int, position: int, typos: int, exact: bool) -> None:
        self.attribute = attribute
        self.position = position
        self.typos = typos
        self.exact = exact


class MeilisearchDouble:
    """State and handlers of the double; ``build_app()`` returns the aiohttp app."""

    def __init__(self, master_key: str | None = "double-master-key") -> None:
        self.master_key = master_key
        self.indexes: dict[str, Index] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self._queue: list[tuple[int, Callable[[], dict[str, Any] | None]]] = []
        self._next_task = 0
        #: While set, every request except ``/health`` gets 503, like a
        #: server that is up but cannot serve.
        self.unavailable = False
        #: While set, enqueued tasks stay ``enqueued``.
        self.paused = False
        self.search_requests: list[dict[str, Any]] = []
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    # -- plumbing --------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/health", self._health)
        app.router.add_get("/indexes", self._list_indexes)
        app.router.add_post("/indexes", self._create_index)
        app.router.add_get("/indexes/{uid}", self._get_index)
        app.router.add_delete("/indexes/{uid}", self._delete_index)
        app.router.add_get("/indexes/{uid}/settings", self._get_settings)
        app.router.add_patch("/indexes/{uid}/settings", self._update_settings)
        app.router.add_post("/indexes/{uid}/documents", self._add_documents)
        app.router.add_put("/indexes/{uid}/documents", self._add_documents)
        app.router.add_post("/indexes/{uid}/documents/delete-batch", self._delete_batch)
        app.router.add_get("/indexes/{uid}/documents/{id}", self._get_document)
        app.router.add_post("/indexes/{uid}/search", self._search)
        app.router.add_get("/tasks/{task_uid}", self._get_task)
        app.router.add_post("/swap-indexes", self._swap_indexes)
        app.cleanup_ctx.append(self._runner_ctx)
        return app

    async def _runner_ctx(self, app: web.Application) -> Any:
        self._runner = asyncio.create_task(self._run_tasks())
        yield
        self._runner.cancel()
        try:
            await self._runner
        except asyncio.CancelledError:
            pass

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        try:
            if request.path != "/health":
                if self.unavailable:
                    raise MeiliError(
                        503, "unavailable", "The double is set unavailable.", "system"
                    )
                self._check_key(request)
            return await handler(request)
        except MeiliError as error:
            body = {
                "message": error.message,
                "code": error.code,
                "type": error.kind,
                "link": f"https://docs.meilisearch.com/errors#{error.code}",
            }
            return web.json_response(body, status=error.status)

    def _check_key(self, request: web.Request) -> None:
        if self.master_key is None:
            return
        header = request.headers.get("Authorization")
        if header is None:
            raise MeiliError(
                401,
                "missing_authorization_header",
                "The Authorization header is missing.",
                "auth",
            )
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or token != self.master_key:
            raise MeiliError(
                403, "invalid_api_key", "The provided API key is invalid.", "auth"
            )

    async def _json(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError as error:
            raise MeiliError(
                400, "malformed_payload", f"The json payload is invalid: {error}"
            ) from error

    def _index(self, uid: str) -> Index:
        index = self.indexes.get(uid)
        if index is None:
            raise MeiliError(404, "index_not_found", f"Index `{uid}` not found.")
        return index

    def _enqueue(
        self,
        index_uid: str | None,
        kind: str,
        apply: Callable[[], dict[str, Any] | None],
    ) -> web.Response:
        uid = self._next_task
        self._next_task += 1
        self.tasks[uid] = {
            "uid": uid,
            "indexUid": index_uid,
            "status": "enqueued",
            "type": kind,
            "details": {},
            "error": None,
            "enqueuedAt": _now(),
            "startedAt": None,
            "finishedAt": None,
        }
        self._queue.append((uid, apply))
        self._wakeup.set()
        summary = {
            key: self.tasks[uid][key]
            for key in ("indexUid", "status", "type", "enqueuedAt")
        }
        return web.json_response({"taskUid": uid, **summary}, status=202)

    async def _run_tasks(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            # Let the caller see ``enqueued`` before the task runs.
            await asyncio.sleep(0.01)
            while self._queue and not self.paused:
                uid, apply = self._queue.pop(0)
                task = self.tasks[uid]
                task["startedAt"] = _now()
                try:
                    details = apply()
                except MeiliError as error:
                    task["status"] = "failed"
                    task["error"] = {
                        "message": error.message,
                        "code": error.code,
                        "type": error.kind,
                    }
                else:
                    task["status"] = "succeeded"
                    task["details"] = details or {}
                task["finishedAt"] = _now()

    def resume(self) -> None:
        self.paused = False
        self._wakeup.set()

    # -- handlers ----------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "available"})

    async def _list_indexes(self, request: web.Request) -> web.Response:
        results = [self._describe(index) for index in self.indexes.values()]
        return web.json_response(
            {"results": results, "offset": 0, "limit": 20, "total": len(results)}
        )

    def _describe(self, index: Index) -> dict[str, Any]:
        return {
            "uid": index.uid,
            "primaryKey": index.primary_key,
            "createdAt": index.created_at,
            "updatedAt": index.created_at,
        }

    async def _create_index(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        uid = body.get("uid") if isinstance(body, dict) else None
        if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,400}", uid):
            raise MeiliError(
                400, "invalid_index_uid", f"`{uid}` is not a valid index uid."
            )
        primary_key = body.get("primaryKey")

        def apply() -> dict[str, Any]:
            if uid in self.indexes:
                raise MeiliError(
                    409, "index_already_exists", f"Index `{uid}` already exists."
                )
            self.indexes[uid] = Index(uid, primary_key)
            return {"primaryKey": primary_key}

        return self._enqueue(uid, "indexCreation", apply)

    async def _get_index(self, request: web.Request) -> web.Response:
        return web.json_response(self._describe(self._index(request.match_info["uid"])))

    async def _delete_index(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]

        def apply() -> dict[str, Any]:
            if self.indexes.pop(uid, None) is None:
                raise MeiliError(404, "index_not_found", f"Index `{uid}` not found.")
            return {}

        return self._enqueue(uid, "indexDeletion", apply)

    async def _get_settings(self, request: web.Request) -> web.Response:
        return web.json_response(self._index(request.match_info["uid"]).settings)

    async def _update_settings(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        body = await self._json(request)
        if not isinstance(body, dict):
            raise MeiliError(400, "bad_request", "Settings must be a JSON object.")
        unknown = set(body) - set(_default_settings())
        if unknown:
            raise MeiliError(
                400, "bad_request", f"Unknown field `{sorted(unknown)[0]}`."
            )

        def apply() -> dict[str, Any]:
            index = self.indexes.get(uid) or self.indexes.setdefault(
                uid, Index(uid, None)
            )
            for key, value in body.items():
                if isinstance(value, dict) and isinstance(
                    index.settings.get(key), dict
                ):
                    index.settings[key] = {**index.settings[key], **value}
                else:
                    index.settings[key] = value
            return body

        return self._enqueue(uid, "settingsUpdate", apply)

    async def _add_documents(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        documents = await self._json(request)
        if not isinstance(documents, list) or not all(
            isinstance(doc, dict) for doc in documents
        ):
            raise MeiliError(
                400, "malformed_payload", "Documents must be a JSON array of objects."
            )
        requested_key = request.query.get("primaryKey")

        def apply() -> dict[str, Any]:
            index = self.indexes.get(uid) or self.indexes.setdefault(
                uid, Index(uid, requested_key)
            )
            if index.primary_key is None:
                index.primary_key = requested_key or "id"
            key = index.primary_key
            for document in documents:
                if key not in document:
                    raise MeiliError(
                        400, "missing_document_id", f"Document is missing `{key}`."
                    )
            for document in documents:
                index.documents[str(document[key])] = document
            return {
                "receivedDocuments": len(documents),
                "indexedDocuments": len(documents),
            }

        return self._enqueue(uid, "documentAdditionOrUpdate", apply)

    async def _delete_batch(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        ids = await self._json(request)
        if not isinstance(ids, list):
            raise MeiliError(
                400, "malformed_payload", "Expected a JSON array of document ids."
            )

        def apply() -> dict[str, Any]:
            index = self._index(uid)
            deleted = sum(
                index.documents.pop(str(doc_id), None) is not None for doc_id in ids
            )
            return {"providedIds": len(ids), "deletedDocuments": deleted}

        return self._enqueue(uid, "documentDeletion", apply)

    async def _get_document(self, request: web.Request) -> web.Response:
        index = self._index(request.match_info["uid"])
        document = index.documents.get(request.match_info["id"])
        if document is None:
            raise MeiliError(404, "document_not_found", "Document not found.")
        return web.json_response(document)

    async def _get_task(self, request: web.Request) -> web.Response:
        try:
            task = self.tasks[int(request.match_info["task_uid"])]
        except (KeyError, ValueError) as error:
            raise MeiliError(404, "task_not_found", "Task not found.") from error
        return web.json_response(task)

    async def _swap_indexes(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if not isinstance(body, list):
            raise MeiliError(
                400, "malformed_payload", "Expected a JSON array of swaps."
            )
        pairs = [entry.get("indexes") for entry in body if isinstance(entry, dict)]
        if len(pairs) != len(body) or not all(
            isinstance(pair, list) and len(pair) == 2 for pair in pairs
        ):
            raise MeiliError(
                400, "invalid_swap_indexes", "Each swap needs exactly two indexes."
            )

        def apply() -> dict[str, Any]:
            for left, right in pairs:
                if left not in self.indexes or right not in self.indexes:
                    missing = left if left not in self.indexes else right
                    raise MeiliError(
                        404, "index_not_found", f"Index `{missing}` not found."
                    )
            for left, right in pairs:
                first, second = self.indexes[left], self.indexes[right]
                first.uid, second.uid = right, left
                self.indexes[left], self.indexes[right] = second, first
            return {"swaps": body}

        return self._enqueue(None, "indexSwap", apply)

    async def _search(self, request: web.Request) -> web.Response:
        index = self._index(request.match_info["uid"])
        body = await self._json(request)
        if not isinstance(body, dict):
            raise MeiliError(
                400, "bad_request", "The search body must be a JSON object."
            )
        self.search_requests.append({"index": index.uid, **body})
        started = asyncio.get_running_loop().time()
        hits, total = search_index(index, body)
        elapsed = int((asyncio.get_running_loop().time() - started) * 1000)
        limit = body.get("limit", 20)
        offset = body.get("offset", 0)
        return web.json_response(
            {
                "hits": hits,
                "query": body.get("q") or "",
                "processingTimeMs": elapsed,
                "limit": limit,
                "offset": offset,
                "estimatedTotalHits": total,
            }
        )


# -- the engine ----------------------------------------------------------


def _searchable(index: Index, document: dict[str, Any]) -> list[str]:
    attributes = index.settings["searchableAttributes"]
    if attributes == ["*"]:
        return list(document)
    return list(attributes)


def _max_typos(word: str, settings: dict[str, Any]) -> int:
    tolerance = settings["typoTolerance"]
    if not tolerance.get("enabled", True) or word.isdigit():
        return 0
    sizes = tolerance["minWordSizeForTypos"]
    if len(word) >= sizes["twoTypos"]:
        return 2
    if len(word) >= sizes["oneTypo"]:
        return 1
    return 0


def _match_word(
    word: str, prefix: bool, token: str, max_typos: int
) -> tuple[int, bool] | None:
    """Return ``(typos, exact)`` when ``token`` matches the query ``word``."""
    if token == word:
        return 0, True
    if prefix and token.startswith(word):
        return 0, False
    if max_typos == 0:
        return None
    candidate = token[: len(word)] if prefix and len(token) > len(word) else token
    typos = _levenshtein(word, candidate, max_typos)
    # Meilisearch counts a typo on the first letter as two.
    if word[:1] != candidate[:1]:
        typos += 1
    if typos <= max_typos:
        return typos, False
    return None


def _document_matches(
    index: Index, document: dict[str, Any], words: list[str], last_is_prefix: bool
) -> list[_WordMatch | None]:
    attributes = _searchable(index, document)
    settings = index.settings
    matches: list[_WordMatch | None] = []
    for position_in_query, word in enumerate(words):
        prefix = last_is_prefix and position_in_query == len(words) - 1
        best: _WordMatch | None = None
        for attribute_rank, attribute in enumerate(attributes):
            for position, token in enumerate(_tokens(document.get(attribute))):
                found = _match_word(word, prefix, token, _max_typos(word, settings))
                if found is None:
                    continue
                candidate = _WordMatch(attribute_rank, position, found[0], found[1])
                if best is None or (
                    candidate.typos,
                    candidate.attribute,
                    candidate.position,
                ) < (
                    best.typos,
                    best.attribute,
                    best.position,
                ):
                    best = candidate
        matches.append(best)
    return matches


def _split_filter(expression: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(expression):
        char = expression[i]
        if quote:
            current.append(char)
            if char == "\\" and i + 1 < len(expression):
                current.append(expression[i + 1])
                i += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
            current.append(char)
        elif expression[i : i + 5].upper() == " AND ":
            parts.append("".join(current))
            current = []
            i += 4
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _parse_value(raw: str) -> Any:
    raw = raw.strip()
    if raw[:1] == '"' and raw[-1:] == '"':
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if raw[:1] == "'" and raw[-1:] == "'":
        return raw[1:-1]
    try:
        return float(raw)
    except ValueError:
        return raw


def _compile_filter(index: Index, expression: Any) -> Callable[[dict[str, Any]], bool]:
    if expression is None:
        return lambda document: True
    if isinstance(expression, list):
        groups = [_compile_filter(index, item) for item in expression]
        return lambda document: all(group(document) for group in groups)
    if not isinstance(expression, str):
        raise MeiliError(
            400, "invalid_search_filter", "The filter must be a string or an array."
        )
    checks = []
    filterable = set(index.settings["filterableAttributes"])
    for part in _split_filter(expression):
        match = _COMPARISON.match(part)
        if match is None:
            raise MeiliError(
                400, "invalid_search_filter", f"Cannot parse filter `{part.strip()}`."
            )
        attribute = match.group("attr")
        if attribute not in filterable:
            raise MeiliError(
                400,
                "invalid_search_filter",
                f"Attribute `{attribute}` is not filterable.",
            )
        if match.group("values") is not None:
            values = [
                _parse_value(value)
                for value in match.group("values").split(",")
                if value.strip()
            ]
            checks.append(_membership(attribute, values))
        else:
            checks.append(
                _comparison(
                    attribute, match.group("op"), _parse_value(match.group("value"))
                )
            )
    return lambda document: all(check(document) for check in checks)


def _normalise(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return float(value)
    return value


def _membership(attribute: str, values: list[Any]) -> Callable[[dict[str, Any]], bool]:
    wanted = {_normalise(value) for value in values}
    return lambda document: _normalise(document.get(attribute)) in wanted


def _comparison(
    attribute: str, op: str, value: Any
) -> Callable[[dict[str, Any]], bool]:
    def check(document: dict[str, Any]) -> bool:
        actual = _normalise(document.get(attribute))
        expected = _normalise(value)
        if op == "=":
            return actual == expected
        if op == "!=":
            return actual != expected
        if not isinstance(actual, float) or not isinstance(expected, float):
            return False
        return {
            ">": actual > expected,
            ">=": actual >= expected,
            "<": actual < expected,
            "<=": actual <= expected,
        }[op]

    return check


def _sort_key_for(value: Any, descending: bool) -> tuple[int, Any]:
    # Documents missing the field come last in either direction.
    if value is None:
        return (1, 0)
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        return (0, -value if descending else value)
    text = str(value)
    return (0, tuple(-ord(char) for char in text) if descending else text)


def search_index(
    index: Index, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """Run one search request body against ``index``; return the hits page and the total."""
    settings = index.settings
    query = body.get("q") or ""
    if not isinstance(query, str):
        raise MeiliError(400, "invalid_search_q", "`q` must be a string.")
    stop_words = set(settings["stopWords"])
    words = [word for word in _tokens(query) if word not in stop_words]
    last_is_prefix = bool(query) and not query[-1].isspace()
    strategy = body.get("matchingStrategy", "last")
    keep = _compile_filter(index, body.get("filter"))

    sort = body.get("sort") or []
    sortable = set(settings["sortableAttributes"])
    for clause in sort:
        attribute, _, direction = str(clause).partition(":")
        if attribute not in sortable or direction not in ("asc", "desc"):
            raise MeiliError(400, "invalid_search_sort", f"Cannot sort on `{clause}`.")

    scored: list[tuple[dict[str, Any], list[_WordMatch | None]]] = []
    for document in index.documents.values():
        if not keep(document):
            continue
        if not words:
            scored.append((document, []))
            continue
        matches = _document_matches(index, document, words, last_is_prefix)
        if strategy == "all":
            if any(match is None for match in matches):
                continue
        else:
            # "last": the first word must match; missing later words lower the rank.
            if matches[0] is None:
                continue
        scored.append((document, matches))

    def rank(item: tuple[dict[str, Any], list[_WordMatch | None]]) -> tuple[Any, ...]:
        document, matches = item
        found = [match for match in matches if match is not None]
        key: list[Any] = []
        for rule in settings["rankingRules"]:
            if rule == "words":
                key.append(-len(found))
            elif rule == "typo":
                key.append(sum(match.typos for match in found))
            elif rule == "proximity":
                key.append(_proximity(found))
            elif rule == "attribute":
                key.append(
                    min((match.attribute, match.position) for match in found)
                    if found
                    else (0, 0)
                )
            elif rule == "exactness":
                key.append(-sum(match.exact for match in found))
            elif rule == "sort":
                for clause in sort:
                    attribute, _, direction = str(clause).partition(":")
                    key.append(
                        _sort_key_for(document.get(attribute), direction == "desc")
                    )
            else:
                attribute, _, direction = rule.partition(":")
                key.append(_sort_key_for(document.get(attribute), direction == "desc"))
        return tuple(key)

    scored.sort(key=rank)
    cap = settings["pagination"]["maxTotalHits"]
    total = min(len(scored), cap)
    offset = int(body.get("offset", 0))
    limit = int(body.get("limit", 20))
    window = scored[:cap][offset : offset + limit]
    retrieve = body.get("attributesToRetrieve")
    hits = []
    for document, _ in window:
        if retrieve and retrieve != ["*"]:
            document = {key: document[key] for key in retrieve if key in document}
        hits.append(dict(document))
    return hits, total


def _proximity(found: list[_WordMatch]) -> int:
    distance = 0
    for left, right in zip(found, found[1:], strict=False):
        if left.attribute != right.attribute:
            distance += 8
        else:
            distance += min(abs(right.position - left.position), 8)
    return distance
