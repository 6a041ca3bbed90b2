"""Credentials stay out of spans, logs and messages: by what the client is configured with, and by shape.

Each provider's key shape (tests/_secrets_plugin.py ``PROVIDER_KEYS``) is planted here; the
session-wide scan (tests/test_zz_secrets.py) then checks that none reached a span, a sink row or
a log line of the whole run.
"""

from __future__ import annotations

import logging

import anthropic
import openai
import openai._base_client as _base_client
import pytest
from _secrets_plugin import PROVIDER_KEYS

from llm_agent._secrets import get_logger, redact_url, scrub_secrets, secret_values
from llm_agent.instrumentation._call import Provider
from llm_agent.testing import capture_spans

HTTP = getattr(_base_client, "httpx2", None) or _base_client.httpx
KEY = PROVIDER_KEYS


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (f"Incorrect API key provided: {KEY['openai']}.", "Incorrect API key provided: [REDACTED]."),
        (f"invalid x-api-key {KEY['anthropic']}", "invalid x-api-key [REDACTED]"),
        (f"Invalid API Key: {KEY['groq']}", "Invalid API Key: [REDACTED]"),
        (f"API key not valid: {KEY['gemini']}", "API key not valid: [REDACTED]"),
        (f"bad key {KEY['xai']} / {KEY['huggingface']}", "bad key [REDACTED] / [REDACTED]"),
        (f"The security token {KEY['aws']} is invalid", "The security token [REDACTED] is invalid"),
        (f"headers: api-key: {KEY['azure']}, other: 1", "headers: [REDACTED], other: 1"),
        (f"{{'x-goog-api-key': '{KEY['gemini']}'}}", "{'[REDACTED]'}"),
        ("Authorization: Bearer abc.def.ghi", "[REDACTED]"),
        (f"POST https://generativelanguage.googleapis.com/v1/x?alt=sse&key={KEY['gemini']} failed",
         "POST https://generativelanguage.googleapis.com/v1/x?alt=sse&key=[REDACTED] failed"),
        (f"GET https://example.openai.azure.com/x?api-version=1&api-key={KEY['azure']}",
         "GET https://example.openai.azure.com/x?api-version=1&api-key=[REDACTED]"),
        ("cannot reach https://user:planted_password@proxy.example:8080/v1",
         "cannot reach https://[REDACTED]@proxy.example:8080/v1"),
        ("model gpt-4o returned code 429 in Asia", "model gpt-4o returned code 429 in Asia"),
        ("a basic key idea, tokens counted", "a basic key idea, tokens counted"),
    ],
)  # fmt: skip
def test_every_key_shape_and_url_credential_is_scrubbed(text: str, scrubbed: str) -> None:
    assert scrub_secrets(text) == scrubbed


def test_known_secrets_are_scrubbed_whatever_their_shape() -> None:
    text = f"key {KEY['cohere']} rejected; also {KEY['mistral']}; short abc stays"
    assert scrub_secrets(text, [KEY["cohere"], KEY["mistral"], "abc"]) == (
        "key [REDACTED] rejected; also [REDACTED]; short abc stays"
    )


def test_secret_values_reads_only_auth_headers() -> None:
    headers = {"Authorization": f"Bearer {KEY['mistral']}", "User-Agent": "sdk/1.0", "api-key": KEY["azure"]}
    assert secret_values(KEY["cohere"], headers) == (
        KEY["cohere"], f"Bearer {KEY['mistral']}", KEY["mistral"], KEY["azure"]
    )  # fmt: skip
    assert secret_values(None, None) == ()
    assert Provider.secrets(Provider.__new__(Provider), object()) == ()  # the core's default: none known


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:planted_password@collector.example:4318/v1/traces?token=t#f",
         "https://[REDACTED]@collector.example:4318/v1/traces"),
        ("http://127.0.0.1:9/spans", "http://127.0.0.1:9/spans"),
        (f"not a url {KEY['openai']}", "not a url [REDACTED]"),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_every_llm_agent_log_line_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    logger = get_logger("llm_agent.test_secrets")
    with caplog.at_level(logging.WARNING, logger="llm_agent.test_secrets"):
        logger.warning("backend %s answered: %s", "https://u:planted_password@h.example/x", f"bad key {KEY['groq']}")
    assert [r.getMessage() for r in caplog.records] == [
        "backend https://[REDACTED]@h.example/x answered: bad key [REDACTED]"
    ]


