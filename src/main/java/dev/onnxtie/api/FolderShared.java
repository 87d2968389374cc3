package dev.onnxtie.api;

import dev.onnxtie.model.FileOps;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.verify.Verifier;
import dev.onnxtie.verify.VerifyOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code rewrite DIR OUT --shared-data}: the models of a folder, already read, written against one
 * external data file holding every distinct tensor once, committed together.
 */
final class FolderShared {
  private FolderShared() {}

  /**
   * All models written against one external data file holding every distinct tensor once, committed
   * together.
   */
  static FolderRewriteReport shared(
      Path inDir,
      Path target,
      List<Path> models,
      List<OnnxModel> read,
      RewriteOptions options,
      String sharedData,
      int jobs,
      Progress progress,
      long before) {
    // per model, before the write replaces anything: its file plus the data files only it reads (a
    // data file several models read, such as a shared one, counts in the folder's totals only)
    long[] modelBefore = FolderInputs.ownBytes(read);
    // the same plan check measures: Constant nodes another file also holds become initializers,
    // stored once
    List<Set<String>> constants =
        Plan.constantsSharedAcrossFiles(
            read, models.stream().map(Path::toString).toList(), options.minBytes());
    List<OnnxTie.Rewritten> rewritten =
        Parallel.map(
            read,
            jobs,
            progress,
            model -> {
              progress.phase("finding duplicates in " + model.source().getFileName());
              return OnnxTie.rewrite(model, options, constants.get(read.indexOf(model)), progress);
            });
    progress.phase("writing " + models.size() + " models and " + sharedData);
    List<Path> outs = models.stream().map(m -> target.resolve(m.getFileName().toString())).toList();
    Verification[] verifications = new Verification[models.size()];
    // every tensor a check would count goes to the shared file, so that copies across files are
    // stored once
    WriteOptions write = Plan.sharedWrite(options, sharedData);
    ModelIO.SharedFiles shared =
        ModelIO.writeShared(
            rewritten.stream().map(OnnxTie.Rewritten::model).toList(),
            outs,
            sharedData,
            write,
            staged -> {
              if (options.verify() != null) {
                List<VerifyOptions> verify =
                    Verifier.perModel(
                        options.verifyOptions(),
                        models); // a --dim applies to the models that have it
                for (int i = 0; i < staged.size(); i++) {
                  verifications[i] =
                      OnnxTie.verifyBeforeRename(
                          models.get(i), staged.get(i), outs.get(i), verify.get(i), progress);
                }
              }
            });
    List<Path> written = shared.files();
    long after = 0;
    for (Path file : written) {
      after += FileOps.sizeOf(file);
    }
    List<RewriteReport> reports = new ArrayList<>();
    for (int i = 0; i < models.size(); i++) {
      // the same definition after: the model file, plus the shared data file only where no other
      // model reads it
      long modelAfter =
          FileOps.sizeOf(outs.get(i)) + (models.size() == 1 ? FileOps.sizeOf(written.get(0)) : 0);
      reports.add(
          new RewriteReport(
              models.get(i).toString(),
              outs.get(i).toString(),
              false,
              rewritten.get(i).result(),
              modelBefore[i],
              modelAfter,
              List.of(outs.get(i).toString(), written.get(0).toString()),
              written.get(0).getFileName().toString(),
              verifications[i]));
    }
    List<String> notes =
        shared.unchanged()
            ? List.of(
                "nothing changed: "
                    + target
                    + " already holds this output (the same file names and bytes)")
            : List.of();
    return new FolderRewriteReport(
        inDir.toString(),
        target.toString(),
        false,
        reports,
        written.get(0).toString(),
        before,
        after,
        List.of(),
        notes);
  }
}
