"""The API contract: a schema of the documented Astria API, checks of live traffic against it,
the shapes of the docs' example answers, and the contract suite behind ``astria-widgets check``.

- ``schema/*.json``: one JSON Schema file per resource (tunes, prompts, packs, likes,
  workspaces, gallery, users, images, themes, cli; shared types in ``common.json``), written
  from the docs and the official CLI: each endpoint's parameters and answer, field types and
  nullability; ``schema.py`` loads them (:func:`~.schema.load_contract`) and validates.
- ``traffic.py``: :class:`~.traffic.TrafficCheck`, an observer for
  ``astria_widgets.client.transport.observe`` that checks every request and answer.
- ``snapshots/*.json`` and ``snapshots.py``: the docs' example answers as shapes.
- ``guard.py``, ``suite.py``, ``report.py``: the suite run by ``astria-widgets check`` and
  ``pytest -m contract``, spending nothing, and its scrubbed report.

Nothing here is imported by ``import astria_widgets``; it needs ``jsonschema`` and
``fastjsonschema`` (both dependencies of the package).
"""
