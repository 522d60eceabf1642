"""PyTorch eager baseline for `autoaug bench train`: the same network (torchvision 0.14's
mobilenet_v2 with a 3x3 stride-1 stem from 1 or 3 channels), batch, thread count, optimizer
step and statistic (images/s of the median step after warm-up steps), on pre-made tensors.

    /usr/bin/python3 tests/models/pytorch_baseline.py --widths 0.5 --shapes 28x28x1 --threads 1
    /usr/bin/python3 tests/models/pytorch_baseline.py --json   # same shape as bench train --json

Use Debian's Python (/usr/bin/python3): it has python3-torch and python3-torchvision.
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def proxy_mobilenet_v2(width, in_channels, num_classes=10):
    model = torchvision.models.mobilenet_v2(width_mult=width, num_classes=num_classes)
    stem = model.features[0][0]
    model.features[0][0] = torch.nn.Conv2d(in_channels, stem.out_channels, 3, 1, 1, bias=False)
    return model


def images_per_second(step, warmup, steps, batch):
    """Images/s of the median step by the wall clock and by process CPU time (all threads)."""
    for _ in range(warmup):
        step()
    times, cpu_times = [], []
    for _ in range(steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        cpu_times.append(time.process_time() - cpu_start)
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times), batch / max(statistics.median(cpu_times), 1e-9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--widths", default="0.25,0.5,1.0")
    parser.add_argument("--shapes", default="28x28x1,32x32x3")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--phases", default="train,eval")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    torch.manual_seed(0)
    results = []
    for shape in args.shapes.split(","):
        h, w, c = (int(v) for v in shape.split("x"))
        for threads in (int(t) for t in args.threads.split(",")):
            torch.set_num_threads(threads)
            for width in (float(v) for v in args.widths.split(",")):
                model = proxy_mobilenet_v2(width, c)
                x = torch.randn(args.batch_size, c, h, w)
                y = torch.arange(args.batch_size) % 10
                if args.channels_last:
                    model = model.to(memory_format=torch.channels_last)
                    x = x.contiguous(memory_format=torch.channels_last)
                optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                                            nesterov=True, weight_decay=5e-4)

                def train_step():
                    optimizer.zero_grad(set_to_none=True)
                    logits = model(x)
                    loss = torch.nn.functional.cross_entropy(logits, y)
                    loss.item()
                    loss.backward()
                    optimizer.step()
                    with torch.no_grad():
                        (logits.argmax(1) == y).sum().item()

                def eval_step():
                    with torch.inference_mode():
                        model(x)

                for phase in args.phases.split(","):
                    if phase == "train":
                        model.train()
                        step = train_step
                    else:
                        model.eval()
                        step = eval_step
                    ips, cpu_ips = images_per_second(step, args.warmup, args.steps,
                                                     args.batch_size)
                    item = {"model": "mobilenetv2", "width": width, "shape": shape,
                            "threads": threads, "phase": phase, "images_per_second": ips,
                            "cpu_images_per_second": cpu_ips,
                            "implementation": "pytorch " + torch.__version__}
                    if args.json:
                        results.append(item)
                    else:
                        print(f"pytorch      {width:5.2f} {shape:8s} {threads:2d} {phase:13s} "
                              f"{ips:10.1f} images/s {cpu_ips:10.1f} per CPU second", flush=True)
    if args.json:
        print(json.dumps({"batch_size": args.batch_size, "steps": args.steps,
                          "warmup": args.warmup, "statistic": "median step (wall clock; process CPU time)",
                          "channels_last": args.channels_last, "results": results}))


if __name__ == "__main__":
    main()
