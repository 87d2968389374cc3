package dev.onnxtie.verify;

import dev.onnxtie.api.Verification.Bin;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts of |A - B| per element in fixed log-scale bins: exactly 0, then (0, 1e-12), then one bin
 * per decade from [1e-12, 1e-11) to [1e2, 1e3), then [1e3, no bound), and last the elements where
 * NaN or Inf on one side does not meet the same on the other. One counter per bin, filled in the
 * comparison's one pass over the elements: nothing sorted, nothing copied. The edges are the double
 * literals {@code 1e-12 ... 1e3}, compared directly, so a difference falls in the bin its label
 * names.
 */
final class DiffHistogram {
  /** The decade edges, {@code 1e-12} to {@code 1e3}. */
  private static final double[] EDGES = {
    1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3
  };

  private static final String[] EDGE_LABELS = {
    "1e-12", "1e-11", "1e-10", "1e-9", "1e-8", "1e-7", "1e-6", "1e-5", "1e-4", "1e-3", "1e-2",
    "1e-1", "1", "10", "100", "1e3"
  };

  /**
   * By binary exponent (from {@code Double.MIN_EXPONENT - 1}, a subnormal's, up to {@code
   * Double.MAX_EXPONENT + 1}, an infinity's): the index of the edge at or below {@code 2^e}, -1 for
   * none; a difference in [2^e, 2^(e+1)) is at most one edge above it.
   */
  private static final int[] START = new int[Double.MAX_EXPONENT - Double.MIN_EXPONENT + 3];

  static {
    for (int i = 0; i < START.length; i++) {
      double power = Math.scalb(1.0, i + Double.MIN_EXPONENT - 1);
      int edge = -1;
      while (edge + 1 < EDGES.length && power >= EDGES[edge + 1]) {
        edge++;
      }
      START[i] = edge;
    }
  }

  /**
   * Bins: zero, below the first edge, one per pair of edges, from the last edge up, NaN/Inf apart.
   */
  static final int BINS = EDGES.length + 3;

  private final long[] counts = new long[BINS];

  /** Counts one element whose |A - B| is {@code diff}, finite and not negative. */
  void add(double diff) {
    if (diff == 0) {
      counts[0]++;
      return;
    }
    // the edge at or below 2^e, e the binary exponent, is at or below diff: diff < 2^(e+1) is at
    // most
    // one decade edge above it; the loops settle it against the literals
    int edge = START[Math.getExponent(diff) - Double.MIN_EXPONENT + 1];
    while (edge + 1 < EDGES.length && diff >= EDGES[edge + 1]) {
      edge++;
    }
    while (edge >= 0 && diff < EDGES[edge]) {
      edge--;
    }
    counts[edge + 2]++;
  }

  /** Counts one element where NaN or Inf on one side does not meet the same on the other. */
  void addNanInf() {
    counts[BINS - 1]++;
  }

  /** Counts {@code elements} elements whose |A - B| is 0. */
  void addZeros(long elements) {
    counts[0] += elements;
  }

  /** Adds another histogram's counts to this one. */
  void addAll(List<Bin> bins) {
    for (int i = 0; i < bins.size(); i++) {
      counts[i] += bins.get(i).count();
    }
  }

  /** Every bin, in order, with its bounds and count (empty bins included: the axis is fixed). */
  List<Bin> bins() {
    List<Bin> bins = new ArrayList<>(BINS);
    bins.add(new Bin("0", 0.0, 0.0, counts[0]));
    bins.add(new Bin("<" + EDGE_LABELS[0], 0.0, EDGES[0], counts[1]));
    for (int i = 0; i + 1 < EDGES.length; i++) {
      bins.add(new Bin(EDGE_LABELS[i], EDGES[i], EDGES[i + 1], counts[i + 2]));
    }
    bins.add(
        new Bin(
            ">=" + EDGE_LABELS[EDGES.length - 1], EDGES[EDGES.length - 1], null, counts[BINS - 2]));
    bins.add(new Bin("NaN/Inf", null, null, counts[BINS - 1]));
    return bins;
  }
}
