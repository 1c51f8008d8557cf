"""A local HTTP server standing in for Slack's cloud, and recording every request made to it.

It answers the Web API methods the bot calls (under `/api/`), the upload URLs it hands out
(`/upload/<file_id>`) and `response_url` posts (`/response/<anything>`). Every request is
recorded as a `Call`; tests read them with `calls(kind)` and `wait_for(kind, count)`, where kind
is a Web API method name (`"chat.postMessage"`), `"upload"` or `"response_url"`.

Socket Mode too: `apps.connections.open` (with an `xapp-` token) hands out a WebSocket URL on
the same server; `send_envelope(...)` pushes an envelope to the connected client and every frame
the client sends back is recorded as a `"socket_mode"` call (its JSON in `body`).

Views (`views.publish`, `views.open`) are checked with slack_sdk's view models and kept in
`published` / `opened`; `functions.completeSuccess` / `completeError` accept the workflow token
a `function_executed` event carries (`xwfp-...`). A `response_url` post whose image block names a
`slack_file` id that was never uploaded is refused with `invalid_blocks`, as Slack does.

Failures can be scripted per kind: `fail_next("chat.postMessage", status=429, times=2,
retry_after=1)` answers 429 with Retry-After twice before answering normally again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

BOT_USER_ID = "U0SMARTBOT"
BOT_ID = "B0SMARTBOT"
TEAM_ID = "T0STANDIN"
RESPONSE_URL = "response_url"
UPLOAD = "upload"
SOCKET_MODE = "socket_mode"
SOCKET_MODE_PATH = "/socket-mode"
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPCODE_TEXT, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG = 0x1, 0x8, 0x9, 0xA


@dataclass
class Call:
    """One request received by the stand-in."""

    kind: str  # Web API method, "upload" or "response_url"
    http_method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]  # form fields or JSON object; {} for uploads
    raw: bytes
    received_at: float = field(default_factory=time.time)  # wall clock, for benchmarks

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return (
            auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else self.body.get("token")
        )


@dataclass
class ScriptedFailure:
    status: int
    times: int
    retry_after: int | None = None
    error: str | None = None
    after_doing: bool = False  # do what was asked, then answer with the failure (a 502 gateway)


@dataclass
class StandInState:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, ScriptedFailure] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)  # chat.postMessage, oldest first
    websockets: list[WebSocket] = field(default_factory=list)
    published: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> home view
    opened: list[dict[str, Any]] = field(default_factory=list)  # modals, oldest first
    condition: threading.Condition = field(default_factory=threading.Condition)
    counter: Any = field(default_factory=lambda: itertools.count(1))


class SlackStandIn:
    """Start with `start()` (port 0 picks a free port), stop with `stop()`; also a context manager."""

    def __init__(self, expected_token: str | None = None, host: str = "127.0.0.1") -> None:
        self.expected_token = expected_token
        self.state = StandInState()
        self.server = ThreadingHTTPServer((host, 0), self.handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, name="slack-standin"
        )
        self.thread.daemon = True

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.disconnect_websockets()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "hook") -> str:
        return f"{self.url}/response/{name}"

    # -- recorded calls --------------------------------------------------------------------

    def calls(self, kind: str | None = None) -> list[Call]:
        with self.state.condition:
            return [call for call in self.state.calls if kind is None or call.kind == kind]

    def wait_for(
        self,
        kind: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """The calls of `kind` (matching `where`) once there are at least `count`.

        Raises AssertionError, listing what was received, after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        with self.state.condition:
            while True:
                matching = [
                    call
                    for call in self.state.calls
                    if call.kind == kind and (where is None or where(call))
                ]
                remaining = deadline - time.monotonic()
                if len(matching) >= count or remaining <= 0:
                    break
                self.state.condition.wait(remaining)
        if len(matching) < count:
            seen = [f"{call.kind} {call.path}" for call in self.calls()]
            raise AssertionError(f"expected {count} {kind} call(s) in {timeout}s; got {seen}")
        return matching

    def wait_for_response(self, response_url: str, timeout: float = 5.0) -> dict[str, Any]:
        """The first message posted to this response_url."""
        path = urlsplit(response_url).path
        calls = self.wait_for(RESPONSE_URL, 1, timeout, where=lambda call: call.path == path)
        return message_payload(calls[0])

    def messages(self) -> list[dict[str, Any]]:
        """Every message payload sent: response_url posts, chat.postMessage, chat.postEphemeral."""
        kinds = (RESPONSE_URL, "chat.postMessage", "chat.postEphemeral")
        return [message_payload(call) for call in self.calls() if call.kind in kinds]

    def uploaded(self, file_id: str) -> dict[str, Any]:
        """What was uploaded for a file id: filename, declared length and the bytes received."""
        with self.state.condition:
            return dict(self.state.uploads[file_id])

    def published_view(self, user_id: str, timeout: float = 5.0) -> dict[str, Any] | None:
        """The Home view published for a user (views.publish), waiting for it up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self.state.condition:
            while user_id not in self.state.published and time.monotonic() < deadline:
                self.state.condition.wait(deadline - time.monotonic())
            return self.state.published.get(user_id)

    def opened_views(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The modals opened with views.open, oldest first, once there are `count` (or timeout)."""
        deadline = time.monotonic() + timeout
        with self.state.condition:
            while len(self.state.opened) < count and time.monotonic() < deadline:
                self.state.condition.wait(deadline - time.monotonic())
            return list(self.state.opened)

    def send_envelope(self, envelope: dict[str, Any], timeout: float = 5.0) -> None:
        """Push a Socket Mode envelope to the connected client (waits for it to connect)."""
        deadline = time.monotonic() + timeout
        with self.state.condition:
            while not self.state.websockets and time.monotonic() < deadline:
                self.state.condition.wait(deadline - time.monotonic())
            if not self.state.websockets:
                raise AssertionError("no Socket Mode client connected")
            websocket = self.state.websockets[-1]
        websocket.send(OPCODE_TEXT, json.dumps(envelope).encode())

    def disconnect_websockets(self) -> None:
        """Drop every Socket Mode connection (as Slack does when it refreshes them)."""
        with self.state.condition:
            websockets = list(self.state.websockets)
        for websocket in websockets:
            websocket.close()

    def reset(self) -> None:
        with self.state.condition:
            self.state.calls.clear()
            self.state.failures.clear()

    def fail_next(
        self,
        kind: str,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        after_doing: bool = False,
    ) -> None:
        """Answer the next `times` requests of `kind` with an error.

        `status` 429 comes with Retry-After (1 s unless given), 5xx with `internal_error`;
        `status=200, error="not_in_channel"` is a Web API error (`{"ok": false, ...}`).
        `after_doing=True` carries the request out first (e.g. posts the message), as a gateway
        answering 502 or 504 after Slack did the work.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        failure = ScriptedFailure(status, times, retry_after, error, after_doing)
        with self.state.condition:
            self.state.failures[kind] = failure

    # -- internals -------------------------------------------------------------------------

    def record(self, call: Call) -> ScriptedFailure | None:
        """Record a call; return the scripted failure to answer with, if one is due."""
        with self.state.condition:
            self.state.calls.append(call)
            self.state.condition.notify_all()
            failure = self.state.failures.get(call.kind)
            if failure is None or failure.times <= 0:
                return None
            failure.times -= 1
            return failure

    def next_id(self, prefix: str) -> str:
        with self.state.condition:
            return f"{prefix}{next(self.state.counter):06d}"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(StandInRequestHandler):
            owner = standin

        return Handler


def message_payload(call: Call) -> dict[str, Any]:
    """A message call's payload with `blocks` decoded (form posts carry them as JSON text)."""
    payload = dict(call.body)
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        payload["blocks"] = json.loads(blocks)
    return payload


