package dev.onnxtie.api;

import dev.onnxtie.model.OnnxModel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A model read into memory ({@link OnnxTie#read}), or rewritten in memory: an opaque handle that
 * the api's methods take; close it to release the file mappings it holds.
 */
public final class Model implements AutoCloseable {
  private final OnnxModel model;

  Model(OnnxModel model) {
    this.model = Objects.requireNonNull(model);
  }

  /** The file it was read from, or null (a stream, or a model built in memory). */
  public Path source() {
    return model.source();
  }

  /** The model's IR version. */
  public long irVersion() {
    return model.irVersion();
  }

  /** The model this handle stands for. */
  OnnxModel model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
  }
}
