package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.onnxtie.BackendData;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.Jobs;
import dev.onnxtie.api.OnnxTie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without {@code --jobs}, commands over several models work on one per core (at most {@link
 * Jobs#MAX_AUTO}), one with {@code --verify}; the output is that of {@code --jobs 1}. Which threads
 * read the models is seen through the reader's parse hook, on a folder of GPT-2 copies and models
 * of ONNX's backend suite.
 */
class AutoJobsTest {
  @TempDir Path dir;

  final Set<String> readers = ConcurrentHashMap.newKeySet();
  Path in;

  @BeforeEach
  void folder() throws Exception {
    in = Files.createDirectory(dir.resolve("in"));
    for (int i = 0; i < 2; i++) {
      Files.copy(
          TestModels.samples().resolve("gpt2_tied/model.onnx"), in.resolve("gpt2_" + i + ".onnx"));
    }
    for (String test : List.of("test_abs", "test_add", "test_relu", "test_sigmoid")) {
      Files.copy(
          BackendData.suite().resolve("node/" + test + "/model.onnx"), in.resolve(test + ".onnx"));
    }
  }

  @AfterEach
  void removeHook() {
    ModelIO.afterParseForTests = null;
  }

  /** Records the thread of each parse of an input, holding it a moment so others start. */
  void watch() {
    readers.clear();
    ModelIO.afterParseForTests =
        file -> {
          if (file.toAbsolutePath().normalize().startsWith(in.toAbsolutePath().normalize())) {
            readers.add(Thread.currentThread().getName());
            try {
              Thread.sleep(40);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
  }

  @Test
  void autoIsOnePerCoreAtMostFourAndOneWhenVerifying() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(Math.min(cores, Jobs.MAX_AUTO), Jobs.auto(false));
    assertEquals(1, Jobs.auto(true));
    assertEquals(4, Jobs.MAX_AUTO);
  }

  @Test
  void withoutJobsAFolderRewriteReadsOnSeveralThreadsAndWritesWhatOneJobWrites() throws Exception {
    assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "one core: auto is one job");
    watch();
    Path auto = dir.resolve("auto");
    Cli run = Cli.run("rewrite", in.toString(), auto.toString());
    assertEquals(0, run.code(), run.out() + run.err());
    assertEquals(
        Math.min(Runtime.getRuntime().availableProcessors(), Jobs.MAX_AUTO),
        readers.size(),
        "threads that read the inputs: " + readers);

    watch();
    Path one = dir.resolve("one");
    run = Cli.run("rewrite", in.toString(), one.toString(), "--jobs", "1");
    assertEquals(0, run.code(), run.out() + run.err());
    assertEquals(1, readers.size(), "threads that read the inputs: " + readers);
    assertEquals(List.of(Thread.currentThread().getName()), List.copyOf(readers));

    List<Path> written = OnnxTie.modelsIn(one);
    assertEquals(6, written.size());
    for (Path model : written) {
      assertArrayEquals(
          Files.readAllBytes(model),
          Files.readAllBytes(auto.resolve(model.getFileName())),
          model.getFileName().toString());
    }
    assertTrue(run.out().contains("gpt2_1.onnx"), run.out());

    // with --verify, ONNX Runtime's sessions take the cores: one model at a time
    watch();
    run = Cli.run("rewrite", in.toString(), dir.resolve("verified").toString(), "--verify");
    assertEquals(0, run.code(), run.out() + run.err());
    assertEquals(List.of(Thread.currentThread().getName()), List.copyOf(readers));
  }

  @Test
  void withoutJobsACheckAndAnInspectionReadOnSeveralThreads() {
    assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "one core: auto is one job");
    watch();
    Cli check = Cli.run("check", in.toString(), "--json");
    assertEquals(1, check.code(), check.out() + check.err()); // the GPT-2 copies tie
    assertTrue(readers.size() >= 2, "threads that read the inputs: " + readers);
    Cli checkOne = Cli.run("check", in.toString(), "--json", "--jobs", "1");
    assertEquals(check.out(), checkOne.out());

    watch();
    Cli inspect = Cli.run("inspect", in.toString(), "--json");
    assertEquals(0, inspect.code(), inspect.out() + inspect.err());
    assertTrue(readers.size() >= 2, "threads that read the inputs: " + readers);
    assertEquals(inspect.out(), Cli.run("inspect", in.toString(), "--json", "--jobs", "1").out());
  }

  @Test
  void aJobsValueThatIsNoCountNorAutoIsRefusedInOneLine() {
    for (String value : List.of("x", "0", "-3", "2.5", "")) {
      Cli run = Cli.run("check", in.toString(), "--jobs", value);
      assertEquals(2, run.code(), value + ": " + run.out() + run.err());
      assertEquals(1, run.err().strip().lines().count(), value + ": " + run.err());
      assertTrue(run.err().contains("--jobs"), value + ": " + run.err());
    }
    assertEquals(1, Cli.run("check", in.toString(), "--jobs", "auto").code());
  }
}
