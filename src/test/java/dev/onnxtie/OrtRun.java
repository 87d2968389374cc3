package dev.onnxtie;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a model in ONNX Runtime (CPU) on one int64 or float input and returns its outputs' raw
 * bytes.
 */
public final class OrtRun {
  private OrtRun() {}

  /**
   * Outputs (name → raw bytes) of a model fed {@code ids} of shape [rows, cols] as its only int64
   * input.
   */
  public static Map<String, ByteBuffer> int64(Path model, String input, long[] ids, long... shape)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model.toString(), options);
        OnnxTensor tensor = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape)) {
      return outputs(session.run(Map.of(input, tensor)));
    }
  }

  /** Outputs of a model fed one float input. */
  public static Map<String, ByteBuffer> floats(
      Path model, String input, float[] values, long... shape) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model.toString(), options);
        OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape)) {
      return outputs(session.run(Map.of(input, tensor)));
    }
  }

  /** Outputs of a model fed the given inputs (the caller owns and closes them). */
  public static Map<String, ByteBuffer> run(Path model, Map<String, OnnxTensor> inputs)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model.toString(), options)) {
      return outputs(session.run(inputs));
    }
  }

  private static Map<String, ByteBuffer> outputs(OrtSession.Result result) {
    try (result) {
      Map<String, ByteBuffer> outputs = new LinkedHashMap<>();
      for (Map.Entry<String, OnnxValue> entry : result) {
        ByteBuffer bytes = ((OnnxTensor) entry.getValue()).getByteBuffer();
        ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
        copy.put(bytes).flip();
        outputs.put(entry.getKey(), copy);
      }
      return outputs;
    }
  }

  /** Token ids 0..n-1 spread over a vocabulary, deterministic. */
  public static long[] ids(int count, int vocab) {
    long[] ids = new long[count];
    for (int i = 0; i < count; i++) {
      ids[i] = (i * 7919L + 13) % vocab;
    }
    return ids;
  }
}
