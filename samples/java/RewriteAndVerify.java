import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.VerifySettings;
import java.nio.file.Path;

/**
 * Ties the duplicated weights of one ONNX model and proves in ONNX Runtime that its outputs did not
 * change: {@code onnx-tie rewrite IN OUT --verify} through the library facade {@link OnnxTie}.
 *
 * <p>A single-file program; run it with the JDK's source launcher (the CLI jar holds the library
 * and its dependencies, {@code ./onnx-tie} or {@code mvn package} builds it):
 *
 * <pre>
 * java -cp target/onnx-tie-cli.jar samples/java/RewriteAndVerify.java samples/gpt2_tied/model.onnx /tmp/tied.onnx
 * </pre>
 *
 * <p>Exit codes are the CLI's: 0 written and verified, 1 outputs differ (nothing written), 2 bad
 * input or usage, 3 internal error.
 */
public final class RewriteAndVerify {
  private RewriteAndVerify() {}

  /**
   * Rewrites {@code args[0]} into {@code args[1]} with verification and prints what it did.
   *
   * @param args the input model and the output model
   */
  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: java -cp onnx-tie-cli.jar RewriteAndVerify.java IN.onnx OUT.onnx");
      System.exit(OnnxTieException.BAD_INPUT);
    }
    System.exit(run(Path.of(args[0]), Path.of(args[1])));
  }

  /** The example itself: one library call, then the report. Returns the exit code. */
  static int run(Path in, Path out) {
    RewriteOptions options = RewriteOptions.defaults().withVerify(VerifySettings.defaults());
    RewriteReport report;
    try {
      report = OnnxTie.rewrite(in, out, options);
    } catch (OnnxTieException e) {
      // Domain failures carry the CLI's exit code: 1 verification mismatch, 2 bad input.
      System.err.println("onnx-tie: " + e.getMessage());
      return e.exitCode();
    } catch (RuntimeException e) {
      System.err.println("onnx-tie: internal error: " + e);
      return OnnxTieException.INTERNAL;
    }

    System.out.println(report.input() + " -> " + report.output());
    for (TieInfo tie : report.result().ties()) {
      System.out.println(
          "  "
              + (tie.applied() ? "tied " : "left ")
              + tie.removed()
              + " "
              + tie.shape()
              + " = "
              + tie.relation().text()
              + " of "
              + tie.kept()
              + " ("
              + tie.bytes()
              + " bytes"
              + (tie.applied() ? ", read through " + tie.form() : ", " + tie.reason())
              + ")");
    }
    long applied = report.result().ties().stream().filter(TieInfo::applied).count();
    System.out.println(
        "ties: "
            + applied
            + ", bytes saved: "
            + report.result().bytesSaved()
            + ", file bytes "
            + report.bytesBefore()
            + " -> "
            + report.bytesAfter());
    report.result().notes().forEach(note -> System.out.println("note: " + note));

    Verification verification = report.verification();
    System.out.println(
        "verification: "
            + (verification.passed() ? "PASSED" : "FAILED")
            + " on "
            + verification.provider()
            + " ("
            + verification.runs().size()
            + " run"
            + (verification.runs().size() == 1 ? "" : "s")
            + ")");
    for (Verification.Run run : verification.runs()) {
      for (Verification.Output output : run.outputs()) {
        System.out.println(
            "  run "
                + run.index()
                + " "
                + output.name()
                + ": "
                + output.status()
                + (output.bitwiseIdentical()
                    ? ", bitwise identical"
                    : ", max abs diff " + output.maxAbsDiff()));
      }
    }
    // OnnxTie.rewrite throws (and writes nothing) when verification fails; this is belt and braces.
    return verification.passed() ? OnnxTieException.OK : OnnxTieException.CHECK_FAILED;
  }
}
