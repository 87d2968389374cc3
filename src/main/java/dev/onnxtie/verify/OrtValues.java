package dev.onnxtie.verify;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.DataType;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Moves values between Java memory and ONNX Runtime: {@link HostTensor} to {@link OnnxTensor} for
 * inputs, any {@link OnnxValue} to a {@link Value} copy for outputs.
 *
 * <p>ONNX Runtime's Java API numbers element types its own way ({@link
 * TensorInfo.OnnxTensorType#value} is not ONNX's {@code data_type}); types are matched by name
 * here. It creates tensors of float32, float64, float16, bfloat16, int8, int16, int32, int64,
 * uint8, bool and string only. Tensors of the other fixed-size types ONNX Runtime accepts (uint16,
 * uint32, uint64, the float8 types) are created through the same native call the API uses, reached
 * by reflection; should a later version of the API change it, such inputs fail with a bad-input
 * message rather than a crash.
 */
final class OrtValues {
  private OrtValues() {}

  /**
   * An ONNX Runtime tensor holding a copy of {@code tensor}. The caller closes it.
   *
   * @throws OnnxTieException (bad input) when ONNX Runtime cannot take a tensor of this dtype
   */
  static OnnxTensor toOrt(OrtEnvironment env, HostTensor tensor, String name) throws OrtException {
    long[] shape = tensor.shape();
    if (tensor.type() == DataType.STRING) {
      return OnnxTensor.createTensor(env, tensor.strings(), shape);
    }
    ByteBuffer source = tensor.bytes();
    ByteBuffer direct =
        ByteBuffer.allocateDirect(Math.max(1, source.remaining())).order(ByteOrder.nativeOrder());
    direct.put(source);
    direct.flip();
    OnnxJavaType javaType =
        switch (tensor.type()) {
          case FLOAT -> OnnxJavaType.FLOAT;
          case DOUBLE -> OnnxJavaType.DOUBLE;
          case FLOAT16 -> OnnxJavaType.FLOAT16;
          case BFLOAT16 -> OnnxJavaType.BFLOAT16;
          case INT8 -> OnnxJavaType.INT8;
          case INT16 -> OnnxJavaType.INT16;
          case INT32 -> OnnxJavaType.INT32;
          case INT64 -> OnnxJavaType.INT64;
          case UINT8 -> OnnxJavaType.UINT8;
          case BOOL -> OnnxJavaType.BOOL;
          default -> null;
        };
    if (javaType != null) {
      return OnnxTensor.createTensor(env, direct, shape, javaType);
    }
    return NativeTensors.create(env, direct, source.limit(), shape, tensor.type(), name);
  }

  /**
   * A Java copy of an ONNX Runtime value; the caller still closes {@code value}.
   *
   * @throws OrtException when ONNX Runtime fails to hand the value over
   */
  static Value fromOrt(OnnxValue value) throws OrtException {
    if (value == null) {
      return new Value.None();
    }
    if (value instanceof OnnxTensor tensor) {
      return fromTensor(tensor);
    }
    if (value instanceof OnnxSequence sequence) {
      List<Value> elements = new ArrayList<>();
      List<? extends OnnxValue> items = sequence.getValue();
      try {
        for (OnnxValue item : items) {
          elements.add(fromOrt(item));
        }
      } finally {
        OnnxValue.close(items);
      }
      return new Value.Sequence(elements);
    }
    if (value instanceof OnnxMap map) {
      return new Value.MapValue(map.getValue());
    }
    return new Value.Unsupported(
        value.getType().name().toLowerCase(Locale.ROOT).replace("onnx_type_", ""));
  }

  private static Value fromTensor(OnnxTensor tensor) throws OrtException {
    TensorInfo info = tensor.getInfo();
    DataType type = dataType(info.onnxType);
    if (type == null) {
      return new Value.Unsupported("tensor of type " + info.onnxType);
    }
    long[] shape = info.getShape();
    if (type == DataType.STRING) {
      List<String> flat = new ArrayList<>();
      flatten(tensor.getValue(), flat);
      return HostTensor.ofStrings(shape, flat.toArray(String[]::new));
    }
    if (!type.isFixedSize()) {
      return new Value.Unsupported(type.onnxName() + " tensor");
    }
    if (info.getNumElements() == 0) {
      return HostTensor.of(type, shape, ByteBuffer.allocate(0));
    }
    ByteBuffer nativeBytes = tensor.getByteBuffer();
    ByteBuffer copy = ByteBuffer.allocate(nativeBytes.remaining());
    copy.put(nativeBytes);
    copy.flip();
    return HostTensor.of(type, shape, copy);
  }

