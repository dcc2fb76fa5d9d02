"""Users, roles, login/logout and the permission mechanism every view uses."""
