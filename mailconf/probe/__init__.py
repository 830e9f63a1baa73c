"""`mailconf check`: prove each account's servers work by connecting, negotiating TLS and logging in.

One module per job: `outcome` (what a check found), `net` (resolve and connect, bounded),
`tls` (contexts and certificate verdicts), `smtp`/`imap`/`pop3` (the protocol clients on a
connected socket), `diagnose` (turn a failure into advice, trying the other security mode),
`service` (the phases of one server), `mail` (test mail and round trip), `run` (accounts,
concurrently with a bound), `render` (text table and versioned JSON).
"""
