"""Contract checks made when a driver is loaded: declarations that could never work are refused."""

from __future__ import annotations

from typing import ClassVar

import pytest

from mailconf.driver import Capability, Driver
from mailconf.engine import targets
from mailconf.errors import UsageError


class _Entry:
    def __init__(self, cls: type) -> None:
        self.cls = cls

    def load(self) -> type:
        return self.cls


class ReadsPasswords(Driver):
    kinds = frozenset({"account"})
    capabilities: ClassVar = {"account": Capability.READ}
    write_only: ClassVar = {"account": frozenset({"password"})}


class ConfirmsPasswords(ReadsPasswords):
    capabilities: ClassVar = {"account": Capability.MANUAL}


def test_a_read_kind_with_write_only_fields_is_refused_and_a_manual_one_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(targets, "available", lambda: {"reads": _Entry(ReadsPasswords), "confirms": _Entry(ConfirmsPasswords)})
    with pytest.raises(UsageError, match="declares kind account read-only with write-only fields \\(password\\).*declare it manual"):
        targets.driver_class("reads")
    assert targets.driver_class("confirms") is ConfirmsPasswords
