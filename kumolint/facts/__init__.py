"""Fact types, one module per family; parsers make them, rules read them from the RepoModel."""
