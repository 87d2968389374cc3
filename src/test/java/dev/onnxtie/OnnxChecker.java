package dev.onnxtie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * ONNX's own checker (what {@code onnx.checker.check_model(path, full_check=True)} checks, without
 * the write-back of onnx 1.12's full check into the file; Debian's python3-onnx) on the models a
 * test wrote. Fails, never skips, when python3-onnx is missing; a model of an IR or opset version
 * newer than the installed onnx knows is reported as not checked.
 */
public final class OnnxChecker {
  /** The interpreter Debian's python3-onnx installs into. */
  public static final String PYTHON = "/usr/bin/python3";

  private static volatile Boolean available;

  private OnnxChecker() {}

  /** Checks model files (or every {@code .onnx} file of folders) in one interpreter run. */
  public static void check(Path... models) {
    List<String> args =
        new ArrayList<>(
            List.of(
                PYTHON,
                "-c",
                "import onnx, sys\n"
                    + "for path in sys.argv[1:]:\n"
                    + "    m = onnx.load(path, load_external_data=False)\n"
                    + "    opset = max([o.version for o in m.opset_import if o.domain in ('', 'ai.onnx')] or [0])\n"
                    + "    if m.ir_version > onnx.IR_VERSION or opset > onnx.defs.onnx_opset_version():\n"
                    + "        print('not checked: IR %d / opset %d is newer than onnx %s knows: %s' % (m.ir_version, opset, onnx.__version__, path))\n"
                    + "        continue\n"
                    + "    try:\n"
                    // full_check=True on a path makes onnx 1.12's C++ checker write the
                    // shape-inferred model back into
                    // the file: the same checks without that write are the structural check of the
                    // file (external
                    // data included) and strict shape inference of the loaded model, which is what
                    // full_check adds
                    + "        onnx.checker.check_model(path)\n"
                    + "        onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)\n"
                    + "    except Exception as e:\n"
                    + "        print(path + ': ' + str(e).strip().replace('\\n', ' '))\n"
                    + "        sys.exit(1)\n"));
    for (Path model : models) {
      if (Files.isDirectory(model)) {
        try (Stream<Path> files = Files.list(model)) {
          files
              .filter(f -> f.getFileName().toString().endsWith(".onnx"))
              .sorted()
              .forEach(f -> args.add(f.toString()));
        } catch (IOException e) {
          fail("cannot list " + model + ": " + e);
        }
      } else {
        args.add(model.toString());
      }
    }
    if (args.size() == 2) {
      return;
    }
    requireOnnx();
    try {
      Process check = new ProcessBuilder(args).redirectErrorStream(true).start();
      String output = new String(check.getInputStream().readAllBytes());
      assertTrue(check.waitFor(300, TimeUnit.SECONDS), "ONNX checker timed out");
      assertEquals(0, check.exitValue(), "ONNX checker (full_check): " + output.strip());
      if (!output.isBlank()) {
        System.out.println(output.strip());
      }
    } catch (IOException e) {
      fail("cannot run " + PYTHON + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
    }
  }

  private static void requireOnnx() {
    if (available == null) {
      try {
        available = new ProcessBuilder(PYTHON, "-c", "import onnx").start().waitFor() == 0;
      } catch (IOException e) {
        available = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        available = false;
      }
    }
    assertTrue(
        available,
        PYTHON
            + " cannot import onnx: the tests check every model they write with ONNX's checker; "
            + "apt-get install python3-onnx");
  }
}
