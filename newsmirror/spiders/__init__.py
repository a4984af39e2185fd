"""Spiders discover and fetch article pages; they never parse article content."""
