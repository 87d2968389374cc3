package dev.onnxtie.pass;

import dev.onnxtie.graph.GraphEditor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * Every rewrite pass, found by name in one list, and the runner that applies a list of them to one
 * editor (a {@link PassPipeline}). Each pass takes its own typed arguments; {@link Config} is only
 * what callers that name passes give, and this list turns it into each pass's arguments. The caller
 * builds the editor once at the end ({@link GraphEditor#build()}): passes only rewire and add;
 * removal and sorting happen in that build.
 */
public final class Passes {
  /**
   * What passes found by name are configured with; each factory below takes from it the arguments
   * of its pass.
   *
   * @param form how transposed duplicates are read
   * @param minBytes tensors below it are left alone
   * @param insert the decoder {@code insert-tied-decoder} adds, or null
   * @param bytesRead told the bytes of each tensor {@code tie-weights} is done with while finding
   *     duplicates (progress)
   */
  public record Config(TieForm form, long minBytes, InsertOptions insert, LongConsumer bytesRead) {
    /** A configuration for the tie passes. */
    public Config(TieForm form, long minBytes) {
      this(form, minBytes, null);
    }

    /** A configuration with the decoder {@code insert-tied-decoder} adds. */
    public Config(TieForm form, long minBytes, InsertOptions insert) {
      this(form, minBytes, insert, bytes -> {});
    }

    /** This configuration, telling {@code listener} the bytes read while finding duplicates. */
    public Config withBytesRead(LongConsumer listener) {
      return new Config(form, minBytes, insert, listener);
    }
  }

  private static final Map<String, Function<Config, Pass>> ALL = new LinkedHashMap<>();

  static {
    ALL.put(
        "tie-weights",
        config ->
            new TieWeights(
                new TieWeights.Arguments(config.form(), config.minBytes(), config.bytesRead())));
    ALL.put("gemm-for-transposed-weights", config -> new GemmForTransposedWeights());
    ALL.put("insert-tied-decoder", config -> new InsertTiedDecoder(config.insert()));
  }

  private Passes() {}

  /** The names of every pass. */
  public static List<String> names() {
    return List.copyOf(ALL.keySet());
  }

  /**
   * The pass of that name.
   *
   * @throws IllegalArgumentException naming the valid names when there is none
   */
  public static Pass byName(String name, Config config) {
    Function<Config, Pass> factory = ALL.get(name);
    if (factory == null) {
      throw new IllegalArgumentException(
          "no pass named '" + name + "'; valid: " + String.join(", ", ALL.keySet()));
    }
    return factory.apply(config);
  }

  /**
   * The passes {@code rewrite} runs: tie the duplicates, and with the Gemm form also the ties that
   * exist as a Transpose.
   */
  public static List<String> forRewrite(TieForm form) {
    return form == TieForm.GEMM
        ? List.of("tie-weights", "gemm-for-transposed-weights")
        : List.of("tie-weights");
  }

  /**
   * The pipeline {@code rewrite} runs: tie the duplicates, and with the Gemm form also the ties
   * that exist as a Transpose; each pass with its own arguments.
   */
  public static PassPipeline rewrite(TieWeights.Arguments arguments) {
    return arguments.form() == TieForm.GEMM
        ? PassPipeline.of(new TieWeights(arguments), new GemmForTransposedWeights())
        : PassPipeline.of(new TieWeights(arguments));
  }

  /**
   * Applies the named passes in order to one editor through a {@link PassPipeline} (which checks
   * what each promises) and merges their results (changes summed, ties and notes in pass order).
   * The editor is not built.
   */
  public static PassResult run(GraphEditor editor, List<String> names, Config config) {
    List<Pass> passes = new ArrayList<>();
    for (String name : names) {
      passes.add(byName(name, config));
    }
    return new PassPipeline(passes).run(editor);
  }
}
