package dev.onnxtie.model;

import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * How a model's tensors are laid out when written: inline, in an external data file (aligned for
 * mapping), or shared by several models, and the size that layout gives.
 */
final class ModelLayouts {
  private ModelLayouts() {}

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

  static ModelProto writeExternal(
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
            var nodeBuilder = (NodeProto.Builder) null;
            for (int a = 0; a < node.getAttributeCount(); a++) {
              var attribute = node.getAttribute(a);
              var attributeBuilder = (AttributeProto.Builder) null;
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

  static TensorProto inlined(OnnxModel model, TensorProto tensor) {
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
                      .addExternalData(ModelWriter.entry("location", dataName))
                      .addExternalData(ModelWriter.entry("offset", Long.toString(start)))
                      .addExternalData(ModelWriter.entry("length", Long.toString(size)));
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
   * The bytes {@link #ModelWriter.write(OnnxModel, Path, WriteOptions)} would write for this model
   * as {@code outName} (the model file plus its data file, alignment included), without writing
   * anything.
   */
  static long measure(OnnxModel model, String outName, WriteOptions options) {
    WriteOptions.Layout layout = options.layout();
    if (layout == WriteOptions.Layout.AUTO) {
      layout =
          hasExternalTensors(model.proto()) || tensorBytes(model) > ModelIO.singleFileLimit
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
      throw ModelWriter.vanished(model, e);
    }
  }

  /**
   * The bytes {@link #writeShared} would write for these models against one data file of this name
   * (every model file plus the shared data file), without writing anything.
   */
  static long measureShared(List<OnnxModel> models, String dataName, WriteOptions options) {
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

  /** True when any initializer of any graph keeps its bytes in external data. */
  static boolean hasExternalTensors(ModelProto model) {
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
}
