package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.Verification.Input;
import dev.onnxtie.model.DataType;
import dev.onnxtie.verify.InputSynthesizer.InputSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Feed planning for a verification: the real data given for inputs (files, a data set), the option
 * names checked against the models' inputs and dims, and the value of every input in every run
 * (given, or synthesized by {@link InputSynthesizer} from the seed, dims and ranges).
 */
final class FeedPlanner {
  private final VerifyOptions options;

  FeedPlanner(VerifyOptions options) {
    this.options = options;
  }

  /** Real data for an input, read once and used in every run. */
  record Given(HostTensor tensor, String source, String file) {}

  /** The value for one input in one run, and how it was made. */
  record Feed(
      String name, HostTensor tensor, boolean random, String source, String file, double[] range) {
    Input used(String model) {
      return Reports.input(
          name,
          tensor.type().onnxName(),
          tensor.shape(),
          source,
          range == null ? null : range[0],
          range == null ? null : range[1],
          file,
          model);
    }
  }

  /**
   * The inputs of one run: model A's, model B's (sharing A's where B declares them alike), as
   * reported.
   */
  record RunFeeds(
      Map<String, HostTensor> a, Map<String, HostTensor> b, List<Input> used, boolean anyRandom) {}

  RunFeeds feeds(
      long seed,
      List<InputSpec> inputsA,
      List<InputSpec> inputsB,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound) {
    return feeds(seed, inputsA, inputsB, given, ranges, bound, options.dims());
  }

  RunFeeds feeds(
      long seed,
      List<InputSpec> inputsA,
      List<InputSpec> inputsB,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound,
      Map<String, Long> dims) {
    List<Input> used = new ArrayList<>();
    boolean anyRandom = false;
    Random random = new Random(seed);
    Map<String, HostTensor> feedA = new LinkedHashMap<>();
    for (InputSpec input : inputsA) {
      Feed feed = feedFor(input, given, ranges, bound, random, dims);
      anyRandom |= feed.random();
      feedA.put(input.name(), feed.tensor());
      used.add(feed.used("both"));
    }
    // B's own inputs are drawn from a second stream, so that A's values do not depend on B.
    Random randomB = new Random(seed ^ 0x5DEECE66DL);
    Map<String, HostTensor> feedB = new LinkedHashMap<>();
    for (InputSpec input : inputsB) {
      HostTensor shared = feedA.get(input.name());
      if (shared != null && fits(shared, input)) {
        feedB.put(input.name(), shared);
        continue;
      }
      Feed feed = feedFor(input, given, ranges, bound, randomB, dims);
      anyRandom |= feed.random();
      feedB.put(input.name(), feed.tensor());
      used.add(feed.used("b"));
      if (shared != null) {
        relabel(used, input.name(), "a");
      }
    }
    for (InputSpec input : inputsA) {
      if (!Interfaces.typesOf(inputsB).containsKey(input.name())) {
        relabel(used, input.name(), "a");
      }
    }
    return new RunFeeds(feedA, feedB, used, anyRandom);
  }

  /**
   * Inputs whose name says what valid values are (unless {@code --range} names them): {@code
   * attention_mask} all 1s, {@code token_type_ids} in [0, 2), {@code position_ids} 0, 1, ...,
   * length - 1 along the last axis of every row.
   */
  enum WellKnown {
    ATTENTION_MASK,
    TOKEN_TYPE_IDS,
    POSITION_IDS;

    static WellKnown of(String name) {
      return switch (name) {
        case "attention_mask" -> ATTENTION_MASK;
        case "token_type_ids" -> TOKEN_TYPE_IDS;
        case "position_ids" -> POSITION_IDS;
        default -> null;
      };
    }
  }

  Feed feedFor(
      InputSpec input,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound,
      Random random) {
    return feedFor(input, given, ranges, bound, random, options.dims());
  }

  Feed feedFor(
      InputSpec input,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound,
      Random random,
      Map<String, Long> dims) {
    Given real = given.get(input.name());
    if (real != null) {
      return new Feed(input.name(), real.tensor(), false, real.source(), real.file(), null);
    }
    DataType type = input.dataType();
    if (type == null) {
      throw OnnxTieException.badInput(
          "input '"
              + input.name()
              + "' is a "
              + input.describe()
              + "; onnx-tie synthesizes tensors only, and ONNX Runtime's Java API can only be fed tensors");
    }
    long[] shape = InputSynthesizer.shapeOf(input, dims, bound);
    long[] fallback = InputSynthesizer.defaultRange(type);
    ValueRange range = ranges.getOrDefault(input.name(), ValueRange.of(fallback[0], fallback[1]));
    WellKnown known =
        options.ranges().containsKey(input.name()) ? null : WellKnown.of(input.name());
    if (known == WellKnown.POSITION_IDS
        && (type == DataType.INT64 || type == DataType.INT32)
        && shape.length > 0) {
      long length = shape[shape.length - 1];
      return new Feed(
          input.name(),
          InputSynthesizer.positions(type, shape),
          false,
          "positions",
          null,
          new double[] {0, length});
    }
    if (known == WellKnown.ATTENTION_MASK) {
      range = ValueRange.of(1, 1);
    } else if (known == WellKnown.TOKEN_TYPE_IDS && !InputSynthesizer.isFloating(type)) {
      range = ValueRange.of(0, 2);
    }
    if (InputSynthesizer.isFloating(type) || type == DataType.STRING) {
      HostTensor tensor = InputSynthesizer.synthesize(input.name(), type, shape, range, random);
      return new Feed(
          input.name(),
          tensor,
          true,
          "random",
          null,
          type == DataType.STRING ? null : new double[] {range.low(), range.high()});
    }
    long[] clipped = InputSynthesizer.clip(input.name(), type, range.longs(input.name(), type));
    HostTensor tensor = InputSynthesizer.synthesize(input.name(), type, shape, clipped, random);
    return new Feed(
        input.name(), tensor, true, "random", null, new double[] {clipped[0], clipped[1]});
  }

