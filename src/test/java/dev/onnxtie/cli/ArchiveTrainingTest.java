package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's archive training: every command it runs still runs to its end, or its classes
 * would miss the archive.
 */
class ArchiveTrainingTest {
  @Test
  void everyTrainingCommandRunsToItsEndOnTheShippedSample(@TempDir Path dir) {
    List<Integer> codes = ArchiveTraining.run(Path.of("samples/gpt2_tied/model.onnx"), dir);
    // rewrites, inspects and the verify succeed; check exits 1 because the sample has an untied
    // copy; then the folder of two copies: its rewrite succeeds, its check finds the copies
    assertEquals(List.of(0, 0, 1, 1, 0, 0, 0, 0, 1), codes);
    assertEquals(ArchiveTraining.EXPECTED, codes);
  }
}
