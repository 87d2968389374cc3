package dev.onnxtie.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The one JSON renderer of the CLI (gson, pretty-printed, stable field order). */
final class Json {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

  private Json() {}

  static String of(Object value) {
    return GSON.toJson(value);
  }
}
