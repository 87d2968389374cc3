package dev.onnxtie.verify;

import java.util.List;
import java.util.Map;

/**
 * A value held in Java memory: a model output copied out of ONNX Runtime, an expected output read
 * from a {@code .pb} file, or an input before it is handed to ONNX Runtime.
 */
sealed interface Value
    permits HostTensor, Value.Sequence, Value.MapValue, Value.None, Value.Unsupported {

  /**
   * A short description of the kind and type, e.g. {@code float32[2, 8]} or {@code sequence(3)}.
   */
  String describe();

  /** A sequence of values. */
  record Sequence(List<Value> elements) implements Value {
    @Override
    public String describe() {
      return "sequence(" + elements.size() + ")";
    }
  }

  /** A map, compared with {@code equals} on its Java form. */
  record MapValue(Map<?, ?> entries) implements Value {
    @Override
    public String describe() {
      return "map(" + entries.size() + ")";
    }
  }

  /** An optional without a value. */
  record None() implements Value {
    @Override
    public String describe() {
      return "none";
    }
  }

  /** A value this package cannot copy or compare, e.g. a sparse tensor. */
  record Unsupported(String kind) implements Value {
    @Override
    public String describe() {
      return kind;
    }
  }
}
