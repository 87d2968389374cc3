package dev.onnxtie.pass;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.tie.Relation;
import dev.onnxtie.tie.Tie;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.tie.TieGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Ties duplicate weights back to one tensor, one rewiring per {@link Relation}:
 *
 * <pre>
 * Identical:  A ── X        A' (= A) ── Y             After: A ── X, A ── Y
 * Permuted:   wte[V,H] ── Gather        onnx::MatMul_9[H,V] (= wteᵀ) ── MatMul ── logits
 *      After: wte[V,H] ── Gather
 *             wte[V,H] ── Transpose(perm=[1,0]) ── wte_transposed ── MatMul ── logits
 *      (--form gemm): MatMul(x, onnx::MatMul_9) becomes Reshape ─ Gemm(x2d, wte, transB=1) ─ Reshape
 * Reshaped:   emb[V,K/2] ── GatherBlockQuantized     head_B[V,K/32,16] (same bytes) ── MatMulNBits
 *      After: emb[V,K/2] ── GatherBlockQuantized
 *             emb[V,K/2] ── Reshape([V,K/32,16]) ── emb_reshaped ── MatMulNBits
 *      (a reader that accepts either layout, such as MatMulNBits' scales and zero points, reads the
 *       kept tensor directly: no Reshape)
 * </pre>
 *
 * <p>One Transpose or Reshape per (kept tensor, relation), shared by all readers and by subgraphs
 * below it. A duplicate that is a graph output keeps its name: an {@code Identity} of the kept
 * tensor (of its Transpose or Reshape) writes it, bit for bit; initializers that IR ≥ 4 lists as
 * graph inputs (overridable defaults) are left alone. Subgraphs (If/Loop/Scan bodies) are handled:
 * their initializers and Constant nodes are candidates, and they may be tied to a tensor of an
 * enclosing graph. Idempotent: what it removes is gone, and what it adds is below the default
 * threshold.
 */
public final class TieWeights implements Pass {
  /**
   * The pass's arguments.
   *
   * @param form how transposed duplicates are read afterwards
   * @param minBytes smaller tensors are left alone
   * @param bytesRead told the bytes of each tensor read while finding duplicates (progress)
   */
  public record Arguments(TieForm form, long minBytes, LongConsumer bytesRead) {
    /** Checks the arguments. */
    public Arguments {
      Objects.requireNonNull(form, "form");
      Objects.requireNonNull(bytesRead, "bytesRead");
    }

    /** Arguments without progress. */
    public Arguments(TieForm form, long minBytes) {
      this(form, minBytes, bytes -> {});
    }
  }

  private final TieForm form;
  private final long minBytes;
  private final LongConsumer bytesRead;

  /** A pass that ties duplicates as {@code arguments} say. */
  public TieWeights(Arguments arguments) {
    this.form = arguments.form();
    this.minBytes = arguments.minBytes();
    this.bytesRead = arguments.bytesRead();
  }

  /**
   * A pass that ties duplicates of at least {@code minBytes} bytes.
   *
   * @param form how transposed duplicates are read afterwards
   * @param minBytes smaller tensors are left alone
   */
  public TieWeights(TieForm form, long minBytes) {
    this(new Arguments(form, minBytes));
  }

  @Override
  public String name() {
    return "tie-weights";
  }

  @Override
  public boolean idempotent() {
    return true;
  }

  /**
   * Every applied tie rewired all readers of the removed tensor, except a removed graph output,
   * which keeps its name and is written by the Identity (form {@code identity}).
   */
  @Override
  public List<String> ensures(GraphEditor editor, PassResult result) {
    Map<String, Scope> scopes = new HashMap<>();
    for (Scope scope : editor.scopes()) {
      scopes.put(scope.path(), scope);
    }
    List<String> broken = new ArrayList<>();
    for (TieRecord tie : result.ties()) {
      if (!tie.applied() || tie.form().equals(ReaderForm.IDENTITY.word())) {
        continue;
      }
      Scope scope = scopes.get(tie.scope());
      int readers = scope == null ? 0 : scope.readers(tie.removed()).size();
      if (readers > 0) {
        broken.add(
            "the tied tensor '" + tie.removed() + "' is still read by " + readers + " nodes");
      }
    }
    return broken;
  }

