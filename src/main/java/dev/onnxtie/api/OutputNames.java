package dev.onnxtie.api;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.regex.Pattern;

/**
 * The names the tool suggests: an output beside its input (never inside the tool's own folder), and
 * arguments quoted as a POSIX shell takes them.
 */
final class OutputNames {
  private OutputNames() {}

  static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./=:,+@%-]+");

  /**
   * One argument as a POSIX shell takes it: as is when plain, else in single quotes (fix lines, the
   * report's command line).
   */
  static String shellWord(String argument) {
    return PLAIN_WORD.matcher(argument).matches()
        ? argument
        : "'" + argument.replace("'", "'\\''") + "'";
  }

  /**
   * A name for the output: {@code exported/} gives {@code exported-tied}, {@code m.onnx} gives
   * {@code m-tied.onnx}; beside the target when its folder is the user's own (see {@link
   * #besideTarget}), otherwise in the current folder.
   */
  static String tiedName(Path target) {
    return tiedName(target, toolHome());
  }

  /** {@link #tiedName(Path)} with the tool's own folder given (null: none). */
  static String tiedName(Path target, Path toolHome) {
    String name = target.getFileName() == null ? "model" : target.getFileName().toString();
    String tied =
        name.endsWith(".onnx")
            ? name.substring(0, name.length() - 5) + "-tied.onnx"
            : name + "-tied";
    Path parent = target.getParent();
    return parent == null || !besideTarget(parent, toolHome)
        ? tied
        : parent.resolve(tied).toString();
  }

  /**
   * Whether an output may go in {@code folder}: it is writable and not inside this tool's own
   * folder {@code toolHome} (the repository, or where the release was unpacked or installed), whose
   * samples are not the user's to write beside.
   */
  static boolean besideTarget(Path folder, Path toolHome) {
    Path real;
    try {
      real = folder.toRealPath();
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return Files.isWritable(real) && (toolHome == null || !real.startsWith(toolHome));
  }

  /** The folder this tool runs from (see {@link #toolHome(Path)}); null when unknown. */
  static Path toolHome() {
    try {
      CodeSource source = OnnxTie.class.getProtectionDomain().getCodeSource();
      if (source == null || source.getLocation() == null) {
        return null;
      }
      return toolHome(Path.of(source.getLocation().toURI()).toRealPath());
    } catch (IOException | URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The tool's folder for its jar or classes folder {@code location}: the parent of the folder
   * holding it when that folder is {@code target} or {@code lib} ({@code target/onnx-tie-cli.jar}
   * and {@code target/classes} give the repository, {@code lib/onnx-tie.jar} the release's folder),
   * else that folder itself ({@code /tmp/x.jar} gives {@code /tmp}, not {@code /}); null when none.
   */
  static Path toolHome(Path location) {
    Path folder = location.getParent();
    if (folder == null) {
      return null;
    }
    Path name = folder.getFileName();
    boolean build =
        name != null && (name.toString().equals("target") || name.toString().equals("lib"));
    return build && folder.getParent() != null ? folder.getParent() : folder;
  }
}
