package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.api.ApiTestAccess;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.RewrittenModel;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The background page toucher of a rewrite: harmless on a shrinking file, invisible in the output.
 */
class PrefaultTest {
  @Test
  void aMappingWhoseFileShrankStopsTheToucherQuietly(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("data.bin");
    Files.write(file, new byte[3 << 20]);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
      assertTrue(Prefault.touch(List.of(TensorBytes.of(mapped))));
      try (RandomAccessFile shrink = new RandomAccessFile(file.toFile(), "rw")) {
        shrink.setLength(4096);
      }
      // the pages past the end fault (SIGBUS): the toucher ends without an error of its own
      MappedByteBuffer again = channel.map(FileChannel.MapMode.READ_ONLY, 0, 4096);
      assertTrue(Prefault.touch(List.of(TensorBytes.of(again))));
      assertFalse(Prefault.touch(List.of(TensorBytes.of(mapped))));
    }
  }

  @Test
  void aRewriteThatTouchesPagesAheadWritesWhatOneWithoutWrites(@TempDir Path dir)
      throws IOException {
    // a 2 MiB embedding and its transpose: the model file is large enough for the toucher to start
    Path in = TestModels.save(TestModels.embeddingAndHead(4096, 128), dir.resolve("model.onnx"));
    assertTrue(Files.size(in) > 2 * Prefault.MIN_BYTES);
    RewriteReport report = OnnxTie.rewrite(in, dir.resolve("out.onnx"), RewriteOptions.defaults());
    assertEquals(1, report.result().ties().size(), report.toString());
    try (OnnxModel model = ModelIO.read(in, false)) {
      RewrittenModel rewritten =
          OnnxTie.rewrite(ApiTestAccess.wrap(model), RewriteOptions.defaults());
      ModelIO.write(
          ApiTestAccess.unwrap(rewritten.model()),
          dir.resolve("plain.onnx"),
          WriteOptions.defaults());
    }
    assertArrayEquals(
        Files.readAllBytes(dir.resolve("plain.onnx")), Files.readAllBytes(dir.resolve("out.onnx")));
  }
}
