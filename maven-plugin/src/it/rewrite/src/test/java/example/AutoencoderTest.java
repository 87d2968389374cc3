package example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The model the build packages (tied by onnx-tie:rewrite) computes what the original computes. */
class AutoencoderTest {
  @Test
  void packagedModelGivesTheOriginalsOutputs() throws Exception {
    byte[] tied;
    try (InputStream in = AutoencoderTest.class.getResourceAsStream("/models/model.onnx")) {
      assertNotNull(in, "models/model.onnx is on the class path");
      tied = in.readAllBytes();
    }
    byte[] original = Files.readAllBytes(Path.of(System.getProperty("original.model")));
    assertTrue(
        tied.length < original.length,
        "the packaged model is tied: " + tied.length + " bytes, original " + original.length);
    float[] input = new float[3 * 64];
    Random random = new Random(7);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextGaussian();
    }
    float[] expected = run(original, input);
    float[] actual = run(tied, input);
    assertArrayEquals(expected, actual, 0f, "outputs of the tied model equal the original's");
    System.out.println(
        "AutoencoderTest: packaged model "
            + tied.length
            + " bytes (original "
            + original.length
            + "), "
            + actual.length
            + " outputs equal");
  }

  private static float[] run(byte[] model, float[] input) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {3, 64});
        OrtSession.Result result = session.run(Map.of("x", x))) {
      float[][] y = (float[][]) result.get(0).getValue();
      float[] flat = new float[y.length * y[0].length];
      for (int i = 0; i < y.length; i++) {
        System.arraycopy(y[i], 0, flat, i * y[0].length, y[0].length);
      }
      return flat;
    }
  }
}
