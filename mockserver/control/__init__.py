"""The control plane under ``/_mock``: the control API and the live view."""
