package dev.onnxtie.pass;

import dev.onnxtie.tie.Relation;
import java.util.List;

/**
 * One tie as reported: which tensor stayed, which went, how they relate and what it saved. The
 * API's {@code api.TieInfo} is made from it in one place ({@code TieInfo.of}); the CLI's text (one
 * renderer, {@code cli.Text}) and its JSON (the relation as {@code {"kind": ..., "perm"|"shape":
 * ...}}) are two views of that.
 *
 * @param kept name of the tensor that stays
 * @param removed name of the duplicate
 * @param relation how removed is made from kept
 * @param dtype element type name
 * @param shape dims of the removed tensor
 * @param readers nodes that read the removed tensor
 * @param bytes raw bytes of the removed tensor (saved when applied)
 * @param addedBytes serialized bytes of the nodes, initializers and type declarations the tie added
 * @param scope graph path of the removed tensor
 * @param form how readers were rewired: {@code rewire}, {@code transpose}, {@code gemm}, {@code
 *     reshape}, or a mix joined by {@code +}; {@link #EXISTING_GEMM} for a tie that existed as a
 *     Transpose node and now reads the kept tensor through Gemm ({@code removed} is then the
 *     Transpose's output, and no tensor bytes leave the file)
 * @param applied false when the duplicate was found but left in place (see {@code reason})
 * @param reason why it was not applied, or empty
 */
public record TieRecord(
    String kept,
    String removed,
    Relation relation,
    String dtype,
    List<Long> shape,
    int readers,
    long bytes,
    long addedBytes,
    String scope,
    String form,
    boolean applied,
    String reason) {
  /** The form of a tie that already existed as a Transpose node and now takes the Gemm form. */
  public static final String EXISTING_GEMM = "gemm-existing";

  /** True when the tie added more bytes of graph structure than it removed tensor bytes. */
  public boolean grows() {
    return applied && bytes > 0 && addedBytes > bytes;
  }

  /** True for a tie that existed as a Transpose node and now takes the Gemm form. */
  public boolean existing() {
    return form.equals(EXISTING_GEMM);
  }
}
