"""MongoDB helpers that hold on both MongoDB and FerretDB v1 (no transactions, no atomic updates)."""
