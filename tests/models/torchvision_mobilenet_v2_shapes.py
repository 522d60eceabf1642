"""Writes the parameter and buffer names and shapes of torchvision 0.14's mobilenet_v2 with the
stem conv replaced by a 3x3 stride-1 conv (the network models/mobilenet_v2.h builds), one
"name dim0xdim1..." line each, in state_dict order.

Run with Debian's Python: /usr/bin/python3 tests/models/torchvision_mobilenet_v2_shapes.py
"""
import os

import torch
import torchvision


def proxy_mobilenet_v2(width, in_channels, num_classes=10):
    model = torchvision.models.mobilenet_v2(width_mult=width, num_classes=num_classes)
    stem = model.features[0][0]
    model.features[0][0] = torch.nn.Conv2d(in_channels, stem.out_channels, 3, 1, 1, bias=False)
    return model


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
    for width, channels in ((0.5, 1), (0.25, 3), (1.0, 3)):
        model = proxy_mobilenet_v2(width, channels)
        path = os.path.join(out_dir, f"mobilenet_v2_w{width}_c{channels}.txt")
        with open(path, "w") as f:
            for name, tensor in model.state_dict().items():
                if name.endswith("num_batches_tracked"):
                    continue
                f.write(name + " " + "x".join(str(d) for d in tensor.shape) + "\n")


if __name__ == "__main__":
    main()
