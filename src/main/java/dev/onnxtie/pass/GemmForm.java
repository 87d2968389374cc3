package dev.onnxtie.pass;

import dev.onnxtie.graph.Attribute;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorType;
import dev.onnxtie.model.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;

/**
 * The Gemm form of {@code MatMul(x, Wᵀ)}: {@code Gemm(x, W, transB=1)}, with {@code Reshape} to 2-D
 * and back unless x is known to be 2-D, so that ONNX Runtime never holds a transposed copy of W.
 * Shared by {@link TieWeights} (removed transposed duplicates) and {@link GemmForTransposedWeights}
 * (ties that already exist as a Transpose node).
 *
 * <pre>
 * Before:  x ── MatMul(x, Wt) ── y            (Wt[K,N] = Wᵀ, a copy or a Transpose of W[N,K])
 * After:   x ── Reshape[-1,K] ── Gemm(·, W, transB=1) ── Reshape[lead dims of x, N] ── y
 * </pre>
 */
final class GemmForm {
  private static final Set<Integer> GEMM_TYPES =
      Set.of(DataType.FLOAT.code(), DataType.DOUBLE.code(), DataType.FLOAT16.code());

  private GemmForm() {}

  /**
   * Why a reader of {@code transposed} (a [K, N] tensor of this dtype) cannot take the Gemm form,
   * or null when it can.
   */
  static String refusal(
      GraphEditor editor, Node reader, String transposed, int rank, DataType type) {
    if (!reader.is("MatMul") || reader.inputs().size() != 2) {
      return "it is a "
          + reader.opType()
          + " with "
          + reader.inputs().size()
          + " inputs, not a two-input MatMul";
    }
    if (!reader.inputs().get(1).equals(transposed) || reader.inputs().get(0).equals(transposed)) {
      return "the weight is not (only) its B input";
    }
    if (rank != 2) {
      return "the weight has rank " + rank;
    }
    if (!GEMM_TYPES.contains(type.code())) {
      return "Gemm in ONNX Runtime has no " + type.onnxName() + " kernel";
    }
    if (editor.opsetVersion("") < 14) {
      return "opset "
          + editor.opsetVersion("")
          + " is below 14 (Reshape needs allowzero for empty batches)";
    }
    return null;
  }

  /** MatMul(x, Wᵀ) → Gemm(x, W, transB=1), where Wᵀ is [k, n] and {@code weight} is W [n, k]. */
  static void rewrite(Node matmul, String weight, long k, long n) {
    Scope scope = matmul.scope();
    GraphEditor editor = scope.editor();
    String x = matmul.inputs().get(0);
    String y = matmul.outputs().get(0);
    int at = scope.indexOf(matmul);
    String base = matmul.name().isEmpty() ? "MatMul" : matmul.name();
    TensorType xType = scope.typeOf(x).orElse(null);
    scope.removeNode(matmul);
    if (xType != null && xType.rank() == 2) {
      scope.addNode(
          at, "Gemm", base + "_gemm", List.of(x, weight), List.of(y), Attribute.ofInt("transB", 1));
      return;
    }
    String shape2d = int64(scope, base + "_shape2d", -1, k);
    String starts = int64(scope, base + "_lead_start", 0);
    String ends = int64(scope, base + "_lead_end", -1);
    String width = int64(scope, base + "_width", n);
    String flat = editor.uniqueName(base + "_x2d");
    String product = editor.uniqueName(base + "_y2d");
    String xShape = editor.uniqueName(base + "_x_shape");
    String lead = editor.uniqueName(base + "_lead_dims");
    String yShape = editor.uniqueName(base + "_y_shape");
    scope.addNode(at++, "Reshape", base + "_to2d", List.of(x, shape2d), List.of(flat));
    scope.addNode(
        at++,
        "Gemm",
        base + "_gemm",
        List.of(flat, weight),
        List.of(product),
        Attribute.ofInt("transB", 1));
    scope.addNode(at++, "Shape", base + "_shape", List.of(x), List.of(xShape));
    scope.addNode(at++, "Slice", base + "_lead", List.of(xShape, starts, ends), List.of(lead));
    scope.addNode(
        at++,
        "Concat",
        base + "_out_shape",
        List.of(lead, width),
        List.of(yShape),
        Attribute.ofInt("axis", 0));
    // allowzero: a 0 among the leading dims is an empty batch, not "copy this dim"
    scope.addNode(
        at,
        "Reshape",
        base + "_from2d",
        List.of(product, yShape),
        List.of(y),
        Attribute.ofInt("allowzero", 1));
  }

  /**
   * A new int64 [values.length] initializer of {@code scope}, under a unique name derived from
   * base.
   */
  static String int64(Scope scope, String base, long... values) {
    String name = scope.editor().uniqueName(base);
    ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long value : values) {
      raw.putLong(value);
    }
    scope.addInitializer(name, DataType.INT64, new long[] {values.length}, raw.array());
    return name;
  }
}
