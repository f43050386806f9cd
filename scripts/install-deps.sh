#!/usr/bin/env bash
# Installs the Debian packages kvps needs to build (and, with --test, to test), skipping those
# already present. Runs apt-get only when something is missing.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config libcurl4-openssl-dev libssl-dev libexpat1-dev libpq-dev)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(meson libcmocka-dev python3 python3-venv python3-pip golang-go binutils curl postgresql)
    packages+=(clang openssl)  # libFuzzer targets; the TLS test's self-signed certificate
    packages+=(abigail-tools gcovr)  # the ABI check and the coverage stage
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A toolchain installed outside Debian's packages (the image's Go, rustup's cargo) counts.
if [[ " ${missing[*]} " == *" golang-go "* ]] && command -v go >/dev/null; then
    missing=("${missing[@]/golang-go/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
