#!/usr/bin/env bash
# Installs the Debian 12 packages autoaug builds and runs with. Safe to run again: apt-get skips
# what is already installed. Uses sudo when not run as root. With arguments, installs only the
# packages named (e.g. `install_deps.sh clang-14` from tools/fuzz.sh).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libopencv-dev libeigen3-dev libboost-dev libssl-dev libsqlite3-dev sqlite3
  libcli11-dev nlohmann-json3-dev libspdlog-dev zlib1g-dev libyaml-cpp-dev openssl
  libtorch-dev
  libgtest-dev libgmock-dev
  python3 python3-torchvision python3-pil python3-numpy
  chromium
  dataset-fashion-mnist
)
if [ "$#" -gt 0 ]; then
  packages=("$@")
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "autoaug: installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${as_root[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y --no-install-recommends \
    "${missing[@]}"
fi
