package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.api.InsertReport;
import dev.onnxtie.api.InsertRequest;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.VerifySettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rewrite --verify} and {@code insert --verify} read each input model once: the rewrite and
 * the verification share the model read, and only the staged output is read besides (counted by the
 * reader's parse hook).
 */
class ReadOnceTest {
  @TempDir Path dir;

  final Map<Path, Integer> parses = new ConcurrentHashMap<>();

  @AfterEach
  void removeHook() {
    ModelIO.afterParseForTests = null;
  }

  void count() {
    ModelIO.afterParseForTests =
        file -> parses.merge(file.toAbsolutePath().normalize(), 1, Integer::sum);
  }

  @Test
  void rewriteWithVerifyReadsTheInputOnce() throws Exception {
    Path in =
        Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), dir.resolve("m.onnx"));
    Path out = dir.resolve("tied.onnx");
    count();
    RewriteReport report =
        OnnxTie.rewrite(in, out, RewriteOptions.defaults().withVerify(VerifySettings.defaults()));
    ModelIO.afterParseForTests = null;
    assertTrue(report.verification().passed());
    assertEquals(1, parses.get(in.toAbsolutePath().normalize()), parses.toString());
    // the staged output, read once by the verification, is the only other model read
    assertEquals(2, parses.values().stream().mapToInt(Integer::intValue).sum(), parses.toString());
  }

  @Test
  void rewriteInPlaceWithVerifyReadsTheInputOnce() throws Exception {
    Path in =
        Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), dir.resolve("m.onnx"));
    count();
    RewriteReport report =
        OnnxTie.rewrite(in, in, RewriteOptions.defaults().withVerify(VerifySettings.defaults()));
    ModelIO.afterParseForTests = null;
    assertTrue(report.verification().passed());
    assertEquals(1, parses.get(in.toAbsolutePath().normalize()), parses.toString());
    assertEquals(2, parses.values().stream().mapToInt(Integer::intValue).sum(), parses.toString());
  }

  @Test
  void insertWithVerifyReadsTheInputOnce() throws Exception {
    Path in =
        Files.copy(TestModels.samples().resolve("keras_encoder/model.onnx"), dir.resolve("k.onnx"));
    count();
    InsertReport report =
        OnnxTie.insert(
            in,
            dir.resolve("ae.onnx"),
            new InsertRequest(
                "/dense/Gemm", null, "same", null, null, false, VerifySettings.defaults()));
    ModelIO.afterParseForTests = null;
    assertTrue(report.verification().passed());
    assertEquals(1, parses.get(in.toAbsolutePath().normalize()), parses.toString());
    assertEquals(2, parses.values().stream().mapToInt(Integer::intValue).sum(), parses.toString());
  }
}
