"""Fixtures shared by the test modules: real servers on loopback and faithful fakes of remote APIs.

Test modules import what they use (`from support.mailservers import mail_servers`); pytest puts
tests/ on sys.path for tests/conftest.py, which makes this package importable.
"""
