package dev.onnxtie.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.ApiTestAccess;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewrittenModel;
import dev.onnxtie.api.TieForm;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.WriteOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzz tests (Jazzer). Without {@code JAZZER_FUZZ=1} they replay the committed
 * inputs under {@code src/test/resources/dev/onnxtie/fuzz/ModelFuzzTestInputs/} (seeds from the
 * samples and every crash found so far) as regression tests; with it, {@code .ci/run} fuzzes each
 * for a bounded time. The contract: any input either works or fails with {@link OnnxTieException}
 * of exit 1 or 2; an internal error (exit 3) fails the test ({@link #refusedCleanly}).
 */
class ModelFuzzTest {
  static final Path WORK;

  static {
    try {
      WORK = Files.createTempDirectory("onnx-tie-fuzz");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(WORK)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void delete(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // temporary folder: best effort
    }
  }

  static Path save(byte[] data) throws IOException {
    Path file = WORK.resolve("in.onnx");
    Files.write(file, data);
    return file;
  }

  /** One run of a fuzz target. */
  interface Target {
    void run() throws IOException;
  }

  /**
   * Runs a target under the contract: a clean refusal (exit 1 or 2) is fine; an internal error
   * (exit 3) is a bug, and is thrown so that the fuzz test fails on it.
   */
  static void refusedCleanly(Target target) throws IOException {
    try {
      target.run();
    } catch (OnnxTieException refused) {
      if (refused.exitCode() == OnnxTieException.INTERNAL) {
        throw refused;
      }
    }
  }

  @FuzzTest(maxDuration = "60s")
  void readModel(byte[] data) throws IOException {
    Path file = save(data);
    refusedCleanly(
        () -> {
          try (OnnxModel model = ModelIO.read(file)) {
            OnnxTie.inspect(ApiTestAccess.wrap(model), file.toString(), 16);
          }
        });
  }

  @Test
  void aCleanRefusalPassesAndAnInternalErrorFails() throws IOException {
    refusedCleanly(
        () -> {
          throw OnnxTieException.badInput("not an ONNX model");
        });
    refusedCleanly(
        () -> {
          throw new OnnxTieException(OnnxTieException.CHECK_FAILED, "outputs differ");
        });
    OnnxTieException internal =
        assertThrows(
            OnnxTieException.class,
            () ->
                refusedCleanly(
                    () -> {
                      throw new OnnxTieException(OnnxTieException.INTERNAL, "internal error: x");
                    }));
    assertEquals(OnnxTieException.INTERNAL, internal.exitCode());
  }

  @FuzzTest(maxDuration = "60s")
  void readRewriteWrite(byte[] data) throws IOException {
    Path file = save(data);
    Path out = WORK.resolve("out.onnx");
    for (TieForm form : TieForm.values()) {
      refusedCleanly(
          () -> {
            // refused cleanly, unless the rewrite produced an invalid model (a bug: exit 3)
            try (OnnxModel model = ModelIO.read(file)) {
              RewrittenModel rewritten =
                  OnnxTie.rewrite(
                      ApiTestAccess.wrap(model),
                      RewriteOptions.defaults().withForm(form).withMinBytes(16));
              ModelIO.write(ApiTestAccess.unwrap(rewritten.model()), out, WriteOptions.defaults());
              try (OnnxModel again = ModelIO.read(out)) {
                if (OnnxTie.rewrite(
                            ApiTestAccess.wrap(again),
                            RewriteOptions.defaults().withForm(form).withMinBytes(16))
                        .result()
                        .changes()
                    != 0) {
                  throw new IllegalStateException("a second rewrite changed the model");
                }
              }
            }
          });
    }
  }
}
