package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.api.CheckReport;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Progress;
import dev.onnxtie.api.RewriteOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check DIR} and {@code rewrite DIR OUT} read and validate each model of the folder once:
 * the check's inspection and its plan share the model read, and a folder rewrite's up-front read
 * (every model before anything is written) is the one its rewrites use. Counted by the reader's
 * parse hook, on a folder of models that tie (GPT-2 copies) and models that do not (ONNX's backend
 * suite).
 */
class FolderReadOnceTest {
  @TempDir Path dir;

  final Map<Path, Integer> parses = new ConcurrentHashMap<>();
  Path in;
  List<Path> models;

  @BeforeEach
  void folder() throws Exception {
    in = dir.resolve("in");
    TestModels.gpt2Copies(in, "gpt2_", 0, 2);
    TestModels.backendModels(in, List.of("test_abs", "test_add", "test_relu"));
    models = OnnxTie.modelsIn(in);
    assertEquals(5, models.size());
  }

  @AfterEach
  void removeHook() {
    ModelIO.afterParseForTests = null;
  }

  void count() {
    ModelIO.afterParseForTests =
        file -> parses.merge(file.toAbsolutePath().normalize(), 1, Integer::sum);
  }

  /** Parses per input model, by file name; only the inputs' folder is counted. */
  Map<String, Integer> inputParses() {
    ModelIO.afterParseForTests = null;
    Map<String, Integer> byName = new TreeMap<>();
    parses.forEach(
        (file, count) -> {
          if (file.getParent().equals(in.toAbsolutePath().normalize())) {
            byName.put(file.getFileName().toString(), count);
          }
        });
    return byName;
  }

  Map<String, Integer> once() {
    Map<String, Integer> expected = new TreeMap<>();
    models.forEach(model -> expected.put(model.getFileName().toString(), 1));
    return expected;
  }

  @Test
  void checkReadsEachModelOnce() {
    count();
    CheckReport report = OnnxTie.check(List.of(in), models, 1024, false, false, 2, Progress.NONE);
    assertEquals(once(), inputParses());
    assertFalse(report.passed(), "the GPT-2 copies hold a tied pair to find");
  }

  @Test
  void checkAcrossFilesReadsEachModelOnce() {
    count();
    CheckReport report = OnnxTie.check(List.of(in), models, 1024, true, true, 2, Progress.NONE);
    assertEquals(once(), inputParses());
    assertFalse(report.passed());
  }

  @Test
  void folderRewriteReadsEachModelOnce() {
    count();
    FolderRewriteReport report =
        OnnxTie.rewriteFolder(
            in, dir.resolve("out"), RewriteOptions.defaults(), null, 2, Progress.NONE);
    assertEquals(once(), inputParses());
    assertEquals(5, report.models().size());
    assertTrue(Files.isDirectory(dir.resolve("out")));
  }

  @Test
  void sharedFolderRewriteReadsEachModelOnce() {
    count();
    FolderRewriteReport report =
        OnnxTie.rewriteFolder(
            in, dir.resolve("out"), RewriteOptions.defaults(), "shared.data", 2, Progress.NONE);
    assertEquals(once(), inputParses());
    assertEquals("shared.data", Path.of(report.sharedData()).getFileName().toString());
  }
}
