package dev.onnxtie.api;

/**
 * Receives progress of long work: one step per model file of a folder, and within a model the
 * phases (reading, finding duplicates with bytes done, writing, verifying: session A, session B,
 * run k of N). Calls may come from several threads at once ({@code --jobs}).
 */
@FunctionalInterface
public interface Progress {
  /** Ignores everything. */
  Progress NONE = (what, done, total) -> {};

  /**
   * Reports that step {@code done} of {@code total} finished.
   *
   * @param what a short description, e.g. the file name
   */
  void step(String what, int done, int total);

  /** A phase of the work on one model began, e.g. "reading model.onnx", "verifying: run 1 of 3". */
  default void phase(String what) {}

  /**
   * Bytes of the current phase done, of {@code total} (finding duplicates reads every tensor once).
   */
  default void bytes(long done, long total) {}
}
