"""Fixtures shared by the test modules: real servers on loopback and faithful fakes of remote APIs.

Their fixtures are registered once, as plugins, by tests/conftest.py (`pytest_plugins`): a fixture
imported into several modules would be set up once per module. Test modules import only types and
helpers from here; pytest puts tests/ on sys.path for tests/conftest.py, which makes it importable.
"""