  @Override
  public PassResult apply(GraphEditor editor) {
    List<TieRecord> records = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    DerivedNodes derived = new DerivedNodes();
    int changes = 0;
    for (TieGroup group : TieFinder.find(editor, minBytes, bytesRead)) {
      for (Tie tie : group.ties()) {
        TensorSource removed = tie.removed();
        Scope scope = removed.scope();
        int readers = scope.readers(removed.name()).size();
        if (editor.isShadowed(removed.name()) || editor.isShadowed(tie.kept().name())) {
          records.add(
              record(
                  tie,
                  readers,
                  0,
                  EnumSet.of(ReaderForm.NONE),
                  false,
                  "a subgraph reuses the name"));
          notes.add(
              "left "
                  + removed.name()
                  + " in place: a subgraph defines a tensor of the same name, so its readers depend on the scope");
          continue;
        }
        if (scope.isInterface(removed.name())) {
          // a graph output keeps its name: an Identity (or the Transpose/Reshape) of the kept
          // tensor writes it
          long before = editor.addedBytes();
          String source =
              tie.relation() instanceof Relation.Identical ? tie.kept().name() : derived.of(tie);
          scope.redefine(removed.name(), "Identity", List.of(source));
          scope.declare(
              removed.name(),
              tie.removed().type().code(),
              DerivedNodes.dimsOf(tie.removed().dims()));
          records.add(
              record(
                  tie,
                  readers,
                  editor.addedBytes() - before,
                  EnumSet.of(ReaderForm.IDENTITY),
                  true,
                  ""));
          changes++;
          continue;
        }
        if (tie.relation() instanceof Relation.Reshaped
            && editor.opsetVersion("") >= 0
            && editor.opsetVersion("") < 5) {
          records.add(
              record(tie, readers, 0, EnumSet.of(ReaderForm.NONE), false, "Reshape needs opset 5"));
          notes.add(
              "left "
                  + removed.name()
                  + " in place: reading it as a Reshape needs opset 5, the model imports "
                  + editor.opsetVersion(""));
          continue;
        }
        long before = editor.addedBytes();
        Set<ReaderForm> used = rewire(editor, tie, notes, derived);
        scope.markRemovable(removed.name());
        records.add(record(tie, readers, editor.addedBytes() - before, used, true, ""));
        changes++;
      }
    }
    if (form == TieForm.GEMM && changes > 0) {
      editor.ensureOpset("", 14);
    }
    if (editor.functionCount() > 0) {
      notes.add(
          "skipped the bodies of "
              + editor.functionCount()
              + " model-local functions: their constants are not tie candidates");
    }
    if (editor.sparseInitializerCount() > 0) {
      notes.add(
          "skipped "
              + editor.sparseInitializerCount()
              + " sparse initializers: they are not tie candidates");
    }
    return new PassResult(name(), changes, records, notes);
  }

  /** The rewiring strategy of the tie's relation; returns the forms its readers took. */
  private Set<ReaderForm> rewire(
      GraphEditor editor, Tie tie, List<String> notes, DerivedNodes derived) {
    Scope scope = tie.removed().scope();
    String removed = tie.removed().name();
    if (tie.relation() instanceof Relation.Identical) {
      scope.rewire(removed, tie.kept().name());
      return EnumSet.of(ReaderForm.REWIRE);
    }
    if (tie.relation() instanceof Relation.Reshaped reshaped) {
      if (scope.readers(removed).stream()
          .allMatch(reader -> acceptsEitherLayout(reader, removed, tie.kept()))) {
        scope.rewire(removed, tie.kept().name());
        return EnumSet.of(ReaderForm.REWIRE);
      }
      scope.rewire(removed, derived.reshape(tie, scope, reshaped.shape()));
      return EnumSet.of(ReaderForm.RESHAPE);
    }
    Relation.Permuted permuted = (Relation.Permuted) tie.relation();
    Set<ReaderForm> forms = EnumSet.noneOf(ReaderForm.class);
    if (form == TieForm.GEMM) {
      for (Node reader : scope.readers(removed)) {
        String why =
            GemmForm.refusal(editor, reader, removed, tie.removed().rank(), tie.kept().type());
        if (why == null) {
          GemmForm.rewrite(
              reader, tie.kept().name(), tie.removed().dims()[0], tie.removed().dims()[1]);
          forms.add(ReaderForm.GEMM);
        } else {
          notes.add("transpose form for reader " + reader.label() + " of " + removed + ": " + why);
        }
      }
    }
    if (!scope.readers(removed).isEmpty()) {
      scope.rewire(removed, derived.transpose(tie, scope, permuted.perm()));
      forms.add(ReaderForm.TRANSPOSE);
    }
    return forms.isEmpty() ? EnumSet.of(ReaderForm.TRANSPOSE) : forms;
  }

  /**
   * True when {@code reader} reads {@code removed} only where it accepts either layout of the same
   * elements, so that it may read the kept tensor as it is: {@code com.microsoft} {@code
   * MatMulNBits} takes scales and zero points as [N, blocks] or as 1-D [N * blocks] (ONNX Runtime's
   * matmul_nbits_helper: "1D shape is for backward compatibility").
   */
  static boolean acceptsEitherLayout(Node reader, String removed, TensorSource kept) {
    if (!reader.opType().equals("MatMulNBits") || !reader.domain().equals("com.microsoft")) {
      return false;
    }
    List<String> inputs = reader.inputs();
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i).equals(removed) && i != 2 && i != 3) {
        return false;
      }
    }
    long[] dims = kept.dims();
    return dims.length == 1 || (dims.length == 2 && dims[0] == reader.intAttribute("N", -1));
  }

  private static TieRecord record(
      Tie tie,
      int readers,
      long addedBytes,
      Set<ReaderForm> forms,
      boolean applied,
      String reason) {
    List<Long> shape = Arrays.stream(tie.removed().dims()).boxed().toList();
    return new TieRecord(
        tie.kept().name(),
        tie.removed().name(),
        tie.relation(),
        tie.removed().type().onnxName(),
        shape,
        readers,
        tie.removed().byteSize(),
        addedBytes,
        tie.removed().scope().path(),
        ReaderForm.words(forms),
        applied,
        reason);
  }
}
