"""Sub-commands of the ``xrerank`` CLI, one module each (see :mod:`xrerank.cli`)."""
