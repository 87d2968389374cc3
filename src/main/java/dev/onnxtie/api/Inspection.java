package dev.onnxtie.api;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorType;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ExternalData;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.tie.Tie;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.tie.TieGroup;
import dev.onnxtie.tie.TransposedTie;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code inspect} shows of a model: its interface, operators, initializers by dtype, external
 * data files, duplicate groups, ties that already exist as a Transpose, and dense layers.
 */
final class Inspection {
  private Inspection() {}

  /** Everything {@code inspect} shows of a read model. */
  static InspectReport of(OnnxModel model, String label, long minBytes) {
    return of(model, label, minBytes, true);
  }

  /**
   * Everything {@code inspect} shows of a read model; without {@code measure}, the duplicates as
   * found and no plan (check measures its own plan of all its files).
   */
  static InspectReport of(OnnxModel model, String label, long minBytes, boolean measure) {
    GraphEditor editor = new GraphEditor(model);
    Map<String, Long> opsets = new LinkedHashMap<>();
    for (OperatorSetIdProto opset : model.proto().getOpsetImportList()) {
      opsets.put(opset.getDomain().isEmpty() ? "ai.onnx" : opset.getDomain(), opset.getVersion());
    }
    Scope main = editor.main();
    List<InspectReport.Value> inputs = new ArrayList<>();
    for (String name : main.inputNames()) {
      if (!main.hasInitializer(name)) {
        inputs.add(value(main, name));
      }
    }
    List<InspectReport.Value> outputs =
        main.outputNames().stream().map(name -> value(main, name)).toList();
    Map<String, Integer> nodesByOp = new TreeMap<>();
    main.allNodes()
        .forEach(
            node ->
                nodesByOp.merge(
                    node.domain().isEmpty() ? node.opType() : node.domain() + "." + node.opType(),
                    1,
                    Integer::sum));
    Map<String, InspectReport.TypeTotal> byType = new TreeMap<>();
    Map<String, Long> external = new TreeMap<>();
    ProtoGraphs.visit(
        model.proto(),
        (path, depth, graph) -> {
          for (TensorProto tensor : graph.getInitializerList()) {
            DataType type = Tensors.hasKnownType(tensor) ? Tensors.dataType(tensor) : null;
            long bytes = type != null && type.isFixedSize() ? Tensors.byteSize(tensor) : 0;
            byType.merge(
                type != null ? type.onnxName() : "type " + tensor.getDataType(),
                new InspectReport.TypeTotal(1, bytes),
                (a, b) ->
                    new InspectReport.TypeTotal(a.count() + b.count(), a.bytes() + b.bytes()));
            if (Tensors.isExternal(tensor)) {
              ExternalData.Location where = model.externalData().locate(tensor);
              external.computeIfAbsent(
                  where.location(),
                  location ->
                      ModelBytes.sizeOf(
                          model.source().toAbsolutePath().getParent().resolve(location)));
            }
          }
        });
    Map<String, InspectReport.TypeTotal> constants = new TreeMap<>();
    for (Scope scope : editor.scopes()) {
      for (var source : scope.tensorSources()) {
        if (!scope.hasInitializer(source.name())) {
          constants.merge(
              source.type().onnxName(),
              new InspectReport.TypeTotal(1, source.byteSize()),
              (a, b) -> new InspectReport.TypeTotal(a.count() + b.count(), a.bytes() + b.bytes()));
        }
      }
    }
    // the plan: the rewrite done in memory and measured as it would be written beside the input
    String outName =
        model.source() == null
            ? "model-tied.onnx"
            : Path.of(OnnxTie.tiedName(model.source())).getFileName().toString();
    Plan.Measured plan =
        model.source() == null || !measure
            ? null
            : Plan.eachOnItsOwn(
                List.of(model), List.of(outName), RewriteOptions.defaults().withMinBytes(minBytes));
    Set<String> removed = new HashSet<>();
    List<KeptDuplicate> kept = new ArrayList<>();
    if (plan != null) {
      for (TieInfo tie : plan.results().get(0).ties()) {
        if (tie.saves() && plan.saves()) {
          removed.add(tie.removed());
        } else {
          kept.add(
              new KeptDuplicate(
                  label,
                  tie.removed(),
                  tie.kept(),
                  label,
                  tie.relation(),
                  tie.bytes(),
                  tie.saves()
                      ? "a rewrite would not make the file smaller ("
                          + plan.before()
                          + " -> "
                          + plan.after()
                          + " bytes)"
                      : tie.reason()));
        }
      }
    }
    List<InspectReport.DuplicateGroup> groups = new ArrayList<>();
    long wasted = plan == null ? 0 : plan.saves() ? plan.before() - plan.after() : 0;
    for (TieGroup group : TieFinder.find(editor, minBytes)) {
      List<InspectReport.Member> members = new ArrayList<>();
      for (Tie tie : group.ties()) {
        if (plan != null && !removed.contains(tie.removed().name())) {
          continue;
        }
        members.add(
            new InspectReport.Member(
                tie.removed().name(),
                TieRelations.of(tie.relation()),
                boxed(tie.removed().dims()),
                tie.removed().scope().path(),
                tie.removed().byteSize()));
      }
      if (members.isEmpty()) {
        continue;
      }
      groups.add(
          new InspectReport.DuplicateGroup(
              group.kept().name(),
              group.kept().type().onnxName(),
              boxed(group.kept().dims()),
              group.kept().scope().path(),
              members,
              members.stream().mapToLong(InspectReport.Member::bytes).sum()));
      if (plan == null) {
        wasted += group.wastedBytes();
      }
    }
    List<InspectReport.TransposedTie> transposed = new ArrayList<>();
    for (TransposedTie tie : TransposedTie.find(editor)) {
      if (tie
          .heldTwice()) { // with W read by the Transpose alone, ONNX Runtime frees W once it folded
        // the Transpose
        transposed.add(
            new InspectReport.TransposedTie(
                tie.weight().name(),
                tie.weight().type().onnxName(),
                boxed(tie.weight().dims()),
                tie.transpose().label(),
                tie.matmuls().size(),
                tie.weight().byteSize(),
                tie.otherReaders()));
      }
    }
    String producer =
        (model.proto().getProducerName() + " " + model.proto().getProducerVersion()).trim();
    return new InspectReport(
        label,
        minBytes,
        model.irVersion(),
        opsets,
        producer,
        inputs,
        outputs,
        nodesByOp,
        editor.scopes().size() - 1,
        byType,
        external,
        groups,
        wasted,
        OnnxTie.denseLayers(editor),
        transposed,
        constants,
        kept,
        plan == null ? null : plan.before(),
        plan == null ? null : plan.saves() ? plan.after() : plan.before());
  }

  private static InspectReport.Value value(Scope scope, String name) {
    TensorType type = scope.typeOf(name).orElse(null);
    if (type == null) {
      return new InspectReport.Value(name, "?", null);
    }
    String dtype =
        DataType.isKnown(type.elemType())
            ? DataType.fromCode(type.elemType()).onnxName()
            : "type " + type.elemType();
    List<Object> dims =
        type.dims() == null ? null : type.dims().stream().map(d -> (Object) d).toList();
    return new InspectReport.Value(name, dtype, dims);
  }

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }
}
