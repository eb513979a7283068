"""The Zalo Official Account channel: webhook events in, consultation (cs) messages out.

`ZaloOASender` is the channel's `ChannelSender`. Zalo answers HTTP 200 with `error != 0` when it
refuses a message; the codes become `SendResult`s: -216/-220 (token invalid or expired) refresh
the token once and resend; -213/-227 (not a follower, banned or inactive) → blocked; -230/-232
(no interaction within the window) → failed, not retried; -234 (22:00-06:00) → retry at 06:00;
-32 (rate limit) → retry after a backoff; anything else → failed with the code.

With promotions on (`PromotionRules`), a follower outside the window gets the message as a
promotion ("tin truyền thông", `message/promotion`) instead: only 06:00-21:59 Vietnam time (a
message due at night waits for 06:00) and at most one per follower per day. A second one the
same day waits for the next morning rather than being dropped: news of the network is still
worth reading a day later, and the follower never gets more than Zalo allows.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

import httpx

from bot import metrics
from bot.chat_tasks import ChatTasks
from bot.chat_turns import ChannelTurns
from bot.reply_handover import ReplyHandover
from bot.types import Outgoing, SendResult
from bot.zalo.bot_platform import APOLOGY, Core
from bot.zalo.convert import (
    OA_CHANNEL,
    Message,
    OAEvent,
    event_id,
    numbered_messages,
    numbered_plan,
    oa_event,
    template_messages,
    template_plan,
)
from bot.zalo.delivery import RetryPolicy, Sleep, deliver_plan, with_retries
from bot.zalo.reply_transport import HandsOverReplies, hand_over
from bot.zalo.tokens import TokenError, TokenKeeper

log = logging.getLogger(__name__)

OUTSIDE_WINDOW = "outside the Zalo window"
TOKEN_CODES = (-216, -220)
BLOCKED_CODES = (-213, -227)
WINDOW_CODES = (-230, -232)
QUIET_HOURS = -234
RATE_LIMIT = -32
INVALID_PARAMETER = -201
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Promotion messages: Zalo takes them 06:00-21:59, one per follower per day.
PROMOTION = "promotion"  # the reason recorded on a row sent as a promotion
PROMOTION_FROM, PROMOTION_UNTIL = time(6, 0), time(22, 0)
PROMOTION_HEADER, PROMOTION_TEXT = 100, 2000
PROMOTION_WAITS_FOR_MORNING = "promotion: waits for 06:00"
PROMOTION_WAITS_FOR_TOMORROW = "promotion: one a day, waits for tomorrow"
BUTTONS_AS_TEXT = "buttons refused: choices as numbered text"  # the reason of such a sent part


class Followers(Protocol):
    async def follow(self, user_id: str, name: str | None) -> None: ...


class PromotionRules(Protocol):
    async def sent_since(self, user_id: str, since: datetime) -> bool:
        """Whether this follower got a promotion since `since` (today, Vietnam time)."""
        ...

    def note(self, user_id: str, at: datetime) -> None:
        """A promotion just went to this follower (before its outcome is recorded)."""
        ...


@dataclass(frozen=True, slots=True)
class CsAnswer:
    error: int
    message: str = ""
    message_id: str | None = None


class ZaloOAClient:
    """`POST <api>/v3.0/oa/message/cs` (or `.../promotion`) with header `access_token`."""

    def __init__(self, api_url: str, timeout: float = 10.0,
                 http: httpx.AsyncClient | None = None) -> None:
        self.url = f"{api_url.rstrip('/')}/v3.0/oa/message/cs"
        self.promotion_url = f"{api_url.rstrip('/')}/v3.0/oa/message/promotion"
        self._http = http or httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=100, max_keepalive_connections=50))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send_cs(self, token: str, user_id: str, message: dict[str, Any]) -> CsAnswer:
        """One cs message; error 0 is success. Network trouble and 5xx come back as error 1."""
        return await self._post(self.url, token, user_id, message)

    async def send_promotion(self, token: str, user_id: str,
                             message: dict[str, Any]) -> CsAnswer:
        """One promotion message (see `promotion_message`), answered like a cs message."""
        return await self._post(self.promotion_url, token, user_id, message)

    async def _post(self, url: str, token: str, user_id: str,
                    message: dict[str, Any]) -> CsAnswer:
        body = {"recipient": {"user_id": user_id}, "message": message}
        try:
            response = await self._http.post(url, json=body, headers={"access_token": token})
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            return CsAnswer(1, type(error).__name__)
        if not isinstance(answer, dict):
            return CsAnswer(1, f"HTTP {response.status_code}")
        try:
            code = int(str(answer.get("error", 1 if response.status_code >= 400 else 0)))
        except ValueError:
            code = 1
        data = answer.get("data")
        data = data if isinstance(data, dict) else {}
        return CsAnswer(code, str(answer.get("message") or "")[:200],
                        str(data.get("message_id") or "") or None)


def seconds_until_morning(now: datetime) -> float:
    """Seconds until 06:00 in Vietnam, when Zalo accepts messages again."""
    local = now.astimezone(VIETNAM)
    morning = datetime.combine(local.date(), time(6, 0), VIETNAM)
    if local >= morning:
        morning += timedelta(days=1)
    return (morning - local).total_seconds()


def oa_message(part: Message) -> dict[str, Any]:
    message: dict[str, Any] = {"text": part.text}
    if part.buttons:
        message["attachment"] = {"type": "template", "payload": {"buttons": [
            {"title": title[:100], "type": "oa.query.hide", "payload": payload}
            for title, payload in part.buttons]}}
    return message


class ZaloOASender(HandsOverReplies):
    channel = OA_CHANNEL

    def __init__(self, client: ZaloOAClient, tokens: TokenKeeper,
                 buttons: Literal["template", "text"] = "template", backoff: float = 1.0,
                 clock: Any = lambda: datetime.now(UTC),
                 promotions: PromotionRules | None = None) -> None:
        self.client = client
        self.tokens = tokens
        self.buttons = buttons
        self.backoff = backoff
        self.clock = clock
        self.promotions = promotions

    def render(self, replies: list[Outgoing]) -> list[Message]:
        if self.buttons == "template":
            return template_messages(replies)
        return numbered_messages(replies, photos=False)

    def parts(self, message: Outgoing) -> list[Message]:
        """The platform calls `message` goes out as (the outbox records each one's arrival)."""
        return self.render([message])

    async def send(self, recipient: str, message: Outgoing) -> SendResult:
        result = SendResult("sent")
        for part in self.parts(message):
            result = await self.send_part(recipient, part)
            if result.status != "sent":
                return result
        return result

    async def _call(self, send: Any, user_id: str, message: dict[str, Any]) -> CsAnswer:
        token = await self.tokens.access_token()
        answer: CsAnswer = await send(token, user_id, message)
        if answer.error in TOKEN_CODES:  # refresh once (or take another process's) and resend
            log.info("zalo-oa: access token refused (%d), refreshing", answer.error)
            token = await self.tokens.refresh(stale=token)
            answer = await send(token, user_id, message)
        return answer

    async def send_part(self, user_id: str, part: Message) -> SendResult:
        if part.buttons and self.buttons == "text":  # rendered by a worker that has not learnt
            part = _as_numbered(part)
        try:
            answer = await self._call(self.client.send_cs, user_id, oa_message(part))
        except TokenError as error:
            log.error("zalo-oa: no usable access token: %s", error)
            return SendResult("failed", reason="no Zalo OA token")
        if answer.error in WINDOW_CODES and self.promotions is not None:
            return await self.promote(user_id, part)
        if answer.error == INVALID_PARAMETER and part.buttons:
            # Query buttons are not shown in the current cs docs: this OA refuses them, so choices
            # go as numbered text from now on (and typed numbers are read as answers).
            log.warning("zalo-oa: buttons refused (-201); choices are sent as numbered text")
            self.buttons = "text"
            result = await self.send_part(user_id, _as_numbered(part))
            # A worker that handed this over learns it from the result (`ZaloOAChannel`).
            return replace(result, reason=BUTTONS_AS_TEXT) if result.status == "sent" else result
        return self._result(answer, user_id)

    def _result(self, answer: CsAnswer, user_id: str) -> SendResult:
        code = answer.error
        if code == 0:
            return SendResult("sent", message_id=answer.message_id)
        reason = f"zalo-oa {code}: {answer.message}"
        if code in BLOCKED_CODES:
            return SendResult("blocked", reason=reason)
        if code in WINDOW_CODES:
            log.info("zalo-oa: user %s is outside the interaction window (%d)", user_id, code)
            return SendResult("failed", reason=OUTSIDE_WINDOW)
        if code == QUIET_HOURS:
            return SendResult("retry", retry_after=seconds_until_morning(self.clock()),
                              reason=reason)
        if code in (RATE_LIMIT, 1):
            return SendResult("retry", reason=reason)
        log.warning("zalo-oa: message to %s refused: %s", user_id, reason)
        return SendResult("failed", reason=reason)


    async def promote(self, user_id: str, part: Message) -> SendResult:
        """The message as a promotion, within Zalo's hours and one per follower per day."""
        assert self.promotions is not None
        now = self.clock().astimezone(VIETNAM)
        if not PROMOTION_FROM <= now.time() < PROMOTION_UNTIL:
            return SendResult("retry", later=seconds_until_morning(now),
                              reason=PROMOTION_WAITS_FOR_MORNING)
        today = datetime.combine(now.date(), time(0, 0), VIETNAM)
        if await self.promotions.sent_since(user_id, today):
            return SendResult("retry", later=seconds_until_morning(now),
                              reason=PROMOTION_WAITS_FOR_TOMORROW)
        try:
            answer = await self._call(self.client.send_promotion, user_id,
                                      promotion_message(part))
        except TokenError as error:
            log.error("zalo-oa: no usable access token: %s", error)
            return SendResult("failed", reason="no Zalo OA token")
        if answer.error == 0:
            self.promotions.note(user_id, now)
            return SendResult("sent", message_id=answer.message_id, reason=PROMOTION)
        if answer.error in WINDOW_CODES:  # not a follower any more, or Zalo says no
            return SendResult("failed", reason=OUTSIDE_WINDOW)
        return self._result(answer, user_id)


def promotion_message(part: Message) -> dict[str, Any]:
    """A `promotion` template: a header, the text, and the query buttons (as in cs templates)."""
    lines = part.text.strip().splitlines() or [""]
    header, text = lines[0][:PROMOTION_HEADER], "\n".join(lines[1:]).strip() or lines[0]
    elements: list[dict[str, Any]] = [{"type": "header", "content": header}]
    elements.append({"type": "text", "align": "left", "content": text[:PROMOTION_TEXT]})
    payload: dict[str, Any] = {"template_type": "promotion", "language": "VI",
                               "elements": elements}
    if part.buttons:
        payload["buttons"] = [{"title": title[:100], "type": "oa.query.hide", "payload": value}
                              for title, value in part.buttons]
    return {"attachment": {"type": "template", "payload": payload}}


def _as_numbered(part: Message) -> Message:
    lines = [part.text] + [f"{n}. {title}" for n, (title, _) in enumerate(part.buttons, 1)]
    return Message("\n".join(lines))


class ZaloOAChannel:
    def __init__(self, core: Core, sender: ZaloOASender, followers: Followers, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep,
                 max_concurrent: int = 256, handover: ReplyHandover | None = None) -> None:
        self.core = core
        self.sender = sender
        self.followers = followers
        self.handover = handover  # serve --workers: replies go out through the sender process
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.tasks = ChatTasks(max_concurrent)
        # Several processes: each user's turns in order, what a dead process left taken over.
        self.turns = ChannelTurns(core, OA_CHANNEL, self._send_to)

    async def resume(self) -> None:
        """At start: replies a previous run committed but did not send, then events it stored
        but did not handle; then, with several processes, the sweep for what one that died
        leaves (`bot.chat_turns`)."""
        await self.turns.start(self.submit)

    def _event(self, body: Any) -> OAEvent | None:
        return oa_event(body, numbered=self.sender.buttons == "text") \
            if isinstance(body, dict) else None

    async def accept(self, body: Any) -> None:
        """Store the event in the inbox (raises when it cannot: Zalo must send it again), then
        queue it."""
        update_id, event = event_id(body), self._event(body)
        await self.core.receive(OA_CHANNEL, [(update_id, body)],
                                [event.user_id if event is not None else None])
        self._submit(event, update_id)

    def submit(self, body: dict[str, Any], update_id: str | None = None) -> None:
        """Queue one stored event; the user's earlier events are handled first."""
        self._submit(self._event(body), update_id or event_id(body))

    def _submit(self, event: OAEvent | None, key: str) -> None:
        if event is None:
            self.tasks.submit(f"ignored:{key}", lambda: self.core.ignored(OA_CHANNEL, key))
            return
        self.tasks.submit(event.user_id, lambda: self.handle(event, key))

    async def handle(self, event: OAEvent, update_id: str | None = None) -> None:
        """Act on one event exactly once; with several processes, while holding the user's
        chat and after its unsent replies and earlier stored events (`bot.chat_turns`)."""
        key = update_id or (event.incoming.update_id if event.incoming else None)
        if key is None:  # nothing to order it by or to take over: as it comes
            await self._handle_one(event, None)
            return
        await self.turns.handle(event.user_id, str(key),
                                lambda: self._handle_one(event, str(key)), self._handle_stored)

    async def _handle_stored(self, update_id: str, raw: Any) -> None:
        event = self._event(raw)
        if event is None:
            await self.core.ignored(OA_CHANNEL, update_id)
        else:
            await self._handle_one(event, update_id)

    async def _handle_one(self, event: OAEvent, key: str | None) -> None:
        if event.action == "unfollow":
            await self.core.mark_user_inactive(OA_CHANNEL, event.user_id)
        elif event.action == "follow":
            await self.followers.follow(event.user_id, event.user_name)
        if event.incoming is None:
            if key:
                await self.core.ignored(OA_CHANNEL, str(key))
            return
        incoming = replace(event.incoming, update_id=key or event.incoming.update_id)

        async def deliver(replies: list[Outgoing]) -> list[SendResult]:
            return await self.send_replies(event.user_id, replies)

        await self.core.answer(incoming, deliver)

    async def send_replies(self, user_id: str, replies: list[Outgoing]) -> list[SendResult]:
        """Send replies in order, one result per reply; a block marks the user inactive. Every
        reply of a turn, of a resend and of `deliver` leaves through here."""
        plan = (template_plan(replies) if self.sender.buttons == "template"
                else numbered_plan(replies, photos=False))
        if self.handover is not None:
            results = await hand_over(self.handover, OA_CHANNEL, user_id, user_id, plan,
                                      replies, APOLOGY)
            if any(r.reason == BUTTONS_AS_TEXT for r in results):
                self.sender.buttons = "text"  # choices as numbered text, typed numbers read
        else:
            results = await deliver_plan(plan, len(replies),
                                         lambda part: self._send(user_id, part), Message(APOLOGY))
        if any(r.status == "blocked" for r in results):
            await self.core.mark_user_inactive(OA_CHANNEL, user_id)
        return results

    async def _send_to(self, user_id: str, replies: list[Outgoing]) -> list[SendResult]:
        return await self.send_replies(user_id, replies)

    async def deliver(self, user_id: str, replies: list[Outgoing]) -> SendResult:
        """Send replies outside a turn (one result for all of them)."""
        results = await self.send_replies(user_id, replies)
        blocked = next((r for r in results if r.status == "blocked"), None)
        if blocked is not None:
            return blocked
        return SendResult("failed") if any(r.status != "sent" for r in results) else \
            SendResult("sent")

    async def _send(self, user_id: str, part: Message) -> SendResult:
        result = await with_retries(lambda: self.sender.send_part(user_id, part), self.policy,
                                    self._sleep, f"zalo-oa user {user_id}")
        if result.status != "sent":
            metrics.send_error(OA_CHANNEL, result.status)
        return result

    async def stop(self) -> None:
        await self.turns.stop()
        await self.tasks.drain()
        await self.sender.client.aclose()
        await self.sender.tokens.oauth.aclose()
        if self.handover is not None:
            await self.handover.aclose()
