"""Pure helpers that read article fields out of a parsed page; nothing here fetches or writes."""
