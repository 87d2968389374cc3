package dev.onnxtie.pass;

import dev.onnxtie.graph.GraphEditor;

/** A graph rewrite with one job. */
public interface Pass {
  /** A short name for reports and for {@link Passes#byName}, e.g. {@code tie-weights}. */
  String name();

  /**
   * True when a second run on the pass's own output changes nothing (the shared test runs every
   * idempotent pass twice); false for passes that add something each time they run.
   */
  boolean idempotent();

  /**
   * Applies the pass to the model in {@code editor}; the caller builds the editor once at the end.
   */
  PassResult apply(GraphEditor editor);
}
