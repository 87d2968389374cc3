package dev.onnxtie.pass;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.GraphInterface;
import java.util.ArrayList;
import java.util.List;

/**
 * Passes run in order on one editor, each checked against what it promises (as onnx-ir's pass
 * manager checks {@code requires} and {@code ensures}): before a pass, {@link Pass#requires}; after
 * it, the graphs' interface ({@link GraphInterface}: inputs and outputs untouched, initializers
 * that are graph inputs kept) and {@link Pass#ensures}. A broken promise is a bug in the pass: an
 * internal error (exit 3) that names it, before anything is written.
 *
 * <p>The editor is not built: the caller builds it once at the end ({@link GraphEditor#build()}),
 * where removal and sorting happen.
 */
public final class PassPipeline {
  private final List<Pass> passes;

  /** A pipeline of these passes, run in this order. */
  public PassPipeline(List<Pass> passes) {
    this.passes = List.copyOf(passes);
  }

  /** A pipeline of these passes, run in this order. */
  public static PassPipeline of(Pass... passes) {
    return new PassPipeline(List.of(passes));
  }

  /** The passes, in order. */
  public List<Pass> passes() {
    return passes;
  }

  /**
   * Runs every pass and merges their results: one pass's result as it is, or the names joined by
   * {@code +}, changes summed, ties and notes in pass order.
   *
   * @throws OnnxTieException (internal, exit 3) when a pass broke a promise
   */
  public PassResult run(GraphEditor editor) {
    List<PassResult> results = new ArrayList<>();
    for (Pass pass : passes) {
      pass.requires(editor);
      GraphInterface before = GraphInterface.of(editor);
      PassResult result = pass.apply(editor);
      List<String> broken = new ArrayList<>(before.changesIn(editor));
      broken.addAll(pass.ensures(editor, result));
      if (!broken.isEmpty()) {
        throw new OnnxTieException(
            OnnxTieException.INTERNAL,
            "internal error: the pass "
                + pass.name()
                + " broke its promise ("
                + String.join("; ", broken)
                + "); nothing was written. Please report this with the input model");
      }
      results.add(result);
    }
    if (results.size() == 1) {
      return results.get(0);
    }
    int changes = 0;
    List<TieRecord> ties = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (PassResult result : results) {
      names.add(result.pass());
      changes += result.changes();
      ties.addAll(result.ties());
      notes.addAll(result.notes());
    }
    return new PassResult(String.join("+", names), changes, ties, notes);
  }
}
