"""A local web viewer for the traces ``xraysink listen`` receives: list, waterfall, map."""
