package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** External data: both layouts round-trip and run in ORT; every unsafe location is refused. */
public class ExternalDataTest {
  static final Path SAMPLE = TestModels.samples().resolve("gpt2_external");

  static Path copySample(Path dir) throws IOException {
    return copySampleInto(dir.resolve("in"));
  }

  /** Copies the external-data sample into {@code folder}; returns its model file. */
  public static Path copySampleInto(Path folder) throws IOException {
    Files.createDirectories(folder);
    Files.copy(SAMPLE.resolve("model.onnx"), folder.resolve("model.onnx"));
    Files.copy(SAMPLE.resolve("model.onnx.data"), folder.resolve("model.onnx.data"));
    return folder.resolve("model.onnx");
  }

  static Map<String, ByteBuffer> run(Path model) throws Exception {
    return OrtRun.int64(model, "input_ids", OrtRun.ids(2 * 16, 1200), 2, 16);
  }

  @Test
  void readsAndWritesBothLayoutsWithIdenticalOutputs(@TempDir Path dir) throws Exception {
    Path in = copySample(dir);
    Map<String, ByteBuffer> expected = run(in);
    Path single = dir.resolve("single.onnx");
    Path external = dir.resolve("external.onnx");
    try (OnnxModel model = ModelIO.read(in)) {
      assertTrue(ModelIO.hasExternalTensors(model.proto()));
      ModelIO.write(
          model, single, WriteOptions.defaults().withLayout(WriteOptions.Layout.SINGLE_FILE, null));
      ModelIO.write(
          model,
          external,
          WriteOptions.defaults().withLayout(WriteOptions.Layout.EXTERNAL, "weights.bin"));
    }
    try (OnnxModel one = ModelIO.read(single);
        OnnxModel two = ModelIO.read(external)) {
      assertFalse(ModelIO.hasExternalTensors(one.proto()));
      assertTrue(ModelIO.hasExternalTensors(two.proto()));
      assertTrue(Files.isRegularFile(dir.resolve("weights.bin")));
    }
    assertEquals(expected, run(single));
    assertEquals(expected, run(external));
    OnnxChecker.check(single, external);
    // automatic layout keeps external data when the input had it
    Path auto = dir.resolve("auto.onnx");
    try (OnnxModel model = ModelIO.read(single)) {
      ModelIO.write(model, auto, WriteOptions.defaults());
    }
    assertFalse(Files.exists(dir.resolve("auto.onnx.data")));
    try (OnnxModel model = ModelIO.read(external)) {
      ModelIO.write(model, auto, WriteOptions.defaults());
    }
    assertTrue(Files.isRegularFile(dir.resolve("auto.onnx.data")));
    assertEquals(expected, run(auto));
    OnnxChecker.check(auto);
    // large tensors are page-aligned in the data file
    try (OnnxModel model = ModelIO.read(auto)) {
      for (TensorProto tensor : model.proto().getGraph().getInitializerList()) {
        if (Tensors.isExternal(tensor)
            && Tensors.byteSize(tensor) >= WriteOptions.PAGE_ALIGN_MIN_BYTES) {
          assertEquals(0, model.externalData().locate(tensor).offset() % 4096, tensor.getName());
        }
      }
    }
  }

  @Test
  void aModelPastTheSingleFileLimitGoesToExternalDataByItself(@TempDir Path dir) throws Exception {
    Path in = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Path out = dir.resolve("big.onnx");
    long saved = ModelIO.singleFileLimit;
    ModelIO.singleFileLimit = 100_000; // stands in for protobuf's 2 GiB, which a test cannot afford
    try (OnnxModel model = ModelIO.read(in)) {
      ModelIO.write(model, out, WriteOptions.defaults());
      assertTrue(Files.isRegularFile(dir.resolve("big.onnx.data")));
      OnnxChecker.check(out);
      OnnxTieException refused =
          Assertions.assertThrows(
              OnnxTieException.class,
              () ->
                  ModelIO.write(
                      model,
                      dir.resolve("one.onnx"),
                      WriteOptions.defaults().withLayout(WriteOptions.Layout.SINGLE_FILE, null)));
      assertTrue(
          refused.getMessage().contains("2 GiB limit; write it with external data"),
          refused.getMessage());
    } finally {
      ModelIO.singleFileLimit = saved;
    }
    long[] ids = OrtRun.ids(2 * 8, 1000);
    assertEquals(
        OrtRun.int64(in, "input_ids", ids, 2, 8), OrtRun.int64(out, "input_ids", ids, 2, 8));
  }

