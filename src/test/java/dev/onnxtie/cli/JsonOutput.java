package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.onnxtie.Cli;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/** Parses a command's --json output after validating it against the shipped schema. */
public final class JsonOutput {
  /** The shipped schema. */
  public static final JsonSchema SCHEMA;

  static {
    try (InputStream in = JsonOutput.class.getResourceAsStream("/schemas/onnx-tie.schema.json")) {
      SCHEMA = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonOutput() {}

  /**
   * The envelope of {@code result}'s stdout, checked against the schema and against its exit code.
   */
  public static JsonObject envelope(Cli result) {
    Set<ValidationMessage> errors;
    try {
      errors = SCHEMA.validate(new ObjectMapper().readTree(result.out()));
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + result.out() + "\nstderr: " + result.err(), e);
    }
    assertTrue(errors.isEmpty(), errors + "\n" + result.out());
    JsonObject envelope = JsonParser.parseString(result.out()).getAsJsonObject();
    assertEquals(result.code(), envelope.get("exitCode").getAsInt(), result.out());
    return envelope;
  }

  /** The {@code result} of a command's --json output, checked against the schema. */
  public static JsonObject result(Cli result) {
    return envelope(result).getAsJsonObject("result");
  }
}
