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
 *       so other writers remove only staging folders whose writer is gone (killed), never live
 *       ones.
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
public final class Staging implements AutoCloseable {
  /** The lock file of a folder's commits, held while files are renamed and removed after. */
  static final String FOLDER_LOCK = ModelIO.TEMP_PREFIX + "lock";

  private static final String OWNER_LOCK = ".lock";
  private static final Map<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

  /**
   * Staging folders of this process: never opened by removeStale (closing a channel drops the
   * process's locks).
   */
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  private static final java.util.concurrent.atomic.AtomicLong COUNTER =
      new java.util.concurrent.atomic.AtomicLong();

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
    ShutdownHook.INSTALLED.hashCode(); // installs the hook once, before any folder is made
    this.dir = createDirectory(folder);
    LIVE.add(dir.toAbsolutePath().normalize());
    try {
      this.ownerChannel =
          FileChannel.open(
              dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      this.owner = ownerChannel.lock();
      OPEN.add(this);
    } finally {
      MAKING.remove(dir);
    }
    TestPoints.at("staged");
    if (exiting) {
      close(); // the exit hook has run: a folder made now would outlive the process
      throw new IOException("the process is exiting");
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
    String base =
        ModelIO.TEMP_PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    for (int attempt = 0; ; attempt++) {
      Path candidate =
          folder.resolve(attempt == 0 ? base : base + "-" + Long.toHexString(System.nanoTime()));
      MAKING.add(candidate);
      try {
        return Files.createDirectory(candidate);
      } catch (java.nio.file.FileAlreadyExistsException e) {
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
                  deleteTree(made); // interrupted between its mkdir and its lock
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
    Object monitor = IN_PROCESS.computeIfAbsent(folder, f -> new Object());
    synchronized (monitor) {
      if (data.size() + models.size() == 1 && keep == null) {
        // one rename is atomic by itself: no folder lock
        install(data, models, superseded, written, null);
        return data.isEmpty() ? null : data.get(0).getFileName().toString();
      }
      try (FolderLock lock = FolderLock.take(folder.resolve(FOLDER_LOCK))) {
        TestPoints.at("locked");
        if (data.size() == 1 && isReadNow(data.get(0).getFileName().toString())) {
          // another writer installed a model that reads this name since the plan: never rename over
          // it
          Moved moved = moveAside(data.get(0), models, superseded, written, keep);
          data = List.of(moved.data());
          superseded = moved.superseded();
          written = moved.written();
          keep = moved.keep();
        }
        // a new data file that goes back to the replaced one's name keeps that file's mode
        install(
            data, models, superseded, written, keep == null ? null : folder.resolve(keep.name()));
        if (keep != null && data.size() == 1) {
          return keepName(data.get(0).getFileName().toString(), keep);
        }
        return data.isEmpty() ? null : data.get(0).getFileName().toString();
      }
    }
  }

  /**
   * Test hook, set only by tests of this package: runs after a commit's data renames, before its
   * model renames.
   */
  static volatile Runnable betweenDataAndModelsForTests;

  /**
   * True when {@code name} is in the folder and a model there reads it (or a model there cannot be
   * read).
   */
  private boolean isReadNow(String name) {
    if (!Files.exists(folder.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    Set<String> read = readByOtherModels(Set.of());
    return read == null || read.contains(name);
  }

  private record Moved(
      Path data, Set<String> superseded, Map<String, String> written, KeepName keep) {}

  /**
   * The staged data file moved to the first name free in the folder, the staged models rewritten to
   * read it, the data files the replaced models read now added to the superseded ones, and (for a
   * single model) the staged model that reads the old name kept for {@link #keepName}.
   */
  private Moved moveAside(
      Path stagedData,
      List<Path> models,
      Set<String> superseded,
      Map<String, String> written,
      KeepName keep)
      throws IOException {
    String taken = stagedData.getFileName().toString();
    String stem =
        taken.endsWith(".data") ? taken.substring(0, taken.length() - ".data".length()) : taken;
    String suffix = taken.endsWith(".data") ? ".data" : "";
    String free = null;
    for (int n = 1; n < 1000 && free == null; n++) {
      String candidate = stem + "." + n + suffix;
      if (!Files.exists(folder.resolve(candidate), LinkOption.NOFOLLOW_LINKS)
          && !Files.exists(dir.resolve(candidate), LinkOption.NOFOLLOW_LINKS)) {
        free = candidate;
      }
    }
    if (free == null) {
      throw new IOException("no free name for the data file beside " + taken);
    }
    Path moved = dir.resolve(free);
    Files.move(stagedData, moved);
    KeepName kept = keep;
    if (kept == null && models.size() == 1) {
      Path second = dir.resolve(KEEP_PREFIX + models.get(0).getFileName());
      Files.move(models.get(0), second);
      kept = new KeepName(taken, List.of(second));
    }
    for (Path model : models) {
      if (Files.exists(model, LinkOption.NOFOLLOW_LINKS)) {
        Files.move(model, dir.resolve(".relocate-" + model.getFileName()));
      }
      Path source =
          Files.exists(dir.resolve(".relocate-" + model.getFileName()))
              ? dir.resolve(".relocate-" + model.getFileName())
              : dir.resolve(KEEP_PREFIX + model.getFileName());
      ModelProto proto = readStaged(source);
      ModelIO.writeMessage(ModelIO.relocate(proto, taken, free), model);
      Files.deleteIfExists(dir.resolve(".relocate-" + model.getFileName()));
    }
    Set<String> nowSuperseded = new HashSet<>(superseded);
    Map<String, String> nowWritten = new java.util.HashMap<>();
    for (Path model : models) {
      String name = model.getFileName().toString();
      Set<String> reads = locations(folder.resolve(name));
      if (reads != null) {
        nowSuperseded.addAll(reads);
      }
      nowWritten.put(
          name,
          written.get(name) != null && written.get(name).equals(taken)
              ? free
              : written.getOrDefault(name, free));
    }
    return new Moved(moved, nowSuperseded, nowWritten, kept);
  }

  private static ModelProto readStaged(Path model) throws IOException {
    try (FileChannel channel = FileChannel.open(model, StandardOpenOption.READ)) {
      var input =
          UnsafeByteOperations.unsafeWrap(
                  channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()))
              .newCodedInput();
      input.enableAliasing(true);
      input.setSizeLimit(Integer.MAX_VALUE);
      return ModelProto.parseFrom(input);
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
    // the write is committed already: from here on a failure keeps the alternate name, never fails
    // it
    TestPoints.at("linked");
    int moved = 0;
    try {
      // both names hold the same new bytes: each model reads the new data whichever name it reads
      for (Path second : keep.models()) {
        Path target =
            folder.resolve(second.getFileName().toString().substring(KEEP_PREFIX.length()));
        keepAttributes(target, second);
        move(second, target);
        moved++;
      }
    } catch (IOException e) {
      if (moved == 0) {
        try {
          Files.deleteIfExists(usual);
        } catch (IOException again) {
          // a second name of the data file the model reads: harmless, and readable (links inside
          // the folder)
        }
      }
      // some models read the usual name already: both names stay, the same file
      return current;
    }
    TestPoints.at("renamed-back");
    try {
      Files.delete(alternate);
    } catch (IOException e) {
      // the model reads the usual name; the alternate stays a second name of the same file
    }
    syncFolder();
    return keep.name();
  }

  /**
   * Gives a staged file the permissions of the file it replaces (or, for a new data file, of the
   * model it is written with), and its owner and group where this process may set them (as root): a
   * rewrite in place keeps what the user set. Nothing is changed when {@code replaced} is absent.
   */
  static void keepAttributes(Path replaced, Path staged) {
    if (replaced == null || !Files.isRegularFile(replaced, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      var attributes =
          Files.readAttributes(
              replaced,
              java.nio.file.attribute.PosixFileAttributes.class,
              LinkOption.NOFOLLOW_LINKS);
      var view =
          Files.getFileAttributeView(
              staged,
              java.nio.file.attribute.PosixFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS);
      var current = view.readAttributes();
      if (!current.owner().equals(attributes.owner())) {
        try {
          view.setOwner(attributes.owner());
        } catch (IOException e) {
          // only root gives files away: the writer's own file it stays
        }
      }
      if (!current.group().equals(attributes.group())) {
        try {
          view.setGroup(attributes.group());
        } catch (IOException e) {
          // not a group of this user
        }
      }
      view.setPermissions(attributes.permissions());
    } catch (IOException | UnsupportedOperationException e) {
      // no POSIX attributes here: the new file keeps the defaults
    }
  }

  /** Staged name prefix of the model of {@link KeepName}. */
  static final String KEEP_PREFIX = ".keep-";

  private void install(
      List<Path> data,
      List<Path> models,
      Set<String> superseded,
      Map<String, String> written,
      Path replacedData)
      throws IOException {
    Path replacedModel = null;
    for (Path file : models) {
      Path target = folder.resolve(file.getFileName().toString());
      if (replacedModel == null && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
        replacedModel = target;
      }
    }
    for (Path file : data) {
      Path target = folder.resolve(file.getFileName().toString());
      keepAttributes(
          Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
              ? target
              : replacedData != null && Files.isRegularFile(replacedData, LinkOption.NOFOLLOW_LINKS)
                  ? replacedData
                  : replacedModel,
          file);
      move(file, target);
    }
    Runnable hook = betweenDataAndModelsForTests;
    if (hook != null) {
      hook.run();
    }
    TestPoints.at("data-renamed");
    for (Path file : models) {
      Path target = folder.resolve(file.getFileName().toString());
      keepAttributes(target, file);
      move(file, target);
    }
    TestPoints.at("model-renamed");
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
   * @param superseded data files the replaced models read that nothing else reads: deleted after
   *     the commit
   */
  record Plan(String dataName, Set<String> superseded) {}

  /**
   * Plans a write of {@code targets} (and, with {@code external}, a data file) into {@code folder}.
   * Nothing the inputs or the folder's other models read, and no model file, is ever overwritten or
   * deleted: a default data file name moves to the first free alternate ({@code x.data}, {@code
   * x.1.data}, ...), an explicit one that is taken is refused.
   *
   * @throws dev.onnxtie.OnnxTieException (bad input) when an output would overwrite what an input
   *     reads
   */
  static Plan plan(
      Path folder,
      String wanted,
      boolean explicit,
      boolean external,
      List<Path> targets,
      List<OnnxModel> inputs) {
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
      if (input.source() != null
          && sameFolder(input.source().toAbsolutePath().getParent(), folder)) {
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
        throw dev.onnxtie.OnnxTieException.badInput(
            "the output "
                + target
                + " is a data file the input reads; writing it would destroy the input");
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
        throw dev.onnxtie.OnnxTieException.badInput(
            "the data file name "
                + wanted
                + " is taken: a model or data file of "
                + folder
                + " that is read or being replaced has it; choose another name");
      }
      return new Plan(wanted, superseded);
    }
    Set<String> blocked = new HashSet<>(taken);
    blocked.addAll(targetReads);
    String stem =
        wanted.endsWith(".data") ? wanted.substring(0, wanted.length() - ".data".length()) : wanted;
    String suffix = wanted.endsWith(".data") ? ".data" : "";
    for (int n = 0; n < 1000; n++) {
      String candidate = n == 0 ? wanted : stem + "." + n + suffix;
      if (!blocked.contains(candidate) && !others.take(candidate)) {
        return new Plan(candidate, superseded);
      }
    }
    throw dev.onnxtie.OnnxTieException.badInput(
        "no free name for the data file beside "
            + wanted
            + "; choose one with --external-data NAME");
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
    ProtoGraphs.visit(
        proto,
        (path, depth, graph) -> {
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

  /**
   * The external data files a model file reads, resolved against its folder and sorted; empty if it
   * reads none, does not exist or cannot be parsed (reading it then fails on its own).
   */
  public static List<Path> dataFilesOf(Path model) {
    Set<String> reads = locations(model);
    Path folder = model.toAbsolutePath().getParent();
    if (reads == null || folder == null) {
      return List.of();
    }
    List<Path> files = new java.util.ArrayList<>();
    for (String location : reads.stream().sorted().toList()) {
      try {
        files.add(folder.resolve(location));
      } catch (java.nio.file.InvalidPathException e) {
        // not a name this system can open: reading the model refuses it
      }
    }
    return files;
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
      var input =
          UnsafeByteOperations.unsafeWrap(
                  channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()))
              .newCodedInput();
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

  /** The prefix of the staging folder a folder rewrite builds a new output folder in. */
  public static final String FOLDER_PREFIX = ".onnx-tie-folder-";

  /**
   * Removes what writers that are gone left in {@code folder}, at once, whatever its age: staging
   * folders ({@value ModelIO#TEMP_PREFIX}... and {@value #FOLDER_PREFIX}...) whose owner lock
   * nobody holds (a killed process's locks are released by the kernel), or that have no lock file
   * and name a process that no longer runs; the folder's commit lock file when nobody holds it
   * (left by a writer killed or out of disk space at its commit); copies of a process that no
   * longer runs. A folder of a live process that has not taken its lock yet is kept (for a minute
   * when the process cannot be told apart from another one that took its id). Staging folders of
   * this process are never opened here (closing a descriptor drops the process's locks on the
   * file).
   */
  public static void removeStale(Path folder) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, ".onnx-tie-*")) {
      for (Path entry : entries) {
        try {
          removeIfStale(folder, entry);
        } catch (IOException | RuntimeException e) {
          // not ours to read or remove (another user's, say): the next entry
        }
      }
    } catch (IOException e) {
      // leftovers are harmless: they carry TEMP_PREFIX and are never read
    }
  }

  private static void removeIfStale(Path folder, Path entry) throws IOException {
    String name = entry.getFileName().toString();
    boolean ours = name.startsWith(ModelIO.TEMP_PREFIX) || name.startsWith(FOLDER_PREFIX);
    if (!ours || LIVE.contains(entry.toAbsolutePath().normalize())) {
      return;
    }
    if (name.equals(FOLDER_LOCK)) {
      removeStaleFolderLock(folder, entry);
      return;
    }
    long owner = ownerPid(name);
    boolean ownerRuns =
        owner < 0
            || owner == ProcessHandle.current().pid()
            || ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false);
    long age =
        System.currentTimeMillis()
            - Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS).toMillis();
    if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
      if (!ownerRuns || (owner < 0 && age > 60_000)) {
        Files.deleteIfExists(entry); // a copy or file of a writer that is gone
      }
      return;
    }
    Path lockFile = entry.resolve(OWNER_LOCK);
    if (Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
      if (owner == ProcessHandle.current().pid()) {
        return; // our id, not in LIVE: being made or closed by another thread of this process
      }
      try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
        FileLock lock = channel.tryLock();
        if (lock == null) {
          return;
        }
        lock.release();
      } catch (OverlappingFileLockException | java.nio.file.NoSuchFileException e) {
        return; // held by a writer in this process, or gone
      }
      // nobody holds it: the owner is gone, or runs and has made the file but not locked it yet
      if (!ownerRuns || age > 10_000) {
        deleteTree(entry);
      }
    } else if (!ownerRuns || age > 60_000) {
      deleteTree(entry); // killed before it took its lock, or (a minute on) not a live writer's
    }
  }

  /**
   * The id of the process that made a staging entry, from its name ({@code .onnx-tie-tmp-PID-N},
   * {@code .onnx-tie-tmp-copy-PID-...}, {@code .onnx-tie-folder-PID-N-...}), or -1 where the name
   * holds none.
   */
  static long ownerPid(String name) {
    String rest =
        name.startsWith(FOLDER_PREFIX)
            ? name.substring(FOLDER_PREFIX.length())
            : name.substring(ModelIO.TEMP_PREFIX.length());
    if (rest.startsWith("copy-")) {
      rest = rest.substring("copy-".length());
    }
    int end = rest.indexOf('-');
    if (end <= 0) {
      return -1;
    }
    try {
      return Long.parseLong(rest.substring(0, end));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Removes the folder's commit lock file when nobody holds it. Under this process's monitor of the
   * folder, so no commit of this process holds it meanwhile; a writer of another process waiting on
   * it wakes holding the lock of a removed file, sees that and takes a new one ({@link
   * FolderLock}).
   */
  private static void removeStaleFolderLock(Path folder, Path lockFile) {
    Object monitor = IN_PROCESS.computeIfAbsent(folder, f -> new Object());
    synchronized (monitor) {
      try (FileChannel channel =
          FileChannel.open(lockFile, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        FileLock lock = channel.tryLock();
        if (lock != null) {
          Files.deleteIfExists(lockFile);
          lock.release();
        }
      } catch (IOException | OverlappingFileLockException e) {
        // held, gone or not ours to open: left for a later write
      }
    }
  }

  /**
   * A folder owned through a lock this process holds, for as long as it is open: the next write in
   * its parent folder removes it once the process is gone ({@link #removeStale}), whatever its age.
   * Named {@code prefix + pid + "-" + counter + suffix}.
   */
  public static final class OwnedFolder implements AutoCloseable {
    private final Path path;
    private FileChannel channel;
    private FileLock lock;

    private OwnedFolder(Path path, FileChannel channel, FileLock lock) {
      this.path = path;
      this.channel = channel;
      this.lock = lock;
    }

    /** Removes stale staging in {@code parent}, then makes a new owned folder there. */
    public static OwnedFolder create(Path parent, String prefix, String suffix) throws IOException {
      removeStale(parent);
      Path made = null;
      for (int attempt = 0; made == null; attempt++) {
        Path candidate =
            parent.resolve(
                prefix
                    + ProcessHandle.current().pid()
                    + "-"
                    + COUNTER.incrementAndGet()
                    + "-"
                    + suffix);
        try {
          LIVE.add(candidate.toAbsolutePath().normalize());
          made = Files.createDirectory(candidate);
        } catch (java.nio.file.FileAlreadyExistsException e) {
          LIVE.remove(candidate.toAbsolutePath().normalize());
          if (attempt >= 100) {
            throw e;
          }
        } catch (IOException e) {
          LIVE.remove(candidate.toAbsolutePath().normalize());
          throw e;
        }
      }
      try {
        FileChannel channel =
            FileChannel.open(
                made.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        return new OwnedFolder(made, channel, channel.lock());
      } catch (IOException e) {
        deleteTree(made);
        LIVE.remove(made.toAbsolutePath().normalize());
        throw e;
      }
    }

    /** The folder. */
    public Path path() {
      return path;
    }

    /**
     * Releases the lock and removes its file, before the folder is renamed into place as a finished
     * output. Until the rename, the folder names this live process, so no other writer removes it.
     */
    public void disown() throws IOException {
      if (channel != null) {
        Files.deleteIfExists(path.resolve(OWNER_LOCK));
        lock.release();
        channel.close();
        channel = null;
      }
    }

    /** Releases the lock (if still held); the folder itself is its user's to remove or keep. */
    @Override
    public void close() {
      try {
        if (channel != null) {
          channel.close();
          channel = null;
        }
      } catch (IOException e) {
        // closing: nothing to recover
      }
      LIVE.remove(path.toAbsolutePath().normalize());
    }
  }

  /** Removes a folder and everything in it (links are removed, never followed); best effort. */
  public static void deleteTree(Path root) {
    // a writer thread may still add a file while the exit hook removes its folder: a few tries
    for (int attempt = 0;
        attempt < 20 && Files.exists(root, LinkOption.NOFOLLOW_LINKS);
        attempt++) {
      deleteTreeOnce(root);
    }
  }

  private static void deleteTreeOnce(Path root) {
    try {
      Files.walkFileTree(
          root,
          new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(
                Path file, java.nio.file.attribute.BasicFileAttributes attributes)
                throws IOException {
              Files.deleteIfExists(file);
              return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
              return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e)
                throws IOException {
              Files.deleteIfExists(dir);
              return java.nio.file.FileVisitResult.CONTINUE;
            }
          });
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
