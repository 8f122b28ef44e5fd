"""Domain logic: plain functions over the models, called by views, CLI commands and tests."""
