package dev.onnxtie.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.api.Verification;
import dev.onnxtie.api.Verification.Output;
import dev.onnxtie.model.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Element-wise comparison rules. */
class ComparatorTest {
  static HostTensor floats(long[] shape, float... values) {
    return HostTensor.of(
        DataType.FLOAT,
        shape,
        ByteBuffer.wrap(VerifyModels.floats(ByteOrder.LITTLE_ENDIAN, values)));
  }

  static HostTensor longs(long... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long value : values) {
      data.putLong(value);
    }
    return HostTensor.of(DataType.INT64, new long[] {values.length}, data.flip());
  }

  final Comparator comparator = new Comparator(1e-3, 1e-2);

  @Test
  void anElementFailsOnlyBeyondBothTolerances() {
    // diff 0.005: beyond atol 1e-3 but within rtol 1e-2 * |1.0|
    Output withinRtol =
        comparator.compare("y", floats(new long[] {1}, 1.0f), floats(new long[] {1}, 1.005f));
    assertEquals(Status.MATCH.label(), withinRtol.status());
    assertFalse(withinRtol.bitwiseIdentical());
    assertEquals(0.005, withinRtol.maxAbsDiff(), 1e-6);
    // diff 0.0005 on 0.01: beyond rtol (5%) but within atol
    assertEquals(
        Status.MATCH.label(),
        comparator
            .compare("y", floats(new long[] {1}, 0.01f), floats(new long[] {1}, 0.0105f))
            .status());
    // diff 0.05 on 1.0: beyond both
    Output beyond =
        comparator.compare(
            "y", floats(new long[] {2, 2}, 1, 2, 3, 4), floats(new long[] {2, 2}, 1, 2, 3.05f, 4));
    assertEquals(Status.MISMATCH.label(), beyond.status());
    assertEquals(1, beyond.outOfTolerance());
    assertEquals(4, beyond.elements());
    assertTrue(beyond.detail().contains("[1, 0]"), beyond.detail());
  }

  @Test
  void nanAtTheSamePlaceIsEqualInfMustMatchItsSign() {
    Output sameNan =
        comparator.compare(
            "y", floats(new long[] {2}, Float.NaN, 1), floats(new long[] {2}, Float.NaN, 1));
    assertEquals(Status.MATCH.label(), sameNan.status());
    assertTrue(sameNan.nanInfMatch());
    Output nanVsNumber =
        comparator.compare("y", floats(new long[] {2}, Float.NaN, 1), floats(new long[] {2}, 0, 1));
    assertEquals(Status.MISMATCH.label(), nanVsNumber.status());
    assertFalse(nanVsNumber.nanInfMatch());
    assertEquals(1, nanVsNumber.outOfTolerance());
    Output infSign =
        comparator.compare(
            "y",
            floats(new long[] {1}, Float.POSITIVE_INFINITY),
            floats(new long[] {1}, Float.NEGATIVE_INFINITY));
    assertEquals(Status.MISMATCH.label(), infSign.status());
    assertFalse(infSign.nanInfMatch());
    assertEquals(
        Status.MATCH.label(),
        comparator
            .compare(
                "y",
                floats(new long[] {1}, Float.NEGATIVE_INFINITY),
                floats(new long[] {1}, Float.NEGATIVE_INFINITY))
            .status());
  }

  @Test
  void integersAreExactFirstThenTolerant() {
    Output same = comparator.compare("i", longs(Long.MAX_VALUE, -3), longs(Long.MAX_VALUE, -3));
    assertTrue(same.bitwiseIdentical());
    assertEquals(Status.MATCH.label(), same.status());
    Output off = comparator.compare("i", longs(1, 5), longs(2, 5));
    assertEquals(Status.MISMATCH.label(), off.status());
    assertEquals(1.0, off.maxAbsDiff());
  }

  @Test
  void shapeDtypeKindAndMissingAreTheirOwnStatuses() {
    assertEquals(
        Status.SHAPE_MISMATCH.label(),
        comparator
            .compare("y", floats(new long[] {2}, 1, 2), floats(new long[] {1, 2}, 1, 2))
            .status());
    assertEquals(
        Status.DTYPE_MISMATCH.label(),
        comparator.compare("y", floats(new long[] {1}, 1), longs(1)).status());
    assertEquals(
        Status.MISSING.label(), comparator.compare("y", floats(new long[] {1}, 1), null).status());
    assertEquals(
        Status.DTYPE_MISMATCH.label(),
        comparator.compare("y", new Value.Sequence(List.of(longs(1))), longs(1)).status());
    assertEquals(
        Status.UNSUPPORTED.label(),
        comparator.compare("y", new Value.Unsupported("sparse_tensor"), longs(1)).status());
    assertEquals(
        Status.MATCH.label(),
        comparator
            .compare("m", new Value.MapValue(Map.of(1L, 2f)), new Value.MapValue(Map.of(1L, 2f)))
            .status());
  }

  @Test
  void sequencesCompareElementWise() {
    Value.Sequence a = new Value.Sequence(List.of(longs(1, 2), floats(new long[] {1}, 1f)));
    Value.Sequence b = new Value.Sequence(List.of(longs(1, 2), floats(new long[] {1}, 2f)));
    Output result = comparator.compare("s", a, b);
    assertEquals(Status.MISMATCH.label(), result.status());
    assertEquals(3, result.elements());
    assertTrue(result.detail().startsWith("element 1"), result.detail());
    assertEquals(
        Status.SHAPE_MISMATCH.label(),
        comparator.compare("s", a, new Value.Sequence(List.of(longs(1, 2)))).status());
  }

  /** The histogram's non-empty bins, label to count, in bin order. */
  static Map<String, Long> counts(Output comparison) {
    Map<String, Long> counts = new LinkedHashMap<>();
    comparison.histogram().stream()
        .filter(bin -> bin.count() > 0)
        .forEach(bin -> counts.put(bin.label(), bin.count()));
    return counts;
  }

  @Test
  void theHistogramCountsEveryElementInItsDecade() {
    float below = Math.nextDown(1e-3f);
    float[] a = {
      1f,
      -0f,
      0f,
      0f,
      0f,
      0f,
      0f,
      0f,
      0f,
      0f,
      0f,
      Float.NaN,
      Float.POSITIVE_INFINITY,
      Float.NaN,
      Float.NEGATIVE_INFINITY,
      2f
    };
    float[] b = {
      1f,
      0f,
      1e-20f,
      3e-7f,
      5e-3f,
      1e-3f,
      below,
      0.5f,
      -50f,
      2000f,
      1e30f,
      1f,
      Float.NEGATIVE_INFINITY,
      Float.NaN,
      Float.NEGATIVE_INFINITY,
      2.0000002f
    };
    Output result =
        comparator.compare("y", floats(new long[] {4, 4}, a), floats(new long[] {4, 4}, b));
    assertFalse(result.bitwiseIdentical());
    // 1 = 1, -0 vs 0, NaN vs NaN and -Inf vs -Inf are 0; 1e-3f is just above 1e-3, the float below
    // it just under
    Map<String, Long> expected = new LinkedHashMap<>();
    expected.put("0", 4L);
    expected.put("<1e-12", 1L);
    expected.put("1e-7", 2L); // 3e-7 and 2.0000002 - 2 = 2.4e-7
    expected.put("1e-4", 1L);
    expected.put("1e-3", 2L);
    expected.put("1e-1", 1L);
    expected.put("10", 1L);
    expected.put(">=1e3", 2L);
    expected.put("NaN/Inf", 2L);
    assertEquals(expected, counts(result));
    assertEquals(
        result.elements(), result.histogram().stream().mapToLong(Verification.Bin::count).sum());
    assertEquals(19, result.histogram().size(), "the bins are fixed, empty ones included");
    Verification.Bin decade =
        result.histogram().stream()
            .filter(bin -> bin.label().equals("1e-7"))
            .findFirst()
            .orElseThrow();
    assertEquals(1e-7, decade.lower());
    assertEquals(1e-6, decade.upper());
    Verification.Bin top = result.histogram().get(17);
    assertEquals(">=1e3", top.label());
    assertEquals(null, top.upper());
  }

  @Test
  void theBinOfEveryDifferenceIsTheOneAScanOfTheEdgesFinds() {
    double[] edges = {
      1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3
    };
    List<Double> values =
        new ArrayList<>(
            List.of(
                Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, Double.POSITIVE_INFINITY));
    for (double edge : edges) {
      values.addAll(
          List.of(
              edge,
              Math.nextDown(edge),
              Math.nextUp(edge),
              (double) (float) edge,
              (double) Math.nextDown((float) edge),
              (double) Math.nextUp((float) edge)));
    }
    Random random = new Random(5);
    for (int i = 0; i < 50_000; i++) {
      values.add(Math.pow(10, random.nextDouble() * 40 - 25));
    }
    for (double value : values) {
      int bin = 1; // the reference: one past the edges at or below the value
      while (bin <= edges.length && value >= edges[bin - 1]) {
        bin++;
      }
      DiffHistogram histogram = new DiffHistogram();
      histogram.add(value);
      assertEquals(
          1,
          histogram.bins().get(bin).count(),
          "|A - B| = " + value + " belongs in " + histogram.bins().get(bin).label());
    }
  }

  @Test
  void noHistogramForBitwiseIdenticalOrIntegerOutputs() {
    assertEquals(
        List.of(),
        comparator
            .compare("y", floats(new long[] {2}, 1, 2), floats(new long[] {2}, 1, 2))
            .histogram());
    Output integers = comparator.compare("i", longs(1, 5), longs(2, 5));
    assertEquals(Status.MISMATCH.label(), integers.status());
    assertEquals(List.of(), integers.histogram());
    // a complex element counts once, by the larger difference of its parts
    ByteBuffer p = ByteBuffer.wrap(VerifyModels.floats(ByteOrder.LITTLE_ENDIAN, 1f, 1f, 0f, 0f));
    ByteBuffer q =
        ByteBuffer.wrap(VerifyModels.floats(ByteOrder.LITTLE_ENDIAN, 1f, 1.5f, 0f, 3e-9f));
    Output complex =
        comparator.compare(
            "c",
            HostTensor.of(DataType.COMPLEX64, new long[] {2}, p),
            HostTensor.of(DataType.COMPLEX64, new long[] {2}, q));
    assertEquals(Map.of("1e-1", 1L, "1e-9", 1L), counts(complex));
  }

  @Test
  void aSequenceOfFloatsSumsItsItemsHistograms() {
    Value.Sequence a =
        new Value.Sequence(List.of(floats(new long[] {2}, 1f, 2f), floats(new long[] {1}, 1f)));
    Value.Sequence b =
        new Value.Sequence(List.of(floats(new long[] {2}, 1f, 2f), floats(new long[] {1}, 1.25f)));
    Output result = comparator.compare("s", a, b);
    assertEquals(Map.of("0", 2L, "1e-1", 1L), counts(result));
    Value.Sequence mixed = new Value.Sequence(List.of(longs(1, 2), floats(new long[] {1}, 1f)));
    Value.Sequence mixedB = new Value.Sequence(List.of(longs(1, 2), floats(new long[] {1}, 2f)));
    assertEquals(
        List.of(),
        comparator.compare("s", mixed, mixedB).histogram(),
        "an integer item: no histogram");
  }

  @Test
  void halfAndBfloat16ConvertBothWays() {
    for (float value :
        new float[] {
          0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, Float.POSITIVE_INFINITY
        }) {
      assertEquals(
          value, HostTensor.halfToFloat(HostTensor.floatToHalf(value)), 0f, "half " + value);
    }
    assertTrue(Float.isNaN(HostTensor.halfToFloat(HostTensor.floatToHalf(Float.NaN))));
    assertEquals(1.0009766f, HostTensor.halfToFloat(HostTensor.floatToHalf(1.0009766f)));
    assertEquals((short) 0x3F80, HostTensor.floatToBfloat16(1f));
    assertEquals((short) 0x7C00, HostTensor.floatToHalf(1e6f));
  }
}
