package dev.onnxtie.model;

import java.io.IOException;
import java.nio.file.Path;

/** The external-data sample of {@link ExternalDataTest}, for tests of other packages. */
public final class ExternalDataTestAccess {
  private ExternalDataTestAccess() {}

  /** Copies the external-data sample into {@code folder}; returns its model file. */
  public static Path copySampleInto(Path folder) throws IOException {
    return ExternalDataTest.copySampleInto(folder);
  }
}
