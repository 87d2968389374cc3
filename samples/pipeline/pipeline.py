#!/usr/bin/python3
"""The export pipeline in Python: export with torch, tie with onnx_tie, gate on the result.

    /usr/bin/python3 samples/pipeline/pipeline.py [WORK_DIR]

pipeline.sh's steps from an export script, through python/onnx_tie.py (standard library only;
it runs the `onnx-tie` on PATH, or $ONNX_TIE):

  1. export.export(WORK_DIR/model.onnx)       torch.onnx.export of a tied GPT-2-style model
  2. onnx_tie.check(model)                    not passed: the export holds wte.weight twice
  3. onnx_tie.rewrite(model, tied)            ties it; ONNX Runtime proves outputs unchanged
  4. onnx_tie.check(tied)                     must pass: the gate

Exit status 0 when every step behaved; onnx-tie's exit code when a command failed (2: bad input,
3: internal error, 1: verification failed), 1 when a step gave the wrong answer.
"""

import os
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "python"))  # python/onnx_tie.py
sys.path.insert(0, here)
import onnx_tie  # noqa: E402
from export import export  # noqa: E402  (samples/pipeline/export.py, needs torch)


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="onnx-tie-pipeline.")
    raw = os.path.join(work, "model.onnx")
    tied = os.path.join(work, "tied.onnx")
    export(raw)
    print("pipeline.py: exported %s (%d bytes)" % (raw, os.path.getsize(raw)))

    before = onnx_tie.check(raw)
    if before["passed"]:
        print("pipeline.py: FAILED: check passed on the raw export", file=sys.stderr)
        return 1
    print("pipeline.py: raw export wastes %d bytes; fix: %s" % (before["wastedBytes"], before["fix"]))

    report = onnx_tie.rewrite(raw, tied)  # verify=True: nothing is written on a mismatch
    for tie in report["models"][0]["result"]["ties"]:
        print("pipeline.py: tied %s = %s of %s" % (tie["removed"], tie["relation"]["kind"], tie["kept"]))
    print("pipeline.py: verified in ONNX Runtime: %s" % report["models"][0]["verification"]["passed"])

    if not onnx_tie.check(tied)["passed"]:
        print("pipeline.py: FAILED: duplicates remain in %s" % tied, file=sys.stderr)
        return 1
    print("pipeline.py: OK: %d -> %d bytes" % (report["bytesBefore"], report["bytesAfter"]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except onnx_tie.OnnxTieError as e:
        print("pipeline.py: FAILED: %s" % e, file=sys.stderr)
        sys.exit(e.exit_code)
