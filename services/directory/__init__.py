"""The employee directory: people as HR feeds them (SCIM 2.0 or CSV), published for every other service."""
