package dev.onnxtie.tie;

import static dev.onnxtie.TestModels.floats;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.onnxtie.TestModels;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.GraphProto;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Copies across files go through the same grouping engine and matchers as ties inside a file. */
class CrossFileFinderTest {
  static GraphEditor editor(GraphProto.Builder graph) {
    graph
        .getInitializerList()
        .forEach(
            t ->
                graph.addNode(
                    node(
                        "Identity",
                        "r_" + t.getName(),
                        List.of(t.getName()),
                        List.of("o_" + t.getName()))));
    return new GraphEditor(new OnnxModel(TestModels.model(graph.build()), null, null));
  }

  @Test
  void identicalPermutedAndReshapedCopiesAcrossFilesButNotWithin() {
    float[] w = randomFloats(20, 24);
    float[] v = randomFloats(21, 24);
    GraphEditor encoder =
        editor(
            GraphProto.newBuilder()
                .addInitializer(floats("w", w, 4, 6))
                .addInitializer(floats("v", v, 4, 6))
                .addInitializer(floats("w_again", w, 4, 6)));
    GraphEditor decoder =
        editor(
            GraphProto.newBuilder()
                .addInitializer(floats("w_flat", w, 24))
                .addInitializer(floats("v_t", TestModels.transpose(v, 4, 6), 6, 4))
                .addInitializer(floats("w_copy", w, 4, 6)));
    List<CrossFileFinder.Group> groups =
        CrossFileFinder.find(List.of(encoder, decoder), List.of("enc.onnx", "dec.onnx"), 1);
    assertEquals(2, groups.size(), groups.toString());
    CrossFileFinder.Group first =
        groups.stream().filter(g -> g.tensor().equals("w")).findFirst().orElseThrow();
    assertEquals(
        List.of("w_copy", "w_flat"),
        first.copies().stream().map(CrossFileFinder.Member::tensor).sorted().toList(),
        "w_again is in the same file: not a copy across files");
    assertEquals(
        new Relation.Reshaped(List.of(24L)),
        first.copies().stream()
            .filter(c -> c.tensor().equals("w_flat"))
            .findFirst()
            .orElseThrow()
            .relation());
    CrossFileFinder.Group second =
        groups.stream().filter(g -> g.tensor().equals("v")).findFirst().orElseThrow();
    assertEquals(new Relation.Permuted(List.of(1, 0)), second.copies().get(0).relation());
    assertEquals(96 + 96 + 96, groups.stream().mapToLong(CrossFileFinder.Group::wastedBytes).sum());
  }

  @Test
  void onlyTensorsSharingAMetadataBucketWithAnotherFileAreCandidates() {
    // 300 same-shaped tensors of one file: a bucket large enough to be split by its bytes (hashed),
    // which is only done for tensors another file could tie with
    GraphProto.Builder big = GraphProto.newBuilder();
    for (int i = 0; i < 300; i++) {
      big.addInitializer(floats("w" + i, randomFloats(100 + i, 24), 4, 6));
    }
    big.addInitializer(floats("bias", randomFloats(7, 5), 5));
    GraphEditor one = editor(big);
    GraphEditor other =
        editor(
            GraphProto.newBuilder()
                .addInitializer(floats("other_bias", randomFloats(8, 5), 5))
                .addInitializer(floats("odd", randomFloats(9, 21), 7, 3)));
    List<GraphEditor> editors = List.of(one, other);
    Map<TensorSource, Integer> fileOf = new IdentityHashMap<>();
    List<TensorSource> all = new ArrayList<>();
    for (int f = 0; f < editors.size(); f++) {
      for (var scope : editors.get(f).scopes()) {
        for (var source : scope.tensorSources()) {
          all.add(source);
          fileOf.put(source, f);
        }
      }
    }
    assertEquals(303, all.size());
    assertEquals(
        List.of("bias", "other_bias"),
        CrossFileFinder.acrossFiles(all, fileOf).stream().map(TensorSource::name).toList(),
        "the [4, 6] tensors of one file and the [7, 3] one of the other cannot tie across files");
    assertEquals(
        List.of(),
        CrossFileFinder.find(editors, List.of("one.onnx", "other.onnx"), 1),
        "no copies across files");
  }
}
