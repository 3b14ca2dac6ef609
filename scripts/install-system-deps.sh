#!/usr/bin/env bash
# Installs the Debian tools some tests need, only when they are missing:
#   python3-boto3  a second real AWS client (boto3) for wire-compatibility tests
#   chromium       headless rendering of the HTML run report
set -euo pipefail

missing=()
/usr/bin/python3 -c "import boto3" >/dev/null 2>&1 || missing+=(python3-boto3)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
