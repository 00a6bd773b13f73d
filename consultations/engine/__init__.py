"""Pure-Python analysis engines for consultations (no Django): vote tallies (`tally`), duplicate and
form-letter detection (`duplicates`), themes (`themes`) and suggestion merging (`suggestions`).
Import each module by its full path."""
