package dev.onnxtie;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Formatting of sizes for the human-readable tables and the HTML report. */
public final class Units {
  private Units() {}

  /**
   * A size with one decimal in binary units ({@code 250.0 KiB}), as {@code %.1f} would print it, by
   * plain string building: a report of thousands of ties pays no {@code Formatter} set-up.
   */
  public static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return new BigDecimal(value).setScale(1, RoundingMode.HALF_UP).toPlainString()
        + " "
        + units[unit];
  }
}
