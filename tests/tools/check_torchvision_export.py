#!/usr/bin/python3
"""Checks `autoaug export --format torchvision` with Debian's torchvision 0.14.

  check_torchvision_export.py AUTOAUG_BIN WORK_DIR

Exports a preset and a deterministic policy, imports the modules, transforms a PIL image and a
uint8 tensor, and compares the deterministic policy's output with `autoaug apply` (identical
pixels expected: every op there is unsigned and fires with probability 1).
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image


def load_module(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    autoaug, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.RandomState(5)
    rgb = rng.randint(0, 256, size=(24, 36, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(work, "in.png"))

    preset = os.path.join(work, "preset_policy.py")
    subprocess.run([autoaug, "export", "--policy", "autoaugment-cifar10", "--format",
                    "torchvision", "-o", preset], check=True, capture_output=True)
    transform = load_module(preset).build_transform()
    torch.manual_seed(0)
    out_pil = transform(Image.fromarray(rgb))
    out_tensor = transform(torch.from_numpy(rgb.transpose(2, 0, 1).copy()))
    assert out_pil.size == (36, 24), out_pil.size
    assert tuple(out_tensor.shape) == (3, 24, 36) and out_tensor.dtype == torch.uint8

    policy = {"format": "autoaug.policy/v1", "subpolicies": [[
        {"op": "Posterize", "prob": 1.0, "magnitude": 5},
        {"op": "Solarize", "prob": 1.0, "magnitude": 3},
        {"op": "AutoContrast", "prob": 1.0},
        {"op": "Equalize", "prob": 1.0}]]}
    policy_path = os.path.join(work, "fixed.json")
    with open(policy_path, "w") as f:
        json.dump(policy, f)
    module_path = os.path.join(work, "fixed_policy.py")
    subprocess.run([autoaug, "export", "--policy", policy_path, "--format", "torchvision", "-o",
                    module_path], check=True, capture_output=True)
    subprocess.run([autoaug, "apply", "--policy", policy_path, "--seed", "1",
                    os.path.join(work, "in.png"), "-o", os.path.join(work, "out")], check=True,
                   capture_output=True)
    ours = np.asarray(Image.open(os.path.join(work, "out", "in.png")))
    fixed = load_module(module_path).build_transform()
    theirs = fixed(torch.from_numpy(rgb.transpose(2, 0, 1).copy())).numpy().transpose(1, 2, 0)
    if not np.array_equal(ours, theirs):
        print("mismatch: max diff", np.abs(ours.astype(int) - theirs.astype(int)).max())
        return 1
    print("exported modules import and run; the deterministic policy matches autoaug exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
