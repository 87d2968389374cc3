package dev.onnxtie.model;

import com.google.protobuf.CodedOutputStream;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes ONNX model files ({@link ModelIO#write}, {@link ModelIO#stage}, {@link
 * ModelIO#writeShared}): staged in full beside the target, fsync'ed, renamed into place.
 */
final class ModelWriter {
  private ModelWriter() {}

  /**
   * Writes a model to {@code out} atomically, laying out tensors as {@code options} says.
   *
   * @return the files written (the model first, then its data file if any)
   * @throws OnnxTieException (bad input) when the target folder is missing or the layout impossible
   */
  static List<Path> write(OnnxModel model, Path out, WriteOptions options) {
    try (StagedWrite staged = stage(model, out, options)) {
      return staged.commit();
    }
  }

  /**
   * Writes a model in full to a staging folder ({@value #ModelIO.TEMP_PREFIX}...) inside the target
   * folder, under its final name, fsync'ed: the caller loads or checks {@link StagedWrite#path()},
   * then commits it (renamed into place, data file first) or closes it (nothing is written). A
   * target that is no regular file (such as /dev/null) is streamed into on commit.
   *
   * @throws OnnxTieException (bad input) when the target folder is missing or the layout impossible
   */
  static StagedWrite stage(OnnxModel model, Path out, WriteOptions options) {
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
      return StagedWrite.unstaged(model, out, target);
    }
    boolean hasExternal = ModelLayouts.hasExternalTensors(model.proto());
    WriteOptions.Layout layout = options.layout();
    if (layout == WriteOptions.Layout.AUTO) {
      layout =
          hasExternal || ModelLayouts.tensorBytes(model) > ModelIO.singleFileLimit
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
    } else if (ModelLayouts.tensorBytes(model) > ModelIO.singleFileLimit) {
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
    Staging staging = null;
    try {
      // in a folder this process owns (a new output folder), straight to the final names when they
      // are free: nothing there is replaced
      Set<String> names = new HashSet<>();
      names.add(target.getFileName().toString());
      if (layout == WriteOptions.Layout.EXTERNAL) {
        names.add(dataName);
      }
      staging = new Staging(folder, plan.superseded().isEmpty() ? names : Set.of());
      if (!staging.direct() && options.dataFile() != null && claimedElsewhere(folder, dataName)) {
        // another model of this folder rewrite is writing that name: taken, as once it is written
        throw OnnxTieException.badInput(DataNames.takenMessage(dataName, folder));
      }
      Path stagedModel = staging.resolve(target.getFileName().toString());
      Path stagedData = null;
      ModelProto written;
      if (layout == WriteOptions.Layout.EXTERNAL) {
        stagedData = staging.resolve(dataName);
        written = ModelLayouts.writeExternal(model, stagedData, dataName, options);
      } else {
        written = ModelLayouts.inline(model);
      }
      writeMessage(written, stagedModel);
      if (stagedData != null && !ModelLayouts.hasExternalTensors(written)) {
        staging.unread(dataName); // an empty data file the model does not read
      }
      Staging.KeepName keep = null;
      if (stagedData != null && !dataName.equals(wanted) && plan.superseded().contains(wanted)) {
        // the replaced model reads the usual name: the new data goes back to it after the commit if
        // it can
        Path second = staging.resolve(Staging.KEEP_PREFIX + target.getFileName());
        writeMessage(relocate(written, dataName, wanted), second);
        keep = new Staging.KeepName(wanted, List.of(second));
      }
      model.externalData().checkUnchanged();
      StagedWrite staged =
          new StagedWrite(
              model,
              out,
              target,
              staging,
              stagedModel,
              stagedData,
              dataName,
              plan.superseded(),
              keep);
      staging = null;
      return staged;
    } catch (IOException e) {
      // a write from a mapping that lost its pages fails with EFAULT
      model.externalData().checkUnchanged();
      throw OnnxTieException.badInput("cannot write " + out + ": " + ModelReader.describe(e), e);
    } catch (InternalError e) {
      throw vanished(model, e);
    } finally {
      if (staging != null) {
        staging.close();
      }
    }
  }

  /**
   * True when a direct write into {@code folder} (a folder this process owns) claimed {@code name}
   * and, once written, its model reads it (waiting for that write to end).
   */
  private static boolean claimedElsewhere(Path folder, String name) {
    Claims claims = Claims.in(folder);
    return claims != null && claims.containsOnceSettled(name);
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
  static void write(OnnxModel model, OutputStream out) {
    if (ModelLayouts.tensorBytes(model) > ModelIO.singleFileLimit) {
      throw OnnxTieException.badInput(
          "the model's tensors pass protobuf's 2 GiB limit; it cannot be written to a stream");
    }
    try {
      CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
      ModelLayouts.inline(model).writeTo(coded);
      coded.flush();
      out.flush();
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot write the model: " + e.getMessage(), e);
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
   *     folder holds these bytes under these names already ({@link
   *     ModelIO.SharedFiles#unchanged()})
   */
  static ModelIO.SharedFiles writeShared(
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
          ModelProto written = ModelLayouts.externalize(models.get(i), data, chosen, options);
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
        return new ModelIO.SharedFiles(files, true);
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
      return new ModelIO.SharedFiles(files, false);
    } catch (IOException e) {
      models.forEach(m -> m.externalData().checkUnchanged());
      throw OnnxTieException.badInput(
          "cannot write to " + folder + ": " + ModelReader.describe(e), e);
    }
  }

  /**
   * Whether {@code folder} holds the staged output already: {@code dataName} with the staged data
   * file's bytes, and each output with the staged model's bytes once it reads {@code dataName}
   * instead of {@code chosen}.
   */
  static boolean holdsAlready(
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

  static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  static void checkDataFileName(String name) {
    if (name.isEmpty()
        || name.contains("/")
        || name.contains("\\")
        || name.equals(".")
        || name.equals("..")) {
      throw OnnxTieException.badInput(
          "external data file name '" + name + "' must be a plain file name in the output folder");
    }
    // the names of onnx-tie's own lock files and staging entries: a write beside them removes them
    if (name.equals(Staging.OWNER_LOCK)
        || name.startsWith(ModelIO.TEMP_PREFIX)
        || name.startsWith(Staging.FOLDER_PREFIX)) {
      throw OnnxTieException.badInput(
          "external data file name '"
              + name
              + "' is one onnx-tie uses for its own lock and staging files; choose another name");
    }
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

  static void fsync(Path file) throws IOException {
    Durability.fsync(file); // now, or with its batch (a new output folder's files all at once)
  }
}
