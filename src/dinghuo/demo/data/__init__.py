"""Small data tables for the demo catalog (written for Dinghuo; plain Python, no files to parse)."""
