#!/usr/bin/python3
"""Parity between autoaug's ops and torchvision 0.14 (Debian's python3-torchvision).

  torchvision_parity.py generate DIR
      Writes the golden files the C++ parity test reads: input images (PNG), the outputs of
      torchvision's uint8 tensor path (`_apply_op`) for every op at several values and both signs
      (goldens.bin.gz, raw HWC bytes in manifest order), the bin tables of AutoAugment,
      RandAugment and TrivialAugmentWide, and manifest.json. Re-run it after changing the cases.

  torchvision_parity.py check --autoaug BIN [--seed S] [--cases N]
      Draws random images (sizes, 1 or 3 channels) and random ops and values that are not in the
      repository, applies them with `autoaug augment` and with torchvision, and checks the agreed
      tolerances against the tensor path; agreement with the PIL path is reported, not enforced.
      Exits 1 when a case is outside its tolerance.

Run with Debian's interpreter (/usr/bin/python3), which has torchvision 0.14.
"""
import argparse
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import (AutoAugment, RandAugment, TrivialAugmentWide,
                                                _apply_op)

torch.set_num_threads(1)

LUT_OPS = {"Identity", "Invert", "Posterize", "Solarize", "AutoContrast", "Equalize", "Brightness"}
BLEND_OPS = {"Color", "Contrast", "Sharpness"}
GEOMETRY_OPS = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"}
ALL_OPS = sorted(LUT_OPS | BLEND_OPS | GEOMETRY_OPS)


def tolerance_ok(op, ours, ref):
    """The agreed tolerances: LUT/histogram ops bit-exact, blends within 1, geometry >= 99%."""
    diff = np.abs(ours.astype(np.int16) - ref.astype(np.int16))
    if op in LUT_OPS:
        return diff.max() == 0
    if op in BLEND_OPS:
        return diff.max() <= 1
    equal = np.all(ours == ref, axis=2).mean()
    return equal >= 0.99


def natural_image(rng, h, w, c):
    """Smooth gradients, a few shapes and mild noise: pixel statistics like a photo's."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, c))
    for ch in range(c):
        a, b, d = rng.uniform(-3, 3, size=3)
        img[..., ch] = 128 + 60 * np.sin(a * xx / w + b * yy / h + d)
    for _ in range(rng.randint(2, 6)):
        y0, x0 = rng.randint(0, h), rng.randint(0, w)
        y1, x1 = y0 + rng.randint(2, max(3, h // 2)), x0 + rng.randint(2, max(3, w // 2))
        img[y0:y1, x0:x1] = rng.uniform(0, 255, size=c)
    img += rng.normal(0, 6, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def fashion_mnist_image(index):
    path = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[4 * i:4 * i + 4], "big") for i in (1, 2, 3))
    offset = 16 + index * rows * cols
    return np.frombuffer(data[offset:offset + rows * cols], np.uint8).reshape(rows, cols, 1)


def tensor_path(img, op, value, fill):
    t = torch.from_numpy(np.array(img.transpose(2, 0, 1)))
    fill_list = None if fill is None else [float(f) for f in fill] * (img.shape[2] if len(fill) == 1 else 1)
    out = _apply_op(t, op, value, interpolation=InterpolationMode.NEAREST, fill=fill_list)
    return out.numpy().transpose(1, 2, 0).copy()


def pil_path(img, op, value, fill):
    pil = Image.fromarray(img[..., 0] if img.shape[2] == 1 else img)
    fill_list = None if fill is None else [float(f) for f in fill] * (img.shape[2] if len(fill) == 1 else 1)
    out = np.asarray(_apply_op(pil, op, value, interpolation=InterpolationMode.NEAREST,
                               fill=fill_list))
    return out.reshape(img.shape)


def signed(values):
    return [v for x in values for v in (x, -x)]


def space_value(space, op, bin_index):
    magnitudes, _ = space[op]
    return float(magnitudes[bin_index].item())


def golden_cases():
    """(op, value, fill) triples: bin values of the real spaces, both signs, plus a few fills."""
    aa = AutoAugment()._augmentation_space(10, (32, 32))
    ta = TrivialAugmentWide()._augmentation_space(31)
    cases = [("Identity", 0.0, None), ("AutoContrast", 0.0, None), ("Equalize", 0.0, None),
             ("Invert", 0.0, None)]
    for op in ("ShearX", "ShearY"):
        for v in signed([space_value(aa, op, 2), space_value(aa, op, 9), space_value(ta, op, 30)]):
            cases.append((op, v, None))
    for op in ("TranslateX", "TranslateY"):
        for v in signed([3.0, space_value(aa, op, 9), 9.99]):
            cases.append((op, v, None))
    for v in signed([space_value(aa, "Rotate", 2), space_value(aa, "Rotate", 9),
                     space_value(ta, "Rotate", 17)]):
        cases.append(("Rotate", v, None))
    for op in ("Brightness", "Color", "Contrast", "Sharpness"):
        for v in signed([space_value(aa, op, 3), space_value(aa, op, 9), space_value(ta, op, 30)]):
            cases.append((op, v, None))
    for bits in (1.0, 2.0, 4.0, 6.0, 8.0):
        cases.append(("Posterize", bits, None))
    for b in (0, 1, 5, 8, 9):
        cases.append(("Solarize", space_value(aa, "Solarize", b), None))
    cases += [("Rotate", 30.0, [128]), ("ShearX", -0.3, [77]), ("TranslateY", -9.0, [200])]
    return cases


def bin_tables():
    tables = []
    for h, w in ((28, 28), (32, 32), (21, 30), (224, 224)):
        for space_name, bins, space in (
                ("standard", 10, AutoAugment()._augmentation_space(10, (h, w))),
                ("standard", 31, RandAugment()._augmentation_space(31, (h, w))),
                ("wide", 31, TrivialAugmentWide()._augmentation_space(31))):
            for op, (magnitudes, is_signed) in space.items():
                if magnitudes.ndim == 0:
                    continue
                tables.append({"op": op, "space": space_name, "bins": bins, "height": h,
                               "width": w, "signed": bool(is_signed),
                               "values": [float(v) for v in magnitudes.tolist()]})
    return tables


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.RandomState(20261128)
    images = {
        "fmnist28x28x1": fashion_mnist_image(0),
        "natural32x32x3": natural_image(rng, 32, 32, 3),
        "natural21x30x3": natural_image(rng, 21, 30, 3),
        "natural17x24x1": natural_image(rng, 17, 24, 1),
    }
    for name, img in images.items():
        Image.fromarray(img[..., 0] if img.shape[2] == 1 else img).save(
            os.path.join(out_dir, name + ".png"))
    manifest = {"torchvision": __import__("torchvision").__version__, "cases": [],
                "bin_tables": bin_tables()}
    blob = bytearray()
    pil_equal = {}
    for op, value, fill in golden_cases():
        for name, img in images.items():
            ref = tensor_path(img, op, value, fill)
            pil = pil_path(img, op, value, fill)
            pil_equal.setdefault(op, []).append(float(np.all(pil == ref, axis=2).mean()))
            manifest["cases"].append({"op": op, "value": value, "fill": fill, "image": name,
                                      "offset": len(blob), "shape": list(ref.shape)})
            blob += ref.tobytes()
    with gzip.open(os.path.join(out_dir, "goldens.bin.gz"), "wb", compresslevel=9) as f:
        f.write(bytes(blob))
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        f.write(json.dumps({k: v for k, v in manifest.items() if k != "cases" and k != "bin_tables"})[:-1])
        for key in ("cases", "bin_tables"):
            f.write(f', "{key}": [\n')
            f.write(",\n".join(json.dumps(item) for item in manifest[key]))
            f.write("]")
        f.write("}\n")
    print(f"{len(manifest['cases'])} cases, {len(blob)} bytes of reference pixels")
    print("tensor path vs PIL path, mean share of equal pixels per op:")
    for op in sorted(pil_equal):
        print(f"  {op:13s} {100 * np.mean(pil_equal[op]):6.2f}%")


def random_value(rng, op, h, w):
    """A value drawn from one of torchvision's spaces at a random bin, or uniformly in range."""
    spaces = [AutoAugment()._augmentation_space(10, (h, w)),
              RandAugment()._augmentation_space(31, (h, w)),
              TrivialAugmentWide()._augmentation_space(31)]
    space = spaces[rng.randint(len(spaces))]
    if op not in space:
        return 0.0
    magnitudes, is_signed = space[op]
    if magnitudes.ndim == 0:
        return 0.0
    if rng.rand() < 0.5:
        value = float(magnitudes[rng.randint(len(magnitudes))].item())
    else:
        lo, hi = sorted((float(magnitudes[0]), float(magnitudes[-1])))
        value = float(np.float32(rng.uniform(lo, hi)))
        if op == "Posterize":
            value = float(int(value))
    if is_signed and rng.rand() < 0.5:
        value = -value
    return value


