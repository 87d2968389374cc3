package dev.onnxtie.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Maven plugin (maven-plugin/) built and run end to end as a user's build runs it: this build's
 * classes are installed into the local repository as the tool's jar, then {@code mvn install} of
 * maven-plugin/ compiles the plugin and runs its invoker projects (src/it/gate, src/it/rewrite),
 * each a full {@code mvn verify} of a small project. The assertions read what those builds left:
 * their logs and the rewrite project's jar.
 *
 * <p>Offline when this build is ({@code -o}); the first build on a machine fetches the plugin
 * tooling (maven-plugin-plugin, maven-invoker-plugin) from Maven Central.
 */
class MavenPluginTest {
  static final Path ROOT = TestModels.samples().getParent();
  static final Path PLUGIN = ROOT.resolve("maven-plugin");
  static final Path IT = PLUGIN.resolve("target/it");
  static String buildOutput;
  static int buildCode;

  @BeforeAll
  static void buildThePluginAndRunItsProjects() throws Exception {
    Path work = ROOT.resolve("target/maven-plugin-test");
    Files.createDirectories(work);
    // the tool as the plugin depends on it: this build's classes in a jar, with the tool's pom
    Path jar = work.resolve("onnx-tie.jar");
    jar(ROOT.resolve("target/classes"), jar);
    List<String> maven = new ArrayList<>(List.of("mvn", "-B", "-Dstyle.color=never"));
    String outer = System.getenv().getOrDefault("MAVEN_CMD_LINE_ARGS", "");
    if ((" " + outer + " ").matches("(?s).*\\s(-o|--offline)\\s.*")) {
      maven.add("-o");
    }
    List<String> install = new ArrayList<>(maven);
    install.addAll(
        List.of(
            "-q",
            "org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file",
            "-Dfile=" + jar,
            "-DpomFile=" + ROOT.resolve("pom.xml")));
    Finished installed = run(install, ROOT, work.resolve("install.log"), 300);
    assertEquals(0, installed.code(), "installing the tool's jar:\n" + installed.output());
    List<String> build = new ArrayList<>(maven);
    // docs/pipelines.md's command: mvn -B -f maven-plugin/pom.xml clean install
    build.addAll(
        List.of("-f", ROOT.resolve("maven-plugin/pom.xml").toString(), "clean", "install"));
    Finished built = run(build, PLUGIN, work.resolve("plugin.log"), 900);
    buildCode = built.code();
    buildOutput = built.output();
  }

  @Test
  void pluginBuildsAndBothInvokerProjectsBehave() {
    assertEquals(0, buildCode, buildOutput);
    assertTrue(buildOutput.contains("Passed: 3, Failed: 0, Errors: 0, Skipped: 0"), buildOutput);
  }

  @Test
  void gateProjectFailsWithTheUntiedDuplicatesLine() throws IOException {
    String log = Files.readString(IT.resolve("gate/build.log"));
    // the CLI's line for the folded transposed copy of enc.0.weight, as 'onnx-tie check' prints it;
    // the model lies directly in src/main/resources, which the default src/main/resources/**/*.onnx
    // matches
    Matcher line =
        Pattern.compile(
                "\\[ERROR] (\\S*/src/main/resources/autoencoder\\.onnx): (\\S+) \\[64, 32] is"
                    + " transpose \\[1, 0] of enc\\.0\\.weight, wasting 8192 bytes")
            .matcher(log);
    assertTrue(line.find(), log);
    assertTrue(log.contains("[ERROR] check failed: "), log);
    assertTrue(log.contains("Failed to execute goal dev.onnxtie:onnx-tie-maven-plugin:"), log);
    assertTrue(log.contains(":check (default) on project gate: onnx-tie check failed"), log);
    assertTrue(log.contains("BUILD FAILURE"), log);
    // the lines the CLI prints for that file
    Cli cli = Cli.run("check", line.group(1));
    assertEquals(1, cli.code());
    // every line of it, then the plugin's hint (docs/pipelines.md shows the build's lines); the
    // fix's output path depends on the working folder (the build's is absolute), so a fix line is
    // compared up to the model it rewrites
    for (String cliLine : cli.out().lines().toList()) {
      String expected =
          cliLine.replaceAll(
              "; fix: .*",
              Matcher.quoteReplacement("; fix: onnx-tie rewrite " + line.group(1) + " "));
      assertTrue(
          log.contains("[ERROR] " + expected), expected + "\n-- not in the build log --\n" + log);
    }
    assertTrue(
        log.contains(
            "[ERROR] onnx-tie: or tie the copies the build packages: add the goal 'rewrite' of"
                + " onnx-tie-maven-plugin (see docs/pipelines.md)"),
        log);
  }

