package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.onnxtie.TestModels;
import dev.onnxtie.cli.OnnxTieCli;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.TensorProto.DataType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model replaced while it is read is read again or refused, never read half old, half new. The
 * race of two in-place rewrites of one external-data model (issue 26) made deterministic: the test
 * hook between the parse of a model and the opening of its data files runs a whole second rewrite
 * of the same model, in place, which commits a new data file (the tied duplicate is gone, so every
 * later tensor moved) under the data file's old name. Without the check the reader then takes the
 * new data at the old offsets and writes wrong bytes with exit 0.
 */
class ConsistentReadTest {
  static final int ROUNDS = Integer.getInteger("race.rounds", 20);
  static final int FLOATS = 16 * 1024;
  static final int TENSORS = 6;
  static final int SMALL = 300;

  @AfterEach
  void removeHook() {
    ModelIO.afterParseForTests = null;
  }

  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = OnnxTieCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  /**
   * An external-data model of a small duplicated pair (first in the data file) and {@link #TENSORS}
   * distinct tensors of 64 KiB, each added to an input; returns the original bytes of every
   * initializer.
   */
  static Map<String, ByteString> makeModel(Path model) {
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("race")
            .addInput(TestModels.value("x", DataType.FLOAT_VALUE, FLOATS))
            .addInput(TestModels.value("x_small", DataType.FLOAT_VALUE, SMALL));
    List<String> names = new ArrayList<>(List.of("dup_a", "dup_b"));
    for (int i = 0; i < TENSORS; i++) {
      names.add("t" + i);
    }
    Map<String, ByteString> bytes = new TreeMap<>();
    for (String name : names) {
      boolean small = name.startsWith("dup");
      int size = small ? SMALL : FLOATS;
      TensorProto tensor =
          TestModels.floats(
              name, TestModels.randomFloats(small ? 1 : 100 + name.hashCode(), size), size);
      graph.addInitializer(tensor);
      bytes.put(name, tensor.getRawData());
      graph.addNode(
          TestModels.node(
              "Add",
              "add_" + name,
              List.of(small ? "x_small" : "x", name),
              List.of("out_" + name)));
      graph.addOutput(TestModels.value("out_" + name, DataType.FLOAT_VALUE, size));
    }
    ModelProto proto = TestModels.model(graph.build());
    try (OnnxModel built = new OnnxModel(proto, new ExternalData(null), null)) {
      // packed as other tools write it (64-byte alignment): the rewrite page-aligns, so its data
      // file is
      // larger and every tensor after the pair moves; old offsets then read other bytes, in bounds
      ModelIO.write(built, model, new WriteOptions(WriteOptions.Layout.EXTERNAL, null, 1024, 64));
    }
    return bytes;
  }

  /**
   * The model at {@code file} holds the original bytes under every name it has (the original, or
   * its rewrite with one of the pair tied to the other), read in a fresh, hook-free read.
   */
  static void assertOriginalBytes(Path file, Map<String, ByteString> original, String what) {
    try (OnnxModel written = ModelIO.read(file)) {
      List<TensorProto> initializers = written.proto().getGraph().getInitializerList();
      assertTrue(
          initializers.size() >= original.size() - 1,
          what + ": " + initializers.size() + " initializers");
      for (TensorProto tensor : initializers) {
        ByteString expected = original.get(tensor.getName());
        assertTrue(expected != null, what + ": unknown initializer " + tensor.getName());
        assertTrue(
            expected.equals(written.rawBytes(tensor)),
            what + ": " + tensor.getName() + " holds other bytes than the original's");
      }
    }
  }

  /**
   * Runs a second in-place rewrite of {@code model} from inside the {@code fireAt}-th read of it.
   */
  static AtomicInteger rewriteInPlaceDuringRead(Path model, int fireAt) {
    AtomicInteger reads = new AtomicInteger();
    Path target = model.toAbsolutePath().normalize();
    ModelIO.afterParseForTests =
        file -> {
          if (file.toAbsolutePath().normalize().equals(target)
              && reads.incrementAndGet() == fireAt) {
            Run writer = cli("rewrite", model.toString(), model.toString());
            assertEquals(0, writer.code(), "the writer that replaces the model: " + writer.err());
          }
        };
    return reads;
  }

