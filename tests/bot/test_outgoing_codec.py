"""An Outgoing survives the outbox: stored as JSON, read back equal."""

from __future__ import annotations

import json

from bot.types import Attachment, Button, Outgoing, outgoing_from_dict, outgoing_to_dict


def test_round_trip_through_json() -> None:
    message = Outgoing("Sự kiện mới: Techmart Bắc Ninh", (Button("Đăng ký", "ev:reg:SK-1"),),
                       link="https://example.vn/sk", request_contact=True,
                       attachments=(Attachment("photo", "a.png", b"\x89PNG\x00"),))
    stored = json.loads(json.dumps(outgoing_to_dict(message), ensure_ascii=False))
    assert outgoing_from_dict(stored) == message
    assert outgoing_from_dict({"text": "x"}) == Outgoing("x")
