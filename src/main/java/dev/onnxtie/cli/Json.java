package dev.onnxtie.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonSerializer;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import dev.onnxtie.api.TieRelation;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON renderer of the CLI: every command's {@code --json} output is one envelope
 * (schemas/onnx-tie.schema.json) holding the command, the version, the status, the exit code, the
 * command's result (an api record, serialized as is) and, on failure, the error. Null fields are
 * written as null; numbers that JSON cannot hold (Infinity, NaN) as strings. A {@link TieRelation}
 * is an object: {@code {"kind": "identical"}}, {@code {"kind": "transpose", "perm": [1, 0]}} or
 * {@code {"kind": "reshape", "shape": [4, 2, 16]}}.
 */
final class Json {
  private static final TypeAdapter<Double> DOUBLES =
      new TypeAdapter<>() {
        @Override
        public void write(JsonWriter out, Double value) throws IOException {
          if (value == null) {
            out.nullValue();
          } else if (value.isNaN() || value.isInfinite()) {
            out.value(value.toString());
          } else {
            out.value(value);
          }
        }

        @Override
        public Double read(JsonReader in) {
          throw new UnsupportedOperationException("the CLI only writes JSON");
        }
      };

  private static final JsonSerializer<TieRelation> RELATION =
      (relation, type, context) -> {
        JsonObject object = new JsonObject();
        object.addProperty("kind", relation.kind());
        if (relation instanceof TieRelation.Permuted permuted) {
          JsonArray perm = new JsonArray();
          permuted.perm().forEach(perm::add);
          object.add("perm", perm);
        } else if (relation instanceof TieRelation.Reshaped reshaped) {
          JsonArray shape = new JsonArray();
          reshaped.shape().forEach(shape::add);
          object.add("shape", shape);
        }
        return object;
      };

  private static final Gson GSON =
      new GsonBuilder()
          .setPrettyPrinting()
          .disableHtmlEscaping()
          .serializeNulls()
          .registerTypeAdapter(Double.class, DOUBLES)
          .registerTypeAdapter(double.class, DOUBLES)
          .registerTypeHierarchyAdapter(TieRelation.class, RELATION)
          .create();

  private Json() {}

  /**
   * The status word of an exit code: ok (0), failed (1: a mismatch or failed check), error (2, 3).
   */
  static String status(int exitCode) {
    return exitCode == 0 ? "ok" : exitCode == 1 ? "failed" : "error";
  }

  /** The envelope of a command's result. */
  static String envelope(String command, int exitCode, Object result) {
    return render(command, exitCode, result, null);
  }

  /**
   * The envelope of a command that reported what it could and still failed (exit 2: some of several
   * files were refused): the result and the error together.
   */
  static String partial(String command, int exitCode, Object result, String message) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", message);
    error.put("verification", null);
    return render(command, exitCode, result, error);
  }

  /**
   * The envelope of a failure: {@code result} null, {@code error} the message, exit code and, for a
   * verification that failed inside a rewrite or insert, the verification.
   */
  static String failure(String command, int exitCode, String message, Object verification) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", message);
    error.put("verification", verification);
    return render(command, exitCode, null, error);
  }

  private static String render(String command, int exitCode, Object result, Object error) {
    Map<String, Object> envelope = new LinkedHashMap<>();
    envelope.put("command", command);
    envelope.put("version", OnnxTieCli.version());
    envelope.put("status", status(exitCode));
    envelope.put("exitCode", exitCode);
    envelope.put("result", result);
    envelope.put("error", error);
    return GSON.toJson(envelope);
  }
}
