#!/usr/bin/env bash
# Install what the test mail lab (tests/support/lab.rs) needs on a Debian machine:
# Dovecot (IMAP + LMTP), Postfix and the openssl CLI; and for the dashboard's browser
# tests (tests/support/browser.rs) Chromium with its WebDriver, chromedriver; for the
# register test (tests/register.rs) LibreOffice Calc without its GUI. Idempotent: returns at once
# when everything is already installed.
#
# The lab runs its own Dovecot and Postfix instances from generated configuration on
# ports chosen per run, so it does not care whether installing the packages starts
# the system daemons on 25/143/993. Postfix is preseeded with "No configuration" so
# the system instance stays unconfigured.
set -euo pipefail

PACKAGES=(dovecot-core dovecot-imapd dovecot-lmtpd postfix openssl ca-certificates
          chromium chromium-driver
          # The register test opens the .xlsx in a real spreadsheet (soffice --headless).
          libreoffice-calc-nogui)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-test-deps: all present (${PACKAGES[*]})"
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

echo "install-test-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update
echo "postfix postfix/main_mailer_type select No configuration" | "${SUDO[@]}" debconf-set-selections
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"

for b in /usr/sbin/dovecot /usr/bin/doveadm /usr/sbin/postfix /usr/bin/openssl \
         /usr/bin/chromium /usr/bin/chromedriver /usr/bin/soffice; do
    if [ ! -x "$b" ]; then
        echo "install-test-deps: $b still missing after install" >&2
        exit 1
    fi
done
echo "install-test-deps: done"
