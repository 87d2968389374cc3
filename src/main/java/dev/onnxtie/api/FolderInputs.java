package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.FileOps;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The models of a folder rewrite, each read and validated once before anything is written, kept
 * open for the rewrite (which reads nothing again), with the files they read (model files and
 * external data files, each once). Closing closes every model.
 */
final class FolderInputs implements AutoCloseable {
  private final List<OnnxModel> models;
  private final Set<Path> files;

  private FolderInputs(List<OnnxModel> models, Set<Path> files) {
    this.models = models;
    this.files = files;
  }

  /** The models read, in the order of the paths given. */
  List<OnnxModel> models() {
    return models;
  }

  /** The model files and the external data files they read, each once. */
  Set<Path> files() {
    return files;
  }

  /** A model's read, its files, or why it was refused. */
  private record InputRead(OnnxModel model, List<Path> files, String refused) {}

  /**
   * Reads every model jobs at a time, before anything is written: when any is refused, all refused
   * ones are named in one bad-input error (not just the first), nothing is written, and none stays
   * open.
   *
   * @param prefault whether the pages of large model files are touched meanwhile (every byte is
   *     written)
   */
  static FolderInputs read(List<Path> paths, int jobs, boolean prefault) {
    List<InputRead> outcomes;
    List<OnnxModel> opened = Collections.synchronizedList(new ArrayList<>());
    try {
      // the files and the refusals are gathered in the models' order, as one by one
      outcomes =
          Parallel.map(
              paths,
              jobs,
              Progress.NONE,
              path -> {
                OnnxModel model;
                try {
                  model = ModelIO.read(path, prefault);
                } catch (OnnxTieException e) {
                  if (e.exitCode() != OnnxTieException.BAD_INPUT) {
                    throw e;
                  }
                  return new InputRead(
                      null, List.of(), path.getFileName() + " (" + e.getMessage() + ")");
                }
                opened.add(model);
                List<Path> files = new ArrayList<>(filesOf(model));
                return new InputRead(model, files, null);
              });
    } catch (RuntimeException | Error e) {
      opened.forEach(OnnxModel::close);
      throw e;
    }
    Set<Path> files = new LinkedHashSet<>();
    List<String> refused = new ArrayList<>();
    List<OnnxModel> models = new ArrayList<>();
    for (InputRead outcome : outcomes) {
      files.addAll(outcome.files());
      if (outcome.refused() != null) {
        refused.add(outcome.refused());
      } else {
        models.add(outcome.model());
      }
    }
    if (!refused.isEmpty()) {
      models.forEach(OnnxModel::close);
      throw OnnxTieException.badInput(
          refused.size()
              + " of "
              + paths.size()
              + " models of "
              + paths.get(0).getParent()
              + " refused, nothing was written: "
              + String.join("; ", refused));
    }
    return new FolderInputs(List.copyOf(models), files);
  }

  /** A model's file and the external data files it reads (absolute, normalized). */
  static Set<Path> filesOf(OnnxModel model) {
    Set<Path> own = new LinkedHashSet<>();
    Path source = model.source().toAbsolutePath().normalize();
    own.add(source);
    ProtoGraphs.visit(
        model.proto(),
        (path, depth, graph) -> {
          for (TensorProto tensor : graph.getInitializerList()) {
            if (Tensors.isExternal(tensor)) {
              own.add(
                  source
                      .getParent()
                      .resolve(model.externalData().locate(tensor).location())
                      .normalize());
            }
          }
        });
    return own;
  }

  /**
   * Each model's bytes on disk: its file plus the external data files no other of these models
   * reads (a data file several of them read is left out of every one).
   */
  static long[] ownBytes(List<OnnxModel> models) {
    List<Set<Path>> files = new ArrayList<>();
    Map<Path, Integer> readers = new HashMap<>();
    for (OnnxModel model : models) {
      Set<Path> own = filesOf(model);
      own.forEach(file -> readers.merge(file, 1, Integer::sum));
      files.add(own);
    }
    long[] bytes = new long[models.size()];
    for (int i = 0; i < bytes.length; i++) {
      for (Path file : files.get(i)) {
        if (readers.get(file) == 1) {
          bytes[i] += FileOps.sizeOf(file);
        }
      }
    }
    return bytes;
  }

  @Override
  public void close() {
    models.forEach(OnnxModel::close);
  }
}
