package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.NewerIr;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.Staging;
import dev.onnxtie.pass.DenseLayer;
import dev.onnxtie.pass.PassResult;
import dev.onnxtie.pass.Passes;
import dev.onnxtie.report.HtmlReport;
import dev.onnxtie.report.ReportInput;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.verify.Verifier;
import dev.onnxtie.verify.VerifyOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The onnx-tie library in one class: read, inspect, rewrite (tie duplicated weights), verify and
 * write ONNX models. Every method reports domain failures as {@link OnnxTieException} carrying the
 * CLI's exit code.
 *
 * <pre>{@code
 * RewriteReport report = OnnxTie.rewrite(Path.of("model.onnx"), Path.of("tied.onnx"),
 *     RewriteOptions.defaults().withVerify(VerifySettings.defaults()));
 * System.out.println(report.result().bytesSaved() + " bytes saved");
 * }</pre>
 *
 * <p>The facade: one public method per operation (overloads add progress or a stream), each a few
 * lines; the work is done by {@link RewriteJob} (a file's rewrite and insert, read once, verified
 * before commit), {@code CheckPlan}, {@code ModelFolders}, {@code OutputNames}, {@code ModelBytes},
 * {@link FolderRewrite}, {@link Inspection} and {@link TiesBetween}.
 */
public final class OnnxTie {
  private OnnxTie() {}

  /** Tensors smaller than this many bytes are left alone by default. */
  public static final long DEFAULT_MIN_BYTES = TieFinder.DEFAULT_MIN_BYTES;

  /**
   * Reads models of an IR version newer than this tool knows ({@code --allow-newer-ir}) while the
   * returned scope is open, when {@code allow}: see {@link NewerIr}.
   */
  public static NewerIrSetting allowNewerIr(boolean allow) {
    return new NewerIrSetting(NewerIr.allow(allow));
  }

  /** Reads and validates a model file (memory-mapped; external data resolved lazily and safely). */
  public static Model read(Path file) {
    return new Model(ModelIO.read(file));
  }

  /** Reads and validates a model from a stream (e.g. standard input); external data is refused. */
  public static Model read(InputStream in, String label) {
    return new Model(ModelIO.read(in, label));
  }

  /** Writes a single-file model to a stream (e.g. standard output). */
  public static void write(Model model, OutputStream out) {
    ModelIO.write(model.model(), out);
  }

  /**
   * Writes a model atomically (to a temporary file beside {@code out}, then renamed).
   *
   * @return the files written: the model, then its external data file if any
   */
  public static List<Path> write(Model model, Path out, OutputLayout layout) {
    return ModelIO.write(model.model(), out, layout.toWriteOptions());
  }

  /** A rewritten model with what the pass did. */
  record Rewritten(OnnxModel model, TieResult result) {}

  /**
   * Ties the duplicated weights of a model in memory ({@link RewriteOptions#verify()} and {@link
   * RewriteOptions#write()} do not apply); the result shares the input's external data, so close it
   * before the input.
   */
  public static RewrittenModel rewrite(Model model, RewriteOptions options) {
    Rewritten rewritten = rewrite(model.model(), options, Set.of(), Progress.NONE);
    return new RewrittenModel(new Model(rewritten.model()), rewritten.result());
  }

  /** Ties the duplicated weights of a model in memory. */
  static Rewritten rewrite(OnnxModel model, RewriteOptions options) {
    return rewrite(model, options, Set.of(), Progress.NONE);
  }

  /**
   * {@link #rewrite(OnnxModel, RewriteOptions)}, first turning the Constant nodes that write {@code
   * constantsToInitializers} into initializers (a shared rewrite stores those of them that other
   * files also hold once), telling {@code progress} the bytes read while finding duplicates.
   */
  static Rewritten rewrite(
      OnnxModel model,
      RewriteOptions options,
      Set<String> constantsToInitializers,
      Progress progress) {
    GraphEditor editor = new GraphEditor(model);
    boolean converted = false;
    for (String name : constantsToInitializers) {
      for (Scope scope : editor.scopes()) {
        if (scope.constantToInitializer(name)) {
          converted = true;
          break;
        }
      }
    }
    long total = 0;
    for (Scope scope : editor.scopes()) {
      for (var source : scope.tensorSources()) {
        if (source.byteSize() >= options.minBytes()
            && !(editor.irVersion() >= 4 && scope.isGraphInput(source.name()))) {
          total += source.byteSize();
        }
      }
    }
    long totalBytes = total;
    AtomicLong done = new AtomicLong();
    Passes.Config config =
        new Passes.Config(PassForms.of(options.form().name()), options.minBytes())
            .withBytesRead(bytes -> progress.bytes(done.addAndGet(bytes), totalBytes));
    PassResult result =
        Passes.run(editor, Passes.forRewrite(PassForms.of(options.form().name())), config);
    boolean edited = converted || result.changes() > 0 || !result.ties().isEmpty();
    return new Rewritten(editor.buildIfEdited(edited), TieResult.of(result, options.dryRun()));
  }

