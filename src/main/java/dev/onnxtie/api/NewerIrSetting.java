package dev.onnxtie.api;

import dev.onnxtie.model.NewerIr;

/**
 * Whether models of an IR version newer than this tool knows are read ({@link
 * OnnxTie#allowNewerIr}), in force until closed; closing restores the setting before.
 */
public final class NewerIrSetting implements AutoCloseable {
  private final NewerIr.Scope scope;

  NewerIrSetting(NewerIr.Scope scope) {
    this.scope = scope;
  }

  @Override
  public void close() {
    scope.close();
  }
}
