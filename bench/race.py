#!/usr/bin/python3
"""The race of issue 26 between processes, with the test-only delay between parse and data open.

Each round: a reader (an in-place rewrite, or a folder rewrite of the model's folder) started with
-Donnxtie.test.delayAfterParseMs=DELAY; once it has mapped the model (it has parsed it; for the
folder rewrite, in its second read, the one it rewrites from), a second in-place rewrite of the same
model runs to its end; then the reader goes on. Outcomes per round:
  correct   the reader exited 0 and every initializer of its output holds the original bytes
  refused   the reader exited 2 with "changed while reading"
  CORRUPT   the reader exited 0 with other bytes (the bug), or anything else

  /usr/bin/python3 bench/race.py CLASSPATH [ROUNDS] [DELAY_MS]
(CLASSPATH: target/classes and the dependencies, e.g. from mvn dependency:build-classpath.)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

JAVA = [shutil.which("java")]


def make_model(folder):
    """A small duplicated pair first, then 8 distinct 256 KiB tensors, external data packed as ONNX writes it."""
    os.makedirs(folder)
    rng = np.random.default_rng(7)
    dup = rng.standard_normal(300).astype(np.float32)
    tensors = {"dup_a": dup, "dup_b": dup.copy()}
    for i in range(8):
        tensors["t%d" % i] = rng.standard_normal(64 * 1024).astype(np.float32)
    nodes, inputs, outputs, inits = [], [], [], []
    inputs.append(helper.make_tensor_value_info("x_small", TensorProto.FLOAT, [300]))
    inputs.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, [64 * 1024]))
    for name, values in tensors.items():
        inits.append(numpy_helper.from_array(values, name))
        source = "x_small" if name.startswith("dup") else "x"
        nodes.append(helper.make_node("Add", [source, name], ["out_" + name]))
        outputs.append(helper.make_tensor_value_info("out_" + name, TensorProto.FLOAT, list(values.shape)))
    model = helper.make_model(helper.make_graph(nodes, "race", inputs, outputs, inits), opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = os.path.join(folder, "model.onnx")
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=1024)
    return path, {name: values.tobytes() for name, values in tensors.items()}


def holds_original(path, original):
    try:
        model = onnx.load(path)
    except Exception as error:  # noqa: BLE001 - any failure to load is a wrong result
        return "does not load: %s" % error
    for tensor in model.graph.initializer:
        if tensor.name not in original:
            return "unknown initializer " + tensor.name
        if numpy_helper.to_array(tensor).tobytes() != original[tensor.name]:
            return tensor.name + " holds other bytes"
    return None


def mapped(pid, path):
    try:
        with open("/proc/%d/maps" % pid) as maps:
            return path in maps.read()
    except OSError:
        return False


def cli(classpath, *args, delay=None):
    command = JAVA + (["-Donnxtie.test.delayAfterParseMs=%d" % delay] if delay else []) + ["-cp", classpath, "dev.onnxtie.cli.OnnxTieCli"]
    return command + list(args)


def race(classpath, work, form, rounds, delay):
    outcomes = {}
    overlapped = 0
    for round_ in range(rounds):
        folder = os.path.join(work, "%s-%d" % (form, round_), "in")
        model, original = make_model(folder)
        out = model if form == "file" else os.path.join(os.path.dirname(folder), "out")
        reader_args = ("rewrite", model, model) if form == "file" else ("rewrite", folder, out)
        reader = subprocess.Popen(cli(classpath, *reader_args, delay=delay), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while reader.poll() is None and not mapped(reader.pid, os.path.realpath(model)):
            time.sleep(0.005)
        if form == "folder":
            # the folder rewrite reads the model twice (what it reads, then to rewrite it): aim at the second
            time.sleep(delay / 1000 + 0.3)
        started = time.monotonic()
        writer = subprocess.run(cli(classpath, "rewrite", model, model), capture_output=True, text=True)
        writer_took = time.monotonic() - started
        _, err = reader.communicate()
        if writer.returncode != 0:
            outcome = "writer failed: " + writer.stderr.strip()
        elif writer_took * 1000 < delay - (300 if form == "folder" else 0):
            overlapped += 1
        if reader.returncode == 0:
            wrong = holds_original(os.path.join(out, "model.onnx") if form == "folder" else out, original)
            outcome = "CORRUPT (%s)" % wrong if wrong else "correct"
        elif reader.returncode == 2 and "changed while reading" in err:
            outcome = "refused"
        else:
            outcome = "CORRUPT? exit %d: %s" % (reader.returncode, err.strip())
        still = holds_original(model, original)
        if still:
            outcome += "; input after the writer: " + still
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes, overlapped


def main():
    classpath = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    delay = int(sys.argv[3]) if len(sys.argv) > 3 else 4000
    work = tempfile.mkdtemp(prefix="onnx-tie-race-")
    try:
        for form in ("file", "folder"):
            outcomes, overlapped = race(classpath, work, form, rounds, delay)
            print("%s form: %d rounds, delay %d ms, writer finished inside the reader's delay in %d: %s"
                  % (form, rounds, delay, overlapped, outcomes), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
