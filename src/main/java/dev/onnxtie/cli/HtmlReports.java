package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.report.HtmlReport;
import dev.onnxtie.report.ReportInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CLI's side of {@code --report FILE}: checks the file name before any work, takes the outline
 * of the input models before they are rewritten (OUT may be IN), the outline of the outputs after,
 * and writes the page ({@link HtmlReport}) from the same result record that {@code --json} prints.
 */
final class HtmlReports {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./=:,+@%-]+");

  private HtmlReports() {}

  /**
   * Bad input, before anything is read or written, when the report cannot go to {@code file} or
   * would replace one of the {@code models} (IN or OUT).
   */
  static void checkTarget(Path file, Path... models) {
    for (Path model : models) {
      if (!model.toString().equals("-") && file.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
        throw OnnxTieException.badInput("--report " + file + " is also a model of this command; give the report its own name, such as report.html");
      }
    }
    Path folder = file.toAbsolutePath().getParent();
    if (Files.isDirectory(file)) {
      throw OnnxTieException.badInput("--report " + file + " is a folder; give a file name such as report.html");
    }
    if (folder == null || !Files.isDirectory(folder)) {
      throw OnnxTieException.badInput("--report " + file + ": no such folder " + folder);
    }
  }

  /** The outline of every model a rewrite of {@code in} reads, by the input name its report will carry. */
  static Map<String, GraphOutline> before(Path in, boolean folder) {
    Map<String, GraphOutline> outlines = new LinkedHashMap<>();
    for (Path model : folder ? OnnxTie.modelsIn(in) : List.of(in)) {
      outlines.put(model.toString(), GraphOutline.of(model));
    }
    return outlines;
  }

  /** The outline of every model the rewrite wrote; for a dry run, of each input rewritten in memory. */
  static Map<String, GraphOutline> after(FolderRewriteReport result, RewriteOptions options) {
    Map<String, GraphOutline> outlines = new LinkedHashMap<>();
    for (RewriteReport model : result.models()) {
      outlines.put(model.input(), model.dryRun() || model.output() == null
          ? GraphOutline.afterRewrite(Path.of(model.input()), options.withDryRun(false).withVerify(null))
          : GraphOutline.of(Path.of(model.output())));
    }
    return outlines;
  }

  /** Writes the page. */
  static void write(Path file, String title, String[] arguments, List<String> printed, FolderRewriteReport result, boolean folder,
      Map<String, GraphOutline> before, Map<String, GraphOutline> after) {
    HtmlReport.write(new ReportInput(title, commandLine(arguments), printed, result, folder, before, after), file);
  }

  /** The command line as a shell takes it: {@code onnx-tie} and each argument, quoted where needed. */
  static String commandLine(String[] arguments) {
    StringBuilder line = new StringBuilder("onnx-tie");
    for (String argument : arguments) {
      line.append(' ').append(PLAIN.matcher(argument).matches() ? argument : "'" + argument.replace("'", "'\\''") + "'");
    }
    return line.toString();
  }
}
