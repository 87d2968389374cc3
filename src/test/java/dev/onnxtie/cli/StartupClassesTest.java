package dev.onnxtie.cli;

import static dev.onnxtie.TestJvm.CLASS_PATH;
import static dev.onnxtie.TestJvm.JAVA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The classes every start loads can be kept in the launcher's class-data sharing archive: CDS skips
 * class files older than Java 6 (major version 50), which is what picocli's binary jar holds, so
 * picocli is compiled from its sources with ours (pom.xml). A return to the binary jar fails here.
 * And a run loads no class that start-up does not need: no annotation proxies (the commands build
 * picocli's model in code, see {@link Specs}) and no java.sql or java.time classes for picocli's
 * converters of those types. ({@code --json} still loads a few: Gson reads the annotations of the
 * JDK classes it writes, two proxies of JDK annotation types, and looks for java.sql's date types;
 * about 10 ms.)
 */
class StartupClassesTest {
  @Test
  void aRewriteLoadsNoAnnotationProxyNorPicocliTimeConverters(@TempDir Path dir) throws Exception {
    Path model = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Process process =
        new ProcessBuilder(
                JAVA,
                "-Xlog:class+load=info",
                "-cp",
                CLASS_PATH,
                "dev.onnxtie.cli.OnnxTieCli",
                "rewrite",
                model.toString(),
                dir.resolve("tied.onnx").toString())
            .redirectErrorStream(true)
            .start();
    String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), log);
    assertTrue(
        log.contains("1 tie, 256000 tensor bytes removed"),
        "the rewrite ran: " + log.substring(Math.max(0, log.length() - 2000)));
    List<String> unwanted =
        log.lines()
            .filter(line -> line.contains("[class,load]"))
            .filter(
                line ->
                    line.contains("__dynamic_proxy__")
                        || line.contains(" java.sql.")
                        || line.contains(" java.time.format."))
            .collect(Collectors.toList());
    assertEquals(List.of(), unwanted);
  }

  @Test
  void picocliAndTheCliAreJava17Bytecode() throws IOException {
    for (Class<?> type :
        new Class<?>[] {CommandLine.class, CommandLine.Model.CommandSpec.class, OnnxTieCli.class}) {
      int major = majorVersion(type);
      assertTrue(
          major >= 61,
          type.getName()
              + " has class file version "
              + major
              + "; class-data sharing needs 50 or more");
    }
  }

  private static int majorVersion(Class<?> type) throws IOException {
    String resource = "/" + type.getName().replace('.', '/') + ".class";
    try (InputStream in = type.getResourceAsStream(resource)) {
      assertNotNull(in, resource);
      DataInputStream data = new DataInputStream(in);
      data.readInt(); // 0xCAFEBABE
      data.readUnsignedShort(); // minor
      return data.readUnsignedShort();
    }
  }
}
