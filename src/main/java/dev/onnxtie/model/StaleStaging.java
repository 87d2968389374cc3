package dev.onnxtie.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What writers that are gone left beside their outputs, and which of it is still a live writer's:
 * staging folders of this process are never opened (closing a descriptor drops the process's locks
 * on the file), others are removed once their owner lock is free.
 */
public final class StaleStaging {
  /** One monitor per folder: commits of this process in that folder run one at a time. */
  private static final Map<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

  /**
   * Staging folders of this process: never opened by removeStale (closing a channel drops the
   * process's locks).
   */
  static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  private StaleStaging() {}

  /** The monitor of this process's commits into {@code folder}. */
  static Object monitor(Path folder) {
    return IN_PROCESS.computeIfAbsent(folder, f -> new Object());
  }

  /** True when {@code folder} is a staging folder this process made and still owns. */
  static boolean isLive(Path folder) {
    return LIVE.contains(folder.toAbsolutePath().normalize());
  }

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
    boolean ours = name.startsWith(ModelIO.TEMP_PREFIX) || name.startsWith(Staging.FOLDER_PREFIX);
    if (!ours || LIVE.contains(entry.toAbsolutePath().normalize())) {
      return;
    }
    if (name.equals(Staging.FOLDER_LOCK)) {
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
    Path lockFile = entry.resolve(Staging.OWNER_LOCK);
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
      } catch (OverlappingFileLockException | NoSuchFileException e) {
        return; // held by a writer in this process, or gone
      }
      // nobody holds it: the owner is gone, or runs and has made the file but not locked it yet
      if (!ownerRuns || age > 10_000) {
        FileOps.deleteTree(entry);
      }
    } else if (!ownerRuns || age > 60_000) {
      FileOps.deleteTree(
          entry); // killed before it took its lock, or (a minute on) not a live writer's
    }
  }

  /**
   * The id of the process that made a staging entry, from its name ({@code .onnx-tie-tmp-PID-N},
   * {@code .onnx-tie-tmp-copy-PID-...}, {@code .onnx-tie-folder-PID-N-...}), or -1 where the name
   * holds none.
   */
  static long ownerPid(String name) {
    String rest =
        name.startsWith(Staging.FOLDER_PREFIX)
            ? name.substring(Staging.FOLDER_PREFIX.length())
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
    synchronized (monitor(folder)) {
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
}
