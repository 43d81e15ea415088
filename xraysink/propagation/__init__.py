"""The X-Ray trace header in and out: parsing, the propagator, the id generator."""
