"""The OpenAI-compatible backend never follows a redirect: urllib would resend the request with its
`Authorization: Bearer` header to whatever host the Location names."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from lego_edit.builder.chat import ChatModelError
from lego_edit.builder.openai_chat import OpenAIChat

KEY = "sk-test-secret-key"


class _Server(http.server.ThreadingHTTPServer):
    def __init__(self, location: str | None) -> None:
        self.location = location
        self.seen: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
        if self.server.location is not None:
            self.send_response(302)
            self.send_header("Location", self.server.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"choices": [{"message": {"content": "ok"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET = _answer

    def log_message(self, *args: Any) -> None:
        pass


def _serve(location: str | None) -> _Server:
    server = _Server(location)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    elsewhere = _serve(None)
    redirecting = _serve(elsewhere.base + "/chat/completions")
    yield redirecting, elsewhere
    for s in (redirecting, elsewhere):
        s.shutdown()
        s.server_close()


def test_a_redirect_to_another_origin_never_gets_the_key(servers: tuple[_Server, _Server]) -> None:
    redirecting, elsewhere = servers
    chat = OpenAIChat(redirecting.base, "m", api_key=KEY, timeout=10)
    with pytest.raises(ChatModelError, match=r"HTTP 302, a redirect to http://127\.0\.0\.1:\d+/v1/chat/completions; "
                                             r"redirects are not followed"):
        chat.complete([{"role": "user", "content": "hi"}], None)
    assert len(redirecting.seen) == 1
    assert redirecting.seen[0]["headers"].get("Authorization") == f"Bearer {KEY}"
    assert elsewhere.seen == []  # not asked at all, so it never saw the key
    assert all("Authorization" not in r["headers"] and KEY not in json.dumps(r) for r in elsewhere.seen)


def test_a_same_origin_redirect_is_not_followed_either(servers: tuple[_Server, _Server]) -> None:
    redirecting, _ = servers
    redirecting.location = "/v2/chat/completions"
    chat = OpenAIChat(redirecting.base, "m", api_key=KEY, timeout=10)
    with pytest.raises(ChatModelError, match="redirect to /v2/chat/completions"):
        chat.complete([{"role": "user", "content": "hi"}], None)
    assert len(redirecting.seen) == 1


def test_a_direct_answer_still_works(servers: tuple[_Server, _Server]) -> None:
    _, direct = servers
    assert OpenAIChat(direct.base, "m", api_key=KEY, timeout=10).complete([{"role": "user", "content": "hi"}], None) == "ok"
    assert direct.seen[0]["headers"].get("Authorization") == f"Bearer {KEY}"
