package dev.onnxtie.api;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.NewerIr;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.tie.CrossFileFinder;
import dev.onnxtie.tie.TransposedTie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code check}: the untied duplicates of models, measured from one plan (the rewrite the check
 * suggests, done in memory and measured on disk after layout), and the command that fixes them.
 */
final class CheckPlan {
  private CheckPlan() {}

  /**
   * Checks models as {@link #check(List, long, boolean, boolean, int, Progress)} does, from one
   * plan: the rewrite the check suggests is done in memory and measured on disk after layout, and
   * the waste is what it removes. A suggestion that would not make the files smaller is not made;
   * the duplicates it would not remove are listed as kept, with the reason.
   *
   * @param targets the files and folders as the user named them (the suggested command names them)
   * @param paths the model files of those targets
   */
  static CheckReport check(
      List<Path> targets,
      List<Path> paths,
      long minBytes,
      boolean acrossFiles,
      boolean transposedTies,
      int jobs,
      Progress progress) {
    List<Path> given = ModelFolders.distinct(paths);
    List<RefusedFile> refused = new ArrayList<>();
    // each model is read and validated once: the inspection keeps it open for the plan
    Map<Path, OnnxModel> open = new ConcurrentHashMap<>();
    try {
      List<InspectReport> reports =
          ModelFolders.inspectEach(
              given,
              jobs,
              progress,
              refused,
              model -> {
                OnnxModel read = ModelIO.read(model);
                try {
                  InspectReport report = Inspection.of(read, model.toString(), minBytes, false);
                  open.put(model, read);
                  return report;
                } catch (RuntimeException | Error e) {
                  read.close();
                  throw e;
                }
              });
      List<Path> models = ModelFolders.readable(given, refused);
      List<OnnxModel> read = models.stream().map(open::get).toList();
      return check(targets, models, read, reports, refused, minBytes, acrossFiles, transposedTies);
    } finally {
      open.values().forEach(OnnxModel::close);
    }
  }

  /** {@link #check}, on the models read once (same order as {@code models}) and their reports. */
  private static CheckReport check(
      List<Path> targets,
      List<Path> models,
      List<OnnxModel> read,
      List<InspectReport> reports,
      List<RefusedFile> refused,
      long minBytes,
      boolean acrossFiles,
      boolean transposedTies) {
    List<String> labels = models.stream().map(Path::toString).toList();
    boolean singleFile = targets.size() == 1 && !Files.isDirectory(targets.get(0));
    List<String> outNames =
        models.stream()
            .map(
                model ->
                    singleFile
                        ? Path.of(OutputNames.tiedName(model)).getFileName().toString()
                        : model.getFileName().toString())
            .toList();
    RewriteOptions options = RewriteOptions.defaults().withMinBytes(minBytes);
    boolean across = acrossFiles && models.size() > 1;
    List<GraphEditor> editors = across ? read.stream().map(GraphEditor::new).toList() : null;
    List<CrossFileFinder.Group> found =
        across ? CrossFileFinder.find(editors, labels, minBytes) : List.of();
    List<CrossFileGroup> groups = found.stream().map(CrossFileGroup::of).toList();
    // nothing any model could tie, within a file or across files: no rewrite to plan, the files
    // stay as they are (the plan would find no tie and choose no rewrite)
    boolean nothingToTie =
        found.isEmpty()
            && reports.stream()
                .allMatch(
                    report ->
                        report.duplicates().isEmpty()
                            && (!transposedTies || report.transposedTies().isEmpty()));
    Plan.Measured[] plans =
        nothingToTie
            ? untouched(read, across)
            : plans(read, labels, outNames, options, editors, found);
    // with --transposed-ties, the form follows from what the rewrite leaves: a tie of a duplicate
    // through a Transpose (the transpose form) that ONNX Runtime holds twice needs --form gemm
    // too
    boolean gated =
        transposedTies
            && (reports.stream().anyMatch(report -> !report.transposedTies().isEmpty())
                || plans[2] != null && heldTwiceAfter(plans[2]));
    if (gated) {
      plans = plans(read, labels, outNames, options.withForm(TieForm.GEMM), editors, found);
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
    List<Set<String>> removedWithin = new ArrayList<>();
    for (int i = 0; i < models.size(); i++) {
      String file = labels.get(i);
      Set<String> removed = new HashSet<>();
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
  }

  /**
   * The plans of models nothing of which could tie, without rewriting them: each on its own (and
   * with one shared data file, when {@code across}) finds no tie and saves nothing, so neither is
   * chosen; only the bytes before and the (empty) results are read from them.
   */
  private static Plan.Measured[] untouched(List<OnnxModel> read, boolean across) {
    long before = ModelBytes.totalBytes(read);
    List<TieResult> results =
        read.stream().map(model -> new TieResult("tie", 0, List.of(), List.of())).toList();
    Plan.Measured own = new Plan.Measured(false, before, before, results, 0, List.of());
    Plan.Measured shared =
        across ? new Plan.Measured(true, before, before, results, 0, List.of()) : null;
    return new Plan.Measured[] {own, shared, null};
  }

  /**
   * The models rewritten each on its own, with one shared data file (null without {@code editors}),
   * and the one of those two that saves most (null when neither makes the files smaller).
   */
  static Plan.Measured[] plans(
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
    for (Plan.Measured plan : Arrays.asList(own, shared)) {
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
  static boolean heldTwiceAfter(Plan.Measured plan) {
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
        (minBytes == OnnxTie.DEFAULT_MIN_BYTES ? "" : " --min-bytes " + minBytes)
            + (gemm ? " --form gemm" : "")
            + (NewerIr.allowed() ? " --allow-newer-ir" : "");
    if (targets.size() == 1) {
      Path target = targets.get(0);
      return "onnx-tie rewrite "
          + OutputNames.shellWord(target.toString())
          + " "
          + OutputNames.shellWord(OutputNames.tiedName(target))
          + (shared ? " --shared-data" : "")
          + options;
    }
    return shared
        ? "put the models in one folder DIR and run onnx-tie rewrite DIR DIR-tied --shared-data"
            + options
        : "onnx-tie rewrite MODEL MODEL-tied.onnx" + options + " for each file listed";
  }
}