def check(autoaug, seed, count):
    rng = np.random.RandomState(seed)
    failures = []
    exact = 0
    pil_agreement = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(count):
            op = ALL_OPS[i % len(ALL_OPS)]
            h, w = rng.randint(4, 80), rng.randint(4, 80)
            c = 1 if rng.rand() < 0.4 else 3
            img = natural_image(rng, h, w, c)
            value = random_value(rng, op, h, w)
            fill = None
            if op in GEOMETRY_OPS and rng.rand() < 0.3:
                fill = [int(rng.randint(0, 256))]
            src = os.path.join(tmp, f"in{i}.png")
            dst = os.path.join(tmp, f"out{i}.png")
            Image.fromarray(img[..., 0] if c == 1 else img).save(src)
            cmd = [autoaug, "augment", "--op", op, "--value", repr(value), src, dst]
            if fill is not None:
                cmd[4:4] = ["--fill", str(fill[0])]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                failures.append(f"{op} {value} {h}x{w}x{c}: autoaug failed: {run.stderr.strip()}")
                continue
            ours = np.asarray(Image.open(dst)).reshape(img.shape)
            ref = tensor_path(img, op, value, fill)
            pil = pil_path(img, op, value, fill)
            pil_agreement.setdefault(op, []).append(float(np.all(ours == pil, axis=2).mean()))
            exact += int(np.array_equal(ours, ref))
            if not tolerance_ok(op, ours, ref):
                diff = np.abs(ours.astype(int) - ref.astype(int))
                failures.append(f"{op} value={value!r} fill={fill} {h}x{w}x{c}: max diff "
                                f"{diff.max()}, {100 * np.all(ours == ref, axis=2).mean():.2f}% "
                                "pixels equal")
    print(f"{count} random cases (seed {seed}) against torchvision's tensor path: "
          f"{count - len(failures)} within tolerance ({exact} identical), {len(failures)} outside")
    print("agreement with the PIL path (mean share of equal pixels):")
    for op in sorted(pil_agreement):
        print(f"  {op:13s} {100 * np.mean(pil_agreement[op]):6.2f}%")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("dir")
    chk = sub.add_parser("check")
    chk.add_argument("--autoaug", required=True)
    chk.add_argument("--seed", type=int, default=1)
    chk.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.dir)
        return 0
    return check(args.autoaug, args.seed, args.cases)


if __name__ == "__main__":
    sys.exit(main())
