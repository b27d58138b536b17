"""Catalog sources for the simulated world: a generator, and real Fedora data."""
