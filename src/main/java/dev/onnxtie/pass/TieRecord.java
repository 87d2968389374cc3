package dev.onnxtie.pass;

import java.util.List;

/**
 * One tie as reported: which tensor stayed, which went, how they relate and what it saved.
 *
 * @param kept name of the tensor that stays
 * @param removed name of the duplicate
 * @param relation {@code identical} or {@code transpose}
 * @param perm Transpose perm turning kept into removed (identity for identical)
 * @param dtype element type name
 * @param shape dims of the removed tensor
 * @param readers nodes that read the removed tensor
 * @param bytes raw bytes of the removed tensor (saved when applied)
 * @param scope graph path of the removed tensor
 * @param form how readers were rewired: {@code rewire}, {@code transpose}, {@code gemm}, or a mix
 * @param applied false when the duplicate was found but left in place (see {@code reason})
 * @param reason why it was not applied, or empty
 */
public record TieRecord(String kept, String removed, String relation, List<Integer> perm, String dtype,
    List<Long> shape, int readers, long bytes, String scope, String form, boolean applied, String reason) {}
