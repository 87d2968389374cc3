package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Typed fields decode to the same bytes raw_data would hold, for every storage field. */
class TensorsTest {
  static byte[] raw(TensorProto tensor) {
    return Tensors.typedToRaw(tensor).toByteArray();
  }

  static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void typedFieldsMatchRawLayout() {
    assertArrayEquals(
        le(8).putFloat(1.5f).putFloat(-2f).array(),
        raw(
            TensorProto.newBuilder()
                .setDataType(1)
                .addDims(2)
                .addFloatData(1.5f)
                .addFloatData(-2f)
                .build()));
    assertArrayEquals(
        le(4).putShort((short) 0x3C00).putShort((short) 0xC000).array(),
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.FLOAT16.code())
                .addDims(2)
                .addInt32Data(0x3C00)
                .addInt32Data(0xC000)
                .build()));
    assertArrayEquals(
        le(4).putShort((short) 0x3F80).putShort((short) 0x4000).array(),
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.BFLOAT16.code())
                .addDims(2)
                .addInt32Data(0x3F80)
                .addInt32Data(0x4000)
                .build()));
    assertArrayEquals(
        new byte[] {-3, 7, 1, 0},
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.INT8.code())
                .addDims(4)
                .addInt32Data(-3)
                .addInt32Data(7)
                .addInt32Data(1)
                .addInt32Data(0)
                .build()));
    assertArrayEquals(
        new byte[] {1, 0},
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.BOOL.code())
                .addDims(2)
                .addInt32Data(1)
                .addInt32Data(0)
                .build()));
    assertArrayEquals(
        le(16).putLong(-1L).putLong(1L << 40).array(),
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.INT64.code())
                .addDims(2)
                .addInt64Data(-1L)
                .addInt64Data(1L << 40)
                .build()));
    assertArrayEquals(
        le(8).putInt(0xFFFFFFFF).putInt(5).array(),
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.UINT32.code())
                .addDims(2)
                .addUint64Data(0xFFFFFFFFL)
                .addUint64Data(5)
                .build()));
    assertArrayEquals(
        le(8).putDouble(Math.PI).array(),
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.DOUBLE.code())
                .addDims(1)
                .addDoubleData(Math.PI)
                .build()));
    assertArrayEquals(
        le(8).putFloat(1f).putFloat(2f).array(),
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.COMPLEX64.code())
                .addDims(1)
                .addFloatData(1f)
                .addFloatData(2f)
                .build()));
    // 4-bit: two elements per int32_data value, already packed low nibble first
    assertArrayEquals(
        new byte[] {0x21, 0x03},
        raw(
            TensorProto.newBuilder()
                .setDataType(DataType.UINT4.code())
                .addDims(3)
                .addInt32Data(0x21)
                .addInt32Data(0x03)
                .build()));
  }

  @Test
  void sizesAreCheckedBeforeAnyAllocation() {
    TensorProto huge =
        TensorProto.newBuilder()
            .setName("huge")
            .setDataType(1)
            .addDims(1L << 40)
            .addDims(1L << 30)
            .build();
    OnnxTieException overflow = assertThrows(OnnxTieException.class, () -> Tensors.byteSize(huge));
    assertTrue(overflow.getMessage().contains("overflows 64 bits"), overflow.getMessage());
    TensorProto claims =
        TensorProto.newBuilder().setName("claims").setDataType(1).addDims(2_500_000_000L).build();
    OnnxTieException missing =
        assertThrows(OnnxTieException.class, () -> Tensors.typedToRaw(claims));
    assertTrue(missing.getMessage().contains("need 2500000000"), missing.getMessage());
    assertEquals(5, DataType.INT4.byteSize(9));
    assertEquals(2, DataType.FLOAT4E2M1.byteSize(4));
    assertThrows(
        OnnxTieException.class,
        () -> Tensors.dims(TensorProto.newBuilder().setName("n").addDims(-1).build()));
  }
}
