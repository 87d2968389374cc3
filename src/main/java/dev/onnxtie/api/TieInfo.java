package dev.onnxtie.api;

import dev.onnxtie.pass.TieRecord;
import java.util.List;

/**
 * One tie as the API reports it: which tensor stayed, which went, how they relate and what it saved.
 *
 * @param kept name of the tensor that stays
 * @param removed name of the duplicate
 * @param relation {@code identical} or {@code transpose}
 * @param perm Transpose perm turning kept into removed (identity for identical)
 * @param dtype element type name
 * @param shape dims of the removed tensor
 * @param readers nodes that read the removed tensor
 * @param bytes raw bytes of the removed tensor
 * @param scope graph path of the removed tensor
 * @param form how readers are rewired: {@code rewire}, {@code transpose}, {@code gemm}, or a mix
 * @param outcome {@code tied} (applied), {@code would tie} (a dry run) or {@code not tied} (see {@code reason})
 * @param applied true only when the written output holds the tie (never in a dry run)
 * @param reason why it was not tied, or empty
 */
public record TieInfo(String kept, String removed, String relation, List<Integer> perm, String dtype, List<Long> shape,
    int readers, long bytes, String scope, String form, String outcome, boolean applied, String reason) {

  /** True when the tie is applied, or would be in a dry run. */
  public boolean saves() {
    return !outcome.equals("not tied");
  }

  /**
   * The one conversion from the pass's record to the API's: the seam where the tie relation's
   * representation changes.
   */
  static TieInfo of(TieRecord tie, boolean dryRun) {
    String outcome = !tie.applied() ? "not tied" : dryRun ? "would tie" : "tied";
    return new TieInfo(tie.kept(), tie.removed(), tie.relation(), tie.perm(), tie.dtype(), tie.shape(), tie.readers(),
        tie.bytes(), tie.scope(), tie.form(), outcome, tie.applied() && !dryRun, tie.reason());
  }
}
