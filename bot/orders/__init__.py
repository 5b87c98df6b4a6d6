"""Zero-document pre-booking work orders: storage, managers, status lookups and deadlines.

Plain services (no Rasa): every function takes an explicit SQLAlchemy Session and the current
time (stored as UTC, shown in Beijing time: bot/orders/times.py), so the Rasa actions, the CLI
(`python -m bot.orders`) and the agent console share them.
"""

from bot.orders.lookup import LookupPolicy, LookupResult, Outcome, lookup_order
from bot.orders.managers import add_manager, list_managers, seed_demo_managers
from bot.orders.store import (
    BookingResult,
    InvalidTransition,
    NotChangeable,
    OrderNotFound,
    add_customer_message,
    add_note,
    advance_order,
    cancel_order,
    conversation_key,
    create_booking,
    get_order,
    list_orders,
    reassign_order,
    reschedule_visit,
)
from bot.orders.views import BookingDraft, HistoryEntry, ManagerView, OrderView

__all__ = [
    "BookingDraft", "BookingResult", "HistoryEntry", "InvalidTransition", "LookupPolicy", "LookupResult",
    "ManagerView", "NotChangeable", "OrderNotFound", "OrderView", "Outcome", "add_customer_message", "add_manager",
    "add_note", "advance_order", "cancel_order", "conversation_key", "create_booking", "get_order", "list_managers",
    "list_orders", "lookup_order", "reassign_order", "reschedule_visit", "seed_demo_managers",
]
