package dev.onnxtie.pass;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.tie.Relation;
import dev.onnxtie.tie.TransposedTie;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory form for ties that already exist: every {@code MatMul(x, Transpose(W))} with W a
 * rank-2 initializer and perm [1, 0] (written by torch's dynamo exporter, Optimum,
 * onnxruntime-genai or onnx-tie's own transpose form) whose W is also read elsewhere ({@link
 * TransposedTie#heldTwice()}) becomes the Gemm form; the Transpose goes when nothing else reads it.
 * ONNX Runtime then holds W once (with prepacking off). A W read by the Transpose alone is left as
 * it is (and named in the notes): ONNX Runtime folds the Transpose and frees W, so it holds one
 * copy already.
 *
 * <pre>
 * Before:  W[V,H] ── Gather ── ...      W ── Transpose ── Wt[H,V] ── MatMul(x, Wt) ── logits
 * After:   W[V,H] ── Gather ── ...      x ── Reshape ── Gemm(x2d, W, transB=1) ── Reshape ── logits
 * </pre>
 *
 * <p>Idempotent: its output has no MatMul reading a Transpose of an initializer that it could
 * convert. Readers it cannot convert (another op, a dtype without a Gemm kernel, opset below 14)
 * keep the Transpose and are named in the notes.
 */
public final class GemmForTransposedWeights implements Pass {
  @Override
  public String name() {
    return "gemm-for-transposed-weights";
  }

  @Override
  public boolean idempotent() {
    return true;
  }

  @Override
  public PassResult apply(GraphEditor editor) {
    List<TieRecord> records = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    int changes = 0;
    for (TransposedTie tie : TransposedTie.find(editor)) {
      Node transpose = tie.transpose();
      if (!tie.heldTwice()) {
        // ONNX Runtime folds the Transpose and frees W: one copy already, and the Gemm form would
        // only add nodes
        notes.add(
            "kept Transpose "
                + transpose.label()
                + ": nothing else reads "
                + tie.weight().name()
                + ", so ONNX Runtime holds it once already");
        continue;
      }
      Scope scope = transpose.scope();
      String transposed = transpose.outputs().get(0);
      long[] dims = tie.weight().dims();
      long before = editor.addedBytes();
      int converted = 0;
      for (Node matmul : tie.matmuls()) {
        String why =
            GemmForm.refusal(editor, matmul, transposed, tie.weight().rank(), tie.weight().type());
        if (why != null) {
          notes.add("kept Transpose " + transpose.label() + " for " + matmul.label() + ": " + why);
          continue;
        }
        GemmForm.rewrite(matmul, tie.weight().name(), dims[1], dims[0]);
        converted++;
      }
      if (converted == 0) {
        continue;
      }
      changes++;
      boolean gone = scope.readers(transposed).isEmpty() && !scope.isInterface(transposed);
      if (gone) {
        scope.markRemovable(transposed);
      } else {
        notes.add(
            "kept Transpose "
                + transpose.label()
                + ": "
                + scope.readers(transposed).size()
                + " other readers still read it");
      }
      // no tensor bytes leave the file: the saving is the transposed copy ONNX Runtime no longer
      // makes
      records.add(
          new TieRecord(
              tie.weight().name(),
              transposed,
              new Relation.Permuted(List.of(1, 0)),
              tie.weight().type().onnxName(),
              List.of(dims[1], dims[0]),
              converted,
              0,
              editor.addedBytes() - before,
              scope.path(),
              TieRecord.EXISTING_GEMM,
              true,
              ""));
      if (gone) {
        notes.add(
            "the Transpose of "
                + tie.weight().name()
                + " is gone: ONNX Runtime no longer holds a transposed copy of it ("
                + tie.weight().byteSize()
                + " bytes) when prepacking is off");
      }
    }
    return new PassResult(name(), changes, records, notes);
  }
}