  /**
   * Rewrites a model already read (e.g. from standard input) and writes it to {@code out} (e.g.
   * standard output), unless it is a dry run. Verification and external data are refused: ONNX
   * Runtime loads models from files, and a stream holds one file.
   */
  public static RewriteReport rewrite(
      Model read, String inLabel, OutputStream out, String outLabel, RewriteOptions options) {
    return RewriteJob.rewriteRead(read, inLabel, out, outLabel, options);
  }

  /** Rewrites a model already read (e.g. from standard input) into a file; no verification. */
  public static RewriteReport rewrite(
      Model read, String inLabel, Path out, RewriteOptions options) {
    return RewriteJob.rewriteRead(read, inLabel, out, options);
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

  /**
   * {@link #rewrite(Path, Path, RewriteOptions)}, telling {@code progress} each phase as it begins.
   */
  public static RewriteReport rewrite(
      Path in, Path out, RewriteOptions options, Progress progress) {
    return RewriteJob.rewrite(in, out, options, progress);
  }

  /**
   * Rewrites every {@code .onnx} file of a folder into another folder, in name order, {@code jobs}
   * files at a time (the output does not depend on {@code jobs}), and copies every other file of
   * the folder (config.json, tokenizer files, sub-folders) byte for byte. A new output folder
   * appears whole or not at all; see {@link FolderRewrite}.
   *
   * @param sharedData when not null, all models are written against one external data file of this
   *     name in which every distinct tensor is stored once
   */
  public static FolderRewriteReport rewriteFolder(
      Path inDir,
      Path outDir,
      RewriteOptions options,
      String sharedData,
      int jobs,
      Progress progress) {
    return FolderRewrite.run(inDir, outDir, options, sharedData, jobs, progress);
  }

  /**
   * Runs a staged output against its input, read for the purpose (a folder rewrite's shared data
   * file is staged for all models at once); see {@link RewriteJob#verify}.
   */
  static Verification verifyBeforeRename(
      Path in, Path staged, Path out, VerifyOptions options, Progress progress) {
    try (OnnxModel original = ModelIO.read(in)) {
      return RewriteJob.verify(original, in, staged, out, options, progress);
    }
  }

  /**
   * Checks models for untied duplicates of at least {@code minBytes}: inside each file and, with
   * {@code acrossFiles}, tensors that several of the files each hold without sharing storage.
   */
  public static CheckReport check(
      List<Path> paths, long minBytes, boolean acrossFiles, int jobs, Progress progress) {
    return check(paths, minBytes, acrossFiles, false, jobs, progress);
  }

  /**
   * Checks models as {@link #check(List, long, boolean, int, Progress)} does; with {@code
   * transposedTies}, a weight tied through a Transpose that ONNX Runtime materializes (read by a
   * MatMul) also fails the check.
   */
  public static CheckReport check(
      List<Path> paths,
      long minBytes,
      boolean acrossFiles,
      boolean transposedTies,
      int jobs,
      Progress progress) {
    return check(paths, paths, minBytes, acrossFiles, transposedTies, jobs, progress);
  }

  /**
   * Checks models as {@link #check(List, long, boolean, boolean, int, Progress)} does, from one
   * plan: the rewrite the check suggests is done in memory and measured on disk after layout, and
   * the waste is what it removes. A suggestion that would not make the files smaller is not made;
   * the duplicates it would not remove are listed as kept, with the reason.
   *
   * @param targets the files and folders as the user named them (the suggested command names them)
   * @param paths the model files of those targets
   */
  public static CheckReport check(
      List<Path> targets,
      List<Path> paths,
      long minBytes,
      boolean acrossFiles,
      boolean transposedTies,
      int jobs,
      Progress progress) {
    return CheckPlan.check(targets, paths, minBytes, acrossFiles, transposedTies, jobs, progress);
  }

  /**
   * One argument as a POSIX shell takes it: as is when plain, else in single quotes (fix lines, the
   * report's command line).
   */
  public static String shellWord(String argument) {
    return OutputNames.shellWord(argument);
  }

  /**
   * A name for the output: {@code exported/} gives {@code exported-tied}, {@code m.onnx} gives
   * {@code m-tied.onnx}; beside the target when its folder is writable and not inside the tool's
   * own folder, otherwise in the current folder.
   */
  public static String tiedName(Path target) {
    return OutputNames.tiedName(target);
  }

  /** {@link #tiedName(Path)} with the tool's own folder given (null: none). */
  public static String tiedName(Path target, Path toolHome) {
    return OutputNames.tiedName(target, toolHome);
  }

  /**
   * Inspects every model of a list and finds the tensors several of them hold. Of several models,
   * one that cannot be read (bad input: too new, truncated, ...) is listed in the report's {@code
   * refused} with its reason and the others are still reported; a single model's failure is thrown.
   */
  public static FolderInspectReport inspectAll(
      List<Path> paths, long minBytes, int jobs, Progress progress) {
    return ModelFolders.inspectAll(paths, minBytes, jobs, progress);
  }

  /** Tensors that several of the model files each hold (identical or permuted). */
  public static List<CrossFileGroup> acrossFiles(List<Path> models, long minBytes) {
    return ModelFolders.acrossFiles(models, minBytes);
  }

  /**
   * The {@code .onnx} files of a folder (not its sub-folders), sorted by name; bad input when there
   * are none.
   */
  public static List<Path> modelsIn(Path dir) {
    return ModelFolders.modelsIn(dir);
  }

  /**
   * Adds a decoder layer tied to an encoder's weight (or a mirrored decoder stack) and writes the
   * result; with {@code request.verify()}, the output is first run against the input on the input's
   * outputs (the new ones left out), and a mismatch writes nothing.
   *
   * @throws VerificationFailedException when the original outputs changed
   */
  public static InsertReport insert(Path in, Path out, InsertRequest request) {
    return RewriteJob.insert(in, out, request);
  }

  /**
   * Verifies two models in ONNX Runtime on the same inputs, restricted to the outputs the settings
   * name.
   */
  public static Verification compare(Path a, Path b, VerifySettings settings) {
    return compare(a, b, settings, Progress.NONE);
  }

  /**
   * {@link #compare(Path, Path, VerifySettings)}, telling {@code progress} each step (session A and
   * its runs k of N, then session B and its runs).
   */
  public static Verification compare(Path a, Path b, VerifySettings settings, Progress progress) {
    VerifyOptions options = settings.toOptions();
    progress.phase("verifying");
    try (Verifier verifier =
        new Verifier(options).withProgress(step -> progress.phase("verifying: " + step))) {
      return verifier.compare(a, b);
    }
  }

  /**
   * The ties between two existing models, as a rewrite of {@code a} into {@code b} would report
   * them: the duplicates of {@code a} that {@code b} no longer holds; with {@code verify} (may be
   * null), both run in ONNX Runtime.
   */
  public static RewriteReport tiesBetween(Path a, Path b, long minBytes, VerifySettings verify) {
    return TiesBetween.of(a, b, minBytes, verify);
  }

  /**
   * Runs one model on a folder in ONNX's test layout ({@code input_*.pb}, {@code output_*.pb}) and
   * compares with its expected outputs.
   */
  public static Verification compareExpected(Path model, Path dataSet, VerifySettings settings) {
    VerifyOptions options = settings.toOptions();
    try (Verifier verifier = new Verifier(options)) {
      return verifier.againstExpected(model, dataSet);
    }
  }

  /** The dense layers of a model's main graph that {@code insert} can tie a decoder to. */
  static List<InspectReport.DenseLayerInfo> denseLayers(GraphEditor editor) {
    return DenseLayer.find(editor.main()).stream()
        .map(
            layer ->
                new InspectReport.DenseLayerInfo(
                    layer.name(),
                    layer.node().opType(),
                    layer.weight().name(),
                    layer.inputWidth(),
                    layer.outputWidth(),
                    layer.activation()))
        .toList();
  }

  /**
   * The external data files a model file reads (none for a single file; bad input when it cannot be
   * read).
   */
  public static List<Path> dataFilesOf(Path model) {
    return Staging.dataFilesOf(model);
  }

  /**
   * Writes the HTML report of a rewrite ({@code --report}): the command line, what it printed, the
   * result, and the graphs before and after, by model.
   */
  public static void writeHtmlReport(
      String title,
      String commandLine,
      List<String> printed,
      FolderRewriteReport result,
      boolean folder,
      Map<String, GraphOutline> before,
      Map<String, GraphOutline> after,
      Path file) {
    HtmlReport.write(
        new ReportInput(title, commandLine, printed, result, folder, before, after), file);
  }

  /** Everything {@code inspect} shows of a model file. */
  public static InspectReport inspect(Path file, long minBytes) {
    try (OnnxModel model = ModelIO.read(file)) {
      return Inspection.of(model, file.toString(), minBytes);
    }
  }

  /** Everything {@code inspect} shows of a model read (e.g. from standard input). */
  public static InspectReport inspect(Model model, String label, long minBytes) {
    return Inspection.of(model.model(), label, minBytes);
  }

  /** Bytes of model files plus the external data files they use, read for the purpose. */
  static long totalBytesOf(List<Path> paths) {
    return ModelBytes.totalBytesOf(paths);
  }
}
