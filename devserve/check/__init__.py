"""`devserve check`: the browser's CORS flow simulated with httpx (simulate), and its
text and JSON output (output)."""
