import dev.onnxtie.api.Jobs;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Progress;
import dev.onnxtie.api.RewriteOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A folder rewrite or check through the api, ROUNDS times in one JVM (what a Java export pipeline
 * or the Maven plugin gets once the JVM is warm: the JVM's default compilers, the CLI's default
 * jobs, {@link Jobs#auto}), each round timed on its own: before each rewrite round the output
 * folder is removed and {@code sync} run, as bench/many.sh does before every run.
 *
 * <pre>
 * java -cp target/onnx-tie-cli.jar bench/WarmFolder.java rewrite|check IN_DIR OUT_DIR ROUNDS
 * </pre>
 *
 * <p>Prints one line per round: {@code round N MS}.
 */
public final class WarmFolder {
  private WarmFolder() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4 || !List.of("rewrite", "check").contains(args[0])) {
      System.err.println(
          "usage: java -cp JAR bench/WarmFolder.java rewrite|check IN_DIR OUT_DIR ROUNDS");
      System.exit(2);
    }
    Path in = Path.of(args[1]);
    Path out = Path.of(args[2]);
    int rounds = Integer.parseInt(args[3]);
    for (int round = 1; round <= rounds; round++) {
      if (args[0].equals("rewrite")) {
        delete(out);
        if (new ProcessBuilder("sync").inheritIO().start().waitFor() != 0) {
          throw new IOException("sync failed");
        }
      }
      long start = System.nanoTime();
      if (args[0].equals("rewrite")) {
        OnnxTie.rewriteFolder(
            in, out, RewriteOptions.defaults(), null, Jobs.auto(false), Progress.NONE);
      } else {
        OnnxTie.check(
            OnnxTie.modelsIn(in), OnnxTie.DEFAULT_MIN_BYTES, true, Jobs.auto(false), Progress.NONE);
      }
      System.out.printf("round %d %.1f%n", round, (System.nanoTime() - start) / 1e6);
    }
  }

  private static void delete(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> entries = Files.walk(folder)) {
      for (Path entry : entries.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(entry);
      }
    }
  }
}
