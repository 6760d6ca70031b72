"""json-server 0.17-compatible REST over a JSON file (SPEC §4 ``resources``).

Modules: ``data`` (the file's content), ``store`` (memory, persistence, edits, reset),
``query`` (reads), ``writes`` (changes), ``body`` (request bodies), ``router`` (the ASGI app),
``jsvalue`` and ``inflect`` (JavaScript's and npm pluralize's rules, for exact parity).
"""
