package dev.onnxtie.api;

import dev.onnxtie.pass.TieRecord;
import java.util.List;

/**
 * One tie as the API reports it: which tensor stayed, which went, how they relate and what it
 * saved.
 *
 * @param kept name of the tensor that stays
 * @param removed name of the duplicate (for a tie that existed as a Transpose node: the Transpose's
 *     output)
 * @param relation how removed is made from kept
 * @param dtype element type name
 * @param shape dims of the removed tensor
 * @param readers nodes that read the removed tensor
 * @param bytes raw bytes of the removed tensor (0 for a tie that existed as a Transpose node: no
 *     tensor bytes leave the file)
 * @param addedBytes serialized bytes of the nodes, initializers and type declarations the tie added
 * @param scope graph path of the removed tensor
 * @param form how readers are rewired: {@code rewire}, {@code transpose}, {@code gemm}, {@code
 *     reshape}, or a mix joined by {@code +}; {@code gemm-existing} for a tie that existed as a
 *     Transpose node and now reads the kept tensor through Gemm
 * @param outcome {@code tied} (applied), {@code would tie} (a dry run) or {@code not tied} (see
 *     {@code reason})
 * @param applied true only when the written output holds the tie (never in a dry run)
 * @param reason why it was not tied, or empty
 */
public record TieInfo(
    String kept,
    String removed,
    TieRelation relation,
    String dtype,
    List<Long> shape,
    int readers,
    long bytes,
    long addedBytes,
    String scope,
    String form,
    String outcome,
    boolean applied,
    String reason) {

  /** True when the tie is applied, or would be in a dry run. */
  public boolean saves() {
    return !outcome.equals("not tied");
  }

  /**
   * True when the tie adds (or would add) more bytes of graph structure than it removes tensor
   * bytes.
   */
  public boolean grows() {
    return saves() && bytes > 0 && addedBytes > bytes;
  }

  /** True for a tie that existed as a Transpose node and now reads the kept tensor through Gemm. */
  public boolean existing() {
    return form.equals(TieRecord.EXISTING_GEMM);
  }

  /**
   * The one conversion from the pass's record to the API's: the seam where the tie relation's
   * representation changes.
   */
  static TieInfo of(TieRecord tie, boolean dryRun) {
    String outcome = !tie.applied() ? "not tied" : dryRun ? "would tie" : "tied";
    return new TieInfo(
        tie.kept(),
        tie.removed(),
        TieRelations.of(tie.relation()),
        tie.dtype(),
        tie.shape(),
        tie.readers(),
        tie.bytes(),
        tie.addedBytes(),
        tie.scope(),
        tie.form(),
        outcome,
        tie.applied() && !dryRun,
        tie.reason());
  }
}
