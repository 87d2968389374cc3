package dev.onnxtie.verify;

import dev.onnxtie.api.Verification.Output;
import dev.onnxtie.model.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Compares two values element by element: side A is the reference, side B the value under test. A
 * numeric element is out of tolerance only when {@code |a - b| > atol} and {@code |a - b| > rtol *
 * |a|}; NaN on both sides counts as equal, an infinity must meet the same infinity. Integers are
 * compared exactly first, then by the same rule; types without a numeric decoding here (float8,
 * 4-bit) byte by byte; strings and maps by equality.
 */
final class Comparator {
  private final double atol;
  private final double rtol;

  Comparator(double atol, double rtol) {
    this.atol = atol;
    this.rtol = rtol;
  }

  /** Compares output {@code name}; a null side is a missing output. */
  Output compare(String name, Value a, Value b) {
    if (a == null || b == null) {
      return Reports.output(
          name,
          Status.MISSING,
          a == null ? null : a.describe(),
          b == null ? null : b.describe(),
          shapeOf(a),
          shapeOf(b),
          0,
          0,
          0,
          0,
          true,
          false,
          (a == null ? "side a" : "side b") + " has no output '" + name + "'",
          List.of());
    }
    if (a instanceof Value.Unsupported || b instanceof Value.Unsupported) {
      return simple(
          name,
          Status.UNSUPPORTED,
          a,
          b,
          "cannot compare " + a.describe() + " with " + b.describe());
    }
    if (a instanceof HostTensor ta && b instanceof HostTensor tb) {
      return tensors(name, ta, tb);
    }
    if (a instanceof Value.Sequence sa && b instanceof Value.Sequence sb) {
      return sequences(name, sa, sb);
    }
    if (a instanceof Value.MapValue ma && b instanceof Value.MapValue mb) {
      boolean same = ma.entries().equals(mb.entries());
      return Reports.output(
          name,
          same ? Status.MATCH : Status.MISMATCH,
          a.describe(),
          b.describe(),
          null,
          null,
          ma.entries().size(),
          0,
          0,
          same ? 0 : 1,
          true,
          same,
          same ? null : "the maps differ",
          List.of());
    }
    if (a instanceof Value.None && b instanceof Value.None) {
      return Reports.output(
          name, Status.MATCH, "none", "none", null, null, 0, 0, 0, 0, true, true, null, List.of());
    }
    if (a instanceof Value.None || b instanceof Value.None) {
      return simple(
          name,
          Status.MISMATCH,
          a,
          b,
          "one side has no value (" + a.describe() + " vs " + b.describe() + ")");
    }
    return simple(
        name,
        Status.DTYPE_MISMATCH,
        a,
        b,
        "different kinds of value: " + a.describe() + " vs " + b.describe());
  }

  private static Output simple(String name, Status status, Value a, Value b, String detail) {
    return Reports.output(
        name,
        status,
        a.describe(),
        b.describe(),
        shapeOf(a),
        shapeOf(b),
        0,
        0,
        0,
        0,
        true,
        false,
        detail,
        List.of());
  }

  private static long[] shapeOf(Value value) {
    return value instanceof HostTensor tensor ? tensor.shape() : null;
  }

