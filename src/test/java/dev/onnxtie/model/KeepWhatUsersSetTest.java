package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rewrite keeps what the user set on the files it replaces (mode; owner and group when run as
 * root), an output ending in {@code /} is a folder, and a missing folder above an output is refused
 * the same way for a file and a folder rewrite.
 */
class KeepWhatUsersSetTest {
  static String mode(Path file) throws Exception {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aFileRewrittenInPlaceKeepsItsMode(@TempDir Path dir) throws Exception {
    Path single =
        Files.copy(
            TestModels.samples().resolve("gpt2_tied/model.onnx"), dir.resolve("single.onnx"));
    Files.setPosixFilePermissions(single, PosixFilePermissions.fromString("rw-r-----"));
    Cli rewrite = Cli.run("rewrite", single.toString(), single.toString());
    assertEquals(0, rewrite.code(), rewrite.err());
    assertEquals("rw-r-----", mode(single));

    // external data: the model keeps 0640, its data file (back under its name) keeps 0600
    Path model = ExternalDataTest.copySampleInto(dir.resolve("external"));
    Files.setPosixFilePermissions(model, PosixFilePermissions.fromString("rw-r-----"));
    Files.setPosixFilePermissions(
        model.resolveSibling("model.onnx.data"), PosixFilePermissions.fromString("rw-------"));
    Cli external = Cli.run("rewrite", model.toString(), model.toString());
    assertEquals(0, external.code(), external.err());
    assertEquals(List.of("model.onnx", "model.onnx.data"), StagingTest.names(model.getParent()));
    assertEquals("rw-r-----", mode(model));
    assertEquals("rw-------", mode(model.resolveSibling("model.onnx.data")));
  }

  @Test
  void asRootAReplacedFileKeepsItsOwnerAndGroup(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "giving files to another owner needs root; skipped");
    Path single =
        Files.copy(
            TestModels.samples().resolve("gpt2_tied/model.onnx"), dir.resolve("single.onnx"));
    UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
    PosixFileAttributeView view = Files.getFileAttributeView(single, PosixFileAttributeView.class);
    view.setOwner(users.lookupPrincipalByName("nobody"));
    view.setGroup(users.lookupPrincipalByGroupName("nogroup"));
    Files.setPosixFilePermissions(single, PosixFilePermissions.fromString("rw-------"));
    Cli rewrite = Cli.run("rewrite", single.toString(), single.toString());
    assertEquals(0, rewrite.code(), rewrite.err());
    var after = Files.getFileAttributeView(single, PosixFileAttributeView.class).readAttributes();
    assertEquals("nobody", after.owner().getName());
    assertEquals("nogroup", after.group().getName());
    assertEquals("rw-------", mode(single));
  }

  @Test
  void anOutputEndingInASlashIsAFolder(@TempDir Path dir) throws Exception {
    Path model =
        Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), dir.resolve("m.onnx"));
    Path missing = dir.resolve("new");
    Cli refused = Cli.run("rewrite", model.toString(), missing + "/");
    assertEquals(2, refused.code(), refused.err());
    assertEquals(1, refused.errLines(), refused.err());
    assertTrue(
        refused.err().contains("output folder " + missing + "/ does not exist"), refused.err());
    assertFalse(Files.exists(missing), "a file named new was written");
    Files.createDirectory(missing);
    Cli into = Cli.run("rewrite", model.toString(), missing + "/");
    assertEquals(0, into.code(), into.err());
    assertEquals(List.of("m.onnx"), StagingTest.names(missing));
    assertEquals(0, Cli.run("inspect", missing.resolve("m.onnx").toString()).code());
  }

  @Test
  void aMissingFolderAboveTheOutputIsRefusedForFilesAndFolders(@TempDir Path dir) throws Exception {
    Path model = ExternalDataTest.copySampleInto(dir.resolve("in"));
    Path missing = dir.resolve("missing");
    Cli file = Cli.run("rewrite", model.toString(), missing.resolve("out.onnx").toString());
    assertEquals(2, file.code(), file.err());
    assertTrue(file.err().contains("output folder " + missing + " does not exist"), file.err());
    Cli folder =
        Cli.run("rewrite", model.getParent().toString(), missing.resolve("out").toString());
    assertEquals(2, folder.code(), folder.err());
    assertEquals(1, folder.errLines(), folder.err());
    assertTrue(folder.err().contains("output folder " + missing + " does not exist"), folder.err());
    assertEquals(List.of("in"), StagingTest.names(dir), "nothing was created");
  }
}
