package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/**
 * What the tool tells users to do: every fix line is a complete command (IN and OUT filled in) that
 * this test runs, its output goes beside the input only in the user's own folder; help that lists
 * every exit code and never breaks a word; one line for a misspelt command.
 */
class AdviceTest {
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
  static final Pattern FIX =
      Pattern.compile(
          "fix: (onnx-tie rewrite \\S+ \\S+(?: --shared-data)?(?: --form gemm)?)$",
          Pattern.MULTILINE);

  @TempDir Path dir;

  static String fixOf(Cli check) {
    Matcher fix = FIX.matcher(check.out());
    assertTrue(fix.find(), "no complete fix command in " + check.out());
    return fix.group(1);
  }

  /** Runs a suggested command in-process: its words after "onnx-tie". */
  static Cli runSuggested(String command) {
    return Cli.run(command.substring("onnx-tie ".length()).split(" "));
  }

  @Test
  void inTheUsersOwnFolderTheFixWritesBesideTheInputAndWorks() throws Exception {
    Path model = Files.copy(GPT2, dir.resolve("model.onnx"));
    Cli check = Cli.run("check", model.toString());
    assertEquals(1, check.code(), check.out());
    String fix = fixOf(check);
    assertEquals("onnx-tie rewrite " + model + " " + dir.resolve("model-tied.onnx"), fix);
    Cli fixed = runSuggested(fix);
    assertEquals(0, fixed.code(), fixed.err());
    assertEquals(0, Cli.run("check", dir.resolve("model-tied.onnx").toString()).code());
  }

  @Test
  void forTheRepositorysSamplesTheFixWritesIntoTheCurrentFolder() throws Exception {
    Cli check = Cli.run("check", GPT2.toString());
    assertEquals(1, check.code(), check.out());
    String fix = fixOf(check);
    assertEquals("onnx-tie rewrite " + GPT2 + " model-tied.onnx", fix);
    // the command as a user runs it, from a folder of their own (the JVM's own folder is the
    // repository)
    List<String> command = new ArrayList<>(TestJvm.cli());
    command.addAll(List.of(fix.substring("onnx-tie ".length()).split(" ")));
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.txt").toFile())
            .start();
    assertTrue(process.waitFor(180, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), Files.readString(dir.resolve("out.txt")));
    assertEquals(0, Cli.run("check", dir.resolve("model-tied.onnx").toString()).code());
    assertFalse(
        Files.exists(GPT2.resolveSibling("model-tied.onnx")), "nothing written beside the sample");
  }