  @Test
  void rewriteProjectPackagesTheTiedModelAndItsTestRunsIt() throws Exception {
    String log = Files.readString(IT.resolve("rewrite/build.log"));
    assertTrue(log.contains("BUILD SUCCESS"), log);
    assertTrue(log.contains("verified in ONNX Runtime"), log);
    // the project's own test ran the packaged model in ONNX Runtime against the original
    assertTrue(log.contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), log);
    assertTrue(log.contains("AutoencoderTest: packaged model "), log);
    assertTrue(log.contains("check passed: no untied duplicates"), log);
    // the jar holds the tied model: smaller than the sample and without a duplicate left
    Path original = TestModels.samples().resolve("deep_autoencoder/model.onnx");
    Path packaged = ROOT.resolve("target/maven-plugin-test/packaged.onnx");
    try (JarFile jar = new JarFile(IT.resolve("rewrite/target/rewrite-1.0.jar").toFile());
        InputStream in = jar.getInputStream(jar.getEntry("models/model.onnx"))) {
      Files.write(packaged, in.readAllBytes());
    }
    assertTrue(OnnxTie.inspect(original, 64).wastedBytes() > 0, "the sample is untied");
    assertEquals(0, OnnxTie.inspect(packaged, 64).wastedBytes(), "the packaged model is tied");
    assertTrue(Files.size(packaged) < Files.size(original));
  }

  @Test
  void sharedProjectPackagesTheModelsAgainstOneDataFile() throws Exception {
    String log = Files.readString(IT.resolve("shared/build.log"));
    assertTrue(log.contains("BUILD SUCCESS"), log);
    assertTrue(log.contains(" bytes with shared data weights.data"), log);
    assertTrue(log.contains("check passed: no untied duplicates"), log);
    List<String> names =
        List.of("decoder_model.onnx", "decoder_with_past_model.onnx", "encoder_model.onnx");
    Path unpacked = ROOT.resolve("target/maven-plugin-test/shared");
    Files.createDirectories(unpacked);
    long before = 0;
    long after = 0;
    List<Path> models = new ArrayList<>();
    try (JarFile jar = new JarFile(IT.resolve("shared/target/shared-1.0.jar").toFile())) {
      for (String name : List.of(names.get(0), names.get(1), names.get(2), "weights.data")) {
        JarEntry entry = jar.getJarEntry("models/" + name);
        assertTrue(entry != null, "the jar holds models/" + name);
        try (InputStream in = jar.getInputStream(entry)) {
          Files.write(unpacked.resolve(name), in.readAllBytes());
        }
        after += Files.size(unpacked.resolve(name));
      }
    }
    for (String name : names) {
      before += Files.size(TestModels.samples().resolve("seq2seq_split").resolve(name));
      models.add(unpacked.resolve(name));
    }
    // tied within and across the files: the shared embedding is stored once for all three
    assertTrue(
        OnnxTie.check(models, 64, true, 1, Progress.NONE).passed(),
        "check across the packaged models passes");
    assertTrue(after < before, before + " -> " + after + " bytes");
  }

  @Test
  void pluginHasTheToolsVersion() throws IOException {
    Pattern version =
        Pattern.compile(
            "<artifactId>(onnx-tie(?:-maven-plugin)?)</artifactId>\\s*<version>([^<]+)</version>");
    Matcher tool = version.matcher(Files.readString(ROOT.resolve("pom.xml")));
    Matcher plugin = version.matcher(Files.readString(PLUGIN.resolve("pom.xml")));
    assertTrue(tool.find() && plugin.find());
    assertEquals("onnx-tie-maven-plugin", plugin.group(1));
    assertEquals(tool.group(2), plugin.group(2), "maven-plugin/pom.xml has the tool's version");
  }

  record Finished(int code, String output) {}

  static Finished run(List<String> command, Path dir, Path log, int timeoutSeconds)
      throws Exception {
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
      throw new AssertionError("timed out: " + command + "\n" + Files.readString(log));
    }
    return new Finished(process.exitValue(), Files.readString(log));
  }

  static void jar(Path classes, Path jar) throws IOException {
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream stream = new JarOutputStream(out);
        Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        stream.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
        Files.copy(file, stream);
        stream.closeEntry();
      }
    }
  }
}