def _echoed_key(request: object) -> str:
    """The credential a request carried, bare: what a server or proxy may echo, with no header
    name or prefix that would give it away."""
    headers = request.headers  # type: ignore[attr-defined]
    value = headers.get("api-key") or headers.get("x-api-key") or headers.get("authorization") or ""
    return str(value).removeprefix("Bearer ")


def _echo_401(request: object) -> object:
    message = f"denied for {_echoed_key(request)}"
    return HTTP.Response(401, json={"error": {"message": message, "type": "invalid_request_error"}})


def _error_texts(spans: object) -> list[str]:
    record = spans.records[0]  # type: ignore[attr-defined]
    return [record.status_message or "", *(str(e) for e in record.events)]


def test_a_configured_key_of_no_known_shape_stays_out_of_an_azure_span() -> None:
    """Azure's key is 32 hex digits sent as ``api-key``: only the client object says it is a key."""
    client = openai.AzureOpenAI(
        api_key=KEY["azure"],
        api_version="2024-10-21",
        azure_endpoint="https://example.openai.azure.com",
        max_retries=0,
        http_client=HTTP.Client(transport=HTTP.MockTransport(_echo_401)),
    )
    with capture_spans(instrument=["openai"]) as spans:
        with pytest.raises(openai.AuthenticationError) as info:
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert KEY["azure"] in str(info.value)  # the app's exception is unchanged
    texts = _error_texts(spans)
    assert texts[0] == "Error code: 401 - denied for [REDACTED]"
    assert all(KEY["azure"] not in t for t in texts)


def test_an_openai_key_passed_as_api_key_stays_out_of_the_span() -> None:
    client = openai.OpenAI(
        api_key=KEY["mistral"],  # an OpenAI-compatible server's key, no sk- prefix
        base_url="https://api.mistral.ai/v1",
        max_retries=0,
        http_client=HTTP.Client(transport=HTTP.MockTransport(_echo_401)),
    )
    with capture_spans(instrument=["openai"]) as spans:
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="mistral-small", messages=[{"role": "user", "content": "hi"}])
    texts = _error_texts(spans)
    assert texts[0] == "Error code: 401 - denied for [REDACTED]"
    assert all(KEY["mistral"] not in t for t in texts)


def test_an_anthropic_auth_token_stays_out_of_the_span() -> None:
    import anthropic._base_client as anthropic_base

    http = getattr(anthropic_base, "httpx2", None) or anthropic_base.httpx

    def echo(request: object) -> object:
        error = {"type": "authentication_error", "message": f"denied for {_echoed_key(request)}"}
        return http.Response(401, json={"type": "error", "error": error})

    client = anthropic.Anthropic(
        api_key=None,
        auth_token=KEY["cohere"],  # a gateway's bearer token, no known shape
        max_retries=0,
        http_client=http.Client(transport=http.MockTransport(echo)),
    )
    with capture_spans(instrument=["anthropic"]) as spans:
        with pytest.raises(anthropic.AuthenticationError):
            client.messages.create(model="claude-3-5-haiku-latest", max_tokens=8,
                                   messages=[{"role": "user", "content": "hi"}])  # fmt: skip
    texts = _error_texts(spans)
    assert texts[0] == "401 denied for [REDACTED] (path: /v1/messages, type: authentication_error)"
    assert all(KEY["cohere"] not in t for t in texts)


