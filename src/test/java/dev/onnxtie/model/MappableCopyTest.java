package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page-aligned external-data copy that verify loads single-file models from. */
class MappableCopyTest {
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");

  @TempDir Path temp;

  @Test
  void copyHoldsEveryLargeInitializerAtAnAlignedOffsetAndRunsTheSame() throws Exception {
    Map<String, ByteBuffer> expected =
        OrtRun.int64(GPT2, "input_ids", OrtRun.ids(2 * 16, 1000), 2, 16);
    try (OnnxModel original = ModelIO.read(GPT2);
        MappableCopy copy = MappableCopy.of(original, 0)) {
      assertNotNull(copy, "a single-file model gets a copy");
      Path folder = copy.model().getParent();
      long moved = 0;
      try (OnnxModel copied = ModelIO.read(copy.model())) {
        GraphProto before = original.proto().getGraph();
        GraphProto after = copied.proto().getGraph();
        assertEquals(before.getInitializerCount(), after.getInitializerCount());
        int external = 0;
        for (int i = 0; i < before.getInitializerCount(); i++) {
          TensorProto kept = before.getInitializer(i);
          TensorProto laidOut = after.getInitializer(i);
          assertEquals(kept.getName(), laidOut.getName());
          assertEquals(kept.getDimsList(), laidOut.getDimsList());
          boolean large = kept.getRawData().size() >= MappableCopy.EXTERNAL_MIN_BYTES;
          assertEquals(large, Tensors.isExternal(laidOut), kept.getName());
          if (large) {
            external++;
            moved += kept.getRawData().size();
            long offset = Long.parseLong(laidOut.getExternalData(1).getValue());
            assertEquals("offset", laidOut.getExternalData(1).getKey());
            assertEquals(0, offset % 4096, "page-aligned, so that ONNX Runtime maps it");
          }
          assertEquals(
              kept.getRawData(), copied.rawBytes(laidOut), kept.getName() + ": the same bytes");
        }
        assertTrue(external >= 2, "the sample's embedding and head lie in the data file");
        assertEquals(before.getNodeList(), after.getNodeList());
      }
      assertEquals(moved, copy.bytes());
      assertEquals(
          expected,
          OrtRun.int64(copy.model(), "input_ids", OrtRun.ids(2 * 16, 1000), 2, 16),
          "ONNX Runtime runs the copy the same");
      copy.close();
      assertFalse(Files.exists(folder), "closing deletes the copy");
    }
  }

  @Test
  void noCopyWhereItWouldNotHelp() throws IOException {
    try (OnnxModel model = ModelIO.read(GPT2)) {
      assertNull(
          MappableCopy.of(model, Files.size(GPT2) + 1), "fewer embedded bytes than asked for");
    }
    try (OnnxModel external = ModelIO.read(ExternalDataTest.copySample(temp))) {
      assertNull(MappableCopy.of(external, 0), "ONNX Runtime already reads external data itself");
    }
    try (OnnxModel streamed = ModelIO.read(Files.newInputStream(GPT2), "stdin")) {
      assertNull(MappableCopy.of(streamed, 0), "no file to copy ranges from");
    }
  }

  @Test
  void scanFollowsTheLastRawDataFieldAsProtobufDoes() throws IOException {
    byte[] first = {1, 2, 3, 4};
    byte[] last = {9, 8, 7, 6, 5};
    // 0x4A: field 9, length-delimited
    assertEquals(
        ByteBuffer.wrap(last), scanOfTwoRawData("two_raw.onnx", new byte[] {0x4A}, first, last));
  }

  /**
   * The bytes the scan finds for a tensor with two raw_data fields ({@link #twoRawData}), after
   * checking that protobuf keeps the second; null when the scan gives none.
   */
  private ByteBuffer scanOfTwoRawData(String name, byte[] tag, byte[] first, byte[] last)
      throws IOException {
    Path file = twoRawData(name, tag, first, last);
    GraphProto parsed = ModelProto.parseFrom(Files.readAllBytes(file)).getGraph();
    assertEquals(
        ByteString.copyFrom(last),
        parsed.getInitializer(0).getRawData(),
        "protobuf keeps the second field");
    return scannedBytes(file, parsed);
  }

