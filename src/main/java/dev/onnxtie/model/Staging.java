package dev.onnxtie.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A staging folder ({@value ModelIO#TEMP_PREFIX}...) beside the outputs: its life from creation to
 * removal, and the entry to the commit that renames its files into place ({@link StagingCommit}).
 *
 * <ul>
 *   <li>The writer holds a lock on {@code .lock} inside its staging folder for as long as it lives,
 *       so other writers remove only staging folders whose writer is gone (killed), never live ones
 *       ({@link StaleStaging}).
 *   <li>The commit renames data files first, models last, while holding the folder's lock file
 *       ({@value #FOLDER_LOCK}, removed when released), so two writers of one output cannot
 *       interleave their renames.
 *   <li>Staging folders are named by process id and a counter (no secure random at start-up), and
 *       removed on Ctrl-C by a shutdown hook that waits for a commit in progress.
 *   <li>A write never overwrites or deletes what the model at the output, a surviving input or any
 *       other model of the folder reads ({@link DataNames}): a new data file takes the first free
 *       name ({@code x.data}, {@code x.1.data}, ...), so the model rename is the single commit
 *       point; the replaced model's data file is deleted afterwards once nothing else reads it.
 * </ul>
 */
public final class Staging implements AutoCloseable {
  /** The lock file of a folder's commits, held while files are renamed and removed after. */
  static final String FOLDER_LOCK = ModelIO.TEMP_PREFIX + "lock";

  /** The lock file inside a staging folder its owner holds for as long as it lives. */
  static final String OWNER_LOCK = ".lock";

  /** The prefix of the staging folder a folder rewrite builds a new output folder in. */
  public static final String FOLDER_PREFIX = ".onnx-tie-folder-";

  /** Staged name prefix of the model of {@link KeepName}. */
  static final String KEEP_PREFIX = ".keep-";

  private static final AtomicLong COUNTER = new AtomicLong();

  /** Staging folders of this process not closed yet: removed by the shutdown hook. */
  private static final Set<Staging> OPEN = ConcurrentHashMap.newKeySet();

  private final Path folder;
  private final Path dir;
  private final FileChannel ownerChannel;
  private final FileLock owner;

  /**
   * The claims of this write's names in {@code folder} when it is a direct write, null for a
   * staging folder. A direct write puts its files straight under their final names into a folder
   * this process owns that nobody sees before it is renamed into place as a whole (a new output
   * folder being built): a staging folder of its own would add a mkdir, a rename per file and an
   * rmdir for no guarantee gained. The names were free and are claimed for this write; an
   * uncommitted close deletes the files.
   */
  private final Claims claims;

  /** A direct write's names (the files it deletes when closed uncommitted). */
  private final Set<String> names;

  private boolean committed;
  private boolean aborted;
  private boolean closed;

  Staging(Path folder) throws IOException {
    this(folder, Set.of());
  }

  /**
   * A staging folder for a write of the files {@code names} into {@code folder}; none at all (the
   * files go straight to their names) where {@code folder} is one this process owns and none of the
   * names is there or claimed by another write.
   */
  Staging(Path folder, Set<String> names) throws IOException {
    // the exit hook first: a Ctrl-C after the folder appears but before the hook was installed
    // would find no hook to remove it (the JVM refuses new hooks once it is shutting down)
    ShutdownHook.INSTALLED.hashCode();
    if (exiting) {
      throw new IOException("the process is exiting");
    }
    this.folder = folder;
    // a folder this process owns (a new output folder being built, itself locked and hidden) holds
    // nothing stale, and no other writer looks inside it: no scan, and no owner lock of its own
    boolean inOwned = StaleStaging.isLive(folder);
    Claims claimed = inOwned ? Claims.claim(folder, names) : null;
    if (claimed != null) {
      this.dir = folder;
      this.claims = claimed;
      this.names = new HashSet<>(names);
      this.ownerChannel = null;
      this.owner = null;
      OPEN.add(this);
      TestPoints.at("staged");
      if (exiting) {
        close();
        throw new IOException("the process is exiting");
      }
      return;
    }
    this.claims = null;
    this.names = Set.of();
    if (!inOwned) {
      StaleStaging.removeStale(folder);
    }
    ShutdownHook.INSTALLED.hashCode(); // installs the hook once, before any folder is made
    this.dir = createDirectory(folder);
    StaleStaging.LIVE.add(dir.toAbsolutePath().normalize());
    FileChannel channel = null;
    try {
      if (inOwned) {
        this.ownerChannel = null;
        this.owner = null;
      } else {
        channel =
            FileChannel.open(
                dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        this.ownerChannel = channel;
        this.owner = channel.lock();
      }
      OPEN.add(this);
    } catch (IOException | RuntimeException e) {
      // e.g. interrupted while it waited for the lock (another job failed): no folder stays behind
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // the delete below is what matters
        }
      }
      Files.deleteIfExists(dir.resolve(OWNER_LOCK));
      Files.deleteIfExists(dir);
      StaleStaging.LIVE.remove(dir.toAbsolutePath().normalize());
      throw e;
    } finally {
      MAKING.remove(dir);
    }
    TestPoints.at("staged");
    if (exiting) {
      close(); // the exit hook has run: a folder made now would outlive the process
      throw new IOException("the process is exiting");
    }
  }

  /** True when this write goes straight to the final names (see {@link #claims}). */
  boolean direct() {
    return claims != null;
  }

  /**
   * A direct write's file that no model reads (the data file of a model whose tensors all stayed
   * inside it): no longer this write's, so a later write may replace it, as one after the other.
   */
  synchronized void unread(String name) {
    if (claims != null && names.remove(name)) {
      claims.release(Set.of(name));
    }
  }

  /** Folders made whose Staging is not in OPEN yet: the exit hook removes them too. */
  private static final Set<Path> MAKING = ConcurrentHashMap.newKeySet();

  /** Set by the exit hook: no staging folder is made after it. */
  private static volatile boolean exiting;

  /**
   * A new staging folder named by process id and a counter: unique among live writers (a pid is
   * unique while its process lives), without the start-up cost of a secure random generator.
   */
  private static Path createDirectory(Path folder) throws IOException {
    String base = ModelIO.TEMP_PREFIX + ProcessHandle.current().pid() + "-" + nextId();
    for (int attempt = 0; ; attempt++) {
      Path candidate =
          folder.resolve(attempt == 0 ? base : base + "-" + Long.toHexString(System.nanoTime()));
      MAKING.add(candidate);
      try {
        return Files.createDirectory(candidate);
      } catch (FileAlreadyExistsException e) {
        MAKING.remove(candidate);
        if (attempt >= 100) {
          throw e; // a stale folder of an earlier process with this pid, a hundred times over
        }
      }
    }
  }

  /**
   * On Ctrl-C (or any orderly JVM exit) the staging folders of writes still in progress are
   * removed. A commit in progress finishes first (the hook waits for it), so the hook never removes
   * a staged file that a commit is about to rename into place.
   */
  private static final class ShutdownHook {
    static final Thread INSTALLED = install();

    private static Thread install() {
      Thread hook =
          new Thread(
              () -> {
                exiting = true;
                for (Staging staging : OPEN.toArray(new Staging[0])) {
                  staging.abort();
                }
                for (Path made : MAKING.toArray(new Path[0])) {
                  FileOps.deleteTree(made); // interrupted between its mkdir and its lock
                }
              },
              "onnx-tie-staging-cleanup");
      try {
        Runtime.getRuntime().addShutdownHook(hook);
      } catch (IllegalStateException e) {
        exiting = true; // already shutting down: no staging folder may be made now
      }
      return hook;
    }
  }

  /** Called by the shutdown hook: no commit may start after this; the folder goes. */
  private synchronized void abort() {
    aborted = true;
    close();
  }

  /** A path inside the staging folder. */
  Path resolve(String name) {
    return dir.resolve(name);
  }

  /**
   * Renames the staged files into the folder: data files first, then models, under the folder lock;
   * then fsyncs the folder and deletes {@code superseded} data files nothing reads any more.
   *
   * @param data staged data files, renamed under their own names
   * @param models staged models, renamed under their own names
   * @param superseded data file names the replaced models read
   * @param written models and their data file names, excluded from the "still read" scan
   */
  void commit(
      List<Path> data, List<Path> models, Set<String> superseded, Map<String, String> written)
      throws IOException {
    commit(data, models, superseded, written, null);
  }

  /**
   * A second model that reads the data file under another name: after an in-place rewrite whose new
   * data had to take an alternate name ({@code model.onnx.1.data}) because the replaced model read
   * the usual one, {@code model} (staged, reading {@code name}) is installed once the usual name is
   * free, so that the data file keeps its name.
   *
   * @param name the data file name to go back to
   * @param models the staged models that read it (one, or each model of a shared-data write),
   *     renamed over the first ones
   */
  record KeepName(String name, List<Path> models) {}

  /**
   * {@link #commit(List, List, Set, Map)}, then, where {@code keep} is given, the data file (the
   * single one written) goes back to its usual name when that is safe: the replaced model's data
   * file under that name was deleted (nothing else read it) and the file system has hard links. The
   * usual name is linked to the new data file, the second model renamed into place (a second commit
   * point: before it the model reads the alternate name, after it the usual one, both of the same
   * bytes), then the alternate name removed. For several models (a shared-data write) each second
   * model is renamed in turn, still under the folder lock: between them some models read the usual
   * name, some the alternate, both names of the same new file; should a rename fail after the
   * first, both names stay.
   *
   * @return the data file name the installed model reads (the staged one, or {@code keep.name()})
   */
  synchronized String commit(
      List<Path> data,
      List<Path> models,
      Set<String> superseded,
      Map<String, String> written,
      KeepName keep)
      throws IOException {
    if (aborted || closed) {
      throw new IOException("the write was interrupted");
    }
    if (claims != null) {
      if (keep != null || !superseded.isEmpty()) {
        throw new IllegalStateException("a direct write replaces nothing");
      }
      committed = true; // the files are in place already
      claims.committed(names);
      Durability.fsyncFolder(folder);
      return data.isEmpty() ? null : data.get(0).getFileName().toString();
    }
    return new StagingCommit(folder, dir).run(data, models, superseded, written, keep);
  }

  /**
   * Test hook, set only by tests of this package: runs after a commit's data renames, before its
   * model renames.
   */
  static volatile Runnable betweenDataAndModelsForTests;

  /**
   * What a write into {@code folder} may touch.
   *
   * @param dataName the data file name to write
   * @param superseded data files the replaced models read that nothing else reads: deleted after
   *     the commit
   */
  record Plan(String dataName, Set<String> superseded) {}

  /** {@link DataNames#plan}: the data file name a write may take and what it supersedes. */
  static Plan plan(
      Path folder,
      String wanted,
      boolean explicit,
      boolean external,
      List<Path> targets,
      List<OnnxModel> inputs) {
    return DataNames.plan(folder, wanted, explicit, external, targets, inputs);
  }

  /**
   * The external data files a model file reads, resolved against its folder and sorted ({@link
   * DataNames#dataFilesOf}).
   */
  public static List<Path> dataFilesOf(Path model) {
    return DataNames.dataFilesOf(model);
  }

  /** Removes what writers that are gone left in {@code folder} ({@link StaleStaging}). */
  public static void removeStale(Path folder) {
    StaleStaging.removeStale(folder);
  }

  /** A new number for a staging name, unique in this process. */
  static long nextId() {
    return COUNTER.incrementAndGet();
  }

  /** Releases the owner lock and removes the staging folder with whatever is left in it. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (claims != null) {
      if (!committed) {
        for (String name : names) {
          try {
            Files.deleteIfExists(folder.resolve(name));
          } catch (IOException e) {
            // the owned folder goes as a whole if the write fails
          }
        }
        claims.release(names);
      }
      OPEN.remove(this);
      return;
    }
    try {
      if (ownerChannel != null) {
        owner.release();
        ownerChannel.close();
      }
    } catch (IOException e) {
      // closing: nothing to recover
    }
    try {
      Files.delete(dir); // after a commit: empty, one call
    } catch (IOException e) {
      FileOps.deleteTree(dir); // what a failed or interrupted write left in it (the lock file)
    }
    StaleStaging.LIVE.remove(dir.toAbsolutePath().normalize());
    OPEN.remove(this);
  }
}
