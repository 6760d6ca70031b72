"""json-server-compatible REST over a JSON file (the ``resources`` key of an origin).

Modules: ``data`` (the file's content and format), ``store`` (memory, persistence, edits,
reset), ``filetext`` (the file's bytes for a write, fast), ``readers`` (slow reads off the
event loop), ``query``, ``fulltext`` and ``ordering`` (reads), ``byid`` (ids on a big
collection), ``likeregex`` (``_like`` in RE2), ``writes`` (changes), ``body`` (request bodies),
``router`` (the ASGI app), ``jsvalue`` and ``inflect`` (JavaScript's and npm pluralize's
rules, for exact parity); ``v1/`` is json-server 1.0's dialect.
"""