  /**
   * The bytes at the scanned offset of the first initializer's raw_data, or null when the scan
   * gives none.
   */
  private static ByteBuffer scannedBytes(Path file, GraphProto parsed) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long[] offsets = MappableCopy.rawDataOffsets(channel, parsed);
      if (offsets == null) {
        return null;
      }
      ByteBuffer at = ByteBuffer.allocate(parsed.getInitializer(0).getRawData().size());
      channel.read(at, offsets[0]);
      return at.flip();
    }
  }

  /**
   * A tensor with two raw_data fields, the second under a tag written as {@code tag} (raw bytes).
   */
  private Path twoRawData(String name, byte[] tag, byte[] first, byte[] last) throws IOException {
    ByteArrayOutputStream tensor = new ByteArrayOutputStream();
    CodedOutputStream coded = CodedOutputStream.newInstance(tensor);
    coded.writeString(8, "w");
    coded.writeBytes(9, ByteString.copyFrom(first));
    coded.writeInt32(2, 2);
    coded.writeRawBytes(tag);
    coded.writeUInt32NoTag(last.length);
    coded.writeRawBytes(last);
    coded.flush();
    ByteArrayOutputStream graph = new ByteArrayOutputStream();
    coded = CodedOutputStream.newInstance(graph);
    coded.writeString(2, "g");
    coded.writeByteArray(5, tensor.toByteArray());
    coded.flush();
    Path file = temp.resolve(name);
    Files.write(file, wrapGraph(graph.toByteArray(), 1));
    return file;
  }

  @Test
  void scanReadsATagWithHighBitsAsProtobufDoes() throws IOException {
    byte[] zeros = new byte[8];
    byte[] ones = {1, 1, 1, 1, 1, 1, 1, 1};
    // field 9, wire type 2 (74), with bit 32 set: protobuf drops the high bits and reads raw_data
    byte[] tag = {(byte) 0xCA, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10};
    assertEquals(
        ByteBuffer.wrap(ones),
        scanOfTwoRawData("high_bits.onnx", tag, zeros, ones),
        "the bytes protobuf keeps");
  }

  @Test
  void scanFollowsAPaddedTagAsProtobufDoes() throws IOException {
    byte[] zeros = new byte[8];
    byte[] ones = {1, 1, 1, 1, 1, 1, 1, 1};
    // 74 in five bytes, nothing above bit 31: the same field to both readers
    byte[] tag = {(byte) 0xCA, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00};
    assertEquals(
        ByteBuffer.wrap(ones),
        scanOfTwoRawData("padded.onnx", tag, zeros, ones),
        "found, and the bytes protobuf keeps");
  }

  @Test
  void scanOfAnotherModelsFileGivesNoOffsets() throws IOException {
    Path other = twoRawData("other.onnx", new byte[] {0x4A}, new byte[8], new byte[8]);
    try (OnnxModel gpt2 = ModelIO.read(GPT2);
        FileChannel channel = FileChannel.open(other, StandardOpenOption.READ)) {
      assertNull(
          MappableCopy.rawDataOffsets(channel, gpt2.proto().getGraph()),
          "the parsed model is not this file's");
    }
  }

  @Test
  void aCopyIsAStagingFolderAndClearsThoseOfKilledProcesses() throws IOException {
    Path scratch = Files.createDirectories(temp.resolve("tmp"));
    // a killed verify's copy: its owner lock file exists but nobody holds it
    Path killed = Files.createDirectories(scratch.resolve(ModelIO.TEMP_PREFIX + "killed"));
    Files.write(killed.resolve(".lock"), new byte[0]);
    Files.write(killed.resolve("weights.data"), new byte[16]);
    Files.setLastModifiedTime(killed, FileTime.fromMillis(System.currentTimeMillis() - 20_000));
    String tempBefore = System.getProperty("java.io.tmpdir");
    System.setProperty("java.io.tmpdir", scratch.toString());
    try (OnnxModel model = ModelIO.read(GPT2);
        MappableCopy live = MappableCopy.of(model, 0)) {
      assertNotNull(live);
      assertFalse(Files.exists(killed), "a killed process's copy goes with the next copy");
      try (MappableCopy second = MappableCopy.of(model, 0)) {
        assertTrue(Files.exists(live.model()), "a live copy stays while another is made");
        assertTrue(
            second.model().getParent().getFileName().toString().startsWith(ModelIO.TEMP_PREFIX));
      }
    } finally {
      System.setProperty("java.io.tmpdir", tempBefore);
    }
    try (var left = Files.list(scratch)) {
      assertEquals(List.of(), left.toList(), "closing removes each copy");
    }
  }

  @Test
  void scanGivesUpOnASecondGraphField() throws IOException {
    ByteArrayOutputStream graph = new ByteArrayOutputStream();
    CodedOutputStream coded = CodedOutputStream.newInstance(graph);
    coded.writeMessage(
        5,
        TensorProto.newBuilder()
            .setName("w")
            .setDataType(2)
            .setRawData(ByteString.copyFrom(new byte[8]))
            .build());
    coded.flush();
    byte[] model = wrapGraph(graph.toByteArray(), 2);
    Path file = temp.resolve("two_graphs.onnx");
    Files.write(file, model);
    GraphProto merged = ModelProto.parseFrom(model).getGraph();
    assertEquals(2, merged.getInitializerCount(), "protobuf merges the two graph fields");
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      assertNull(MappableCopy.rawDataOffsets(channel, merged));
    }
  }

  /** A ModelProto with an ir_version and {@code times} copies of one graph field. */
  private static byte[] wrapGraph(byte[] graph, int times) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream coded = CodedOutputStream.newInstance(out);
    coded.writeInt64(1, 8);
    for (int i = 0; i < times; i++) {
      coded.writeByteArray(7, graph);
    }
    coded.flush();
    return out.toByteArray();
  }
}
