import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.api.TiedSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Session memory and load time of {@code TiedSession.open} (tie in the memory form, then create the
 * session) against {@code env.createSession} of the original, one model and one way per fresh JVM:
 *
 * <pre>
 * java -cp target/onnx-tie-cli.jar bench/OpenSessionRss.java MODEL original|tied VOCAB [--disable-prepacking]
 * </pre>
 *
 * <p>After a warm-up (a small model opened both ways, so that class loading is paid before), as
 * bench/SessionRss.java: VmRSS settled before; VmRSS right after the session exists ({@code
 * open_rss_mib}: for {@code tied} it includes the mapped model and the buffers of tying it); VmRSS
 * settled after a collection ({@code session_rss_mib}: what the session keeps, the Java side's
 * buffers released); VmHWM (the process's peak); then one run on input_ids [1, 8] (ids below VOCAB)
 * whose logits' sum and CRC-32 tell whether both ways compute the same. {@code load_ms}: wall time
 * of the open. Prints one line of key=value fields.
 */
public final class OpenSessionRss {
  private OpenSessionRss() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 4 || !args[1].matches("original|tied")) {
      System.err.println(
          "usage: java -cp JAR bench/OpenSessionRss.java MODEL original|tied VOCAB"
              + " [--disable-prepacking]");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    boolean tied = args[1].equals("tied");
    int vocab = Integer.parseInt(args[2]);
    boolean disablePrepacking = args.length == 4 && args[3].equals("--disable-prepacking");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (disablePrepacking) {
        options.addConfigEntry("session.disable_prepacking", "1");
      }
      // both ways first open a small model both ways, so that neither pays for loading classes
      // (ONNX Runtime's, onnx-tie's) or the native library inside the measurement
      Path warmUp = Path.of(args.length > 4 ? args[4] : "samples/deep_autoencoder/model.onnx");
      try (TiedSession first = TiedSession.open(env, warmUp, options);
          OrtSession second = env.createSession(warmUp.toString(), options)) {
        // opened and closed
      }
      System.gc();
      long rssBefore = settledKib();
      long start = System.nanoTime();
      TiedSession tiedSession = tied ? TiedSession.open(env, model, options) : null;
      OrtSession session =
          tied ? tiedSession.session() : env.createSession(model.toString(), options);
      long loadNanos = System.nanoTime() - start;
      long rssOpen = statusKib("VmRSS");
      long peak = statusKib("VmHWM");
      // what stays: the Java side's buffers (mapped model, heap) are released by a collection
      System.gc();
      long rssSettled = settledKib();
      String output = runOnce(env, session, vocab);
      System.out.printf(
          "model=%s way=%s prepacking=%s load_ms=%.0f open_rss_mib=%.1f session_rss_mib=%.1f"
              + " peak_rss_mib=%.1f changes=%d tied_bytes=%d output=%s%n",
          model,
          args[1],
          disablePrepacking ? "off" : "on",
          loadNanos / 1e6,
          (rssOpen - rssBefore) / 1024.0,
          (rssSettled - rssBefore) / 1024.0,
          peak / 1024.0,
          tied ? tiedSession.ties().changes() : 0,
          tied ? tiedSession.ties().bytesSaved() : 0,
          output);
      session.close();
    }
  }

  private static String runOnce(OrtEnvironment env, OrtSession session, int vocab)
      throws Exception {
    long[][] ids = {{0, 1, 2, 3, 50, 500, 5000, 50256}};
    for (int i = 0; i < ids[0].length; i++) {
      ids[0][i] %= vocab;
    }
    try (OnnxTensor input = OnnxTensor.createTensor(env, ids);
        OrtSession.Result result = session.run(Map.of("input_ids", input))) {
      FloatBuffer values = ((OnnxTensor) result.get(0)).getFloatBuffer();
      CRC32 crc = new CRC32();
      double sum = 0;
      while (values.hasRemaining()) {
        float value = values.get();
        sum += value;
        int bits = Float.floatToRawIntBits(value);
        crc.update(
            new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
      }
      return String.format("sum=%.6g crc32=%08x", sum, crc.getValue());
    }
  }

  private static long settledKib() throws Exception {
    long previous = statusKib("VmRSS");
    for (int i = 0; i < 30; i++) {
      Thread.sleep(100);
      long now = statusKib("VmRSS");
      if (Math.abs(now - previous) <= 256) {
        return now;
      }
      previous = now;
    }
    return previous;
  }

  private static long statusKib(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
      }
    }
    throw new IllegalStateException("no " + field + " in /proc/self/status");
  }
}
