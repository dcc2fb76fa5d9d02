"""Monitoring indicators: computation, snapshots, exports, dashboard."""
