"""The ``ganaug`` command: ``main`` parses the arguments, ``commands`` runs them.

``files`` reads and writes CSV tables and image folders; ``demo`` is ``ganaug demo``.
"""

from .main import main

__all__ = ["main"]
