#!/usr/bin/python3
"""torchvision 0.14's own augmentation throughput on one thread, for side-by-side comparison with
`autoaug bench augment` (same shapes, same kind of images, same JSON shape).

  /usr/bin/python3 tests/augment/bench_torchvision.py [--path pil|tensor] [--seconds S]
      [--autoaug build/tools/autoaug] [--rounds N]

With --autoaug, both are measured alternately for N rounds (the machine's load drifts) and a table
of medians and ratios is printed instead of JSON.
"""
import argparse
import json
import statistics
import subprocess
import time

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide

torch.set_num_threads(1)


def pool(h, w, c, count=32, seed=7):
    rng = np.random.RandomState(seed)
    images = []
    for _ in range(count):
        yy, xx = np.mgrid[0:h, 0:w]
        a, b = rng.uniform(0, 6.28, size=2)
        img = np.stack([128 + 80 * np.sin(a + (k + 1) * 3.0 * xx / w + b * yy / h) for k in range(c)], 2)
        img = np.clip(img + rng.normal(0, 8, size=img.shape), 0, 255).astype(np.uint8)
        images.append(img)
    return images


def rate(images, fn, seconds, repeats=3):
    rates = []
    for _ in range(repeats):
        done, start = 0, time.perf_counter()
        while True:
            for img in images:
                fn(img)
                done += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(done / elapsed)
    return sorted(rates)[len(rates) // 2]


def measure(path, seconds):
    torch.manual_seed(0)
    transforms = {
        "policy:autoaugment-cifar10": AutoAugment(AutoAugmentPolicy.CIFAR10),
        "policy:randaugment-2-9": RandAugment(2, 9),
        "policy:trivialaugment": TrivialAugmentWide(),
    }
    results = []
    for h, w, c in ((28, 28, 1), (32, 32, 3), (224, 224, 3)):
        raw = pool(h, w, c)
        if path == "pil":
            images = [Image.fromarray(x[..., 0] if c == 1 else x) for x in raw]
        else:
            images = [torch.from_numpy(x.transpose(2, 0, 1).copy()) for x in raw]
        for name, t in transforms.items():
            results.append({"name": name, "shape": f"{h}x{w}x{c}", "path": path,
                            "threads": 1, "images_per_second": rate(images, t, seconds)})
    return results


def compare(autoaug, path, seconds, rounds):
    ours, theirs = {}, {}
    names = ["policy:autoaugment-cifar10", "policy:randaugment-2-9", "policy:trivialaugment"]
    for _ in range(rounds):
        for r in measure(path, seconds):
            theirs.setdefault((r["name"], r["shape"]), []).append(r["images_per_second"])
        out = subprocess.run([autoaug, "bench", "augment", "--json", "--seconds", str(seconds),
                              "--only", *names], check=True, capture_output=True, text=True)
        for r in json.loads(out.stdout)["results"]:
            ours.setdefault((r["name"], r["shape"]), []).append(r["images_per_second"])
    print(f"{'policy':28s} {'shape':10s} {'autoaug/s':>11s} {'torchvision/s':>14s} {'ratio':>7s}")
    for key in theirs:
        a, t = statistics.median(ours[key]), statistics.median(theirs[key])
        print(f"{key[0]:28s} {key[1]:10s} {a:11.0f} {t:14.0f} {a / t:6.1f}x")
    print(f"(medians of {rounds} alternating rounds; torchvision {path} path, one thread each)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", choices=["pil", "tensor"], default="pil")
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--autoaug")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.autoaug:
        compare(args.autoaug, args.path, args.seconds, args.rounds)
    else:
        print(json.dumps({"results": measure(args.path, args.seconds)}, indent=1))


if __name__ == "__main__":
    main()