  /** The ONNX dtype of an ONNX Runtime element type (whose numbers differ from ONNX's), or null. */
  static DataType dataType(TensorInfo.OnnxTensorType ortType) {
    if (ortType == null || !ortType.name().startsWith(ORT_TYPE_PREFIX)) {
      return null;
    }
    try {
      DataType type = DataType.valueOf(ortType.name().substring(ORT_TYPE_PREFIX.length()));
      return type == DataType.UNDEFINED ? null : type;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** ONNX Runtime's element type for an ONNX dtype, or null when its Java API has none. */
  static TensorInfo.OnnxTensorType ortType(DataType type) {
    try {
      return TensorInfo.OnnxTensorType.valueOf(ORT_TYPE_PREFIX + type.name());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static final String ORT_TYPE_PREFIX = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";

  private static void flatten(Object value, List<String> into) {
    if (value instanceof String text) {
      into.add(text);
    } else if (value != null && value.getClass().isArray()) {
      for (int i = 0; i < Array.getLength(value); i++) {
        flatten(Array.get(value, i), into);
      }
    }
  }

  /** Tensors of the dtypes the public API lacks, made with the API's own native call. */
  private static final class NativeTensors {
    private static Method createFromBuffer;
    private static Constructor<TensorInfo> infoConstructor;
    private static Constructor<OnnxTensor> tensorConstructor;
    private static Field apiHandle;
    private static Field allocatorField;
    private static Field allocatorHandle;
    private static String unavailable;

    static {
      try {
        Class<?> runtime = Class.forName("ai.onnxruntime.OnnxRuntime");
        Class<?> allocator = Class.forName("ai.onnxruntime.OrtAllocator");
        createFromBuffer =
            OnnxTensor.class.getDeclaredMethod(
                "createTensorFromBuffer",
                long.class,
                long.class,
                Buffer.class,
                int.class,
                long.class,
                long[].class,
                int.class);
        infoConstructor =
            TensorInfo.class.getDeclaredConstructor(
                long[].class, OnnxJavaType.class, TensorInfo.OnnxTensorType.class);
        tensorConstructor =
            OnnxTensor.class.getDeclaredConstructor(
                long.class, long.class, TensorInfo.class, Buffer.class, boolean.class);
        apiHandle = runtime.getDeclaredField("ortApiHandle");
        allocatorField = OrtEnvironment.class.getDeclaredField("defaultAllocator");
        allocatorHandle = allocator.getDeclaredField("handle");
        for (var member :
            List.of(
                createFromBuffer,
                infoConstructor,
                tensorConstructor,
                apiHandle,
                allocatorField,
                allocatorHandle)) {
          member.setAccessible(true);
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        unavailable = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
    }

    static OnnxTensor create(
        OrtEnvironment env,
        ByteBuffer direct,
        int byteSize,
        long[] shape,
        DataType type,
        String name)
        throws OrtException {
      TensorInfo.OnnxTensorType onnxType = ortType(type);
      if (unavailable != null || onnxType == null) {
        throw OnnxTieException.badInput(
            "input '"
                + name
                + "' has dtype "
                + type.onnxName()
                + ", which ONNX Runtime's Java API cannot create"
                + (unavailable == null ? "" : " (" + unavailable + ")"));
      }
      try {
        long api = apiHandle.getLong(null);
        Object allocator = allocatorField.get(env);
        long allocatorPointer = allocatorHandle.getLong(allocator);
        long handle =
            (long)
                createFromBuffer.invoke(
                    null, api, allocatorPointer, direct, 0, (long) byteSize, shape, onnxType.value);
        TensorInfo info =
            infoConstructor.newInstance(
                shape, OnnxJavaType.mapFromOnnxTensorType(onnxType), onnxType);
        return tensorConstructor.newInstance(handle, allocatorPointer, info, direct, true);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof OrtException ort) {
          throw ort;
        }
        throw OnnxTieException.badInput(
            "input '"
                + name
                + "' of dtype "
                + type.onnxName()
                + " could not be created in ONNX Runtime: "
                + e.getCause());
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw OnnxTieException.badInput(
            "input '"
                + name
                + "' of dtype "
                + type.onnxName()
                + " could not be created in ONNX Runtime: "
                + e);
      }
    }
  }
}
