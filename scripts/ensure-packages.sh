#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when they are missing.
# Runs as root (CI, a fresh machine) or through sudo; prints what it does.
set -euo pipefail
needed=(libsqlite3-dev)
missing=()
for package in "${needed[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}"
