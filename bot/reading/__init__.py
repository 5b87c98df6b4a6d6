"""Reading a customer's message: places, situation, what is asked and how (the question frame)."""
