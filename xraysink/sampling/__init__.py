"""Which new traces are recorded: the caller's decision, else a root policy."""
