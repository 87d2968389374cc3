package dev.onnxtie.verify;

import dev.onnxtie.verify.InputSynthesizer.InputSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The dims of a failed reference run that took default values, and what else is needed to retry it.
 */
record DimRetry(
    Set<String> defaulted,
    Map<String, Long> used,
    List<InputSpec> inputsA,
    List<InputSpec> inputsB,
    Map<String, FeedPlanner.Given> given,
    Map<String, ValueRange> ranges,
    Map<String, Long> fileDims) {

  /** Values tried, in order, for every defaulted dim at once, after the defaults failed. */
  static final long[] CANDIDATES = {1, 16, 32, 64, 4, 2, 128};

  /** The longest error line. */
  static final int MAX_LENGTH = 200;

  /**
   * One line of at most {@link #MAX_LENGTH} characters: the defaulted dims, ONNX Runtime's reason
   * (shortened to fit), and the {@code --dim} options with which the model ran, or the options to
   * set when no candidate value ran.
   */
  String message(Path model, String why, Predicate<Map<String, Long>> runs) {
    String ran = null;
    for (long candidate : CANDIDATES) {
      Map<String, Long> dims = new LinkedHashMap<>();
      for (String dim : defaulted) {
        dims.put(dim, candidate);
      }
      if (runs.test(dims)) {
        ran = flags(dims);
        break;
      }
    }
    List<String> defaults = new ArrayList<>();
    for (String dim : defaulted) {
      defaults.add(dim + "=" + used.get(dim));
    }
    String head =
        "model " + model.getFileName() + " fails with default dims " + String.join(" ", defaults);
    String tail =
        ran != null
            ? "; it runs with " + ran
            : "; set them: "
                + flags(
                        defaulted.stream()
                            .collect(
                                Collectors.toMap(
                                    d -> d, d -> -1L, (x, y) -> x, LinkedHashMap::new)))
                    .replace("=-1", "=N")
                + ", or give real inputs";
    int room = MAX_LENGTH - head.length() - tail.length() - 3;
    String reason =
        room < 8
            ? ""
            : " (" + (why.length() <= room ? why : why.substring(0, room - 3) + "...") + ")";
    String line = head + reason + tail;
    return line.length() <= MAX_LENGTH
        ? line
        : head.substring(0, Math.max(0, Math.min(head.length(), MAX_LENGTH - tail.length())))
            + tail;
  }

  private static String flags(Map<String, Long> dims) {
    List<String> flags = new ArrayList<>();
    dims.forEach((dim, value) -> flags.add("--dim " + dim + "=" + value));
    return String.join(" ", flags);
  }
}
