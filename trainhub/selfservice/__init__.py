"""Trainee self-service (DESIGN §16): the personal link page and the prefilled MySMIS forms."""
