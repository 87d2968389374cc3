package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads and writes ONNX model files.
 *
 * <p>Reading memory-maps the file and lets protobuf-java alias every {@code bytes} field into the
 * mapping, so weights are never copied: peak memory stays near the size of the model's structure.
 * External data is resolved lazily and safely by {@link ExternalData}.
 *
 * <p>Writing always goes to a staging folder in the target folder ({@value #TEMP_PREFIX}...) whose
 * files is fsync'ed and renamed into place, data file first, model last: a failure leaves no output
 * behind and an input is never modified, even when the output path is the input path.
 */
public final class ModelIO {
  /**
   * Prefix of the temporary files written next to an output; stale ones are removed by later
   * writes.
   */
  public static final String TEMP_PREFIX = ".onnx-tie-tmp-";

  /** One .onnx file must stay below this size (protobuf's 2 GiB limit, with a margin). */
  static final long SINGLE_FILE_LIMIT = 2_000_000_000L;

  /**
   * The limit in force: {@link #SINGLE_FILE_LIMIT}, lowered only by tests to exercise the switch.
   */
  static volatile long singleFileLimit = SINGLE_FILE_LIMIT;

  private ModelIO() {}

  /**
   * Reads and validates a model file.
   *
   * @throws OnnxTieException (bad input) for a missing, empty, oversized, malformed or hostile file
   */
  public static OnnxModel read(Path file) {
    return read(file, false);
  }

  /**
   * Reads and validates a model file; with {@code prefault}, the pages of the file are touched on
   * another core from the moment it is mapped (for a command that reads every byte: see {@link
   * Prefault}).
   */
  public static OnnxModel read(Path file, boolean prefault) {
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
      if (attempt == READ_ATTEMPTS) {
        throw OnnxTieException.badInput(
            file
                + " changed while reading (another writer replaced it "
                + READ_ATTEMPTS
                + " times while it was read); nothing was written; run again once it is done");
      }
    }
  }

  /** How often a model replaced while it is read is read again before the read is refused. */
  static final int READ_ATTEMPTS = 3;

  /**
   * Test hook: milliseconds to wait between the parse of a model and the opening of its data files,
   * so that tests can replace the model in that window (a race that takes luck otherwise). Never
   * set outside tests.
   */
  static final String DELAY_PROPERTY = "onnxtie.test.delayAfterParseMs";

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
  private static OnnxModel readOnce(Path file, boolean prefault) {
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

  /**
   * Test hook, set only by tests of this package: runs (with the model file) between the parse of a
   * model and the opening of its data files, where a writer that replaces the model makes a reader
   * see the new data under the old offsets unless the read is checked.
   */
  static volatile java.util.function.Consumer<Path> afterParseForTests;

  private static void delayForTests(Path file) {
    java.util.function.Consumer<Path> hook = afterParseForTests;
    if (hook != null) {
      hook.accept(file);
    }
    long delay = Long.getLong(DELAY_PROPERTY, 0);
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
  record FileIdentity(Object key, long size, java.nio.file.attribute.FileTime modified) {
    static FileIdentity of(Path path) {
      try {
        java.nio.file.attribute.BasicFileAttributes attributes =
            Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
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
  public static OnnxModel read(InputStream in, String label) {
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

  private static ModelProto parse(ByteString bytes, String label) {
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

  private static String oneLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  /**
   * Writes a model to {@code out} atomically, laying out tensors as {@code options} says.
   *
   * @return the files written (the model first, then its data file if any)
   * @throws OnnxTieException (bad input) when the target folder is missing or the layout impossible
   */
  public static List<Path> write(OnnxModel model, Path out, WriteOptions options) {
    return write(model, out, options, staged -> {});
  }

  /**
   * Writes a model atomically and lets {@code beforeRename} inspect the complete staged copy first
   * (e.g. load and verify it). The model and its data file are staged in a temporary folder
   * ({@value #TEMP_PREFIX}...) inside the target folder under their final names, fsync'ed, then
   * renamed into place, data file first. If {@code beforeRename} throws, nothing is written.
   *
   * @return the files written (the model first, then its data file if any)
   */
  public static List<Path> write(
      OnnxModel model, Path out, WriteOptions options, Consumer<Path> beforeRename) {
    Path target = out.toAbsolutePath().normalize();
    Path folder = target.getParent();
    if (folder == null || !Files.isDirectory(folder)) {
      throw OnnxTieException.badInput("output folder " + folder + " does not exist");
    }
    if (Files.isDirectory(target)) {
      throw OnnxTieException.badInput("output " + out + " is a folder; give a file name");
    }
    if (Files.exists(target) && !Files.isRegularFile(target)) {
      // a device or pipe such as /dev/null: stream into it; renaming over it would replace it
      if (options.layout() == WriteOptions.Layout.EXTERNAL) {
        throw OnnxTieException.badInput(
            "output " + out + " is not a regular file; it cannot have external data beside it");
      }
      try (OutputStream stream = Files.newOutputStream(target, StandardOpenOption.WRITE)) {
        write(model, stream);
      } catch (IOException e) {
        throw OnnxTieException.badInput("cannot write " + out + ": " + describe(e), e);
      }
      return List.of(target);
    }
    boolean hasExternal = hasExternalTensors(model.proto());
    WriteOptions.Layout layout = options.layout();
    if (layout == WriteOptions.Layout.AUTO) {
      layout =
          hasExternal || tensorBytes(model) > singleFileLimit
              ? WriteOptions.Layout.EXTERNAL
              : WriteOptions.Layout.SINGLE_FILE;
    }
    String wanted =
        options.dataFile() != null ? options.dataFile() : target.getFileName() + ".data";
    if (layout == WriteOptions.Layout.EXTERNAL) {
      checkDataFileName(wanted);
      if (wanted.equals(target.getFileName().toString())) {
        throw OnnxTieException.badInput(
            "the external data file cannot have the model's own name '" + wanted + "'");
      }
    } else if (tensorBytes(model) > singleFileLimit) {
      throw OnnxTieException.badInput(
          "the model's tensors pass protobuf's 2 GiB limit; write it with external data");
    }
    Staging.Plan plan =
        Staging.plan(
            folder,
            wanted,
            options.dataFile() != null,
            layout == WriteOptions.Layout.EXTERNAL,
            List.of(target),
            List.of(model));
    String dataName = plan.dataName();
    try (Staging staging = new Staging(folder)) {
      Path stagedModel = staging.resolve(target.getFileName().toString());
      Path stagedData = null;
      ModelProto written;
      if (layout == WriteOptions.Layout.EXTERNAL) {
        stagedData = staging.resolve(dataName);
        written = writeExternal(model, stagedData, dataName, options);
      } else {
        written = inline(model);
      }
      writeMessage(written, stagedModel);
      Staging.KeepName keep = null;
      if (stagedData != null
          && options.dataFile() == null
          && !dataName.equals(wanted)
          && plan.superseded().contains(wanted)) {
        // the replaced model reads the usual name: the new data goes back to it after the commit if
        // it can
        Path second = staging.resolve(Staging.KEEP_PREFIX + target.getFileName());
        writeMessage(relocate(written, dataName, wanted), second);
        keep = new Staging.KeepName(wanted, List.of(second));
      }
      model.externalData().checkUnchanged();
      beforeRename.accept(stagedModel);
      String installed =
          staging.commit(
              stagedData == null ? List.of() : List.of(stagedData),
              List.of(stagedModel),
              plan.superseded(),
              Map.of(target.getFileName().toString(), stagedData == null ? "" : dataName),
              keep);
      List<Path> files = new ArrayList<>();
      files.add(target);
      if (installed != null) {
        files.add(folder.resolve(installed));
      }
      return files;
    } catch (IOException e) {
      model
          .externalData()
          .checkUnchanged(); // a write from a mapping that lost its pages fails with EFAULT
      throw OnnxTieException.badInput("cannot write " + out + ": " + describe(e), e);
    } catch (InternalError e) {
      throw vanished(model, e);
    }
  }

  /**
   * A read of mapped bytes faulted (the JVM's InternalError for SIGBUS): a model or data file
   * shrank under its mapping. Bad input naming the file where that can be told; otherwise the
   * error.
   */
  static RuntimeException vanished(OnnxModel model, InternalError e) {
    model.externalData().checkUnchanged();
    if (model.source() != null) {
      return OnnxTieException.badInput(
          model.source() + " or its data changed while being read; nothing was written", e);
    }
    throw e;
  }

  /** Writes a single-file model (no external data) to a stream, e.g. standard output. */
  public static void write(OnnxModel model, OutputStream out) {
    if (tensorBytes(model) > singleFileLimit) {
      throw OnnxTieException.badInput(
          "the model's tensors pass protobuf's 2 GiB limit; it cannot be written to a stream");
    }
    try {
      CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
      inline(model).writeTo(coded);
      coded.flush();
      out.flush();
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot write the model: " + e.getMessage(), e);
    }
  }

  /** The model with every external tensor moved into raw_data (aliasing the mapped data file). */
  static ModelProto inline(OnnxModel model) {
    return ProtoGraphs.map(
        inlineAttributes(model),
        graph -> {
          GraphProto.Builder builder = null;
          for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto tensor = graph.getInitializer(i);
            if (Tensors.isExternal(tensor)) {
              if (builder == null) {
                builder = graph.toBuilder();
              }
              builder.setInitializer(
                  i,
                  tensor.toBuilder()
                      .clearExternalData()
                      .clearDataLocation()
                      .setRawData(model.rawBytes(tensor)));
            }
          }
          return builder == null ? graph : builder.build();
        });
  }

  private static ModelProto writeExternal(
      OnnxModel model, Path stagedData, String dataName, WriteOptions options) throws IOException {
    try (DataFile data = new DataFile(stagedData, false)) {
      ModelProto written = externalize(model, data, dataName, options);
      data.force();
      return written;
    }
  }

  /**
   * The model with external tensors held in node attributes (Constant values written with {@code
   * convert_attribute=True}) moved into raw_data: they are small, and only initializers are laid
   * out in data files.
   */
  static ModelProto inlineAttributes(OnnxModel model) {
    return ProtoGraphs.map(
        model.proto(),
        graph -> {
          GraphProto.Builder builder = null;
          for (int n = 0; n < graph.getNodeCount(); n++) {
            var node = graph.getNode(n);
            var nodeBuilder = (dev.onnxtie.proto.Onnx.NodeProto.Builder) null;
            for (int a = 0; a < node.getAttributeCount(); a++) {
              var attribute = node.getAttribute(a);
              var attributeBuilder = (dev.onnxtie.proto.Onnx.AttributeProto.Builder) null;
              if (attribute.hasT() && Tensors.isExternal(attribute.getT())) {
                attributeBuilder = attribute.toBuilder().setT(inlined(model, attribute.getT()));
              }
              for (int t = 0; t < attribute.getTensorsCount(); t++) {
                if (Tensors.isExternal(attribute.getTensors(t))) {
                  attributeBuilder =
                      attributeBuilder == null ? attribute.toBuilder() : attributeBuilder;
                  attributeBuilder.setTensors(t, inlined(model, attribute.getTensors(t)));
                }
              }
              if (attributeBuilder != null) {
                nodeBuilder = nodeBuilder == null ? node.toBuilder() : nodeBuilder;
                nodeBuilder.setAttribute(a, attributeBuilder);
              }
            }
            if (nodeBuilder != null) {
              builder = builder == null ? graph.toBuilder() : builder;
              builder.setNode(n, nodeBuilder);
            }
          }
          return builder == null ? graph : builder.build();
        });
  }

  private static TensorProto inlined(OnnxModel model, TensorProto tensor) {
    return tensor.toBuilder()
        .clearExternalData()
        .clearDataLocation()
        .setRawData(model.rawBytes(tensor))
        .build();
  }

  /**
   * The model with every tensor of at least the threshold (or already external) placed in {@code
   * data}.
   */
  static ModelProto externalize(
      OnnxModel model, DataFile data, String dataName, WriteOptions options) throws IOException {
    try {
      return ProtoGraphs.map(
          inlineAttributes(model),
          graph -> {
            GraphProto.Builder builder = null;
            for (int i = 0; i < graph.getInitializerCount(); i++) {
              TensorProto tensor = graph.getInitializer(i);
              int code = tensor.getDataType();
              if (!DataType.isKnown(code) || !DataType.fromCode(code).isFixedSize()) {
                continue;
              }
              long size = Tensors.byteSize(tensor);
              if (size < options.threshold() && !Tensors.isExternal(tensor)) {
                continue;
              }
              long start;
              try {
                start =
                    data.place(
                        model.tensorBytes(tensor),
                        size >= WriteOptions.PAGE_ALIGN_MIN_BYTES ? options.alignment() : 64);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              TensorProto.Builder external =
                  tensor.toBuilder()
                      .clearRawData()
                      .clearFloatData()
                      .clearInt32Data()
                      .clearInt64Data()
                      .clearDoubleData()
                      .clearUint64Data()
                      .clearExternalData()
                      .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                      .addExternalData(entry("location", dataName))
                      .addExternalData(entry("offset", Long.toString(start)))
                      .addExternalData(entry("length", Long.toString(size)));
              if (builder == null) {
                builder = graph.toBuilder();
              }
              builder.setInitializer(i, external);
            }
            return builder == null ? graph : builder.build();
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Writes several models into one folder against one shared external data file in which every
   * distinct tensor (by bytes) is stored once; each model references its tensors by offset. Staged
   * and renamed like {@link #write}: the data file first, then the models in order.
   *
   * @param models the models
   * @param outs their output files, all in one folder
   * @param dataName the shared data file's name in that folder
   * @param beforeRename sees the staged models (same order) before anything is renamed into place
   * @return the files written: the data file first, then the models; nothing is renamed when the
   *     folder holds these bytes under these names already ({@link SharedFiles#unchanged()})
   */
  public static SharedFiles writeShared(
      List<OnnxModel> models,
      List<Path> outs,
      String dataName,
      WriteOptions options,
      Consumer<List<Path>> beforeRename) {
    if (models.size() != outs.size() || models.isEmpty()) {
      throw new IllegalArgumentException("one output per model");
    }
    Path folder = outs.get(0).toAbsolutePath().normalize().getParent();
    for (Path out : outs) {
      if (!out.toAbsolutePath().normalize().getParent().equals(folder)) {
        throw new IllegalArgumentException("shared data needs all outputs in one folder");
      }
      if (out.getFileName().toString().equals(dataName)) {
        throw OnnxTieException.badInput(
            "the shared data file cannot have a model's name '" + dataName + "'");
      }
    }
    checkDataFileName(dataName);
    if (!Files.isDirectory(folder)) {
      throw OnnxTieException.badInput("output folder " + folder + " does not exist");
    }
    Staging.Plan plan =
        Staging.plan(
            folder,
            dataName,
            false,
            true,
            outs.stream().map(o -> o.toAbsolutePath().normalize()).toList(),
            models);
    String chosen = plan.dataName();
    try (Staging staging = new Staging(folder)) {
      Path stagedData = staging.resolve(chosen);
      List<Path> staged = new ArrayList<>();
      List<ModelProto> writtenModels = new ArrayList<>();
      try (DataFile data = new DataFile(stagedData, true)) {
        for (int i = 0; i < models.size(); i++) {
          ModelProto written = externalize(models.get(i), data, chosen, options);
          Path stagedModel = staging.resolve(outs.get(i).getFileName().toString());
          writeMessage(written, stagedModel);
          staged.add(stagedModel);
          writtenModels.add(written);
        }
        data.force();
      }
      models.forEach(m -> m.externalData().checkUnchanged());
      beforeRename.accept(staged);
      if (!chosen.equals(dataName)
          && holdsAlready(folder, dataName, stagedData, outs, writtenModels, chosen)) {
        // an in-place rewrite that changes nothing: the folder keeps its files and their names (the
        // staged copy went to an alternate name only because the replaced models read the wanted
        // one)
        List<Path> files = new ArrayList<>();
        files.add(folder.resolve(dataName));
        outs.forEach(out -> files.add(folder.resolve(out.getFileName().toString())));
        return new SharedFiles(files, true);
      }
      Map<String, String> written = new HashMap<>();
      List<Path> files = new ArrayList<>();
      files.add(folder.resolve(chosen));
      for (Path model : staged) {
        written.put(model.getFileName().toString(), chosen);
        files.add(folder.resolve(model.getFileName().toString()));
      }
      Staging.KeepName keep = null;
      if (!chosen.equals(dataName) && plan.superseded().contains(dataName)) {
        // the replaced models read the usual name: the new data goes back to it after the commit if
        // it
        // can (as for one model), so that a second identical rewrite finds the names it left
        List<Path> seconds = new ArrayList<>();
        for (int i = 0; i < staged.size(); i++) {
          Path second = staging.resolve(Staging.KEEP_PREFIX + staged.get(i).getFileName());
          writeMessage(relocate(writtenModels.get(i), chosen, dataName), second);
          seconds.add(second);
        }
        keep = new Staging.KeepName(dataName, seconds);
      }
      String installed =
          staging.commit(List.of(stagedData), staged, plan.superseded(), written, keep);
      files.set(0, folder.resolve(installed));
      return new SharedFiles(files, false);
    } catch (IOException e) {
      models.forEach(m -> m.externalData().checkUnchanged());
      throw OnnxTieException.badInput("cannot write to " + folder + ": " + describe(e), e);
    }
  }

  /**
   * What {@link #writeShared} wrote: the data file first, then the models.
   *
   * @param unchanged true when the folder already held these bytes under these names, so that
   *     nothing was renamed (an in-place rewrite of a folder a shared rewrite wrote)
   */
  public record SharedFiles(List<Path> files, boolean unchanged) {}

  /**
   * Whether {@code folder} holds the staged output already: {@code dataName} with the staged data
   * file's bytes, and each output with the staged model's bytes once it reads {@code dataName}
   * instead of {@code chosen}.
   */
  private static boolean holdsAlready(
      Path folder,
      String dataName,
      Path stagedData,
      List<Path> outs,
      List<ModelProto> written,
      String chosen)
      throws IOException {
    Path data = folder.resolve(dataName);
    if (!Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS)
        || Files.size(data) != Files.size(stagedData)
        || Files.mismatch(data, stagedData) != -1) {
      return false;
    }
    for (int i = 0; i < outs.size(); i++) {
      Path out = folder.resolve(outs.get(i).getFileName().toString());
      ModelProto renamed = relocate(written.get(i), chosen, dataName);
      if (!Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS)
          || Files.size(out) != renamed.getSerializedSize()
          || !Arrays.equals(Files.readAllBytes(out), renamed.toByteArray())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The bytes {@link #write(OnnxModel, Path, WriteOptions)} would write for this model as {@code
   * outName} (the model file plus its data file, alignment included), without writing anything.
   */
  public static long measure(OnnxModel model, String outName, WriteOptions options) {
    WriteOptions.Layout layout = options.layout();
    if (layout == WriteOptions.Layout.AUTO) {
      layout =
          hasExternalTensors(model.proto()) || tensorBytes(model) > singleFileLimit
              ? WriteOptions.Layout.EXTERNAL
              : WriteOptions.Layout.SINGLE_FILE;
    }
    if (layout != WriteOptions.Layout.EXTERNAL) {
      return inline(model).getSerializedSize();
    }
    String dataName = options.dataFile() != null ? options.dataFile() : outName + ".data";
    try (DataFile data = new DataFile(false)) {
      long modelBytes = externalize(model, data, dataName, options).getSerializedSize();
      return modelBytes + data.size();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // nothing is written
    } catch (InternalError e) {
      throw vanished(model, e);
    }
  }

  /**
   * The bytes {@link #writeShared} would write for these models against one data file of this name
   * (every model file plus the shared data file), without writing anything.
   */
  public static long measureShared(List<OnnxModel> models, String dataName, WriteOptions options) {
    try (DataFile data = new DataFile(true)) {
      long total = 0;
      for (OnnxModel model : models) {
        total += externalize(model, data, dataName, options).getSerializedSize();
      }
      return total + data.size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The model with every initializer's external location {@code from} changed to {@code to}. */
  static ModelProto relocate(ModelProto model, String from, String to) {
    return ProtoGraphs.map(
        model,
        graph -> {
          GraphProto.Builder builder = null;
          for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto tensor = graph.getInitializer(i);
            for (int e = 0; e < tensor.getExternalDataCount(); e++) {
              StringStringEntryProto where = tensor.getExternalData(e);
              if (where.getKey().equals("location") && where.getValue().equals(from)) {
                builder = builder == null ? graph.toBuilder() : builder;
                builder.setInitializer(
                    i, tensor.toBuilder().setExternalData(e, entry("location", to)));
              }
            }
          }
          return builder == null ? graph : builder.build();
        });
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static void checkDataFileName(String name) {
    if (name.isEmpty()
        || name.contains("/")
        || name.contains("\\")
        || name.equals(".")
        || name.equals("..")) {
      throw OnnxTieException.badInput(
          "external data file name '" + name + "' must be a plain file name in the output folder");
    }
  }

  /** True when any initializer of any graph keeps its bytes in external data. */
  public static boolean hasExternalTensors(ModelProto model) {
    boolean[] found = {false};
    ProtoGraphs.visit(
        model,
        (path, depth, graph) -> {
          for (TensorProto tensor : graph.getInitializerList()) {
            found[0] |= Tensors.isExternal(tensor);
          }
          for (TensorProto tensor : ProtoGraphs.attributeTensors(graph)) {
            found[0] |= Tensors.isExternal(tensor);
          }
        });
    return found[0];
  }

  /** Total bytes of all fixed-size initializers of all graphs. */
  static long tensorBytes(OnnxModel model) {
    long[] total = {0};
    ProtoGraphs.visit(
        model.proto(),
        (path, depth, graph) -> {
          for (TensorProto tensor : graph.getInitializerList()) {
            int code = tensor.getDataType();
            if (DataType.isKnown(code) && DataType.fromCode(code).isFixedSize()) {
              total[0] += Tensors.byteSize(tensor);
            }
          }
        });
    return total[0];
  }

  /** Streams a message into a new file and fsyncs it. */
  static void writeMessage(ModelProto message, Path file) throws IOException {
    try (OutputStream stream =
        new BufferedOutputStream(
            Files.newOutputStream(file, StandardOpenOption.CREATE_NEW), 1 << 16)) {
      CodedOutputStream coded = CodedOutputStream.newInstance(stream, 1 << 16);
      message.writeTo(coded);
      coded.flush();
    }
    fsync(file);
  }

  private static void fsync(Path file) throws IOException {
    Durability.fsync(file); // now, or with its batch (a new output folder's files all at once)
  }
}