def invalid_blocks(payload: dict[str, Any], limit: int = 50) -> list[str]:
    """Why each block of a message payload is invalid by slack_sdk's block models (empty: ok)."""
    problems = []
    blocks = payload.get("blocks") or []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks (Slack allows {limit})")
    if blocks and not str(payload.get("text") or "").strip():
        problems.append("blocks without a plain-text fallback `text`")
    for index, block in enumerate(blocks):
        try:
            parsed = Block.parse(block)
            if parsed is None:
                raise ValueError("unknown block type")
            parsed.validate_json()
            parsed.to_dict()
        except Exception as error:
            problems.append(f"block {index}: {error}")
    return problems


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if "application/json" in content_type:
        loaded = json.loads(raw or b"{}")
        return loaded if isinstance(loaded, dict) else {"_json": loaded}
    if "application/x-www-form-urlencoded" in content_type or not content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return {}


class StandInRequestHandler(BaseHTTPRequestHandler):
    owner: SlackStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        if urlsplit(self.path).path == SOCKET_MODE_PATH:
            self.serve_websocket()
        else:
            self.handle_any()

    def serve_websocket(self) -> None:
        """The Socket Mode WebSocket: handshake, `hello`, then record frames until closed."""
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest())
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.wfile.flush()
        websocket = WebSocket(self.connection)
        websocket.send(OPCODE_TEXT, json.dumps({"type": "hello", "num_connections": 1}).encode())
        with self.owner.state.condition:
            self.owner.state.websockets.append(websocket)
            self.owner.state.condition.notify_all()
        try:
            self.receive_frames(websocket)
        finally:
            with self.owner.state.condition:
                self.owner.state.websockets.remove(websocket)
            self.close_connection = True

    def receive_frames(self, websocket: WebSocket) -> None:
        for opcode, payload in websocket.frames(self.rfile):
            if opcode == OPCODE_PING:
                websocket.send(OPCODE_PONG, payload)
            elif opcode == OPCODE_CLOSE:
                websocket.send(OPCODE_CLOSE, payload[:2])
                return
            elif opcode == OPCODE_TEXT:
                body = json.loads(payload)
                headers = {key.lower(): value for key, value in self.headers.items()}
                self.owner.record(Call(SOCKET_MODE, "WS", SOCKET_MODE_PATH, headers, body, payload))

    def do_POST(self) -> None:
        self.handle_any()

    def handle_any(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        kind = kind_of(path)
        headers = {key.lower(): value for key, value in self.headers.items()}
        body = {} if kind == UPLOAD else parse_body(headers.get("content-type", ""), raw)
        body.update(dict(parse_qsl(urlsplit(self.path).query)))
        call = Call(kind, self.command, path, headers, body, raw)
        failure = self.owner.record(call)
        if failure is not None and failure.after_doing:
            self.answer(call)
        if failure is not None:
            self.send_failure(failure)
            return
        status, payload = self.answer(call)
        self.send(status, payload)

    def answer(self, call: Call) -> tuple[int, Any]:
        if call.kind == RESPONSE_URL:
            return answer_response_url(self.owner, call)
        if call.kind == UPLOAD:
            return self.accept_upload(call)
        if not call.path.startswith("/api/"):
            return 404, "not found"
        if not call.token:
            return 200, {"ok": False, "error": "not_authed"}
        if call.kind == "apps.connections.open":
            return 200, open_socket_mode_connection(self.owner, call)
        expected = self.owner.expected_token
        workflow_token = call.kind.startswith("functions.") and call.token.startswith("xwfp-")
        if expected is not None and call.token != expected and not workflow_token:
            return 200, {"ok": False, "error": "invalid_auth"}
        method = WEB_API.get(call.kind)
        if method is None:
            return 200, {"ok": False, "error": "unknown_method"}
        return 200, method(self.owner, call)

    def accept_upload(self, call: Call) -> tuple[int, Any]:
        file_id = call.path.rsplit("/", 1)[-1]
        with self.owner.state.condition:
            upload = self.owner.state.uploads.get(file_id)
            if upload is None:
                return 404, "unknown upload"
            upload["content"] = call.raw
        return 200, f"OK - {len(call.raw)}"

    def send_failure(self, failure: ScriptedFailure) -> None:
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        default = "ratelimited" if failure.status == 429 else "internal_error"
        self.send(failure.status, {"ok": False, "error": failure.error or default}, headers)

    def send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        is_text = isinstance(payload, str)
        body = payload.encode() if is_text else json.dumps(payload).encode()
        self.send_response(status)
        content_type = "text/plain; charset=utf-8" if is_text else "application/json; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class WebSocket:
    """The server side of one WebSocket connection (RFC 6455, unfragmented frames)."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.send_lock = threading.Lock()

    def send(self, opcode: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self.send_lock:
            self.connection.sendall(header + payload)

    def frames(self, stream: Any) -> Any:
        """(opcode, unmasked payload) of each frame the client sends, until it disconnects."""
        while True:
            head = stream.read(2)
            if len(head) < 2:
                return
            opcode, size = head[0] & 0x0F, head[1] & 0x7F
            if size == 126:
                size = struct.unpack("!H", stream.read(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", stream.read(8))[0]
            mask = stream.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = stream.read(size)
            yield opcode, bytes(byte ^ mask[index % 4] for index, byte in enumerate(data))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def kind_of(path: str) -> str:
    if path.startswith("/api/"):
        return path.removeprefix("/api/")
    if path.startswith("/response/"):
        return RESPONSE_URL
    if path.startswith("/upload/"):
        return UPLOAD
    return path


# -- the Web API methods ------------------------------------------------------------------------


def auth_test(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://standin.slack.com/",
        "team": "Stand-in",
        "user": "smartcart",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def post_message(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    channel = call.body.get("channel")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if not (call.body.get("text") or call.body.get("blocks")):
        return {"ok": False, "error": "no_text"}
    ts = message_ts(standin)
    message = {"type": "message", "text": call.body.get("text", ""), "user": BOT_USER_ID, "ts": ts}
    metadata = call.body.get("metadata")
    if metadata:
        message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
    with standin.state.condition:
        standin.state.posted.append({**message, "channel": channel})
    return {"ok": True, "channel": channel, "ts": ts, "message": message}


def conversations_history(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    """Messages posted with chat.postMessage to the channel, newest first (one page).

    Message metadata is included only with `include_all_metadata`, as Slack does. `oldest` is
    accepted but not applied (the stand-in's ts values are not wall-clock times).
    """
    channel = call.body.get("channel")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    with_metadata = str(call.body.get("include_all_metadata", "")).lower() in ("1", "true")
    with standin.state.condition:
        posted = [dict(m) for m in reversed(standin.state.posted) if m["channel"] == channel]
    for message in posted:
        del message["channel"]
        if not with_metadata:
            message.pop("metadata", None)
    return {"ok": True, "messages": posted, "has_more": False, "response_metadata": {}}


def post_ephemeral(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    if not call.body.get("channel") or not call.body.get("user"):
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True, "message_ts": message_ts(standin)}


def message_ts(standin: SlackStandIn) -> str:
    return f"1700000000.{standin.next_id('')}"


def conversations_open(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    users = call.body.get("users", "")
    if not users:
        return {"ok": False, "error": "users_list_not_supplied"}
    return {"ok": True, "channel": {"id": "D" + users.split(",")[0].removeprefix("U")}}


def get_upload_url(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    filename, length = call.body.get("filename"), call.body.get("length")
    if not filename or not str(length or "").isdigit():
        return {"ok": False, "error": "invalid_arguments"}
    file_id = standin.next_id("F")
    with standin.state.condition:
        standin.state.uploads[file_id] = {"filename": filename, "length": int(length)}
    return {"ok": True, "upload_url": f"{standin.url}/upload/{file_id}", "file_id": file_id}


def complete_upload(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    try:
        files = json.loads(call.body.get("files", "[]"))
    except json.JSONDecodeError:
        return {"ok": False, "error": "invalid_arguments"}
    completed = []
    with standin.state.condition:
        for item in files:
            upload = standin.state.uploads.get(item.get("id"))
            if upload is None or "content" not in upload:
                return {"ok": False, "error": "file_not_found"}
            upload["title"] = item.get("title")
            upload["channel"] = call.body.get("channel_id")
            completed.append(
                {"id": item["id"], "name": upload["filename"], "title": item.get("title")}
            )
    return {"ok": True, "files": completed}


def answer_response_url(standin: SlackStandIn, call: Call) -> tuple[int, Any]:
    """`ok`, unless an image block references a Slack file that was never uploaded."""
    blocks = message_payload(call).get("blocks") or []
    with standin.state.condition:
        known = {key for key, upload in standin.state.uploads.items() if "title" in upload}
    for block in blocks if isinstance(blocks, list) else []:
        file_id = (block.get("slack_file") or {}).get("id") if isinstance(block, dict) else None
        if block.get("type") == "image" and file_id is not None and file_id not in known:
            return 404, {"ok": False, "error": "invalid_blocks"}
    return 200, "ok"


def files_info(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    """A file uploaded (and completed) here: its name, title and image mimetype."""
    file_id = call.body.get("file", "")
    with standin.state.condition:
        upload = standin.state.uploads.get(file_id)
    if upload is None or "title" not in upload:
        return {"ok": False, "error": "file_not_found"}
    name = upload["filename"]
    mimetype = "image/png" if name.endswith(".png") else "text/plain"
    return {"ok": True, "file": {"id": file_id, "name": name, "mimetype": mimetype}}


def invalid_view(view: Any, kind: str) -> list[str]:
    """Why a view is not one Slack would accept as `kind` ("home" or "modal"); empty: valid."""
    if not isinstance(view, dict):
        return ["the view is not a JSON object"]
    if view.get("type") != kind:
        return [f"view type {view.get('type')!r}, expected {kind!r}"]
    problems = invalid_blocks({"blocks": view.get("blocks"), "text": "view"}, limit=100)
    try:
        View(**view).validate_json()
    except Exception as error:
        problems.append(str(error))
    if kind == "modal" and not (view.get("title") or {}).get("text"):
        problems.append("a modal needs a title")
    return problems


def views_publish(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    user_id, view = call.body.get("user_id"), call.body.get("view")
    if not user_id:
        return {"ok": False, "error": "invalid_arguments"}
    problems = invalid_view(view, "home")
    if problems:
        return {
            "ok": False,
            "error": "invalid_arguments",
            "response_metadata": {"messages": problems},
        }
    with standin.state.condition:
        standin.state.published[user_id] = view
        standin.state.condition.notify_all()
    return {"ok": True, "view": {"id": standin.next_id("V"), **view}}


def views_open(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    if not call.body.get("trigger_id"):
        return {"ok": False, "error": "invalid_trigger_id"}
    view = call.body.get("view")
    problems = invalid_view(view, "modal")
    if problems:
        return {
            "ok": False,
            "error": "invalid_arguments",
            "response_metadata": {"messages": problems},
        }
    with standin.state.condition:
        standin.state.opened.append(view)
        standin.state.condition.notify_all()
    return {"ok": True, "view": {"id": standin.next_id("V"), **view}}


def functions_complete_success(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    if not call.body.get("function_execution_id"):
        return {"ok": False, "error": "invalid_arguments"}
    try:
        outputs = json.loads(call.body.get("outputs") or "")
    except json.JSONDecodeError:
        return {"ok": False, "error": "invalid_arguments"}
    return (
        {"ok": True} if isinstance(outputs, dict) else {"ok": False, "error": "invalid_arguments"}
    )


def functions_complete_error(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    if not call.body.get("function_execution_id") or not call.body.get("error"):
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True}


def open_socket_mode_connection(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    if not (call.token or "").startswith("xapp-"):
        return {"ok": False, "error": "invalid_auth"}
    ws_url = standin.url.replace("http://", "ws://", 1)
    return {"ok": True, "url": f"{ws_url}{SOCKET_MODE_PATH}?ticket={standin.next_id('t')}"}


WEB_API: dict[str, Callable[[SlackStandIn, Call], dict[str, Any]]] = {
    "auth.test": auth_test,
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "conversations.open": conversations_open,
    "conversations.history": conversations_history,
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.info": files_info,
    "views.publish": views_publish,
    "views.open": views_open,
    "functions.completeSuccess": functions_complete_success,
    "functions.completeError": functions_complete_error,
}
