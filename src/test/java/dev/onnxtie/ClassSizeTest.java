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
 * A class over {@value #MAX_LINES} lines usually holds two jobs (STYLE.md, "Seams for growth"):
 * every source file of {@code src/main} over it must say in its class javadoc why it is one job, in
 * a sentence that starts with the marker {@value #MARKER}, or be split.
 */
class ClassSizeTest {
  static final int MAX_LINES = 400;
  static final String MARKER = "One job:";
  static final Path MAIN = Path.of("src/main/java");

  private static final Pattern TYPE =
      Pattern.compile(
          "(/\\*\\*(?:(?!\\*/).)*\\*/)?\\s*(?:@\\w+(?:\\([^)]*\\))?\\s*)*"
              + "^(?:public\\s+)?(?:(?:final|abstract|sealed|non-sealed|static)\\s+)*"
              + "(?:class|interface|record|enum)\\s",
          Pattern.DOTALL | Pattern.MULTILINE);

  /** The number of lines of each source file of src/main, by path under src/main/java. */
  static Map<String, Integer> lineCounts() throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        counts.put(
            MAIN.relativize(file).toString().replace('\\', '/'),
            (int) Files.readAllLines(file).size());
      }
    }
    return counts;
  }

  /**
   * The javadoc of the file's top-level type (public or package-private: it starts a line, where
   * google-java-format puts it; nested types are indented), or empty.
   */
  static String classJavadoc(String source) {
    Matcher type = TYPE.matcher(source);
    return type.find() && type.group(1) != null ? type.group(1) : "";
  }

  /** The files over the limit whose class javadoc does not say why they are one job. */
  static List<String> unexplained(Map<String, Integer> counts) throws IOException {
    List<String> offenders = new ArrayList<>();
    for (Map.Entry<String, Integer> file : counts.entrySet()) {
      if (file.getValue() <= MAX_LINES) {
        continue;
      }
      String javadoc = classJavadoc(Files.readString(MAIN.resolve(file.getKey())));
      if (!javadoc.replaceAll("\\s*\\n\\s*\\*\\s*", " ").contains(MARKER)) {
        offenders.add(file.getKey() + " (" + file.getValue() + " lines)");
      }
    }
    return offenders;
  }

  @Test
  void everyClassOverTheLimitSaysWhyItIsOneJob() throws IOException {
    Map<String, Integer> counts = lineCounts();
    assertTrue(counts.size() > 100, "found the sources: " + counts.size());
    assertEquals(
        List.of(),
        unexplained(counts),
        "split these, or say in the class javadoc, in a sentence starting '"
            + MARKER
            + "', why each is one job");
  }

  @Test
  void theMarkerIsReadFromTheClassJavadocOnly() {
    String explained =
        "package a;\n\nimport b.C;\n\n/**\n * Does one thing.\n *\n * <p>One job: the parser and\n"
            + " * its tables belong together.\n */\n@Deprecated\npublic final class A {\n"
            + "  /** One job: not here. */\n  void f() {}\n}\n";
    assertTrue(classJavadoc(explained).contains(MARKER), classJavadoc(explained));
    String inAMember =
        "package a;\n\n/** Does two things. */\npublic final class A {\n"
            + "  /** One job: not here. */\n  void f() {}\n}\n";
    assertTrue(!classJavadoc(inAMember).contains(MARKER), classJavadoc(inAMember));
    String packagePrivate =
        "package a;\n\n/**\n * The sessions.\n *\n * <p>One job: they share one environment.\n"
            + " */\nfinal class A {\n  /** A nested one. */\n  static final class B {}\n}\n";
    assertTrue(classJavadoc(packagePrivate).contains(MARKER), classJavadoc(packagePrivate));
    String nestedOnly =
        "package a;\n\n/** The class. */\nfinal class A {\n"
            + "  /** One job: a nested class's javadoc is not the class's. */\n"
            + "  static final class B {}\n}\n";
    assertTrue(!classJavadoc(nestedOnly).contains(MARKER), classJavadoc(nestedOnly));
    String wordsBefore =
        "package a;\n\n// the class keyword in a comment: final class B\n"
            + "/** One job: the declaration's own javadoc. */\nfinal class A {}\n";
    assertTrue(classJavadoc(wordsBefore).contains(MARKER), classJavadoc(wordsBefore));
  }
}
