package dev.onnxtie.model;

import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Touches every page of a model's large tensors on a background thread. The first read of a page of
 * a memory-mapped file is a page fault (on the machines measured, 130 ms for the 75,000 pages of a
 * 300 MB model, against 17 ms to read the same bytes once they are mapped); taken on another core,
 * they overlap the main thread's parsing, validation and comparisons instead of stalling them. Only
 * for commands that read every tensor byte anyway (a rewrite writes them all), so it adds neither
 * memory nor disk reads. Reads nothing when there is one core.
 */
public final class Prefault {
  /** Tensors smaller than this are left to the main thread (their faults are few). */
  static final long MIN_BYTES = 1 << 20;

  private static final int PAGE = 4096;

  private Prefault() {}

  /**
   * Starts touching the pages of the main graph's initializers of at least {@value #MIN_BYTES}
   * bytes that are stored in external data files (a model file's own pages are touched from its
   * reading on: {@link ModelIO#read(java.nio.file.Path, boolean)}).
   */
  public static void externalData(OnnxModel model) {
    List<TensorBytes> views = new ArrayList<>();
    for (TensorProto tensor : model.proto().getGraph().getInitializerList()) {
      if (Tensors.isExternal(tensor)
          && Tensors.hasKnownType(tensor)
          && Tensors.dataType(tensor).isFixedSize()
          && Tensors.byteSize(tensor) >= MIN_BYTES) {
        views.add(model.tensorBytes(tensor));
      }
    }
    start(views);
  }

  /** Starts touching the pages of a mapped model file. */
  static void file(ByteBuffer mapped) {
    if (mapped.remaining() >= MIN_BYTES) {
      start(List.of(TensorBytes.of(mapped)));
    }
  }

  private static void start(List<TensorBytes> views) {
    if (views.isEmpty() || Runtime.getRuntime().availableProcessors() < 2) {
      return;
    }
    Thread toucher = new Thread(() -> touch(views), "onnx-tie-prefault");
    toucher.setDaemon(true);
    toucher.start();
  }

  /**
   * Reads one byte of every page; false when a file shrank under its mapping (the main thread's own
   * reads report that).
   */
  static boolean touch(List<TensorBytes> views) {
    try {
      long sum = 0;
      for (TensorBytes view : views) {
        for (long at = 0; at < view.size(); at += PAGE) {
          sum += view.get(at);
        }
      }
      sink = sum;
      return true;
    } catch (InternalError | RuntimeException e) {
      return false;
    }
  }

  /** Keeps the reads from being optimized away. */
  @SuppressWarnings("unused")
  private static volatile long sink;
}
