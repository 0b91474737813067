"""Builds the ONNX and TFLite models of the serving benchmark from typenet's own
safetensors files, and checks every runtime against typenet's scores.

    python export.py --weights DIR --models DIR

Reads `simple_conv_net.safetensors`, `dense_784_50_10.safetensors` and
`typenet_reference.json` (written by `cargo bench --bench serving -- --weights DIR`)
and writes, into --models:

- `simple_conv_net.onnx`, `dense_784_50_10.onnx`: onnx.helper graphs, NCHW, the
  batch dimension left free: Conv → Relu → MaxPool → Flatten → Gemm → Relu → Gemm.
  typenet's layouts are ONNX's: a conv's W is [OUT, IN, K, K], an Affine's W is
  [IN, OUT] (Gemm with transB = 0), and Flatten of NCHW maps is typenet's C, H, W order.
- `*_f32.tflite`: TensorFlow's TFLiteConverter on a tf.function holding the same
  weights, NHWC: the conv filter transposed to HWIO (the converter stores OHWI),
  and the first Affine's rows permuted from C, H, W to the H, W, C order in which
  TFLite flattens NHWC maps.
- `*_int8.tflite`: the same graph with full-integer post-training quantization
  (per-channel int8 weights, int8 activations, int32 biases), its representative
  data set 500 training digits; int8 input and output, as TFLite Micro models have.
- `trivial.onnx`, `trivial.tflite`: a ReLU of 10 values, to time what a call
  costs through each Python API.

The models give scores (the logits before softmax), as typenet's `scores` does.
Prints CHECK lines: for every f32 model in every runtime the largest
|runtime − typenet| over the first 100 test digits, relative to the largest |score|
of that digit, one at a time and as a batch of 100 (must be ≤ 1e-4); for int8,
the test accuracy on all 10,000 test digits and the agreement of its classes with
typenet's f32 ones.
"""
import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import common

TOLERANCE = 1e-4
REPRESENTATIVE = 500
OPSET = 17


# ---------------------------------------------------------------- ONNX


def onnx_model(nodes, inits, x_shape, y_shape, path):
    graph = helper.make_graph(
        nodes,
        path.stem,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(np.ascontiguousarray(v), k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="typenet")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def onnx_conv(w, path):
    nodes = [
        helper.make_node("Conv", ["x", "conv_W", "conv_b"], ["c"], kernel_shape=[5, 5]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "a1_W", "a1_b"], ["h"]),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "a2_W", "a2_b"], ["scores"]),
    ]
    inits = {"conv_W": w["0.W"], "conv_b": w["0.b"], "a1_W": w["1.W"], "a1_b": w["1.b"], "a2_W": w["3.W"], "a2_b": w["3.b"]}
    onnx_model(nodes, inits, ["N", 1, 28, 28], ["N", 10], path)


def onnx_dense(w, path):
    nodes = [
        helper.make_node("Gemm", ["x", "a1_W", "a1_b"], ["h"]),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "a2_W", "a2_b"], ["scores"]),
    ]
    inits = {"a1_W": w["0.W"], "a1_b": w["0.b"], "a2_W": w["2.W"], "a2_b": w["2.b"]}
    onnx_model(nodes, inits, ["N", 784], ["N", 10], path)


def onnx_trivial(path):
    onnx_model([helper.make_node("Relu", ["x"], ["scores"])], {}, [1, 10], [1, 10], path)


# ---------------------------------------------------------------- TFLite


def tflite_models(w_conv, w_dense, train_images, out: Path):
    import tensorflow as tf

    conv_filter = tf.constant(w_conv["0.W"].transpose(2, 3, 1, 0))  # [O, I, K, K] -> HWIO
    # typenet flattens the pooled maps C, H, W; NHWC maps flatten H, W, C
    a1 = w_conv["1.W"].reshape(30, 12, 12, 100).transpose(1, 2, 0, 3).reshape(4320, 100)
    c = {k: tf.constant(v) for k, v in {"b0": w_conv["0.b"], "W1": a1, "b1": w_conv["1.b"], "W3": w_conv["3.W"], "b3": w_conv["3.b"]}.items()}
    d = {k: tf.constant(v) for k, v in w_dense.items()}

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
    def conv(x):
        y = tf.nn.relu(tf.nn.conv2d(x, conv_filter, strides=1, padding="VALID") + c["b0"])
        y = tf.nn.max_pool2d(y, ksize=2, strides=2, padding="VALID")
        y = tf.reshape(y, [-1, 4320])
        y = tf.nn.relu(tf.matmul(y, c["W1"]) + c["b1"])
        return tf.matmul(y, c["W3"]) + c["b3"]

    @tf.function(input_signature=[tf.TensorSpec([None, 784], tf.float32)])
    def dense(x):
        y = tf.nn.relu(tf.matmul(x, d["0.W"]) + d["0.b"])
        return tf.matmul(y, d["2.W"]) + d["2.b"]

    @tf.function(input_signature=[tf.TensorSpec([1, 10], tf.float32)])
    def trivial(x):
        return tf.nn.relu(x)

    def convert(fn, int8_samples=None):
        converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
        if int8_samples is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([s[None]] for s in int8_samples)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        return converter.convert()

    reps = train_images[:REPRESENTATIVE]
    files = {
        "simple_conv_net_f32.tflite": convert(conv),
        "simple_conv_net_int8.tflite": convert(conv, reps[..., None]),
        "dense_784_50_10_f32.tflite": convert(dense),
        "dense_784_50_10_int8.tflite": convert(dense, reps.reshape(-1, 784)),
        "trivial.tflite": convert(trivial),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    return tf.__version__


# ---------------------------------------------------------------- checks


def relative_error(got, want):
    """The largest |got − want| of each row over the largest |want| of that row, worst row."""
    got, want = np.asarray(got, np.float64).reshape(want.shape), want.astype(np.float64)
    return float(np.max(np.max(np.abs(got - want), axis=1) / np.max(np.abs(want), axis=1)))


def onnx_scores(path, inputs, iobinding):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    if not iobinding:
        one = np.concatenate([sess.run(None, {"x": x[None]})[0] for x in inputs])
        return one, sess.run(None, {"x": inputs})[0]
    outs = []
    for batch in [inputs[i : i + 1] for i in range(len(inputs))] + [inputs]:
        y = np.empty((len(batch), 10), np.float32)
        io = sess.io_binding()
        io.bind_ortvalue_input("x", ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(batch)))
        io.bind_ortvalue_output("scores", ort.OrtValue.ortvalue_from_numpy(y))
        sess.run_with_iobinding(io)
        outs.append(y)
    return np.concatenate(outs[:-1]), outs[-1]


