package dev.onnxtie.fuzz;

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

/**
 * Coverage-guided fuzz tests (Jazzer). Without {@code JAZZER_FUZZ=1} they replay the committed
 * inputs under {@code src/test/resources/dev/onnxtie/fuzz/ModelFuzzTestInputs/} (seeds from the
 * samples and every crash found so far) as regression tests; with it, {@code .ci/run} fuzzes each
 * for a bounded time. The contract: any input either works or fails with {@link OnnxTieException}.
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

  @FuzzTest(maxDuration = "60s")
  void readModel(byte[] data) throws IOException {
    Path file = save(data);
    try (OnnxModel model = ModelIO.read(file)) {
      OnnxTie.inspect(ApiTestAccess.wrap(model), file.toString(), 16);
    } catch (OnnxTieException expected) {
      // refused cleanly
    }
  }

  @FuzzTest(maxDuration = "60s")
  void readRewriteWrite(byte[] data) throws IOException {
    Path file = save(data);
    Path out = WORK.resolve("out.onnx");
    for (TieForm form : TieForm.values()) {
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
      } catch (OnnxTieException refused) {
        // refused cleanly, unless the rewrite produced an invalid model (a bug: exit 3)
        if (refused.exitCode() == OnnxTieException.INTERNAL) {
          throw refused;
        }
      }
    }
  }
}
