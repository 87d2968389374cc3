package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.function.Consumer;

/**
 * Reads ONNX model files ({@link ModelIO#read}): memory-mapped, protobuf-java aliasing every {@code
 * bytes} field into the mapping, validated, and read again when the file changed while it was read.
 */
final class ModelReader {
  private ModelReader() {}

  /**
   * Reads and validates a model file.
   *
   * @throws OnnxTieException (bad input) for a missing, empty, oversized, malformed or hostile file
   */
  static OnnxModel read(Path file) {
    return read(file, false);
  }

  /**
   * Reads and validates a model file; with {@code prefault}, the pages of the file are touched on
   * another core from the moment it is mapped (for a command that reads every byte: see {@link
   * Prefault}).
   */
  static OnnxModel read(Path file, boolean prefault) {
    if (!Files.exists(file)) {
      throw OnnxTieException.badInput("no such model file: " + file);
    }
    if (Files.isDirectory(file)) {
      throw OnnxTieException.badInput(file + " is a folder, not a model file");
    }
    if (!Files.isRegularFile(file)) {
      throw OnnxTieException.badInput(file + " is not a regular file");
    }
    for (int attempt = 1; ; attempt++) {
      OnnxModel model = readOnce(file, prefault);
      if (model != null) {
        return model;
      }
      if (attempt == ModelIO.READ_ATTEMPTS) {
        throw OnnxTieException.badInput(
            file
                + " changed while reading (another writer replaced it "
                + ModelIO.READ_ATTEMPTS
                + " times while it was read); nothing was written; run again once it is done");
      }
    }
  }

  /**
   * One consistent read of a model and its data files, or null when the model file was replaced (or
   * changed) while it was read. The model is parsed from one open file; every data file it names is
   * then opened; then the path must still hold the file that was parsed (same device and inode,
   * size and modification time). Writers of this tool never change or replace a data file that the
   * model at a path reads before they rename a new model over that path, and an open data file
   * keeps its bytes when its name is taken by another file later: so a model unchanged after its
   * data files were opened was read together with the data written for it, never half old, half
   * new.
   */
  static OnnxModel readOnce(Path file, boolean prefault) {
    FileIdentity before = FileIdentity.of(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      FileIdentity opened = FileIdentity.of(file);
      if (before == null || !before.equals(opened)) {
        return null; // replaced between the look and the open: which one is open is not known
      }
      long size = channel.size();
      if (size != opened.size()) {
        return null;
      }
      if (size == 0) {
        throw OnnxTieException.badInput(file + " is empty, not an ONNX model");
      }
      if (size > Integer.MAX_VALUE) {
        throw OnnxTieException.badInput(
            file
                + " is larger than protobuf's 2 GiB limit; large models keep weights in external data");
      }
      ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
      if (prefault) {
        Prefault.file(mapped);
      }
      Path folder = file.toAbsolutePath().getParent();
      ModelProto proto;
      try {
        proto = parse(UnsafeByteOperations.unsafeWrap(mapped), file.toString());
      } catch (OnnxTieException e) {
        if (!opened.equals(FileIdentity.of(file))) {
          return null; // written in place while parsed
        }
        throw e;
      }
      delayForTests(file);
      OnnxModel model = new OnnxModel(proto, new ExternalData(folder), file);
      try {
        ModelValidator.validate(model);
        model.externalData().openAll(proto);
      } catch (OnnxTieException | InternalError e) {
        model.close();
        if (!opened.equals(FileIdentity.of(file))) {
          return null; // the data files were replaced with the model: what failed may be the mix
        }
        throw e;
      }
      if (!opened.equals(FileIdentity.of(file))) {
        model.close();
        return null;
      }
      return model;
    } catch (IOException e) {
      if (!Files.exists(file)) {
        return null; // removed between the look and the open: a rename over it is under way
      }
      throw OnnxTieException.badInput("cannot read " + file + ": " + describe(e), e);
    }
  }

  static void delayForTests(Path file) {
    Consumer<Path> hook = ModelIO.afterParseForTests;
    if (hook != null) {
      hook.accept(file);
    }
    long delay = Long.getLong(ModelIO.DELAY_PROPERTY, 0);
    if (delay > 0) {
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The message of an I/O error, naming address space where a mapping failed for want of it (the
   * JDK says only "Map failed").
   */
  static String describe(IOException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (message.contains("Map failed") || e.getCause() instanceof OutOfMemoryError) {
      return "Map failed: out of address space to map the file (a 'ulimit -v' limit or a heap too large for it; "
          + "raise it with 'ulimit -v unlimited' or lower JAVA_OPTS=-Xmx...)";
    }
    return message;
  }

  /**
   * What tells one file from another at a path: device and inode (where known), size, modification
   * time.
   */
  record FileIdentity(Object key, long size, FileTime modified) {
    static FileIdentity of(Path path) {
      try {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        return new FileIdentity(
            attributes.fileKey(), attributes.size(), attributes.lastModifiedTime());
      } catch (IOException e) {
        return null;
      }
    }
  }

  /**
   * Reads and validates a model from a stream (such as standard input). Such a model has no folder,
   * so external data is refused.
   */
  static OnnxModel read(InputStream in, String label) {
    try {
      byte[] bytes;
      try {
        bytes = in.readAllBytes();
      } catch (OutOfMemoryError e) {
        throw OnnxTieException.badInput(
            label
                + " holds more than fits in memory (over 2 GiB?); give models that large as files with external data");
      }
      if (bytes.length == 0) {
        throw OnnxTieException.badInput(label + " is empty, not an ONNX model");
      }
      OnnxModel model =
          new OnnxModel(
              parse(UnsafeByteOperations.unsafeWrap(bytes), label), new ExternalData(null), null);
      ModelValidator.validate(model);
      return model;
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot read " + label + ": " + e.getMessage(), e);
    }
  }

  static ModelProto parse(ByteString bytes, String label) {
    try {
      CodedInputStream input = bytes.newCodedInput();
      input.enableAliasing(true);
      input.setSizeLimit(Integer.MAX_VALUE);
      ModelProto model = ModelProto.parseFrom(input);
      input.checkLastTagWas(0);
      return model;
    } catch (InvalidProtocolBufferException e) {
      throw OnnxTieException.badInput(
          label
              + " is not a valid ONNX protobuf (truncated or corrupt): "
              + oneLine(e.getMessage()));
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot parse " + label + ": " + oneLine(e.getMessage()), e);
    }
  }

  static String oneLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }
}
