package dev.onnxtie.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A folder owned through a lock this process holds, for as long as it is open: the next write in
 * its parent folder removes it once the process is gone ({@link StaleStaging#removeStale}),
 * whatever its age. Named {@code prefix + pid + "-" + counter + suffix}.
 */
public final class OwnedFolder implements AutoCloseable {
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
    StaleStaging.removeStale(parent);
    Path made = null;
    for (int attempt = 0; made == null; attempt++) {
      Path candidate =
          parent.resolve(
              prefix + ProcessHandle.current().pid() + "-" + Staging.nextId() + "-" + suffix);
      try {
        StaleStaging.LIVE.add(candidate.toAbsolutePath().normalize());
        made = Files.createDirectory(candidate);
      } catch (FileAlreadyExistsException e) {
        StaleStaging.LIVE.remove(candidate.toAbsolutePath().normalize());
        if (attempt >= 100) {
          throw e;
        }
      } catch (IOException e) {
        StaleStaging.LIVE.remove(candidate.toAbsolutePath().normalize());
        throw e;
      }
    }
    try {
      FileChannel channel =
          FileChannel.open(
              made.resolve(Staging.OWNER_LOCK),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE);
      return new OwnedFolder(made, channel, channel.lock());
    } catch (IOException e) {
      FileOps.deleteTree(made);
      StaleStaging.LIVE.remove(made.toAbsolutePath().normalize());
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
      Files.deleteIfExists(path.resolve(Staging.OWNER_LOCK));
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
    StaleStaging.LIVE.remove(path.toAbsolutePath().normalize());
    Claims.forget(path);
  }
}
