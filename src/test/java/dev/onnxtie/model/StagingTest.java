package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.VerifySettings;
import dev.onnxtie.proto.Onnx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
  void inPlaceRewriteNeverOverwritesTheDataTheInstalledModelReads(@TempDir Path dir)
      throws Exception {
    Path model = ExternalDataTest.copySample(dir);
    Path original = dir.resolve("original");
    Files.createDirectories(original);
    Files.copy(model, original.resolve("model.onnx"));
    Files.copy(model.resolveSibling("model.onnx.data"), original.resolve("model.onnx.data"));
    Cli first = Cli.run("rewrite", model.toString(), model.toString());
    assertEquals(0, first.code(), first.err());
    // the new data went to the alternate name, then back to the usual one once the superseded file
    // was gone
    assertEquals(List.of("model.onnx", "model.onnx.data"), names(model.getParent()));
    assertTrue(first.out().contains("(data file model.onnx.data)"), first.out());
    assertEquals(
        1L,
        Files.getAttribute(
                    model.resolveSibling("model.onnx.data"),
                    "unix:nlink",
                    LinkOption.NOFOLLOW_LINKS)
                instanceof Integer links
            ? (long) links
            : -1L);
    assertTrue(
        OnnxTie.compare(original.resolve("model.onnx"), model, VerifySettings.defaults()).passed());
    // and again
    assertEquals(0, Cli.run("rewrite", model.toString(), model.toString()).code());
    assertEquals(List.of("model.onnx", "model.onnx.data"), names(model.getParent()));
    // a data file another model of the folder still reads is kept
    Files.copy(model, model.resolveSibling("other.onnx"));
    assertEquals(0, Cli.run("rewrite", model.toString(), model.toString()).code());
    assertEquals(
        List.of("model.onnx", "model.onnx.1.data", "model.onnx.data", "other.onnx"),
        names(model.getParent()));
    assertEquals(0, Cli.run("inspect", model.resolveSibling("other.onnx").toString()).code());
  }

  @Test
  void liveStagingFoldersAreKeptAndAbandonedOnesRemoved(@TempDir Path dir) throws Exception {
    try (Staging live = new Staging(dir)) {
      Path staged = live.resolve("x.onnx");
      Files.write(staged, new byte[] {1});
      Files.setLastModifiedTime(staged.getParent(), FileTime.fromMillis(0));
      Staging.removeStale(dir);
      assertTrue(Files.exists(staged), "a live writer's staging folder survives, however old");
    }
    assertEquals(List.of(), names(dir), "closing removes the staging folder");
    // an abandoned folder: its lock file exists but nobody holds it (its writer was killed)
    Path abandoned = Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + "dead"));
    Files.write(abandoned.resolve(".lock"), new byte[0]);
    Files.write(abandoned.resolve("model.onnx"), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(abandoned, FileTime.fromMillis(System.currentTimeMillis() - 20_000));
    // one without a lock file (killed before taking it): removed once older than a minute
    Path young = Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + "young"));
    Staging.removeStale(dir);
    assertFalse(Files.exists(abandoned));
    assertTrue(Files.exists(young));
    Files.setLastModifiedTime(young, FileTime.fromMillis(System.currentTimeMillis() - 120_000));
    Staging.removeStale(dir);
    assertFalse(Files.exists(young));
  }

  /** The id of a process that has ended (a short-lived child's). */
  static long deadPid() throws Exception {
    Process child = new ProcessBuilder("true").start();
    child.waitFor();
    return child.pid();
  }

  /**
   * What writers that are gone left is removed at once, whatever its age: staging folders with a
   * lock file nobody holds, or with none whose process has ended (file and folder staging), copies
   * of an ended process, and an unheld commit lock file (a 0-byte one is what a disk-full commit
   * left). A lock held by another live process, and a folder of a live process that has no lock
   * file yet, stay.
   */
  @Test
  void leftoversOfEndedWritersGoAtOnceAndLiveOnesStay(@TempDir Path dir) throws Exception {
    long dead = deadPid();
    Path unlocked = Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + dead + "-1"));
    Files.write(unlocked.resolve(".lock"), new byte[0]);
    Path noLock = Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + dead + "-2"));
    Path folderStaging =
        Files.createDirectories(
            dir.resolve(Staging.FOLDER_PREFIX + dead + "-1-out").resolve("sub/deeper"));
    Files.write(folderStaging.resolve("model.onnx"), new byte[] {1});
    Path copy =
        Files.write(
            dir.resolve(ModelIO.TEMP_PREFIX + "copy-" + dead + "-config.json"), new byte[] {1});
    Path commitLock = Files.write(dir.resolve(Staging.FOLDER_LOCK), new byte[0]);
    // a live process holding the owner lock of its staging folder (fcntl, as Java's FileLock), and
    // one without a lock file yet
    Path held = Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + dead + "-3"));
    Process holder =
        new ProcessBuilder(
                "python3",
                "-c",
                "import fcntl,sys,time\nf=open(sys.argv[1],'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(120)",
                held.resolve(".lock").toString())
            .redirectErrorStream(true)
            .start();
    try {
      assertEquals(
          "held", new BufferedReader(new InputStreamReader(holder.getInputStream())).readLine());
      Path liveNoLock =
          Files.createDirectories(dir.resolve(ModelIO.TEMP_PREFIX + holder.pid() + "-1"));
      Staging.removeStale(dir);
      assertEquals(
          Set.of(held.getFileName().toString(), liveNoLock.getFileName().toString()),
          Set.copyOf(names(dir)));
    } finally {
      holder.destroyForcibly();
      holder.waitFor();
    }
    // their processes gone, the folders go too, young as they are
    Staging.removeStale(dir);
    assertEquals(List.of(), names(dir));
    assertFalse(
        Files.exists(copy)
            || Files.exists(commitLock)
            || Files.exists(unlocked)
            || Files.exists(noLock));
  }

  /** A one-initializer model whose weight is drawn from {@code seed}. */
  static OnnxModel weighted(long seed) {
    int floats = 16 * 1024;
    var graph =
        Onnx.GraphProto.newBuilder()
            .setName("w" + seed)
            .addInput(TestModels.value("x", 1, floats))
            .addInitializer(TestModels.floats("w", TestModels.randomFloats(seed, floats), floats))
            .addNode(TestModels.node("Add", "add", List.of("x", "w"), List.of("y")))
            .addOutput(TestModels.value("y", 1, floats));
    return new OnnxModel(TestModels.model(graph.build()), new ExternalData(null), null);
  }

  /**
   * Two writers of one output with external data, the second planned before the first committed:
   * its data file must not take the name the first one's installed model reads (a reader of that
   * model would read the second one's bytes at its offsets), so it goes to a free name and comes
   * back once the first model is replaced. A reader between the second's data and model renames
   * still reads the first model's bytes.
   */
  @Test
  void aWriterThatCommitsAfterAnotherNeverRenamesDataOverWhatTheInstalledModelReads(
      @TempDir Path dir) throws Exception {
    Path out = dir.resolve("model.onnx");
    WriteOptions external = new WriteOptions(WriteOptions.Layout.EXTERNAL, null, 1024, 4096);
    try (OnnxModel first = weighted(1);
        OnnxModel second = weighted(2)) {
      ByteString firstBytes = first.proto().getGraph().getInitializer(0).getRawData();
      ByteString secondBytes = second.proto().getGraph().getInitializer(0).getRawData();
      List<String> seen = new ArrayList<>();
      try (StagedWrite staged = ModelIO.stage(second, out, external)) {
        // planned and staged: now the first writer commits the same output
        ModelIO.write(first, out, external);
        Staging.betweenDataAndModelsForTests =
            () -> {
              try (OnnxModel installed = ModelIO.read(out)) {
                seen.add(
                    installed
                            .rawBytes(installed.proto().getGraph().getInitializer(0))
                            .equals(firstBytes)
                        ? "first"
                        : "other bytes");
              }
            };
        staged.commit();
      }
      Staging.betweenDataAndModelsForTests = null;
      assertEquals(
          List.of("first"),
          seen,
          "what a reader of the installed model read during the second commit");
      try (OnnxModel installed = ModelIO.read(out)) {
        assertTrue(
            installed.rawBytes(installed.proto().getGraph().getInitializer(0)).equals(secondBytes));
      }
      assertEquals(
          List.of("model.onnx", "model.onnx.data"),
          names(dir),
          "the data file is back under its name");
    } finally {
      Staging.betweenDataAndModelsForTests = null;
    }
  }

  @Test
  void aDataFileNameEveryoneElseReadsIsSkipped(@TempDir Path dir) throws Exception {
    Path model = ExternalDataTest.copySampleInto(dir.resolve("m"));
    assertEquals(
        0,
        Cli.run(
                "rewrite",
                model.toString(),
                model.resolveSibling("backup.onnx").toString(),
                "--external-data",
                "model.onnx.1.data")
            .code());
    // model.onnx reads model.onnx.data, backup.onnx reads model.onnx.1.data: the next free name is
    // .2,
    // and after the commit the data goes back to model.onnx.data, which nothing else reads
    Cli inPlace = Cli.run("rewrite", model.toString(), model.toString());
    assertEquals(0, inPlace.code(), inPlace.err());
    assertEquals(
        List.of("backup.onnx", "model.onnx", "model.onnx.1.data", "model.onnx.data"),
        names(model.getParent()));
    assertEquals(0, Cli.run("inspect", model.resolveSibling("backup.onnx").toString()).code());
    Cli taken =
        Cli.run(
            "rewrite",
            model.toString(),
            model.resolveSibling("third.onnx").toString(),
            "--external-data",
            "model.onnx.1.data");
    assertEquals(2, taken.code());
    assertTrue(taken.err().contains("is taken"), taken.err());
  }
}