  static boolean fits(HostTensor tensor, InputSpec input) {
    if (tensor.type() != input.dataType()) {
      return false;
    }
    List<Object> dims = input.dims();
    if (dims == null) {
      return true;
    }
    long[] shape = tensor.shape();
    if (dims.size() != shape.length) {
      return false;
    }
    for (int i = 0; i < shape.length; i++) {
      if (dims.get(i) instanceof Long value && value != shape[i]) {
        return false;
      }
    }
    return true;
  }

  static void relabel(List<Input> used, String name, String model) {
    for (int i = 0; i < used.size(); i++) {
      Input input = used.get(i);
      if (input.name().equals(name) && input.model().equals("both")) {
        used.set(i, Reports.feeding(input, model));
      }
    }
  }

  /**
   * Reads the data-set and file inputs once, checks them against the declarations, binds their
   * dims.
   */
  Map<String, Given> givenInputs(
      List<InputSpec> inputsA, List<InputSpec> inputsB, Map<String, Long> fileDims) {
    Map<String, InputSpec> specs = new LinkedHashMap<>();
    for (InputSpec input : inputsB) {
      specs.put(input.name(), input);
    }
    for (InputSpec input : inputsA) {
      specs.put(input.name(), input);
    }
    Map<String, Given> given = new LinkedHashMap<>();
    if (options.dataSet() != null) {
      for (Map.Entry<String, DataSets.DataItem> item :
          DataSets.readDataSet(options.dataSet(), "input", Interfaces.typesOf(inputsA), true)
              .entrySet()) {
        if (!(item.getValue().value() instanceof HostTensor tensor)) {
          throw OnnxTieException.badInput(
              "input '"
                  + item.getKey()
                  + "' in "
                  + item.getValue().file()
                  + " is a "
                  + item.getValue().value().describe()
                  + "; ONNX Runtime's Java API can only be fed tensors");
        }
        given.put(item.getKey(), new Given(tensor, "data-set", item.getValue().file().toString()));
      }
    }
    for (Map.Entry<String, Path> file : options.inputs().entrySet()) {
      given.put(
          file.getKey(),
          new Given(DataFiles.readTensor(file.getValue()), "file", file.getValue().toString()));
    }
    for (Map.Entry<String, Given> entry : given.entrySet()) {
      InputSpec spec = specs.get(entry.getKey());
      HostTensor tensor = entry.getValue().tensor();
      String where = "input '" + entry.getKey() + "' from " + entry.getValue().file();
      if (spec.dataType() != null && spec.dataType() != tensor.type()) {
        throw OnnxTieException.badInput(
            where + " is " + tensor.describe() + " but the model declares " + spec.describe());
      }
      List<Object> dims = spec.dims();
      long[] shape = tensor.shape();
      if (dims == null) {
        continue;
      }
      if (dims.size() != shape.length) {
        throw OnnxTieException.badInput(
            where
                + " has rank "
                + shape.length
                + " ("
                + tensor.describe()
                + ") but the model declares "
                + spec.describe());
      }
      for (int axis = 0; axis < shape.length; axis++) {
        Object dim = dims.get(axis);
        if (dim instanceof Long value && value != shape[axis]) {
          throw OnnxTieException.badInput(
              where + " is " + tensor.describe() + " but the model declares " + spec.describe());
        }
        if (dim instanceof String symbol) {
          Long fixed =
              options.dims().containsKey(symbol)
                  ? options.dims().get(symbol)
                  : fileDims.get(symbol);
          if (fixed != null && fixed != shape[axis]) {
            throw OnnxTieException.badInput(
                where
                    + " has "
                    + symbol
                    + " = "
                    + shape[axis]
                    + " but "
                    + symbol
                    + " is "
                    + fixed
                    + (options.dims().containsKey(symbol)
                        ? " in the dims option"
                        : " in another input file"));
          }
          fileDims.put(symbol, shape[axis]);
        }
      }
    }
    return given;
  }

  /** Options that name inputs or dims must name ones the models have. */
  void checkOptionNames(List<InputSpec> inputsA, List<InputSpec> inputsB) {
    Set<String> names = new LinkedHashSet<>();
    Set<String> symbols = new LinkedHashSet<>();
    for (InputSpec input : concat(inputsA, inputsB)) {
      names.add(input.name());
      if (input.dims() != null) {
        for (Object dim : input.dims()) {
          if (dim instanceof String symbol) {
            symbols.add(symbol);
          }
        }
      }
    }
    for (String name :
        concat(List.copyOf(options.inputs().keySet()), List.copyOf(options.ranges().keySet()))) {
      if (!names.contains(name)) {
        throw OnnxTieException.badInput(
            "'"
                + name
                + "' is no input of the model"
                + (inputsB.isEmpty() ? "" : "s")
                + " that needs feeding; valid: "
                + (names.isEmpty() ? "(none)" : String.join(", ", names)));
      }
    }
    for (String symbol : options.dims().keySet()) {
      if (!symbols.contains(symbol)) {
        throw OnnxTieException.badInput(
            "dim '"
                + symbol
                + "' is no symbolic dim of the inputs; valid: "
                + (symbols.isEmpty()
                    ? "(none: every input dim is fixed)"
                    : String.join(", ", symbols)));
      }
    }
  }

  static <T> List<T> concat(List<T> first, List<T> second) {
    return Stream.concat(first.stream(), second.stream()).toList();
  }
}
