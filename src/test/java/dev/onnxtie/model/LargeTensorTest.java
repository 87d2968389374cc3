package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensors past 2 GiB without gigabytes of test data: chunks of a few bytes make every tensor of the
 * samples cross chunk boundaries (in the key, the compare and the write), and a sparse data file
 * stands in for one real 2 GiB tensor where nothing reads all of it.
 */
class LargeTensorTest {
  /**
   * Rewrites the external-data sample and the tied sample; returns each output folder's digest and
   * the report.
   */
  private static List<String> rewriteSamples(Path dir) throws Exception {
    Path external = ExternalDataTest.copySampleInto(dir.resolve("external"));
    Path tied = dir.resolve("tied");
    Files.createDirectories(tied);
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), tied.resolve("model.onnx"));
    Path out = Files.createDirectories(dir.resolve("out"));
    Cli first = Cli.run("rewrite", external.toString(), out.resolve("external.onnx").toString());
    Cli second =
        Cli.run(
            "rewrite",
            tied.resolve("model.onnx").toString(),
            out.resolve("tied.onnx").toString(),
            "--external-data");
    Cli check =
        Cli.run(
            "check", out.resolve("external.onnx").toString(), out.resolve("tied.onnx").toString());
    assertEquals(0, first.code(), first.err());
    assertEquals(0, second.code(), second.err());
    assertEquals(0, check.code(), check.out() + check.err());
    assertTrue(first.out().contains("  1 tie, "), first.out());
    return List.of(
        contents(out),
        first.out().replace(dir.toString(), ""),
        second.out().replace(dir.toString(), ""));
  }

  /** File names and a digest of each file's bytes. */
  private static String contents(Path folder) throws Exception {
    StringBuilder text = new StringBuilder();
    try (var files = Files.list(folder)) {
      for (Path file : files.sorted().toList()) {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        text.append(file.getFileName())
            .append(' ')
            .append(HexFormat.of().formatHex(digest))
            .append('\n');
      }
    }
    return text.toString();
  }

  @Test
  void tinyChunksAndRangeMappingsChangeNoByteOfTheOutput(@TempDir Path dir) throws Exception {
    List<String> expected = rewriteSamples(dir.resolve("default"));
    int shift = TensorBytes.chunkShift();
    long whole = ExternalData.wholeFileLimit;
    try {
      TensorBytes.setChunkShift(
          6); // 64-byte chunks: every row and every tile crosses chunk boundaries
      ExternalData.wholeFileLimit = 0; // map tensor ranges, as for a data file past 2 GiB
      List<String> chunked = rewriteSamples(dir.resolve("chunked"));
      assertEquals(expected.get(0), chunked.get(0));
      assertEquals(
          expected.subList(1, 3).toString().replace("/default/", "/x/"),
          chunked.subList(1, 3).toString().replace("/chunked/", "/x/"));
    } finally {
      TensorBytes.setChunkShift(shift);
      ExternalData.wholeFileLimit = whole;
    }
  }

  @Test
  void eachTensorRangeIsMappedOnce(@TempDir Path dir) throws Exception {
    long whole = ExternalData.wholeFileLimit;
    ExternalData.wholeFileLimit = 0;
    try (OnnxModel model = ModelIO.read(ExternalDataTest.copySample(dir))) {
      for (TensorProto tensor : model.proto().getGraph().getInitializerList()) {
        if (Tensors.isExternal(tensor)) {
          assertSame(model.tensorBytes(tensor), model.tensorBytes(tensor), tensor.getName());
        }
      }
    } finally {
      ExternalData.wholeFileLimit = whole;
    }
  }

  @Test
  void aTensorPastTwoGibibytesIsReadInChunks(@TempDir Path dir) throws Exception {
    long length = (1L << 31) + 48; // uint8 [2 GiB + 48]
    Path data = dir.resolve("big.data");
    try (RandomAccessFile file = new RandomAccessFile(data.toFile(), "rw")) {
      file.setLength(length); // sparse: no disk blocks, no test time
      file.seek(length - 8);
      file.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    }
    TensorProto big =
        TensorProto.newBuilder()
            .setName("big")
            .setDataType(DataType.UINT8.code())
            .addDims(length)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(
                StringStringEntryProto.newBuilder().setKey("location").setValue("big.data"))
            .addExternalData(
                StringStringEntryProto.newBuilder()
                    .setKey("length")
                    .setValue(Long.toString(length)))
            .build();
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("big")
            .addInitializer(big)
            .addNode(TestModels.node("Identity", "id", List.of("big"), List.of("y")))
            .addOutput(TestModels.value("y", DataType.UINT8.code(), length))
            .build();
    Path file = TestModels.save(TestModels.model(graph), dir.resolve("big.onnx"));
    try (OnnxModel model = ModelIO.read(file)) {
      TensorBytes bytes = model.tensorBytes(big);
      assertEquals(length, bytes.size());
      assertEquals(3, bytes.chunkCount());
      assertEquals(0x0807060504030201L, bytes.getLong(length - 8));
      assertEquals(0, bytes.getLong((1L << 30) - 4)); // straddles the first two chunks
      assertSame(bytes, model.tensorBytes(big));
      OnnxTieException field = assertThrows(OnnxTieException.class, () -> model.rawBytes(big));
      assertTrue(
          field.getMessage().contains("more than one protobuf field holds"), field.getMessage());
      OnnxTieException single =
          assertThrows(
              OnnxTieException.class,
              () ->
                  ModelIO.write(
                      model,
                      dir.resolve("one.onnx"),
                      WriteOptions.defaults().withLayout(WriteOptions.Layout.SINGLE_FILE, null)));
      assertEquals(OnnxTieException.BAD_INPUT, single.exitCode());
    }
    // a declared length past the file is still refused, in one line
    Cli inspected = Cli.run("inspect", file.toString(), "--min-bytes", Long.toString(length + 1));
    assertEquals(0, inspected.code(), inspected.err());
    try (RandomAccessFile shrink = new RandomAccessFile(data.toFile(), "rw")) {
      shrink.setLength(length - 1);
    }
    Cli shorter = Cli.run("inspect", file.toString(), "--min-bytes", Long.toString(length + 1));
    assertEquals(2, shorter.code(), shorter.err());
    assertEquals(1, shorter.errLines(), shorter.err());
    assertTrue(shorter.err().contains("has only"), shorter.err());
  }

  @Test
  void aDataFileThatChangesSizeWhileBeingReadIsBadInputAndNothingIsWritten(@TempDir Path dir)
      throws Exception {
    for (boolean shrink : new boolean[] {false, true}) {
      Path in = ExternalDataTest.copySampleInto(dir.resolve(shrink ? "shrink" : "grow"));
      Path data = in.resolveSibling("model.onnx.data");
      Path out = dir.resolve(shrink ? "shrunk.onnx" : "grown.onnx");
      try (OnnxModel model = ModelIO.read(in)) {
        for (TensorProto tensor : model.proto().getGraph().getInitializerList()) {
          if (Tensors.isExternal(tensor)) {
            model.tensorBytes(tensor); // opened and mapped
          }
        }
        try (RandomAccessFile file = new RandomAccessFile(data.toFile(), "rw")) {
          file.setLength(shrink ? 4096 : file.length() + 4096);
        }
        OnnxTieException failure =
            assertThrows(
                OnnxTieException.class, () -> ModelIO.write(model, out, WriteOptions.defaults()));
        assertEquals(OnnxTieException.BAD_INPUT, failure.exitCode());
        assertTrue(failure.getMessage().contains("changed"), failure.getMessage());
      }
      assertTrue(Files.notExists(out));
      try (var files = Files.list(dir)) {
        assertEquals(
            List.of(),
            files.filter(p -> p.getFileName().toString().startsWith(ModelIO.TEMP_PREFIX)).toList());
      }
    }
  }
}