  private Output sequences(String name, Value.Sequence a, Value.Sequence b) {
    if (a.elements().size() != b.elements().size()) {
      return simple(
          name,
          Status.SHAPE_MISMATCH,
          a,
          b,
          "sequence lengths differ: " + a.elements().size() + " vs " + b.elements().size());
    }
    Status worst = Status.MATCH;
    long elements = 0;
    long bad = 0;
    double maxAbs = 0;
    double maxRel = 0;
    boolean nanInf = true;
    boolean bitwise = true;
    String detail = null;
    // the histogram of a sequence of floating-point tensors: its items' counts, a bitwise-identical
    // item's elements all at 0; none when some item is not such a tensor or could not be compared
    DiffHistogram histogram = new DiffHistogram();
    boolean histogrammed = true;
    for (int i = 0; i < a.elements().size(); i++) {
      Output compared = compare(name + "[" + i + "]", a.elements().get(i), b.elements().get(i));
      Status item = Status.of(compared);
      if (!(a.elements().get(i) instanceof HostTensor tensor && floating(tensor))
          || (item != Status.MATCH && item != Status.MISMATCH)) {
        histogrammed = false;
      } else if (compared.bitwiseIdentical()) {
        histogram.addZeros(compared.elements());
      } else {
        histogram.addAll(compared.histogram());
      }
      if (item != Status.MATCH && (worst == Status.MATCH || worst == Status.MISMATCH)) {
        worst = item;
      }
      if (detail == null && item != Status.MATCH) {
        detail =
            "element "
                + i
                + ": "
                + compared.status()
                + (compared.detail() == null ? "" : ", " + compared.detail());
      }
      elements += compared.elements();
      bad += compared.outOfTolerance();
      // an item that compared no element has no largest difference: it adds 0
      maxAbs = Math.max(maxAbs, compared.maxAbsDiff() == null ? 0 : compared.maxAbsDiff());
      maxRel = Math.max(maxRel, compared.maxRelDiff() == null ? 0 : compared.maxRelDiff());
      nanInf &= compared.nanInfMatch();
      bitwise &= compared.bitwiseIdentical();
    }
    return Reports.output(
        name,
        worst,
        a.describe(),
        b.describe(),
        null,
        null,
        elements,
        maxAbs,
        maxRel,
        bad,
        nanInf,
        bitwise,
        detail,
        histogrammed && !bitwise && !a.elements().isEmpty() ? histogram.bins() : List.of());
  }

  private Output tensors(String name, HostTensor a, HostTensor b) {
    String dtypeA = a.type().onnxName();
    String dtypeB = b.type().onnxName();
    if (a.type() != b.type()) {
      return Reports.output(
          name,
          Status.DTYPE_MISMATCH,
          dtypeA,
          dtypeB,
          a.shape(),
          b.shape(),
          0,
          0,
          0,
          0,
          true,
          false,
          "dtypes differ: " + dtypeA + " vs " + dtypeB,
          List.of());
    }
    if (!Arrays.equals(a.shape(), b.shape())) {
      return Reports.output(
          name,
          Status.SHAPE_MISMATCH,
          dtypeA,
          dtypeB,
          a.shape(),
          b.shape(),
          0,
          0,
          0,
          0,
          true,
          false,
          "shapes differ: " + Arrays.toString(a.shape()) + " vs " + Arrays.toString(b.shape()),
          List.of());
    }
    boolean bitwise = a.sameBits(b);
    long elements = a.elements();
    Tally tally = new Tally();
    DiffHistogram histogram = !bitwise && floating(a) ? new DiffHistogram() : null;
    if (!bitwise) {
      if (a.type() == DataType.STRING) {
        String[] sa = a.strings();
        String[] sb = b.strings();
        for (int i = 0; i < sa.length; i++) {
          if (!Objects.equals(sa[i], sb[i])) {
            tally.fail(i, "'" + sa[i] + "' vs '" + sb[i] + "'");
          }
        }
      } else if (a.isNumeric()) {
        numeric(a, b, elements, tally, histogram);
      } else {
        long bytes = a.bytes().remaining();
        for (long i = 0; i < bytes; i++) {
          if (a.byteAt(i) != b.byteAt(i)) {
            tally.fail(
                i * a.type().elementsPerByte(),
                String.format(Locale.ROOT, "byte 0x%02x vs 0x%02x", a.byteAt(i), b.byteAt(i)));
          }
        }
      }
    }
    Status status = tally.bad == 0 && tally.nanInfMatch ? Status.MATCH : Status.MISMATCH;
    String detail =
        tally.firstIndex < 0
            ? null
            : tally.bad
                + " of "
                + elements
                + " elements out of tolerance; first at "
                + index(tally.firstIndex, a.shape())
                + ": "
                + tally.firstText;
    return Reports.output(
        name,
        status,
        dtypeA,
        dtypeB,
        a.shape(),
        b.shape(),
        elements,
        tally.maxAbs,
        tally.maxRel,
        tally.bad,
        tally.nanInfMatch,
        bitwise,
        detail,
        histogram == null ? List.of() : histogram.bins());
  }

