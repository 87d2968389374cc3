package dev.onnxtie.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool's own folder, whose files a suggested output never goes beside: the parent of {@code
 * target/} or {@code lib/}, else the jar's own folder (a jar in /tmp is no claim on all of /).
 */
class ToolHomeTest {
  @TempDir Path dir;

  @Test
  void theParentOnlyOfTargetOrLib() {
    assertEquals(Path.of("/repo"), OutputNames.toolHome(Path.of("/repo/target/onnx-tie-cli.jar")));
    assertEquals(Path.of("/repo"), OutputNames.toolHome(Path.of("/repo/target/classes")));
    assertEquals(
        Path.of("/opt/onnx-tie"), OutputNames.toolHome(Path.of("/opt/onnx-tie/lib/onnx-tie.jar")));
    assertEquals(Path.of("/tmp"), OutputNames.toolHome(Path.of("/tmp/x.jar")));
  }

  @Test
  void aJarInAnotherFolderLeavesTheOutputBesideTheInput() throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    Path jar = Files.createDirectories(dir.resolve("tools")).resolve("x.jar");
    assertEquals(
        models.resolve("m-tied.onnx").toString(),
        OnnxTie.tiedName(models.resolve("m.onnx"), OutputNames.toolHome(jar)));
    // a model inside the tool's folder: the output goes in the current folder
    Path own = Files.createDirectories(dir.resolve("tools/samples"));
    assertEquals("m-tied.onnx", OnnxTie.tiedName(own.resolve("m.onnx"), OutputNames.toolHome(jar)));
  }
}
