"""Tests of onnx_tie.py against the real onnx-tie (ONNX_TIE: the executable to test; run by
PythonModuleTest in ./run-tests with this build's CLI):

    ONNX_TIE=/path/to/onnx-tie /usr/bin/python3 -m unittest discover -s python -v
"""

import json
import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_tie  # noqa: E402

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples")
GPT2 = os.path.join(SAMPLES, "gpt2_tied", "model.onnx")


class OnnxTieModuleTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="onnx-tie-python-")
        self.addCleanup(shutil.rmtree, self.dir)

    def test_rewrite_ties_verifies_and_check_passes(self):
        out = os.path.join(self.dir, "tied.onnx")
        report = onnx_tie.rewrite(GPT2, out)
        self.assertEqual(976817, report["bytesBefore"])
        self.assertEqual(os.path.getsize(out), report["bytesAfter"])
        model = report["models"][0]
        tie = model["result"]["ties"][0]
        self.assertEqual(("wte.weight", "onnx::MatMul_393"), (tie["kept"], tie["removed"]))
        self.assertTrue(model["verification"]["passed"])  # verify=True is the default
        self.assertTrue(onnx_tie.check(out)["passed"])
        verified = onnx_tie.verify(GPT2, out, seed=7)
        self.assertTrue(verified["passed"])

    def test_check_of_an_untied_model_answers_not_passed(self):
        result = onnx_tie.check(GPT2)
        self.assertFalse(result["passed"])
        self.assertEqual(256000, result["withinFiles"][GPT2][0]["members"][0]["bytes"])
        self.assertIn("onnx-tie rewrite", result["fix"])

    def test_inspect_names_the_duplicate(self):
        result = onnx_tie.inspect(GPT2)
        self.assertEqual(1, len(result["models"]))
        self.assertIn("wte.weight", json.dumps(result["models"][0]))

    def test_form_and_options_reach_the_command(self):
        out = os.path.join(self.dir, "gemm.onnx")
        report = onnx_tie.rewrite(GPT2, out, verify=False, form="gemm", min_bytes=1024)
        model = report["models"][0]
        self.assertIsNone(model["verification"])
        self.assertEqual("gemm", model["result"]["ties"][0]["form"])

    def test_bad_input_raises_with_exit_code_2_and_the_message(self):
        out = os.path.join(self.dir, "out.onnx")
        missing = os.path.join(self.dir, "missing.onnx")
        with self.assertRaises(onnx_tie.OnnxTieError) as raised:
            onnx_tie.rewrite(missing, out)
        self.assertEqual(2, raised.exception.exit_code)
        self.assertEqual("no such model file: " + missing, raised.exception.message)
        self.assertNotIn("\n", str(raised.exception))
        self.assertFalse(os.path.exists(out))

    def test_an_unknown_form_is_bad_input(self):
        with self.assertRaises(onnx_tie.OnnxTieError) as raised:
            onnx_tie.rewrite(GPT2, os.path.join(self.dir, "out.onnx"), form="sideways")
        self.assertEqual(2, raised.exception.exit_code)
        self.assertIn("sideways", raised.exception.message)

    def test_no_launcher_is_exit_2_with_a_hint(self):
        saved = os.environ.pop("ONNX_TIE", None)
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = self.dir
        try:
            with self.assertRaises(onnx_tie.OnnxTieError) as raised:
                onnx_tie.check(GPT2)
        finally:
            os.environ["PATH"] = path
            if saved is not None:
                os.environ["ONNX_TIE"] = saved
        self.assertEqual(2, raised.exception.exit_code)
        self.assertIn("no onnx-tie on PATH", raised.exception.message)

    def test_launcher_found_on_path(self):
        launcher = os.path.join(self.dir, "onnx-tie")
        with open(launcher, "w") as f:
            f.write('#!/bin/sh\nexec "%s" "$@"\n' % onnx_tie.launcher())
        os.chmod(launcher, stat.S_IRWXU)
        saved = os.environ.pop("ONNX_TIE", None)
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = self.dir + os.pathsep + path
        try:
            self.assertEqual(launcher, onnx_tie.launcher())
            self.assertFalse(onnx_tie.check(GPT2)["passed"])
        finally:
            os.environ["PATH"] = path
            if saved is not None:
                os.environ["ONNX_TIE"] = saved


if __name__ == "__main__":
    unittest.main()