def litert(path, batch, threads=1, resolver=None):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kind = OpResolverType.AUTO if resolver is None else getattr(OpResolverType, resolver)
    interp = Interpreter(model_path=str(path), num_threads=threads, experimental_op_resolver_type=kind)
    i = interp.get_input_details()[0]
    if batch != i["shape"][0]:
        interp.resize_tensor_input(i["index"], [batch, *i["shape"][1:]])
    interp.allocate_tensors()
    return interp


def litert_run(interp, x):
    i, o = interp.get_input_details()[0], interp.get_output_details()[0]
    if i["dtype"] == np.int8:
        scale, zp = i["quantization"]
        x = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
    interp.set_tensor(i["index"], x.reshape(i["shape"]))
    interp.invoke()
    y = interp.get_tensor(o["index"])
    if o["dtype"] == np.int8:
        scale, zp = o["quantization"]
        y = (y.astype(np.float32) - zp) * scale
    return y


def litert_scores(path, inputs):
    one_interp = litert(path, 1)
    one = np.concatenate([litert_run(one_interp, x) for x in inputs])
    return one, litert_run(litert(path, len(inputs)), inputs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("--models", type=Path, required=True)
    args = parser.parse_args()
    args.models.mkdir(parents=True, exist_ok=True)
    w_conv = common.safetensors(args.weights / "simple_conv_net.safetensors")
    w_dense = common.safetensors(args.weights / "dense_784_50_10.safetensors")
    reference = json.loads((args.weights / "typenet_reference.json").read_text())
    train_images, _ = common.mnist("train10k")
    test_images, test_labels = common.mnist("t10k")

    onnx_conv(w_conv, args.models / "simple_conv_net.onnx")
    onnx_dense(w_dense, args.models / "dense_784_50_10.onnx")
    onnx_trivial(args.models / "trivial.onnx")
    tf_version = tflite_models(w_conv, w_dense, train_images, args.models)
    print(f"VERSION\ttensorflow\t{tf_version}")
    print(f"VERSION\tonnx\t{onnx.__version__}")

    failed = False
    for model, shape in [("simple_conv_net", (1, 28, 28)), ("dense_784_50_10", (784,))]:
        ref = reference[model]
        inputs = test_images[: len(ref["scores"])].reshape(-1, *shape)
        same = np.array_equal(np.array(ref["inputs"], np.float32).reshape(-1, *shape), inputs[: len(ref["inputs"])])
        if not same:
            print(f"CHECK\t{model}\tinputs\tFAIL: the pixels decoded here differ from typenet's")
            failed = True
        want = np.array(ref["scores"], np.float32)
        runs = {
            "onnxruntime run": onnx_scores(args.models / f"{model}.onnx", inputs, False),
            "onnxruntime io binding": onnx_scores(args.models / f"{model}.onnx", inputs, True),
            "litert f32": litert_scores(args.models / f"{model}_f32.tflite", inputs),
        }
        for name, (one, batch) in runs.items():
            for what, got in [("one at a time", one), ("batch 100", batch)]:
                err = relative_error(got, want)
                ok = err <= TOLERANCE
                failed |= not ok
                print(f"CHECK\t{model}\t{name}, {what}\t{'ok' if ok else 'FAIL'}: largest relative difference {err:.2e}")
        # int8: accuracy on the whole test set, and how often its class is typenet's
        interp = litert(args.models / f"{model}_int8.tflite", 100)
        q = np.concatenate([litert_run(interp, test_images[i : i + 100].reshape(-1, *shape)) for i in range(0, 10000, 100)])
        acc = float(np.mean(q.argmax(1) == test_labels))
        f32 = litert(args.models / f"{model}_f32.tflite", 100)
        s = np.concatenate([litert_run(f32, test_images[i : i + 100].reshape(-1, *shape)) for i in range(0, 10000, 100)])
        agree = float(np.mean(q.argmax(1) == s.argmax(1)))
        print(
            f"CHECK\t{model}\tlitert int8\taccuracy {100 * acc:.2f} % (typenet f32 {100 * ref['test_accuracy']:.2f} %), "
            f"same class as f32 on {100 * agree:.2f} % of the 10,000 test digits, "
            f"largest relative score difference on the first 100 {relative_error(q[:100], want):.2e}"
        )
        ops = sorted({op["op_name"] for op in litert(args.models / f"{model}_int8.tflite", 1)._get_ops_details()})
        print(f"CHECK\t{model}\tlitert int8 operators\t{', '.join(ops)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
