package dev.onnxtie.pass;

import dev.onnxtie.graph.Attribute;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.graph.TensorType;
import dev.onnxtie.model.DataType;
import dev.onnxtie.tie.Tie;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.tie.TieGroup;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Ties duplicate weights back to one tensor: identical copies are replaced by the kept tensor,
 * transposed (axis-permuted) copies by a {@code Transpose} of it.
 *
 * <pre>
 * Before:  wte[V,H] ── Gather ──> ...          onnx::MatMul_9[H,V] (a copy of wteᵀ) ── MatMul ──> logits
 * After:   wte[V,H] ── Gather ──> ...
 *          wte[V,H] ── Transpose(perm=[1,0]) ──> wte_transposed ── MatMul ──> logits
 *   (--form gemm):  MatMul(x, onnx::MatMul_9)  becomes  Reshape ─ Gemm(x2d, wte, transB=1) ─ Reshape
 * </pre>
 *
 * <p>One Transpose per (kept tensor, perm), shared by all readers and by subgraphs below it. Graph
 * outputs are never removed; initializers that IR ≥ 4 lists as graph inputs (overridable defaults)
 * are left alone. Subgraphs (If/Loop/Scan bodies) are handled: their initializers and Constant nodes
 * are candidates, and they may be tied to a tensor of an enclosing graph.
 */
public final class TieWeights implements Pass {
  private static final Set<Integer> GEMM_TYPES = Set.of(DataType.FLOAT.code(), DataType.DOUBLE.code(), DataType.FLOAT16.code());

  private final TieForm form;
  private final long minBytes;
  private final java.util.function.LongConsumer bytesRead;

  /**
   * A pass that ties duplicates of at least {@code minBytes} bytes.
   *
   * @param form how transposed duplicates are read afterwards
   * @param minBytes smaller tensors are left alone
   */
  public TieWeights(TieForm form, long minBytes) {
    this(form, minBytes, bytes -> {});
  }

  /** The same pass, telling {@code bytesRead} the bytes of each tensor read while finding duplicates (progress). */
  public TieWeights(TieForm form, long minBytes, java.util.function.LongConsumer bytesRead) {
    this.form = form;
    this.minBytes = minBytes;
    this.bytesRead = bytesRead;
  }

  @Override
  public String name() {
    return "tie-weights";
  }

  @Override
  public PassResult apply(GraphEditor editor) {
    List<TieRecord> records = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Map<String, Created> transposes = new HashMap<>();
    int changes = 0;
    for (TieGroup group : TieFinder.find(editor, minBytes, bytesRead)) {
      for (Tie tie : group.ties()) {
        TensorSource removed = tie.removed();
        Scope scope = removed.scope();
        int readers = scope.readers(removed.name()).size();
        if (editor.isShadowed(removed.name()) || editor.isShadowed(tie.kept().name())) {
          records.add(record(tie, readers, "none", false, "a subgraph reuses the name"));
          notes.add("left " + removed.name() + " in place: a subgraph defines a tensor of the same name, so its readers depend on the scope");
          continue;
        }
        if (scope.isInterface(removed.name())) {
          records.add(record(tie, readers, "none", false, "it is a graph output"));
          notes.add("left " + removed.name() + " in place: it is a graph output");
          continue;
        }
        String used;
        if (tie.identical()) {
          scope.rewire(removed.name(), tie.kept().name());
          used = "rewire";
        } else {
          Set<String> forms = new TreeSet<>();
          if (form == TieForm.GEMM) {
            for (Node reader : scope.readers(removed.name())) {
              String why = gemmRefusal(editor, reader, tie);
              if (why == null) {
                rewriteAsGemm(reader, tie);
                forms.add("gemm");
              } else {
                notes.add("transpose form for reader " + reader.label() + " of " + removed.name() + ": " + why);
              }
            }
          }
          if (!scope.readers(removed.name()).isEmpty()) {
            String transposed = transposeOf(tie, scope, transposes);
            scope.rewire(removed.name(), transposed);
            forms.add("transpose");
          }
          used = forms.isEmpty() ? "transpose" : String.join("+", forms);
        }
        scope.markRemovable(removed.name());
        records.add(record(tie, readers, used, true, ""));
        changes++;
      }
    }
    if (form == TieForm.GEMM) {
      editor.ensureOpset("", 14);
    }
    if (editor.functionCount() > 0) {
      notes.add("skipped the bodies of " + editor.functionCount() + " model-local functions: their constants are not tie candidates");
    }
    if (editor.sparseInitializerCount() > 0) {
      notes.add("skipped " + editor.sparseInitializerCount() + " sparse initializers: they are not tie candidates");
    }
    return new PassResult(name(), changes, records, notes);
  }

  private record Created(Scope scope, String name) {}

