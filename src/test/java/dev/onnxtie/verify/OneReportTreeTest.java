package dev.onnxtie.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.api.Verification;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One report tree for a verification: this package builds the api's {@link Verification} records
 * and depends on nothing else of the api, and those records are plain data that depend on nothing
 * of this tool. So the api calls the verifier and the verifier never calls back (read from the
 * compiled classes by jdeps).
 */
class OneReportTreeTest {

  private static Path classes() throws URISyntaxException {
    return Path.of(Verifier.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** The {@code from -> to} references of these class files to classes of this tool. */
  private static List<String> references(List<Path> classFiles) {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    List<String> arguments = new ArrayList<>(List.of("-verbose:class", "-e", "dev\\.onnxtie\\..*"));
    classFiles.forEach(file -> arguments.add(file.toString()));
    int code =
        jdeps.run(
            new PrintWriter(out, true),
            new PrintWriter(new StringWriter(), true),
            arguments.toArray(String[]::new));
    assertEquals(0, code, "jdeps ran: " + out);
    List<String> found = new ArrayList<>();
    for (String line : out.toString().split("\n")) {
      String[] words = line.trim().split("\\s+");
      if (words.length >= 3 && words[1].equals("->") && words[2].startsWith("dev.onnxtie.")) {
        found.add(words[0] + " -> " + words[2]);
      }
    }
    return found;
  }

  private static List<Path> classFiles(Path folder, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith(prefix))
          .filter(f -> f.getFileName().toString().endsWith(".class"))
          .sorted()
          .toList();
    }
  }

  @Test
  void verifyUsesTheApisReportRecordsAndNothingElseOfTheApi() throws Exception {
    List<Path> verify = classFiles(classes().resolve("dev/onnxtie/verify"), "");
    assertTrue(verify.size() > 10, "compiled classes of dev.onnxtie.verify: " + verify);
    List<String> intoApi =
        references(verify).stream().filter(r -> r.contains(" -> dev.onnxtie.api.")).toList();
    assertTrue(
        intoApi.stream().anyMatch(r -> r.endsWith(" -> dev.onnxtie.api.Verification$Output")),
        "the comparison builds the api's records: " + intoApi);
    List<String> beyondRecords =
        intoApi.stream()
            .filter(r -> !r.matches(".* -> dev\\.onnxtie\\.api\\.Verification(\\$\\w+)?"))
            .toList();
    assertEquals(List.of(), beyondRecords, "dev.onnxtie.verify calls into the api");
  }

  @Test
  void theReportRecordsArePlainData() throws Exception {
    List<Path> records =
        classFiles(classes().resolve("dev/onnxtie/api"), "Verification").stream()
            .filter(f -> f.getFileName().toString().matches("Verification(\\$\\w+)?\\.class"))
            .toList();
    assertTrue(
        records.stream().anyMatch(f -> f.getFileName().toString().equals("Verification.class")),
        "compiled records: " + records);
    List<String> beyond =
        references(records).stream()
            .filter(r -> !r.matches(".* -> dev\\.onnxtie\\.api\\.Verification(\\$\\w+)?"))
            .toList();
    assertEquals(List.of(), beyond, "the report records depend on other classes of the tool");
  }
}
