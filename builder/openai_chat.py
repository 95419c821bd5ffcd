"""Any OpenAI-compatible chat-completions endpoint: Ollama, vLLM, llama.cpp server, LM Studio."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from lego_edit.builder.chat import ChatModelError, Message, data_url
from lego_edit.builder.profiles import DEFAULT_MAX_NEW_TOKENS, Profile, resolve_profile


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """No redirect is followed: urllib would resend the request, Authorization header (the API key)
    included, to wherever the Location points, another host too. The 3xx answer surfaces as an
    HTTPError instead, and complete() says where it pointed."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_RefuseRedirects)


class OpenAIChat:
    name = "openai"

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 120.0,
                 max_tokens: int = DEFAULT_MAX_NEW_TOKENS, profile: Profile | str = "auto") -> None:
        if not model:
            raise ChatModelError("no model name for the openai builder: set builder.openai_model in config.toml "
                                 "or LEGO_EDIT_OPENAI_MODEL")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.timeout = model, api_key, timeout
        self.profile = resolve_profile(profile, model) if isinstance(profile, str) else profile
        self.max_tokens = max_tokens

    def _payload(self, messages: list[Message], image: Any | None) -> dict[str, Any]:
        out: list[dict[str, Any]] = []
        attached = image is None
        for m in messages:
            if m["role"] == "user" and not attached:
                content = [{"type": "image_url", "image_url": {"url": data_url(image, self.profile)}},
                           {"type": "text", "text": m["content"]}]
                out.append({"role": "user", "content": content})
                attached = True
            else:
                out.append(dict(m))
        return {"model": self.model, "messages": out, "temperature": 0, "max_tokens": self.max_tokens, "stream": False}

    def complete(self, messages: list[Message], image: Any | None) -> str:
        body = json.dumps(self._payload(messages, image)).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                where = (exc.headers.get("Location") if exc.headers is not None else None) or "elsewhere"
                raise ChatModelError(f"{self.url} answered HTTP {exc.code}, a redirect to {where[:200]}; redirects are "
                                     "not followed (the API key would be sent along): set the builder's openai URL "
                                     "to the address that answers") from None
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise ChatModelError(f"{self.url} answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChatModelError(f"cannot reach the builder endpoint {self.url}: {reason}") from None
        except json.JSONDecodeError:
            raise ChatModelError(f"{self.url} did not answer with JSON") from None
        try:
            return answer["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise ChatModelError(f"{self.url} answered without choices[0].message.content") from None
