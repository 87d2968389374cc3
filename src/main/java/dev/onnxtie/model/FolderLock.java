package dev.onnxtie.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An exclusive lock on the folder's commit lock file that removes the file when released, so that
 * no lock file stays in an output folder. A waiter may wake holding the lock of a file already
 * removed; it then finds the path gone or holding another file (told by a size only it wrote: the
 * check must not open the path, since closing any descriptor of a file drops this process's locks
 * on it) and tries again.
 */
final class FolderLock implements AutoCloseable {
  private static final AtomicLong COUNTER = new AtomicLong();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private FolderLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock on {@code file} (created if missing), waiting while another writer holds it. */
  static FolderLock take(Path file) throws IOException {
    // a size of at most 1 MiB (sparse where the file system allows), mixed from pid, counter and
    // clock
    long mix =
        (ProcessHandle.current().pid() * 0x9E3779B97F4A7C15L + COUNTER.incrementAndGet())
                * 0xC2B2AE3D27D4EB4FL
            ^ System.nanoTime();
    long mark = 1 + ((mix ^ (mix >>> 29)) & ((1L << 20) - 1));
    while (true) {
      Object beforeOpen = keyOf(file);
      FileChannel channel =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS);
      Object afterOpen = keyOf(file);
      Object afterLock = null;
      try {
        FileLock lock = channel.lock();
        afterLock = keyOf(file);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(new byte[] {1}), mark - 1);
        long onPath;
        try {
          onPath = Files.size(file);
        } catch (NoSuchFileException e) {
          onPath = -1;
        }
        if (onPath == mark) {
          return new FolderLock(file, channel, lock);
        }
        channel.close(); // releases the lock of a file that is no longer the folder's lock file
      } catch (IOException | RuntimeException e) {
        // out of disk space for the mark, say: the file goes when the path is known to hold the
        // one locked here (the same file before the open, after it and after the lock); any other
        // leftover is removed by the next write in the folder (Staging.removeStale)
        if (afterLock != null
            && afterLock.equals(afterOpen)
            && (beforeOpen == null || beforeOpen.equals(afterOpen))) {
          try {
            Files.deleteIfExists(file);
          } catch (IOException again) {
            e.addSuppressed(again);
          }
        }
        channel.close();
        throw e;
      }
    }
  }

  private static Object keyOf(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /** Removes the lock file, then releases the lock (closing the channel). */
  @Override
  public void close() throws IOException {
    try {
      Files.deleteIfExists(file);
    } finally {
      channel.close();
    }
  }
}
