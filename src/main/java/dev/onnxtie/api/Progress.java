package dev.onnxtie.api;

/** Receives progress of long work (one step per model file, per verification). */
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
}
