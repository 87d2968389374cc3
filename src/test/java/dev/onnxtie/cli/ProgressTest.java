package dev.onnxtie.cli;

import static dev.onnxtie.TestJvm.CLASS_PATH;
import static dev.onnxtie.TestJvm.JAVA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Pty;
import dev.onnxtie.TestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress on stderr when it is a terminal: run under a pseudo-terminal (python3's {@code pty}),
 * the real CLI in its own JVM, with stdout and stderr each either the terminal or a file.
 */
class ProgressTest {
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");

  @TempDir Path dir;

  record Terminal(int code, String screen) {}

  /**
   * Runs the CLI with a shell redirection ({@code > file} or {@code 2> file}) on a pseudo-terminal.
   */
  Terminal onTerminal(String redirect, String... args) throws Exception {
    StringBuilder command =
        new StringBuilder("CLASSPATH=\"$CP\" exec '" + JAVA + "' dev.onnxtie.cli.OnnxTieCli");
    for (String arg : args) {
      command.append(" '").append(arg).append("'");
    }
    command.append(' ').append(redirect);
    ProcessBuilder builder =
        new ProcessBuilder(Pty.command(List.of("bash", "-c", command.toString())))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("screen").toFile());
    builder.environment().put("CP", CLASS_PATH);
    builder.environment().put("TERM", "xterm");
    Process process = builder.start();
    assertTrue(process.waitFor(180, TimeUnit.SECONDS), "timed out");
    return new Terminal(
        process.exitValue(), Files.readString(dir.resolve("screen"), StandardCharsets.UTF_8));
  }

  @Test
  void rewriteShowsItsPhasesOnStderrAndEndsWithOneVerdict() throws Exception {
    Path out = dir.resolve("tied.onnx");
    Path report = dir.resolve("report.txt");
    Terminal terminal =
        onTerminal("> '" + report + "'", "rewrite", GPT2.toString(), out.toString(), "--verify");
    assertEquals(0, terminal.code(), terminal.screen());
    String screen = terminal.screen();
    for (String phase :
        List.of(
            "reading model.onnx",
            "finding duplicates in model.onnx",
            "of 907.0 KiB (",
            "writing tied.onnx",
            "verifying tied.onnx: session A (model.onnx)",
            "session B",
            "verifying tied.onnx: run 1 of 1")) {
      assertTrue(screen.contains(phase), phase + " in " + screen);
    }
    assertTrue(screen.contains("\r\033[K"), "each redraw and the end clear the line");
    // the last thing on the terminal: the status line cleared, then the verdict with the elapsed
    // time
    assertTrue(
        screen.matches(
            "(?s).*\r\033\\[KOK: 1 tie, 250\\.0 KiB saved, outputs bitwise identical, \\d+(\\.\\d)? s\r?\n$"),
        screen);
    // stdout (a file) has the report and nothing of the progress
    String text = Files.readString(report);
    assertTrue(text.contains("PASSED: "), text);
    assertFalse(text.contains("\r") || text.contains("\033") || text.contains("OK: "), text);
  }

  @Test
  void noProgressWhenOnlyStdoutIsATerminalOrWithQuiet() throws Exception {
    Path err = dir.resolve("err.txt");
    Terminal stdoutOnly =
        onTerminal(
            "2> '" + err + "'",
            "rewrite",
            GPT2.toString(),
            dir.resolve("a.onnx").toString(),
            "--verify");
    assertEquals(0, stdoutOnly.code(), stdoutOnly.screen());
    assertTrue(stdoutOnly.screen().contains("PASSED: "), stdoutOnly.screen());
    assertFalse(stdoutOnly.screen().contains("\033"), stdoutOnly.screen());
    assertEquals("", Files.readString(err), "stderr is a file: no progress");

    Terminal quiet =
        onTerminal(
            "> /dev/null", "-q", "rewrite", GPT2.toString(), dir.resolve("b.onnx").toString());
    assertEquals(0, quiet.code());
    assertEquals("", quiet.screen(), "--quiet: nothing on the terminal");
  }

  @Test
  void theStatusLineIsClearedAndCutToTheTerminal() {
    StringWriter screen = new StringWriter();
    TerminalProgress progress = new TerminalProgress(new PrintWriter(screen), true, 40);
    progress.phase("finding duplicates in a_model_with_a_rather_long_name.onnx");
    progress.bytes(512, 1024);
    progress.verdict("OK: 0 ties");
    String[] draws = screen.toString().split("\r");
    for (String draw : draws) {
      String visible = draw.replace("\033[K", "");
      assertTrue(visible.length() < 40 || visible.startsWith("OK: "), "never wraps: " + visible);
    }
    assertTrue(
        screen.toString().matches("(?s).*\r\033\\[KOK: 0 ties, \\d\\.\\d s\n$"), screen.toString());

    StringWriter dumb = new StringWriter();
    TerminalProgress plain = new TerminalProgress(new PrintWriter(dumb), false, 80);
    plain.phase("reading model.onnx");
    plain.finish();
    assertFalse(dumb.toString().contains("\033"), "a dumb terminal gets no escape codes");
    assertTrue(dumb.toString().endsWith("\r"), "and the line is blanked with spaces: " + dumb);
  }
}
