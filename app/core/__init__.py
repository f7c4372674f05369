"""Plumbing shared by every layer: extensions, errors, logs, request ids, cache, pagination, storage, health."""
