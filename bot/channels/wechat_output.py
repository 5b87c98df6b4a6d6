"""What the assistant says on WeChat, which shows text only: one turn's replies collected as plain text for a
passive reply or an API message (buttons as a numbered list), and messages outside a turn pushed through the
customer-service API."""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel

from bot.channels.wechat_api import CustomerServiceClient
from bot.senders import openid_of

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
CHOICE_HEADER = "回复序号或以下任一内容："


def render_buttons(text: str, buttons: list[dict[str, Any]]) -> str:
    """WeChat text has no buttons: the titles as a numbered list under the text."""
    titles = [str(b.get("title") or b.get("payload") or "") for b in buttons]
    lines = [f"{index}. {title}" for index, title in enumerate(titles, 1) if title]
    return "\n".join([text.strip(), "", CHOICE_HEADER, *lines]).strip() if lines else text


def button_choices(buttons: list[dict[str, Any]]) -> list[str]:
    """What each numbered line stands for: the button's payload, else its title."""
    return [str(b.get("payload") or b.get("title") or "") for b in buttons if b.get("title") or b.get("payload")]


class WeChatOutput(CollectingOutputChannel):
    """Collects one turn's replies as plain text for a single passive reply or API message."""

    def __init__(self) -> None:
        super().__init__()
        self.choices: list[str] = []

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        self.choices = button_choices(buttons)
        await self._persist_message(self._message(recipient_id, text=render_buttons(text, buttons)))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=image))

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self._persist_message(self._message(recipient_id, text=attachment))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        logger.debug("wechat: custom payload dropped (WeChat shows text only)")

    def reply_text(self) -> str:
        return "\n\n".join(str(m["text"]).strip() for m in self.messages if m.get("text")).strip()


class WeChatPushOutput(OutputChannel):
    """Messages outside a turn (e.g. Rasa's trigger_intent), pushed through the customer-service API."""

    def __init__(self, client: CustomerServiceClient) -> None:
        self.client = client

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.client.send_text(openid_of(recipient_id), text)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self.client.send_text(openid_of(recipient_id), render_buttons(text, buttons))
