"""Human handoff and messages to customers outside a turn (agent replies, order notifications)."""
