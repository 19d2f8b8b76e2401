"""Wialon: sessions, uploads, AVL events, limits, the stateful fake and real responses."""
