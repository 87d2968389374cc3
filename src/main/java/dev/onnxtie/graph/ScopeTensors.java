package dev.onnxtie.graph;

import com.google.protobuf.ByteString;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ExternalData;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The constant tensors of one {@link Scope} as the finder sees them: {@link TensorSource}s of its
 * initializers and Constant-node values, with lazy access to their bytes and the place they are
 * stored. Tensors of a dtype this tool does not know, and tensors it cannot read whole, are left
 * out (never tied).
 */
final class ScopeTensors {
  private ScopeTensors() {}

  /** The constant tensors the scope defines: initializers, then Constant-node values. */
  static List<TensorSource> of(Scope scope) {
    List<TensorSource> sources = new ArrayList<>();
    for (TensorProto tensor : scope.initializers.values()) {
      source(scope, tensor).ifPresent(sources::add);
    }
    for (Node node : scope.nodes) {
      Optional<TensorProto> value = node.constantTensor();
      if (value.isPresent() && node.outputs().size() == 1) {
        TensorProto named = value.get().toBuilder().setName(node.outputs().get(0)).build();
        source(scope, named).ifPresent(sources::add);
      }
    }
    return sources;
  }

  /** The initializer of that name as a tensor source, if the scope has it. */
  static Optional<TensorSource> initializer(Scope scope, String name) {
    TensorProto tensor = scope.initializers.get(name);
    return tensor == null ? Optional.empty() : source(scope, tensor);
  }

  private static Optional<TensorSource> source(Scope scope, TensorProto tensor) {
    if (!Tensors.hasKnownType(tensor)) {
      return Optional.empty(); // a dtype of a newer IR (read with --allow-newer-ir): never tied
    }
    DataType type = Tensors.dataType(tensor);
    if (type == DataType.STRING) {
      return strings(scope, tensor);
    }
    if (!type.isFixedSize()) {
      return Optional.empty();
    }
    long[] dims = Tensors.dims(tensor);
    GraphEditor editor = scope.editor;
    return Optional.of(
        new TensorSource(
            tensor.getName(),
            scope,
            type,
            dims,
            Tensors.byteSize(tensor),
            () -> editor.source().tensorBytes(tensor),
            () -> storage(editor, tensor)));
  }

  /**
   * A string tensor held in {@code string_data} whose element count matches its dims; else none.
   */
  private static Optional<TensorSource> strings(Scope scope, TensorProto tensor) {
    long[] dims = Tensors.dims(tensor);
    if (Tensors.isExternal(tensor)
        || tensor.hasRawData()
        || tensor.getStringDataCount() != Tensors.elementCount(tensor.getName(), dims)) {
      return Optional.empty();
    }
    long bytes = 0;
    for (ByteString value : tensor.getStringDataList()) {
      bytes += value.size();
    }
    return Optional.of(
        new TensorSource(
            tensor.getName(),
            scope,
            DataType.STRING,
            dims,
            bytes,
            null,
            () -> null,
            () ->
                tensor.getStringDataList().stream()
                    .map(ByteString::asReadOnlyByteBuffer)
                    .toList()));
  }

  /**
   * Where an external tensor's bytes lie ({@code file:offset:length}); null for one in the model.
   */
  private static String storage(GraphEditor editor, TensorProto tensor) {
    if (!Tensors.isExternal(tensor)) {
      return null;
    }
    ExternalData external = editor.source().externalData();
    var where = external.locate(tensor);
    Path file = external.baseDir().resolve(where.location());
    try {
      file = file.toRealPath();
    } catch (IOException e) {
      // locate() already checked the file; keep the unresolved path
    }
    return file + ":" + where.offset() + ":" + where.length();
  }
}
