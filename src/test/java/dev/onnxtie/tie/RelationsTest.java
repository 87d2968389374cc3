package dev.onnxtie.tie;

import static dev.onnxtie.TestModels.floats;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.randomFloats;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** One test per relation of the finder, plus the kept-name rule and the grouping engine. */
class RelationsTest {
  /** The ties of a graph whose initializers are all read by one Identity-like node each. */
  static Map<String, Tie> ties(GraphProto.Builder graph) {
    for (TensorProto tensor : List.copyOf(graph.getInitializerList())) {
      graph.addNode(
          node(
              "Identity",
              "read_" + tensor.getName(),
              List.of(tensor.getName()),
              List.of("out_" + tensor.getName())));
    }
    GraphEditor editor =
        new GraphEditor(new OnnxModel(TestModels.model(graph.build()), null, null));
    return TieFinder.find(editor, 1).stream()
        .flatMap(g -> g.ties().stream())
        .collect(Collectors.toMap(t -> t.removed().name(), t -> t));
  }

  @Test
  void identical() {
    float[] a = randomFloats(1, 24);
    Map<String, Tie> ties =
        ties(
            GraphProto.newBuilder()
                .addInitializer(floats("a", a, 4, 6))
                .addInitializer(floats("b", a, 4, 6)));
    assertEquals(new Relation.Identical(), ties.get("b").relation());
    assertEquals("a", ties.get("b").kept().name());
  }

  @Test
  void permuted() {
    float[] a = randomFloats(2, 24);
    long[] dims = {2, 3, 4};
    float[] p = TestModels.permute(a, dims, new int[] {2, 0, 1});
    Map<String, Tie> ties =
        ties(
            GraphProto.newBuilder()
                .addInitializer(floats("a", a, dims))
                .addInitializer(floats("b", p, 4, 2, 3)));
    assertEquals(new Relation.Permuted(List.of(2, 0, 1)), ties.get("b").relation());
    assertEquals("transpose [2, 0, 1]", ties.get("b").relation().text());
  }

  @Test
  void reshaped() {
    float[] a = randomFloats(3, 24);
    Map<String, Tie> ties =
        ties(
            GraphProto.newBuilder()
                .addInitializer(floats("a", a, 4, 6))
                .addInitializer(floats("b", a, 2, 2, 6))
                .addInitializer(floats("c", a, 24)));
    assertEquals(new Relation.Reshaped(List.of(2L, 2L, 6L)), ties.get("b").relation());
    assertEquals(new Relation.Reshaped(List.of(24L)), ties.get("c").relation());
    assertEquals("reshape to [24]", ties.get("c").relation().text());
    // same element count and shape, other bytes: nothing
    float[] other = a.clone();
    other[23] += 1;
    assertTrue(
        ties(GraphProto.newBuilder()
                .addInitializer(floats("a", a, 4, 6))
                .addInitializer(floats("b", other, 24)))
            .isEmpty());
  }

  @Test
  void aPermutationWinsOverAReshapeAndASymmetricMatrixIsIdentical() {
    float[] sym = new float[16];
    for (int r = 0; r < 4; r++) {
      for (int c = 0; c <= r; c++) {
        sym[r * 4 + c] = sym[c * 4 + r] = r * 10 + c;
      }
    }
    Map<String, Tie> ties =
        ties(
            GraphProto.newBuilder()
                .addInitializer(floats("a", sym, 4, 4))
                .addInitializer(floats("b", sym, 4, 4)));
    assertEquals(new Relation.Identical(), ties.get("b").relation());
  }

  @Test
  void stringsAreComparedElementByElement() {
    Map<String, Tie> ties =
        ties(
            GraphProto.newBuilder()
                .addInitializer(TestModels.strings("vocab", List.of("a", "bc"), 2))
                .addInitializer(TestModels.strings("same", List.of("a", "bc"), 2))
                .addInitializer(TestModels.strings("trap", List.of("ab", "c"), 2)));
    assertEquals(new Relation.Identical(), ties.get("same").relation());
    assertEquals("vocab", ties.get("same").kept().name());
    assertFalse(
        ties.containsKey("trap"), "[\"ab\", \"c\"] has the same bytes in a row but other elements");
  }

  @Test
  void permutedStrings() {
    List<String> grid = List.of("a", "b", "c", "d", "e", "f");
    List<String> transposed = List.of("a", "d", "b", "e", "c", "f");
    Map<String, Tie> ties =
        ties(
            GraphProto.newBuilder()
                .addInitializer(TestModels.strings("labels", grid, 2, 3))
                .addInitializer(TestModels.strings("labels_t", transposed, 3, 2)));
    assertEquals(new Relation.Permuted(List.of(1, 0)), ties.get("labels_t").relation());
  }

  @Test
  void personWrittenNamesStayOverGeneratedOnes() {
    float[] a = randomFloats(4, 24);
    for (String generated : List.of("onnx::MatMul_11", "const_fold_opt__7", "val_12", "_val_3")) {
      // the generated name is read first, and sorts first: the rule still keeps the person's name
      GraphProto.Builder graph =
          GraphProto.newBuilder()
              .addInitializer(floats(generated, a, 4, 6))
              .addInitializer(floats("enc.weight", a, 4, 6));
      assertEquals("enc.weight", ties(graph).get(generated).kept().name(), generated);
      assertTrue(TieFinder.isGenerated(generated));
    }
    assertFalse(TieFinder.isGenerated("enc.weight"));
    assertFalse(TieFinder.isGenerated("interval_3"));
  }

