package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Resolves and maps the external data of tensors ({@code data_location = EXTERNAL}), lazily and
 * safely. A location must be a relative path under the model's folder: absolute paths, {@code ..},
 * symbolic links anywhere on the way, hard-linked files, non-regular files and offset/length ranges
 * outside the file are refused (the class of bugs behind CVE-2022-25882, CVE-2024-27318 and
 * CVE-2026-27489 in ONNX itself). Bytes are memory-mapped, never copied.
 */
public final class ExternalData implements AutoCloseable {
  /** Where a tensor's external bytes are: file (relative location), offset and length. */
  public record Location(String location, long offset, long length) {}

  /** Data files up to this size are mapped once as a whole; tests lower it to map tensor ranges. */
  static volatile long wholeFileLimit = Integer.MAX_VALUE;

  private final Path baseDir;
  private final Map<String, MappedFile> files = new HashMap<>();
  private final Map<Location, TensorBytes> views = new HashMap<>();

  private record MappedFile(Path path, FileChannel channel, long size, MappedByteBuffer whole) {}

  /**
   * A resolver for models in {@code baseDir}; {@code null} for a model that has no folder (read
   * from a stream), which then may not use external data.
   */
  public ExternalData(Path baseDir) {
    this.baseDir = baseDir;
  }

  /** The folder external locations resolve against, or null. */
  public Path baseDir() {
    return baseDir;
  }

  /**
   * Parses and checks the external_data entries of a tensor against the tensor's own size and the
   * data file, without reading the bytes.
   *
   * @throws OnnxTieException (bad input) naming the tensor and the problem
   */
  public Location locate(TensorProto tensor) {
    String name = tensor.getName();
    String location = null;
    Long offset = null;
    Long length = null;
    for (StringStringEntryProto entry : tensor.getExternalDataList()) {
      switch (entry.getKey()) {
        case "location" -> location = entry.getValue();
        case "offset" -> offset = parseNonNegative(name, "offset", entry.getValue());
        case "length" -> length = parseNonNegative(name, "length", entry.getValue());
        default -> {
          // checksum and unknown keys are informational here
        }
      }
    }
    if (location == null || location.isEmpty()) {
      throw OnnxTieException.badInput("tensor '" + name + "' is external but names no location");
    }
    long expected = Tensors.byteSize(tensor);
    if (length == null) {
      length = expected;
    } else if (length != expected) {
      throw OnnxTieException.badInput(
          "tensor '"
              + name
              + "' has external length "
              + length
              + " but its dims and dtype need "
              + expected
              + " bytes");
    }
    long start = offset == null ? 0 : offset;
    MappedFile file = open(name, location);
    if (start > file.size() || length > file.size() - start) {
      throw OnnxTieException.badInput(
          "tensor '"
              + name
              + "' reads bytes "
              + start
              + ".."
              + (start + length)
              + " of '"
              + location
              + "', which has only "
              + file.size()
              + " bytes");
    }
    return new Location(location, start, length);
  }

  /**
   * The bytes of an external tensor, memory-mapped, as one protobuf field (up to 2 GiB).
   *
   * @throws OnnxTieException (bad input) as {@link #locate} does, or when the tensor passes 2 GiB
   */
  public ByteString bytes(TensorProto tensor) {
    return tensorBytes(tensor).toByteString(tensor.getName());
  }

  /**
   * The bytes of an external tensor of any size, memory-mapped. A file of up to 2 GiB is mapped
   * once as a whole; in a larger one each tensor's range is mapped once. Either way the mapping is
   * reused by every later call, so no page of a data file is mapped (and counted) twice.
   *
   * @throws OnnxTieException (bad input) as {@link #locate} does
   */
  public TensorBytes tensorBytes(TensorProto tensor) {
    Location where = locate(tensor);
    synchronized (views) {
      TensorBytes cached = views.get(where);
      if (cached != null) {
        return cached;
      }
      MappedFile file = files.get(where.location());
      try {
        TensorBytes view =
            file.whole() != null
                ? TensorBytes.of(file.whole().slice((int) where.offset(), (int) where.length()))
                    .inFile(file.channel(), where.offset())
                : TensorBytes.map(file.channel(), where.offset(), where.length());
        views.put(where, view);
        return view;
      } catch (IOException e) {
        throw OnnxTieException.badInput(
            "cannot map external data '" + where.location() + "': " + ModelIO.describe(e), e);
      }
    }
  }

  /**
   * Checks that no data file read so far changed its size since it was opened (a file that shrinks
   * under a mapping makes reads fault; one that grows or shrinks was rewritten by someone else).
   *
   * @throws OnnxTieException (bad input) naming the file
   */
  public void checkUnchanged() {
    synchronized (views) {
      for (Map.Entry<String, MappedFile> entry : files.entrySet()) {
        MappedFile file = entry.getValue();
        long now;
        try {
          now = file.channel().size();
        } catch (IOException e) {
          now = -1;
        }
        if (now != file.size()) {
          throw OnnxTieException.badInput(
              "external data '"
                  + entry.getKey()
                  + "' changed size while being read ("
                  + file.size()
                  + " -> "
                  + now
                  + " bytes); nothing was written");
        }
      }
    }
  }

