"""Custody: signing keys, seals (a signed, timestamped statement of the collection's state)
and the offline checks ``verify`` runs on them."""
