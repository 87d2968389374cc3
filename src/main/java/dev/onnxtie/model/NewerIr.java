package dev.onnxtie.model;

/**
 * Whether models of an IR version newer than this tool knows are read ({@code --allow-newer-ir}).
 * By default they are refused with one line. Allowed, such a model is read and written with every
 * field this tool does not know kept as it was (protobuf-java keeps unknown fields, byte for byte),
 * and a tensor whose data_type this tool does not know is carried along untouched: never checked
 * against its dims, never tied, never moved to external data.
 *
 * <p>The setting is process-wide (a command sets it for its run, through {@link #allow}); library
 * callers that read such models set it the same way.
 */
public final class NewerIr {
  private static volatile boolean allowed;

  private NewerIr() {}

  /** A setting in force until closed; closing restores the one before. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** True while models newer than this tool are read. */
  public static boolean allowed() {
    return allowed;
  }

  /** Reads models newer than this tool (when {@code allow}) until the scope is closed. */
  public static Scope allow(boolean allow) {
    boolean before = allowed;
    allowed = allow;
    return () -> allowed = before;
  }
}
