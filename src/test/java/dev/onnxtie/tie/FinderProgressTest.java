package dev.onnxtie.tie;

import static dev.onnxtie.TestModels.floats;
import static dev.onnxtie.TestModels.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.proto.Onnx.GraphProto;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The finder's progress callback: every candidate's bytes once, so "bytes done" reaches the total.
 */
class FinderProgressTest {
  @Test
  void everyCandidateIsCountedOnceWhateverMatcherTakesIt() {
    float[] w = randomFloats(1, 24);
    GraphEditor editor =
        CrossFileFinderTest.editor(
            GraphProto.newBuilder()
                .addInitializer(floats("w", w, 4, 6))
                .addInitializer(
                    floats("w_copy", w, 4, 6)) // identical: taken by the permutation matcher
                .addInitializer(
                    floats(
                        "w_flat", w,
                        24)) // reshaped: seen by the permutation matcher alone, tied by the reshape
                // matcher
                .addInitializer(
                    floats("lonely", randomFloats(2, 30), 5, 6)) // alone in its bucket: never read
                .addInitializer(
                    floats("small", randomFloats(3, 2), 2))); // below min-bytes: not a candidate
    List<Long> sizes = new ArrayList<>();
    List<TieGroup> groups = TieFinder.find(editor, 16, sizes::add);
    assertEquals(1, groups.size(), groups.toString());
    assertEquals(
        96 + 96 + 96 + 120, sizes.stream().mapToLong(Long::longValue).sum(), sizes.toString());
    assertEquals(4, sizes.size(), "one call per candidate: " + sizes);
    assertTrue(sizes.stream().allMatch(size -> size > 0));
  }
}
