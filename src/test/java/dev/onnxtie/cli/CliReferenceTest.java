package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/cli/ is the CLI reference, one file per command, generated from the commands' picocli models
 * (the usage help picocli renders from each {@code CommandSpec}); this test fails when the
 * committed files differ from what the CLI now says. To regenerate after changing a command:
 *
 * <pre>
 * mvn -q -o test -Dtest=CliReferenceTest -Donnxtie.docs.write=true
 * </pre>
 */
class CliReferenceTest {
  static final Path DOCS = TestModels.samples().getParent().resolve("docs/cli");
  static final String REGENERATE =
      "mvn -q -o test -Dtest=CliReferenceTest -Donnxtie.docs.write=true";

  /** The reference as it should be: file name to content. */
  static Map<String, String> generate() {
    Map<String, String> files = new LinkedHashMap<>();
    List<String> commands = new ArrayList<>(OnnxTieCli.commandsNeeded("--help"));
    commands.remove("help"); // picocli's own
    StringBuilder index = new StringBuilder();
    index.append("# CLI reference\n\n").append(header()).append('\n');
    index.append("* [onnx-tie](onnx-tie.md): the root command, its options and exit codes\n");
    files.put("onnx-tie.md", page("onnx-tie", help()));
    for (String command : commands) {
      files.put(command + ".md", page("onnx-tie " + command, help(command)));
      index.append("* [onnx-tie ").append(command).append("](").append(command).append(".md)\n");
    }
    files.put("README.md", index.toString());
    return files;
  }

  static String header() {
    return "<!-- generated from the CLI's picocli models by CliReferenceTest; do not edit, run: "
        + REGENERATE
        + " -->\n";
  }

  static String page(String title, String help) {
    return "# " + title + "\n\n" + header() + "\n```text\n" + help + "```\n";
  }

  /** The usage help picocli renders from the command's model, as {@code --help} prints it. */
  static String help(String... command) {
    String[] args = Stream.concat(Stream.of(command), Stream.of("--help")).toArray(String[]::new);
    Cli result = Cli.run(args);
    assertEquals(0, result.code(), result.err());
    assertEquals("", result.err());
    return result.out().stripTrailing() + "\n";
  }

  @Test
  void theCommittedReferenceIsTheCliAsBuilt() throws IOException {
    Map<String, String> wanted = generate();
    if (Boolean.getBoolean("onnxtie.docs.write")) {
      Files.createDirectories(DOCS);
      try (Stream<Path> old = Files.list(DOCS)) {
        for (Path file : old.toList()) {
          Files.delete(file);
        }
      }
      for (Map.Entry<String, String> file : wanted.entrySet()) {
        Files.writeString(DOCS.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
      }
    }
    assertTrue(Files.isDirectory(DOCS), "no docs/cli/: run " + REGENERATE);
    List<String> committed;
    try (Stream<Path> files = Files.list(DOCS)) {
      committed = files.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertEquals(
        wanted.keySet().stream().sorted().toList(),
        committed,
        "docs/cli/ has other files than the CLI's commands: run " + REGENERATE);
    for (Map.Entry<String, String> file : wanted.entrySet()) {
      assertEquals(
          file.getValue(),
          Files.readString(DOCS.resolve(file.getKey()), StandardCharsets.UTF_8),
          "docs/cli/" + file.getKey() + " is not what the CLI says: run " + REGENERATE);
    }
  }
}
