"""REST API for the managing authority (flask-smorest + OpenAPI)."""
