package dev.onnxtie.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Removes the files ONNX Runtime's telemetry writes when its environment is created. From 1.29 the
 * Linux build carries Microsoft's telemetry SDK, which writes {@code $TMPDIR/.ses} (a session file)
 * and an empty {@code mat-debug-PID.log} for every process before {@code setTelemetry(false)} can
 * be called. A verification leaves nothing behind: at exit this process's log goes, and the session
 * file goes too when it was not there before this process started ONNX Runtime.
 */
final class TelemetryFiles {
  private static boolean registered;
  private static Path log;
  private static Path newSession;

  private TelemetryFiles() {}

  /** Call before ONNX Runtime's environment is created; the files go when this process exits. */
  static synchronized void removeAtExit() {
    if (registered) {
      return;
    }
    registered = true;
    Path folder = folder();
    Path session = folder.resolve(".ses");
    boolean sessionExisted = Files.exists(session, LinkOption.NOFOLLOW_LINKS);
    log = folder.resolve("mat-debug-" + ProcessHandle.current().pid() + ".log");
    newSession = sessionExisted ? null : session;
    try {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(TelemetryFiles::removeNow, "onnx-tie-telemetry-files"));
    } catch (IllegalStateException e) {
      // already shutting down: nothing more is created either
    }
  }

  /** Where ONNX Runtime writes them: {@code $TMPDIR}, else {@code /tmp}. */
  static Path folder() {
    String tmp = System.getenv("TMPDIR");
    return Path.of(tmp == null || tmp.isEmpty() ? "/tmp" : tmp);
  }

  /** Removes them now: for a process that ends with {@code halt}, which runs no shutdown hook. */
  static synchronized void removeNow() {
    if (log != null) {
      remove(log, newSession);
    }
  }

  private static void remove(Path log, Path session) {
    try {
      if (Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS) && Files.size(log) == 0) {
        Files.deleteIfExists(log);
      }
      if (session != null && Files.isRegularFile(session, LinkOption.NOFOLLOW_LINKS)) {
        Files.deleteIfExists(session);
      }
    } catch (IOException e) {
      // best effort at exit: a leftover empty log is harmless
    }
  }
}