  /** The shared Transpose output for (kept, perm) visible from {@code scope}, created on first use. */
  private static String transposeOf(Tie tie, Scope scope, Map<String, Created> created) {
    TensorSource kept = tie.kept();
    String key = kept.name() + "|" + Arrays.toString(tie.perm());
    Created existing = created.get(key);
    if (existing != null && existing.scope().encloses(scope)) {
      return existing.name();
    }
    boolean plain = tie.perm().length == 2;
    String base = plain ? kept.name() + "_transposed" : kept.name() + "_perm" + permSuffix(tie.perm());
    String output = scope.editor().uniqueName(base);
    int at = 0;
    if (kept.scope() == scope) {
      at = scope.producer(kept.name()).map(node -> scope.indexOf(node) + 1).orElse(0);
    }
    List<Long> perm = Arrays.stream(tie.perm()).mapToObj(p -> (long) p).toList();
    scope.addNode(at, "Transpose", "Transpose_" + output, List.of(kept.name()), List.of(output), Attribute.ofInts("perm", perm));
    scope.editor().ensureOpset("", scope.editor().irVersion() >= 7 ? 13 : 7);
    scope.declare(output, kept.type().code(), dimsOf(tie.removed().dims()));
    created.put(key, new Created(scope, output));
    return output;
  }

  private static String permSuffix(int[] perm) {
    StringBuilder text = new StringBuilder();
    for (int p : perm) {
      text.append('_').append(p);
    }
    return text.toString();
  }

  private static List<Object> dimsOf(long[] dims) {
    List<Object> list = new ArrayList<>();
    for (long dim : dims) {
      list.add(dim);
    }
    return list;
  }

  /** Why a reader cannot take the Gemm form, or null when it can. */
  private static String gemmRefusal(GraphEditor editor, Node reader, Tie tie) {
    if (!reader.is("MatMul") || reader.inputs().size() != 2) {
      return "it is a " + reader.opType() + " with " + reader.inputs().size() + " inputs, not a two-input MatMul";
    }
    if (!reader.inputs().get(1).equals(tie.removed().name()) || reader.inputs().get(0).equals(tie.removed().name())) {
      return "the weight is not (only) its B input";
    }
    if (tie.removed().rank() != 2) {
      return "the weight has rank " + tie.removed().rank();
    }
    if (!GEMM_TYPES.contains(tie.kept().type().code())) {
      return "Gemm in ONNX Runtime has no " + tie.kept().type().onnxName() + " kernel";
    }
    if (editor.opsetVersion("") < 14) {
      return "opset " + editor.opsetVersion("") + " is below 14 (Reshape needs allowzero for empty batches)";
    }
    return null;
  }

  /** MatMul(x, Wᵀ) → Gemm(x, W, transB=1), with Reshape to 2-D and back unless x is known 2-D. */
  private static void rewriteAsGemm(Node matmul, Tie tie) {
    Scope scope = matmul.scope();
    GraphEditorNames names = new GraphEditorNames(scope.editor());
    String x = matmul.inputs().get(0);
    String y = matmul.outputs().get(0);
    String weight = tie.kept().name();
    long k = tie.removed().dims()[0];
    long n = tie.removed().dims()[1];
    int at = scope.indexOf(matmul);
    String base = matmul.name().isEmpty() ? "MatMul" : matmul.name();
    TensorType xType = scope.typeOf(x).orElse(null);
    scope.removeNode(matmul);
    if (xType != null && xType.rank() == 2) {
      scope.addNode(at, "Gemm", base + "_gemm", List.of(x, weight), List.of(y), Attribute.ofInt("transB", 1));
      return;
    }
    String shape2d = names.int64(scope, base + "_shape2d", -1, k);
    String starts = names.int64(scope, base + "_lead_start", 0);
    String ends = names.int64(scope, base + "_lead_end", -1);
    String width = names.int64(scope, base + "_width", n);
    String flat = names.unique(base + "_x2d");
    String product = names.unique(base + "_y2d");
    String xShape = names.unique(base + "_x_shape");
    String lead = names.unique(base + "_lead_dims");
    String yShape = names.unique(base + "_y_shape");
    scope.addNode(at++, "Reshape", base + "_to2d", List.of(x, shape2d), List.of(flat));
    scope.addNode(at++, "Gemm", base + "_gemm", List.of(flat, weight), List.of(product), Attribute.ofInt("transB", 1));
    scope.addNode(at++, "Shape", base + "_shape", List.of(x), List.of(xShape));
    scope.addNode(at++, "Slice", base + "_lead", List.of(xShape, starts, ends), List.of(lead));
    scope.addNode(at++, "Concat", base + "_out_shape", List.of(lead, width), List.of(yShape), Attribute.ofInt("axis", 0));
    // allowzero: a 0 among the leading dims is an empty batch, not "copy this dim"
    scope.addNode(at, "Reshape", base + "_from2d", List.of(product, yShape), List.of(y), Attribute.ofInt("allowzero", 1));
  }

  /** Small helper for the unique names and int64 constants the Gemm form needs. */
  private record GraphEditorNames(GraphEditor editor) {
    String unique(String base) {
      return editor.uniqueName(base);
    }

    String int64(Scope scope, String base, long... values) {
      String name = editor.uniqueName(base);
      ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      for (long value : values) {
        raw.putLong(value);
      }
      scope.addInitializer(name, DataType.INT64, new long[] {values.length}, raw.array());
      return name;
    }
  }

  private static TieRecord record(Tie tie, int readers, String form, boolean applied, String reason) {
    List<Integer> perm = Arrays.stream(tie.perm()).boxed().toList();
    List<Long> shape = Arrays.stream(tie.removed().dims()).boxed().toList();
    return new TieRecord(tie.kept().name(), tie.removed().name(), tie.identical() ? "identical" : "transpose", perm,
        tie.removed().type().onnxName(), shape, readers, tie.removed().byteSize(), tie.removed().scope().path(), form, applied, reason);
  }
}
