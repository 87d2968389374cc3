package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CLI's side of {@code --report FILE}: checks the file name before any work, takes the outline
 * of the input models before they are rewritten (OUT may be IN), the outline of the outputs after,
 * and writes the page ({@link OnnxTie#writeHtmlReport}) from the same result record that {@code
 * --json} prints.
 */
final class HtmlReports {

  private HtmlReports() {}

  /**
   * Bad input, before anything is written, when the report cannot go to {@code file} or would
   * replace a file the command reads or writes: an input model ({@code inputs}: files, or folders
   * whose .onnx files are read), a data file one of them reads, or an output: the model {@code out}
   * (a file, or with {@code outFolder} a folder in which every file is the rewrite's), the data
   * file it is written with ({@code dataName}, null for OUT.data, or one of the free names beside
   * it) and the data files the model it replaces reads. Paths compare by real path, so a link to
   * one of these is refused too. {@code option} is the option that named the file.
   */
  static void checkTarget(
      String option, Path file, List<Path> inputs, Path out, boolean outFolder, String dataName) {
    Path target = real(file);
    for (Path in : inputs) {
      if (in.toString().equals("-")) {
        continue;
      }
      for (Path model : Files.isDirectory(in) ? onnxFiles(in) : List.of(in)) {
        refuse(option, file, target, model, "is also a model of this command");
        for (Path data : OnnxTie.dataFilesOf(model)) {
          refuse(
              option,
              file,
              target,
              data,
              "is the data file " + data + " that the input " + model + " reads");
        }
      }
    }
    if (out != null && !out.toString().equals("-")) {
      if (outFolder) {
        refuse(option, file, target, out, "is also a model of this command");
        if (target.startsWith(real(out))) {
          throw OnnxTieException.badInput(
              option
                  + " "
                  + file
                  + " is inside the output folder "
                  + out
                  + ", whose files the rewrite writes; give the report a name outside it, such as report.html");
        }
      } else {
        Path model =
            Files.isDirectory(out) && inputs.size() == 1
                ? out.resolve(inputs.get(0).getFileName().toString())
                : out;
        refuse(option, file, target, model, "is also a model of this command");
        String wanted = dataName != null ? dataName : model.getFileName() + ".data";
        Path folder = real(model).getParent();
        String stem =
            wanted.endsWith(".data")
                ? wanted.substring(0, wanted.length() - ".data".length())
                : wanted;
        String suffix = wanted.endsWith(".data") ? ".data" : "";
        String name = target.getFileName() == null ? "" : target.getFileName().toString();
        boolean dataNamed =
            name.equals(wanted)
                || (name.startsWith(stem + ".")
                    && name.endsWith(suffix)
                    && name.substring(stem.length() + 1, name.length() - suffix.length())
                        .matches("[0-9]+"));
        if (folder != null && folder.equals(target.getParent()) && dataNamed) {
          throw OnnxTieException.badInput(
              option
                  + " "
                  + file
                  + " is a name the output "
                  + model
                  + " may write its external data to; give the report its own name, such as report.html");
        }
        for (Path data : OnnxTie.dataFilesOf(model)) {
          refuse(
              option,
              file,
              target,
              data,
              "is the data file " + data + " that the output " + model + " replaces");
        }
      }
    }
    Path folder = file.toAbsolutePath().getParent();
    if (Files.isDirectory(file)) {
      throw OnnxTieException.badInput(
          option + " " + file + " is a folder; give a file name such as report.html");
    }
    if (folder == null || !Files.isDirectory(folder)) {
      throw OnnxTieException.badInput(option + " " + file + ": no such folder " + folder);
    }
  }

  private static void refuse(String option, Path file, Path target, Path other, String clash) {
    if (target.equals(real(other))) {
      throw OnnxTieException.badInput(
          option
              + " "
              + file
              + " "
              + clash
              + "; give the report its own name, such as report.html");
    }
  }

  /** The path with its links resolved as far as it exists: the file itself, else its folder. */
  private static Path real(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    try {
      return absolute.toRealPath();
    } catch (IOException | SecurityException e) {
      Path parent = absolute.getParent();
      if (parent != null && absolute.getFileName() != null) {
        try {
          return parent.toRealPath().resolve(absolute.getFileName());
        } catch (IOException | SecurityException f) {
          return absolute;
        }
      }
      return absolute;
    }
  }

  /**
   * The .onnx files a folder rewrite reads; empty where the folder cannot be listed (the rewrite
   * says why).
   */
  private static List<Path> onnxFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))
          .sorted()
          .toList();
    } catch (IOException | UncheckedIOException e) {
      return List.of();
    }
  }

  /**
   * The outline of every model a rewrite of {@code in} reads, by the input name its report will
   * carry.
   */
  static Map<String, GraphOutline> before(Path in, boolean folder) {
    Map<String, GraphOutline> outlines = new LinkedHashMap<>();
    for (Path model : folder ? OnnxTie.modelsIn(in) : List.of(in)) {
      outlines.put(model.toString(), GraphOutline.of(model));
    }
    return outlines;
  }

  /**
   * The outline of every model the rewrite wrote; for a dry run, of each input rewritten in memory.
   */
  static Map<String, GraphOutline> after(FolderRewriteReport result, RewriteOptions options) {
    Map<String, GraphOutline> outlines = new LinkedHashMap<>();
    for (RewriteReport model : result.models()) {
      outlines.put(
          model.input(),
          model.dryRun() || model.output() == null
              ? GraphOutline.afterRewrite(
                  Path.of(model.input()), options.withDryRun(false).withVerify(null))
              : GraphOutline.of(Path.of(model.output())));
    }
    return outlines;
  }

  /** Writes the page. */
  static void write(
      Path file,
      String title,
      String[] arguments,
      List<String> printed,
      FolderRewriteReport result,
      boolean folder,
      Map<String, GraphOutline> before,
      Map<String, GraphOutline> after) {
    OnnxTie.writeHtmlReport(
        title, commandLine(arguments), printed, result, folder, before, after, file);
  }

  /**
   * The command line as a shell takes it: {@code onnx-tie} and each argument, quoted where needed.
   */
  static String commandLine(String[] arguments) {
    StringBuilder line = new StringBuilder("onnx-tie");
    for (String argument : arguments) {
      line.append(' ').append(OnnxTie.shellWord(argument));
    }
    return line.toString();
  }
}
