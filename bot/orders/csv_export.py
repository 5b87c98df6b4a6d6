"""Orders as CSV for staff (`python -m bot.orders export-csv`): masked unless revealed, times in Beijing time."""

from __future__ import annotations

import csv
from typing import TextIO

from bot.orders import numbers
from bot.orders.times import shown_seconds
from bot.orders.views import OrderView

CSV_FIELDS = ("number", "region", "district", "business", "stage", "stage_since", "manager", "contact_name", "phone",
              "address", "visit_date", "visit_period", "channel", "created_at")


def write_csv(found: list[OrderView], reveal: bool, handle: TextIO) -> None:
    writer = csv.writer(handle)
    writer.writerow(CSV_FIELDS)
    for order in found:
        writer.writerow((
            numbers.display(order.number), order.region, order.district or "", order.business, order.stage,
            shown_seconds(order.stage_since), order.manager.name if order.manager else "",
            order.contact_name if reveal else order.masked_name, order.phone if reveal else order.masked_phone,
            order.address if reveal else order.masked_address,
            order.visit_date.isoformat() if order.visit_date else "", order.visit_period or "",
            order.channel, shown_seconds(order.created_at),
        ))
