package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.Prefault;
import dev.onnxtie.model.StagedWrite;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.pass.PassResult;
import dev.onnxtie.pass.Passes;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.verify.Verifier;
import dev.onnxtie.verify.VerifyOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The one path of a rewrite of a model file, in order: read the input once, edit it in memory,
 * build the new model, stage it beside the output ({@link StagedWrite}), verify the staged file
 * against the model already read, and only then commit it into place. A failed verification closes
 * the staged write, so nothing is written; nothing in {@code model/} calls back into the api.
 */
final class RewriteJob {
  private RewriteJob() {}

  /** See {@link OnnxTie#rewrite(Path, Path, RewriteOptions, Progress)}. */
  static RewriteReport rewrite(Path in, Path out, RewriteOptions options, Progress progress) {
    progress.phase("reading " + in.getFileName());
    // every byte is written: the pages are mapped on the other core meanwhile
    try (OnnxModel model = ModelIO.read(in, !options.dryRun())) {
      return rewrite(model, in, out, options, progress);
    }
  }

  /**
   * {@link #rewrite(Path, Path, RewriteOptions, Progress)} of a model already read from {@code in}
   * (a folder rewrite reads every model before it writes any); the caller closes the model.
   */
  static RewriteReport rewrite(
      OnnxModel model, Path in, Path out, RewriteOptions options, Progress progress) {
    long before = ModelBytes.fileBytes(model);
    if (!options.dryRun()) {
      Prefault.externalData(model);
    }
    progress.phase("finding duplicates in " + in.getFileName());
    OnnxTie.Rewritten rewritten = OnnxTie.rewrite(model, options, Set.of(), progress);
    if (options.dryRun()) {
      return new RewriteReport(
          in.toString(), null, true, rewritten.result(), before, null, List.of(), null, null);
    }
    progress.phase("writing " + out.getFileName());
    Committed committed =
        stageVerifyCommit(
            model,
            in,
            rewritten.model(),
            out,
            options.writeOptions(),
            options.verifyOptions(),
            progress);
    long after = 0;
    for (Path file : committed.files()) {
      after += ModelBytes.sizeOf(file);
    }
    List<String> files = committed.files().stream().map(Path::toString).toList();
    return new RewriteReport(
        in.toString(),
        out.toString(),
        false,
        rewritten.result(),
        before,
        after,
        files,
        RewriteReport.dataFileOf(files),
        committed.verification());
  }

  /** See {@link OnnxTie#rewrite(Model, String, OutputStream, String, RewriteOptions)}. */
  static RewriteReport rewriteRead(
      Model read, String inLabel, OutputStream out, String outLabel, RewriteOptions options) {
    OnnxModel model = read.model();
    if (options.verify() != null) {
      throw OnnxTieException.badInput(
          "--verify needs IN and OUT to be files (ONNX Runtime loads models from files)");
    }
    if (options.write().kind() == OutputLayout.Kind.EXTERNAL) {
      throw OnnxTieException.badInput("external data cannot go through standard input or output");
    }
    OnnxTie.Rewritten rewritten = OnnxTie.rewrite(model, options);
    if (!options.dryRun()) {
      ModelIO.write(rewritten.model(), out);
    }
    return new RewriteReport(
        inLabel,
        options.dryRun() ? null : outLabel,
        options.dryRun(),
        rewritten.result(),
        model.source() == null ? 0 : ModelBytes.fileBytes(model),
        null,
        List.of(),
        null,
        null);
  }

  /** See {@link OnnxTie#rewrite(Model, String, Path, RewriteOptions)}. */
  static RewriteReport rewriteRead(Model read, String inLabel, Path out, RewriteOptions options) {
    OnnxModel model = read.model();
    if (options.verify() != null) {
      throw OnnxTieException.badInput(
          "--verify needs IN and OUT to be files (ONNX Runtime loads models from files)");
    }
    OnnxTie.Rewritten rewritten = OnnxTie.rewrite(model, options);
    if (options.dryRun()) {
      return new RewriteReport(
          inLabel,
          null,
          true,
          rewritten.result(),
          ModelBytes.fileBytes(model),
          null,
          List.of(),
          null,
          null);
    }
    List<String> written =
        ModelIO.write(rewritten.model(), out, options.writeOptions()).stream()
            .map(Path::toString)
            .toList();
    return new RewriteReport(
        inLabel,
        out.toString(),
        false,
        rewritten.result(),
        ModelBytes.fileBytes(model),
        written.stream().mapToLong(file -> ModelBytes.sizeOf(Path.of(file))).sum(),
        written,
        RewriteReport.dataFileOf(written),
        null);
  }

  /** See {@link OnnxTie#insert(Path, Path, InsertRequest)}. */
  static InsertReport insert(Path in, Path out, InsertRequest request) {
    try (OnnxModel model = ModelIO.read(in)) {
      GraphEditor editor = new GraphEditor(model);
      List<String> outputs = editor.main().outputNames();
      PassResult result =
          Passes.run(
              editor,
              List.of("insert-tied-decoder"),
              new Passes.Config(
                  PassForms.of(TieForm.TRANSPOSE.name()),
                  TieFinder.DEFAULT_MIN_BYTES,
                  request.toOptions()));
      VerifyOptions verify = request.verify() == null ? null : request.verify().toOptions();
      if (verify != null && verify.outputs().isEmpty()) {
        // the input's outputs: the new ones are not in the input to compare with
        verify = verify.withOutputs(outputs);
      }
      Committed committed =
          stageVerifyCommit(
              model, in, editor.build(), out, WriteOptions.defaults(), verify, Progress.NONE);
      return new InsertReport(
          in.toString(),
          out.toString(),
          result.changes(),
          result.notes(),
          committed.verification());
    }
  }

  /** The files a write put in place, and its verification (null when none ran). */
  private record Committed(List<Path> files, Verification verification) {}

  /**
   * Stages {@code built}, verifies the staged file against {@code original} (read from {@code in})
   * when {@code verify} is not null, and commits it.
   *
   * @throws VerificationFailedException when the outputs differ (nothing is written)
   */
  private static Committed stageVerifyCommit(
      OnnxModel original,
      Path in,
      OnnxModel built,
      Path out,
      WriteOptions write,
      VerifyOptions verify,
      Progress progress) {
    try (StagedWrite staged = ModelIO.stage(built, out, write)) {
      Verification verification = null;
      if (verify != null && staged.path() != null) {
        verification = verify(original, in, staged.path(), out, verify, progress);
      }
      return new Committed(staged.commit(), verification);
    }
  }

  /**
   * Runs the staged output of a rewrite against its input in ONNX Runtime, reported under the
   * output's final path.
   *
   * @throws VerificationFailedException when they differ
   */
  static Verification verify(
      OnnxModel original,
      Path in,
      Path staged,
      Path out,
      VerifyOptions options,
      Progress progress) {
    progress.phase("verifying " + out.getFileName());
    try (Verifier verifier =
        new Verifier(options)
            .withProgress(step -> progress.phase("verifying " + out.getFileName() + ": " + step))) {
      Verification report =
          samePath(in, out)
              ? verifier
                  .compare(original, staged)
                  .withSides(in + " (original)", out + " (rewritten)")
              : verifier.compare(original, staged).withB(out.toString());
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

  /** True when {@code in} and {@code out} name one file: an in-place rewrite. */
  private static boolean samePath(Path in, Path out) {
    if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(out) && Files.isSameFile(in, out);
    } catch (IOException e) {
      return false;
    }
  }
}
