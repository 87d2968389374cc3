package dev.onnxtie.report;

/** HTML escaping: every name in a model is hostile input. */
final class Html {
  private Html() {}

  /**
   * The text with {@code & < > " '} as character references, safe in element content and in quoted
   * attribute values; characters that HTML forbids (NUL, other C0 controls but tab and newline,
   * lone surrogates) become U+FFFD.
   */
  static String escape(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder escaped = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> escaped.append("&amp;");
        case '<' -> escaped.append("&lt;");
        case '>' -> escaped.append("&gt;");
        case '"' -> escaped.append("&quot;");
        case '\'' -> escaped.append("&#39;");
        default -> {
          if (Character.isHighSurrogate(c)
              && i + 1 < text.length()
              && Character.isLowSurrogate(text.charAt(i + 1))) {
            escaped.append(c).append(text.charAt(++i));
          } else if ((c < 0x20 && c != '\t' && c != '\n')
              || c == 0x7f
              || Character.isSurrogate(c)) {
            escaped.append('\uFFFD');
          } else {
            escaped.append(c);
          }
        }
      }
    }
    return escaped.toString();
  }
}
