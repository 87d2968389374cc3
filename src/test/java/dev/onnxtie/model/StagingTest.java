package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.verify.VerifyOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Staging folders, the commit point of external-data writes, and cleanup of what writers leave. */
class StagingTest {
  /** The folder's entries (no commit lock file or staging folder may stay). */
  static List<String> names(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void inPlaceRewriteNeverOverwritesTheDataTheInstalledModelReads(@TempDir Path dir) throws Exception {
    Path model = ExternalDataTest.copySample(dir);
    Path original = dir.resolve("original");
    Files.createDirectories(original);
    Files.copy(model, original.resolve("model.onnx"));
    Files.copy(model.resolveSibling("model.onnx.data"), original.resolve("model.onnx.data"));
    Cli first = Cli.run("rewrite", model.toString(), model.toString());
    assertEquals(0, first.code(), first.err());
    // the new data went to the alternate name, then back to the usual one once the superseded file was gone
    assertEquals(List.of("model.onnx", "model.onnx.data"), names(model.getParent()));
    assertTrue(first.out().contains("(data file model.onnx.data)"), first.out());
    assertEquals(1L, Files.getAttribute(model.resolveSibling("model.onnx.data"), "unix:nlink", java.nio.file.LinkOption.NOFOLLOW_LINKS)
        instanceof Integer links ? (long) links : -1L);
    assertTrue(dev.onnxtie.api.OnnxTie.verify(original.resolve("model.onnx"), model, VerifyOptions.defaults()).passed());
    // and again
    assertEquals(0, Cli.run("rewrite", model.toString(), model.toString()).code());
    assertEquals(List.of("model.onnx", "model.onnx.data"), names(model.getParent()));
    // a data file another model of the folder still reads is kept
    Files.copy(model, model.resolveSibling("other.onnx"));
    assertEquals(0, Cli.run("rewrite", model.toString(), model.toString()).code());
    assertEquals(List.of("model.onnx", "model.onnx.1.data", "model.onnx.data", "other.onnx"), names(model.getParent()));
    assertEquals(0, Cli.run("inspect", model.resolveSibling("other.onnx").toString()).code());
  }

  @Test
  void liveStagingFoldersAreKeptAndAbandonedOnesRemoved(@TempDir Path dir) throws Exception {
    try (Staging live = new Staging(dir)) {
      Path staged = live.resolve("x.onnx");
      Files.write(staged, new byte[] {1});
      Files.setLastModifiedTime(staged.getParent(), java.nio.file.attribute.FileTime.fromMillis(0));
      Staging.removeStale(dir);
      assertTrue(Files.exists(staged), "a live writer's staging folder survives, however old");
    }
    assertEquals(List.of(), names(dir), "closing removes the staging folder");
    // an abandoned folder: its lock file exists but nobody holds it (its writer was killed)
    Path abandoned = Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + "dead"));
    Files.write(abandoned.resolve(".lock"), new byte[0]);
    Files.write(abandoned.resolve("model.onnx"), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 20_000));
    // one without a lock file (killed before taking it): removed once older than a minute
    Path young = Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + "young"));
    Staging.removeStale(dir);
    assertFalse(Files.exists(abandoned));
    assertTrue(Files.exists(young));
    Files.setLastModifiedTime(young, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 120_000));
    Staging.removeStale(dir);
    assertFalse(Files.exists(young));
  }

  @Test
  void aDataFileNameEveryoneElseReadsIsSkipped(@TempDir Path dir) throws Exception {
    Path model = ExternalDataTest.copySampleInto(dir.resolve("m"));
    assertEquals(0, Cli.run("rewrite", model.toString(), model.resolveSibling("backup.onnx").toString(), "--external-data", "model.onnx.1.data").code());
    // model.onnx reads model.onnx.data, backup.onnx reads model.onnx.1.data: the next free name is .2,
    // and after the commit the data goes back to model.onnx.data, which nothing else reads
    Cli inPlace = Cli.run("rewrite", model.toString(), model.toString());
    assertEquals(0, inPlace.code(), inPlace.err());
    assertEquals(List.of("backup.onnx", "model.onnx", "model.onnx.1.data", "model.onnx.data"), names(model.getParent()));
    assertEquals(0, Cli.run("inspect", model.resolveSibling("backup.onnx").toString()).code());
    Cli taken = Cli.run("rewrite", model.toString(), model.resolveSibling("third.onnx").toString(), "--external-data", "model.onnx.1.data");
    assertEquals(2, taken.code());
    assertTrue(taken.err().contains("is taken"), taken.err());
  }
}
