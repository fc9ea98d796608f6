"""The analysis package of the report, in stages that import one way (see README, Layout).

``data`` -> ``topics`` -> ``findings`` -> ``build`` -> ``book``, with ``cli`` on top and the base
modules (``paths``, ``errors``, ``atomic``, ``console``) below them all; tests/test_architecture.py
checks the direction. This module imports nothing.
"""
