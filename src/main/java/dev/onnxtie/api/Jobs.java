package dev.onnxtie.api;

/**
 * How many models commands over several models work on at a time when the caller does not say
 * ({@code --jobs auto}).
 */
public final class Jobs {
  private Jobs() {}

  /**
   * The most models at a time that {@link #auto} gives: past a few, a folder rewrite waits on its
   * file system rather than its cores, and each model at work holds its built output in memory.
   */
  public static final int MAX_AUTO = 4;

  /**
   * One per processor this JVM may use (a container's CPU limit counts), at most {@link #MAX_AUTO};
   * one when {@code verifying} (ONNX Runtime uses every core for each model already, and two
   * sessions at once would double the peak memory).
   */
  public static int auto(boolean verifying) {
    return auto(verifying, Runtime.getRuntime().availableProcessors());
  }

  static int auto(boolean verifying, int processors) {
    return verifying ? 1 : Math.max(1, Math.min(processors, MAX_AUTO));
  }
}
