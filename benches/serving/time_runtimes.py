"""Times ONNX Runtime and LiteRT on the models export.py wrote, with the protocol
of timing.rs, and prints RESULT lines (README.md beside this file).

    python time_runtimes.py --models DIR [--quick]

One sample cycles through the first 100 test digits (each a ready array of
the model's input shape); a batch is those 100. Rows:
- onnxruntime `run`: `sess.run(None, {"x": x})`, the output returned as a new array;
- onnxruntime IO binding: input and output bound once to OrtValues over numpy
  buffers; a call copies the digit into the input buffer and calls
  `run_with_iobinding` (the scores land in the bound output buffer);
- LiteRT: `set_tensor`, `invoke`, `get_tensor`, with its default XNNPACK delegate
  (f32 and int8; the int8 model takes int8 pixels, quantized beforehand), and,
  for comparison, its builtin kernels without the delegate;
- the trivial model (a ReLU of 10 values) through each of those paths: what the
  Python call itself costs.
Threads: 1 for every row; batch 100 also with 2 (ORT's intra-op threads,
LiteRT's num_threads).
"""
import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter, OpResolverType

import common

MODELS = [("SimpleConvNet", "simple_conv_net", (1, 28, 28), (28, 28, 1)), ("784-50-10", "dense_784_50_10", (784,), (784,))]


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def ort_run(sess, inputs):
    def call(k):
        sess.run(None, {"x": inputs[k % len(inputs)]})

    return call


def ort_iobinding(sess, inputs):
    x = np.empty_like(inputs[0])
    y = np.empty((x.shape[0], 10), np.float32)
    io = sess.io_binding()
    io.bind_ortvalue_input("x", ort.OrtValue.ortvalue_from_numpy(x))
    io.bind_ortvalue_output("scores", ort.OrtValue.ortvalue_from_numpy(y))

    def call(k):
        np.copyto(x, inputs[k % len(inputs)])
        sess.run_with_iobinding(io)

    return call


def interpreter(path, batch, threads, resolver):
    interp = Interpreter(model_path=str(path), num_threads=threads, experimental_op_resolver_type=resolver)
    i = interp.get_input_details()[0]
    if batch != i["shape"][0]:
        interp.resize_tensor_input(i["index"], [batch, *i["shape"][1:]])
    interp.allocate_tensors()
    return interp


def litert(interp, inputs):
    i, o = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]

    def call(k):
        interp.set_tensor(i, inputs[k % len(inputs)])
        interp.invoke()
        interp.get_tensor(o)

    return call


def quantized(interp, inputs):
    scale, zp = interp.get_input_details()[0]["quantization"]
    return [np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8) for x in inputs]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    one = dict(warmup_calls=500, blocks=50 if args.quick else 1000)
    many = dict(warmup_calls=20, blocks=30 if args.quick else 200)
    print(f"VERSION\tonnxruntime\t{ort.__version__}")
    from importlib.metadata import version

    print(f"VERSION\tai-edge-litert\t{version('ai-edge-litert')}")
    print(f"VERSION\tnumpy\t{np.__version__}")
    images, _ = common.mnist("t10k")
    images = images[:100]
    xnnpack, builtin = OpResolverType.AUTO, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES

    trivial = [np.ascontiguousarray(images[k, 0, :10][None]) for k in range(100)]
    sess = session(args.models / "trivial.onnx", 1)
    common.report("onnxruntime", "trivial", "f32", 1, 1, "run", common.measure(ort_run(sess, trivial), **one))
    common.report("onnxruntime", "trivial", "f32", 1, 1, "IO binding", common.measure(ort_iobinding(sess, trivial), **one))
    interp = interpreter(args.models / "trivial.tflite", 1, 1, xnnpack)
    common.report("litert", "trivial", "f32", 1, 1, "XNNPACK", common.measure(litert(interp, trivial), **one))

    for model, stem, onnx_shape, tflite_shape in MODELS:
        for batch, threads_list, protocol in [(1, [1], one), (100, [1, 2], many)]:
            if batch == 1:
                onnx_in = [np.ascontiguousarray(images[k].reshape(1, *onnx_shape)) for k in range(100)]
                tfl_in = [np.ascontiguousarray(images[k].reshape(1, *tflite_shape)) for k in range(100)]
            else:
                onnx_in = [np.ascontiguousarray(images.reshape(100, *onnx_shape))]
                tfl_in = [np.ascontiguousarray(images.reshape(100, *tflite_shape))]
            for threads in threads_list:
                sess = session(args.models / f"{stem}.onnx", threads)
                for variant, make in [("run", ort_run), ("IO binding", ort_iobinding)]:
                    common.report("onnxruntime", model, "f32", batch, threads, variant, common.measure(make(sess, onnx_in), **protocol))
                for precision in ["f32", "int8"]:
                    for variant, resolver in [("XNNPACK", xnnpack), ("builtin kernels", builtin)]:
                        if variant == "builtin kernels" and threads > 1:
                            continue
                        interp = interpreter(args.models / f"{stem}_{precision}.tflite", batch, threads, resolver)
                        inputs = quantized(interp, tfl_in) if precision == "int8" else tfl_in
                        common.report("litert", model, precision, batch, threads, variant, common.measure(litert(interp, inputs), **protocol))


if __name__ == "__main__":
    main()
