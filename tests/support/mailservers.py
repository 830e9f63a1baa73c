"""Real mail servers on loopback: Dovecot (IMAP, POP3, LMTP, SASL) and Postfix (submission with AUTH).

Configurations follow /work/shared/recipes/realservers.md section 3. One session fixture,
`mail_servers`, starts both once on free 127.0.0.1 ports, with a throw-away CA and a server
certificate made by the openssl CLI, and stops them at the end of the session.

SMTP is Postfix rather than aiosmtpd in-process: it is the real MTA a customer's mail host runs
(AUTH through Dovecot SASL, delivery through Dovecot LMTP into a real Maildir), it comes from the
same apt install as Dovecot, and it adds no Python dependency. The recipe measured it reliable
(18/18 five times, ~0.35 s start with main.cf backdated); its one limit is that it must run as
root, so the SMTP tests skip, saying so, for another user.

Ports and security, as a mail client sees them:
  imap (143-style) STARTTLS, imaps (993-style) implicit TLS, pop3 (110-style) STLS,
  pop3s (995-style) implicit TLS, submission (587-style) STARTTLS then AUTH,
  submissions (465-style) implicit TLS then AUTH.
Dovecot treats 127.0.0.1 -> 127.0.0.1 as a secure channel and allows a plaintext login there;
connect to 127.0.0.2 (in the certificate too) to see STARTTLS enforced.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from realservers import alive, free_port, remove_dir, server_dir, spawn, stop

DOMAIN = "example.test"

#: The mailbox users every test may log in as: address -> password.
USERS: Mapping[str, str] = {
    f"alice@{DOMAIN}": "alice-secret",
    f"bob@{DOMAIN}": "bob-secret",
}

_DOVECOT_CONF = """\
instance_name = dovecot-{tag}
base_dir = {d}/run
state_dir = {d}/state
log_path = /dev/stderr
protocols = imap pop3 lmtp
listen = 127.0.0.1, 127.0.0.2
{rootless}
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
  default_fields = uid={mail_user} gid={mail_group} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  inet_listener auth-smtp {{
    address = 127.0.0.1
    port = {auth}
  }}
}}
"""

_POSTFIX_MAIN = """\
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
myhostname = mail.{domain}
mydomain = {domain}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
alias_maps =
alias_database =
local_transport = error:local delivery disabled
default_transport = error:outbound mail disabled in tests
relay_transport = error:outbound mail disabled in tests
virtual_mailbox_domains = {domain}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
smtp_dns_support_level = disabled
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{auth}
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_error_sleep_time = 0s
"""

# chroot "n" everywhere: a private queue has no chroot jail.
_POSTFIX_MASTER = """\
127.0.0.1:{submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
127.0.0.1:{submissions} inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def binary(name: str) -> str | None:
    """Where a server's program is, also in sbin directories a non-root PATH lacks."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def make_certificates(d: str) -> None:
    """A CA (d/ca.pem) and a server certificate it signed (d/cert.pem, d/key.pem) for loopback names."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
    commands = [
        ["openssl", "req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem",
         "-subj", "/CN=mailconf test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", "-x509", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key", *ec,
         "-keyout", f"{d}/key.pem", "-out", f"{d}/cert.pem", "-subj", "/CN=localhost",
         "-addext", f"subjectAltName=DNS:localhost,DNS:mail.{DOMAIN},IP:127.0.0.1,IP:127.0.0.2",
         "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth"],
    ]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True, timeout=30)


def wait_ports(ports: list[int], proc: subprocess.Popen, timeout: float = 15) -> None:
    end = time.monotonic() + timeout
    for port in ports:
        while True:
            alive(proc)
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if time.monotonic() > end:
                    raise TimeoutError(f"nothing listens on port {port}") from None
                time.sleep(0.01)


@dataclass
class Dovecot:
    """A running Dovecot: IMAP and POP3 with and without implicit TLS, LMTP delivery, SASL for Postfix."""

    dir: str
    imap: int
    imaps: int
    pop3: int
    pop3s: int
    lmtp: int
    auth: int
    proc: subprocess.Popen = field(repr=False)

    def stop(self) -> None:
        stop(self.proc)


