package dev.onnxtie.api;

import dev.onnxtie.model.OnnxModel;

/** For tests of other packages: the internal model behind the api's handle, and back. */
public final class ApiTestAccess {
  private ApiTestAccess() {}

  /** A handle on a model read with {@code ModelIO} (closing it closes the model). */
  public static Model wrap(OnnxModel model) {
    return new Model(model);
  }

  /** The model behind a handle. */
  public static OnnxModel unwrap(Model model) {
    return model.model();
  }
}