  @Test
  void aFolderTheUserCannotWriteGetsTheCurrentFolder() throws Exception {
    Path tool = Files.createDirectories(dir.resolve("tool"));
    Path own = Files.createDirectories(dir.resolve("own"));
    Path model = own.resolve("m.onnx");
    assertEquals(own.resolve("m-tied.onnx").toString(), OnnxTie.tiedName(model, tool));
    assertEquals(
        "m-tied.onnx", OnnxTie.tiedName(tool.resolve("m.onnx"), tool), "inside the tool's folder");
    Path readOnly = Files.createDirectories(dir.resolve("read-only"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
    if (!Files.isWritable(readOnly)) { // root may write anywhere
      assertEquals(
          "m-tied.onnx",
          OnnxTie.tiedName(readOnly.resolve("m.onnx"), tool),
          "a folder the user cannot write");
    }
  }

  @Test
  void theTransposedTiesFixIsACompleteCommandThatMakesTheCheckPass() throws Exception {
    Path tied = dir.resolve("tied.onnx");
    assertEquals(0, Cli.run("rewrite", GPT2.toString(), tied.toString()).code());
    Cli check = Cli.run("check", tied.toString(), "--transposed-ties");
    assertEquals(1, check.code(), check.out());
    String fix = fixOf(check);
    assertEquals(
        "onnx-tie rewrite " + tied + " " + dir.resolve("tied-tied.onnx") + " --form gemm", fix);
    Cli fixed = runSuggested(fix);
    assertEquals(0, fixed.code(), fixed.err());
    Cli again = Cli.run("check", dir.resolve("tied-tied.onnx").toString(), "--transposed-ties");
    assertEquals(0, again.code(), again.out());
  }

  @Test
  void untiedDuplicatesAndTransposedTiesGetOneCommandForBoth() throws Exception {
    Path model =
        Files.copy(
            TestModels.samples().resolve("dynamo_tied/model.onnx"), dir.resolve("model.onnx"));
    Cli check = Cli.run("check", model.toString(), "--transposed-ties");
    assertEquals(1, check.code(), check.out());
    String fix = fixOf(check);
    assertTrue(fix.endsWith(" --form gemm"), fix);
    Cli fixed = runSuggested(fix);
    assertEquals(0, fixed.code(), fixed.err());
    Cli again = Cli.run("check", dir.resolve("model-tied.onnx").toString(), "--transposed-ties");
    assertEquals(0, again.code(), again.out());
  }

  @Test
  void everyHelpListsEveryExitCodeAndBreaksNoWord() {
    for (String command :
        List.of("", "inspect", "rewrite", "verify", "check", "insert", "report", "completion")) {
      Cli help = command.isEmpty() ? Cli.run("--help") : Cli.run(command, "--help");
      assertEquals(0, help.code(), command);
      for (String code : Specs.EXIT_CODES) {
        assertTrue(
            help.out().contains(code + "\n") || help.out().contains(code + System.lineSeparator()),
            command + ": " + code + " in " + help.out());
      }
    }
    // each word of each description appears whole in the help: picocli's wrapping never splits it
    for (String name : List.of("inspect", "rewrite", "verify", "check", "insert", "report")) {
      Cli help = Cli.run(name, "--help");
      List<String> words = new ArrayList<>();
      CommandLine.Model.CommandSpec spec =
          switch (name) {
            case "inspect" -> new InspectCommand(new OnnxTieCli()).spec;
            case "rewrite" -> new RewriteCommand(new OnnxTieCli()).spec;
            case "verify" -> new VerifyCommand(new OnnxTieCli()).spec;
            case "check" -> new CheckCommand(new OnnxTieCli()).spec;
            case "report" -> new ReportCommand(new OnnxTieCli()).spec;
            default -> new InsertCommand().spec;
          };
      for (ArgSpec arg : spec.args()) {
        for (String line : arg.description()) {
          words.addAll(List.of(line.replace("${DEFAULT-VALUE}", "").split("\\s+")));
        }
      }
      for (String line : spec.usageMessage().description()) {
        words.addAll(List.of(line.split("\\s+")));
      }
      List<String> split =
          words.stream().filter(word -> !word.isEmpty() && !help.out().contains(word)).toList();
      assertEquals(List.of(), split, name + ": these words are split in\n" + help.out());
      // report writes a page, not --json
      assertTrue(
          name.equals("report") || help.out().contains("(schema: schemas/onnx-tie.schema.json)"),
          help.out());
    }
  }

  @Test
  void aMisspeltCommandGetsOneLineWithTheSuggestion() {
    Cli typo = Cli.run("rewite", "x", "y");
    assertEquals(2, typo.code());
    assertEquals(
        "onnx-tie: unknown command 'rewite'. Did you mean: onnx-tie rewrite or onnx-tie report?",
        typo.err().strip());
    assertFalse(typo.err().contains("Unmatched"), typo.err());
  }

  @Test
  void aFolderOfFoldersSaysSubFoldersAreNotSearchedAndNamesOneThatWorks() {
    Cli inspect = Cli.run("inspect", TestModels.samples().toString());
    assertEquals(2, inspect.code());
    Matcher named =
        Pattern.compile(
                "sub-folders are not searched: name one that holds models, such as (\\S+)\\)")
            .matcher(inspect.err());
    assertTrue(named.find(), inspect.err());
    assertEquals(0, Cli.run("inspect", named.group(1)).code(), "the folder it names holds models");
  }
}
