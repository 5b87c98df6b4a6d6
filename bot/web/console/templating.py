"""Jinja2 templates of the console (autoescaped) and the filters they use."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.orders.times import beijing, shown

TEMPLATES = Path(__file__).resolve().parent / "templates"


def when(moment: datetime | None) -> str:
    """Beijing time, '2025-11-26 10:00' (stored times are UTC: aware, or naive read as UTC; bot/orders/times.py)."""
    return shown(moment)


def short_time(moment: datetime | None) -> str:
    return f"{beijing(moment):%H:%M:%S}" if moment else ""


def age(span: timedelta) -> str:
    minutes = max(int(span.total_seconds() // 60), 0)
    if minutes < 1:
        return "刚刚"
    if minutes < 60:
        return f"{minutes}分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}小时{minutes}分钟" if minutes else f"{hours}小时"
    days, hours = divmod(hours, 24)
    return f"{days}天{hours}小时" if hours else f"{days}天"


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = when
    env.filters["short_time"] = short_time
    env.filters["age"] = age
    return env