  @Test
  void gatherReadTensorStaysOverAPersonWrittenName() {
    float[] a = randomFloats(5, 24);
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .addInitializer(floats("head", a, 4, 6))
            .addInitializer(floats("val_1", a, 4, 6))
            .addInput(value("ids", 7, 2))
            .addNode(node("Gather", "embed", List.of("val_1", "ids"), List.of("h")));
    assertEquals("val_1", ties(graph).get("head").kept().name());
  }

  @Test
  void largeBucketsAreSplitByKeyWithTheSameResult() {
    // more same-shaped tensors than Grouping.REFINE_ABOVE: the permutation key splits the bucket
    GraphProto.Builder graph = GraphProto.newBuilder();
    int count = Grouping.REFINE_ABOVE * 2 + 3;
    for (int i = 0; i < count; i++) {
      graph.addInitializer(floats("w" + (char) ('a' + i), randomFloats(100 + i, 12), 3, 4));
    }
    float[] shared = randomFloats(100, 12);
    graph.addInitializer(floats("x_copy", shared, 3, 4));
    graph.addInitializer(floats("y_transposed", TestModels.transpose(shared, 3, 4), 4, 3));
    Map<String, Tie> ties = ties(graph);
    assertEquals(2, ties.size(), ties.toString());
    assertEquals("wa", ties.get("x_copy").kept().name());
    assertEquals(new Relation.Permuted(List.of(1, 0)), ties.get("y_transposed").relation());
  }

  @Test
  void largeReshapeBucketsAreSplitByContentHash() {
    // more tensors of 12 elements than Grouping.REFINE_ABOVE: the reshape matcher splits its bucket
    // by a hash of the bytes (equal bytes, equal key), so the reshaped copy still meets its source
    GraphProto.Builder graph = GraphProto.newBuilder();
    int count = Grouping.REFINE_ABOVE * 2 + 3;
    for (int i = 0; i < count; i++) {
      graph.addInitializer(floats("v" + i, randomFloats(200 + i, 12), 12));
    }
    graph.addInitializer(floats("v_reshaped", randomFloats(200 + 7, 12), 2, 6));
    Map<String, Tie> ties = ties(graph);
    assertEquals(1, ties.size(), ties.toString());
    assertEquals("v7", ties.get("v_reshaped").kept().name());
    assertEquals(new Relation.Reshaped(List.of(2L, 6L)), ties.get("v_reshaped").relation());
  }

  @Test
  void aReshapeBucketOfEqualDimsIsNeverRead() {
    // more same-shaped tensors than Grouping.REFINE_ABOVE: no reshape can relate two tensors of the
    // same
    // dims, so the reshape matcher neither hashes nor compares any of them (the permutation matcher
    // does)
    GraphProto.Builder graph = GraphProto.newBuilder();
    for (int i = 0; i < Grouping.REFINE_ABOVE * 2; i++) {
      graph.addInitializer(floats("u" + i, randomFloats(300 + i, 12), 3, 4));
    }
    GraphEditor editor =
        new GraphEditor(new OnnxModel(TestModels.model(graph.build()), null, null));
    int[] reads = {0};
    Matcher counting =
        new Matcher() {
          @Override
          public boolean accepts(TensorSource source) {
            return Matchers.RESHAPED.accepts(source);
          }

          @Override
          public Object bucket(TensorSource source) {
            return Matchers.RESHAPED.bucket(source);
          }

          @Override
          public boolean mayRelate(List<TensorSource> bucket) {
            return Matchers.RESHAPED.mayRelate(bucket);
          }

          @Override
          public boolean refines() {
            return true;
          }

          @Override
          public Object refine(TensorSource source, PermutationKey keys) {
            reads[0]++;
            return Matchers.RESHAPED.refine(source, keys);
          }

          @Override
          public Relation confirm(TensorSource kept, TensorSource member) {
            reads[0]++;
            return Matchers.RESHAPED.confirm(kept, member);
          }
        };
    List<TensorSource> sources = editor.main().tensorSources();
    assertEquals(Grouping.REFINE_ABOVE * 2, sources.size());
    assertTrue(Grouping.group(sources, List.of(counting), (a, b) -> true).isEmpty());
    assertEquals(0, reads[0], "tensors of one shape were read by the reshape matcher");
    // one of another shape with the same element count: the bucket is read, and the reshape found
    graph.addInitializer(floats("u_flat", randomFloats(300 + 5, 12), 12));
    editor = new GraphEditor(new OnnxModel(TestModels.model(graph.build()), null, null));
    Map<TensorSource, List<Tie>> groups =
        Grouping.group(editor.main().tensorSources(), List.of(counting), (a, b) -> true);
    assertTrue(reads[0] > 0);
    assertEquals(1, groups.size(), groups.toString());
  }
}
