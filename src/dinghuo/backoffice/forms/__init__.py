"""The back office's forms, by area."""
