/**
 * Rewrite passes, one per file, found by name in {@link dev.onnxtie.pass.Passes} and run on one
 * {@link dev.onnxtie.graph.GraphEditor} that the caller builds once at the end. A pass rewires and
 * adds through the editor and returns a {@link dev.onnxtie.pass.PassResult} with its change count,
 * its ties ({@link dev.onnxtie.pass.TieRecord}) and notes; it never removes what it made unused
 * (the editor's build does), and declares whether it is idempotent (a shared test runs every
 * idempotent pass twice: the second run changes nothing).
 *
 * <ul>
 *   <li>{@code tie-weights} ({@link dev.onnxtie.pass.TieWeights}): removes duplicates, one rewiring
 *       per relation;
 *   <li>{@code gemm-for-transposed-weights} ({@link dev.onnxtie.pass.GemmForTransposedWeights}):
 *       the memory form for ties that already exist as a Transpose node (run by {@code rewrite
 *       --form gemm});
 *   <li>{@code insert-tied-decoder} ({@link dev.onnxtie.pass.InsertTiedDecoder}): adds a decoder
 *       that reads an encoder's weight (not idempotent).
 * </ul>
 */
package dev.onnxtie.pass;
