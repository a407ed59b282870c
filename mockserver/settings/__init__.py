"""What an operator sets, described once as data: the configuration's fields, a fault's
spec, a move of the clock. The same descriptions feed the command line, the
environment, ``PATCH /_mock/config`` and the docs' reference tables."""
