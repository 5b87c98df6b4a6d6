"""Reading and checking what a customer or staff member types into the booking form (no Rasa)."""
