package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.NewerIr;
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
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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

  /**
   * Reads models of an IR version newer than this tool knows ({@code --allow-newer-ir}) while the
   * returned scope is open, when {@code allow}: see {@link NewerIr}.
   */
  public static NewerIr.Scope allowNewerIr(boolean allow) {
    return NewerIr.allow(allow);
  }

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

  /**
   * {@link #rewrite(OnnxModel, RewriteOptions)}, telling {@code progress} the bytes read while
   * finding duplicates.
   */
  public static Rewritten rewrite(OnnxModel model, RewriteOptions options, Progress progress) {
    return rewrite(model, options, java.util.Set.of(), progress);
  }

  /**
   * {@link #rewrite(OnnxModel, RewriteOptions, Progress)}, first turning the Constant nodes that
   * write {@code constantsToInitializers} into initializers (a shared rewrite stores those of them
   * that other files also hold once).
   */
  static Rewritten rewrite(
      OnnxModel model,
      RewriteOptions options,
      java.util.Set<String> constantsToInitializers,
      Progress progress) {
    GraphEditor editor = new GraphEditor(model);
    for (String name : constantsToInitializers) {
      for (Scope scope : editor.scopes()) {
        if (scope.constantToInitializer(name)) {
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
        new Passes.Config(options.form(), options.minBytes())
            .withBytesRead(bytes -> progress.bytes(done.addAndGet(bytes), totalBytes));
    PassResult result = Passes.run(editor, Passes.forRewrite(options.form()), config);
    return new Rewritten(editor.build(), TieResult.of(result, options.dryRun()));
  }

  /**
   * Rewrites a model already read (e.g. from standard input) and writes it to {@code out} (e.g.
   * standard output), unless it is a dry run. Verification and external data are refused: ONNX
   * Runtime loads models from files, and a stream holds one file.
   */
  public static RewriteReport rewrite(
      OnnxModel model,
      String inLabel,
      java.io.OutputStream out,
      String outLabel,
      RewriteOptions options) {
    if (options.verify() != null) {
      throw OnnxTieException.badInput(
          "--verify needs IN and OUT to be files (ONNX Runtime loads models from files)");
    }
    if (options.write().layout() == WriteOptions.Layout.EXTERNAL) {
      throw OnnxTieException.badInput("external data cannot go through standard input or output");
    }
    Rewritten rewritten = rewrite(model, options);
    if (!options.dryRun()) {
      write(rewritten.model(), out);
    }
    return new RewriteReport(
        inLabel,
        options.dryRun() ? null : outLabel,
        options.dryRun(),
        rewritten.result(),
        model.source() == null ? 0 : fileBytes(model),
        null,
        List.of(),
        null,
        null);
  }

  /** Rewrites a model already read (e.g. from standard input) into a file; no verification. */
  public static RewriteReport rewrite(
      OnnxModel model, String inLabel, Path out, RewriteOptions options) {
    if (options.verify() != null) {
      throw OnnxTieException.badInput(
          "--verify needs IN and OUT to be files (ONNX Runtime loads models from files)");
    }
    Rewritten rewritten = rewrite(model, options);
    if (options.dryRun()) {
      return new RewriteReport(
          inLabel, null, true, rewritten.result(), fileBytes(model), null, List.of(), null, null);
    }
    List<String> written =
        ModelIO.write(rewritten.model(), out, options.write()).stream()
            .map(Path::toString)
            .toList();
    return new RewriteReport(
        inLabel,
        out.toString(),
        false,
        rewritten.result(),
        fileBytes(model),
        written.stream().mapToLong(file -> sizeOf(Path.of(file))).sum(),
        written,
        RewriteReport.dataFileOf(written),
        null);
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
        return new RewriteReport(
            in.toString(), null, true, rewritten.result(), before, null, List.of(), null, null);
      }
      progress.phase("writing " + out.getFileName());
      Verification[] verification = {null};
      List<Path> written =
          ModelIO.write(
              rewritten.model(),
              out,
              options.write(),
              staged -> {
                if (options.verify() != null) {
                  verification[0] = verifyBeforeRename(in, staged, out, options.verify(), progress);
                }
              });
      long after = 0;
      for (Path file : written) {
        after += sizeOf(file);
      }
      List<String> files = written.stream().map(Path::toString).toList();
      return new RewriteReport(
          in.toString(),
          out.toString(),
          false,
          rewritten.result(),
          before,
          after,
          files,
          RewriteReport.dataFileOf(files),
          verification[0]);
    }
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

  static Verification verifyBeforeRename(
      Path in, Path staged, Path out, VerifyOptions options, Progress progress) {
    progress.phase("verifying " + out.getFileName());
    try (Verifier verifier =
        new Verifier(options)
            .withProgress(step -> progress.phase("verifying " + out.getFileName() + ": " + step))) {
      Verification report =
          samePath(in, out)
              ? Verification.of(verifier.compare(in, staged), options)
                  .withSides(in + " (original)", out + " (rewritten)")
              : Verification.of(verifier.compare(in, staged).withB(out.toString()), options);
      if (!report.passed()) {
        List<String> failed = report.failedOutputs();
        throw new VerificationFailedException(
            "verification failed: the rewrite of "
                + in
                + " differs from it ("
                + (failed.isEmpty() ? "interfaces differ" : String.join(", ", failed))
                + "); nothing was written",
            report);
      }
      return report;
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
    List<Path> given = distinct(paths);
    List<RefusedFile> refused = new ArrayList<>();
    List<InspectReport> reports =
        inspectEach(
            given,
            jobs,
            progress,
            refused,
            model -> {
              try (OnnxModel read = read(model)) {
                return Inspection.of(read, model.toString(), minBytes, false);
              }
            });
    List<Path> models = readable(given, refused);
    List<String> labels = models.stream().map(Path::toString).toList();
    boolean singleFile = targets.size() == 1 && !Files.isDirectory(targets.get(0));
    List<String> outNames =
        models.stream()
            .map(
                model ->
                    singleFile
                        ? Path.of(tiedName(model)).getFileName().toString()
                        : model.getFileName().toString())
            .toList();
    RewriteOptions options = RewriteOptions.defaults().withMinBytes(minBytes);
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        read.add(read(model));
      }
      boolean across = acrossFiles && models.size() > 1;
      List<GraphEditor> editors = read.stream().map(GraphEditor::new).toList();
      List<CrossFileFinder.Group> found =
          across ? CrossFileFinder.find(editors, labels, minBytes) : List.of();
      List<CrossFileGroup> groups = found.stream().map(CrossFileGroup::of).toList();
      Plan.Measured[] plans =
          plans(read, labels, outNames, options, across ? editors : null, found);
      // with --transposed-ties, the form follows from what the rewrite leaves: a tie of a duplicate
      // through a Transpose (the transpose form) that ONNX Runtime holds twice needs --form gemm
      // too
      boolean gated =
          transposedTies
              && (reports.stream().anyMatch(report -> !report.transposedTies().isEmpty())
                  || plans[2] != null && heldTwiceAfter(plans[2]));
      if (gated) {
        plans =
            plans(
                read,
                labels,
                outNames,
                options.withForm(TieForm.GEMM),
                across ? editors : null,
                found);
      }
      Plan.Measured own = plans[0];
      Plan.Measured shared = plans[1];
      Plan.Measured chosen = plans[2];
      long before = own.before();
      Plan.Measured best = shared != null && shared.after() < own.after() ? shared : own;
      // a folder rewrite refuses a folder with any unreadable model: no command to suggest until
      // then
      String refusedFirst =
          refused.isEmpty()
              ? null
              : "remove or repair the refused "
                  + (refused.size() == 1 ? "file" : "files")
                  + " first ("
                  + String.join(", ", refused.stream().map(RefusedFile::path).toList())
                  + "), then check again";
      String noFix =
          chosen != null || (own.ties() == 0 && (shared == null || shared.sharedCopies() == 0))
              ? null
              : "a rewrite would not make the files smaller ("
                  + before
                  + " -> "
                  + best.after()
                  + " bytes"
                  + (shared == null
                      ? ""
                      : best == shared ? " with --shared-data" : " each on its own")
                  + ")";
      Plan.Measured listed = chosen != null ? chosen : own;
      Map<String, List<InspectReport.DuplicateGroup>> within = new LinkedHashMap<>();
      Map<String, List<InspectReport.TransposedTie>> transposed = new LinkedHashMap<>();
      List<KeptDuplicate> kept = new ArrayList<>();
      List<java.util.Set<String>> removedWithin = new ArrayList<>();
      for (int i = 0; i < models.size(); i++) {
        String file = labels.get(i);
        java.util.Set<String> removed = new java.util.HashSet<>();
        for (TieInfo tie : listed.results().get(i).ties()) {
          if (tie.saves() && chosen != null) {
            removed.add(tie.removed());
          } else {
            kept.add(
                new KeptDuplicate(
                    file,
                    tie.removed(),
                    tie.kept(),
                    file,
                    tie.relation(),
                    tie.bytes(),
                    tie.saves() ? noFix : tie.reason()));
          }
        }
        removedWithin.add(removed);
        List<InspectReport.DuplicateGroup> fileGroups = new ArrayList<>();
        for (InspectReport.DuplicateGroup group : reports.get(i).duplicates()) {
          List<InspectReport.Member> members =
              group.members().stream().filter(member -> removed.contains(member.name())).toList();
          if (!members.isEmpty()) {
            fileGroups.add(
                new InspectReport.DuplicateGroup(
                    group.kept(),
                    group.dtype(),
                    group.shape(),
                    group.scope(),
                    members,
                    members.stream().mapToLong(InspectReport.Member::bytes).sum()));
          }
        }
        within.put(file, fileGroups);
        transposed.put(file, reports.get(i).transposedTies());
      }
      List<CrossFileGroup> acrossGroups = new ArrayList<>();
      for (CrossFileGroup group : groups) {
        List<CrossFileGroup.Copy> copies = new ArrayList<>();
        for (CrossFileGroup.Copy copy : group.copies()) {
          if (copy.storedOnce()
              || (chosen != null
                  && chosen.shared()
                  && copy.relation() instanceof TieRelation.Identical)) {
            copies.add(copy);
          } else if (!removedWithin.get(labels.indexOf(copy.file())).contains(copy.tensor())) {
            String reason =
                !(copy.relation() instanceof TieRelation.Identical)
                    ? "a shared data file stores identical bytes once; a "
                        + copy.relation().text()
                        + " copy in another file stays"
                    : noFix != null
                        ? noFix
                        : shared.saves()
                            ? "one shared data file (--shared-data) saves less than rewriting each file on its own ("
                                + before
                                + " -> "
                                + shared.after()
                                + " bytes, against "
                                + own.after()
                                + ")"
                            : "storing the models' tensors in one shared data file (--shared-data) would not make the files smaller ("
                                + before
                                + " -> "
                                + shared.after()
                                + " bytes)";
            kept.add(
                new KeptDuplicate(
                    copy.file(),
                    copy.tensor(),
                    group.tensor(),
                    group.file(),
                    copy.relation(),
                    copy.bytes(),
                    reason));
          }
        }
        if (!copies.isEmpty()) {
          acrossGroups.add(
              new CrossFileGroup(
                  group.file(),
                  group.tensor(),
                  group.dtype(),
                  group.shape(),
                  copies,
                  copies.stream()
                      .filter(copy -> !copy.storedOnce())
                      .mapToLong(CrossFileGroup.Copy::bytes)
                      .sum()));
        }
      }
      long wasted = chosen == null ? 0 : before - chosen.after();
      // one command fixes both: rewrite --form gemm ties the duplicates and turns the Transpose
      // ties ONNX Runtime holds twice into Gemm
      String fix =
          refusedFirst != null
              ? null
              : chosen != null
                  ? fix(targets, chosen.shared(), minBytes, gated)
                  : gated ? fix(targets, false, minBytes, true) : null;
      // nothing could be checked when every model was refused: that is no pass
      return new CheckReport(
          wasted == 0 && !gated && !models.isEmpty(),
          minBytes,
          wasted,
          within,
          acrossGroups,
          transposedTies,
          transposed,
          before,
          chosen == null ? before : chosen.after(),
          fix,
          kept,
          refusedFirst != null && (chosen != null || gated) ? refusedFirst : noFix,
          refused);
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  /**
   * The models rewritten each on its own, with one shared data file (null without {@code editors}),
   * and the one of those two that saves most (null when neither makes the files smaller).
   */
  private static Plan.Measured[] plans(
      List<OnnxModel> read,
      List<String> labels,
      List<String> outNames,
      RewriteOptions options,
      List<GraphEditor> editors,
      List<CrossFileFinder.Group> found) {
    Plan.Measured own = Plan.eachOnItsOwn(read, outNames, options);
    Plan.Measured shared =
        editors != null
            ? Plan.shared(read, labels, options, Plan.SHARED_DATA, editors, found, own)
            : null;
    Plan.Measured chosen = null;
    for (Plan.Measured plan : java.util.Arrays.asList(own, shared)) {
      if (plan != null && plan.saves() && (chosen == null || plan.after() < chosen.after())) {
        chosen = plan;
      }
    }
    return new Plan.Measured[] {own, shared, chosen};
  }

  /**
   * True when a model the plan rewrote holds a weight tied through a Transpose that ONNX Runtime
   * holds twice.
   */
  private static boolean heldTwiceAfter(Plan.Measured plan) {
    return plan.rewritten().stream()
        .anyMatch(
            model ->
                TransposedTie.find(new GraphEditor(model)).stream()
                    .anyMatch(TransposedTie::heldTwice));
  }

  /**
   * The command line of the rewrite a check measured: {@code onnx-tie rewrite m.onnx m-tied.onnx}
   * for one file, {@code onnx-tie rewrite exported exported-tied [--shared-data]} for one folder.
   */
  static String fix(List<Path> targets, boolean shared, long minBytes, boolean gemm) {
    String options =
        (minBytes == DEFAULT_MIN_BYTES ? "" : " --min-bytes " + minBytes)
            + (gemm ? " --form gemm" : "")
            + (NewerIr.allowed() ? " --allow-newer-ir" : "");
    if (targets.size() == 1) {
      Path target = targets.get(0);
      return "onnx-tie rewrite "
          + shellWord(target.toString())
          + " "
          + shellWord(tiedName(target))
          + (shared ? " --shared-data" : "")
          + options;
    }
    return shared
        ? "put the models in one folder DIR and run onnx-tie rewrite DIR DIR-tied --shared-data"
            + options
        : "onnx-tie rewrite MODEL MODEL-tied.onnx" + options + " for each file listed";
  }

  private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./=:,+@%-]+");

  /**
   * One argument as a POSIX shell takes it: as is when plain, else in single quotes (fix lines, the
   * report's command line).
   */
  public static String shellWord(String argument) {
    return PLAIN_WORD.matcher(argument).matches()
        ? argument
        : "'" + argument.replace("'", "'\\''") + "'";
  }

  /**
   * A name for the output: {@code exported/} gives {@code exported-tied}, {@code m.onnx} gives
   * {@code m-tied.onnx}; beside the target when its folder is the user's own (see {@link
   * #besideTarget}), otherwise in the current folder.
   */
  public static String tiedName(Path target) {
    return tiedName(target, toolHome());
  }

  /** {@link #tiedName(Path)} with the tool's own folder given (null: none). */
  public static String tiedName(Path target, Path toolHome) {
    String name = target.getFileName() == null ? "model" : target.getFileName().toString();
    String tied =
        name.endsWith(".onnx")
            ? name.substring(0, name.length() - 5) + "-tied.onnx"
            : name + "-tied";
    Path parent = target.getParent();
    return parent == null || !besideTarget(parent, toolHome)
        ? tied
        : parent.resolve(tied).toString();
  }

  /**
   * Whether an output may go in {@code folder}: it is writable and not inside this tool's own
   * folder {@code toolHome} (the repository, or where the release was unpacked or installed), whose
   * samples are not the user's to write beside.
   */
  static boolean besideTarget(Path folder, Path toolHome) {
    Path real;
    try {
      real = folder.toRealPath();
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return Files.isWritable(real) && (toolHome == null || !real.startsWith(toolHome));
  }

  /** The folder this tool runs from (see {@link #toolHome(Path)}); null when unknown. */
  static Path toolHome() {
    try {
      CodeSource source = OnnxTie.class.getProtectionDomain().getCodeSource();
      if (source == null || source.getLocation() == null) {
        return null;
      }
      return toolHome(Path.of(source.getLocation().toURI()).toRealPath());
    } catch (IOException | URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The tool's folder for its jar or classes folder {@code location}: the parent of the folder
   * holding it when that folder is {@code target} or {@code lib} ({@code target/onnx-tie-cli.jar}
   * and {@code target/classes} give the repository, {@code lib/onnx-tie.jar} the release's folder),
   * else that folder itself ({@code /tmp/x.jar} gives {@code /tmp}, not {@code /}); null when none.
   */
  static Path toolHome(Path location) {
    Path folder = location.getParent();
    if (folder == null) {
      return null;
    }
    Path name = folder.getFileName();
    boolean build =
        name != null && (name.toString().equals("target") || name.toString().equals("lib"));
    return build && folder.getParent() != null ? folder.getParent() : folder;
  }

  /**
   * Inspects every model of a list and finds the tensors several of them hold. Of several models,
   * one that cannot be read (bad input: too new, truncated, ...) is listed in the report's {@code
   * refused} with its reason and the others are still reported; a single model's failure is thrown.
   */
  public static FolderInspectReport inspectAll(
      List<Path> paths, long minBytes, int jobs, Progress progress) {
    List<Path> given = distinct(paths);
    List<RefusedFile> refused = new ArrayList<>();
    List<InspectReport> reports =
        inspectEach(given, jobs, progress, refused, model -> inspect(model, minBytes));
    List<Path> models = readable(given, refused);
    if (models.size() < 2) {
      return new FolderInspectReport(reports, List.of(), 0, null, null, null, refused);
    }
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        read.add(read(model));
      }
      // the plan: each file rewritten on its own against all of them sharing one data file,
      // measured on disk
      RewriteOptions options = RewriteOptions.defaults().withMinBytes(minBytes);
      Plan.Measured own =
          Plan.eachOnItsOwn(
              read, models.stream().map(model -> model.getFileName().toString()).toList(), options);
      List<GraphEditor> editors = read.stream().map(GraphEditor::new).toList();
      List<String> labels = models.stream().map(Path::toString).toList();
      List<CrossFileFinder.Group> found = CrossFileFinder.find(editors, labels, minBytes);
      List<CrossFileGroup> across = found.stream().map(CrossFileGroup::of).toList();
      Plan.Measured shared =
          Plan.shared(read, labels, options, Plan.SHARED_DATA, editors, found, own);
      long ownSaving = own.saves() ? own.before() - own.after() : 0;
      long sharedSaving = shared.saves() ? shared.before() - shared.after() : 0;
      return new FolderInspectReport(
          reports,
          across,
          Math.max(0, sharedSaving - ownSaving),
          own.before(),
          own.after(),
          shared.after(),
          refused);
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  /** One model's inspection, or why it was refused. */
  private record Inspected(InspectReport report, RefusedFile refused) {}

  /**
   * The reports of the models that can be read, in order; of several models, each one refused as
   * bad input is added to {@code refused} instead (one model alone throws, as before).
   */
  private static List<InspectReport> inspectEach(
      List<Path> models,
      int jobs,
      Progress progress,
      List<RefusedFile> refused,
      Function<Path, InspectReport> inspector) {
    if (models.size() < 2) {
      return Parallel.map(models, jobs, progress, inspector);
    }
    List<Inspected> outcomes =
        Parallel.map(
            models,
            jobs,
            progress,
            model -> {
              try {
                return new Inspected(inspector.apply(model), null);
              } catch (OnnxTieException e) {
                if (e.exitCode() != OnnxTieException.BAD_INPUT) {
                  throw e;
                }
                return new Inspected(null, new RefusedFile(model.toString(), e.getMessage()));
              }
            });
    List<InspectReport> reports = new ArrayList<>();
    for (Inspected outcome : outcomes) {
      if (outcome.refused() != null) {
        refused.add(outcome.refused());
      } else {
        reports.add(outcome.report());
      }
    }
    return reports;
  }

  /** The models not refused. */
  private static List<Path> readable(List<Path> models, List<RefusedFile> refused) {
    Set<String> names = refused.stream().map(RefusedFile::path).collect(Collectors.toSet());
    return models.stream().filter(model -> !names.contains(model.toString())).toList();
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
      return CrossFileFinder.find(
              read.stream().map(GraphEditor::new).toList(),
              models.stream().map(Path::toString).toList(),
              minBytes)
          .stream()
          .map(CrossFileGroup::of)
          .toList();
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  /**
   * For a folder without models: that sub-folders are not searched, and the first sub-folder (by
   * name) that holds a {@code .onnx} file, to name instead.
   */
  private static String subFolderHint(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      List<Path> folders =
          entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
      for (Path folder : folders) {
        try (Stream<Path> files = Files.list(folder)) {
          if (files.anyMatch(
              p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))) {
            return " (sub-folders are not searched: name one that holds models, such as "
                + folder
                + ")";
          }
        } catch (IOException e) {
          // an unreadable sub-folder: not a suggestion
        }
      }
    } catch (IOException e) {
      // no hint
    }
    return " (sub-folders are not searched)";
  }

  /**
   * The {@code .onnx} files of a folder (not its sub-folders), sorted by name; bad input when there
   * are none.
   */
  public static List<Path> modelsIn(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw OnnxTieException.badInput("no such folder: " + dir);
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> models =
          files
              .filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))
              .sorted()
              .toList();
      if (models.isEmpty()) {
        throw OnnxTieException.badInput(
            "folder " + dir + " holds no .onnx file" + subFolderHint(dir));
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
      PassResult result =
          Passes.run(
              editor,
              List.of("insert-tied-decoder"),
              new Passes.Config(TieForm.TRANSPOSE, TieFinder.DEFAULT_MIN_BYTES, options));
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
      PassResult result =
          Passes.run(
              editor,
              List.of("insert-tied-decoder"),
              new Passes.Config(
                  TieForm.TRANSPOSE, TieFinder.DEFAULT_MIN_BYTES, request.toOptions()));
      VerifyOptions verify = request.verify();
      if (verify != null && verify.outputs().isEmpty()) {
        verify = verify.withOutputs(new GraphEditor(model).main().outputNames());
      }
      VerifyOptions options = verify;
      Verification[] verification = {null};
      ModelIO.write(
          editor.build(),
          out,
          WriteOptions.defaults(),
          staged -> {
            if (options != null) {
              verification[0] = verifyBeforeRename(in, staged, out, options, Progress.NONE);
            }
          });
      return new InsertReport(
          in.toString(), out.toString(), result.changes(), result.notes(), verification[0]);
    }
  }

  /**
   * Verifies two models in ONNX Runtime on the same inputs: the API's report, restricted as the
   * options say.
   */
  public static Verification compare(Path a, Path b, VerifyOptions options) {
    return compare(a, b, options, Progress.NONE);
  }

  /**
   * {@link #compare(Path, Path, VerifyOptions)}, telling {@code progress} each step (session A and
   * its runs k of N, then session B and its runs).
   */
  public static Verification compare(Path a, Path b, VerifyOptions options, Progress progress) {
    progress.phase("verifying");
    try (Verifier verifier =
        new Verifier(options).withProgress(step -> progress.phase("verifying: " + step))) {
      return Verification.of(verifier.compare(a, b), options);
    }
  }

  /**
   * The ties between two existing models, as a rewrite of {@code a} into {@code b} would report
   * them: the duplicates of {@code a} that {@code b} no longer holds; with {@code verify} (may be
   * null), both run in ONNX Runtime.
   */
  public static RewriteReport tiesBetween(Path a, Path b, long minBytes, VerifyOptions verify) {
    return TiesBetween.of(a, b, minBytes, verify);
  }

  /** Runs one model on a data set and compares with its expected outputs: the API's report. */
  public static Verification compareExpected(Path model, Path dataSet, VerifyOptions options) {
    try (Verifier verifier = new Verifier(options)) {
      return Verification.of(verifier.againstExpected(model, dataSet), options);
    }
  }

  /** The dense layers of a model's main graph that {@code insert} can tie a decoder to. */
  public static List<InspectReport.DenseLayerInfo> denseLayers(GraphEditor editor) {
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
   * Verifies two models in ONNX Runtime on the same inputs: the verifier's own report (not
   * restricted by {@link VerifyOptions#outputs()}); {@link #compare} returns the API's record.
   */
  public static VerifyReport verify(Path a, Path b, VerifyOptions options) {
    return verify(a, b, options, Progress.NONE);
  }

  /**
   * {@link #verify(Path, Path, VerifyOptions)}, telling {@code progress} each step (session A and
   * its runs k of N, then session B and its runs).
   */
  public static VerifyReport verify(Path a, Path b, VerifyOptions options, Progress progress) {
    progress.phase("verifying");
    try (Verifier verifier =
        new Verifier(options).withProgress(step -> progress.phase("verifying: " + step))) {
      return verifier.compare(a, b);
    }
  }

  /**
   * Runs one model on a folder in ONNX test layout and compares with its expected {@code
   * output_*.pb}.
   */
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
