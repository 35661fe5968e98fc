"""Who is calling and what they may do: OIDC token verification, roles and per-endpoint policies."""
