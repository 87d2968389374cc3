package dev.onnxtie.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command line and every number of README.md, ARCHITECTURE.md and docs/**.md is checked
 * against this build, by the conventions {@link CheckedMarkdown} describes: sh and console blocks
 * run in a sandbox (a fresh HOME holding a copy of samples/ at {@code ~/onnx-tie/samples}, {@code
 * $S} pointing there, {@code onnx-tie} on PATH running this build), their exit codes and the
 * numbers of their comments and outputs compared; blocks other tests run are checked to be in those
 * tests; prose numbers are looked up in the sources their marker names. docs/cli/ is generated and
 * checked by CliReferenceTest.
 */
class DocsTest {
  static final Path ROOT = TestModels.samples().getParent();
  static final int TIMEOUT_SECONDS = 900;

  /** In a comment of a sh block: the exit code the command must have (0 where none is said). */
  static final Pattern EXIT = Pattern.compile("\\bexit (\\d+)");

  @TempDir Path sandbox;

  /** The Markdown files the rule covers. */
  static Stream<String> documents() throws IOException {
    List<String> files = new ArrayList<>(List.of("README.md", "ARCHITECTURE.md"));
    try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md"))
          .map(p -> ROOT.relativize(p).toString())
          .filter(p -> !p.startsWith("docs/cli/"))
          .sorted()
          .forEach(files::add);
    }
    return files.stream();
  }

  @ParameterizedTest
  @MethodSource("documents")
  void everyCommandAndNumberHoldsForThisBuild(String file) throws Exception {
    String text = Files.readString(ROOT.resolve(file), StandardCharsets.UTF_8);
    CheckedMarkdown doc = new CheckedMarkdown(text);
    List<String> problems = new ArrayList<>();
    doc.unknownMarkers.forEach(m -> problems.add(file + ":" + m + ": unknown marker"));
    Shell shell = new Shell(sandbox);
    for (CheckedMarkdown.Block block : doc.blocks) {
      String at = file + ":" + block.line();
      if (block.marker() != null && block.marker().startsWith("run by:")) {
        checkRunBy(at, block, text, problems);
      } else if (CheckedMarkdown.isExcerpt(block)) {
        checkExcerpt(at, block, problems);
      } else if (block.language().equals("sh")) {
        checkShell(at, block, shell, problems);
      } else if (block.language().equals("console")) {
        checkConsole(at, block, shell, problems);
      }
    }
    Map<String, Set<String>> sourceNumbers = new HashMap<>();
    for (CheckedMarkdown.ProseNumber number : doc.numbers) {
      String at = file + ":" + number.line();
      if (number.sources() == null) {
        problems.add(
            at
                + ": the number "
                + number.text()
                + " has no source: put <!-- numbers from: FILE or $ COMMAND --> above it");
        continue;
      }
      Set<String> known =
          sourceNumbers.computeIfAbsent(
              number.sources(), sources -> numbersOf(sources, shell, at, problems));
      if (!known.contains(CheckedMarkdown.canonical(number.text()))) {
        problems.add(at + ": " + number.text() + " is not in " + number.sources());
      }
    }
    if (!problems.isEmpty()) {
      fail(problems.size() + " problems:\n" + String.join("\n", problems));
    }
  }

  /** The numbers every source of a {@code numbers from:} marker holds, together. */
  static Set<String> numbersOf(String sources, Shell shell, String at, List<String> problems) {
    StringBuilder all = new StringBuilder();
    for (String source : sources.split(";")) {
      source = source.trim();
      if (source.startsWith("$ ")) {
        Shell.Ran ran = shell.run(List.of(source.substring(2))).get(0);
        all.append(ran.output()).append('\n');
      } else {
        Path path = ROOT.resolve(source);
        if (!Files.exists(path)) {
          problems.add(at + ": the source " + source + " is no file or folder of the repository");
          continue;
        }
        try (Stream<Path> files = Files.walk(path)) {
          for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
            all.append(Files.readString(file, StandardCharsets.UTF_8)).append('\n');
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return CheckedMarkdown.numbersIn(all.toString());
  }

  /** A sh block: each command's exit code, and the numbers of the comments that belong to it. */
  static void checkShell(
      String at, CheckedMarkdown.Block block, Shell shell, List<String> problems) {
    List<String> commands = new ArrayList<>();
    List<List<String>> comments = new ArrayList<>();
    List<String> trailing = new ArrayList<>(); // the comment on a command's own line: its exit code
    List<String> waiting = new ArrayList<>(); // comment lines that belong to the next command
    String pending = "";
    for (String line : block.lines()) {
      String command = CheckedMarkdown.command(line);
      String comment = CheckedMarkdown.comment(line);
      if (command.isEmpty()) {
        if (comment != null && line.startsWith("#   ") && !commands.isEmpty()) {
          comments.get(commands.size() - 1).add(comment);
        } else if (comment != null) {
          waiting.add(comment);
        }
        continue;
      }
      if (command.endsWith("\\")) {
        pending += command.substring(0, command.length() - 1) + " ";
        continue;
      }
      commands.add(pending + command);
      trailing.add(comment == null ? "" : comment);
      pending = "";
      List<String> own = new ArrayList<>(waiting);
      waiting.clear();
      if (comment != null) {
        own.add(comment);
      }
      comments.add(own);
    }
    if (!waiting.isEmpty()) {
      problems.add(at + ": comment lines after the last command: " + waiting);
    }
    List<Shell.Ran> ran = shell.run(commands);
    for (int i = 0; i < commands.size(); i++) {
      Shell.Ran result = ran.get(i);
      Matcher exit = EXIT.matcher(trailing.get(i));
      int expected = exit.find() ? Integer.parseInt(exit.group(1)) : 0;
      if (result.code() != expected) {
        problems.add(
            at
                + ": `"
                + commands.get(i)
                + "` exited "
                + result.code()
                + ", the doc says "
                + expected
                + ":\n"
                + result.output());
        continue;
      }
      Set<String> printed = CheckedMarkdown.numbersIn(result.output());
      for (String comment : comments.get(i)) {
        // "exit N" is checked as the exit code (on the command's own line) or is a heading's words
        for (String number : CheckedMarkdown.numbersIn(EXIT.matcher(comment).replaceAll(""))) {
          if (!printed.contains(number)) {
            problems.add(
                at
                    + ": `"
                    + commands.get(i)
                    + "`: the comment says "
                    + number
                    + ", the output has no such number:\n"
                    + result.output());
          }
        }
      }
    }
  }

  /** A console block: {@code $ COMMAND} lines and their output, compared line by line. */
  static void checkConsole(
      String at, CheckedMarkdown.Block block, Shell shell, List<String> problems) {
    List<String> commands = new ArrayList<>();
    List<Integer> codes = new ArrayList<>();
    List<List<String>> outputs = new ArrayList<>();
    for (String line : block.lines()) {
      if (line.startsWith("$ ")) {
        commands.add(CheckedMarkdown.command(line.substring(2)));
        String comment = CheckedMarkdown.comment(line.substring(2));
        Matcher exit = EXIT.matcher(comment == null ? "" : comment);
        codes.add(exit.find() ? Integer.parseInt(exit.group(1)) : 0);
        outputs.add(new ArrayList<>());
      } else if (commands.isEmpty()) {
        problems.add(at + ": a console block starts with '$ COMMAND', not: " + line);
        return;
      } else {
        outputs.get(outputs.size() - 1).add(line);
      }
    }
    List<Shell.Ran> ran = shell.run(commands);
    for (int i = 0; i < commands.size(); i++) {
      Shell.Ran result = ran.get(i);
      if (result.code() != codes.get(i)) {
        problems.add(
            at
                + ": `"
                + commands.get(i)
                + "` exited "
                + result.code()
                + ", the doc says "
                + codes.get(i)
                + ":\n"
                + result.output());
      } else if (!matches(outputs.get(i), result.output().lines().toList())) {
        problems.add(
            at
                + ": `"
                + commands.get(i)
                + "` printed\n"
                + result.output()
                + "the doc shows\n"
                + String.join("\n", outputs.get(i)));
      }
    }
  }

  /** Expected lines against actual ones; a line {@code ...} stands for any lines, none included. */
  static boolean matches(List<String> expected, List<String> actual) {
    if (expected.isEmpty()) {
      return actual.isEmpty();
    }
    if (expected.get(0).equals("...")) {
      for (int skip = 0; skip <= actual.size(); skip++) {
        if (matches(expected.subList(1, expected.size()), actual.subList(skip, actual.size()))) {
          return true;
        }
      }
      return false;
    }
    return !actual.isEmpty()
        && expected.get(0).equals(actual.get(0))
        && matches(expected.subList(1, expected.size()), actual.subList(1, actual.size()));
  }

  /** A block another test runs: that test exists and holds each quoted fragment of the marker. */
  static void checkRunBy(
      String at, CheckedMarkdown.Block block, String document, List<String> problems)
      throws Exception {
    String marker = block.marker().substring("run by:".length()).trim();
    String name = marker.split("[\\s,]+")[0];
    String body = String.join("\n", block.lines());
    for (String line : block.lines()) {
      String comment = CheckedMarkdown.comment(line);
      if (comment != null && !CheckedMarkdown.numbersIn(comment).isEmpty()) {
        problems.add(
            at + ": a number in a block run by " + name + " that no test compares: " + line);
      }
    }
    if (name.equals(".ci/run")) {
      String ci = Files.readString(ROOT.resolve(".ci/run"), StandardCharsets.UTF_8);
      Matcher awk = Pattern.compile("awk '(.*?)' README\\.md", Pattern.DOTALL).matcher(ci);
      if (!awk.find()) {
        problems.add(at + ": .ci/run extracts no block from README.md");
        return;
      }
      Process process = new ProcessBuilder("awk", awk.group(1)).directory(ROOT.toFile()).start();
      process.getOutputStream().write(document.getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().close();
      String extracted =
          new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor(60, TimeUnit.SECONDS);
      if (!extracted.equals(body + "\n")) {
        problems.add(at + ": .ci/run runs\n" + extracted + "not the block\n" + body);
      }
      return;
    }
    Path source;
    try (Stream<Path> files = Files.walk(ROOT.resolve("src/test/java"))) {
      source =
          files
              .filter(p -> p.getFileName().toString().equals(name + ".java"))
              .findFirst()
              .orElse(null);
    }
    if (source == null) {
      problems.add(
          at + ": run by " + name + ", but there is no src/test/java/**/" + name + ".java");
      return;
    }
    String test = Files.readString(source, StandardCharsets.UTF_8);
    Matcher fragment = Pattern.compile("\"([^\"]+)\"").matcher(marker);
    int fragments = 0;
    while (fragment.find()) {
      fragments++;
      if (!body.contains(fragment.group(1)) || !test.contains(fragment.group(1))) {
        problems.add(
            at + ": \"" + fragment.group(1) + "\" is not both in the block and in " + name);
      }
    }
    if (fragments == 0) {
      problems.add(at + ": run by " + name + " names no \"fragment\" of the block that it runs");
    }
  }

  /** An excerpt: its lines are the file's, in order, next to each other but where it says ... */
  static void checkExcerpt(String at, CheckedMarkdown.Block block, List<String> problems)
      throws IOException {
    String path = block.marker().substring("excerpt of:".length()).trim();
    List<String> file = Files.readAllLines(ROOT.resolve(path), StandardCharsets.UTF_8);
    int next = 0;
    boolean gap = true;
    for (String line : block.lines()) {
      if (line.trim().equals("...")) {
        gap = true;
        continue;
      }
      int found = -1;
      for (int i = next; i < file.size() && (gap || i == next); i++) {
        if (file.get(i).equals(line)) {
          found = i;
          break;
        }
      }
      if (found < 0) {
        problems.add(
            at + ": this line is not the next line of " + path + " (copy it again): " + line);
        return;
      }
      next = found + 1;
      gap = false;
    }
  }

  /**
   * Links that lead to files another branch adds: docs/pipelines.md comes with the pipeline
   * integrations (issue 23); remove it here once they are merged.
   */
  static final Set<String> PENDING_LINKS = Set.of();

  @ParameterizedTest
  @MethodSource("documents")
  void everyLinkLeadsToAFile(String file) throws IOException {
    String text = Files.readString(ROOT.resolve(file), StandardCharsets.UTF_8);
    Path folder = ROOT.resolve(file).getParent();
    List<String> broken = new ArrayList<>();
    Matcher link = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)").matcher(text);
    while (link.find()) {
      String target = link.group(1);
      if (target.matches("[a-z]+:.*")) {
        continue; // https:, mailto:
      }
      Path resolved = folder.resolve(target).normalize();
      if (!Files.exists(resolved)
          && !PENDING_LINKS.contains(ROOT.relativize(resolved).toString())) {
        broken.add(file + ": " + target);
      }
    }
    assertEquals(List.of(), broken, "links to nothing");
  }

  /**
   * The README names every library we adopt (ARCHITECTURE.md says why): each group of pom.xml's
   * dependencies and unpacked artifacts, by the name people know it by.
   */
  @Test
  void theReadmeNamesEveryLibrary() throws IOException {
    Map<String, String> names =
        Map.ofEntries(
            Map.entry("com.google.protobuf", "protobuf-java"),
            Map.entry("com.microsoft.onnxruntime", "ONNX Runtime"),
            Map.entry("info.picocli", "picocli"),
            Map.entry("com.google.code.gson", "Gson"),
            Map.entry("org.eclipse.elk", "Eclipse Layout"),
            Map.entry("com.google.guava", "Guava"),
            Map.entry("org.junit", "JUnit"),
            Map.entry("org.junit.jupiter", "JUnit"),
            Map.entry("com.networknt", "json-schema-validator"),
            Map.entry("com.code-intelligence", "Jazzer"),
            Map.entry("dev.langchain4j", "langchain4j"));
    String pom = Files.readString(ROOT.resolve("pom.xml"), StandardCharsets.UTF_8);
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    String architecture = Files.readString(ROOT.resolve("ARCHITECTURE.md"), StandardCharsets.UTF_8);
    Matcher library =
        Pattern.compile("<(dependency|artifactItem)>\\s*<groupId>([^<]+)</groupId>").matcher(pom);
    List<String> unnamed = new ArrayList<>();
    int libraries = 0;
    while (library.find()) {
      libraries++;
      String group = library.group(2);
      String name = names.get(group);
      if (name == null) {
        unnamed.add(group + " (new: name it in README.md and ARCHITECTURE.md, and add it here)");
      } else if (!readme.replaceAll("\\s+", " ").contains(name)
          || !architecture.replaceAll("\\s+", " ").contains(name)) {
        unnamed.add(group + " as " + name);
      }
    }
    assertTrue(libraries >= names.size(), "pom.xml read: " + libraries + " libraries");
    assertEquals(List.of(), unnamed, "libraries README.md or ARCHITECTURE.md does not name");
  }

  /** The README is for the first hour: under 200 lines, the rest goes to docs/. */
  @Test
  void theReadmeIsShort() throws IOException {
    long lines = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8).size();
    assertTrue(lines < 200, "README.md has " + lines + " lines: move reference material to docs/");
  }

  /** The parts of the checker on small cases: output patterns, numbers, comments. */
  @Test
  void theCheckerSeesDrift() throws Exception {
    assertTrue(matches(List.of("a", "...", "d"), List.of("a", "b", "c", "d")));
    assertTrue(!matches(List.of("a", "d"), List.of("a", "b", "d")));
    assertEquals(
        Set.of("288664", "250", "0.00001", "3"),
        CheckedMarkdown.numbersIn("288,664 and 250.0 KiB, 1e-5; GPT-2 float16 [3"));
    assertEquals("exit 1: x", CheckedMarkdown.comment("onnx-tie check 'a # b'   # exit 1: x"));
    assertEquals(
        "onnx-tie check 'a # b'", CheckedMarkdown.command("onnx-tie check 'a # b'   # exit 1: x"));
  }

  /** One bash per block, in the sandbox; each command's exit code and stdout with stderr. */
  static final class Shell {
    record Ran(int code, String output) {}

    final Path root;
    final Path home;
    final Path bin;

    Shell(Path sandbox) throws IOException {
      root = sandbox;
      home = sandbox.resolve("home");
      bin = sandbox.resolve("bin");
      Files.createDirectories(bin);
      Path samples = home.resolve("onnx-tie/samples");
      try (Stream<Path> files = Files.walk(ROOT.resolve("samples"))) {
        for (Path file : files.toList()) {
          Path target = samples.resolve(ROOT.resolve("samples").relativize(file).toString());
          if (Files.isDirectory(file)) {
            Files.createDirectories(target);
          } else {
            Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
          }
        }
      }
      TestJvm.standInLauncher(bin.resolve("onnx-tie"));
    }

    /** Runs the commands in one fresh bash, in HOME; the state (cd, variables) carries over. */
    List<Ran> run(List<String> commands) {
      try {
        Path run = Files.createTempDirectory(root, "run");
        StringBuilder script = new StringBuilder("cd \"$HOME\"\n");
        for (int i = 0; i < commands.size(); i++) {
          script
              .append("{ ")
              .append(commands.get(i))
              .append("\n} >")
              .append(quote(run.resolve("out." + i).toString()))
              .append(" 2>&1 </dev/null\necho $? >")
              .append(quote(run.resolve("rc." + i).toString()))
              .append('\n');
        }
        Files.writeString(run.resolve("script.sh"), script);
        ProcessBuilder builder =
            new ProcessBuilder("bash", run.resolve("script.sh").toString())
                .redirectErrorStream(true)
                .redirectOutput(run.resolve("bash.log").toFile());
        Map<String, String> env = builder.environment();
        env.put("HOME", home.toString());
        env.put("S", home.resolve("onnx-tie/samples").toString());
        env.put("PATH", bin + ":" + env.get("PATH"));
        env.put("TMPDIR", root.toString());
        env.remove("JAVA_OPTS");
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor();
          throw new AssertionError("timed out: " + commands);
        }
        List<Ran> ran = new ArrayList<>();
        for (int i = 0; i < commands.size(); i++) {
          Path rc = run.resolve("rc." + i);
          if (!Files.exists(rc)) {
            ran.add(
                new Ran(-1, "(did not run: " + Files.readString(run.resolve("bash.log")) + ")"));
            continue;
          }
          ran.add(
              new Ran(
                  Integer.parseInt(Files.readString(rc).trim()),
                  Files.readString(run.resolve("out." + i), StandardCharsets.UTF_8)));
        }
        return ran;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    static String quote(String text) {
      return "'" + text.replace("'", "'\\''") + "'";
    }
  }
}
