package dev.onnxtie;

import dev.onnxtie.cli.OnnxTieCli;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the real CLI in-process and captures its streams. */
public record Cli(int code, String out, String err) {
  /** Runs {@code onnx-tie args...}. */
  public static Cli run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = OnnxTieCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Cli(code, out.toString(), err.toString());
  }

  /** The stderr lines, without empty ones. */
  public long errLines() {
    return err.lines().filter(line -> !line.isBlank()).count();
  }
}
