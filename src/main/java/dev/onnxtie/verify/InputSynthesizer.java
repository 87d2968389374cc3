package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorType;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.TensorShapeProto;
import dev.onnxtie.proto.Onnx.TypeProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Makes seeded inputs for a model from its graph inputs.
 *
 * <p>Which inputs: every input of the main graph that no initializer backs (an input with an
 * initializer of the same name has a default, in every IR version, and is left to it).
 *
 * <p>Shapes: a fixed dim is kept; a symbolic dim takes its value from {@link VerifyOptions#dims()},
 * else from a real input file that already fixed it, else {@link #BATCH_DIM} when its name contains
 * "batch" (any case) and {@link #OTHER_DIM} otherwise; the same name gets the same value in every
 * input. A dim with neither value nor name is {@link #BATCH_DIM} on axis 0 and {@link #OTHER_DIM}
 * elsewhere; an input of unknown rank is one-dimensional of {@link #OTHER_DIM}.
 *
 * <p>Values, drawn from one {@link java.util.Random} per run in graph-input order, each range
 * {@code [lo, hi)} (lo inclusive, hi exclusive):
 *
 * <ul>
 *   <li>float32, float16, bfloat16, double: uniform in [-1, 1);
 *   <li>integers: uniform in [0, 10), or [0, V) for an input that indexes a dimension of size V
 *       (see {@link #inferRanges}), clipped to the dtype's range;
 *   <li>bool: true or false with equal odds; string: "s0" to "s9";
 *   <li>inputs with well-known names (in {@code Verifier}): {@code attention_mask} all 1s, {@code
 *       token_type_ids} in [0, 2), {@code position_ids} 0, 1, ..., n - 1 along the last axis;
 *   <li>a range in {@link VerifyOptions#ranges()} replaces the above for that input.
 * </ul>
 *
 * <p>One job: the inputs a verification synthesizes, over about 500 lines, because their specs,
 * shapes, value ranges and values are the rules above, each a few methods, and each rule reads the
 * others (a range depends on the type and on the dims an index reads, a value on its range).
 */
public final class InputSynthesizer {
  /** The default value of a batch-like symbolic dim (its name contains "batch"). */
  public static final long BATCH_DIM = 2;

  /** The default value of any other symbolic or unknown dim. */
  public static final long OTHER_DIM = 8;

  /** The default range of integer inputs that index nothing known: [0, 10). */
  public static final long[] DEFAULT_INTEGER_RANGE = {0, 10};

  /** The default range of floating-point inputs: [-1, 1). */
  public static final long[] DEFAULT_FLOAT_RANGE = {-1, 1};

  /** Ops that pass an integer tensor's values on unchanged (as their first input). */
  private static final Set<String> VALUE_PRESERVING =
      Set.of(
          "Identity",
          "Cast",
          "Reshape",
          "Unsqueeze",
          "Squeeze",
          "Flatten",
          "Transpose",
          "Expand",
          "Tile",
          "Slice");

  private InputSynthesizer() {}

  /** One input ONNX Runtime expects: its name and declared type. */
  record InputSpec(String name, TypeProto type) {
    /** The element type of a tensor (or optional tensor) input; null for other kinds. */
    DataType dataType() {
      TypeProto.Tensor tensor = tensorType(type);
      return tensor == null || !DataType.isKnown(tensor.getElemType())
          ? null
          : DataType.fromCode(tensor.getElemType());
    }

    /** The declared dims: Long, String (symbol) or null (unknown) each; null for unknown rank. */
    List<Object> dims() {
      TypeProto.Tensor tensor = tensorType(type);
      if (tensor == null || !tensor.hasShape()) {
        return null;
      }
      List<Object> dims = new ArrayList<>();
      for (TensorShapeProto.Dimension dim : tensor.getShape().getDimList()) {
        dims.add(
            dim.hasDimValue()
                ? (Object) dim.getDimValue()
                : dim.hasDimParam() && !dim.getDimParam().isEmpty() ? dim.getDimParam() : null);
      }
      return dims;
    }

    /** A short description such as {@code int64[batch, sequence]} or {@code sequence}. */
    String describe() {
      return describeType(type);
    }
  }

  /** The tensor type of a tensor or optional-tensor type, else null. */
  static TypeProto.Tensor tensorType(TypeProto type) {
    if (type.hasTensorType()) {
      return type.getTensorType();
    }
    if (type.hasOptionalType() && type.getOptionalType().getElemType().hasTensorType()) {
      return type.getOptionalType().getElemType().getTensorType();
    }
    return null;
  }

  /** A short description of a declared type, e.g. {@code float[batch, 5]}. */
  static String describeType(TypeProto type) {
    if (type.hasTensorType()) {
      TypeProto.Tensor tensor = type.getTensorType();
      String dtype =
          DataType.isKnown(tensor.getElemType())
              ? DataType.fromCode(tensor.getElemType()).onnxName()
              : "type" + tensor.getElemType();
      if (!tensor.hasShape()) {
        return dtype + "[?]";
      }
      List<String> dims = new ArrayList<>();
      for (TensorShapeProto.Dimension dim : tensor.getShape().getDimList()) {
        dims.add(
            dim.hasDimValue()
                ? Long.toString(dim.getDimValue())
                : dim.hasDimParam() && !dim.getDimParam().isEmpty() ? dim.getDimParam() : "?");
      }
      return dtype + "[" + String.join(", ", dims) + "]";
    }
    if (type.hasSequenceType()) {
      return "sequence<" + describeType(type.getSequenceType().getElemType()) + ">";
    }
    if (type.hasOptionalType()) {
      return "optional<" + describeType(type.getOptionalType().getElemType()) + ">";
    }
    if (type.hasMapType()) {
      return "map";
    }
    if (type.hasSparseTensorType()) {
      return "sparse_tensor";
    }
    return "unknown";
  }

  /** The inputs a model needs fed: main-graph inputs without an initializer of the same name. */
  static List<InputSpec> inputsOf(OnnxModel model) {
    GraphProto graph = model.proto().getGraph();
    Set<String> initialized = new HashSet<>();
    for (TensorProto initializer : graph.getInitializerList()) {
      initialized.add(initializer.getName());
    }
    for (var sparse : graph.getSparseInitializerList()) {
      initialized.add(sparse.getValues().getName());
    }
    List<InputSpec> inputs = new ArrayList<>();
    for (ValueInfoProto input : graph.getInputList()) {
      if (!initialized.contains(input.getName())) {
        inputs.add(new InputSpec(input.getName(), input.getType()));
      }
    }
    return inputs;
  }

  /**
   * The value ranges that keep integer inputs valid as indices: an integer input whose values reach
   * the indices input of a {@code Gather} or {@code GatherElements} (directly or through Identity,
   * Cast to an integer type, Reshape, Unsqueeze, Squeeze, Flatten, Transpose, Expand, Tile or
   * Slice, in the main graph or any subgraph) gets {@code {0, V}}: values in [0, V), where V is the
   * size of the gathered axis of the data input, when that size is known. Reaching several such
   * Gathers gives the smallest V.
   *
   * @return {@code {lo, hi}} (hi exclusive) by input name, for the inputs with a known bound only
   */
  public static Map<String, long[]> inferRanges(OnnxModel model) {
    Map<String, long[]> ranges = new LinkedHashMap<>();
    Scope main = new GraphEditor(model).main();
    for (InputSpec input : inputsOf(model)) {
      DataType type = input.dataType();
      if (type == null || !isInteger(type)) {
        continue;
      }
      long bound = indexBound(main, input.name());
      if (bound > 0) {
        ranges.put(input.name(), new long[] {0, bound});
      }
    }
    return ranges;
  }

  /** The smallest gathered-axis size that values starting at {@code start} index, or -1. */
  private static long indexBound(Scope main, String start) {
    long bound = Long.MAX_VALUE;
    Deque<String> pending = new ArrayDeque<>();
    Set<String> seen = new HashSet<>();
    pending.add(start);
    seen.add(start);
    while (!pending.isEmpty()) {
      String name = pending.poll();
      for (Node reader : main.readers(name)) {
        List<String> inputs = reader.inputs();
        boolean quantized =
            reader.opType().equals("GatherBlockQuantized")
                && reader.domain().equals("com.microsoft");
        if ((reader.is("Gather") || reader.is("GatherElements") || quantized)
            && inputs.size() > 1
            && inputs.get(1).equals(name)) {
          long size = gatheredAxisSize(reader, inputs.get(0), quantized ? "gather_axis" : "axis");
          if (size > 0) {
            bound = Math.min(bound, size);
          }
        }
        if (!inputs.isEmpty()
            && inputs.get(0).equals(name)
            && VALUE_PRESERVING.contains(reader.opType())
            && reader.is(reader.opType())
            && (!reader.is("Cast") || castsToInteger(reader))) {
          for (String output : reader.outputs()) {
            if (!output.isEmpty() && seen.add(output)) {
              pending.add(output);
            }
          }
        }
      }
    }
    return bound == Long.MAX_VALUE ? -1 : bound;
  }

  private static long gatheredAxisSize(Node gather, String data, String axisAttribute) {
    TensorType type = gather.scope().typeOf(data).orElse(null);
    if (type == null || type.rank() <= 0) {
      return -1;
    }
    long axis = gather.intAttribute(axisAttribute, 0);
    if (axis < 0) {
      axis += type.rank();
    }
    if (axis < 0 || axis >= type.rank()) {
      return -1;
    }
    return type.dims().get((int) axis) instanceof Long size ? size : -1;
  }

  private static boolean castsToInteger(Node cast) {
    long to = cast.intAttribute("to", 0);
    return DataType.isKnown((int) to) && isInteger(DataType.fromCode((int) to));
  }

  /** True for the signed and unsigned integer types. */
  static boolean isInteger(DataType type) {
    return switch (type) {
      case INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64 -> true;
      default -> false;
    };
  }

  /** True for float32, float64, float16 and bfloat16. */
  static boolean isFloating(DataType type) {
    return type == DataType.FLOAT
        || type == DataType.DOUBLE
        || type == DataType.FLOAT16
        || type == DataType.BFLOAT16;
  }

  /**
   * The concrete shape of an input: fixed dims kept, symbols resolved from {@code explicit}, then
   * {@code bound} (values already used), then the defaults; every symbol resolved is added to
   * {@code bound}.
   */
  static long[] shapeOf(InputSpec input, Map<String, Long> explicit, Map<String, Long> bound) {
    List<Object> dims = input.dims();
    if (dims == null) {
      return new long[] {OTHER_DIM};
    }
    long[] shape = new long[dims.size()];
    for (int axis = 0; axis < shape.length; axis++) {
      Object dim = dims.get(axis);
      if (dim instanceof Long value) {
        shape[axis] = value;
      } else if (dim instanceof String symbol) {
        Long value = explicit.get(symbol);
        if (value == null) {
          value = bound.get(symbol);
        }
        if (value == null) {
          value = symbol.toLowerCase(Locale.ROOT).contains("batch") ? BATCH_DIM : OTHER_DIM;
        }
        bound.put(symbol, value);
        shape[axis] = value;
      } else {
        shape[axis] = axis == 0 ? BATCH_DIM : OTHER_DIM;
      }
    }
    return shape;
  }

  /**
   * An int64 or int32 tensor holding 0, 1, ..., n - 1 along its last axis (n its last dim) in every
   * row: valid {@code position_ids}.
   */
  static HostTensor positions(DataType type, long[] shape) {
    long count = Tensors.elementCount("position_ids", shape);
    if (count > Integer.MAX_VALUE / 8) {
      throw OnnxTieException.badInput(
          "input 'position_ids' would have " + count + " elements; set smaller --dim values");
    }
    int elements = (int) count;
    long length = shape[shape.length - 1];
    ByteBuffer data =
        ByteBuffer.allocate(Math.toIntExact(type.byteSize(elements)))
            .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < elements; i++) {
      long value = i % length;
      if (type == DataType.INT64) {
        data.putLong(value);
      } else {
        data.putInt((int) value);
      }
    }
    data.flip();
    return HostTensor.of(type, shape, data);
  }

  /** The default range of a dtype before inference and options: see the class comment. */
  static long[] defaultRange(DataType type) {
    if (isFloating(type)) {
      return DEFAULT_FLOAT_RANGE.clone();
    }
    if (type == DataType.BOOL) {
      return new long[] {0, 2};
    }
    return DEFAULT_INTEGER_RANGE.clone();
  }

  /**
   * Draws a tensor of {@code type} and {@code shape} with values in {@code [range[0], range[1])}.
   *
   * @throws OnnxTieException (bad input) for a dtype that cannot be synthesized or a range outside
   *     it
   */
  static HostTensor synthesize(
      String name, DataType type, long[] shape, long[] range, Random random) {
    return synthesize(name, type, shape, range, range[0], range[1], random);
  }

  /**
   * Draws a tensor of {@code type} and {@code shape} with values in the range: fractional bounds
   * for floating-point dtypes, whole bounds (clipped to the dtype) for the others.
   *
   * @throws OnnxTieException (bad input) for a dtype that cannot be synthesized, a fractional range
   *     for an integer dtype, or a range outside the dtype
   */
  static HostTensor synthesize(
      String name, DataType type, long[] shape, ValueRange range, Random random) {
    long[] whole = isFloating(type) || type == DataType.STRING ? null : range.longs(name, type);
    return synthesize(name, type, shape, whole, range.low(), range.high(), random);
  }

  private static HostTensor synthesize(
      String name,
      DataType type,
      long[] shape,
      long[] range,
      double low,
      double high,
      Random random) {
    long count = Tensors.elementCount(name, shape);
    if (count > Integer.MAX_VALUE / 8) {
      throw OnnxTieException.badInput(
          "input '" + name + "' would have " + count + " elements; set smaller --dim values");
    }
    int elements = (int) count;
    if (type == DataType.STRING) {
      String[] strings = new String[elements];
      for (int i = 0; i < elements; i++) {
        strings[i] = "s" + random.nextInt(10);
      }
      return HostTensor.ofStrings(shape, strings);
    }
    if (!isFloating(type) && !isInteger(type) && type != DataType.BOOL) {
      throw OnnxTieException.badInput(
          "input '"
              + name
              + "' has dtype "
              + type.onnxName()
              + ", for which onnx-tie cannot make random values; give it as a .npy or .pb file");
    }
    ByteBuffer data =
        ByteBuffer.allocate(Math.toIntExact(type.byteSize(elements)))
            .order(ByteOrder.LITTLE_ENDIAN);
    if (isFloating(type)) {
      double lo = low;
      double span = high - low;
      for (int i = 0; i < elements; i++) {
        double value = lo + random.nextDouble() * span;
        switch (type) {
          case FLOAT -> data.putFloat((float) value);
          case DOUBLE -> data.putDouble(value);
          case FLOAT16 -> data.putShort(HostTensor.floatToHalf((float) value));
          case BFLOAT16 -> data.putShort(HostTensor.floatToBfloat16((float) value));
          default -> throw new IllegalStateException(type.toString());
        }
      }
    } else {
      long[] clipped = clip(name, type, range);
      for (int i = 0; i < elements; i++) {
        long value = random.nextLong(clipped[0], clipped[1]);
        switch (type.byteWidth()) {
          case 1 -> data.put((byte) value);
          case 2 -> data.putShort((short) value);
          case 4 -> data.putInt((int) value);
          default -> data.putLong(value);
        }
      }
    }
    data.flip();
    return HostTensor.of(type, shape, data);
  }

  /** The range intersected with what the dtype holds; bad input when nothing is left. */
  static long[] clip(String name, DataType type, long[] given) {
    long[] range =
        given[0] == given[1] && given[1] < Long.MAX_VALUE
            ? new long[] {given[0], given[0] + 1}
            : given;
    long min;
    long max;
    switch (type) {
      case BOOL -> {
        min = 0;
        max = 1;
      }
      case INT8 -> {
        min = Byte.MIN_VALUE;
        max = Byte.MAX_VALUE;
      }
      case UINT8 -> {
        min = 0;
        max = 255;
      }
      case INT16 -> {
        min = Short.MIN_VALUE;
        max = Short.MAX_VALUE;
      }
      case UINT16 -> {
        min = 0;
        max = 65535;
      }
      case INT32 -> {
        min = Integer.MIN_VALUE;
        max = Integer.MAX_VALUE;
      }
      case UINT32 -> {
        min = 0;
        max = 0xFFFF_FFFFL;
      }
      case UINT64 -> {
        min = 0;
        max = Long.MAX_VALUE;
      }
      default -> {
        min = Long.MIN_VALUE;
        max = Long.MAX_VALUE;
      }
    }
    long lo = Math.max(range[0], min);
    long hi = range[1] - 1 <= max ? range[1] : max + 1;
    if (lo >= hi) {
      throw OnnxTieException.badInput(
          "range ["
              + range[0]
              + ", "
              + range[1]
              + ") of input '"
              + name
              + "' holds no "
              + type.onnxName()
              + " value");
    }
    return new long[] {lo, hi};
  }
}
