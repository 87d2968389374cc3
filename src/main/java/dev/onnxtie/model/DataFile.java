package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An external data file being written: tensors are appended at aligned offsets. With
 * deduplication, a tensor whose bytes are already in the file (confirmed byte for byte) is not
 * written again; its earlier offset is returned.
 */
final class DataFile implements AutoCloseable {
  private record Stored(long offset, ByteString bytes) {}

  private final FileChannel channel;
  private final boolean deduplicate;
  private final Map<Long, List<Stored>> byHash = new HashMap<>();
  private long end;

  DataFile(Path file, boolean deduplicate) throws IOException {
    this.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
    this.deduplicate = deduplicate;
  }

  /** Places the bytes (or finds them already placed) and returns their offset. */
  long place(ByteString bytes, int alignment) throws IOException {
    long hash = 0;
    if (deduplicate) {
      hash = hash(bytes);
      for (Stored stored : byHash.getOrDefault(hash, List.of())) {
        if (stored.bytes().equals(bytes)) {
          return stored.offset();
        }
      }
    }
    long start = (end + alignment - 1) / alignment * alignment;
    long at = start;
    for (ByteBuffer chunk : bytes.asReadOnlyByteBufferList()) {
      while (chunk.hasRemaining()) {
        at += channel.write(chunk, at);
      }
    }
    end = start + bytes.size();
    if (deduplicate) {
      byHash.computeIfAbsent(hash, h -> new ArrayList<>()).add(new Stored(start, bytes));
    }
    return start;
  }

  private static long hash(ByteString bytes) {
    long h = 0x9E3779B97F4A7C15L ^ bytes.size();
    ByteBuffer view = Tensors.view(bytes);
    int longs = view.remaining() / 8;
    for (int i = 0; i < longs; i++) {
      h = (h ^ view.getLong(i * 8)) * 0xFF51AFD7ED558CCDL;
      h ^= h >>> 29;
    }
    for (int i = longs * 8; i < view.remaining(); i++) {
      h = (h ^ view.get(i)) * 0xC4CEB9FE1A85EC53L;
    }
    return h;
  }

  void force() throws IOException {
    channel.force(true);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
