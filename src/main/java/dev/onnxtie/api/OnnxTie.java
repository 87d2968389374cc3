package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorType;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ExternalData;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.pass.DenseLayer;
import dev.onnxtie.pass.InsertOptions;
import dev.onnxtie.pass.InsertTiedDecoder;
import dev.onnxtie.pass.PassResult;
import dev.onnxtie.pass.TieWeights;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.tie.Tie;
import dev.onnxtie.tie.CrossFileFinder;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.tie.TieGroup;
import dev.onnxtie.verify.Verifier;
import dev.onnxtie.verify.VerifyOptions;
import dev.onnxtie.verify.VerifyReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The onnx-tie library in one class: read, inspect, rewrite (tie duplicated weights), verify and
 * write ONNX models. Every method reports domain failures as {@link OnnxTieException} carrying the
 * CLI's exit code.
 *
 * <pre>{@code
 * RewriteReport report = OnnxTie.rewrite(Path.of("model.onnx"), Path.of("tied.onnx"),
 *     RewriteOptions.defaults().withVerify(VerifyOptions.defaults()));
 * System.out.println(report.result().bytesSaved() + " bytes saved");
 * }</pre>
 */
public final class OnnxTie {
  private OnnxTie() {}

  /** Reads and validates a model file (memory-mapped; external data resolved lazily and safely). */
  public static OnnxModel read(Path file) {
    return ModelIO.read(file);
  }

  /** Reads and validates a model from a stream (e.g. standard input); external data is refused. */
  public static OnnxModel read(java.io.InputStream in, String label) {
    return ModelIO.read(in, label);
  }

  /** Writes a single-file model to a stream (e.g. standard output). */
  public static void write(OnnxModel model, java.io.OutputStream out) {
    ModelIO.write(model, out);
  }

  /** Writes a model atomically. */
  public static List<Path> write(OnnxModel model, Path out, WriteOptions options) {
    return ModelIO.write(model, out, options);
  }

  /** A rewritten model with what the pass did. */
  public record Rewritten(OnnxModel model, PassResult result) {}

  /** Ties the duplicated weights of a model in memory. */
  public static Rewritten rewrite(OnnxModel model, RewriteOptions options) {
    GraphEditor editor = new GraphEditor(model);
    PassResult result = new TieWeights(options.form(), options.minBytes()).apply(editor);
    return new Rewritten(editor.build(), result);
  }

  /**
   * Rewrites one model file into another (they may be the same path). With verification in the
   * options, the staged output is run against the input before it is renamed into place.
   *
   * @throws OnnxTieException with exit code 1 when verification fails (nothing is written)
   */
  public static RewriteReport rewrite(Path in, Path out, RewriteOptions options) {
    try (OnnxModel model = read(in)) {
      long before = fileBytes(model);
      Rewritten rewritten = rewrite(model, options);
      if (options.dryRun()) {
        return new RewriteReport(in.toString(), null, rewritten.result(), before, 0, List.of(), null);
      }
      VerifyReport[] verification = {null};
      List<Path> written = ModelIO.write(rewritten.model(), out, options.write(), staged -> {
        if (options.verify() != null) {
          verification[0] = verifyBeforeRename(in, staged, out, options.verify());
        }
      });
      long after = 0;
      for (Path file : written) {
        after += sizeOf(file);
      }
      return new RewriteReport(in.toString(), out.toString(), rewritten.result(), before, after,
          written.stream().map(Path::toString).toList(), verification[0]);
    }
  }

