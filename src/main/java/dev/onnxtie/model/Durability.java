package dev.onnxtie.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * When written files reach the disk. By default each file is fsync'ed as it is written and each
 * folder after its renames, so that every single commit is durable on its own. Inside a {@link
 * Batch} (a folder nobody can see until one final rename, such as the staging folder of a new
 * output folder) that would be a full round trip to the disk per file for no guarantee gained: the
 * files are written without it and made durable together before the rename, the way a database
 * commits a transaction (all files fsync'ed in parallel, or one sync of the file system), then the
 * folders.
 */
public final class Durability {
  /** How a batch is made durable. */
  public enum Mode {
    /** Every file and folder fsync'ed at the batch's end, several at once (the default). */
    FILES,
    /**
     * One {@code sync -f} (syncfs) of the file system at the batch's end, then the folders: flushes
     * what other programs wrote to that file system too, so it can be slower on a busy machine.
     */
    FILE_SYSTEM,
    /**
     * No batch: each file fsync'ed as it is written, each folder after its renames, as outside a
     * batch (the way folder rewrites wrote before batches; kept to measure against).
     */
    EACH;

    /**
     * The mode the system property {@value #PROPERTY} or else the environment variable {@value
     * #VARIABLE} names ({@code files}, {@code fs} or {@code each}); {@link #FILES} otherwise.
     */
    public static Mode configured() {
      String value = System.getProperty(PROPERTY, System.getenv(VARIABLE));
      if (value == null) {
        return FILES;
      }
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "fs", "filesystem" -> FILE_SYSTEM;
        case "each" -> EACH;
        default -> FILES;
      };
    }
  }

  /** The system property that picks the batch {@link Mode} (for benchmarks): files, fs or each. */
  public static final String PROPERTY = "onnxtie.sync";

  /** The environment variable that picks the batch {@link Mode} when the property is not set. */
  public static final String VARIABLE = "ONNX_TIE_SYNC";

  /** Folders whose files are made durable at their batch's end, not one by one. */
  private static final Set<Path> DEFERRED = ConcurrentHashMap.newKeySet();

  /** Test hook, set only by tests of this package: told each file or folder fsync'ed. */
  static volatile Consumer<Path> forcedForTests;

  private Durability() {}

  /** True when {@code path} lies in a folder of a batch: its fsync waits for the batch. */
  static boolean deferred(Path path) {
    if (DEFERRED.isEmpty()) {
      return false;
    }
    Path absolute = path.toAbsolutePath().normalize();
    for (Path root : DEFERRED) {
      if (absolute.startsWith(root)) {
        return true;
      }
    }
    return false;
  }

  /** Makes a file written through {@code channel} durable now, unless a batch will. */
  static void force(FileChannel channel, Path file) throws IOException {
    if (!deferred(file)) {
      forced(file);
      channel.force(true);
    }
  }

  private static void forced(Path path) {
    Consumer<Path> hook = forcedForTests;
    if (hook != null) {
      hook.accept(path.toAbsolutePath().normalize());
    }
  }

  /** fsyncs a closed file now, unless a batch will. */
  static void fsync(Path file) throws IOException {
    if (deferred(file)) {
      return;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      forced(file);
      channel.force(true);
    }
  }

  /**
   * fsyncs a folder (its entries: renames, new and removed files) now, unless a batch will; best
   * effort, since not every file system lets a folder be opened for it.
   */
  public static void fsyncFolder(Path folder) {
    if (deferred(folder)) {
      return;
    }
    forceFolder(folder);
  }

  private static void forceFolder(Path folder) {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      forced(folder);
      channel.force(true);
    } catch (IOException e) {
      // not every file system lets a folder be opened for fsync; the renames stand regardless
    }
  }

  /**
   * A folder whose files are written without fsync until {@link #sync} makes all of them durable at
   * once. Only for a folder that nothing reads before its batch is synced and renamed into place.
   */
  public static final class Batch implements AutoCloseable {
    private final Path root;
    private final Mode mode;

    private Batch(Path root, Mode mode) {
      this.root = root;
      this.mode = mode;
    }

    /**
     * Defers the fsyncs of everything written under {@code root} until {@link #sync}; with {@link
     * Mode#EACH}, nothing is deferred.
     */
    public static Batch defer(Path root, Mode mode) {
      Path absolute = root.toAbsolutePath().normalize();
      if (mode != Mode.EACH) {
        DEFERRED.add(absolute);
      }
      return new Batch(absolute, mode);
    }

    /**
     * Makes every file and folder under the root durable, the root last: after it returns, a rename
     * of the root into place is the one step left. The root stays deferred until {@link #close}.
     */
    public void sync() throws IOException {
      if (mode == Mode.EACH) {
        return; // each file was made durable as it was written
      }
      List<Path> files = new ArrayList<>();
      List<Path> folders = new ArrayList<>();
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
              folders.add(dir);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
              if (attributes.isRegularFile()) {
                files.add(file);
              }
              return FileVisitResult.CONTINUE;
            }
          });
      if (!(mode == Mode.FILE_SYSTEM && syncFileSystem(root))) {
        forceAll(files);
      }
      // the folders' entries, deepest first, the root last
      for (int i = folders.size() - 1; i >= 0; i--) {
        forceFolder(folders.get(i));
      }
    }

    /** The root is no longer deferred: later writes under it are fsync'ed one by one again. */
    @Override
    public void close() {
      if (mode != Mode.EACH) {
        DEFERRED.remove(root);
      }
    }
  }

  /** fsyncs the files, several at once: the file system commits concurrent fsyncs together. */
  private static void forceAll(List<Path> files) throws IOException {
    if (files.isEmpty()) {
      return;
    }
    int threads = Math.min(files.size(), 16);
    if (threads == 1) {
      forceFile(files.get(0));
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Path file : files) {
        done.add(
            pool.submit(
                () -> {
                  forceFile(file);
                  return null;
                }));
      }
      for (Future<?> future : done) {
        try {
          future.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          throw new IOException(e.getCause());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making the files durable");
    } finally {
      pool.shutdownNow();
    }
  }

  private static void forceFile(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      forced(file);
      channel.force(true);
    }
  }

  /**
   * One {@code sync -f} of the file system that holds {@code folder}; false when it cannot be run
   * (then the caller fsyncs file by file).
   */
  private static boolean syncFileSystem(Path folder) {
    Path sync = Path.of("/bin/sync");
    if (!Files.isExecutable(sync)) {
      return false;
    }
    try {
      Process process =
          new ProcessBuilder(sync.toString(), "-f", folder.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