  /**
   * True for a tensor of floating-point numbers (real or complex): those get a histogram of |A -
   * B|.
   */
  private static boolean floating(HostTensor tensor) {
    return tensor.isNumeric() && !tensor.isInteger() && tensor.type() != DataType.BOOL;
  }

  /**
   * Compares numbers element by element; {@code histogram}, when not null, counts each element's |A
   * - B| (for a complex element the larger of its parts'), a NaN/Inf apart in any part in its own
   * bin.
   */
  private void numeric(
      HostTensor a, HostTensor b, long elements, Tally tally, DiffHistogram histogram) {
    int per = a.scalarsPerElement();
    boolean integer = a.isInteger() || a.type() == DataType.BOOL;
    for (long element = 0; element < elements; element++) {
      boolean failed = false;
      String text = null;
      double elementDiff = 0;
      boolean nanInfApart = false;
      for (int part = 0; part < per; part++) {
        long i = element * per + part;
        if (integer) {
          // integers and bools compare exactly: a token id off by one is a mismatch whatever the
          // tolerances, and a double cannot hold every int64/uint64
          long p = a.integer(i);
          long q = b.integer(i);
          if (p != q) {
            double diff = Math.abs(a.scalar(i) - b.scalar(i));
            tally.maxAbs = Math.max(tally.maxAbs, diff == 0 ? 1 : diff);
            failed = true;
            text =
                (a.type() == DataType.UINT64
                    ? Long.toUnsignedString(p) + " vs " + Long.toUnsignedString(q)
                    : p + " vs " + q);
          }
          continue;
        }
        double x = a.scalar(i);
        double y = b.scalar(i);
        if (Double.isNaN(x) && Double.isNaN(y)) {
          continue;
        }
        if (Double.isNaN(x) || Double.isNaN(y) || Double.isInfinite(x) || Double.isInfinite(y)) {
          if (x != y) {
            nanInfApart = true;
            tally.nanInfMatch = false;
            failed = true;
            text = x + " vs " + y;
          }
          continue;
        }
        double diff = Math.abs(x - y);
        elementDiff = Math.max(elementDiff, diff);
        tally.maxAbs = Math.max(tally.maxAbs, diff);
        if (x != 0) {
          tally.maxRel = Math.max(tally.maxRel, diff / Math.abs(x));
        }
        if (diff > atol && diff > rtol * Math.abs(x)) {
          failed = true;
          text = x + " vs " + y + " (diff " + diff + ")";
        }
      }
      if (histogram != null) {
        if (nanInfApart) {
          histogram.addNanInf();
        } else {
          histogram.add(elementDiff);
        }
      }
      if (failed) {
        tally.fail(element, text);
      }
    }
  }

  /** The multi-index of a flat C-order element index, as text. */
  private static String index(long flat, long[] shape) {
    long[] at = new long[shape.length];
    long rest = flat;
    for (int axis = shape.length - 1; axis >= 0; axis--) {
      if (shape[axis] > 0) {
        at[axis] = rest % shape[axis];
        rest /= shape[axis];
      }
    }
    return Arrays.toString(at);
  }

  /** Running counts of one tensor comparison. */
  private static final class Tally {
    long bad;
    double maxAbs;
    double maxRel;
    boolean nanInfMatch = true;
    long firstIndex = -1;
    String firstText;

    void fail(long index, String text) {
      if (firstIndex < 0) {
        firstIndex = index;
        firstText = text;
      }
      bad++;
    }
  }
}
