"""Dialogue acts the words settle by themselves, whatever the intent classifier says.

- A policy question is answered, never taken for a booking request, a complaint or a goodbye:
  "预约后多久派单？我先了解一下" asks about bookings; "我能自己选施工队吗" asks what the rules say.
- Anger (😡, 太慢了, 气死了) with no question in it is a complaint: offer a human and the hotlines,
  never "再见".
"""

from __future__ import annotations

import re

from bot.reading.frame import find_topics, normalize_text

TOPIC_INTENTS = {
    "materials": "ask_materials", "cert_mode": "ask_materials", "steps": "ask_steps",
    "time_limit": "ask_time_limit", "investment": "ask_cost", "fees": "ask_cost",
    "capacity": "ask_capacity", "approval": "ask_approval", "reliability": "ask_reliability",
    "live_work": "ask_live_work", "channels": "ask_channels", "hotline": "ask_channels",
    "service": "ask_channels", "transfer": "ask_channels", "definition": "ask_definition",
    "warning": "ask_warning", "booking": "ask_channels",
}
QUESTION = re.compile(r"吗|(?<![这那多要])么|多久|几|什么|啥|哪|怎么|多少|是否|能不能|要不要|可不可以|是不是"
                      r"|有没有|需不需要|用不用"
                      r"|干嘛"
                      r"|合规|违规|合法|必须|\?")
# Asking to be booked (a request), as opposed to asking about bookings.
REQUEST = re.compile(r"(我|咱)(要|想|想要|准备|打算)(预约|报装|办理?|申请|登记|约)|帮(我|忙)(约|预约|登记|报装|办|查)"
                     r"|给我(约|登记|预约|办|查)|约个|约一下|预约一下|登记一下|现在就?约|马上约|我要查|查一下我的|查查我的"
                     r"|工单号?[:：]?\s*\d|进度")
JUST_ASKING = re.compile(r"了解|问问|问一下|咨询|打听|不急|先问|想知道|请问")
DOMAIN = re.compile(r"电|报装|审批|施工|工程|物业|园区|供电|客户经理")
ANGER = re.compile(r"[😡😠🤬💢👿😤🖕]|气死|太慢|慢死|垃圾|什么破|啥破|离谱|磨蹭|拖拖拉拉|受够|火大|烦死|坑人|骗子"
                   r"|差劲|太差")
# Intents that end or deflect a conversation: wrong for a message that asks a policy question.
# (out_of_scope is not among them: its action answers from the documents first by itself)
DEFLECTING = ("complaint", "goodbye", "chitchat", "greet", "thanks")
BOOKING_INTENTS = ("request_booking", "check_status")
# Intents that start a form or a handoff, and the words a customer uses to ask for that: a policy
# question classified as one of them without those words is a question.
OWN_WORDS = {
    "request_callback": re.compile(r"回电|回个电话|回电话|给我打|打给我|打电话给我|联系我|留(个|下)?(电话|号码|手机)"),
    "human_handoff": re.compile(r"人工|客服|真人|转接|坐席|接线员|找人"),
    "reschedule_visit": re.compile(r"改约|改(个|一下)?(时间|日子)|换(个|一)?(时间|日子|天)|改期|推迟|延期|不行|再来"
                                  r"|(改|换|挪|调)(到|成)"),
    "cancel_order": re.compile(r"取消|撤(销|回|了)|不要了|不办了|不装了"),
}
SMALL_TALK = ("affirm", "deny", "thanks", "goodbye", "greet", "chitchat")
AGREEMENT = re.compile(r"是的?|对|好的?|行|可以|确认|没错|嗯|不是|不对|不用了?|不要了?|取消|谢谢|再见|的|了|啊|吧|呀|哈"
                       r"|[\s,，。.!！~、]")


def is_policy_question(text: str, names_place: bool) -> bool:
    return bool(QUESTION.search(text)) and (bool(find_topics(text)) or names_place or bool(DOMAIN.search(text)))


def is_angry(text: str) -> bool:
    """Anger with no question left once the angry words are taken out ('什么破服务' asks nothing)."""
    return bool(ANGER.search(text)) and not QUESTION.search(ANGER.sub("", text))


def corrected_intent(raw: str, intent: str | None, names_place: bool, names_situation: bool = False) -> str | None:
    """The intent the words settle, when it differs from the classifier's; None to keep it.
    `names_situation`: the message names a place, group, voltage, area or capacity."""
    text = normalize_text(raw)
    if intent in SMALL_TALK and names_situation and AGREEMENT.sub("", text):
        return "inform"  # '城镇的', '是小微' answer a question; they are not a 'yes' or a 'bye'

    topics = [t for t in find_topics(text) if t in TOPIC_INTENTS]
    question_intent = TOPIC_INTENTS[topics[0]] if topics else "inform"
    if intent in BOOKING_INTENTS:
        asking = QUESTION.search(text) and (JUST_ASKING.search(text) or not REQUEST.search(text))
        return question_intent if asking and (topics or is_policy_question(text, names_place)) else None
    if is_angry(text):
        return None if intent in ("complaint", "human_handoff") else "complaint"
    if intent in DEFLECTING and is_policy_question(text, names_place):
        return question_intent
    asked_for = OWN_WORDS.get(intent or "")
    if asked_for and not asked_for.search(text) and is_policy_question(text, names_place):
        return question_intent  # a question that merely mentions 电话 or 客户经理 starts no form
    return None
