package dev.onnxtie.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a test reads off a report page, as written or as Chromium's DOM serialized it: the exact
 * bytes of each sized field, and each tie with the vertices of its graphs before and after.
 */
record ReportPage(List<Field> bytes, List<Tie> ties, String html) {
  /** One {@code data-field}/{@code data-bytes} pair, in page order. */
  record Field(String name, long bytes) {}

  /** A drawn vertex: its label and its classes (kind and role). */
  record Vertex(String label, String detail, String classes) {
    boolean added() {
      return (" " + classes + " ").contains(" added ");
    }
  }

  /** A tie's article: its data attributes, and the vertices of its before and after graphs. */
  record Tie(Map<String, String> data, List<Vertex> before, List<Vertex> after, String text) {
    List<String> labels(List<Vertex> vertices) {
      return vertices.stream().map(Vertex::label).toList();
    }
  }

  private static final Pattern FIELD =
      Pattern.compile("data-field=\"([^\"]*)\" data-bytes=\"(\\d+)\"");
  private static final Pattern DATA =
      Pattern.compile("data-(kept|removed|relation|form|outcome)=\"([^\"]*)\"");
  private static final Pattern VERTEX =
      Pattern.compile(
          "<g class=\"(vertex[^\"]*)\" data-label=\"([^\"]*)\" data-detail=\"([^\"]*)\"");

  static ReportPage parse(String html) {
    List<Field> fields = new ArrayList<>();
    Matcher field = FIELD.matcher(html);
    while (field.find()) {
      fields.add(new Field(field.group(1), Long.parseLong(field.group(2))));
    }
    List<Tie> ties = new ArrayList<>();
    String[] articles = html.split("<article class=\"tie\"");
    for (int i = 1; i < articles.length; i++) {
      String article = articles[i].substring(0, articles[i].indexOf("</article>"));
      Map<String, String> data = new LinkedHashMap<>();
      Matcher attribute = DATA.matcher(article.substring(0, article.indexOf('>')));
      while (attribute.find()) {
        data.put(attribute.group(1), unescape(attribute.group(2)));
      }
      int after = article.indexOf("<figure class=\"after\"");
      String beforePart = after < 0 ? article : article.substring(0, after);
      String afterPart = after < 0 ? "" : article.substring(after);
      ties.add(new Tie(data, vertices(beforePart), vertices(afterPart), article));
    }
    return new ReportPage(fields, ties, html);
  }

  private static List<Vertex> vertices(String part) {
    List<Vertex> vertices = new ArrayList<>();
    Matcher vertex = VERTEX.matcher(part);
    while (vertex.find()) {
      vertices.add(
          new Vertex(unescape(vertex.group(2)), unescape(vertex.group(3)), vertex.group(1)));
    }
    return vertices;
  }

  /** The values of one field, in page order. */
  List<Long> field(String name) {
    return bytes.stream().filter(f -> f.name().equals(name)).map(Field::bytes).toList();
  }

  /**
   * Character references back to characters (what the page escapes, and what Chromium's serializer
   * writes).
   */
  static String unescape(String text) {
    return text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
  }
}