  /**
   * Rewrites every {@code .onnx} file of a folder into another folder (created if missing), in name
   * order, {@code jobs} files at a time; the output does not depend on {@code jobs}.
   *
   * @param sharedData when not null, all models are written against one external data file of
   *     this name in which every distinct tensor is stored once
   */
  public static FolderRewriteReport rewriteFolder(Path inDir, Path outDir, RewriteOptions options, String sharedData, int jobs,
      Progress progress) {
    List<Path> models = modelsIn(inDir);
    try {
      if (!options.dryRun()) {
        Files.createDirectories(outDir);
      }
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot create output folder " + outDir + ": " + e.getMessage(), e);
    }
    long before = 0;
    List<RewriteReport> reports;
    if (sharedData == null || options.dryRun()) {
      before = totalBytesOf(models);
      reports = Parallel.map(models, jobs, progress, model -> rewrite(model, outDir.resolve(model.getFileName().toString()), options));
      long after = options.dryRun() ? 0 : totalBytesOf(reports.stream().map(r -> Path.of(r.output())).toList());
      return new FolderRewriteReport(inDir.toString(), options.dryRun() ? null : outDir.toString(), reports, null, before, after);
    }
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        read.add(read(model));
      }
      before = totalBytes(read);
      List<Rewritten> rewritten = Parallel.map(read, jobs, progress, model -> rewrite(model, options));
      List<Path> outs = models.stream().map(m -> outDir.resolve(m.getFileName().toString())).toList();
      VerifyReport[] verifications = new VerifyReport[models.size()];
      // every tensor a check would count goes to the shared file, so that copies across files are stored once
      WriteOptions write = new WriteOptions(WriteOptions.Layout.EXTERNAL, sharedData,
          Math.min(options.write().threshold(), options.minBytes()), options.write().alignment());
      List<Path> written = ModelIO.writeShared(rewritten.stream().map(Rewritten::model).toList(), outs, sharedData, write, staged -> {
        if (options.verify() != null) {
          for (int i = 0; i < staged.size(); i++) {
            verifications[i] = verifyBeforeRename(models.get(i), staged.get(i), outs.get(i), options.verify());
          }
        }
      });
      long after = 0;
      for (Path file : written) {
        after += sizeOf(file);
      }
      reports = new ArrayList<>();
      for (int i = 0; i < models.size(); i++) {
        reports.add(new RewriteReport(models.get(i).toString(), outs.get(i).toString(), rewritten.get(i).result(), fileBytes(read.get(i)),
            sizeOf(outs.get(i)), List.of(outs.get(i).toString(), written.get(0).toString()), verifications[i]));
      }
      return new FolderRewriteReport(inDir.toString(), outDir.toString(), reports, written.get(0).toString(), before, after);
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  private static VerifyReport verifyBeforeRename(Path in, Path staged, Path out, VerifyOptions options) {
    try (Verifier verifier = new Verifier(options)) {
      VerifyReport report = verifier.compare(in, staged).withB(out.toString());
      if (!report.passed()) {
        throw new OnnxTieException(OnnxTieException.CHECK_FAILED,
            "verification failed: the rewrite of " + in + " differs from it (" + String.join(", ", report.failedOutputs())
                + "); nothing was written");
      }
      return report;
    }
  }

  /**
   * Checks models for untied duplicates of at least {@code minBytes}: inside each file and, with
   * {@code acrossFiles}, tensors that several of the files each hold without sharing storage.
   */
  public static CheckReport check(List<Path> paths, long minBytes, boolean acrossFiles, int jobs, Progress progress) {
    List<Path> models = distinct(paths);
    List<InspectReport> reports = Parallel.map(models, jobs, progress, model -> inspect(model, minBytes));
    Map<String, List<InspectReport.DuplicateGroup>> within = new LinkedHashMap<>();
    long wasted = 0;
    for (InspectReport report : reports) {
      within.put(report.path(), report.duplicates());
      wasted += report.wastedBytes();
    }
    List<CrossFileFinder.Group> across = acrossFiles && models.size() > 1 ? acrossFiles(models, minBytes) : List.of();
    for (CrossFileFinder.Group group : across) {
      wasted += group.wastedBytes();
    }
    return new CheckReport(wasted == 0, wasted, within, across);
  }

