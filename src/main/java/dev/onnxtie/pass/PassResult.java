package dev.onnxtie.pass;

import java.util.List;

/**
 * What a pass did.
 *
 * @param pass the pass name
 * @param changes number of changes (0 when the model was left as it was)
 * @param ties the ties found, applied or not
 * @param notes human-readable notes (fallbacks, skipped subgraphs, refusals)
 */
public record PassResult(String pass, int changes, List<TieRecord> ties, List<String> notes) {
  /** Raw bytes removed by the applied ties. */
  public long bytesSaved() {
    return ties.stream().filter(TieRecord::applied).mapToLong(TieRecord::bytes).sum();
  }
}
