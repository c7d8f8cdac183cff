"""A local double of the MLB Stats API: recorded or simulated responses over HTTP."""
