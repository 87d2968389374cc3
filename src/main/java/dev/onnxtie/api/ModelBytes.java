package dev.onnxtie.api;

import dev.onnxtie.model.FileOps;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Bytes on disk of model files with the external data files they use. */
final class ModelBytes {
  private ModelBytes() {}

  /** Bytes of a model file plus the external data files it uses. */
  static long fileBytes(OnnxModel model) {
    return totalBytes(List.of(model));
  }

  /** Bytes of model files plus the external data files they use, each file counted once. */
  static long totalBytes(List<OnnxModel> models) {
    Set<Path> files = new LinkedHashSet<>();
    for (OnnxModel model : models) {
      if (model.source() == null) {
        continue;
      }
      files.add(model.source().toAbsolutePath().normalize());
      ProtoGraphs.visit(
          model.proto(),
          (path, depth, graph) -> {
            for (TensorProto tensor : graph.getInitializerList()) {
              if (Tensors.isExternal(tensor)) {
                files.add(
                    model
                        .source()
                        .toAbsolutePath()
                        .getParent()
                        .resolve(model.externalData().locate(tensor).location())
                        .normalize());
              }
            }
          });
    }
    return files.stream().mapToLong(ModelBytes::sizeOf).sum();
  }

  /** {@link #totalBytes} of model files, read for the purpose. */
  static long totalBytesOf(List<Path> paths) {
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path path : paths) {
        read.add(ModelIO.read(path));
      }
      return totalBytes(read);
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  static long sizeOf(Path file) {
    return FileOps.sizeOf(file);
  }
}