def start_dovecot(d: str, users: Mapping[str, str]) -> Dovecot:
    """Dovecot on free ports, with a passwd-file user database, using the certificates in d."""
    ports = {name: free_port() for name in ("imap", "imaps", "pop3", "pop3s", "lmtp", "auth")}
    os.makedirs(f"{d}/home")
    if os.geteuid() == 0:
        # Login and auth processes run as dovenull and dovecot; mailboxes belong to nobody.
        rootless, mail_user, mail_group = "", "nobody", "nogroup"
        shutil.chown(f"{d}/home", "nobody", "nogroup")
    else:
        import grp
        import pwd

        mail_user, mail_group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        rootless = (
            f"default_internal_user = {mail_user}\ndefault_internal_group = {mail_group}\n"
            f"default_login_user = {mail_user}"
        )
    with open(f"{d}/users", "w", encoding="utf-8") as f:
        f.writelines(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in users.items())
    with open(f"{d}/dovecot.conf", "w", encoding="utf-8") as f:
        f.write(_DOVECOT_CONF.format(
            d=d, tag=os.path.basename(d), rootless=rootless, mail_user=mail_user, mail_group=mail_group, **ports,
        ))
    proc = spawn([binary("dovecot") or "dovecot", "-F", "-c", f"{d}/dovecot.conf"], d, "dovecot")
    server = Dovecot(d, proc=proc, **ports)
    try:
        wait_ports(list(ports.values()), proc)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class Postfix:
    """A running private Postfix instance: submission ports with AUTH, delivering to Dovecot LMTP."""

    dir: str
    submission: int
    submissions: int
    proc: subprocess.Popen = field(repr=False)

    def stop(self) -> None:
        # With start-fg the master is a setsid child of the script: `postfix stop` reaches it, killpg does not.
        subprocess.run([binary("postfix") or "postfix", "-c", f"{self.dir}/etc", "stop"], capture_output=True, timeout=30)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            stop(self.proc)


def start_postfix(d: str, dovecot: Dovecot) -> Postfix:
    """Postfix (root only) with SASL through Dovecot's auth port and delivery through its LMTP port."""
    submission, submissions = free_port(), free_port()
    os.makedirs(f"{d}/etc")
    os.makedirs(f"{d}/queue")  # not data/: Postfix creates it with the owner it wants
    files = {
        "main.cf": _POSTFIX_MAIN.format(
            d=d, domain=DOMAIN, lmtp=dovecot.lmtp, auth=dovecot.auth, cert=f"{d}/cert.pem", key=f"{d}/key.pem",
        ),
        "master.cf": _POSTFIX_MASTER.format(submission=submission, submissions=submissions),
    }
    for name, text in files.items():
        path = f"{d}/etc/{name}"
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        # Postfix waits in 300 ms steps until main.cf is over a second old: backdating saves ~2 s.
        os.utime(path, (time.time() - 60,) * 2)
    proc = spawn([binary("postfix") or "postfix", "-c", f"{d}/etc", "start-fg"], d, "postfix")
    server = Postfix(d, submission, submissions, proc)
    try:
        wait_ports([submission, submissions], proc)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class MailServers:
    """What a test needs to reach the servers: host, ports, the CA to trust, and the users."""

    dir: str
    dovecot: Dovecot
    postfix: Postfix | None
    skip_smtp: str = ""
    users: Mapping[str, str] = field(default_factory=lambda: dict(USERS))
    host: str = "127.0.0.1"

    @property
    def cafile(self) -> str:
        return f"{self.dir}/ca.pem"

    @property
    def smtp(self) -> Postfix:
        """The SMTP server; skips the calling test, saying why, where it cannot run."""
        if self.postfix is None:
            pytest.skip(self.skip_smtp)
        return self.postfix

    def stop(self) -> None:
        if self.postfix is not None:
            self.postfix.stop()
        self.dovecot.stop()
        remove_dir(self.dir)


def missing_binaries() -> list[str]:
    programs = ["openssl", "dovecot"]
    found = [name for name in programs if binary(name)]
    missing = [name for name in programs if name not in found]
    missing += [f"/usr/lib/dovecot/{p}" for p in ("imap", "pop3", "lmtp") if not os.access(f"/usr/lib/dovecot/{p}", os.X_OK)]
    return missing


def start_mail_servers() -> MailServers:
    d = server_dir("mail")
    try:
        make_certificates(d)
        dovecot = start_dovecot(d, USERS)
    except BaseException:
        remove_dir(d)
        raise
    postfix, skip_smtp = None, ""
    if not binary("postfix"):
        skip_smtp = "Postfix is not installed: run scripts/install-test-servers"
    elif os.geteuid() != 0:
        skip_smtp = "Postfix runs only as root (its daemons switch to the postfix user)"
    else:
        try:
            postfix = start_postfix(d, dovecot)
        except BaseException:
            dovecot.stop()
            remove_dir(d)
            raise
    return MailServers(d, dovecot, postfix, skip_smtp)


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServers]:
    """Dovecot and Postfix for the whole session; skips only when a program is missing."""
    missing = missing_binaries()
    if missing:
        pytest.skip(f"mail servers not installed ({', '.join(missing)}): run scripts/install-test-servers")
    servers = start_mail_servers()
    yield servers
    servers.stop()
