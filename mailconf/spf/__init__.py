"""SPF (RFC 7208): parse, evaluate, analyse, merge and flatten records.

The package stays import-light on purpose: `mailconf.spf.cli` is imported at every start-up of the
command line, so nothing here imports dnspython until a command actually needs DNS.
"""
