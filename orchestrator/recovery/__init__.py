"""Recovering state after a crash: stale locks, orphaned states, and adopting what a killed
apply created but never recorded."""
