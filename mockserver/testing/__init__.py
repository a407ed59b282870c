"""Test support for users: FakeHandle, ``intercept()``, the transports, the pytest plugin."""
