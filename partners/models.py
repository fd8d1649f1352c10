"""Partners and their access. Filled in by the access-control work (issue 4)."""
