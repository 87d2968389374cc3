package dev.onnxtie.model;

import com.google.protobuf.UnsafeByteOperations;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The commit of one {@link Staging} folder: its files renamed into the folder, data files first,
 * models last (the model rename is the commit point), the folder fsync'ed (or left to its {@link
 * Durability.Batch}), then the data files the replaced models read deleted once nothing reads them.
 * A data file whose name another writer took since the plan moves aside to a free name; an in-place
 * rewrite's data file goes back to its usual name where that is safe ({@link Staging.KeepName}).
 */
final class StagingCommit {
  private final Path folder;
  private final Path dir;

  /**
   * @param folder the folder the files go to
   * @param dir the staging folder they are in
   */
  StagingCommit(Path folder, Path dir) {
    this.folder = folder;
    this.dir = dir;
  }

  /**
   * Installs the staged files (see {@link Staging#commit(List, List, Set, Map, Staging.KeepName)}),
   * one commit at a time per folder in this process, under the folder's lock file where more than
   * one rename is needed.
   */
  String run(
      List<Path> data,
      List<Path> models,
      Set<String> superseded,
      Map<String, String> written,
      Staging.KeepName keep)
      throws IOException {
    Claims claims = Claims.in(folder);
    synchronized (claims != null ? claims : this) {
      return runClaimed(data, models, superseded, written, keep, claims);
    }
  }

  private String runClaimed(
      List<Path> data,
      List<Path> models,
      Set<String> superseded,
      Map<String, String> written,
      Staging.KeepName keep,
      Claims claims)
      throws IOException {
    synchronized (StaleStaging.monitor(folder)) {
      if (data.size() + models.size() == 1 && keep == null) {
        // one rename is atomic by itself: no folder lock
        install(data, models, superseded, written, null);
        return data.isEmpty() ? null : data.get(0).getFileName().toString();
      }
      try (FolderLock lock = FolderLock.take(folder.resolve(Staging.FOLDER_LOCK))) {
        TestPoints.at("locked");
        String dataName = data.size() == 1 ? data.get(0).getFileName().toString() : null;
        if (dataName != null
            && ((claims != null && claims.contains(dataName)) || isReadNow(dataName))) {
          // another writer installed a model that reads this name since the plan: never rename over
          // it
          Moved moved = moveAside(data.get(0), models, superseded, written, keep, claims);
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
      Path data, Set<String> superseded, Map<String, String> written, Staging.KeepName keep) {}

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
      Staging.KeepName keep,
      Claims claims)
      throws IOException {
    String taken = stagedData.getFileName().toString();
    String stem =
        taken.endsWith(".data") ? taken.substring(0, taken.length() - ".data".length()) : taken;
    String suffix = taken.endsWith(".data") ? ".data" : "";
    String free = null;
    for (int n = 1; n < 1000 && free == null; n++) {
      String candidate = stem + "." + n + suffix;
      if (!Files.exists(folder.resolve(candidate), LinkOption.NOFOLLOW_LINKS)
          && !Files.exists(dir.resolve(candidate), LinkOption.NOFOLLOW_LINKS)
          && (claims == null || !claims.contains(candidate))) {
        free = candidate;
      }
    }
    if (free == null) {
      throw new IOException("no free name for the data file beside " + taken);
    }
    Path moved = dir.resolve(free);
    Files.move(stagedData, moved);
    Staging.KeepName kept = keep;
    if (kept == null && models.size() == 1) {
      Path second = dir.resolve(Staging.KEEP_PREFIX + models.get(0).getFileName());
      Files.move(models.get(0), second);
      kept = new Staging.KeepName(taken, List.of(second));
    }
    for (Path model : models) {
      if (Files.exists(model, LinkOption.NOFOLLOW_LINKS)) {
        Files.move(model, dir.resolve(".relocate-" + model.getFileName()));
      }
      Path source =
          Files.exists(dir.resolve(".relocate-" + model.getFileName()))
              ? dir.resolve(".relocate-" + model.getFileName())
              : dir.resolve(Staging.KEEP_PREFIX + model.getFileName());
      ModelProto proto = readStaged(source);
      ModelIO.writeMessage(ModelIO.relocate(proto, taken, free), model);
      Files.deleteIfExists(dir.resolve(".relocate-" + model.getFileName()));
    }
    Set<String> nowSuperseded = new HashSet<>(superseded);
    Map<String, String> nowWritten = new HashMap<>();
    for (Path model : models) {
      String name = model.getFileName().toString();
      Set<String> reads = DataNames.locations(folder.resolve(name));
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

  private String keepName(String current, Staging.KeepName keep) throws IOException {
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
            folder.resolve(second.getFileName().toString().substring(Staging.KEEP_PREFIX.length()));
        keepAttributes(target, second);
        FileOps.move(second, target);
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
    Durability.fsyncFolder(folder);
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
          Files.readAttributes(replaced, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      var view =
          Files.getFileAttributeView(
              staged, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
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
      FileOps.move(file, target);
    }
    Runnable hook = Staging.betweenDataAndModelsForTests;
    if (hook != null) {
      hook.run();
    }
    TestPoints.at("data-renamed");
    for (Path file : models) {
      Path target = folder.resolve(file.getFileName().toString());
      keepAttributes(target, file);
      FileOps.move(file, target);
    }
    TestPoints.at("model-renamed");
    Durability.fsyncFolder(folder);
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
          Set<String> reads = DataNames.locations(model);
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
}
