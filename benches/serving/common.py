"""What the serving harness's Python scripts share: MNIST's IDX files, typenet's
safetensors files, and the timing protocol of `timing.rs` (warm-up calls, then
blocks of calls lasting at least 200 µs each, the median and 10th/90th
percentiles of the block means), printed as the same RESULT lines."""
import gzip
import json
import struct
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MNIST = HERE.parent.parent / "data" / "mnist"
BLOCK_SECONDS = 200e-6
UNIT = np.float32(1.0 / 255.0)  # typenet's Pixels::Unit: each byte times f32(1/255)


def idx(path: Path) -> np.ndarray:
    """An IDX file (gzip or not) as an array of its dimensions."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise SystemExit(f"{path}: not an IDX file of bytes")
    rank = raw[3]
    dims = struct.unpack(f">{rank}I", raw[4 : 4 + 4 * rank])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(dims)):
        raise SystemExit(f"{path}: {data.size} bytes of data for dimensions {dims}")
    return data.reshape(dims)


def mnist(split: str):
    """(images as float32 N×28×28 in [0, 1], labels) of `split`, "train10k" or "t10k"."""
    images = idx(MNIST / f"{split}-images-idx3-ubyte.gz")
    labels = idx(MNIST / f"{split}-labels-idx1-ubyte.gz")
    return images.astype(np.float32) * UNIT, labels.astype(np.int64)


DTYPES = {"F32": np.float32, "F64": np.float64, "I8": np.int8, "U8": np.uint8, "I32": np.int32}


def safetensors(path: Path) -> dict:
    """The tensors of a safetensors file, by name (a reader of its few bytes of
    format rather than one more package: an 8-byte header length, a JSON header,
    the data)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise SystemExit(f"{path}: header of {n} bytes in a file of {len(raw)}")
    header = json.loads(raw[8 : 8 + n])
    data = memoryview(raw)[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        dtype = np.dtype(DTYPES[t["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(t["shape"]).astype(dtype.newbyteorder("="))
    return out


def measure(call, warmup_calls: int, blocks: int):
    """Times `call(k)` as timing.rs does; returns (median, p10, p90) µs per call and the call count."""
    k = 0
    t0 = time.perf_counter()
    for _ in range(max(warmup_calls, 1)):
        call(k)
        k += 1
    per_call = (time.perf_counter() - t0) / max(warmup_calls, 1)
    block = max(1, int(np.ceil(BLOCK_SECONDS / max(per_call, 1e-9))))
    means = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(block):
            call(k)
            k += 1
        means.append((time.perf_counter() - t0) * 1e6 / block)
    means.sort()

    def at(q):
        return means[round((len(means) - 1) * q)]

    return at(0.5), at(0.1), at(0.9), block * blocks


def report(runtime, model, precision, batch, threads, variant, measured):
    median, p10, p90, calls = measured
    print(
        f"RESULT\t{runtime}\t{model}\t{precision}\t{batch}\t{threads}\t{variant}\t"
        f"{median:.3f}\t{p10:.3f}\t{p90:.3f}\t{calls}\t",
        flush=True,
    )
