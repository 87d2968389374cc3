package dev.onnxtie.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.onnxtie.TestJvm;
import dev.onnxtie.model.ExternalDataTestAccess;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.TestPoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL at each named step of a write ({@link TestPoints}: the process pauses there, the test
 * kills it), then the same command again: the killed write left its input whole and its output old,
 * absent or complete, and the next successful run leaves no {@code .onnx-tie-*} entry beside its
 * output, at once (no waiting for leftovers to age), for a file and a folder rewrite. A new output
 * folder, whose files are made durable together before its rename ("folder-synced"), is absent
 * after a kill at any step before that rename.
 */
class KillAtCommitStepsTest {

  @TempDir Path dir;

  /** Runs the CLI in a new JVM, pausing at {@code step} when it is not null. */
  Process start(String step, Path log, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            step == null ? TestJvm.cli() : TestJvm.cli("-D" + TestPoints.PROPERTY + "=" + step));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /**
   * Starts the command paused at {@code step}, waits for the pause and kills the process (SIGKILL).
   */
  void killAt(String step, String... args) throws Exception {
    Path log = dir.resolve("killed-" + step + ".log");
    Process process = start(step, log, args);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!Files.readString(log).contains("paused at " + step)) {
      if (!process.isAlive()) {
        fail(
            "the run ended (exit "
                + process.exitValue()
                + ") before step "
                + step
                + ": "
                + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        fail("step " + step + " not reached in 2 minutes: " + Files.readString(log));
      }
      Thread.sleep(5);
    }
    process.destroyForcibly(); // SIGKILL on Linux
    assertTrue(process.waitFor(1, TimeUnit.MINUTES));
    assertEquals(137, process.exitValue(), "killed at " + step);
  }

  void runNormally(String what, String... args) throws Exception {
    Path log = dir.resolve("normal.log");
    Process process = start(null, log, args);
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), what + " did not finish");
    assertEquals(0, process.exitValue(), what + ": " + Files.readString(log));
  }

  static List<String> leftovers(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.walk(folder)) {
      return entries
          .map(p -> folder.relativize(p).toString())
          .filter(name -> name.contains(".onnx-tie-"))
          .sorted()
          .toList();
    }
  }

  /** The model reads (all its tensors, external data included). */
  static void assertReads(Path model, String what) {
    try (OnnxModel read = ModelIO.read(model)) {
      for (var tensor : read.proto().getGraph().getInitializerList()) {
        read.rawBytes(tensor);
      }
    } catch (RuntimeException e) {
      fail(what + ": " + model + " does not read: " + e.getMessage(), e);
    }
  }

  @Test
  void aFileRewriteKilledAtAnyCommitStepLeavesNothingBehindTheNextRun() throws Exception {
    Map<String, String> seen = new TreeMap<>();
    for (String step :
        List.of("staged", "locked", "data-renamed", "model-renamed", "linked", "renamed-back")) {
      Path folder = dir.resolve("file-" + step);
      Path model = ExternalDataTestAccess.copySampleInto(folder);
      String[] inPlace = {"rewrite", model.toString(), model.toString()};
      killAt(step, inPlace);
      assertReads(model, "after a kill at " + step);
      seen.put(step, String.join(" ", leftovers(folder)));
      runNormally("the run after a kill at " + step, inPlace);
      assertEquals(
          List.of(), leftovers(folder), "after a kill at " + step + " and a successful run");
      assertReads(model, "after the run that followed a kill at " + step);
    }
    System.out.println("kills at file rewrite steps, leftovers before the next run: " + seen);
    assertTrue(
        seen.values().stream().anyMatch(left -> !left.isEmpty()),
        "no kill left anything to clean up: " + seen);
  }

  @Test
  void aFolderRewriteKilledAtAnyStepLeavesNothingBehindTheNextRun() throws Exception {
    Map<String, String> seen = new TreeMap<>();
    // a new output folder: staged beside it, its models written straight under their names (no
    // staging folder per model: nobody sees the folder before its rename); then rewrites into the
    // existing folder, whose models are each staged and renamed into place
    for (String at :
        List.of(
            "new folder-staged",
            "new staged",
            "new folder-synced",
            "new folder-disowned",
            "existing staged",
            "existing data-renamed",
            "existing copied")) {
      String step = at.substring(at.indexOf(' ') + 1);
      boolean existing = at.startsWith("existing");
      Path root = Files.createDirectories(dir.resolve("folder-" + at.replace(' ', '-')));
      Path in = ExternalDataTestAccess.copySampleInto(root.resolve("in")).getParent();
      Files.writeString(in.resolve("config.json"), "{}");
      Path out = root.resolve("out");
      String[] rewrite = {"rewrite", in.toString(), out.toString()};
      if (existing) {
        runNormally("the first folder rewrite", rewrite);
      }
      killAt(step, rewrite);
      if (!existing) {
        // a new output folder appears whole or not at all: until its rename, nothing at OUT
        assertFalse(Files.exists(out), "an output folder after a kill at " + step);
        assertTrue(
            leftovers(root).stream().noneMatch(entry -> entry.contains(".onnx-tie-tmp-")),
            "a staging folder of one model inside the new output folder: " + leftovers(root));
      }
      if (Files.exists(out)) {
        assertReads(out.resolve("model.onnx"), "the output folder after a kill at " + step);
      }
      assertReads(in.resolve("model.onnx"), "the input after a kill at " + step);
      seen.put(at, String.join(" ", leftovers(root)));
      runNormally("the run after a kill at " + step, rewrite);
      assertEquals(List.of(), leftovers(root), "after a kill at " + step + " and a successful run");
      assertReads(
          out.resolve("model.onnx"), "the output after the run that followed a kill at " + step);
      assertTrue(Files.exists(out.resolve("config.json")));
    }
    System.out.println("kills at folder rewrite steps, leftovers before the next run: " + seen);
  }
}
