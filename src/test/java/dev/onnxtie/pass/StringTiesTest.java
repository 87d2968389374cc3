package dev.onnxtie.pass;

import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.Cli;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.TieRelation;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** String tensors tie element by element, and ONNX Runtime reads the same strings afterwards. */
class StringTiesTest {
  @TempDir Path dir;

  @Test
  void identicalAndTransposedStringsTieAndTheBoundaryTrapDoesNot() throws Exception {
    List<String> labels =
        List.of("negative", "neutral", "positive", "mixed-feelings", "off-topic", "spam-and-more");
    List<String> transposed =
        List.of("negative", "mixed-feelings", "neutral", "off-topic", "positive", "spam-and-more");
    List<String> trap =
        List.of("negativeneutral", "", "positive", "mixed-feelings", "off-topic", "spam-and-more");
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(TestModels.strings("labels", labels, 2, 3))
            .addInitializer(TestModels.strings("labels_copy", labels, 2, 3))
            .addInitializer(TestModels.strings("labels_t", transposed, 3, 2))
            .addInitializer(TestModels.strings("trap", trap, 2, 3))
            .addInput(value("x", 8, 2, 3))
            .addOutput(value("a", 8, 2, 3))
            .addOutput(value("b", 8, 2, 3))
            .addOutput(value("c", 8, 3, 2))
            .addOutput(value("d", 8, 2, 3))
            .addOutput(value("e", 8, 2, 3))
            .addNode(node("Identity", "ra", List.of("labels"), List.of("a")))
            .addNode(node("Identity", "rb", List.of("labels_copy"), List.of("b")))
            .addNode(node("Identity", "rc", List.of("labels_t"), List.of("c")))
            .addNode(node("Identity", "rd", List.of("trap"), List.of("d")))
            .addNode(node("Identity", "re", List.of("x"), List.of("e")))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("strings.onnx"));
    Path out = dir.resolve("tied.onnx");
    RewriteReport report = OnnxTie.rewrite(in, out, RewriteOptions.defaults().withMinBytes(16));
    OnnxChecker.check(out);
    Map<String, TieRelation> ties =
        report.result().ties().stream()
            .collect(Collectors.toMap(TieInfo::removed, TieInfo::relation));
    assertEquals(
        Map.of(
            "labels_copy",
            new TieRelation.Identical(),
            "labels_t",
            new TieRelation.Permuted(List.of(1, 0))),
        ties);
    List<String> left =
        ModelProto.parseFrom(Files.readAllBytes(out)).getGraph().getInitializerList().stream()
            .map(TensorProto::getName)
            .toList();
    assertEquals(List.of("labels", "trap"), left);
    Map<String, String[]> before = run(in);
    Map<String, String[]> after = run(out);
    assertEquals(before.keySet(), after.keySet());
    for (String name : before.keySet()) {
      assertArrayEquals(before.get(name), after.get(name), name);
    }
    assertArrayEquals(transposed.toArray(new String[0]), after.get("c"));
    // and onnx-tie's own verify of the two files, at its default optimization level
    Cli verify = Cli.run("verify", in.toString(), out.toString());
    assertEquals(0, verify.code(), verify.out() + verify.err());
    assertTrue(verify.out().contains("PASSED"), verify.out());
  }

  static Map<String, String[]> run(Path model) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    // at ONNX Runtime's default optimization level (all): 1.24's constant folding failed on string
    // initializers ("External data type cannot be UNDEFINED or STRING"); 1.29 folds them
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      return run(env, model, options);
    }
  }

  static Map<String, String[]> run(
      OrtEnvironment env, Path model, OrtSession.SessionOptions options) throws Exception {
    String[][] x = {{"p", "q", "r"}, {"s", "t", "u"}};
    try (OrtSession session = env.createSession(model.toString(), options);
        OnnxTensor input = OnnxTensor.createTensor(env, x);
        OrtSession.Result result = session.run(Map.of("x", input))) {
      Map<String, String[]> outputs = new TreeMap<>();
      for (var entry : result) {
        Object value = entry.getValue().getValue();
        outputs.put(
            entry.getKey(),
            Arrays.stream((Object[]) value)
                .flatMap(row -> Arrays.stream((String[]) row))
                .toArray(String[]::new));
      }
      return outputs;
    }
  }
}
