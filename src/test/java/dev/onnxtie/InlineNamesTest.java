package dev.onnxtie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Code names a class by its simple name and imports it (STYLE.md): a fully qualified class name in
 * code ({@code new java.util.HashMap<>()}, {@code catch (java.nio.file.NoSuchFileException e)})
 * hides a dependency from the imports. Comments, javadoc and string literals may spell names out (a
 * launcher's main class, a {@code {@link}}); only a real clash of two simple names may stay
 * qualified, listed in {@link #CLASHES} with the reason.
 */
class InlineNamesTest {
  static final List<Path> ROOTS = List.of(Path.of("src/main/java"), Path.of("src/test/java"));

  /** A qualified name: lower-case package segments, then a capitalized class name. */
  static final Pattern QUALIFIED =
      Pattern.compile(
          "\\b(?:java|javax|jdk|dev\\.onnxtie|com|org|ai\\.onnxruntime|picocli)"
              + "(?:\\.[a-z_]\\w*)*\\.[A-Z]\\w*");

  /**
   * Real name clashes: path under src/main/java or src/test/java, then the qualified name that
   * stays, and why.
   */
  static final Map<String, String> CLASHES = Map.of();

  /**
   * The source without comments, string, character and text-block literals (each replaced by a
   * space, newlines kept) and without its package and import lines.
   */
  static String code(String source) {
    StringBuilder code = new StringBuilder(source.length());
    int i = 0;
    int n = source.length();
    while (i < n) {
      char c = source.charAt(i);
      if (source.startsWith("//", i)) {
        while (i < n && source.charAt(i) != '\n') {
          i++;
        }
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        keepNewlines(code, source, i, end);
        i = end;
      } else if (source.startsWith("\"\"\"", i)) {
        int end = source.indexOf("\"\"\"", i + 3);
        while (end > 0 && source.charAt(end - 1) == '\\') {
          end = source.indexOf("\"\"\"", end + 1);
        }
        end = end < 0 ? n : end + 3;
        keepNewlines(code, source, i, end);
        i = end;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && source.charAt(j) != c && source.charAt(j) != '\n') {
          j += source.charAt(j) == '\\' ? 2 : 1;
        }
        code.append(' ');
        i = Math.min(j + 1, n);
      } else {
        code.append(c);
        i++;
      }
    }
    return code.toString().replaceAll("(?m)^[ \\t]*(?:import|package)\\s[^;]*;", "");
  }

  private static void keepNewlines(StringBuilder code, String source, int from, int to) {
    code.append(' ');
    for (int k = from; k < to; k++) {
      if (source.charAt(k) == '\n') {
        code.append('\n');
      }
    }
  }

  /** Each qualified name in the code of {@code source}, as {@code line: name}. */
  static List<String> qualifiedNames(String source) {
    String code = code(source);
    List<String> found = new ArrayList<>();
    Matcher name = QUALIFIED.matcher(code);
    while (name.find()) {
      long line = code.substring(0, name.start()).chars().filter(ch -> ch == '\n').count() + 1;
      found.add(line + ": " + name.group());
    }
    return found;
  }

  /** The qualified names of every source file but module-info, by path under its root. */
  static Map<String, List<String>> qualifiedNamesInSources() throws IOException {
    Map<String, List<String>> byFile = new TreeMap<>();
    for (Path root : ROOTS) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          if (file.getFileName().toString().equals("module-info.java")) {
            continue; // a module declaration names modules and packages, which are qualified
          }
          List<String> names = qualifiedNames(Files.readString(file));
          if (!names.isEmpty()) {
            byFile.put(root.relativize(file).toString().replace('\\', '/'), names);
          }
        }
      }
    }
    return byFile;
  }

  @Test
  void codeNamesClassesByTheirImportedNames() throws IOException {
    Map<String, List<String>> found = qualifiedNamesInSources();
    CLASHES.forEach(
        (path, name) -> {
          List<String> names = found.getOrDefault(path, List.of());
          names.removeIf(line -> line.endsWith(": " + name.split(" ")[0]));
          if (names.isEmpty()) {
            found.remove(path);
          }
        });
    assertEquals(
        Map.of(),
        found,
        "import these classes (a qualified name in code is for a real clash only: list it in"
            + " CLASHES with the reason)");
  }

  @Test
  void commentsStringsAndImportsMayQualifyCodeMayNot() {
    String source =
        "package dev.onnxtie.a;\n\nimport java.util.List;\nimport static java.util.Map.of;\n\n"
            + "/** Uses {@link java.util.HashMap}. */\nfinal class A {\n"
            + "  // java.util.Set in a comment\n"
            + "  String main = \"dev.onnxtie.cli.OnnxTieCli\";\n"
            + "  char quote = '\"';\n"
            + "  String block = \"\"\"\n      java.util.Deque\n      \"\"\";\n"
            + "  Object map = new java.util.HashMap<String, String>();\n"
            + "  void f() throws java.io.IOException {}\n"
            + "  Object progress = dev.onnxtie.api.Progress.NONE;\n"
            + "  Object failure = dev.onnxtie.OnnxTieException.class;\n"
            + "}\n";
    assertEquals(
        List.of(
            "14: java.util.HashMap",
            "15: java.io.IOException",
            "16: dev.onnxtie.api.Progress",
            "17: dev.onnxtie.OnnxTieException"),
        qualifiedNames(source));
    assertTrue(qualifiedNames("class B { java.util.List<String> names; }").size() == 1);
  }
}
