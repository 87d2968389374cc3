package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.onnxtie.OnnxTieException;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.util.function.Function;

/**
 * The raw little-endian bytes of one tensor, of any size (a {@code ByteBuffer} or {@code
 * ByteString} stops at 2 GiB). The bytes are read-only views, usually of a memory-mapped file, cut
 * into chunks of {@code 2^shift} bytes counted from the tensor's first byte (only the last chunk is
 * shorter). Chunks are a multiple of 16 bytes, so an element of a power-of-two width (1 to 16
 * bytes) read at a multiple of its width never straddles two chunks. Nothing is copied.
 */
public final class TensorBytes {
  /** Chunk size exponent of new views: 1 GiB; tests lower it to exercise chunk boundaries. */
  static final int DEFAULT_CHUNK_SHIFT = 30;

  private static volatile int chunkShift = DEFAULT_CHUNK_SHIFT;

  /**
   * Writes go to files in slices of this many bytes (one call per multi-GB buffer costs seconds of
   * CPU).
   */
  static final int WRITE_SLICE = 1 << 20;

  private static final TensorBytes EMPTY =
      new TensorBytes(new ByteBuffer[0], DEFAULT_CHUNK_SHIFT, 0);

  private final ByteBuffer[] chunks;

  /**
   * Typed views of the chunks, made on first use (absolute reads only, so threads may share them).
   */
  private final ShortBuffer[] shortViews;

  private final IntBuffer[] intViews;
  private final LongBuffer[] longViews;
  private final int shift;
  private final long mask;
  private final long size;

  /**
   * The open file whose range these bytes are a mapping of, or null: writes then copy in the
   * kernel.
   */
  private final FileChannel source;

  private final long sourceOffset;

  private TensorBytes(ByteBuffer[] chunks, int shift, long size) {
    this(chunks, shift, size, null, 0);
  }

  private TensorBytes(
      ByteBuffer[] chunks, int shift, long size, FileChannel source, long sourceOffset) {
    this.source = source;
    this.sourceOffset = sourceOffset;
    this.chunks = chunks;
    this.shortViews = new ShortBuffer[chunks.length];
    this.intViews = new IntBuffer[chunks.length];
    this.longViews = new LongBuffer[chunks.length];
    this.shift = shift;
    this.mask = (1L << shift) - 1;
    this.size = size;
  }

  /** The chunk size exponent of new views. */
  static int chunkShift() {
    return chunkShift;
  }

  /** Sets the chunk size of new views to {@code 2^shift} bytes (16 to 2^30); for tests. */
  static void setChunkShift(int shift) {
    if (shift < 4 || shift > DEFAULT_CHUNK_SHIFT) {
      throw new IllegalArgumentException("chunk shift " + shift);
    }
    chunkShift = shift;
  }

  /** A view of a buffer's remaining bytes, cut into chunks; the buffer itself is not changed. */
  public static TensorBytes of(ByteBuffer buffer) {
    return of(buffer, chunkShift);
  }

