"""Reusable widgets of the application."""
