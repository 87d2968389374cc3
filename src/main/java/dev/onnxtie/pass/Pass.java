package dev.onnxtie.pass;

import dev.onnxtie.graph.GraphEditor;
import java.util.List;

/**
 * A graph rewrite with one job. A pass takes its own typed arguments in its constructor (never a
 * bag of settings shared by all passes) and is run by a {@link PassPipeline}, which checks what
 * every pass promises: the graph inputs and outputs untouched (outputs may be added) and the
 * initializers that are graph inputs kept, plus what the pass itself promises in {@link #ensures}.
 */
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

  /**
   * What must hold before {@link #apply}: the pipeline calls it first.
   *
   * @throws IllegalStateException when the pass cannot run as configured (a programmer error)
   */
  default void requires(GraphEditor editor) {}

  /**
   * What the pass promises about the editor after {@link #apply} returned {@code result}, beyond
   * the interface every pass keeps: the broken promises, one line each, or none.
   */
  default List<String> ensures(GraphEditor editor, PassResult result) {
    return List.of();
  }
}