  /** Inspects every model of a list and finds the tensors several of them hold. */
  public static FolderInspectReport inspectAll(List<Path> paths, long minBytes, int jobs, Progress progress) {
    List<Path> models = distinct(paths);
    List<InspectReport> reports = Parallel.map(models, jobs, progress, model -> inspect(model, minBytes));
    List<CrossFileFinder.Group> across = models.size() > 1 ? acrossFiles(models, minBytes) : List.of();
    return new FolderInspectReport(reports, across, across.stream().mapToLong(CrossFileFinder.Group::wastedBytes).sum());
  }

  /** The paths without repeats of one file (however it is named). */
  private static List<Path> distinct(List<Path> paths) {
    java.util.Map<Path, Path> byFile = new LinkedHashMap<>();
    for (Path path : paths) {
      Path key;
      try {
        key = path.toRealPath();
      } catch (IOException e) {
        key = path.toAbsolutePath().normalize();
      }
      byFile.putIfAbsent(key, path);
    }
    return List.copyOf(byFile.values());
  }

  /** Tensors that several of the model files each hold (identical or permuted). */
  public static List<CrossFileFinder.Group> acrossFiles(List<Path> models, long minBytes) {
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        read.add(read(model));
      }
      return CrossFileFinder.find(read.stream().map(GraphEditor::new).toList(), models.stream().map(Path::toString).toList(), minBytes);
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  /** The {@code .onnx} files of a folder, sorted by name; bad input when there are none. */
  public static List<Path> modelsIn(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw OnnxTieException.badInput("no such folder: " + dir);
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> models = files.filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p)).sorted().toList();
      if (models.isEmpty()) {
        throw OnnxTieException.badInput("folder " + dir + " holds no .onnx file");
      }
      return models;
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Adds a decoder layer tied to an encoder's weight (or, with {@code mirror}, a whole mirrored
   * decoder stack) and writes the result.
   */
  public static PassResult insert(Path in, Path out, InsertOptions options, WriteOptions write) {
    try (OnnxModel model = read(in)) {
      GraphEditor editor = new GraphEditor(model);
      PassResult result = new InsertTiedDecoder(options).apply(editor);
      ModelIO.write(editor.build(), out, write);
      return result;
    }
  }

  /** The dense layers of a model's main graph that {@code insert} can tie a decoder to. */
  public static List<InspectReport.DenseLayerInfo> denseLayers(GraphEditor editor) {
    return DenseLayer.find(editor.main()).stream().map(layer -> new InspectReport.DenseLayerInfo(layer.name(),
        layer.node().opType(), layer.weight().name(), layer.inputWidth(), layer.outputWidth(), layer.activation())).toList();
  }

  /** Verifies two models in ONNX Runtime on the same inputs. */
  public static VerifyReport verify(Path a, Path b, VerifyOptions options) {
    try (Verifier verifier = new Verifier(options)) {
      return verifier.compare(a, b);
    }
  }

  /** Runs one model on a folder in ONNX test layout and compares with its expected {@code output_*.pb}. */
  public static VerifyReport verifyExpected(Path model, Path dataSet, VerifyOptions options) {
    try (Verifier verifier = new Verifier(options)) {
      return verifier.againstExpected(model, dataSet);
    }
  }

  /** Everything {@code inspect} shows of a model file. */
  public static InspectReport inspect(Path file, long minBytes) {
    try (OnnxModel model = read(file)) {
      return inspect(model, file.toString(), minBytes);
    }
  }

  /** Everything {@code inspect} shows of a read model. */
  public static InspectReport inspect(OnnxModel model, String label, long minBytes) {
    GraphEditor editor = new GraphEditor(model);
    Map<String, Long> opsets = new LinkedHashMap<>();
    for (OperatorSetIdProto opset : model.proto().getOpsetImportList()) {
      opsets.put(opset.getDomain().isEmpty() ? "ai.onnx" : opset.getDomain(), opset.getVersion());
    }
    Scope main = editor.main();
    List<InspectReport.Value> inputs = new ArrayList<>();
    for (String name : main.inputNames()) {
      if (!main.hasInitializer(name)) {
        inputs.add(value(main, name));
      }
    }
    List<InspectReport.Value> outputs = main.outputNames().stream().map(name -> value(main, name)).toList();
    Map<String, Integer> nodesByOp = new TreeMap<>();
    main.allNodes().forEach(node -> nodesByOp.merge(node.domain().isEmpty() ? node.opType() : node.domain() + "." + node.opType(), 1, Integer::sum));
    Map<String, InspectReport.TypeTotal> byType = new TreeMap<>();
    Map<String, Long> external = new TreeMap<>();
    ProtoGraphs.visit(model.proto(), (path, depth, graph) -> {
      for (TensorProto tensor : graph.getInitializerList()) {
        DataType type = Tensors.dataType(tensor);
        long bytes = type.isFixedSize() ? Tensors.byteSize(tensor) : 0;
        byType.merge(type.onnxName(), new InspectReport.TypeTotal(1, bytes),
            (a, b) -> new InspectReport.TypeTotal(a.count() + b.count(), a.bytes() + b.bytes()));
        if (Tensors.isExternal(tensor)) {
          ExternalData.Location where = model.externalData().locate(tensor);
          external.computeIfAbsent(where.location(), location -> sizeOf(model.source().toAbsolutePath().getParent().resolve(location)));
        }
      }
    });
    List<InspectReport.DuplicateGroup> groups = new ArrayList<>();
    long wasted = 0;
    for (TieGroup group : TieFinder.find(editor, minBytes)) {
      List<InspectReport.Member> members = new ArrayList<>();
      for (Tie tie : group.ties()) {
        members.add(new InspectReport.Member(tie.removed().name(), tie.identical() ? "identical" : "transpose",
            Arrays.stream(tie.perm()).boxed().toList(), boxed(tie.removed().dims()), tie.removed().scope().path(), tie.removed().byteSize()));
      }
      groups.add(new InspectReport.DuplicateGroup(group.kept().name(), group.kept().type().onnxName(), boxed(group.kept().dims()),
          group.kept().scope().path(), members, group.wastedBytes()));
      wasted += group.wastedBytes();
    }
    String producer = (model.proto().getProducerName() + " " + model.proto().getProducerVersion()).trim();
    return new InspectReport(label, model.irVersion(), opsets, producer, inputs, outputs, nodesByOp,
        editor.scopes().size() - 1, byType, external, groups, wasted, denseLayers(editor));
  }

  private static InspectReport.Value value(Scope scope, String name) {
    TensorType type = scope.typeOf(name).orElse(null);
    if (type == null) {
      return new InspectReport.Value(name, "?", null);
    }
    String dtype = DataType.isKnown(type.elemType()) ? DataType.fromCode(type.elemType()).onnxName() : "type " + type.elemType();
    List<String> dims = type.dims() == null ? null : type.dims().stream().map(d -> d == null ? "?" : d.toString()).toList();
    return new InspectReport.Value(name, dtype, dims);
  }

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  /** Bytes of a model file plus the external data files it uses. */
  static long fileBytes(OnnxModel model) {
    return totalBytes(List.of(model));
  }

  /** Bytes of model files plus the external data files they use, each file counted once. */
  static long totalBytes(List<OnnxModel> models) {
    java.util.Set<Path> files = new java.util.LinkedHashSet<>();
    for (OnnxModel model : models) {
      if (model.source() == null) {
        continue;
      }
      files.add(model.source().toAbsolutePath().normalize());
      ProtoGraphs.visit(model.proto(), (path, depth, graph) -> {
        for (TensorProto tensor : graph.getInitializerList()) {
          if (Tensors.isExternal(tensor)) {
            files.add(model.source().toAbsolutePath().getParent().resolve(model.externalData().locate(tensor).location()).normalize());
          }
        }
      });
    }
    return files.stream().mapToLong(OnnxTie::sizeOf).sum();
  }

  /** {@link #totalBytes} of model files, read for the purpose. */
  private static long totalBytesOf(List<Path> paths) {
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path path : paths) {
        read.add(read(path));
      }
      return totalBytes(read);
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }
}
