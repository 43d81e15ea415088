"""Where the span processor's documents go: the daemon over UDP, the X-Ray API."""
