package dev.onnxtie.verify;

import dev.onnxtie.api.Verification.InterfaceDifference;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.TypeProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import dev.onnxtie.verify.InputSynthesizer.InputSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The interfaces of two models compared: inputs and outputs by name, with their types. */
final class Interfaces {
  private Interfaces() {}

  static Map<String, TypeProto> typesOf(List<InputSpec> inputs) {
    Map<String, TypeProto> types = new LinkedHashMap<>();
    for (InputSpec input : inputs) {
      types.put(input.name(), input.type());
    }
    return types;
  }

  static Map<String, TypeProto> outputTypes(OnnxModel model) {
    Map<String, TypeProto> types = new LinkedHashMap<>();
    for (ValueInfoProto output : model.proto().getGraph().getOutputList()) {
      types.put(output.getName(), output.getType());
    }
    return types;
  }

  static List<InterfaceDifference> interfaceDifferences(
      String kind, Map<String, TypeProto> a, Map<String, TypeProto> b) {
    List<InterfaceDifference> differences = new ArrayList<>();
    for (Map.Entry<String, TypeProto> entry : a.entrySet()) {
      TypeProto other = b.get(entry.getKey());
      String typeA = InputSynthesizer.describeType(entry.getValue());
      if (other == null) {
        differences.add(
            new InterfaceDifference(kind, entry.getKey(), typeA, null, "only model a has it"));
        continue;
      }
      String problem = typeDifference(entry.getValue(), other);
      if (problem != null) {
        differences.add(
            new InterfaceDifference(
                kind, entry.getKey(), typeA, InputSynthesizer.describeType(other), problem));
      }
    }
    for (Map.Entry<String, TypeProto> entry : b.entrySet()) {
      if (!a.containsKey(entry.getKey())) {
        differences.add(
            new InterfaceDifference(
                kind,
                entry.getKey(),
                null,
                InputSynthesizer.describeType(entry.getValue()),
                "only model b has it"));
      }
    }
    return differences;
  }

  /**
   * What differs between two declared types, ignoring the names of symbolic dims; null if nothing.
   */
  static String typeDifference(TypeProto a, TypeProto b) {
    if (a.getValueCase() != b.getValueCase()) {
      return "kind differs";
    }
    if (!a.hasTensorType()) {
      return a.equals(b) ? null : "type differs";
    }
    TypeProto.Tensor ta = a.getTensorType();
    TypeProto.Tensor tb = b.getTensorType();
    if (ta.getElemType() != tb.getElemType()) {
      return "dtype differs";
    }
    if (!ta.hasShape() || !tb.hasShape()) {
      return null;
    }
    if (ta.getShape().getDimCount() != tb.getShape().getDimCount()) {
      return "rank differs";
    }
    for (int axis = 0; axis < ta.getShape().getDimCount(); axis++) {
      var da = ta.getShape().getDim(axis);
      var db = tb.getShape().getDim(axis);
      if (da.hasDimValue() && db.hasDimValue() && da.getDimValue() != db.getDimValue()) {
        return "shape differs at axis " + axis;
      }
    }
    return null;
  }
}
