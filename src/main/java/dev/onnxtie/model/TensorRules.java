package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensor rules of {@link ModelValidator}: a known dtype, data in exactly one field, and stored
 * bytes (raw, typed or external, located and bounds-checked) that agree with the dims and dtype,
 * sizes checked with overflow-safe arithmetic before any allocation.
 */
final class TensorRules {
  private TensorRules() {}

  /**
   * Checks one tensor's type, dims and stored size; external data is located and bounds-checked.
   */
  static void validate(OnnxModel model, TensorProto tensor) {
    List<String> fields = dataFields(tensor);
    if (fields.size() > 1) {
      throw OnnxTieException.badInput(
          "tensor '"
              + tensor.getName()
              + "' holds data in more than one field ("
              + String.join(", ", fields)
              + "); a tensor stores its data in exactly one");
    }
    int code = tensor.getDataType();
    if (!DataType.isKnown(code) && code > 0 && NewerIr.allowed()) {
      return; // a dtype of a newer IR: carried along as it is, never read
    }
    if (!DataType.isKnown(code) || code == 0) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' has unknown data_type " + code);
    }
    DataType type = DataType.fromCode(code);
    long elements = Tensors.elementCount(tensor.getName(), Tensors.dims(tensor));
    if (type == DataType.STRING) {
      if (tensor.getStringDataCount() != elements) {
        throw OnnxTieException.badInput(
            "tensor '"
                + tensor.getName()
                + "' has "
                + tensor.getStringDataCount()
                + " strings but its dims need "
                + elements);
      }
      return;
    }
    long expected;
    try {
      expected = type.byteSize(elements);
    } catch (ArithmeticException e) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' claims a size that overflows 64 bits");
    }
    if (Tensors.isExternal(tensor)) {
      model.externalData().locate(tensor);
    } else if (tensor.hasRawData()) {
      if (tensor.getRawData().size() != expected) {
        throw OnnxTieException.badInput(
            "tensor '"
                + tensor.getName()
                + "' has "
                + tensor.getRawData().size()
                + " bytes of raw_data but its dims "
                + Tensors.shapeText(Tensors.dims(tensor))
                + " and dtype "
                + type.onnxName()
                + " need "
                + expected);
      }
    } else {
      long present = Tensors.typedValueCount(tensor, type);
      long needed = Tensors.expectedTypedValues(type, elements);
      if (present != needed) {
        throw OnnxTieException.badInput(
            "tensor '"
                + tensor.getName()
                + "' has "
                + present
                + " typed values but its dims "
                + Tensors.shapeText(Tensors.dims(tensor))
                + " and dtype "
                + type.onnxName()
                + " need "
                + needed);
      }
    }
  }

  /** The data fields a tensor sets: raw_data, the typed fields, external data. */
  private static List<String> dataFields(TensorProto tensor) {
    List<String> fields = new ArrayList<>();
    if (tensor.hasRawData()) {
      fields.add("raw_data");
    }
    if (tensor.getFloatDataCount() > 0) {
      fields.add("float_data");
    }
    if (tensor.getInt32DataCount() > 0) {
      fields.add("int32_data");
    }
    if (tensor.getStringDataCount() > 0) {
      fields.add("string_data");
    }
    if (tensor.getInt64DataCount() > 0) {
      fields.add("int64_data");
    }
    if (tensor.getDoubleDataCount() > 0) {
      fields.add("double_data");
    }
    if (tensor.getUint64DataCount() > 0) {
      fields.add("uint64_data");
    }
    if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      fields.add("external_data");
    }
    return fields;
  }
}
