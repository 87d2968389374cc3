package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.ModelValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code fix:} line of check is a command a POSIX shell runs as printed and that makes the same
 * check pass: its paths are quoted where needed, it carries the options the check's reading needed
 * ({@code --allow-newer-ir}), and none is suggested while a file is refused (a folder rewrite
 * refuses such a folder).
 */
class CheckFixLineTest {
  @TempDir Path dir;

  /**
   * The words of a command line as a POSIX shell splits it: blanks separate, single quotes quote
   * ('\'' is a quote).
   */
  static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '\'') {
          quoted = false;
        } else {
          word.append(c);
        }
      } else if (c == '\'') {
        quoted = true;
        word = word == null ? new StringBuilder() : word;
      } else if (c == '\\' && i + 1 < line.length()) {
        word = word == null ? new StringBuilder() : word;
        word.append(line.charAt(++i));
      } else if (c == ' ') {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
      } else {
        assertFalse(
            "\"$`*?[]{}()<>|;&~#!".indexOf(c) >= 0,
            "unquoted shell character " + c + " in " + line);
        word = word == null ? new StringBuilder() : word;
        word.append(c);
      }
    }
    assertFalse(quoted, "unclosed quote in " + line);
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }

  /** The command of check's {@code fix:} line, run as a shell would; returns the path it wrote. */
  static Path runFix(Cli check) {
    String line =
        check
            .out()
            .lines()
            .filter(l -> l.contains("; fix: "))
            .findFirst()
            .orElseThrow(() -> new AssertionError(check.out()));
    List<String> words =
        new ArrayList<>(shellWords(line.substring(line.indexOf("; fix: ") + "; fix: ".length())));
    assertEquals("onnx-tie", words.remove(0), line);
    Cli fixed = Cli.run(words.toArray(String[]::new));
    assertEquals(0, fixed.code(), line + "\n" + fixed.out() + fixed.err());
    return Path.of(words.get(2));
  }

  @Test
  void pathsWithBlanksAndQuotesAreQuotedInTheFix() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("my models"));
    Path model = TestModels.save(FolderRefusalTest.withCopy("w", 8), folder.resolve("it's.onnx"));
    Cli check = Cli.run("check", model.toString());
    assertEquals(1, check.code(), check.out() + check.err());
    Path out = runFix(check);
    assertEquals(folder.resolve("it's-tied.onnx"), out, check.out());
    Cli again = Cli.run("check", out.toString());
    assertEquals(0, again.code(), again.out() + again.err());
  }

  @Test
  void theFixCarriesAllowNewerIrWhenTheCheckNeededIt() throws Exception {
    Path model =
        TestModels.save(
            FolderRefusalTest.withCopy("w", ModelValidator.NEWEST_IR_VERSION + 1),
            dir.resolve("newer.onnx"));
    Cli check = Cli.run("check", model.toString(), "--allow-newer-ir");
    assertEquals(1, check.code(), check.out() + check.err());
    assertTrue(check.out().contains("--allow-newer-ir"), check.out());
    Path out = runFix(check);
    Cli again = Cli.run("check", out.toString(), "--allow-newer-ir");
    assertEquals(0, again.code(), again.out() + again.err());
  }

  @Test
  void noFixWhileAFileOfTheFolderIsRefused() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("trunc"));
    TestModels.save(FolderRefusalTest.withCopy("wa", 8), folder.resolve("a.onnx"));
    byte[] whole = FolderRefusalTest.withCopy("wc", 8).toByteArray();
    Files.write(folder.resolve("c.onnx"), Arrays.copyOf(whole, whole.length / 2));
    Cli check = Cli.run("check", folder.toString());
    assertEquals(2, check.code(), check.out() + check.err());
    assertFalse(check.out().contains("fix: "), check.out());
    assertTrue(
        check
            .out()
            .contains(
                "no fix suggested: remove or repair the refused file first ("
                    + folder.resolve("c.onnx")
                    + ")"),
        check.out());
    JsonObject result = JsonOutput.result(Cli.run("check", folder.toString(), "--json"));
    assertTrue(result.get("fix").isJsonNull(), result.toString());
    assertFalse(result.get("passed").getAsBoolean(), result.toString());
    assertTrue(
        result.get("noFix").getAsString().startsWith("remove or repair the refused file first"),
        result.toString());
    // once the refused file is gone, the fix is suggested and converges
    Files.delete(folder.resolve("c.onnx"));
    Cli clean = Cli.run("check", folder.toString());
    assertEquals(1, clean.code(), clean.out() + clean.err());
    Path out = runFix(clean);
    Cli again = Cli.run("check", out.toString());
    assertEquals(0, again.code(), again.out() + again.err());
  }

  @Test
  void aFolderOfRefusedModelsIsNoPass() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("broken"));
    byte[] whole = FolderRefusalTest.withCopy("wc", 8).toByteArray();
    Files.write(folder.resolve("c.onnx"), Arrays.copyOf(whole, whole.length / 2));
    Files.write(folder.resolve("d.onnx"), Arrays.copyOf(whole, whole.length / 3));
    Cli check = Cli.run("check", folder.toString());
    assertEquals(2, check.code(), check.out() + check.err());
    assertFalse(check.out().contains("passed"), check.out());
    assertTrue(
        check
            .out()
            .contains("check failed: none of the 2 models could be read, nothing was checked"),
        check.out());
    assertTrue(
        check.err().contains("; none could be read") && !check.err().contains("reported above"),
        check.err());
    JsonObject result = JsonOutput.result(Cli.run("check", folder.toString(), "--json"));
    assertFalse(result.get("passed").getAsBoolean(), result.toString());
    assertTrue(result.get("fix").isJsonNull(), result.toString());
  }
}
