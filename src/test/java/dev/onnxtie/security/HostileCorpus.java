package dev.onnxtie.security;

import static dev.onnxtie.TestModels.intAttribute;
import static dev.onnxtie.TestModels.intsAttribute;

import com.google.protobuf.ByteString;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.ModelValidator;
import dev.onnxtie.proto.Onnx.AttributeProto;
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

/** Malformed and hostile model files, each in a folder of its own, with what the error must say. */
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

  static TensorProto.Builder external(
      TensorProto.Builder tensor, String location, String offset, String length) {
    tensor
        .clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .clearExternalData()
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
    for (int cut :
        new int[] {1, 7, 50, 200, valid.length / 2, valid.length - 3, valid.length - 1}) {
      cases.put("truncated-at-" + cut, new Object[] {Arrays.copyOf(valid, cut), ""});
    }
    cases.put(
        "raw-data-length-mismatch",
        new Object[] {
          withTensor(t -> t.setRawData(t.getRawData().substring(0, 12))),
          "bytes of raw_data but its dims"
        });
    cases.put("negative-dim", new Object[] {withTensor(t -> t.setDims(0, -20)), "negative dim"});
    cases.put(
        "dims-overflow",
        new Object[] {
          withTensor(t -> t.clearDims().addDims(1L << 40).addDims(1L << 40)), "overflows 64 bits"
        });
    cases.put(
        "unknown-data-type",
        new Object[] {withTensor(t -> t.setDataType(99)), "unknown data_type 99"});
    cases.put(
        "undefined-data-type",
        new Object[] {withTensor(t -> t.setDataType(0)), "unknown data_type 0"});
    cases.put(
        "claims-10-gb",
        new Object[] {
          withTensor(t -> t.clearDims().addDims(2_500_000_000L).clearRawData()), "need 2500000000"
        });
    cases.put(
        "claims-10-gb-raw",
        new Object[] {withTensor(t -> t.clearDims().addDims(2_500_000_000L)), "need 10000000000"});
    cases.put(
        "string-count-mismatch",
        new Object[] {
          withTensor(
              t -> t.setDataType(8).clearRawData().addStringData(ByteString.copyFromUtf8("a"))),
          "strings but its dims"
        });
    cases.put(
        "external-absolute",
        new Object[] {withTensor(t -> external(t, "/etc/passwd", null, null)), "is absolute"});
    cases.put(
        "external-dotdot",
        new Object[] {withTensor(t -> external(t, "../outside.bin", null, null)), "contains '..'"});
    cases.put(
        "external-symlink",
        new Object[] {withTensor(t -> external(t, "link.bin", null, null)), "symbolic link"});
    cases.put(
        "external-hardlink",
        new Object[] {withTensor(t -> external(t, "hard.bin", null, null)), "hard link"});
    cases.put(
        "external-offset-past-end",
        new Object[] {withTensor(t -> external(t, "data.bin", "1000", null)), "has only"});
    cases.put(
        "external-length-past-end",
        new Object[] {withTensor(t -> external(t, "data.bin", "300", "320")), "has only"});
    cases.put(
        "external-length-wrong",
        new Object[] {withTensor(t -> external(t, "data.bin", "0", "4")), "external length 4"});
    cases.put(
        "external-offset-not-a-number",
        new Object[] {withTensor(t -> external(t, "data.bin", "12abc", null)), "not a number"});
    cases.put(
        "external-missing-file",
        new Object[] {withTensor(t -> external(t, "missing.bin", null, null)), "is missing"});
    cases.put(
        "external-folder",
        new Object[] {withTensor(t -> external(t, "sub", null, null)), "not a regular file"});
    cases.put(
        "external-nul",
        new Object[] {withTensor(t -> external(t, "data.bin\0x", null, null)), "NUL"});
    cases.put(
        "cycle",
        new Object[] {
          withGraph(
              g ->
                  g.clearNode()
                      .addNode(node("Add", List.of("ids_f", "c"), List.of("a")))
                      .addNode(node("Add", List.of("a", "ids_f"), List.of("c")))
                      .addNode(node("Cast", List.of("ids"), List.of("ids_f")))
                      .addNode(node("Identity", List.of("c"), List.of("logits")))),
          "has a cycle"
        });
    cases.put(
        "undefined-input",
        new Object[] {
          withGraph(g -> g.addNode(node("Relu", List.of("nowhere"), List.of("r")))),
          "reads undefined tensor 'nowhere'"
        });
    cases.put(
        "two-writers",
        new Object[] {
          withGraph(g -> g.addNode(node("Relu", List.of("h"), List.of("logits")))),
          "two nodes write tensor 'logits'"
        });
    cases.put(
        "duplicate-initializers",
        new Object[] {
          withGraph(g -> g.addInitializer(g.getInitializer(0))), "two initializers named 'emb'"
        });
    cases.put(
        "if-without-branches",
        new Object[] {
          withGraph(g -> g.addNode(node("If", List.of("ids"), List.of("branch")))),
          "has no then_branch graph"
        });
    cases.put(
        "no-default-opset",
        new Object[] {base().toBuilder().clearOpsetImport().build(), "no default-domain"});
    cases.put(
        "non-model-protobuf", new Object[] {base().getGraph().getInitializer(0).toByteArray(), ""});
    cases.put("no-graph", new Object[] {base().toBuilder().clearGraph().build(), "has no graph"});
    cases.put(
        "output-never-produced",
        new Object[] {
          withGraph(g -> g.addOutput(TestModels.value("ghost", 1, 1))),
          "output 'ghost' is never produced"
        });
    cases.put(
        "ir-version-zero", new Object[] {base().toBuilder().setIrVersion(0).build(), "ir_version"});
    // semantic validation: what the ONNX checker and ONNX Runtime refuse
    cases.put(
        "ir-version-too-new",
        new Object[] {
          base().toBuilder().setIrVersion(ModelValidator.NEWEST_IR_VERSION + 1).build(),
          "ir_version "
              + (ModelValidator.NEWEST_IR_VERSION + 1)
              + " is newer than the newest this tool knows ("
              + ModelValidator.NEWEST_IR_VERSION
              + ")"
        });
    cases.put(
        "raw-and-typed-data",
        new Object[] {
          withTensor(t -> t.addFloatData(1f)),
          "tensor 'emb' holds data in more than one field (raw_data, float_data)"
        });
    cases.put(
        "two-typed-fields",
        new Object[] {
          withTensor(
              t ->
                  t.clearRawData()
                      .addAllFloatData(Arrays.asList(new Float[80]).stream().map(f -> 0f).toList())
                      .addInt32Data(1)),
          "tensor 'emb' holds data in more than one field (float_data, int32_data)"
        });
    cases.put(
        "attribute-twice",
        new Object[] {
          withGraph(
              g ->
                  g.setNode(
                      0,
                      g.getNode(0).toBuilder()
                          .addAttribute(intAttribute("axis", 0))
                          .addAttribute(intAttribute("axis", 0)))),
          "node embed (Gather) has attribute 'axis' twice"
        });
    cases.put(
        "gemm-transB-float",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Gemm",
                          "gemm",
                          List.of("h", "emb"),
                          List.of("g"),
                          AttributeProto.newBuilder()
                              .setName("transB")
                              .setType(AttributeProto.AttributeType.FLOAT)
                              .setF(1f)
                              .build()))),
          "node gemm (Gemm): attribute 'transB' must be INT, found FLOAT"
        });
    cases.put(
        "gemm-alpha-declared-int-holds-float",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Gemm",
                          "gemm",
                          List.of("h", "emb"),
                          List.of("g"),
                          AttributeProto.newBuilder()
                              .setName("alpha")
                              .setType(AttributeProto.AttributeType.INT)
                              .setF(1f)
                              .build()))),
          "attribute 'alpha' must be FLOAT, found no value"
        });
    cases.put(
        "transpose-perm-ints-as-int",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Transpose",
                          "t",
                          List.of("emb"),
                          List.of("t"),
                          intAttribute("perm", 1)))),
          "node t (Transpose): attribute 'perm' must be INTS, found INT"
        });
    cases.put(
        "gather-axis-string",
        new Object[] {
          withGraph(
              g ->
                  g.setNode(
                      0,
                      g.getNode(0).toBuilder()
                          .addAttribute(
                              AttributeProto.newBuilder()
                                  .setName("axis")
                                  .setType(AttributeProto.AttributeType.STRING)
                                  .setS(ByteString.copyFromUtf8("0"))))),
          "node embed (Gather): attribute 'axis' must be INT, found STRING"
        });
    cases.put(
        "gather-elements-axis-floats",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "GatherElements",
                          "ge",
                          List.of("emb", "ids"),
                          List.of("ge"),
                          AttributeProto.newBuilder()
                              .setName("axis")
                              .setType(AttributeProto.AttributeType.FLOATS)
                              .addFloats(0)
                              .build()))),
          "attribute 'axis' must be INT, found FLOATS"
        });
    cases.put(
        "reshape-allowzero-float",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Reshape",
                          "r",
                          List.of("emb", "ids"),
                          List.of("r"),
                          AttributeProto.newBuilder()
                              .setName("allowzero")
                              .setType(AttributeProto.AttributeType.FLOAT)
                              .setF(0)
                              .build()))),
          "node r (Reshape): attribute 'allowzero' must be INT"
        });
    cases.put(
        "cast-to-string",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Cast",
                          "c",
                          List.of("ids"),
                          List.of("c"),
                          AttributeProto.newBuilder()
                              .setName("to")
                              .setType(AttributeProto.AttributeType.STRING)
                              .setS(ByteString.copyFromUtf8("float"))
                              .build()))),
          "node c (Cast): attribute 'to' must be INT, found STRING"
        });
    cases.put(
        "matmulnbits-bits-float",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                              "MatMulNBits",
                              "q",
                              List.of("h", "emb"),
                              List.of("q"),
                              AttributeProto.newBuilder()
                                  .setName("bits")
                                  .setType(AttributeProto.AttributeType.FLOAT)
                                  .setF(4)
                                  .build())
                          .toBuilder()
                          .setDomain("com.microsoft")
                          .build())),
          "node q (MatMulNBits): attribute 'bits' must be INT, found FLOAT"
        });
    cases.put(
        "gather-block-quantized-axis-ints",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                              "GatherBlockQuantized",
                              "gq",
                              List.of("emb", "ids"),
                              List.of("gq"),
                              AttributeProto.newBuilder()
                                  .setName("quantize_axis")
                                  .setType(AttributeProto.AttributeType.INTS)
                                  .addInts(1)
                                  .build())
                          .toBuilder()
                          .setDomain("com.microsoft")
                          .build())),
          "node gq (GatherBlockQuantized): attribute 'quantize_axis' must be INT, found INTS"
        });
    GraphProto branch =
        GraphProto.newBuilder()
            .addOutput(TestModels.value("b", 1, 1))
            .addNode(node("Identity", List.of("h"), List.of("b")))
            .build();
    cases.put(
        "if-branch-as-graphs",
        new Object[] {
          withGraph(
              g ->
                  g.addInput(TestModels.value("flag", 9))
                      .addNode(
                          TestModels.node(
                              "If",
                              "choose",
                              List.of("flag"),
                              List.of("chosen"),
                              TestModels.graphAttribute("then_branch", branch),
                              AttributeProto.newBuilder()
                                  .setName("else_branch")
                                  .setType(AttributeProto.AttributeType.GRAPHS)
                                  .addGraphs(branch)
                                  .build()))),
          "node choose (If): attribute 'else_branch' must be GRAPH, found GRAPHS"
        });
    cases.put(
        "loop-body-as-int",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Loop", "repeat", List.of("", ""), List.of(), intAttribute("body", 1)))),
          "node repeat (Loop): attribute 'body' must be GRAPH, found INT"
        });
    cases.put(
        "scan-body-as-tensor",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Scan",
                          "scan",
                          List.of("h"),
                          List.of("s"),
                          intAttribute("num_scan_inputs", 1),
                          TestModels.tensorAttribute("body", g.getInitializer(0))))),
          "node scan (Scan): attribute 'body' must be GRAPH, found TENSOR"
        });
    cases.put(
        "transpose-perm-repeats",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Transpose",
                          "t",
                          List.of("emb"),
                          List.of("t"),
                          intsAttribute("perm", 0, 0)))),
          "node t (Transpose): perm [0, 0] is not a permutation of 0..1"
        });
    cases.put(
        "transpose-perm-wrong-rank",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Transpose",
                          "t",
                          List.of("emb"),
                          List.of("t"),
                          intsAttribute("perm", 2, 0, 1)))),
          "perm [2, 0, 1] is not a permutation of 0..1 (the input has rank 2)"
        });
    cases.put(
        "transpose-perm-out-of-range",
        new Object[] {
          withGraph(
              g ->
                  g.addNode(
                      TestModels.node(
                          "Transpose",
                          "t",
                          List.of("h"),
                          List.of("t"),
                          intsAttribute("perm", 0, 5)))),
          "perm [0, 5] is not a permutation of 0..1"
        });
    GraphProto nested = base().getGraph();
    for (int depth = 0; depth < 120; depth++) {
      nested =
          GraphProto.newBuilder()
              .addNode(
                  TestModels.node(
                      "If",
                      "if" + depth,
                      List.of("c"),
                      List.of("o" + depth),
                      TestModels.graphAttribute("then_branch", nested),
                      TestModels.graphAttribute("else_branch", nested.getDefaultInstanceForType())))
              .build();
    }
    cases.put("nested-too-deep", new Object[] {base().toBuilder().setGraph(nested).build(), ""});
    List<Case> corpus = new ArrayList<>();
    for (Map.Entry<String, Object[]> entry : cases.entrySet()) {
      Path folder = Files.createDirectories(root.resolve(entry.getKey()).resolve("model"));
      Path model = folder.resolve("model.onnx");
      Object content = entry.getValue()[0];
      Files.write(
          model, content instanceof ModelProto proto ? proto.toByteArray() : (byte[]) content);
      byte[] data = new byte[320];
      new Random(2).nextBytes(data);
      Files.write(folder.resolve("data.bin"), data);
      Files.write(root.resolve(entry.getKey()).resolve("outside.bin"), data);
      Files.createSymbolicLink(
          folder.resolve("link.bin"), root.resolve(entry.getKey()).resolve("outside.bin"));
      Files.createLink(
          folder.resolve("hard.bin"), root.resolve(entry.getKey()).resolve("outside.bin"));
      Files.createDirectories(folder.resolve("sub"));
      corpus.add(new Case(entry.getKey(), model, (String) entry.getValue()[1]));
    }
    return corpus;
  }
}
