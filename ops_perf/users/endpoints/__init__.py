"""The endpoint user: the OPS API's GET requests as a weighted catalog, and `OPSUser` that sends them."""
