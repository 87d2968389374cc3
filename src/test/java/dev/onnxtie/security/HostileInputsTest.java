package dev.onnxtie.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.ModelIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every hostile input through every command that reads models, on the file and on its folder: exit
 * 2, one line on stderr naming the problem, no stack trace, no output or temporary file, input
 * bytes unchanged.
 */
class HostileInputsTest {
  static List<String[]> commands(Path model, Path out) {
    String in = model.toString();
    String target = out.toString();
    String folder = model.getParent().toString();
    return List.of(
        new String[] {"inspect", in},
        new String[] {"inspect", in, "--json"},
        new String[] {"rewrite", in, target},
        new String[] {"rewrite", in, target, "--form", "gemm", "--external-data"},
        new String[] {"check", in},
        new String[] {"rewrite", in, target, "--verify", "--json"},
        new String[] {"insert", in, target, "--mirror"},
        new String[] {"verify", in, in},
        new String[] {"inspect", folder},
        new String[] {"check", folder, "--transposed-ties"},
        new String[] {"rewrite", folder, outFolder(out).toString()});
  }

  /** The output folder of a folder rewrite: beside {@code out}. */
  static Path outFolder(Path out) {
    return out.resolveSibling("out-folder");
  }

  @Test
  void everyHostileInputIsRefusedCleanly(@TempDir Path root) throws Exception {
    List<HostileCorpus.Case> corpus = HostileCorpus.build(root);
    List<String> problems = new ArrayList<>();
    int runs = 0;
    for (HostileCorpus.Case hostile : corpus) {
      Path folder = hostile.model().getParent();
      Path out = folder.getParent().resolve("out.onnx");
      String before = TestModels.digest(folder.getParent());
      for (String[] args : commands(hostile.model(), out)) {
        runs++;
        Cli result = Cli.run(args);
        String label = hostile.name() + " / " + String.join(" ", args).replace(root.toString(), "");
        if (result.code() != 2) {
          problems.add(label + ": exit " + result.code() + " " + result.err().strip());
        } else if (result.errLines() != 1) {
          problems.add(label + ": " + result.errLines() + " stderr lines: " + result.err());
        } else if (!result.err().contains(hostile.expected())) {
          problems.add(
              label + ": message lacks '" + hostile.expected() + "': " + result.err().strip());
        } else if (result.err().contains("Exception") || result.err().contains("\tat ")) {
          problems.add(label + ": looks like a stack trace: " + result.err());
        }
        if (Files.exists(out)
            || Files.exists(out.resolveSibling("out.onnx.data"))
            || Files.exists(outFolder(out))) {
          problems.add(label + ": left an output file");
        }
        try (Stream<Path> files = Files.walk(folder.getParent())) {
          if (files.anyMatch(p -> p.getFileName().toString().startsWith(ModelIO.TEMP_PREFIX))) {
            problems.add(label + ": left a temporary file");
          }
        }
      }
      if (!before.equals(TestModels.digest(folder.getParent()))) {
        problems.add(hostile.name() + ": the input changed");
      }
    }
    System.out.printf(
        "hostile inputs: %d inputs x %d commands = %d runs, %d problems%n",
        corpus.size(), commands(Path.of("d", "m"), Path.of("o")).size(), runs, problems.size());
    assertEquals(List.of(), problems);
    assertEquals(true, corpus.size() >= 30, "at least 30 hostile inputs");
  }
}
