/**
 * Tie detection: finds constant tensors that are exact copies of each other under a {@link
 * dev.onnxtie.tie.Relation}, bit for bit, in any dtype (strings element by element).
 *
 * <h2>Design</h2>
 *
 * <ul>
 *   <li>{@link dev.onnxtie.tie.Relation} is a sealed type: {@code Identical}, {@code
 *       Permuted(perm)}, {@code Reshaped(shape)}. A {@link dev.onnxtie.tie.Tie} carries one; the
 *       rewrite pass ({@code pass.TieWeights}) has one rewiring per relation; the API shows it as
 *       {@code api.TieRelation} (converted in one place, worded by {@code Relation.text()}/{@code
 *       kind()}), which the CLI renders in one text renderer ({@code cli.Text}) and one JSON
 *       adapter.
 *   <li>A {@code Matcher} per relation family: which tensors it looks at, a bucket key from dtype
 *       and dims alone, an optional byte key that splits large buckets, and the byte-exact
 *       confirmation of a pair ({@code Matchers}: permuted (identical first), strings, reshaped).
 *   <li>One grouping engine ({@code Grouping}) shared by {@link dev.onnxtie.tie.TieFinder} (inside
 *       a model; the kept-name rule orders the candidates) and {@link
 *       dev.onnxtie.tie.CrossFileFinder} (across files). A tensor alone in its bucket is never
 *       read; small buckets are compared pair by pair (a mismatch ends a comparison early); only
 *       buckets of more than 256 tensors compute {@link dev.onnxtie.tie.PermutationKey} (or a plain
 *       hash for reshapes) first.
 *   <li>{@link dev.onnxtie.tie.TransposedTie} finds ties that already exist as a Transpose node,
 *       for {@code inspect}, {@code check --transposed-ties} and the memory form.
 * </ul>
 *
 * <p>Adding a relation touches its record here, its matcher, its rewiring and its tests.
 *
 * <h2>Before and after, per relation</h2>
 *
 * <pre>
 * Identical   Before: A[4,6] ── X      A'[4,6] (same bytes) ── Y
 *             After:  A ── X, A ── Y
 * Permuted    Before: wte[V,H] ── Gather      onnx::MatMul_9[H,V] (= wteᵀ) ── MatMul
 *             After:  wte ── Gather           wte ── Transpose([1,0]) ── MatMul
 *                     (--form gemm: Reshape ── Gemm(x2d, wte, transB=1) ── Reshape)
 * Reshaped    Before: qweight[V,K/2] ── GatherBlockQuantized     head_Q4[V,K/32,16] (same bytes) ── MatMulNBits
 *             After:  qweight ── GatherBlockQuantized            qweight ── Reshape([V,K/32,16]) ── MatMulNBits
 *                     (scales [V*K/32] of the same bytes: MatMulNBits reads the kept [V,K/32] directly)
 * Strings     Before: vocab ["a","bc"] ── X      vocab' ["a","bc"] ── Y       (["ab","c"] is no copy)
 *             After:  vocab ── X, vocab ── Y
 * Existing    Before: W ── Gather      W ── Transpose ── MatMul(x, ·)      (ONNX Runtime holds W twice)
 * (memory     After:  W ── Gather      x ── Reshape ── Gemm(·, W, transB=1) ── Reshape
 *  form)
 * </pre>
 */
package dev.onnxtie.tie;
