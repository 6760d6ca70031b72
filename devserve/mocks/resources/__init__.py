"""json-server-compatible REST over a JSON file (the ``resources`` key of an origin).

Modules: ``data`` (the file's content), ``store`` (memory, persistence, edits, reset),
``readers`` (slow reads off the event loop), ``query`` (reads), ``likeregex`` (``_like`` in
RE2), ``writes`` (changes), ``body`` (request bodies), ``router`` (the ASGI app), ``jsvalue``
and ``inflect`` (JavaScript's and npm pluralize's rules, for exact parity); ``*_v1`` modules
are json-server 1.0's dialect.
"""
