"""Where documents go: the X-Ray daemon over UDP."""
