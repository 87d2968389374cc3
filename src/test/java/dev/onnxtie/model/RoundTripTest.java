package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.onnxtie.BackendData;
import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Read + write leaves every model of ONNX's backend test suite protobuf-equal. */
class RoundTripTest {
  static List<Path> backendModels() throws IOException {
    try (Stream<Path> files = Files.walk(BackendData.suite())) {
      return files.filter(p -> p.getFileName().toString().equals("model.onnx")).sorted().toList();
    }
  }

  @Test
  void everyBackendModelRoundTripsUnchanged(@TempDir Path dir) throws IOException {
    List<Path> models = backendModels();
    List<String> failures = new ArrayList<>();
    Path out = dir.resolve("out.onnx");
    for (Path file : models) {
      try (OnnxModel model = ModelIO.read(file)) {
        ModelIO.write(model, out, WriteOptions.defaults());
        ModelProto original = ModelProto.parseFrom(Files.readAllBytes(file));
        ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
        if (!original.equals(written)) {
          failures.add(file + ": differs after the round trip");
        }
      } catch (RuntimeException e) {
        failures.add(file + ": " + e.getMessage());
      }
    }
    System.out.printf(
        "round trip: %d of %d backend models protobuf-equal%n",
        models.size() - failures.size(), models.size());
    assertEquals(1072, models.size(), "libonnx-testdata 1.12 ships 1,072 models");
    assertEquals(List.of(), failures);
  }

  @Test
  void weightsAliasTheMappedFileInsteadOfBeingCopied() {
    try (OnnxModel model = ModelIO.read(TestModels.samples().resolve("gpt2_tied/model.onnx"))) {
      var embedding =
          model.proto().getGraph().getInitializerList().stream()
              .filter(t -> t.getName().equals("wte.weight"))
              .findFirst()
              .orElseThrow();
      assertTrue(
          embedding.getRawData().asReadOnlyByteBuffer().isDirect(),
          "raw_data must be a view of the memory-mapped file (protobuf-java 4.34+ copies; see pom.xml)");
    }
  }

  @Test
  void unknownFieldsSurviveARoundTrip(@TempDir Path dir) throws IOException {
    ModelProto base = TestModels.embeddingAndHead(8, 4);
    UnknownFieldSet unknown =
        UnknownFieldSet.newBuilder()
            .addField(
                999,
                UnknownFieldSet.Field.newBuilder()
                    .addLengthDelimited(ByteString.copyFromUtf8("future"))
                    .addVarint(7)
                    .build())
            .build();
    ModelProto withUnknown =
        base.toBuilder()
            .setUnknownFields(unknown)
            .setGraph(base.getGraph().toBuilder().setUnknownFields(unknown))
            .build();
    Path in = TestModels.save(withUnknown, dir.resolve("in.onnx"));
    Path out = dir.resolve("out.onnx");
    try (OnnxModel model = ModelIO.read(in)) {
      ModelIO.write(model, out, WriteOptions.defaults());
    }
    ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
    assertEquals(withUnknown, written);
    assertTrue(written.getUnknownFields().hasField(999));
    assertTrue(written.getGraph().getUnknownFields().hasField(999));
    assertEquals(Files.size(in), Files.size(out));
  }
}
