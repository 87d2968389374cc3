package dev.onnxtie.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An external data file being written: tensors are appended at aligned offsets. With deduplication,
 * a tensor whose bytes are already in the file (confirmed byte for byte) is not written again; its
 * earlier offset is returned.
 */
final class DataFile implements AutoCloseable {
  private record Stored(long offset, TensorBytes bytes) {}

  private final Path file;
  private final FileChannel channel;
  private final boolean deduplicate;
  private final Map<Long, List<Stored>> byHash = new HashMap<>();
  private long end;

  DataFile(Path file, boolean deduplicate) throws IOException {
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
    this.deduplicate = deduplicate;
  }

  /**
   * A data file that only lays tensors out (offsets and size as a write would give them), writing
   * nothing.
   */
  DataFile(boolean deduplicate) {
    this.file = null;
    this.channel = null;
    this.deduplicate = deduplicate;
  }

  /** The file's size: the end of its last tensor. */
  long size() {
    return end;
  }

  /** Places the bytes (or finds them already placed) and returns their offset. */
  long place(TensorBytes bytes, int alignment) throws IOException {
    long hash = 0;
    if (deduplicate) {
      hash = bytes.contentHash();
      for (Stored stored : byHash.getOrDefault(hash, List.of())) {
        if (stored.bytes().contentEquals(bytes)) {
          return stored.offset();
        }
      }
    }
    long start = (end + alignment - 1) / alignment * alignment;
    if (channel != null) {
      bytes.writeTo(channel, start);
    }
    end = start + bytes.size();
    if (deduplicate) {
      byHash.computeIfAbsent(hash, h -> new ArrayList<>()).add(new Stored(start, bytes));
    }
    return start;
  }

  void force() throws IOException {
    if (channel != null) {
      Durability.force(channel, file);
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}
