"""Business rules: one function per use case, shared by the API and the pages."""
