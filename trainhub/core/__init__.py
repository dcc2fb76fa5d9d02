"""Small helpers shared by every area: model column helpers, time, pagination, masking."""