  /**
   * Opens every data file the model names (initializers and attribute tensors of all graphs) that
   * is not open yet, so that all of them are opened while the model file is known to be the one
   * parsed ({@link ModelIO#read(Path)} checks that after this call).
   *
   * @throws OnnxTieException (bad input) for a location that cannot be resolved or opened
   */
  void openAll(ModelProto model) {
    if (baseDir == null) {
      return;
    }
    ProtoGraphs.visit(
        model,
        (path, depth, graph) -> {
          List<TensorProto> tensors = new ArrayList<>(graph.getInitializerList());
          tensors.addAll(ProtoGraphs.attributeTensors(graph));
          for (TensorProto tensor : tensors) {
            if (Tensors.isExternal(tensor)) {
              for (StringStringEntryProto entry : tensor.getExternalDataList()) {
                if (entry.getKey().equals("location") && !entry.getValue().isEmpty()) {
                  open(tensor.getName(), entry.getValue());
                }
              }
            }
          }
        });
  }

  private static long parseNonNegative(String tensor, String key, String text) {
    try {
      long value = Long.parseLong(text.trim());
      if (value < 0) {
        throw OnnxTieException.badInput(
            "tensor '" + tensor + "' has negative external " + key + " " + value);
      }
      return value;
    } catch (NumberFormatException e) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor + "' has external " + key + " '" + text + "', not a number");
    }
  }

  private MappedFile open(String tensor, String location) {
    synchronized (views) {
      return openLocked(tensor, location);
    }
  }

  private MappedFile openLocked(String tensor, String location) {
    MappedFile open = files.get(location);
    if (open != null) {
      return open;
    }
    Path path = resolve(tensor, location);
    try {
      FileChannel channel =
          FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      long size = channel.size();
      MappedByteBuffer whole =
          size <= wholeFileLimit ? channel.map(FileChannel.MapMode.READ_ONLY, 0, size) : null;
      MappedFile file = new MappedFile(path, channel, size, whole);
      files.put(location, file);
      return file;
    } catch (IOException e) {
      throw OnnxTieException.badInput(
          "cannot read external data '"
              + location
              + "' of tensor '"
              + tensor
              + "': "
              + ModelIO.describe(e),
          e);
    }
  }

  /** Resolves a location under the base folder, refusing anything that could leave it. */
  Path resolve(String tensor, String location) {
    String where = "external data location '" + location + "' of tensor '" + tensor + "'";
    if (baseDir == null) {
      throw OnnxTieException.badInput(
          where + " cannot be resolved: the model was read from a stream, not a folder");
    }
    if (location.indexOf('\0') >= 0) {
      throw OnnxTieException.badInput(where + " contains a NUL character");
    }
    if (location.startsWith("/") || location.startsWith("\\") || location.matches("^[A-Za-z]:.*")) {
      throw OnnxTieException.badInput(
          where + " is absolute; it must be relative to the model's folder");
    }
    for (String part : location.split("[/\\\\]")) {
      if (part.equals("..")) {
        throw OnnxTieException.badInput(
            where + " contains '..'; it must stay inside the model's folder");
      }
    }
    Path base;
    try {
      base = baseDir.toRealPath();
    } catch (IOException e) {
      throw OnnxTieException.badInput(
          "cannot resolve the model's folder " + baseDir + ": " + e.getMessage(), e);
    }
    Path resolved = base.resolve(location).normalize();
    if (!resolved.startsWith(base)) {
      throw OnnxTieException.badInput(where + " leaves the model's folder");
    }
    Path walk = base;
    for (Path part : base.relativize(resolved)) {
      walk = walk.resolve(part);
      if (Files.isSymbolicLink(walk)) {
        throw OnnxTieException.badInput(
            where
                + " goes through the symbolic link '"
                + base.relativize(walk)
                + "'; symlinks are refused");
      }
    }
    if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
      throw OnnxTieException.badInput(where + " is missing: no file " + resolved);
    }
    if (!Files.isRegularFile(resolved, LinkOption.NOFOLLOW_LINKS)) {
      throw OnnxTieException.badInput(where + " is not a regular file");
    }
    try {
      Object links = Files.getAttribute(resolved, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
      if (links instanceof Integer count && count > 1 && linksInFolder(resolved) < count) {
        throw OnnxTieException.badInput(
            where + " is a file with " + count + " hard links; hard-linked data files are refused");
      }
    } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
      // no unix view on this file system: nothing more to check
    }
    return resolved;
  }

  /**
   * How many entries of the file's own folder are that file (hard links inside the folder). A file
   * all of whose links are in the model's folder holds no bytes from outside it (an in-place
   * rewrite links the new data file under its usual name for a moment before it removes the other).
   */
  private static int linksInFolder(Path file) {
    try (Stream<Path> entries = Files.list(file.getParent())) {
      Object key =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
              .fileKey();
      if (key == null) {
        return 0;
      }
      return (int)
          entries
              .filter(
                  entry -> {
                    try {
                      return key.equals(
                          Files.readAttributes(
                                  entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                              .fileKey());
                    } catch (IOException e) {
                      return false;
                    }
                  })
              .count();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Closes the data files; mapped buffers stay valid until they are collected. */
  @Override
  public void close() {
    for (MappedFile file : files.values()) {
      try {
        file.channel().close();
      } catch (IOException e) {
        // closing a read-only channel: nothing to recover
      }
    }
    files.clear();
    views.clear();
  }
}
