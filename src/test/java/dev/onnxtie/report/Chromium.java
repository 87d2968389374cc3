package dev.onnxtie.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's headless Chromium (run-tests installs it) opening a page from disk: its DOM after
 * parsing, a screenshot, and the console messages it logged (CSP refusals, script errors).
 */
final class Chromium {
  private Chromium() {}

  /** What one run gave: the DOM (or empty), and the console lines of its log. */
  record Page(String dom, List<String> console) {}

  /**
   * Opens {@code html}, dumping its DOM and, with {@code screenshot} not null, taking a screenshot
   * in the same run.
   */
  static Page open(Path html, Path screenshot, Path scratch)
      throws IOException, InterruptedException {
    List<String> modes = new ArrayList<>(List.of("--dump-dom"));
    if (screenshot != null) {
      Files.createDirectories(screenshot.toAbsolutePath().getParent());
      modes.add("--screenshot=" + screenshot.toAbsolutePath());
    }
    return run(html, modes, scratch);
  }

  private static Page run(Path html, List<String> modes, Path scratch)
      throws IOException, InterruptedException {
    Path profile =
        Files.createDirectories(scratch.resolve("profile")); // a new, empty profile each time
    List<String> command =
        new ArrayList<>(
            List.of(
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1200,1500",
                "--hide-scrollbars"));
    command.addAll(modes);
    command.add(html.toUri().toString());
    Path out = scratch.resolve("stdout");
    Path err = scratch.resolve("stderr");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("chromium did not finish in 60 s: " + command);
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "chromium exited with " + process.exitValue() + ": " + Files.readString(err));
    }
    List<String> console =
        Files.readAllLines(err).stream().filter(line -> line.contains(":CONSOLE")).toList();
    return new Page(Files.readString(out), console);
  }
}
