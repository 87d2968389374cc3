/**
 * Rewrite passes, one per file. A pass rewires through the {@link dev.onnxtie.graph.GraphEditor}
 * and returns a {@link dev.onnxtie.pass.PassResult} with its change count and notes; it never removes
 * what it made unused (the editor's build does) and running it twice changes nothing the second time.
 */
package dev.onnxtie.pass;
