package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fsyncs of a write: each file and folder at once outside a batch; inside a {@link
 * Durability.Batch} none while the files are written, then every file and every folder of the batch
 * at its sync, the folders after the files and the batch's root last.
 */
class DurabilityTest {
  static final Path SAMPLE = Path.of("samples/gpt2_tied/model.onnx");

  @TempDir Path dir;

  final List<Path> forced = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void noHook() {
    Durability.forcedForTests = null;
  }

  /** Writes the single-file sample and the external-data sample into {@code folder}. */
  List<Path> writeModels(Path folder) throws Exception {
    List<Path> written = new ArrayList<>();
    try (OnnxModel model = ModelIO.read(SAMPLE)) {
      written.addAll(ModelIO.write(model, folder.resolve("a.onnx"), WriteOptions.defaults()));
    }
    Path external = ExternalDataTestAccess.copySampleInto(dir.resolve("external-in"));
    try (OnnxModel model = ModelIO.read(external)) {
      Files.createDirectories(folder.resolve("sub"));
      written.addAll(ModelIO.write(model, folder.resolve("sub/b.onnx"), WriteOptions.defaults()));
    }
    return written;
  }

  static List<Path> under(Path root, boolean folders) throws Exception {
    try (Stream<Path> entries = Files.walk(root)) {
      return entries
          .filter(path -> folders ? Files.isDirectory(path) : Files.isRegularFile(path))
          .map(path -> path.toAbsolutePath().normalize())
          .sorted()
          .toList();
    }
  }

  @Test
  void outsideABatchEachFileAndItsFolderAreForcedAsTheyAreWritten() throws Exception {
    Path out = Files.createDirectories(dir.resolve("out"));
    Durability.forcedForTests = forced::add;
    List<Path> written = writeModels(out);
    assertEquals(3, written.size(), "a.onnx, sub/b.onnx and its data file: " + written);
    // staged under their final names, fsync'ed there, then renamed: the folders are forced after
    for (Path folder : List.of(out, out.resolve("sub"))) {
      assertTrue(forced.contains(folder.toAbsolutePath().normalize()), folder + " in " + forced);
    }
    long files =
        forced.stream().filter(path -> path.getFileName().toString().contains(".onnx")).count();
    assertEquals(3, files, "each of the 3 files forced once, in its staging folder: " + forced);
  }

  @Test
  void aBatchForcesNothingWhileWritingThenEveryFileAndFolderTogether() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    List<Path> written;
    try (Durability.Batch batch = Durability.Batch.defer(root, Durability.Mode.FILES)) {
      Durability.forcedForTests = forced::add;
      written = writeModels(root);
      assertEquals(List.of(), forced, "nothing forced while the batch's files are written");
      batch.sync();
    }
    List<Path> files = under(root, false);
    List<Path> folders = under(root, true);
    assertEquals(3, files.size(), files.toString());
    assertEquals(files.size() + folders.size(), forced.size(), "each once: " + forced);
    for (Path file : files) {
      assertTrue(forced.indexOf(file) >= 0, file + " not forced: " + forced);
      for (Path folder : folders) {
        assertTrue(
            forced.indexOf(file) < forced.indexOf(folder), "files before folders: " + forced);
      }
    }
    assertEquals(root.toAbsolutePath().normalize(), forced.get(forced.size() - 1), "root last");
    for (Path file : written) {
      assertTrue(Files.isRegularFile(file), file.toString());
    }
    // closed: the root is no longer deferred
    forced.clear();
    try (OnnxModel model = ModelIO.read(SAMPLE)) {
      ModelIO.write(model, root.resolve("c.onnx"), WriteOptions.defaults());
    }
    assertTrue(forced.contains(root.toAbsolutePath().normalize()), forced.toString());
  }

  @Test
  void aFileSystemSyncForcesTheFoldersAfterOneSyncOfTheFileSystem() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    try (Durability.Batch batch = Durability.Batch.defer(root, Durability.Mode.FILE_SYSTEM)) {
      Durability.forcedForTests = forced::add;
      writeModels(root);
      batch.sync();
    }
    List<Path> folders = under(root, true);
    // where /bin/sync -f runs, files are not forced one by one; elsewhere they are, as FILES does
    List<Path> foldersForced = forced.stream().filter(Files::isDirectory).toList();
    assertEquals(folders.size(), foldersForced.size(), forced.toString());
    assertEquals(root.toAbsolutePath().normalize(), forced.get(forced.size() - 1), "root last");
  }
}
