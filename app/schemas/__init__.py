"""Marshmallow schemas shared by the API and web form parsing."""
