package dev.onnxtie.graph;

import dev.onnxtie.proto.Onnx.AttributeProto;
import java.util.List;

/** An attribute for a node added through the editor. */
public final class Attribute {
  final AttributeProto proto;

  private Attribute(AttributeProto proto) {
    this.proto = proto;
  }

  /** An INT attribute. */
  public static Attribute ofInt(String name, long value) {
    return new Attribute(
        AttributeProto.newBuilder()
            .setName(name)
            .setType(AttributeProto.AttributeType.INT)
            .setI(value)
            .build());
  }

  /** An INTS attribute. */
  public static Attribute ofInts(String name, List<Long> values) {
    return new Attribute(
        AttributeProto.newBuilder()
            .setName(name)
            .setType(AttributeProto.AttributeType.INTS)
            .addAllInts(values)
            .build());
  }
}
