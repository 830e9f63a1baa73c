"""Check accounts concurrently with a bound: each account's servers in turn, then the test mails."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from mailconf import endpoints
from mailconf.model import Account
from mailconf.probe import mail
from mailconf.presets import Endpoint
from mailconf.probe.outcome import AccountResult, Check, CheckFailure, Phase
from mailconf.probe.service import Client, Login, Mailbox, Options, authenticate, open_client, select_folder
from mailconf.probe.smtp import SmtpClient
from mailconf.secrets import SecretError, resolve


@dataclass(frozen=True)
class Request:
    """What `check` was asked to do, beyond connecting and logging in."""

    options: Options = Options()
    send_test_to: str | None = None
    roundtrip: bool = False
    wait: float = 60.0  # how long the round trip waits for its mail to arrive


def check_accounts(accounts: dict[str, Account], base_dir: Path, request: Request, concurrency: int) -> list[AccountResult]:
    """Every account checked, at most `concurrency` at a time; results in the order given."""
    submitted = time.monotonic()

    def one(name: str) -> AccountResult:
        started = time.monotonic()
        result = check_account(name, accounts[name], base_dir, request)
        result.queued, result.seconds = started - submitted, time.monotonic() - started
        return result

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="check") as pool:
        return list(pool.map(one, accounts))


def check_account(name: str, account: Account, base_dir: Path, request: Request) -> AccountResult:
    """The account's SMTP server, then its IMAP or POP3 server, then the test mails asked for."""
    result = AccountResult(name, account.address.strip())
    login = _login(account, base_dir)
    with ExitStack() as open_clients:
        smtp = incoming = None
        reopen: Callable[[], Mailbox] | None = None
        # validate (which `check` runs first) guarantees every endpoint is complete
        if (endpoint := endpoints.smtp(account)) is not None:
            needs_login = account.outgoing is None or account.outgoing.auth
            smtp = _service(result, "smtp", endpoint, login, request.options, needs_login, open_clients)
        if (found := endpoints.incoming(account)) is not None:
            settings, where = found
            folder = settings.folder if settings.protocol == "imap" else None
            incoming = _service(result, settings.protocol, where, login, request.options, True, open_clients, folder)

            def new_session() -> Mailbox:
                """A new session on the incoming server, its phases not reported (they passed once)."""
                client = _service(AccountResult(name, result.address), settings.protocol, where, login, request.options, True, open_clients)
                if client is None:
                    raise CheckFailure("check-roundtrip", f"logging in to {where.host}:{where.port} again failed")
                return client  # type: ignore[return-value]

            reopen = new_session
        if isinstance(smtp, SmtpClient) and (request.send_test_to or request.roundtrip):
            _test_mails(result, account, smtp, incoming, reopen, request)  # type: ignore[arg-type]
        elif endpoint is None and (request.send_test_to or request.roundtrip):  # asked for, never silently skipped
            check = Check("mail", "test mail")
            check.phases.append(_failed("send", CheckFailure("check-roundtrip", "this account has no outgoing server, so no test mail can be sent through it")))
            result.checks.append(check)
    return result


def _test_mails(result: AccountResult, account: Account, smtp: SmtpClient, mailbox: Mailbox | None,
                reopen: Callable[[], Mailbox] | None, request: Request) -> None:
    check = Check("mail", "test mail")
    result.checks.append(check)
    try:
        if request.send_test_to:
            message = mail.test_message(result.address, request.send_test_to, account.display_name)
            mail.send(smtp, message, result.address, request.send_test_to, check)
        if request.roundtrip:
            if mailbox is None or reopen is None:
                raise CheckFailure("check-roundtrip", "the round trip needs an incoming server that passed its check, and this account's did not")
            message = mail.test_message(result.address, result.address, account.display_name)
            mail.roundtrip(smtp, message, result.address, mailbox, reopen, request.wait, check)
    except CheckFailure as failure:
        if not check.phases or check.phases[-1].ok:  # not raised by a phase, which records its own
            check.phases.append(_failed("roundtrip", failure))


def _login(account: Account, base_dir: Path) -> Login | CheckFailure:
    """The account's credentials, the password with any whitespace at its ends kept so the login can
    be tried both ways; or why there are none (the auth phases report it)."""
    if account.password is None:
        return CheckFailure("check-no-password", "the account has no password: set password: ${env:NAME} or ${file:PATH}")
    try:
        password = resolve(account.password, base_dir, keep_padding=True)
    except SecretError as exc:
        return CheckFailure("check-secret", str(exc))
    return Login((account.username or account.address).strip(), account.address.strip(), password)


def _service(result: AccountResult, kind: str, endpoint: Endpoint, login: Login | CheckFailure, options: Options,
             needs_login: bool, open_clients: ExitStack, folder: str | None = None) -> Client | None:
    """One server's phases recorded on `result`; the client, logged in and left open, when all passed."""
    check = Check(kind, f"{endpoint.host}:{endpoint.port} {endpoint.security}")
    result.checks.append(check)
    try:
        client = open_client(kind, endpoint, options, check)
    except CheckFailure:
        return None
    open_clients.callback(client.close)
    try:
        if needs_login:
            if isinstance(login, CheckFailure):
                check.phases.append(_failed("auth", login))
                return None
            authenticate(client, kind, endpoint, login, options, check)
        if folder is not None:
            select_folder(client, endpoint, folder, options, check)  # type: ignore[arg-type]
    except CheckFailure:
        return None
    return client


def _failed(phase: str, diagnosis: CheckFailure) -> Phase:
    return Phase(phase, False, 0.0, diagnosis.message, diagnosis.code)
