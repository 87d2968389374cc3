package dev.onnxtie.model;

import com.google.protobuf.UnsafeByteOperations;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A staging folder ({@value ModelIO#TEMP_PREFIX}...) beside the outputs, and the commit that
 * renames its files into place.
 *
 * <ul>
 *   <li>The writer holds a lock on {@code .lock} inside its staging folder for as long as it lives,
 *       so other writers remove only staging folders whose writer is gone (killed), never live ones.
 *   <li>The commit renames data files first, models last, while holding the folder's lock file
 *       ({@value #FOLDER_LOCK}, removed when released), so two writers of one output cannot
 *       interleave their renames.
 *   <li>Staging folders are named by process id and a counter (no secure random at start-up), and
 *       removed on Ctrl-C by a shutdown hook that waits for a commit in progress.
 *   <li>A write never overwrites or deletes what the model at the output, a surviving input or any
 *       other model of the folder reads ({@link #plan}): a new data file takes the first free name
 *       ({@code x.data}, {@code x.1.data}, ...), so the model rename is the single commit point;
 *       the replaced model's data file is deleted afterwards once nothing else reads it.
 * </ul>
 */
final class Staging implements AutoCloseable {
  /** The lock file of a folder's commits, held while files are renamed and removed after. */
  static final String FOLDER_LOCK = ModelIO.TEMP_PREFIX + "lock";

  private static final String OWNER_LOCK = ".lock";
  private static final Map<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();
  /** Staging folders of this process: never opened by removeStale (closing a channel drops the process's locks). */
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  private static final java.util.concurrent.atomic.AtomicLong COUNTER = new java.util.concurrent.atomic.AtomicLong();
  /** Staging folders of this process not closed yet: removed by the shutdown hook. */
  private static final Set<Staging> OPEN = ConcurrentHashMap.newKeySet();

  private final Path folder;
  private final Path dir;
  private final FileChannel ownerChannel;
  private final FileLock owner;
  private boolean aborted;
  private boolean closed;

  Staging(Path folder) throws IOException {
    // the exit hook first: a Ctrl-C after the folder appears but before the hook was installed
    // would find no hook to remove it (the JVM refuses new hooks once it is shutting down)
    ShutdownHook.INSTALLED.hashCode();
    if (exiting) {
      throw new IOException("the process is exiting");
    }
    this.folder = folder;
    removeStale(folder);
    this.dir = createDirectory(folder);
    LIVE.add(dir.toAbsolutePath().normalize());
    this.ownerChannel = FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    this.owner = ownerChannel.lock();
    OPEN.add(this);
    ShutdownHook.INSTALLED.hashCode(); // installs the hook once
    if (exiting) {
      close(); // the exit hook has run: a folder made now would outlive the process
      throw new IOException("the process is exiting");
    }
  }

  /** Set by the exit hook: no staging folder is made after it. */
  private static volatile boolean exiting;

  /**
   * A new staging folder named by process id and a counter: unique among live writers (a pid is
   * unique while its process lives), without the start-up cost of a secure random generator.
   */
  private static Path createDirectory(Path folder) throws IOException {
    String base = ModelIO.TEMP_PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    for (int attempt = 0; ; attempt++) {
      Path candidate = folder.resolve(attempt == 0 ? base : base + "-" + Long.toHexString(System.nanoTime()));
      try {
        return Files.createDirectory(candidate);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw e; // a stale folder of an earlier process with this pid, a hundred times over
        }
      }
    }
  }

  /**
   * On Ctrl-C (or any orderly JVM exit) the staging folders of writes still in progress are removed.
   * A commit in progress finishes first (the hook waits for it), so the hook never removes a staged
   * file that a commit is about to rename into place.
   */
  private static final class ShutdownHook {
    static final Thread INSTALLED = install();

    private static Thread install() {
      Thread hook = new Thread(() -> {
        exiting = true;
        for (Staging staging : OPEN.toArray(new Staging[0])) {
          staging.abort();
        }
      }, "onnx-tie-staging-cleanup");
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
  void commit(List<Path> data, List<Path> models, Set<String> superseded, Map<String, String> written) throws IOException {
    commit(data, models, superseded, written, null);
  }

  /**
   * A second model that reads the data file under another name: after an in-place rewrite whose new
   * data had to take an alternate name ({@code model.onnx.1.data}) because the replaced model read
   * the usual one, {@code model} (staged, reading {@code name}) is installed once the usual name is
   * free, so that the data file keeps its name.
   *
   * @param name the data file name to go back to
   * @param model the staged model that reads it, renamed over the first one
   */
  record KeepName(String name, Path model) {}

  /**
   * {@link #commit(List, List, Set, Map)}, then, where {@code keep} is given, the data file (the
   * single one written) goes back to its usual name when that is safe: the replaced model's data
   * file under that name was deleted (nothing else read it) and the file system has hard links.
   * The usual name is linked to the new data file, the second model renamed into place (a second
   * commit point: before it the model reads the alternate name, after it the usual one, both of the
   * same bytes), then the alternate name removed.
   *
   * @return the data file name the installed model reads (the staged one, or {@code keep.name()})
   */
  synchronized String commit(List<Path> data, List<Path> models, Set<String> superseded, Map<String, String> written, KeepName keep)
      throws IOException {
    if (aborted || closed) {
      throw new IOException("the write was interrupted");
    }
    Object monitor = IN_PROCESS.computeIfAbsent(folder, f -> new Object());
    synchronized (monitor) {
      if (data.size() + models.size() == 1 && keep == null) {
        // one rename is atomic by itself: no folder lock
        install(data, models, superseded, written);
        return data.isEmpty() ? null : data.get(0).getFileName().toString();
      }
      try (FolderLock lock = FolderLock.take(folder.resolve(FOLDER_LOCK))) {
        install(data, models, superseded, written);
        if (keep != null && data.size() == 1) {
          return keepName(data.get(0).getFileName().toString(), keep);
        }
        return data.isEmpty() ? null : data.get(0).getFileName().toString();
      }
    }
  }

  private String keepName(String current, KeepName keep) throws IOException {
    Path usual = folder.resolve(keep.name());
    Path alternate = folder.resolve(current);
    if (Files.exists(usual, LinkOption.NOFOLLOW_LINKS)) {
      return current; // something else still reads it, or it is not ours to replace
    }
    try {
      Files.createLink(usual, alternate);
    } catch (IOException | UnsupportedOperationException e) {
      return current; // no hard links here: the alternate name stays
    }
    // the write is committed already: from here on a failure keeps the alternate name, never fails it
    try {
      move(keep.model(), folder.resolve(keep.model().getFileName().toString().substring(KEEP_PREFIX.length())));
    } catch (IOException e) {
      try {
        Files.deleteIfExists(usual);
      } catch (IOException again) {
        // a second name of the data file the model reads: harmless, and readable (links inside the folder)
      }
      return current;
    }
    try {
      Files.delete(alternate);
    } catch (IOException e) {
      // the model reads the usual name; the alternate stays a second name of the same file
    }
    syncFolder();
    return keep.name();
  }

  /** Staged name prefix of the model of {@link KeepName}. */
  static final String KEEP_PREFIX = ".keep-";

  private void install(List<Path> data, List<Path> models, Set<String> superseded, Map<String, String> written) throws IOException {
    for (Path file : data) {
      move(file, folder.resolve(file.getFileName().toString()));
    }
    for (Path file : models) {
      move(file, folder.resolve(file.getFileName().toString()));
    }
    syncFolder();
    if (superseded.isEmpty()) {
      return;
    }
    Set<String> candidates = new HashSet<>();
    for (String name : superseded) {
      if (!written.containsValue(name) && !written.containsKey(name) && !name.endsWith(".onnx")) {
        candidates.add(name);
      }
    }
    Set<String> stillRead = readByOtherModels(written.keySet());
    for (String name : candidates) {
      if (stillRead != null && !stillRead.contains(name)) {
        Files.deleteIfExists(folder.resolve(name));
      }
    }
  }

  /** Data file names the folder's other models read; null when one of them cannot be parsed. */
  private Set<String> readByOtherModels(Collection<String> exclude) {
    Set<String> read = new HashSet<>();
    try (DirectoryStream<Path> models = Files.newDirectoryStream(folder, "*.onnx")) {
      for (Path model : models) {
        if (!exclude.contains(model.getFileName().toString())) {
          Set<String> reads = locations(model);
          if (reads == null) {
            return null;
          }
          read.addAll(reads);
        }
      }
      return read;
    } catch (IOException e) {
      return null;
    }
  }

  private void syncFolder() {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // not every file system lets a folder be opened for fsync; the renames stand regardless
    }
  }

  /**
   * What a write into {@code folder} may touch.
   *
   * @param dataName the data file name to write
   * @param superseded data files the replaced models read that nothing else reads: deleted after the commit
   */
  record Plan(String dataName, Set<String> superseded) {}

  /**
   * Plans a write of {@code targets} (and, with {@code external}, a data file) into {@code folder}.
   * Nothing the inputs or the folder's other models read, and no model file, is ever overwritten or
   * deleted: a default data file name moves to the first free alternate ({@code x.data},
   * {@code x.1.data}, ...), an explicit one that is taken is refused.
   *
   * @throws dev.onnxtie.OnnxTieException (bad input) when an output would overwrite what an input reads
   */
  static Plan plan(Path folder, String wanted, boolean explicit, boolean external, List<Path> targets, List<OnnxModel> inputs) {
    Set<String> targetNames = new HashSet<>();
    targets.forEach(t -> targetNames.add(t.getFileName().toString()));
    Set<String> targetReads = locationsOfTargets(targets);
    Set<String> superseded = new HashSet<>(targetReads);
    Set<String> inputReads = new HashSet<>();
    Set<String> taken = new HashSet<>(targetNames);
    Set<String> survivingReads = new HashSet<>();
    for (OnnxModel input : inputs) {
      Set<String> reads = readsIn(input, folder);
      inputReads.addAll(reads);
      if (input.source() != null && sameFolder(input.source().toAbsolutePath().getParent(), folder)) {
        String name = input.source().getFileName().toString();
        if (!targetNames.contains(name)) {
          // an input that stays (not rewritten in place) keeps its file and what it reads
          taken.add(name);
          survivingReads.addAll(reads);
        }
      } else {
        survivingReads.addAll(reads);
      }
    }
    for (String target : targetNames) {
      if (inputReads.contains(target)) {
        throw dev.onnxtie.OnnxTieException.badInput("the output " + target + " is a data file the input reads; writing it would destroy the input");
      }
    }
    taken.addAll(survivingReads);
    // superseded names are checked again at the commit, against the folder's models then
    superseded.removeAll(taken);
    if (!external) {
      return new Plan(wanted, superseded);
    }
    // the folder's other models are parsed only when a name this write would take is there already
    OtherModels others = new OtherModels(folder, targetNames);
    if (explicit) {
      if (taken.contains(wanted) || targetReads.contains(wanted) || others.take(wanted)) {
        throw dev.onnxtie.OnnxTieException.badInput("the data file name " + wanted + " is taken: a model or data file of "
            + folder + " that is read or being replaced has it; choose another name");
      }
      return new Plan(wanted, superseded);
    }
    Set<String> blocked = new HashSet<>(taken);
    blocked.addAll(targetReads);
    String stem = wanted.endsWith(".data") ? wanted.substring(0, wanted.length() - ".data".length()) : wanted;
    String suffix = wanted.endsWith(".data") ? ".data" : "";
    for (int n = 0; n < 1000; n++) {
      String candidate = n == 0 ? wanted : stem + "." + n + suffix;
      if (!blocked.contains(candidate) && !others.take(candidate)) {
        return new Plan(candidate, superseded);
      }
    }
    throw dev.onnxtie.OnnxTieException.badInput("no free name for the data file beside " + wanted + "; choose one with --external-data NAME");
  }

  /** The folder's models other than the targets and what they read, parsed on first need. */
  private static final class OtherModels {
    private final Path folder;
    private final Set<String> targetNames;
    private Set<String> taken;

    OtherModels(Path folder, Set<String> targetNames) {
      this.folder = folder;
      this.targetNames = targetNames;
    }

    /**
     * True when writing {@code name} could overwrite a model file or a file another model reads. A
     * name that is not in the folder overwrites nothing and needs no parsing.
     */
    boolean take(String name) {
      if (!Files.exists(folder.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      if (taken == null) {
        taken = new HashSet<>();
        try (DirectoryStream<Path> models = Files.newDirectoryStream(folder, "*.onnx")) {
          for (Path model : models) {
            String file = model.getFileName().toString();
            taken.add(file);
            if (!targetNames.contains(file)) {
              Set<String> reads = locations(model);
              if (reads != null) {
                taken.addAll(reads);
              }
            }
          }
        } catch (IOException e) {
          // an unlistable folder fails the write later with its own message
        }
      }
      return taken.contains(name);
    }
  }

  private static Set<String> locationsOfTargets(List<Path> targets) {
    Set<String> reads = new HashSet<>();
    for (Path target : targets) {
      Set<String> found = locations(target);
      if (found != null) {
        reads.addAll(found);
      }
    }
    return reads;
  }

  private static boolean sameFolder(Path a, Path b) {
    try {
      return a.toRealPath().equals(b.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  /** The data file names a read model takes from {@code folder} (empty when it lives elsewhere). */
  static Set<String> readsIn(OnnxModel model, Path folder) {
    Path base = model.externalData().baseDir();
    if (base == null) {
      return Set.of();
    }
    try {
      if (!base.toRealPath().equals(folder.toRealPath())) {
        return Set.of();
      }
    } catch (IOException e) {
      return Set.of();
    }
    Set<String> reads = new HashSet<>();
    collect(model.proto(), reads);
    return reads;
  }

  private static void collect(ModelProto proto, Set<String> reads) {
    ProtoGraphs.visit(proto, (path, depth, graph) -> {
      List<TensorProto> tensors = new java.util.ArrayList<>(graph.getInitializerList());
      tensors.addAll(ProtoGraphs.attributeTensors(graph));
      for (TensorProto tensor : tensors) {
        for (StringStringEntryProto entry : tensor.getExternalDataList()) {
          if (entry.getKey().equals("location")) {
            reads.add(entry.getValue());
          }
        }
      }
    });
  }

  /** External data locations a model file reads; empty if absent, null if it cannot be parsed. */
  static Set<String> locations(Path model) {
    if (!Files.isRegularFile(model)) {
      return Set.of();
    }
    try (FileChannel channel = FileChannel.open(model, StandardOpenOption.READ)) {
      if (channel.size() > Integer.MAX_VALUE) {
        return null;
      }
      var input = UnsafeByteOperations.unsafeWrap(channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size())).newCodedInput();
      input.enableAliasing(true);
      Set<String> reads = new HashSet<>();
      collect(ModelProto.parseFrom(input), reads);
      return reads;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Removes staging folders whose writer is gone: their owner lock can be taken (a killed
   * process's locks are released by the kernel), or, without a lock file, older than a minute.
   */
  static void removeStale(Path folder) {
    long cutoff = System.currentTimeMillis() - 60_000;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, ModelIO.TEMP_PREFIX + "*")) {
      for (Path entry : entries) {
        if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        if (LIVE.contains(entry.toAbsolutePath().normalize())) {
          continue;
        }
        Path lockFile = entry.resolve(OWNER_LOCK);
        boolean settled = Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS).toMillis() < System.currentTimeMillis() - 10_000;
        if (Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS) && settled) {
          try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
              continue;
            }
            lock.release();
          } catch (OverlappingFileLockException e) {
            continue; // held by a writer in this process
          }
          deleteTree(entry);
        } else if (Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
          deleteTree(entry);
        }
      }
    } catch (IOException e) {
      // leftovers are harmless: they carry TEMP_PREFIX and are never read
    }
  }

  static void deleteTree(Path root) {
    try {
      if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
          for (Path entry : entries) {
            Files.deleteIfExists(entry);
          }
        }
      }
      Files.deleteIfExists(root);
    } catch (IOException e) {
      // best effort: a leftover carries TEMP_PREFIX and is removed by a later write here
    }
  }

  /** Releases the owner lock and removes the staging folder with whatever is left in it. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      owner.release();
      ownerChannel.close();
    } catch (IOException e) {
      // closing: nothing to recover
    }
    deleteTree(dir);
    LIVE.remove(dir.toAbsolutePath().normalize());
    OPEN.remove(this);
  }
}
