package dev.onnxtie;

import dev.onnxtie.cli.OnnxTieCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs the real CLI in-process and captures its streams. */
public record Cli(int code, String out, String err) {
  /** Runs {@code onnx-tie args...}. */
  public static Cli run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = OnnxTieCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    if (code == 0) {
      checkWritten(args);
    }
    return new Cli(code, out.toString(), err.toString());
  }

  /**
   * Runs ONNX's checker on what a successful {@code rewrite} or {@code insert} wrote (a file or a
   * folder of models), so that every end-to-end test that drives the CLI checks its outputs.
   */
  private static void checkWritten(String... args) {
    if (args.length < 3
        || !(args[0].equals("rewrite") || args[0].equals("insert"))
        || List.of(args).contains("--dry-run")
        || args[1].startsWith("-")
        || args[2].startsWith("-") && !args[2].equals("-")) {
      return;
    }
    Path out = Path.of(args[2]);
    if (args[2].equals("-")
        || !Files.exists(out)
        || !(Files.isRegularFile(out) || Files.isDirectory(out))) {
      return;
    }
    OnnxChecker.check(out);
  }

  /** The stderr lines, without empty ones. */
  public long errLines() {
    return err.lines().filter(line -> !line.isBlank()).count();
  }
}
