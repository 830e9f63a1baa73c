"""Discovery (what a domain publishes about its mail) and publishing (its autoconfig document)."""