  /** Rewrites the external_data entries of the embedding. */
  static Path corrupt(Path model, UnaryOperator<List<StringStringEntryProto>> change)
      throws IOException {
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(model));
    GraphProto.Builder graph = proto.getGraph().toBuilder();
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      TensorProto tensor = graph.getInitializer(i);
      if (tensor.getName().equals("wte.weight")) {
        List<StringStringEntryProto> entries = change.apply(tensor.getExternalDataList());
        graph.setInitializer(i, tensor.toBuilder().clearExternalData().addAllExternalData(entries));
      }
    }
    Files.write(model, proto.toBuilder().setGraph(graph).build().toByteArray());
    return model;
  }

  static UnaryOperator<List<StringStringEntryProto>> set(String key, String value) {
    return entries -> {
      List<StringStringEntryProto> out =
          new ArrayList<>(entries.stream().filter(e -> !e.getKey().equals(key)).toList());
      out.add(StringStringEntryProto.newBuilder().setKey(key).setValue(value).build());
      return out;
    };
  }

  /** Runs inspect and rewrite on a hostile model and checks the refusal contract. */
  static void assertRefused(Path model, String expectedWords) throws Exception {
    Path folder = model.getParent();
    String before = TestModels.digest(folder);
    for (String[] args :
        List.of(
            new String[] {"inspect", model.toString()},
            new String[] {
              "rewrite", model.toString(), folder.getParent().resolve("out.onnx").toString()
            },
            new String[] {"check", model.toString()})) {
      Cli result = Cli.run(args);
      assertEquals(2, result.code(), args[0] + ": " + result.err());
      assertEquals(1, result.errLines(), result.err());
      assertTrue(result.err().contains(expectedWords), result.err());
      assertFalse(result.err().contains("\tat "), "no stack trace");
    }
    assertFalse(Files.exists(folder.getParent().resolve("out.onnx")));
    try (Stream<Path> files = Files.list(folder.getParent())) {
      assertEquals(
          List.of(),
          files.filter(p -> p.getFileName().toString().startsWith(ModelIO.TEMP_PREFIX)).toList());
    }
    assertEquals(before, TestModels.digest(folder), "the input is unchanged");
  }

  @Test
  void refusesAbsoluteLocations(@TempDir Path dir) throws Exception {
    assertRefused(corrupt(copySample(dir), set("location", "/etc/passwd")), "is absolute");
  }

  @Test
  void refusesDotDot(@TempDir Path dir) throws Exception {
    Path model = copySample(dir);
    Files.copy(model.resolveSibling("model.onnx.data"), dir.resolve("outside.data"));
    assertRefused(corrupt(model, set("location", "../outside.data")), "contains '..'");
    assertRefused(corrupt(model, set("location", "sub/../../outside.data")), "contains '..'");
  }

  @Test
  void refusesSymlinks(@TempDir Path dir) throws Exception {
    Path model = copySample(dir);
    Files.copy(model.resolveSibling("model.onnx.data"), dir.resolve("outside.data"));
    Files.createSymbolicLink(model.resolveSibling("link.data"), dir.resolve("outside.data"));
    assertRefused(corrupt(model, set("location", "link.data")), "symbolic link");
    Files.createSymbolicLink(model.resolveSibling("linkdir"), dir);
    assertRefused(corrupt(model, set("location", "linkdir/outside.data")), "symbolic link");
  }

  @Test
  void refusesHardLinks(@TempDir Path dir) throws Exception {
    Path model = copySample(dir);
    Files.copy(model.resolveSibling("model.onnx.data"), dir.resolve("outside.data"));
    Files.createLink(model.resolveSibling("hard.data"), dir.resolve("outside.data"));
    assertRefused(corrupt(model, set("location", "hard.data")), "hard link");
  }

  @Test
  void refusesNonRegularFiles(@TempDir Path dir) throws Exception {
    Path model = copySample(dir);
    Files.createDirectories(model.resolveSibling("folder.data"));
    assertRefused(corrupt(model, set("location", "folder.data")), "not a regular file");
  }

  @Test
  void refusesRangesOutsideTheFile(@TempDir Path dir) throws Exception {
    Path model = copySample(dir);
    long size = Files.size(model.resolveSibling("model.onnx.data"));
    assertRefused(corrupt(model, set("offset", Long.toString(size - 100))), "has only");
    assertRefused(corrupt(model, set("offset", "9223372036854775807")), "has only");
    assertRefused(corrupt(model, set("length", "12")), "external length 12");
    assertRefused(corrupt(model, set("offset", "-5")), "negative external offset");
  }

  @Test
  void refusesMissingDataFiles(@TempDir Path dir) throws Exception {
    Path model = copySample(dir);
    assertRefused(corrupt(model, set("location", "missing.data")), "is missing");
  }
}
