"""The Images API over HTTP: the ``/v1`` routes and the image URLs. Views adapt HTTP to the
behaviour (:mod:`mockserver.core`) and back; errors are rendered once (:mod:`.errors`)."""
