package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The classes every start loads can be kept in the launcher's class-data sharing archive: CDS skips
 * class files older than Java 6 (major version 50), which is what picocli's binary jar holds, so
 * picocli is compiled from its sources with ours (pom.xml). A return to the binary jar fails here.
 */
class StartupClassesTest {
  @Test
  void picocliAndTheCliAreJava17Bytecode() throws IOException {
    for (Class<?> type : new Class<?>[] {picocli.CommandLine.class, picocli.CommandLine.Model.CommandSpec.class, OnnxTieCli.class}) {
      int major = majorVersion(type);
      assertTrue(major >= 61, type.getName() + " has class file version " + major + "; class-data sharing needs 50 or more");
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
