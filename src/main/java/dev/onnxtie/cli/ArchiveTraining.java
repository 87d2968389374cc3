package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the launcher runs once after each build to record its class-data sharing archive: the
 * commands users run most, text and {@code --json} forms, on a shipped sample, in one JVM, so that
 * the classes each of them loads (Gson and the report records for {@code --json}, the checker, the
 * verifier) come from the archive on later starts instead of being read and verified from the jar.
 *
 * <pre>
 * java -XX:ArchiveClassesAtExit=ARCHIVE -cp JAR dev.onnxtie.cli.ArchiveTraining MODEL EMPTY_FOLDER
 * </pre>
 */
public final class ArchiveTraining {
  private ArchiveTraining() {}

  public static void main(String... args) {
    if (args.length != 2) {
      System.err.println("usage: ArchiveTraining MODEL EMPTY_FOLDER");
      System.exit(2);
    }
    OnnxTieCli
        .skipUnusedConverters(); // as the launcher's runs do: the archive holds what they load
    System.exit(run(Path.of(args[0]), Path.of(args[1])).equals(EXPECTED) ? 0 : 1);
  }

  /**
   * The exit codes of {@link #run} on the shipped GPT-2 sample: {@code check} finds its tie (1).
   */
  static final List<Integer> EXPECTED = List.of(0, 0, 1, 1, 0, 0, 0, 0, 1);

  /**
   * Runs the training commands; returns their exit codes, in order. The last two work on a folder
   * of two copies of the model (the way a model hub or a CI job meets the tool): a folder rewrite
   * and a folder check load the classes of many models in one run.
   */
  static List<Integer> run(Path model, Path folder) {
    String in = model.toString();
    Path many = folder.resolve("many");
    try {
      Files.createDirectories(many);
      Files.copy(model, many.resolve("a.onnx"));
      Files.copy(model, many.resolve("b.onnx"));
    } catch (IOException e) {
      return List.of(OnnxTieException.BAD_INPUT);
    }
    String[][] commands = {
      {"-q", "rewrite", in, folder.resolve("tied.onnx").toString(), "--verify"},
      {"rewrite", "--json", in, folder.resolve("tied-json.onnx").toString()},
      {"check", in},
      {"check", "--json", in},
      {"inspect", in},
      {"inspect", "--json", in},
      {"verify", "--json", in, folder.resolve("tied.onnx").toString()},
      {"-q", "rewrite", many.toString(), folder.resolve("many-tied").toString()},
      {"check", many.toString()},
    };
    List<Integer> codes = new ArrayList<>();
    for (String[] command : commands) {
      try (PrintWriter out = new PrintWriter(Writer.nullWriter());
          PrintWriter err = new PrintWriter(Writer.nullWriter())) {
        codes.add(OnnxTieCli.run(out, err, command));
      }
    }
    return codes;
  }
}
