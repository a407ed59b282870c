"""The HTTP edge: the WSGI server (sockets, deadlines), pre-forked workers, the process's
lifecycle (signals, graceful stop), the multipart parser and injected connection faults.

It knows nothing of the Images API: it serves any WSGI app."""
