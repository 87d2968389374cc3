package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.DataType;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * The values a synthesized input takes: {@code [lo, hi)}, or the fixed value {@code lo} when {@code
 * lo == hi}. The bounds are exact decimals, so integer bounds of any int64 value stay exact and
 * floating-point inputs can take fractional ranges ({@code --range temperature=0.5:1.5}).
 *
 * @param lo the lowest value (inclusive)
 * @param hi the end (exclusive), or {@code lo} for a fixed value
 */
public record ValueRange(BigDecimal lo, BigDecimal hi) {
  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  /**
   * Checks the order of the bounds.
   *
   * @throws IllegalArgumentException when {@code lo > hi}
   */
  public ValueRange {
    Objects.requireNonNull(lo, "lo");
    Objects.requireNonNull(hi, "hi");
    if (lo.compareTo(hi) > 0) {
      throw new IllegalArgumentException(
          "lo " + lo.toPlainString() + " is above hi " + hi.toPlainString());
    }
  }

  /** The integer range {@code [lo, hi)} (the fixed value lo when lo == hi). */
  public static ValueRange of(long lo, long hi) {
    return new ValueRange(BigDecimal.valueOf(lo), BigDecimal.valueOf(hi));
  }

  /**
   * Parses {@code LO:HI} (decimal numbers, e.g. {@code 0:50257}, {@code 0.5:1.5}, {@code 1:1}).
   *
   * @throws IllegalArgumentException when the text is not two numbers with LO <= HI
   */
  public static ValueRange parse(String text) {
    String[] parts = text.split(":", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException("not LO:HI");
    }
    return new ValueRange(new BigDecimal(parts[0].trim()), new BigDecimal(parts[1].trim()));
  }

  /** True when lo equals hi: every element is lo. */
  public boolean fixed() {
    return lo.compareTo(hi) == 0;
  }

  /** The low bound as a double (for floating-point inputs). */
  public double low() {
    return lo.doubleValue();
  }

  /** The high bound as a double (for floating-point inputs). */
  public double high() {
    return hi.doubleValue();
  }

  /**
   * The bounds as longs for an integer or bool input, saturated to the int64 range (the dtype's own
   * range is applied later by {@link InputSynthesizer#clip}).
   *
   * @throws OnnxTieException (bad input) when a bound has a fraction
   */
  long[] longs(String input, DataType type) {
    if (!whole(lo) || !whole(hi)) {
      throw OnnxTieException.badInput(
          "--range "
              + input
              + "="
              + this
              + ": input '"
              + input
              + "' is "
              + type.onnxName()
              + ", which takes whole numbers (e.g. --range "
              + input
              + "=0:10)");
    }
    return new long[] {saturate(lo), saturate(hi)};
  }

  private static boolean whole(BigDecimal value) {
    return value.signum() == 0 || value.stripTrailingZeros().scale() <= 0;
  }

  private static long saturate(BigDecimal value) {
    return value.compareTo(LONG_MIN) < 0
        ? Long.MIN_VALUE
        : value.compareTo(LONG_MAX) > 0 ? Long.MAX_VALUE : value.longValueExact();
  }

  /** {@code LO:HI} as given. */
  @Override
  public String toString() {
    return lo.toPlainString() + ":" + hi.toPlainString();
  }
}
