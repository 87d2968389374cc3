import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * How much resident memory an ONNX Runtime session of a model costs in this JVM.
 *
 * <p>Run as a single-file program with the onnx-tie jar (which bundles ai.onnxruntime) on the class
 * path, one model per fresh JVM:
 *
 * <pre>
 * java -cp target/onnx-tie-cli.jar bench/SessionRss.java MODEL [--disable-prepacking]
 * </pre>
 *
 * <p>Reads VmRSS from /proc/self/status right before (once it has settled after a collection) and
 * right after {@code createSession} (the ORT environment and session options already exist, so the
 * native library is loaded before the first reading), with graph optimization level ALL and, given
 * the flag, {@code session.disable_prepacking=1}. Then it runs one inference on {@code input_ids}
 * int64 [1, 8] to be sure the session works. Prints one line: {@code model=... prepacking=on|off
 * rss_before_mib=... rss_after_mib=... session_rss_mib=... session_run_rss_mib=... peak_rss_mib=...
 * output=NAME[shape] sum=... crc32=...} ({@code session_run_rss_mib}: the growth once the session
 * has also run once, which counts the weight pages ONNX Runtime only touches when it first runs;
 * sum and CRC-32 of the output floats, to compare a rewrite with its original); exit 0 when the
 * inference ran.
 */
public final class SessionRss {
  private SessionRss() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1
        || args.length > 2
        || (args.length == 2 && !args[1].equals("--disable-prepacking"))) {
      System.err.println("usage: java -cp JAR bench/SessionRss.java MODEL [--disable-prepacking]");
      System.exit(2);
    }
    String model = args[0];
    boolean disablePrepacking = args.length == 2;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (disablePrepacking) {
        options.addConfigEntry("session.disable_prepacking", "1");
      }
      System.gc();
      long rssBefore = settledKib();
      try (OrtSession session = env.createSession(model, options)) {
        long rssAfter = statusKib("VmRSS");
        long peak = statusKib("VmHWM");
        String output = runOnce(env, session);
        long rssRun = statusKib("VmRSS");
        System.out.printf(
            "model=%s prepacking=%s rss_before_mib=%.1f rss_after_mib=%.1f session_rss_mib=%.1f"
                + " session_run_rss_mib=%.1f peak_rss_mib=%.1f output=%s%n",
            model,
            disablePrepacking ? "off" : "on",
            rssBefore / 1024.0,
            rssAfter / 1024.0,
            (rssAfter - rssBefore) / 1024.0,
            (rssRun - rssBefore) / 1024.0,
            peak / 1024.0,
            output);
      }
    }
  }

  /** One inference on input_ids [1, 8]; returns the first output's name, shape, sum and CRC-32. */
  private static String runOnce(OrtEnvironment env, OrtSession session) throws Exception {
    long[][] inputIds = {{0, 1, 2, 3, 50, 500, 5000, 50256}};
    try (OnnxTensor input = OnnxTensor.createTensor(env, inputIds);
        OrtSession.Result result = session.run(Map.of("input_ids", input))) {
      OnnxTensor first = (OnnxTensor) result.get(0);
      long[] shape = first.getInfo().getShape();
      FloatBuffer values = first.getFloatBuffer();
      CRC32 crc = new CRC32();
      double sum = 0;
      while (values.hasRemaining()) {
        float value = values.get();
        sum += value;
        int bits = Float.floatToRawIntBits(value);
        crc.update(
            new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
      }
      return String.format(
          "%s%s sum=%.6g crc32=%08x",
          session.getOutputNames().iterator().next(),
          Arrays.toString(shape).replace(" ", ""),
          sum,
          crc.getValue());
    }
  }

  /**
   * VmRSS once it has settled after the collection: G1 (Java 17) gives heap back to the system
   * concurrently after a collection, which would otherwise go on shrinking the process while the
   * session is created and hide up to about 20 MiB of it. Reads every 100 ms until two readings are
   * within 256 KiB, for at most 3 s.
   */
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

  /** A "Name: 123 kB" field of /proc/self/status, in KiB. */
  private static long statusKib(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
      }
    }
    throw new IllegalStateException("no " + field + " in /proc/self/status");
  }
}
