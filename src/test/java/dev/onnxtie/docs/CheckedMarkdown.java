package dev.onnxtie.docs;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Markdown file as {@link DocsTest} reads it: its fenced blocks (with the marker comment right
 * above each) and its prose, each prose number with the {@code numbers from:} marker in force
 * there. The conventions (ARCHITECTURE.md, "How the docs are tested", says the same for writers):
 *
 * <ul>
 *   <li>{@code ```sh} blocks are run by bash, line by line in one shell, in a sandbox; a command
 *       must exit 0, or N when the comment on its own line says {@code exit N}; every number in a
 *       comment is looked for in the output of the command it belongs to (a trailing comment and a
 *       comment line indented by three spaces belong to the command before, other comment lines to
 *       the command after).
 *   <li>{@code ```console} blocks: {@code $ COMMAND} lines are run the same way, and the lines
 *       after each are its output, compared line by line ({@code ...} stands for any lines).
 *   <li>{@code <!-- run by: NAME "FRAGMENT" ... -->} right above a block: a named test (or {@code
 *       .ci/run}) runs it instead; each quoted fragment must be in the block and in that test's
 *       source, and for {@code .ci/run} its own extraction must give the block word for word.
 *   <li>{@code <!-- excerpt of: PATH -->} right above a block: its lines are lines of PATH, in
 *       order and next to each other except where the block says {@code ...}.
 *   <li>{@code <!-- numbers from: SOURCE; SOURCE -->}: every number in the prose after it (and in
 *       fenced blocks that are not run) up to the next heading or marker must be one the sources
 *       hold; a source is a file or folder of the repository or {@code $ COMMAND}, run in the
 *       sandbox. A number in prose with no marker in force fails; inline code that starts with an
 *       option ({@code `--dim batch=0`}) is an example, its numbers are not claims.
 * </ul>
 */
final class CheckedMarkdown {
  /** A fenced block: its language, its lines, the line number of its fence, its marker. */
  record Block(String language, List<String> lines, int line, String marker) {}

  /** A number in prose, the file line it is on, and the sources in force there (null: none). */
  record ProseNumber(String text, int line, String sources) {}

  private static final Pattern FENCE = Pattern.compile("^```(\\w*)\\s*$");
  private static final Pattern MARKER = Pattern.compile("^<!--\\s*(.*?)\\s*-->\\s*$");

  /** Numbers as people write them: 288,664, 250.0, 1e-5; not the 2 of GPT-2 or float16. */
  static final Pattern NUMBER =
      Pattern.compile(
          "(?<![\\w.\\-])(\\d{1,3}(?:,\\d{3})+(?!\\d)|\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)(?![a-wyzA-Z0-9_])");

  final List<Block> blocks = new ArrayList<>();
  final List<ProseNumber> numbers = new ArrayList<>();

  /** Markers this reader does not know: a typo would otherwise switch a check off. */
  final List<String> unknownMarkers = new ArrayList<>();

  CheckedMarkdown(String text) {
    List<String> lines = text.lines().toList();
    String pendingMarker = null;
    String sources = null;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      Matcher fence = FENCE.matcher(line);
      Matcher marker = MARKER.matcher(line);
      if (fence.matches()) {
        int start = i + 1;
        List<String> body = new ArrayList<>();
        for (i = i + 1; i < lines.size() && !lines.get(i).equals("```"); i++) {
          body.add(lines.get(i));
        }
        Block block = new Block(fence.group(1), body, start, pendingMarker);
        blocks.add(block);
        if (!runs(block) && !isExcerpt(block)) {
          for (int k = 0; k < body.size(); k++) {
            collectNumbers(body.get(k), start + 1 + k, sources);
          }
        }
        pendingMarker = null;
      } else if (marker.matches()) {
        String content = marker.group(1);
        if (content.startsWith("numbers from:")) {
          sources = content.substring("numbers from:".length()).trim();
        } else if (content.startsWith("run by:") || content.startsWith("excerpt of:")) {
          pendingMarker = content;
        } else if (!content.startsWith("begin:") && !content.startsWith("end:")) {
          unknownMarkers.add((i + 1) + ": " + line);
        }
      } else {
        if (line.startsWith("#")) {
          sources = null; // a heading ends a marker's reach
        }
        if (!line.isBlank()) {
          pendingMarker = null;
        }
        collectNumbers(withoutOptionExamples(withoutLinkTargets(line)), i + 1, sources);
      }
    }
  }

  /** True for a block this test runs itself. */
  static boolean runs(Block block) {
    return (block.language().equals("sh") || block.language().equals("console"))
        && (block.marker() == null || !block.marker().startsWith("run by:"));
  }

  static boolean isExcerpt(Block block) {
    return block.marker() != null && block.marker().startsWith("excerpt of:");
  }

  private void collectNumbers(String line, int lineNumber, String sources) {
    Matcher matcher = NUMBER.matcher(line);
    while (matcher.find()) {
      numbers.add(new ProseNumber(matcher.group(1), lineNumber, sources));
    }
  }

  /**
   * A line without its inline code that starts with an option ({@code `--dim batch=0`}): the values
   * of an example command are the reader's choice, not a claim about the tool.
   */
  static String withoutOptionExamples(String line) {
    return line.replaceAll("`--[^`]*`", "``");
  }

  /** A line without the targets of its links and images ({@code ](docs/x2.md)}). */
  static String withoutLinkTargets(String line) {
    return line.replaceAll("\\]\\([^)]*\\)", "]()");
  }

  /**
   * The numbers of a text, each as a canonical decimal (288,664 and 288664 alike; 1e-5 = 1e-05).
   */
  static Set<String> numbersIn(String text) {
    Set<String> found = new LinkedHashSet<>();
    Matcher matcher = NUMBER.matcher(text);
    while (matcher.find()) {
      found.add(canonical(matcher.group(1)));
    }
    return found;
  }

  static String canonical(String number) {
    BigDecimal value = new BigDecimal(number.replace(",", ""));
    return value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString();
  }

  /** Where a shell line's comment starts (an unquoted {@code #} that starts a word), or -1. */
  static int commentStart(String line) {
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
        return i;
      }
    }
    return -1;
  }

  /** A shell line's comment, trimmed, or null. */
  static String comment(String line) {
    int at = commentStart(line);
    return at < 0 ? null : line.substring(at + 1).trim();
  }

  /** The command part of a shell line (without its comment), trimmed. */
  static String command(String line) {
    int at = commentStart(line);
    return (at < 0 ? line : line.substring(0, at)).trim();
  }
}
