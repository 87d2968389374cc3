package dev.onnxtie.api;

import dev.onnxtie.pass.PassResult;
import java.util.List;

/**
 * What the tie pass did (or, in a dry run, would do) to one model.
 *
 * @param pass the pass name
 * @param changes ties applied (or that a dry run would apply)
 * @param ties every tie found, applied or not
 * @param notes human-readable notes (fallbacks, skipped subgraphs, refusals)
 */
public record TieResult(String pass, int changes, List<TieInfo> ties, List<String> notes) {
  /** Raw tensor bytes the applied ties removed (or a dry run's ties would remove). */
  public long bytesSaved() {
    return ties.stream().filter(TieInfo::saves).mapToLong(TieInfo::bytes).sum();
  }

  static TieResult of(PassResult result, boolean dryRun) {
    return new TieResult(
        result.pass(),
        result.changes(),
        result.ties().stream().map(t -> TieInfo.of(t, dryRun)).toList(),
        result.notes());
  }
}