def test_a_gemini_key_of_no_known_shape_stays_out_of_the_span() -> None:
    """google-genai sends its key as ``x-goog-api-key``; a proxy echoing it bare must not leak it."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from google import genai

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"] or 0))
            message = f"denied for {self.headers['x-goog-api-key']}"
            error = {"code": 400, "status": "INVALID_ARGUMENT", "message": message}
            body = json.dumps({"error": error}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = genai.Client(
            api_key=KEY["cohere"], http_options={"base_url": f"http://127.0.0.1:{httpd.server_address[1]}"}
        )
        with capture_spans(instrument=["google_genai"]) as spans:
            with pytest.raises(genai.errors.ClientError) as info:
                client.models.generate_content(model="gemini-2.0-flash", contents="hi")
        assert KEY["cohere"] in str(info.value)  # the app's exception is unchanged
        texts = _error_texts(spans)
        assert all(KEY["cohere"] not in t for t in texts) and "denied for [REDACTED]" in texts[0]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_config_error_never_quotes_a_credential() -> None:
    from llm_agent.config import ConfigError, Settings

    with pytest.raises(ConfigError) as info:
        Settings.resolve(max_queue_size=f"https://u:planted_password@h.example/x?key={KEY['gemini']}")
    assert str(info.value) == (
        "option 'max_queue_size' (env LLM_AGENT_MAX_QUEUE_SIZE): expected an integer, got "
        "'https://[REDACTED]@h.example/x?key=[REDACTED]'"
    )


def test_every_provider_reads_its_clients_own_credentials() -> None:
    """Each provider's ``secrets`` hook on a real client of its SDK: the key the app configured."""
    import cohere
    import groq
    import ollama
    from google import genai

    from llm_agent.instrumentation.anthropic._provider import AnthropicProvider
    from llm_agent.instrumentation.cohere._provider import CohereProvider
    from llm_agent.instrumentation.google_genai._provider import GoogleGenAIProvider
    from llm_agent.instrumentation.groq._provider import GroqProvider
    from llm_agent.instrumentation.ollama._provider import OllamaProvider
    from llm_agent.instrumentation.openai._provider import OpenAIProvider

    try:
        from mistralai import Mistral
    except ImportError:
        from mistralai.client import Mistral
    from llm_agent.instrumentation.mistralai._provider import MistralProvider

    def of(cls: type, resource: object) -> tuple[str, ...]:
        return cls.secrets(cls.__new__(cls), resource)

    cases = {
        "openai": of(OpenAIProvider, openai.OpenAI(api_key=KEY["openai"]).chat.completions),
        "azure": of(OpenAIProvider, openai.AzureOpenAI(api_key=KEY["azure"], api_version="2024-10-21",
                                                       azure_endpoint="https://x.openai.azure.com").chat.completions),
        "anthropic": of(AnthropicProvider, anthropic.Anthropic(api_key=KEY["anthropic"]).messages),
        "gemini": of(GoogleGenAIProvider, genai.Client(api_key=KEY["gemini"]).models),
        "groq": of(GroqProvider, groq.Groq(api_key=KEY["groq"]).chat.completions),
        "mistral": of(MistralProvider, Mistral(api_key=KEY["mistral"]).chat),
        "cohere": of(CohereProvider, cohere.ClientV2(api_key=KEY["cohere"])),
        "ollama": of(OllamaProvider, ollama.Client(headers={"Authorization": f"Bearer {KEY['huggingface']}"})),
    }  # fmt: skip
    import dashscope

    from llm_agent.instrumentation.dashscope._provider import DashScopeProvider

    saved, dashscope.api_key = dashscope.api_key, KEY["xai"]
    try:
        cases["xai"] = of(DashScopeProvider, None)  # the module-level key (any shape)
    finally:
        dashscope.api_key = saved
    assert {name: KEY["huggingface" if name == "ollama" else name] in found for name, found in cases.items()} == (
        dict.fromkeys(cases, True)
    )
