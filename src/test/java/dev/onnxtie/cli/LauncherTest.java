package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.onnxtie.Cli;
import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code onnx-tie} launcher script, installed as a user installs it: a symbolic link on PATH,
 * called from another folder. {@code mvn} and {@code java} are stand-ins that record their
 * arguments, so the script's decisions (build or not, which jar, which profile, the AppCDS archive)
 * are checked in milliseconds; the real build through a symbolic link runs in {@code .ci/run}.
 */
class LauncherTest {
  @TempDir Path dir;
  Path clone;
  Path bin;
  Path elsewhere;
  Path stubs;
  Path log;

  @BeforeEach
  void install() throws IOException {
    clone = Files.createDirectories(dir.resolve("clone"));
    Files.copy(TestModels.samples().getParent().resolve("onnx-tie"), clone.resolve("onnx-tie"));
    Files.createDirectories(clone.resolve("src/main"));
    Files.createDirectories(clone.resolve("proto"));
    Files.writeString(clone.resolve("pom.xml"), "<project/>");
    old(clone.resolve("pom.xml"));
    bin = Files.createDirectories(dir.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("onnx-tie"), clone.resolve("onnx-tie"));
    elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    stubs = Files.createDirectories(dir.resolve("stubs"));
    log = dir.resolve("calls.log");
    // java: records its arguments; the AppCDS training run creates the archive it is asked for
    script(
        "java",
        "echo \"java $*\" >> " + log,
        "for a in \"$@\"; do case \"$a\" in -XX:ArchiveClassesAtExit=*) echo cds > \"${a#*=}\" ;; esac; done");
  }

  /**
   * Maven that prints escape codes (as Maven 3.8 does even with -B -q) and builds a jar holding
   * {@code content}.
   */
  void maven(int exitCode, String content) throws IOException {
    script(
        "mvn",
        "echo \"mvn $* (in $PWD)\" >> " + log,
        "printf '\\033[0m\\033[0m\\033[1;31m[ERROR]\\033[m something broke\\n' >&2",
        exitCode == 0
            ? "mkdir -p target && printf '" + content + "' > target/onnx-tie-9-cli.jar"
            : "true",
        "exit " + exitCode);
  }

  @Test
  void firstCallThroughASymlinkBuildsInTheCloneAndRunsTheJarWithItsArchive() throws Exception {
    maven(0, "cpu");
    Run run = launch("--version");
    assertEquals(0, run.code, run.err);
    List<String> calls = Files.readAllLines(log);
    assertTrue(
        calls
            .get(0)
            .startsWith(
                "mvn -B -Dstyle.color=never -DskipTests -Dmaven.test.skip=true package (in "
                    + clone.toRealPath()),
        calls.toString());
    assertTrue(
        run.err.contains(
            "first use: Maven downloads the libraries from Maven Central, about a minute"),
        run.err);
    Path jar = clone.resolve("target/onnx-tie-cli.jar");
    assertEquals("cpu", Files.readString(jar));
    // the AppCDS archive: made once by a training run, then passed to every call
    assertTrue(calls.get(1).contains("-XX:ArchiveClassesAtExit="), calls.toString());
    String last = calls.get(calls.size() - 1);
    assertTrue(
        last.contains(
            "-XX:SharedArchiveFile=" + clone.toRealPath().resolve("target/onnx-tie-cli.jsa")),
        last);
    assertTrue(
        last.endsWith(
            "-jar " + clone.toRealPath().resolve("target/onnx-tie-cli.jar") + " --version"),
        last);

    Files.delete(log);
    Run again = launch("inspect", "m.onnx");
    assertEquals(0, again.code, again.err);
    assertEquals("", again.err);
    List<String> second = Files.readAllLines(log);
    assertEquals(1, second.size(), "no build, no training run: " + second);
  }

