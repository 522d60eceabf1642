#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what autoaug needs, builds it in Release,
# searches augmentation policies on Fashion-MNIST at a small budget, then exports the best policy
# and writes a report. Everything goes under ${1:-autoaug-out}; running it again resumes the
# search. Extra arguments after the directory go to `autoaug search` (e.g. --trials 40).
#
# The default budget: the MobileNetV2 proxy (width 0.5), 3 epochs on 2,000 Fashion-MNIST training
# images, scored on 1,000 held-out ones, 10 trials after the baseline, then the best 2 and the
# baseline re-scored with 3 fresh seeds each; two worker processes of one thread each.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-autoaug-out}")"
shift || true
"$root/tools/install_deps.sh"
"$root/tools/build.sh" autoaug
autoaug="${AUTOAUG_BUILD_DIR:-$root/build}/tools/autoaug"
mkdir -p "$out"

study="$out/study"
if [ -f "$study/study.db" ]; then
  "$autoaug" search --study "$study" --resume "$@"
else
  "$autoaug" search --study "$study" --data fashion-mnist --model mobilenetv2 --width 0.5 \
    --epochs 3 --train-size 2000 --val-size 1000 --batch-size 64 --threads 1 --workers 2 \
    --trials 10 --rescore-top 2 --rescore-seeds 3 "$@"
fi

"$autoaug" export --study "$study" --format json -o "$out/policy.json"
"$autoaug" export --study "$study" --format torchvision -o "$out/policy_torchvision.py"
"$autoaug" export --study "$study" --format cpp -o "$out/policy.h"
"$autoaug" preview --policy "$out/policy.json" --seed 1 --data fashion-mnist --grid 4x8 \
  -o "$out/preview.png"
"$autoaug" report --study "$study" -o "$out/report.html"

cat <<TXT

Best policy:        $out/policy.json  (autoaug.policy/v1; also policy_torchvision.py, policy.h)
Report:             $out/report.html
Preview:            $out/preview.png
Continue or resume: $0 $out --trials N
Compare with no augmentation and the presets on the test set (the reduced-data benchmark in
README.md: 25 trainings of about 9 minutes, about 1 h 50 min with two jobs on two cores):
  $autoaug evaluate --data fashion-mnist --model mobilenetv2 --width 0.5 --train-size 500 \\
    --epochs 200 --batch-size 64 --threads 1 --jobs 2 --seeds 5 \\
    --policies none,trivialaugment,randaugment,autoaugment-cifar10,$out/policy.json
TXT
"$autoaug" study show "$study" | sed -n '/^Re-scored/,$p'
