package dev.onnxtie.cli;

import static dev.onnxtie.TestJvm.CLASS_PATH;
import static dev.onnxtie.TestJvm.JAVA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.Pty;
import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run leaves on the machine: nothing in {@code $TMPDIR} (ONNX Runtime's native libraries
 * come from one cache folder per version), output folders with the umask's permissions, nothing
 * after Ctrl-C but the word "interrupted", and in-place shared-data rewrites that change nothing
 * (also when run again after one that changed the models), with per-model byte counts of the files.
 */
class NothingLeftBehindTest {
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
  static final Path SPLIT = TestModels.samples().resolve("seq2seq_split");

  @TempDir Path dir;

  /** The CLI in its own JVM (ONNX Runtime loads once per JVM) with this temp folder and cache. */
  ProcessBuilder cli(Path tmp, Path cache, String... args) {
    List<String> command = new ArrayList<>(TestJvm.cli("-Djava.io.tmpdir=" + tmp));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().put("XDG_CACHE_HOME", cache.toString());
    builder.environment().put("TMPDIR", tmp.toString());
    return builder;
  }

  @Test
  void verifiesLeaveNothingInTheTempFolderAndExtractTheLibrariesOnce() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path cache = Files.createDirectories(dir.resolve("cache"));
    for (int run = 0; run < 3; run++) {
      Process process =
          cli(tmp, cache, "verify", GPT2.toString(), GPT2.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("out.txt").toFile())
              .start();
      assertTrue(process.waitFor(180, TimeUnit.SECONDS));
      assertEquals(0, process.exitValue(), Files.readString(dir.resolve("out.txt")));
      try (Stream<Path> left = Files.list(tmp)) {
        assertEquals(List.of(), left.toList(), "run " + run + " left these in the temp folder");
      }
    }
    List<Path> libraries;
    try (Stream<Path> files = Files.walk(cache.resolve("onnx-tie"))) {
      libraries = files.filter(p -> p.getFileName().toString().endsWith(".so")).toList();
    }
    assertTrue(
        libraries.stream().anyMatch(p -> p.getFileName().toString().equals("libonnxruntime.so")),
        libraries.toString());
    assertTrue(
        libraries.stream()
            .allMatch(
                p ->
                    p.getParent()
                        .getParent()
                        .getFileName()
                        .toString()
                        .matches("onnxruntime(_gpu)?-[0-9.]+")),
        "one folder per ONNX Runtime version: " + libraries);
  }

  @Test
  void aNewOutputFolderHasTheUmasksPermissions() throws Exception {
    Path out = dir.resolve("tied");
    Cli rewrite = Cli.run("rewrite", SPLIT.toString(), out.toString(), "--shared-data");
    assertEquals(0, rewrite.code(), rewrite.err());
    // what mkdir makes in the same place under this process's umask
    Path plain = Files.createDirectory(dir.resolve("plain"));
    assertEquals(
        PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
        PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
  }

  @Test
  void underUmask022ANewOutputFolderIsDrwxrXrX() throws Exception {
    Path out = dir.resolve("tied");
    String command =
        "umask 022; CLASSPATH=\"$CP\" exec '"
            + JAVA
            + "' dev.onnxtie.cli.OnnxTieCli rewrite '"
            + SPLIT
            + "' '"
            + out
            + "'";
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-c", command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.txt").toFile());
    builder.environment().put("CP", CLASS_PATH);
    Process process = builder.start();
    assertTrue(process.waitFor(180, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), Files.readString(dir.resolve("out.txt")));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
  }

  @Test
  void fiveInPlaceSharedDataRewritesLeaveTheSameNamesAndBytes() throws Exception {
    Path folder = dir.resolve("exported");
    Files.createDirectories(folder);
    try (Stream<Path> files = Files.list(SPLIT)) {
      for (Path file : files.toList()) {
        Files.copy(file, folder.resolve(file.getFileName().toString()));
      }
    }
    Cli first = Cli.run("rewrite", folder.toString(), folder.toString(), "--shared-data");
    assertEquals(0, first.code(), first.err());
    Map<String, String> after = snapshot(folder);
    assertTrue(after.containsKey("shared.onnx.data"), after.keySet().toString());
    for (int run = 2; run <= 5; run++) {
      Cli again = Cli.run("rewrite", folder.toString(), folder.toString(), "--shared-data");
      assertEquals(0, again.code(), again.err());
      assertEquals(after, snapshot(folder), "run " + run);
      assertTrue(
          again.out().contains("note: nothing changed: " + folder + " already holds this output"),
          again.out());
      assertFalse(again.out().contains("bigger"), again.out());
      assertTrue(again.out().contains("(data file shared.onnx.data)"), again.out());
    }
  }

  @Test
  void aChangingInPlaceSharedRewriteRunAgainLeavesTheSameNamesAndBytes() throws Exception {
    Path folder = copyOfSplit("exported");
    Cli first = Cli.run("rewrite", folder.toString(), folder.toString(), "--shared-data");
    assertEquals(0, first.code(), first.err());
    // a different form changes the models, so the new shared data file is staged under another name
    // while the replaced models read shared.onnx.data; it must get the usual name back
    Cli changing =
        Cli.run("rewrite", folder.toString(), folder.toString(), "--shared-data", "--form", "gemm");
    assertEquals(0, changing.code(), changing.err());
    Map<String, String> after = snapshot(folder);
    assertEquals(
        List.of(
            "decoder_model.onnx",
            "decoder_with_past_model.onnx",
            "encoder_model.onnx",
            "shared.onnx.data"),
        List.copyOf(after.keySet()),
        "the data file keeps its usual name after a changing in-place rewrite");
    Cli again =
        Cli.run("rewrite", folder.toString(), folder.toString(), "--shared-data", "--form", "gemm");
    assertEquals(0, again.code(), again.err());
    assertEquals(after, snapshot(folder), "the same command again changes no name and no byte");
    assertTrue(
        again.out().contains("note: nothing changed: " + folder + " already holds this output"),
        again.out());
  }

  @Test
  void perModelBytesOfAnInPlaceSharedRewriteAreTheFilesMeasuredBeforeAndAfter() throws Exception {
    Path folder = copyOfSplit("exported");
    // the inputs hold their tensors inline; then a shared folder rewritten with a change; then one
    // that changes nothing
    List<List<String>> runs =
        List.of(
            List.of("--shared-data"),
            List.of("--shared-data", "--form", "gemm"),
            List.of("--shared-data", "--form", "gemm"));
    for (List<String> extra : runs) {
      Map<String, Long> sizes = new TreeMap<>();
      for (String name :
          List.of("decoder_model.onnx", "decoder_with_past_model.onnx", "encoder_model.onnx")) {
        sizes.put(name, Files.size(folder.resolve(name)));
      }
      List<String> args =
          new ArrayList<>(List.of("rewrite", folder.toString(), folder.toString(), "--json"));
      args.addAll(extra);
      Cli run = Cli.run(args.toArray(String[]::new));
      assertEquals(0, run.code(), run.err());
      var result = JsonOutput.result(run);
      assertEquals(3, result.getAsJsonArray("models").size(), run.out());
      for (var element : result.getAsJsonArray("models")) {
        var model = element.getAsJsonObject();
        String name = Path.of(model.get("input").getAsString()).getFileName().toString();
        // the shared data file, read by every model, is counted in the folder's totals only
        assertEquals(
            sizes.get(name), model.get("bytesBefore").getAsLong(), extra + " " + name + " before");
        assertEquals(
            Files.size(folder.resolve(name)),
            model.get("bytesAfter").getAsLong(),
            extra + " " + name + " after");
      }
    }
  }

  Path copyOfSplit(String name) throws IOException {
    Path folder = Files.createDirectories(dir.resolve(name));
    try (Stream<Path> files = Files.list(SPLIT)) {
      for (Path file : files.toList()) {
        Files.copy(file, folder.resolve(file.getFileName().toString()));
      }
    }
    return folder;
  }

  /** File names and a digest of each file's bytes. */
  static Map<String, String> snapshot(Path folder) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> list = Files.list(folder)) {
      for (Path file : list.toList()) {
        files.put(
            file.getFileName().toString(),
            HexFormat.of().formatHex(sha256(Files.readAllBytes(file))));
      }
    }
    return files;
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void ctrlCEndsTheProgressLineSaysInterruptedAndLeavesNothing() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path cache = Files.createDirectories(dir.resolve("cache"));
    Path work = Files.createDirectories(dir.resolve("work"));
    List<String> command = new ArrayList<>(TestJvm.cli("-Djava.io.tmpdir=" + tmp));
    command.addAll(
        List.of(
            "rewrite",
            GPT2.toString(),
            work.resolve("tied.onnx").toString(),
            "--verify",
            "--runs",
            "100000"));
    command = Pty.interruptedAfter("run 3 of", command);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("screen").toFile());
    builder.environment().put("XDG_CACHE_HOME", cache.toString());
    builder.environment().put("TERM", "xterm");
    Process process = builder.start();
    assertTrue(process.waitFor(300, TimeUnit.SECONDS), "timed out");
    String screen = Files.readString(dir.resolve("screen"), StandardCharsets.UTF_8);
    assertEquals(130, process.exitValue(), screen);
    // the status line cleared, then one line that says what happened
    assertTrue(
        screen.endsWith("\r\033[Konnx-tie: interrupted\r\n"),
        screen.substring(Math.max(0, screen.length() - 300)));
    try (Stream<Path> left = Files.list(work)) {
      assertEquals(List.of(), left.toList(), "nothing written");
    }
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.toList(), "nothing in the temp folder");
    }
  }
}
