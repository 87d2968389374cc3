package dev.onnxtie.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonSerializer;
import dev.onnxtie.tie.Relation;

/**
 * The one JSON renderer of the CLI (gson, pretty-printed, stable field order). A {@link Relation}
 * is an object: {@code {"kind": "identical"}}, {@code {"kind": "transpose", "perm": [1, 0]}} or
 * {@code {"kind": "reshape", "shape": [4, 2, 16]}}.
 */
final class Json {
  private static final JsonSerializer<Relation> RELATION = (relation, type, context) -> {
    JsonObject object = new JsonObject();
    object.addProperty("kind", relation.kind());
    if (relation instanceof Relation.Permuted permuted) {
      JsonArray perm = new JsonArray();
      permuted.perm().forEach(perm::add);
      object.add("perm", perm);
    } else if (relation instanceof Relation.Reshaped reshaped) {
      JsonArray shape = new JsonArray();
      reshaped.shape().forEach(shape::add);
      object.add("shape", shape);
    }
    return object;
  };

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
      .registerTypeHierarchyAdapter(Relation.class, RELATION).create();

  private Json() {}

  static String of(Object value) {
    return GSON.toJson(value);
  }
}
