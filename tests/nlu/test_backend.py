"""The Rasa backend against a local fake Rasa server (random port on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from nlu.api import EmbeddedBackend, RasaBackend, make_backend
from nlu.engine import Engine

RASA_REPLY = {
    "text": "xin chào",
    "intent": {"name": "greet", "confidence": 0.99},
    "entities": [],
    "intent_ranking": [{"name": "greet", "confidence": 0.99}],
    "text_tokens": [[0, 3], [4, 8]],
}


class FakeRasa(BaseHTTPRequestHandler):
    mode = "ok"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        assert self.path == "/model/parse"
        mode = type(self).mode
        if mode == "slow":
            time.sleep(1.0)
        if mode == "500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"internal error")
            return
        payload = (b"{not json" if mode == "malformed"
                   else json.dumps({**RASA_REPLY, "text": body["text"]}).encode())
        if mode == "wrong_shape":
            payload = b'{"hello": "world"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    FakeRasa.mode = "ok"


def backend(url: str, engine: Engine, timeout: float = 0.3) -> RasaBackend:
    return RasaBackend(url, timeout, EmbeddedBackend(engine=engine))


async def test_rasa_answer_is_returned(rasa_url: str, engine: Engine) -> None:
    b = backend(rasa_url, engine)
    result = await b.parse("xin chào")
    await b.aclose()
    assert result["intent"] == {"name": "greet", "confidence": 0.99}
    assert "text_tokens" in result  # Rasa's own object, untouched


@pytest.mark.parametrize("mode", ["slow", "500", "malformed", "wrong_shape"])
async def test_failures_fall_back_to_the_embedded_engine(
    rasa_url: str, engine: Engine, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    FakeRasa.mode = mode
    b = backend(rasa_url, engine)
    with caplog.at_level(logging.WARNING, logger="nlu.api"):
        result = await b.parse("cần công nghệ sấy cà phê")
    await b.aclose()
    assert result["intent"]["name"] == "find_technology"  # the embedded engine answered
    assert any("embedded" in r.getMessage() for r in caplog.records)


async def test_connection_refused_falls_back(engine: Engine) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    b = backend(f"http://127.0.0.1:{port}", engine)
    result = await b.parse("xin chào")
    await b.aclose()
    assert result["intent"]["name"] == "greet"


def test_make_backend_picks_by_settings(model_dir: Path) -> None:
    embedded = make_backend(SimpleNamespace(nlu_backend="embedded", nlu_model_dir=model_dir,
                                            rasa_url="http://x", rasa_timeout=1.0))
    assert isinstance(embedded, EmbeddedBackend)
    rasa = make_backend(SimpleNamespace(nlu_backend="rasa", nlu_model_dir=model_dir,
                                        rasa_url="http://127.0.0.1:5005/", rasa_timeout=2.0))
    assert isinstance(rasa, RasaBackend)
    assert rasa.url == "http://127.0.0.1:5005/model/parse"
    assert rasa.timeout == 2.0


async def test_embedded_backend_parses(engine: Engine) -> None:
    result = await EmbeddedBackend(engine=engine).parse("cam on ban")
    assert result["intent"]["name"] == "thanks"


async def test_a_repeated_message_gets_the_same_parse_each_time_unharmed_by_callers(
        engine: Engine) -> None:
    backend = EmbeddedBackend(engine=engine)
    first = await backend.parse("cam on ban")
    first["intent"]["name"] = "changed by a handler"
    first["entities"].append({"entity": "product"})
    again = await backend.parse("cam on ban")
    assert again == engine.parse("cam on ban")
    assert again["intent"]["name"] == "thanks"
    assert (await backend.parse("xin chao"))["intent"]["name"] != "thanks"
