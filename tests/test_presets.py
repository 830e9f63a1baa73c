import re
import subprocess
import sys

import pytest

from mailconf.errors import MailconfError
from mailconf.presets import Endpoint, Preset, UnknownPresetError, get_preset, presets

REQUIRED = {
    "gmail", "microsoft365", "outlook", "yahoo", "icloud", "ionos", "strato",
    "gmx", "webde", "t-online", "zoho", "fastmail", "mailbox-org",
}

# port -> allowed security values, per protocol
CONVENTIONS = {
    "smtp": {465: {"tls"}, 587: {"starttls"}, 25: {"none", "starttls"}},
    "imap": {993: {"tls"}, 143: {"starttls"}},
    "pop3": {995: {"tls"}, 110: {"starttls"}},
}

LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOSTNAME = re.compile(rf"^{LABEL}(\.{LABEL})+$")

ALL = sorted(presets().values(), key=lambda p: p.name)


def test_required_services_present():
    assert REQUIRED <= set(presets())


def test_mapping_is_read_only_and_cached():
    assert presets() is presets()
    with pytest.raises(TypeError):
        presets()["x"] = None  # type: ignore[index]


@pytest.mark.parametrize("preset", ALL, ids=lambda p: p.name)
def test_entry_shape(preset: Preset):
    assert isinstance(preset, Preset)
    assert preset.title.strip()
    assert preset.docs, "every preset must cite its documentation"
    for url in preset.docs:
        assert re.match(r"^https://[^\s/]+\.[^\s/]+/\S*$", url), url
    assert preset.smtp is not None and preset.imap is not None


@pytest.mark.parametrize("preset", ALL, ids=lambda p: p.name)
def test_endpoints_follow_port_conventions(preset: Preset):
    for proto, allowed in CONVENTIONS.items():
        endpoint = getattr(preset, proto)
        if endpoint is None:
            continue
        assert isinstance(endpoint, Endpoint)
        assert HOSTNAME.match(endpoint.host), f"{preset.name}.{proto}: bad host {endpoint.host!r}"
        assert endpoint.port in allowed, f"{preset.name}.{proto}: unexpected port {endpoint.port}"
        assert endpoint.security in allowed[endpoint.port], (
            f"{preset.name}.{proto}: port {endpoint.port} with {endpoint.security}"
        )


@pytest.mark.parametrize("preset", ALL, ids=lambda p: p.name)
def test_spf_include_is_an_include_mechanism(preset: Preset):
    if preset.spf_include is None:
        return
    match = re.fullmatch(r"include:(\S+)", preset.spf_include)
    assert match, preset.spf_include
    assert HOSTNAME.match(match.group(1).lstrip("_").replace("_", "")), preset.spf_include


def test_known_values():
    gmail = get_preset("gmail")
    assert gmail.imap == Endpoint("imap.gmail.com", 993, "tls")
    assert gmail.spf_include == "include:_spf.google.com"
    assert get_preset("microsoft365").spf_include == "include:spf.protection.outlook.com"
    assert get_preset("icloud").pop3 is None


def test_unknown_preset_suggests_closest_and_lists_known():
    with pytest.raises(UnknownPresetError) as info:
        get_preset("gmial")
    message = str(info.value)
    assert "'gmail'" in message
    for name in REQUIRED:
        assert name in message
    assert isinstance(info.value, MailconfError)


def test_unknown_preset_without_close_match():
    with pytest.raises(UnknownPresetError, match="known presets: "):
        get_preset("zzzzzzzz")


def test_import_does_not_load_yaml():
    code = (
        "import sys, mailconf; before = 'yaml' in sys.modules; import mailconf.presets; "
        "print(before or 'yaml' not in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
