"""PyTorch's time to classify one 28x28 image through the book's SimpleConvNet
(conv 30x5x5 -> ReLU -> maxpool 2x2 -> Linear 100 -> ReLU -> Linear 10), batch 1,
float32, in inference mode: the counterpart of the "SimpleConvNet inference, one
image" row of `cargo bench --bench speed`.

    python benches/peers/torch_cnn_inference.py --mnist data/mnist --threads 1

Times 1,000 calls after 100 warm-up calls, cycling through the first 100 test
images, and prints the median in microseconds. Weights are 0.01 N(0, 1): the
timing of a dense CPU convolution does not depend on their values.
"""
import argparse
import gzip
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def test_images(folder: Path) -> np.ndarray:
    """The first 100 images of the IDX test set in `folder`, as floats in [0, 1]."""
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"):
        path = folder / name
        if path.exists():
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            pixels = np.frombuffer(raw, dtype=np.uint8, offset=16)[: 100 * 784]
            return (pixels.astype(np.float32) / 255.0).reshape(100, 1, 1, 28, 28)
    raise SystemExit(f"no t10k images in {folder}")


class SimpleConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 30, 5)
        self.fc1 = nn.Linear(30 * 12 * 12, 100)
        self.fc2 = nn.Linear(100, 10)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(0.01 * torch.randn_like(p))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True, help="folder with the IDX test images")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    images = torch.from_numpy(test_images(args.mnist))
    net = SimpleConvNet().eval()
    times = []
    with torch.inference_mode():
        for k in range(1100):
            t0 = time.perf_counter()
            int(net(images[k % 100]).argmax())
            if k >= 100:
                times.append((time.perf_counter() - t0) * 1e6)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): "
          f"SimpleConvNet inference, one image, median {statistics.median(times):.1f} µs")


if __name__ == "__main__":
    main()
