package dev.onnxtie.cli;

import dev.onnxtie.Units;
import dev.onnxtie.api.Progress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress on a terminal: one status line on stderr, redrawn in place (the phase, bytes done while
 * finding duplicates, the elapsed time, ticking once a second), cleared before anything else is
 * printed, and at the end one verdict line. Only used when stderr is a terminal (see {@link
 * #stderrIsTerminal()}); {@code --quiet} turns it off.
 */
final class TerminalProgress implements Progress {
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter err;
  private final long start = System.nanoTime();
  private final boolean eraseCode;
  private final int width;
  private String step = "";
  private String phase = "";
  private boolean phaseFromStep;
  private String detail = "";
  private int shown;
  private long lastDraw;
  private Thread ticker;
  private boolean closed;

  /**
   * @param err the terminal's stream
   * @param eraseCode whether the terminal understands "erase to end of line" ({@code ESC [K}); a
   *     dumb terminal gets spaces instead
   * @param width the terminal's width: the line is cut to fit, so that it never wraps
   */
  TerminalProgress(PrintWriter err, boolean eraseCode, int width) {
    this.err = err;
    this.eraseCode = eraseCode;
    this.width = Math.max(20, width);
  }

  /** For this process's terminal: {@code TERM} and {@code COLUMNS} from the environment. */
  static TerminalProgress forTerminal(PrintWriter err) {
    String term = System.getenv("TERM");
    int columns = 80;
    try {
      columns = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "80").trim());
    } catch (NumberFormatException e) {
      // keep 80
    }
    TerminalProgress progress =
        new TerminalProgress(err, term == null || !term.equals("dumb"), columns);
    active = progress;
    return progress;
  }

  /**
   * The progress line of this process's terminal, for the Ctrl-C hook; null before there is one.
   */
  private static volatile TerminalProgress active;

  /**
   * Ends this process's progress line, if there is one: what Ctrl-C does before it says
   * "interrupted".
   */
  static void finishActive() {
    TerminalProgress progress = active;
    if (progress != null) {
      progress.finish();
    }
  }

  /**
   * Whether this process's stderr (not stdout) is a terminal. The launcher says so ({@code
   * -Donnxtie.stderr.terminal}, from {@code [ -t 2 ]}); without it, where fd 2 leads on Linux;
   * elsewhere, whether Java sees a console.
   */
  static boolean stderrIsTerminal() {
    String hint = System.getProperty("onnxtie.stderr.terminal");
    if (hint != null) {
      return hint.equals("true");
    }
    Path fd = Path.of("/proc/self/fd/2");
    try {
      if (Files.isSymbolicLink(fd)) {
        String target = Files.readSymbolicLink(fd).toString();
        return target.startsWith("/dev/pts/")
            || target.startsWith("/dev/tty")
            || target.equals("/dev/console");
      }
    } catch (IOException | SecurityException e) {
      // fall through
    }
    return System.console() != null;
  }

  @Override
  public synchronized void step(String what, int done, int total) {
    step = total > 1 ? "[" + done + "/" + total + " done] " : "";
    if (phase.isEmpty() || phaseFromStep) {
      // commands without phases (inspect, check of a folder): the file just finished
      phase = "finished " + Path.of(what).getFileName();
      phaseFromStep = true;
    }
    draw(true);
    startTicker();
  }

  @Override
  public synchronized void phase(String what) {
    phase = what;
    phaseFromStep = false;
    detail = "";
    draw(true);
    startTicker();
  }

  @Override
  public synchronized void bytes(long done, long total) {
    detail =
        Units.bytes(done)
            + " of "
            + Units.bytes(total)
            + (total > 0 ? " (" + (100 * done / total) + "%)" : "");
    draw(done == total);
  }

  /** Clears the status line: call before printing anything else on the terminal. */
  synchronized void clear() {
    if (shown > 0) {
      err.print(eraseCode ? "\r\033[K" : "\r" + " ".repeat(shown) + "\r");
      err.flush();
      shown = 0;
    }
  }

  /** Clears the status line for good and prints the verdict with the elapsed time. */
  synchronized void verdict(String text) {
    finish();
    err.println(text + ", " + elapsed());
    err.flush();
  }

  /** Clears the status line for good: nothing is drawn after this. */
  synchronized void finish() {
    closed = true;
    clear();
    if (ticker != null) {
      ticker.interrupt();
    }
  }

  /** The seconds since the start, as people read them: 0.4 s, 23 s, 2 min 5 s. */
  synchronized String elapsed() {
    double seconds = (System.nanoTime() - start) / 1e9;
    if (seconds < 10) {
      return String.format(Locale.ROOT, "%.1f s", seconds);
    }
    long whole = Math.round(seconds);
    return whole < 60 ? whole + " s" : whole / 60 + " min " + whole % 60 + " s";
  }

  private void draw(boolean force) {
    long now = System.nanoTime();
    if (closed || phase.isEmpty() && step.isEmpty() || !force && now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    String line = step + phase + (detail.isEmpty() ? "" : "  " + detail) + "  " + elapsed();
    if (line.length() > width - 1) {
      line = line.substring(0, width - 4) + "...";
    }
    int previous = shown;
    err.print(
        "\r" + line + (eraseCode ? "\033[K" : " ".repeat(Math.max(0, previous - line.length()))));
    err.flush();
    shown = line.length();
  }

  /** Redraws once a second, so that the elapsed time moves while one long phase runs. */
  private void startTicker() {
    if (ticker != null || closed) {
      return;
    }
    ticker =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  Thread.sleep(1000);
                  synchronized (this) {
                    draw(true);
                  }
                }
              } catch (InterruptedException e) {
                // finished
              }
            },
            "onnx-tie-progress");
    ticker.setDaemon(true);
    ticker.start();
  }
}
