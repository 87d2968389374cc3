package dev.onnxtie;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX's backend test suite as Debian's libonnx-testdata installs it. One rule for every test that
 * reads it: it fails, never skips, when the package is missing.
 */
public final class BackendData {
  /** Where libonnx-testdata puts the backend models and their data sets. */
  public static final Path SUITE = Path.of("/usr/share/libonnx-testdata/data");

  private BackendData() {}

  /** The suite's folder; fails the test, naming the package to install, when it is missing. */
  public static Path suite() {
    assertTrue(
        Files.isDirectory(SUITE),
        SUITE
            + " is missing: the tests read ONNX's backend test suite; apt-get install libonnx-testdata");
    return SUITE;
  }
}
