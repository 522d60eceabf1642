#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what autoaug needs, builds it in Release,
# and runs it on Fashion-MNIST, writing everything under ${1:-autoaug-out}.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-autoaug-out}")"
"$root/tools/install_deps.sh"
"$root/tools/build.sh"
autoaug="${AUTOAUG_BUILD_DIR:-$root/build}/tools/autoaug"
mkdir -p "$out/previews"

echo
echo "== The augmentation ops (torchvision 0.14 semantics) =="
"$autoaug" ops

echo
echo "== Presets on Fashion-MNIST test images: one grid per preset and image =="
for preset in autoaugment-cifar10 autoaugment-imagenet autoaugment-svhn randaugment trivialaugment; do
  for index in 0 1; do
    "$autoaug" preview --policy "$preset" --seed 1 --data fashion-mnist --index "$index" \
      --grid 4x8 -o "$out/previews/${preset}_${index}.png"
  done
done

echo
echo "== Augmentation throughput, one thread =="
"$autoaug" bench augment --seconds 0.1 --repeats 1 \
  --only policy:autoaugment-cifar10 policy:randaugment-2-9 policy:trivialaugment

echo
echo "Done. Preview grids (original top left): $out/previews"
