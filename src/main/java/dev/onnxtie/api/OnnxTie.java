package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.Prefault;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.pass.DenseLayer;
import dev.onnxtie.pass.InsertOptions;
import dev.onnxtie.pass.PassResult;
import dev.onnxtie.pass.Passes;
import dev.onnxtie.pass.TieForm;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.tie.CrossFileFinder;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.tie.TransposedTie;
import dev.onnxtie.verify.Verifier;
import dev.onnxtie.verify.VerifyOptions;
import dev.onnxtie.verify.VerifyReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
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

  /** Tensors smaller than this many bytes are left alone by default. */
  public static final long DEFAULT_MIN_BYTES = TieFinder.DEFAULT_MIN_BYTES;

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
  public record Rewritten(OnnxModel model, TieResult result) {}

  /** Ties the duplicated weights of a model in memory. */
  public static Rewritten rewrite(OnnxModel model, RewriteOptions options) {
    return rewrite(model, options, Progress.NONE);
  }

  /** {@link #rewrite(OnnxModel, RewriteOptions)}, telling {@code progress} the bytes read while finding duplicates. */
  public static Rewritten rewrite(OnnxModel model, RewriteOptions options, Progress progress) {
    GraphEditor editor = new GraphEditor(model);
    long total = 0;
    for (Scope scope : editor.scopes()) {
      for (var source : scope.tensorSources()) {
        if (source.byteSize() >= options.minBytes() && !(editor.irVersion() >= 4 && scope.isGraphInput(source.name()))) {
          total += source.byteSize();
        }
      }
    }
    long totalBytes = total;
    AtomicLong done = new AtomicLong();
    Passes.Config config = new Passes.Config(options.form(), options.minBytes())
        .withBytesRead(bytes -> progress.bytes(done.addAndGet(bytes), totalBytes));
    PassResult result = Passes.run(editor, Passes.forRewrite(options.form()), config);
    return new Rewritten(editor.build(), TieResult.of(result, options.dryRun()));
  }

  /**
   * Rewrites a model already read (e.g. from standard input) and writes it to {@code out} (e.g.
   * standard output), unless it is a dry run. Verification and external data are refused: ONNX
   * Runtime loads models from files, and a stream holds one file.
   */
  public static RewriteReport rewrite(OnnxModel model, String inLabel, java.io.OutputStream out, String outLabel,
      RewriteOptions options) {
    if (options.verify() != null) {
      throw OnnxTieException.badInput("--verify needs IN and OUT to be files (ONNX Runtime loads models from files)");
    }
    if (options.write().layout() == WriteOptions.Layout.EXTERNAL) {
      throw OnnxTieException.badInput("external data cannot go through standard input or output");
    }
    Rewritten rewritten = rewrite(model, options);
    if (!options.dryRun()) {
      write(rewritten.model(), out);
    }
    return new RewriteReport(inLabel, options.dryRun() ? null : outLabel, options.dryRun(), rewritten.result(),
        model.source() == null ? 0 : fileBytes(model), null, List.of(), null, null);
  }

  /** Rewrites a model already read (e.g. from standard input) into a file; no verification. */
  public static RewriteReport rewrite(OnnxModel model, String inLabel, Path out, RewriteOptions options) {
    if (options.verify() != null) {
      throw OnnxTieException.badInput("--verify needs IN and OUT to be files (ONNX Runtime loads models from files)");
    }
    Rewritten rewritten = rewrite(model, options);
    if (options.dryRun()) {
      return new RewriteReport(inLabel, null, true, rewritten.result(), fileBytes(model), null, List.of(), null, null);
    }
    List<String> written = ModelIO.write(rewritten.model(), out, options.write()).stream().map(Path::toString).toList();
    return new RewriteReport(inLabel, out.toString(), false, rewritten.result(), fileBytes(model),
        written.stream().mapToLong(file -> sizeOf(Path.of(file))).sum(), written, RewriteReport.dataFileOf(written), null);
  }

  /**
   * Rewrites one model file into another (they may be the same path). With verification in the
   * options, the staged output is run against the input before it is renamed into place.
   *
   * @throws OnnxTieException with exit code 1 when verification fails (nothing is written)
   */
  public static RewriteReport rewrite(Path in, Path out, RewriteOptions options) {
    return rewrite(in, out, options, Progress.NONE);
  }

  /** {@link #rewrite(Path, Path, RewriteOptions)}, telling {@code progress} each phase as it begins. */
  public static RewriteReport rewrite(Path in, Path out, RewriteOptions options, Progress progress) {
    progress.phase("reading " + in.getFileName());
    // every byte is written: the pages are mapped on the other core meanwhile
    try (OnnxModel model = ModelIO.read(in, !options.dryRun())) {
      long before = fileBytes(model);
      if (!options.dryRun()) {
        Prefault.externalData(model);
      }
      progress.phase("finding duplicates in " + in.getFileName());
      Rewritten rewritten = rewrite(model, options, progress);
      if (options.dryRun()) {
        return new RewriteReport(in.toString(), null, true, rewritten.result(), before, null, List.of(), null, null);
      }
      progress.phase("writing " + out.getFileName());
      Verification[] verification = {null};
      List<Path> written = ModelIO.write(rewritten.model(), out, options.write(), staged -> {
        if (options.verify() != null) {
          verification[0] = verifyBeforeRename(in, staged, out, options.verify(), progress);
        }
      });
      long after = 0;
      for (Path file : written) {
        after += sizeOf(file);
      }
      List<String> files = written.stream().map(Path::toString).toList();
      return new RewriteReport(in.toString(), out.toString(), false, rewritten.result(), before, after, files,
          RewriteReport.dataFileOf(files), verification[0]);
    }
  }

  /**
   * Rewrites every {@code .onnx} file of a folder into another folder, in name order, {@code jobs}
   * files at a time (the output does not depend on {@code jobs}), and copies every other file of
   * the folder (config.json, tokenizer files, sub-folders) byte for byte. A new output folder
   * appears whole or not at all; see {@link FolderRewrite}.
   *
   * @param sharedData when not null, all models are written against one external data file of
   *     this name in which every distinct tensor is stored once
   */
  public static FolderRewriteReport rewriteFolder(Path inDir, Path outDir, RewriteOptions options, String sharedData, int jobs,
      Progress progress) {
    return FolderRewrite.run(inDir, outDir, options, sharedData, jobs, progress);
  }

  /** True when {@code in} and {@code out} name one file: an in-place rewrite. */
  private static boolean samePath(Path in, Path out) {
    if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(out) && Files.isSameFile(in, out);
    } catch (java.io.IOException e) {
      return false;
    }
  }

  static Verification verifyBeforeRename(Path in, Path staged, Path out, VerifyOptions options, Progress progress) {
    progress.phase("verifying " + out.getFileName());
    try (Verifier verifier = new Verifier(options).withProgress(step -> progress.phase("verifying " + out.getFileName() + ": " + step))) {
      Verification report = samePath(in, out)
          ? Verification.of(verifier.compare(in, staged), options).withSides(in + " (original)", out + " (rewritten)")
          : Verification.of(verifier.compare(in, staged).withB(out.toString()), options);
      if (!report.passed()) {
        List<String> failed = report.failedOutputs();
        throw new VerificationFailedException("verification failed: the rewrite of " + in + " differs from it ("
            + (failed.isEmpty() ? "interfaces differ" : String.join(", ", failed)) + "); nothing was written", report);
      }
      return report;
    }
  }

  /**
   * Checks models for untied duplicates of at least {@code minBytes}: inside each file and, with
   * {@code acrossFiles}, tensors that several of the files each hold without sharing storage.
   */
  public static CheckReport check(List<Path> paths, long minBytes, boolean acrossFiles, int jobs, Progress progress) {
    return check(paths, minBytes, acrossFiles, false, jobs, progress);
  }

  /**
   * Checks models as {@link #check(List, long, boolean, int, Progress)} does; with {@code
   * transposedTies}, a weight tied through a Transpose that ONNX Runtime materializes (read by a
   * MatMul) also fails the check.
   */
  public static CheckReport check(List<Path> paths, long minBytes, boolean acrossFiles, boolean transposedTies, int jobs, Progress progress) {
    List<Path> models = distinct(paths);
    List<InspectReport> reports = Parallel.map(models, jobs, progress, model -> inspect(model, minBytes));
    Map<String, List<InspectReport.DuplicateGroup>> within = new LinkedHashMap<>();
    Map<String, List<InspectReport.TransposedTie>> transposed = new LinkedHashMap<>();
    long wasted = 0;
    boolean gated = false;
    for (InspectReport report : reports) {
      within.put(report.path(), report.duplicates());
      transposed.put(report.path(), report.transposedTies());
      wasted += report.wastedBytes();
      gated |= transposedTies && !report.transposedTies().isEmpty();
    }
    List<CrossFileGroup> across = acrossFiles && models.size() > 1 ? acrossFiles(models, minBytes) : List.of();
    for (CrossFileGroup group : across) {
      wasted += group.wastedBytes();
    }
    return new CheckReport(wasted == 0 && !gated, minBytes, wasted, within, across, transposedTies, transposed);
  }

  /** Inspects every model of a list and finds the tensors several of them hold. */
  public static FolderInspectReport inspectAll(List<Path> paths, long minBytes, int jobs, Progress progress) {
    List<Path> models = distinct(paths);
    List<InspectReport> reports = Parallel.map(models, jobs, progress, model -> inspect(model, minBytes));
    List<CrossFileGroup> across = models.size() > 1 ? acrossFiles(models, minBytes) : List.of();
    return new FolderInspectReport(reports, across, across.stream().mapToLong(CrossFileGroup::wastedBytes).sum());
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
  public static List<CrossFileGroup> acrossFiles(List<Path> models, long minBytes) {
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        read.add(read(model));
      }
      return CrossFileFinder.find(read.stream().map(GraphEditor::new).toList(), models.stream().map(Path::toString).toList(), minBytes)
          .stream().map(CrossFileGroup::of).toList();
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
      PassResult result = Passes.run(editor, List.of("insert-tied-decoder"), new Passes.Config(TieForm.TRANSPOSE, TieFinder.DEFAULT_MIN_BYTES, options));
      ModelIO.write(editor.build(), out, write);
      return result;
    }
  }

  /**
   * Adds a decoder layer tied to an encoder's weight (or a mirrored decoder stack) and writes the
   * result; with {@code request.verify()}, the output is first run against the input on the input's
   * outputs (the new ones left out), and a mismatch writes nothing.
   *
   * @throws VerificationFailedException when the original outputs changed
   */
  public static InsertReport insert(Path in, Path out, InsertRequest request) {
    try (OnnxModel model = read(in)) {
      GraphEditor editor = new GraphEditor(model);
      PassResult result = Passes.run(editor, List.of("insert-tied-decoder"),
          new Passes.Config(TieForm.TRANSPOSE, TieFinder.DEFAULT_MIN_BYTES, request.toOptions()));
      VerifyOptions verify = request.verify();
      if (verify != null && verify.outputs().isEmpty()) {
        verify = verify.withOutputs(new GraphEditor(model).main().outputNames());
      }
      VerifyOptions options = verify;
      Verification[] verification = {null};
      ModelIO.write(editor.build(), out, WriteOptions.defaults(), staged -> {
        if (options != null) {
          verification[0] = verifyBeforeRename(in, staged, out, options, Progress.NONE);
        }
      });
      return new InsertReport(in.toString(), out.toString(), result.changes(), result.notes(), verification[0]);
    }
  }

  /** Verifies two models in ONNX Runtime on the same inputs: the API's report, restricted as the options say. */
  public static Verification compare(Path a, Path b, VerifyOptions options) {
    return compare(a, b, options, Progress.NONE);
  }

  /** {@link #compare(Path, Path, VerifyOptions)}, telling {@code progress} each step (session A and its runs k of N, then session B and its runs). */
  public static Verification compare(Path a, Path b, VerifyOptions options, Progress progress) {
    progress.phase("verifying");
    try (Verifier verifier = new Verifier(options).withProgress(step -> progress.phase("verifying: " + step))) {
      return Verification.of(verifier.compare(a, b), options);
    }
  }

  /** Runs one model on a data set and compares with its expected outputs: the API's report. */
  public static Verification compareExpected(Path model, Path dataSet, VerifyOptions options) {
    try (Verifier verifier = new Verifier(options)) {
      return Verification.of(verifier.againstExpected(model, dataSet), options);
    }
  }

  /** The dense layers of a model's main graph that {@code insert} can tie a decoder to. */
  public static List<InspectReport.DenseLayerInfo> denseLayers(GraphEditor editor) {
    return DenseLayer.find(editor.main()).stream().map(layer -> new InspectReport.DenseLayerInfo(layer.name(),
        layer.node().opType(), layer.weight().name(), layer.inputWidth(), layer.outputWidth(), layer.activation())).toList();
  }

  /**
   * Verifies two models in ONNX Runtime on the same inputs: the verifier's own report (not
   * restricted by {@link VerifyOptions#outputs()}); {@link #compare} returns the API's record.
   */
  public static VerifyReport verify(Path a, Path b, VerifyOptions options) {
    return verify(a, b, options, Progress.NONE);
  }

  /** {@link #verify(Path, Path, VerifyOptions)}, telling {@code progress} each step (session A and its runs k of N, then session B and its runs). */
  public static VerifyReport verify(Path a, Path b, VerifyOptions options, Progress progress) {
    progress.phase("verifying");
    try (Verifier verifier = new Verifier(options).withProgress(step -> progress.phase("verifying: " + step))) {
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
    return Inspection.of(model, label, minBytes);
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
  static long totalBytesOf(List<Path> paths) {
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

  static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }
}