  /**
   * A view of a buffer's remaining bytes cut into chunks of {@code 2^shift} bytes (4 to 30): small
   * chunks let tests cross chunk boundaries without gigabytes of data.
   */
  public static TensorBytes of(ByteBuffer buffer, int shift) {
    if (shift < 4 || shift > DEFAULT_CHUNK_SHIFT) {
      throw new IllegalArgumentException("chunk shift " + shift);
    }
    ByteBuffer whole = buffer.slice();
    int length = whole.remaining();
    if (length == 0) {
      return EMPTY;
    }
    int count = (int) ((length + (1L << shift) - 1) >>> shift);
    ByteBuffer[] chunks = new ByteBuffer[count];
    for (int i = 0; i < count; i++) {
      int start = (int) ((long) i << shift);
      int end = (int) Math.min(length, (long) start + (1L << shift));
      chunks[i] = whole.slice(start, end - start).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
    return new TensorBytes(chunks, shift, length);
  }

  /** A view of a byte string (aliased when it is a view of a mapping, as parsed raw_data is). */
  public static TensorBytes of(ByteString bytes) {
    return of(bytes.asReadOnlyByteBuffer());
  }

  /**
   * Maps {@code length} bytes of a file from {@code offset}, one mapping per chunk.
   *
   * @throws IOException when the file cannot be mapped
   */
  static TensorBytes map(FileChannel channel, long offset, long length) throws IOException {
    if (length == 0) {
      return EMPTY;
    }
    int shift = chunkShift;
    long count = (length + (1L << shift) - 1) >>> shift;
    ByteBuffer[] chunks = new ByteBuffer[Math.toIntExact(count)];
    for (int i = 0; i < chunks.length; i++) {
      long start = (long) i << shift;
      long end = Math.min(length, start + (1L << shift));
      chunks[i] =
          channel
              .map(FileChannel.MapMode.READ_ONLY, offset + start, end - start)
              .order(ByteOrder.LITTLE_ENDIAN);
    }
    return new TensorBytes(chunks, shift, length, channel, offset);
  }

  /**
   * The same view, known to be a mapping of {@code channel} from {@code offset}: {@link #writeTo}
   * then has the kernel copy the file range (no page of it is faulted into this process).
   */
  TensorBytes inFile(FileChannel channel, long offset) {
    return size == 0 ? this : new TensorBytes(chunks, shift, size, channel, offset);
  }

  /** Number of bytes. */
  public long size() {
    return size;
  }

  /** Number of chunks. */
  public int chunkCount() {
    return chunks.length;
  }

  /** Chunk {@code i} as a fresh read-only little-endian view (position 0). */
  public ByteBuffer chunk(int i) {
    return chunks[i].duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Chunk size exponent: chunk {@code i} starts at byte {@code i << shift()}. */
  public int shift() {
    return shift;
  }

  /** Byte at {@code at}. */
  public byte get(long at) {
    return chunks[(int) (at >>> shift)].get((int) (at & mask));
  }

  /** Little-endian short at {@code at}. */
  public short getShort(long at) {
    ByteBuffer chunk = chunks[(int) (at >>> shift)];
    int offset = (int) (at & mask);
    return offset + 2 <= chunk.limit() ? chunk.getShort(offset) : (short) slow(at, 2);
  }

  /** Little-endian int at {@code at}. */
  public int getInt(long at) {
    ByteBuffer chunk = chunks[(int) (at >>> shift)];
    int offset = (int) (at & mask);
    return offset + 4 <= chunk.limit() ? chunk.getInt(offset) : (int) slow(at, 4);
  }

  /** Little-endian long at {@code at}. */
  public long getLong(long at) {
    ByteBuffer chunk = chunks[(int) (at >>> shift)];
    int offset = (int) (at & mask);
    return offset + 8 <= chunk.limit() ? chunk.getLong(offset) : slow(at, 8);
  }

  /** A value that straddles two chunks (only at an offset that is not a multiple of its width). */
  private long slow(long at, int width) {
    check(at, width);
    long value = 0;
    for (int i = width - 1; i >= 0; i--) {
      value = value << 8 | (get(at + i) & 0xFF);
    }
    return value;
  }

  /** Copies {@code length} bytes from {@code at} into {@code target} at {@code offset}. */
  public void get(long at, byte[] target, int offset, int length) {
    copy(at, 1, length, chunks, chunk -> chunk, ByteBuffer::get, target, offset);
  }

  /**
   * Copies {@code count} little-endian shorts from byte {@code at}, a multiple of 2, into {@code
   * target} (one bulk copy per chunk touched: no per-element calls).
   */
  public void getShorts(long at, short[] target, int offset, int count) {
    copy(at, 2, count, shortViews, ByteBuffer::asShortBuffer, ShortBuffer::get, target, offset);
  }

  /** {@link #getShorts} for little-endian ints; {@code at} is a multiple of 4. */
  public void getInts(long at, int[] target, int offset, int count) {
    copy(at, 4, count, intViews, ByteBuffer::asIntBuffer, IntBuffer::get, target, offset);
  }

  /** {@link #getShorts} for little-endian longs; {@code at} is a multiple of 8. */
  public void getLongs(long at, long[] target, int offset, int count) {
    copy(at, 8, count, longViews, ByteBuffer::asLongBuffer, LongBuffer::get, target, offset);
  }

  /**
   * One bulk copy of {@code n} elements from element {@code from} of a typed view into {@code
   * target} at {@code offset}.
   */
  private interface BulkCopy<V, A> {
    V copy(V view, int from, A target, int offset, int n);
  }

  /**
   * Copies {@code count} elements of {@code width} bytes from byte {@code at}, chunk by chunk,
   * through views made once per chunk (the chunks themselves for bytes).
   */
  private <V extends Buffer, A> void copy(
      long at,
      int width,
      int count,
      V[] views,
      Function<ByteBuffer, V> make,
      BulkCopy<V, A> bulk,
      A target,
      int offset) {
    check(at, (long) count * width);
    int done = 0;
    while (done < count) {
      long position = at + (long) done * width;
      int c = (int) (position >>> shift);
      V view = views[c];
      if (view == null) {
        view = views[c] = make.apply(chunk(c));
      }
      int from = (int) (position & mask) / width;
      int n = Math.min(count - done, view.limit() - from);
      bulk.copy(view, from, target, offset + done, n);
      done += n;
    }
  }

  private void check(long at, long length) {
    if (at < 0 || length < 0 || at + length > size) {
      throw new IndexOutOfBoundsException("bytes " + at + ".." + (at + length) + " of " + size);
    }
  }

  /** True when both hold the same bytes. */
  public boolean contentEquals(TensorBytes other) {
    return size == other.size && rangeEquals(0, other, 0, size);
  }

  /** True when {@code length} bytes from {@code at} equal {@code other}'s from {@code otherAt}. */
  public boolean rangeEquals(long at, TensorBytes other, long otherAt, long length) {
    long done = 0;
    while (done < length) {
      long p = at + done;
      long q = otherAt + done;
      ByteBuffer x = chunks[(int) (p >>> shift)];
      ByteBuffer y = other.chunks[(int) (q >>> other.shift)];
      int xFrom = (int) (p & mask);
      int yFrom = (int) (q & other.mask);
      int n = (int) Math.min(length - done, Math.min(x.limit() - xFrom, y.limit() - yFrom));
      if (x.slice(xFrom, n).mismatch(y.slice(yFrom, n)) != -1) {
        return false;
      }
      done += n;
    }
    return true;
  }

  /**
   * The bytes as one {@code ByteString} (chunks concatenated, not copied), for a protobuf field.
   *
   * @throws OnnxTieException (bad input) past protobuf's 2 GiB limit of one field
   */
  public ByteString toByteString(String tensor) {
    if (size > Integer.MAX_VALUE) {
      throw OnnxTieException.badInput(
          "tensor '"
              + tensor
              + "' has "
              + size
              + " bytes, more than one protobuf field holds (2 GiB); write the model with external data");
    }
    ByteString joined = ByteString.EMPTY;
    for (ByteBuffer chunk : chunks) {
      joined = joined.concat(UnsafeByteOperations.unsafeWrap(chunk.duplicate()));
    }
    return joined;
  }

  /**
   * Writes all bytes to {@code channel} from {@code position}, in slices of {@value #WRITE_SLICE}
   * bytes.
   */
  void writeTo(FileChannel channel, long position) throws IOException {
    if (source != null) {
      transfer(source, sourceOffset, size, channel, position);
      return;
    }
    long at = position;
    for (ByteBuffer chunk : chunks) {
      for (int from = 0; from < chunk.limit(); from += WRITE_SLICE) {
        ByteBuffer slice = chunk.slice(from, Math.min(WRITE_SLICE, chunk.limit() - from));
        while (slice.hasRemaining()) {
          at += channel.write(slice, at);
        }
      }
    }
  }

  /**
   * Copies {@code length} bytes of {@code from} at {@code offset} to {@code to} at {@code at} in
   * the kernel ({@link FileChannel#transferTo}: copy_file_range or sendfile on Linux), without
   * mapping or reading them into this process.
   *
   * @throws IOException when {@code from} ends before the range does (it shrank) or a copy fails
   */
  static void transfer(FileChannel from, long offset, long length, FileChannel to, long at)
      throws IOException {
    synchronized (
        to) { // transferTo writes at the target's position: one writer at a time sets and uses it
      long done = 0;
      while (done < length) {
        to.position(at + done);
        long moved = from.transferTo(offset + done, length - done, to);
        if (moved <= 0) {
          throw new IOException(
              "the source file ended " + (length - done) + " bytes before the tensor's end");
        }
        done += moved;
      }
    }
  }

  /**
   * A 64-bit hash of the bytes, read straight from the chunks (equal bytes give equal hashes,
   * whatever the chunking). Unlike {@link #hashCode()}, which is identity, it depends on the
   * content only.
   */
  public long contentHash() {
    long h = 0x9E3779B97F4A7C15L ^ size;
    long longs = size / 8;
    for (int c = 0; c < chunks.length; c++) {
      ByteBuffer chunk = chunks[c];
      long base = (long) c << shift;
      int inChunk = (int) Math.min(chunk.limit() / 8, longs - base / 8);
      for (int i = 0; i < inChunk; i++) {
        h = (h ^ chunk.getLong(i * 8)) * 0xFF51AFD7ED558CCDL;
        h ^= h >>> 29;
      }
    }
    for (long i = longs * 8; i < size; i++) {
      h = (h ^ get(i)) * 0xC4CEB9FE1A85EC53L;
    }
    return h;
  }
}
