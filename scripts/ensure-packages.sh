#!/usr/bin/env bash
# Installs what the build and the tests need, when it is missing: Debian packages (through sudo when
# not root) and the official Standard Webhooks Python library the tests verify signatures with.
set -euo pipefail
# chromium and its driver: the console's browser test.
needed=(libsqlite3-dev curl chromium chromium-driver)
# A python3 already on PATH (pyenv, the distribution's) serves as well as Debian's.
command -v python3 >/dev/null 2>&1 || needed+=(python3 python3-pip)
missing=()
for package in "${needed[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}"
fi
# The official Standard Webhooks library (the tests verify signatures with it), an OpenAPI validator,
# PyYAML (deploy checks), the Prometheus client's text parser (metrics tests), schemathesis (API fuzzing),
# Selenium (the console's browser test) and the OpenTelemetry project's protobuf definitions (the tests' OTLP receiver).
for module in standardwebhooks:standardwebhooks openapi_spec_validator:openapi-spec-validator yaml:PyYAML \
              prometheus_client:prometheus-client schemathesis:schemathesis selenium:selenium \
              opentelemetry.proto:opentelemetry-proto; do
  if ! python3 -c "import ${module%%:*}" 2>/dev/null; then
    echo "installing the ${module#*:} Python package"
    python3 -m pip install --quiet "${module#*:}" 2>/dev/null \
      || python3 -m pip install --quiet --break-system-packages "${module#*:}"
  fi
done
