package dev.onnxtie.api;

import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The ties between two existing models: which duplicates of model A (found as a dry run of {@code
 * rewrite} finds them) model B no longer holds, reported as a rewrite of A into B would report
 * them.
 */
final class TiesBetween {
  private TiesBetween() {}

  /**
   * The report of A rewritten into B: every duplicate of A at least {@code minBytes} large, tied
   * where B lacks the removed tensor and holds the kept one, with the form B's new readers of the
   * kept tensor show; with {@code verify}, A and B run in ONNX Runtime.
   */
  static RewriteReport of(Path a, Path b, long minBytes, VerifySettings verify) {
    GraphOutline before = GraphOutline.of(a);
    GraphOutline after = GraphOutline.of(b);
    TieResult found;
    long bytesA;
    long bytesB;
    try (OnnxModel model = ModelIO.read(a)) {
      bytesA = ModelBytes.fileBytes(model);
      found =
          OnnxTie.rewrite(model, RewriteOptions.defaults().withMinBytes(minBytes).withDryRun(true))
              .result();
    }
    List<String> written = new ArrayList<>();
    try (OnnxModel model = ModelIO.read(b)) {
      bytesB = ModelBytes.fileBytes(model);
    }
    written.add(b.toString());
    Set<String> constantsB = new HashSet<>();
    after.tensors().forEach(tensor -> constantsB.add(tensor.name()));
    Set<String> valuesB = new HashSet<>(constantsB);
    after.nodes().forEach(node -> valuesB.addAll(node.outputs()));
    List<TieInfo> ties = new ArrayList<>();
    for (TieInfo tie : found.ties()) {
      if (!tie.saves()) {
        continue;
      }
      boolean tied = !valuesB.contains(tie.removed()) && constantsB.contains(tie.kept());
      String reason =
          tied
              ? ""
              : constantsB.contains(tie.removed())
                  ? "B still holds " + tie.removed()
                  : "B lacks " + tie.kept();
      ties.add(
          new TieInfo(
              tie.kept(),
              tie.removed(),
              tie.relation(),
              tie.dtype(),
              tie.shape(),
              tie.readers(),
              tie.bytes(),
              0,
              tie.scope(),
              tied ? formIn(tie.kept(), before, after) : tie.form(),
              tied ? "tied" : "not tied",
              tied,
              reason));
    }
    int changes = (int) ties.stream().filter(TieInfo::applied).count();
    Verification verification = verify == null ? null : OnnxTie.compare(a, b, verify);
    TieResult result = new TieResult("compare", changes, ties, List.of());
    return new RewriteReport(
        a.toString(), b.toString(), false, result, bytesA, bytesB, written, null, verification);
  }

  /**
   * How B's readers of the kept tensor read it: the op types of the readers A did not have
   * (Transpose, Reshape, Gemm, Identity, in lower case, joined by +), or {@code rewire} when B's
   * new readers are A's readers of the removed tensor.
   */
  private static String formIn(String kept, GraphOutline before, GraphOutline after) {
    Set<String> nodesA = new HashSet<>();
    before
        .nodes()
        .forEach(
            node -> nodesA.add(node.opType() + "\u0000" + node.name() + "\u0000" + node.outputs()));
    Set<String> forms = new LinkedHashSet<>();
    for (GraphOutline.NodeOutline node : after.nodes()) {
      if (node.inputs().contains(kept)
          && !nodesA.contains(node.opType() + "\u0000" + node.name() + "\u0000" + node.outputs())) {
        forms.add(
            switch (node.opType()) {
              case "Transpose", "Reshape", "Gemm", "Identity" ->
                  node.opType().toLowerCase(Locale.ROOT);
              default -> "rewire";
            });
      }
    }
    return forms.isEmpty() ? "rewire" : String.join("+", forms);
  }
}