  @Test
  void aModelRewrittenInPlaceWhileAnotherRewriteReadsItIsReadAgainOrRefused(@TempDir Path dir)
      throws Exception {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int round = 0; round < ROUNDS; round++) {
      Path model = Files.createDirectories(dir.resolve("r" + round)).resolve("model.onnx");
      Map<String, ByteString> original = makeModel(model);
      AtomicInteger reads = rewriteInPlaceDuringRead(model, 1);
      Run reader = cli("rewrite", model.toString(), model.toString());
      ModelIO.afterParseForTests = null;
      assertTrue(reads.get() >= 2, "the hook ran no second rewrite");
      if (reader.code() == 0) {
        assertOriginalBytes(model, original, "round " + round);
        outcomes.merge("exit 0, original bytes", 1, Integer::sum);
      } else {
        assertEquals(2, reader.code(), reader.err());
        assertTrue(reader.err().contains("changed while reading"), reader.err());
        assertOriginalBytes(model, original, "round " + round + " (refused)");
        outcomes.merge("refused", 1, Integer::sum);
      }
      assertEquals(
          List.of("model.onnx", "model.onnx.data"),
          StagingTest.names(model.getParent()),
          "round " + round);
    }
    System.out.printf("consistent reads, file form: %d races, %s%n", ROUNDS, outcomes);
    assertEquals(ROUNDS, outcomes.values().stream().mapToInt(Integer::intValue).sum());
  }

  @Test
  void aFolderRewriteOfAModelRewrittenInPlaceMeanwhileIsReadAgainOrRefused(@TempDir Path dir)
      throws Exception {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int round = 0; round < ROUNDS; round++) {
      Path in = Files.createDirectories(dir.resolve("in" + round));
      Path model = in.resolve("model.onnx");
      Map<String, ByteString> original = makeModel(model);
      Files.writeString(in.resolve("config.json"), "{}");
      Path out = dir.resolve("out" + round);
      // the folder rewrite reads each model once, before anything is written, and rewrites the
      // model it read (FolderReadOnceTest): the race hits that one read
      AtomicInteger reads = rewriteInPlaceDuringRead(model, 1);
      Run reader = cli("rewrite", in.toString(), out.toString());
      ModelIO.afterParseForTests = null;
      assertTrue(reads.get() >= 2, "the hook ran no second rewrite");
      if (reader.code() == 0) {
        assertOriginalBytes(out.resolve("model.onnx"), original, "round " + round);
        outcomes.merge("exit 0, original bytes", 1, Integer::sum);
      } else {
        assertEquals(2, reader.code(), reader.err());
        assertTrue(reader.err().contains("changed while reading"), reader.err());
        assertTrue(!Files.exists(out), "a refused folder rewrite left its output");
        outcomes.merge("refused", 1, Integer::sum);
      }
      assertOriginalBytes(model, original, "round " + round + ", the input rewritten in place");
      assertTrue(
          StagingTest.names(dir).stream().noneMatch(n -> n.startsWith(".onnx-tie-")),
          StagingTest.names(dir).toString());
      assertEquals(
          List.of("config.json", "model.onnx", "model.onnx.data"),
          StagingTest.names(in),
          "round " + round);
    }
    System.out.printf("consistent reads, folder form: %d races, %s%n", ROUNDS, outcomes);
  }

  @Test
  void aModelReplacedOnEveryReadIsRefusedInOneLine(@TempDir Path dir) throws Exception {
    Path model = Files.createDirectories(dir.resolve("m")).resolve("model.onnx");
    Map<String, ByteString> original = makeModel(model);
    Path spare = Files.createDirectories(dir.resolve("spare")).resolve("model.onnx");
    Files.copy(model, spare);
    AtomicInteger reads = new AtomicInteger();
    // another writer renames a new copy of the model into place each time it is read
    ModelIO.afterParseForTests =
        file -> {
          if (file.getParent().getFileName().toString().equals("m")) {
            reads.incrementAndGet();
            try {
              Path next = model.resolveSibling("next.tmp");
              Files.copy(spare, next);
              Files.move(
                  next, model, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        };
    Run check = cli("check", model.toString(), "--json");
    ModelIO.afterParseForTests = null;
    assertEquals(2, check.code(), check.err());
    assertEquals(ModelIO.READ_ATTEMPTS, reads.get(), "read attempts");
    assertEquals(1, check.err().lines().count(), check.err());
    assertTrue(check.err().contains(model + " changed while reading"), check.err());
    assertTrue(
        check.out().contains("changed while reading"),
        "the JSON envelope names it: " + check.out());
    assertOriginalBytes(model, original, "the replaced model");
  }
}