  @Test
  void aBuildFailureShowsMavensMessageWithoutEscapeCodes() throws Exception {
    maven(1, "");
    Run run = launch("--version");
    assertEquals(3, run.code);
    assertFalse(run.err.contains("\033"), run.err);
    assertTrue(run.err.contains("[ERROR] something broke"), run.err);
    assertTrue(run.err.contains("build failed (full log: "), run.err);
  }

  @Test
  void afterMvnPgpuPackageTheLauncherRunsTheNewJarAndRebuildsWithTheSameProfile() throws Exception {
    maven(0, "cpu");
    assertEquals(0, launch("--version").code);
    // the user runs 'mvn -Pgpu package': a newer jar with the CUDA provider in it
    Path built = clone.resolve("target/onnx-tie-9-cli.jar");
    Files.writeString(
        built, "gpu ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so");
    Files.setLastModifiedTime(built, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    Files.delete(log);
    assertEquals(0, launch("--version").code);
    assertTrue(Files.readString(clone.resolve("target/onnx-tie-cli.jar")).startsWith("gpu"));
    assertTrue(
        Files.readAllLines(log).stream().noneMatch(line -> line.startsWith("mvn")),
        Files.readAllLines(log).toString());
    // sources change: the rebuild keeps the CUDA build
    Path source = Files.writeString(clone.resolve("src/main/Changed.java"), "class Changed {}");
    Files.setLastModifiedTime(source, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    Run rebuild = launch("--version");
    assertEquals(0, rebuild.code, rebuild.err);
    assertTrue(rebuild.err.contains("rebuilding target/onnx-tie-cli.jar (-Pgpu)"), rebuild.err);
    assertTrue(
        Files.readAllLines(log).stream()
            .anyMatch(
                line ->
                    line.startsWith(
                        "mvn -B -Dstyle.color=never -DskipTests -Dmaven.test.skip=true -Pgpu package")));
  }

  @Test
  void aLongBuildSaysWhatItDoesAtLeastEveryFiveSeconds() throws Exception {
    script(
        "mvn",
        "echo \"mvn $* (in $PWD)\" >> " + log,
        "echo '[INFO] --- maven-compiler-plugin:3.13.0:compile (default-compile) @ onnx-tie ---'",
        "echo 'Downloaded from central: https://repo.maven.apache.org/maven2/x/y.jar (2.5 MB at 1.2 MB/s)'",
        "sleep 6",
        "echo '[INFO] --- maven-shade-plugin:3.6.0:shade (default) @ onnx-tie ---'",
        "sleep 6",
        "mkdir -p target && printf cpu > target/onnx-tie-9-cli.jar");
    Run run = launch("--version");
    assertEquals(0, run.code, run.err);
    List<String> status =
        run.err.lines().filter(line -> line.startsWith("onnx-tie: building, ")).toList();
    assertTrue(status.size() >= 2, run.err);
    assertTrue(
        status
            .get(0)
            .matches(
                "onnx-tie: building, downloading libraries and build plugins from Maven Central "
                    + "\\(1 files, 2 MB downloaded\\), [5-9] s"),
        status.toString());
    assertTrue(
        status
            .get(status.size() - 1)
            .matches(
                "onnx-tie: building, packaging the jar \\(1 files, 2 MB downloaded\\), (9|1[0-9]) s"),
        status.toString());
  }

  @Test
  void installLinksTheLauncherIntoAFolderItCreatesAndSaysWhetherItIsOnPath() throws Exception {
    Path target = dir.resolve("new/bin");
    Run run = launch("install", target.toString());
    assertEquals(0, run.code, run.err);
    assertEquals(clone.resolve("onnx-tie").toRealPath(), target.resolve("onnx-tie").toRealPath());
    assertTrue(run.out.contains("installed: " + target.toRealPath().resolve("onnx-tie")), run.out);
    assertTrue(run.out.contains(target.toRealPath() + " is not on PATH: add it"), run.out);
    assertTrue(Files.notExists(log), "no build for an install");
    // the command it suggests runs the launcher through the new link
    String suggested =
        run.out.substring(run.out.indexOf(", or run ") + ", or run ".length()).strip();
    assertEquals(target.toRealPath().resolve("onnx-tie") + " --version", suggested);
    maven(0, "cpu");
    ProcessBuilder directly =
        new ProcessBuilder(List.of(suggested.split(" ")))
            .directory(elsewhere.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("direct.txt").toFile());
    directly.environment().put("PATH", stubs + ":/usr/bin:/bin");
    Process direct = directly.start();
    assertTrue(direct.waitFor(60, TimeUnit.SECONDS));
    assertTrue(
        Files.readAllLines(log).stream()
            .anyMatch(line -> line.startsWith("java ") && line.endsWith(" --version")),
        Files.readString(dir.resolve("direct.txt")));
    // again, with the folder on PATH: the link is replaced, and the line says so
    List<String> command =
        List.of(bin.resolve("onnx-tie").toString(), "install", target.toString());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(elsewhere.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("again.txt").toFile());
    builder.environment().put("PATH", target.toRealPath() + ":" + stubs + ":/usr/bin:/bin");
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue());
    assertTrue(
        Files.readString(dir.resolve("again.txt"))
            .contains(target.toRealPath() + " is on PATH: run 'onnx-tie --version'"),
        Files.readString(dir.resolve("again.txt")));
    Files.delete(log);
    ProcessBuilder onPath =
        new ProcessBuilder(List.of("bash", "-c", "onnx-tie --version"))
            .directory(elsewhere.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("onpath.txt").toFile());
    onPath.environment().put("PATH", target.toRealPath() + ":" + stubs + ":/usr/bin:/bin");
    Process viaPath = onPath.start();
    assertTrue(viaPath.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, viaPath.exitValue(), Files.readString(dir.resolve("onpath.txt")));
    assertTrue(
        Files.readAllLines(log).stream()
            .anyMatch(line -> line.startsWith("java ") && line.endsWith(" --version")));
    // a file of another program there is left alone
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.writeString(other.resolve("onnx-tie"), "not ours");
    Run refused = launch("install", other.toString());
    assertEquals(2, refused.code);
    assertEquals("not ours", Files.readString(other.resolve("onnx-tie")));
  }

  @Test
  void versionNamesTheLibrariesAndTheCudaProvider() {
    Cli result = Cli.run("--version");
    assertEquals(0, result.code(), result.err());
    assertTrue(result.out().matches("(?s)onnx-tie \\S+.*"), result.out());
    assertTrue(result.out().contains("ONNX Runtime 1.29.0 (onnxruntime"), result.out());
    assertTrue(result.out().contains("protobuf-java 4.33.5"), result.out());
    assertTrue(result.out().contains("CUDA provider"), result.out());
  }

  /**
   * ONNX Runtime 1.29's native start-up crashes (SIGSEGV, exit 139) when the process's command line
   * passes about 4 KiB: the launcher hands a long argument list to the JVM through an argument
   * file. Two models in a deep folder (2,000-odd characters each, the way CI workspaces nest) whose
   * names hold a space, both quotes, a backslash, a tab and a non-ASCII letter: {@code verify}
   * loads ONNX Runtime, compares them and names both paths exactly as given. The old launcher
   * crashed here.
   */
  @Test
  void aLongCommandLineReachesTheJvmWholeThroughAnArgumentFile() throws Exception {
    runnableJar();
    Path deep = dir.resolve("deep");
    for (int level = 0; level < 9; level++) {
      deep = deep.resolve(level + "-" + "x".repeat(240));
    }
    deep = Files.createDirectories(deep.resolve("odd 'name\" \\ \t é"));
    Path a = deep.resolve("a.onnx");
    Path b = deep.resolve("b.onnx");
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), a);
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), b);
    assertTrue(a.toString().length() + b.toString().length() > 4096, "too short to crash");
    Shell run =
        shell(
            "onnx-tie verify --json \"$A\" \"$B\"",
            null,
            "A",
            a.toString(),
            "B",
            b.toString(),
            "LC_ALL",
            "C.UTF-8");
    assertEquals(0, run.code(), run.err());
    JsonObject result =
        JsonParser.parseString(run.out()).getAsJsonObject().getAsJsonObject("result");
    assertTrue(result.get("passed").getAsBoolean(), run.out());
    assertEquals(a.toString(), result.get("a").getAsString());
    assertEquals(b.toString(), result.get("b").getAsString());
    // a short command line still goes on the command line itself (no argument file, no fork)
    Shell plain = shell("onnx-tie --version", null);
    assertEquals(0, plain.code(), plain.err());
  }

  /**
   * target/onnx-tie-cli.jar of the clone as a runnable jar over this build's classes (its
   * manifest's class path names the test class path), newer than the clone's sources: the launcher
   * runs it without building.
   */
  void runnableJar() throws IOException {
    StringBuilder classPath = new StringBuilder();
    for (String entry : TestJvm.CLASS_PATH.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        classPath.append(Path.of(entry).toUri().toURL()).append(' ');
      }
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, TestJvm.CLI_MAIN);
    manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath.toString().strip());
    Path jar = Files.createDirectories(clone.resolve("target")).resolve("onnx-tie-cli.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      // the manifest is all it holds
    }
  }

  record Run(int code, String err, String out) {}

  record Shell(int code, String out, String err) {}

  /**
   * Runs a bash command line with the launcher on PATH and the real JVM as {@code java}; stdout and
   * stderr apart.
   */
  Shell shell(String commandLine, String javaOpts, String... environment) throws Exception {
    Path realJava = Path.of(TestJvm.JAVA);
    Files.deleteIfExists(stubs.resolve("java"));
    Files.createSymbolicLink(stubs.resolve("java"), realJava);
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-c", commandLine)
            .directory(elsewhere.toFile())
            .redirectOutput(dir.resolve("out.txt").toFile())
            .redirectError(dir.resolve("err.txt").toFile());
    builder.environment().put("PATH", bin + ":" + stubs + ":/usr/bin:/bin");
    builder.environment().put("ONNX_TIE_CDS", "0");
    builder.environment().remove("JAVA_OPTS");
    if (javaOpts != null) {
      builder.environment().put("JAVA_OPTS", javaOpts);
    }
    for (int i = 0; i + 1 < environment.length; i += 2) {
      builder.environment().put(environment[i], environment[i + 1]);
    }
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "timed out: " + commandLine);
    return new Shell(
        process.exitValue(),
        Files.readString(dir.resolve("out.txt")),
        Files.readString(dir.resolve("err.txt")));
  }

  /**
   * Under an address-space limit the JVM cannot start in, the launcher fails in one line on stderr
   * with exit 2 and nothing on stdout (the JVM itself would print two lines on stdout and exit 1,
   * the code of a failed check); the settings it suggests do start the JVM under that limit and
   * check the model. A JAVA_OPTS the JVM refuses fails the same way.
   */
  @Test
  void aJvmThatCannotStartFailsInOneLineOnStderr() throws Exception {
    maven(0, "cpu");
    Path model = TestModels.samples().resolve("gpt2_tied/model.onnx");
    shell(
        "onnx-tie --version", null); // the first call builds (here: Maven's stand-in), and says so
    Shell limited = shell("ulimit -v 2000000; onnx-tie check " + model + " --json", null);
    System.out.println(
        "launcher under ulimit -v 2000000: exit "
            + limited.code()
            + ", stdout "
            + limited.out().length()
            + " chars, stderr: "
            + limited.err().strip());
    assertEquals(2, limited.code(), limited.err());
    assertEquals("", limited.out());
    assertEquals(1, limited.err().lines().count(), limited.err());
    assertTrue(
        limited
            .err()
            .startsWith(
                "onnx-tie: the Java VM cannot start within this shell's address-space limit (ulimit -v 2000000 KiB): "),
        limited.err());
    assertTrue(limited.err().contains("ulimit -v unlimited"), limited.err());
    // the fix it names: those JAVA_OPTS start the JVM under the same limit, and the check runs
    Matcher suggested = Pattern.compile("JAVA_OPTS='([^']+)'").matcher(limited.err());
    assertTrue(suggested.find(), limited.err());
    String classpath = TestJvm.CLASS_PATH;
    Shell fixed =
        shell(
            "ulimit -v 2000000; exec java "
                + suggested.group(1)
                + " -cp '"
                + classpath
                + "' dev.onnxtie.cli.OnnxTieCli check "
                + model
                + " --json",
            null);
    assertTrue(fixed.code() == 0 || fixed.code() == 1, fixed.err());
    assertTrue(fixed.out().startsWith("{"), fixed.out());

    // started, but a data file too large to map in what the limit leaves: the error says it is
    // about address space
    Path big = Files.createDirectories(dir.resolve("big"));
    long floats = 400_000_000L;
    var tensor =
        Onnx.TensorProto.newBuilder()
            .setName("w")
            .setDataType(1)
            .addDims(floats)
            .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
            .addExternalData(
                Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("big.data"));
    var graph =
        Onnx.GraphProto.newBuilder()
            .setName("big")
            .addInitializer(tensor)
            .addInput(TestModels.value("x", 1, floats))
            .addOutput(TestModels.value("y", 1, floats))
            .addNode(TestModels.node("Add", "add", List.of("x", "w"), List.of("y")));
    Files.write(big.resolve("model.onnx"), TestModels.model(graph.build()).toByteArray());
    try (RandomAccessFile data = new RandomAccessFile(big.resolve("big.data").toFile(), "rw")) {
      data.setLength(floats * 4); // sparse: 1.6 GB that take no disk
    }
    Shell unmappable =
        shell(
            "ulimit -v 2000000; exec java "
                + suggested.group(1)
                + " -cp '"
                + classpath
                + "' dev.onnxtie.cli.OnnxTieCli check "
                + big.resolve("model.onnx")
                + " --json",
            null);
    System.out.println(
        "a 1.6 GB data file under ulimit -v 2000000: exit "
            + unmappable.code()
            + ", stderr: "
            + unmappable.err().strip());
    assertEquals(2, unmappable.code(), unmappable.err());
    assertEquals(1, unmappable.err().lines().count(), unmappable.err());
    assertTrue(
        unmappable.err().contains("out of address space") && unmappable.err().contains("ulimit -v"),
        unmappable.err());
    assertTrue(unmappable.out().startsWith("{"), unmappable.out());

    Shell refused = shell("onnx-tie check " + model + " --json", "-Xmx99999999g");
    assertEquals(2, refused.code(), refused.err());
    assertEquals("", refused.out());
    assertEquals(1, refused.err().lines().count(), refused.err());
    assertTrue(
        refused
            .err()
            .startsWith("onnx-tie: the Java VM cannot start with JAVA_OPTS='-Xmx99999999g': "),
        refused.err());
  }

  Run launch(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(bin.resolve("onnx-tie").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(elsewhere.toFile())
            .redirectOutput(dir.resolve("out.txt").toFile())
            .redirectError(dir.resolve("err.txt").toFile());
    builder.environment().put("PATH", stubs + ":/usr/bin:/bin");
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "launcher timed out");
    return new Run(
        process.exitValue(),
        Files.readString(dir.resolve("err.txt")),
        Files.readString(dir.resolve("out.txt")));
  }

  void script(String name, String... lines) throws IOException {
    Path file = stubs.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  static void old(Path file) throws IOException {
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
  }
}
