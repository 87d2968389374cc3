package dev.onnxtie.security;

import com.google.protobuf.ByteString;
import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Malformed and hostile model files, each in a folder of its own, with what the error must say.
 */
final class HostileCorpus {
  private HostileCorpus() {}

  /** One hostile input: the model file and a phrase its one-line error must contain. */
  record Case(String name, Path model, String expected) {}

  static ModelProto base() {
    return TestModels.embeddingAndHead(20, 4);
  }

  static ModelProto withGraph(UnaryOperator<GraphProto.Builder> change) {
    ModelProto base = base();
    return base.toBuilder().setGraph(change.apply(base.getGraph().toBuilder())).build();
  }

  static ModelProto withTensor(UnaryOperator<TensorProto.Builder> change) {
    return withGraph(g -> g.setInitializer(0, change.apply(g.getInitializer(0).toBuilder())));
  }

  static TensorProto.Builder external(TensorProto.Builder tensor, String location, String offset, String length) {
    tensor.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL).clearExternalData()
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
    if (offset != null) {
      tensor.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(offset));
    }
    if (length != null) {
      tensor.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(length));
    }
    return tensor;
  }

  static NodeProto node(String op, List<String> in, List<String> out) {
    return TestModels.node(op, op + "_" + String.join("_", out), in, out);
  }

  /** Builds the corpus under {@code root}. */
  static List<Case> build(Path root) throws IOException {
    Map<String, Object[]> cases = new LinkedHashMap<>();
    byte[] valid = base().toByteArray();
    cases.put("empty", new Object[] {new byte[0], "is empty"});
    byte[] random = new byte[1024];
    new Random(1).nextBytes(random);
    cases.put("random-bytes", new Object[] {random, "not a valid ONNX protobuf"});
    for (int cut : new int[] {1, 7, 50, 200, valid.length / 2, valid.length - 3, valid.length - 1}) {
      cases.put("truncated-at-" + cut, new Object[] {Arrays.copyOf(valid, cut), ""});
    }
    cases.put("raw-data-length-mismatch", new Object[] {withTensor(t -> t.setRawData(t.getRawData().substring(0, 12))), "bytes of raw_data but its dims"});
    cases.put("negative-dim", new Object[] {withTensor(t -> t.setDims(0, -20)), "negative dim"});
    cases.put("dims-overflow", new Object[] {withTensor(t -> t.clearDims().addDims(1L << 40).addDims(1L << 40)), "overflows 64 bits"});
    cases.put("unknown-data-type", new Object[] {withTensor(t -> t.setDataType(99)), "unknown data_type 99"});
    cases.put("undefined-data-type", new Object[] {withTensor(t -> t.setDataType(0)), "unknown data_type 0"});
    cases.put("claims-10-gb", new Object[] {withTensor(t -> t.clearDims().addDims(2_500_000_000L).clearRawData()), "need 2500000000"});
    cases.put("claims-10-gb-raw", new Object[] {withTensor(t -> t.clearDims().addDims(2_500_000_000L)), "need 10000000000"});
    cases.put("string-count-mismatch", new Object[] {withTensor(t -> t.setDataType(8).clearRawData().addStringData(ByteString.copyFromUtf8("a"))), "strings but its dims"});
    cases.put("external-absolute", new Object[] {withTensor(t -> external(t, "/etc/passwd", null, null)), "is absolute"});
    cases.put("external-dotdot", new Object[] {withTensor(t -> external(t, "../outside.bin", null, null)), "contains '..'"});
    cases.put("external-symlink", new Object[] {withTensor(t -> external(t, "link.bin", null, null)), "symbolic link"});
    cases.put("external-hardlink", new Object[] {withTensor(t -> external(t, "hard.bin", null, null)), "hard link"});
    cases.put("external-offset-past-end", new Object[] {withTensor(t -> external(t, "data.bin", "1000", null)), "has only"});
    cases.put("external-length-past-end", new Object[] {withTensor(t -> external(t, "data.bin", "300", "320")), "has only"});
    cases.put("external-length-wrong", new Object[] {withTensor(t -> external(t, "data.bin", "0", "4")), "external length 4"});
    cases.put("external-offset-not-a-number", new Object[] {withTensor(t -> external(t, "data.bin", "12abc", null)), "not a number"});
    cases.put("external-missing-file", new Object[] {withTensor(t -> external(t, "missing.bin", null, null)), "is missing"});
    cases.put("external-folder", new Object[] {withTensor(t -> external(t, "sub", null, null)), "not a regular file"});
    cases.put("external-nul", new Object[] {withTensor(t -> external(t, "data.bin\0x", null, null)), "NUL"});
    cases.put("cycle", new Object[] {withGraph(g -> g.clearNode()
        .addNode(node("Add", List.of("ids_f", "c"), List.of("a")))
        .addNode(node("Add", List.of("a", "ids_f"), List.of("c")))
        .addNode(node("Cast", List.of("ids"), List.of("ids_f")))
        .addNode(node("Identity", List.of("c"), List.of("logits")))), "has a cycle"});
    cases.put("undefined-input", new Object[] {withGraph(g -> g.addNode(node("Relu", List.of("nowhere"), List.of("r")))), "reads undefined tensor 'nowhere'"});
    cases.put("two-writers", new Object[] {withGraph(g -> g.addNode(node("Relu", List.of("h"), List.of("logits")))), "two nodes write tensor 'logits'"});
    cases.put("duplicate-initializers", new Object[] {withGraph(g -> g.addInitializer(g.getInitializer(0))), "two initializers named 'emb'"});
    cases.put("if-without-branches", new Object[] {withGraph(g -> g.addNode(node("If", List.of("ids"), List.of("branch")))), "has no then_branch graph"});
    cases.put("no-default-opset", new Object[] {base().toBuilder().clearOpsetImport().build(), "no default-domain"});
    cases.put("non-model-protobuf", new Object[] {base().getGraph().getInitializer(0).toByteArray(), ""});
    cases.put("no-graph", new Object[] {base().toBuilder().clearGraph().build(), "has no graph"});
    cases.put("output-never-produced", new Object[] {withGraph(g -> g.addOutput(TestModels.value("ghost", 1, 1))), "output 'ghost' is never produced"});
    cases.put("ir-version-zero", new Object[] {base().toBuilder().setIrVersion(0).build(), "ir_version"});
    GraphProto nested = base().getGraph();
    for (int depth = 0; depth < 120; depth++) {
      nested = GraphProto.newBuilder().addNode(TestModels.node("If", "if" + depth, List.of("c"), List.of("o" + depth),
          TestModels.graphAttribute("then_branch", nested), TestModels.graphAttribute("else_branch", nested.getDefaultInstanceForType()))).build();
    }
    cases.put("nested-too-deep", new Object[] {base().toBuilder().setGraph(nested).build(), ""});
    List<Case> corpus = new ArrayList<>();
    for (Map.Entry<String, Object[]> entry : cases.entrySet()) {
      Path folder = Files.createDirectories(root.resolve(entry.getKey()).resolve("model"));
      Path model = folder.resolve("model.onnx");
      Object content = entry.getValue()[0];
      Files.write(model, content instanceof ModelProto proto ? proto.toByteArray() : (byte[]) content);
      byte[] data = new byte[320];
      new Random(2).nextBytes(data);
      Files.write(folder.resolve("data.bin"), data);
      Files.write(root.resolve(entry.getKey()).resolve("outside.bin"), data);
      Files.createSymbolicLink(folder.resolve("link.bin"), root.resolve(entry.getKey()).resolve("outside.bin"));
      Files.createLink(folder.resolve("hard.bin"), root.resolve(entry.getKey()).resolve("outside.bin"));
      Files.createDirectories(folder.resolve("sub"));
      corpus.add(new Case(entry.getKey(), model, (String) entry.getValue()[1]));
    }
    return corpus;
  }
}
