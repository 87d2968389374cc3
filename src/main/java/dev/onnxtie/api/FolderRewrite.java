package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.Durability;
import dev.onnxtie.model.FileOps;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.OwnedFolder;
import dev.onnxtie.model.Staging;
import dev.onnxtie.model.TestPoints;
import dev.onnxtie.verify.Verifier;
import dev.onnxtie.verify.VerifyOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a folder of models into another folder, the way an export folder needs it: every {@code
 * .onnx} file of the folder is rewritten, every other file (config.json, tokenizer files,
 * sub-folders) is copied byte for byte, and the models' old external data files are left behind.
 *
 * <p>All or nothing where it can be: when the output folder does not exist yet, everything is
 * written into a hidden staging folder beside it that is renamed into place at the end, so a
 * failure in any model leaves no output folder. When the output folder exists (a second rewrite
 * into it, or the input itself), each model commits on its own; a failure then names the models
 * already rewritten and kept there.
 */
final class FolderRewrite {
  /** The prefix of the staging folder beside a new output folder. */
  static final String STAGING_PREFIX = Staging.FOLDER_PREFIX;

  private FolderRewrite() {}

  static FolderRewriteReport run(
      Path inDir,
      Path outDir,
      RewriteOptions options,
      String sharedData,
      int jobs,
      Progress progress) {
    List<Path> models = OnnxTie.modelsIn(inDir);
    // every model is read here once, before anything is written, and stays open for its rewrite
    try (FolderInputs inputs = FolderInputs.read(models, jobs, !options.dryRun())) {
      return run(inDir, outDir, models, inputs, options, sharedData, jobs, progress);
    }
  }

  private static FolderRewriteReport run(
      Path inDir,
      Path outDir,
      List<Path> models,
      FolderInputs inputs,
      RewriteOptions options,
      String sharedData,
      int jobs,
      Progress progress) {
    Set<Path> inputFiles = inputs.files();
    List<OnnxModel> read = inputs.models();
    long before = inputFiles.stream().mapToLong(FileOps::sizeOf).sum();
    Map<Path, Integer> index = positions(models);
    if (options.dryRun()) {
      List<RewriteReport> reports =
          Parallel.map(
              models,
              jobs,
              progress,
              model ->
                  RewriteJob.rewrite(read.get(index.get(model)), model, model, options, progress));
      return new FolderRewriteReport(
          inDir.toString(), null, true, reports, null, before, null, List.of(), List.of());
    }
    boolean fresh = !Files.exists(outDir, LinkOption.NOFOLLOW_LINKS);
    if (!fresh && !Files.isDirectory(outDir)) {
      throw OnnxTieException.badInput("output " + outDir + " exists and is not a folder");
    }
    OwnedFolder owned = fresh ? stagingFolderFor(outDir) : null;
    Path target = fresh ? owned.path() : outDir;
    // nobody sees a new output folder before its rename: its files are made durable all together
    // then (Durability.Batch), not each on its own as an existing folder's models are
    Durability.Batch batch =
        fresh ? Durability.Batch.defer(target, Durability.Mode.configured()) : null;
    TestPoints.at("folder-staged");
    List<Path> kept = Collections.synchronizedList(new ArrayList<>());
    // Ctrl-C while a new folder is built: the JVM's shutdown removes the staging folder, unless the
    // final rename won the race (then the folder is complete); the two never run at once
    boolean[] state = {false, false}; // committed, aborted
    Thread cleanup =
        new Thread(
            () -> {
              synchronized (state) {
                if (!state[0]) {
                  state[1] = true;
                  FileOps.deleteTree(target);
                }
              }
            },
            "onnx-tie-folder-cleanup");
    if (fresh) {
      Runtime.getRuntime().addShutdownHook(cleanup);
    }
    try {
      FolderRewriteReport report =
          sharedData == null
              ? eachOnItsOwn(
                  inDir,
                  target,
                  models,
                  index,
                  read,
                  options,
                  writers(options, jobs),
                  progress,
                  kept,
                  before)
              : FolderShared.shared(
                  inDir, target, models, read, options, sharedData, jobs, progress, before);
      List<String> notes = new ArrayList<>(report.notes());
      progress.phase("copying the other files of " + inDir.getFileName());
      List<String> copied =
          FileOps.sameFile(inDir, outDir)
              ? List.of()
              : FolderCopy.copyOthers(
                  inDir, target, outDir, models, inputFiles, written(report), fresh, notes);
      report =
          new FolderRewriteReport(
              report.input(),
              outDir.toString(),
              false,
              report.models(),
              report.sharedData(),
              report.bytesBefore(),
              report.bytesAfter(),
              copied,
              notes);
      if (fresh) {
        progress.phase("making " + outDir.getFileName() + " durable");
        try {
          batch.sync();
        } catch (IOException e) {
          throw OnnxTieException.badInput(
              "cannot write " + outDir + " (" + FileOps.reason(e) + "); nothing was written", e);
        }
        TestPoints.at("folder-synced");
        synchronized (state) {
          if (state[1]) {
            throw new OnnxTieException(
                OnnxTieException.INTERNAL, "interrupted; nothing was written");
          }
          try {
            owned.disown(); // no lock file goes into the output; until the rename the name tells a
            // live owner
            TestPoints.at("folder-disowned");
            Files.move(target, outDir, StandardCopyOption.ATOMIC_MOVE);
            // the rename itself is durable once the folder that holds it is
            Durability.fsyncFolder(outDir.toAbsolutePath().normalize().getParent());
          } catch (IOException e) {
            throw OnnxTieException.badInput(
                "cannot rename the finished folder into place as "
                    + outDir
                    + " ("
                    + FileOps.reason(e)
                    + "); nothing was written",
                e);
          }
          state[0] = true;
        }
        report = relabel(report, target.toString(), outDir.toString());
      }
      return report;
    } catch (RuntimeException | Error e) {
      if (fresh) {
        FileOps.deleteTree(target);
        if (e instanceof OnnxTieException failure) {
          throw named(failure, target, outDir); // the hidden folder is gone: name the output
        }
        throw e;
      }
      if (e instanceof OnnxTieException failure && !kept.isEmpty()) {
        List<String> names =
            kept.stream().map(path -> path.getFileName().toString()).sorted().toList();
        String message =
            failure.getMessage()
                + "; already rewritten and kept in "
                + outDir
                + ": "
                + String.join(", ", names)
                + (options.verify() == null ? "" : " (each verified)")
                + "; no other file of "
                + outDir
                + " was changed";
        if (failure instanceof VerificationFailedException mismatch) {
          throw new VerificationFailedException(message, mismatch.verification());
        }
        throw new OnnxTieException(failure.exitCode(), message, failure);
      }
      throw e;
    } finally {
      if (fresh) {
        batch.close();
        owned.close();
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
          // already shutting down: the hook runs
        }
      }
    }
  }

  /**
   * How many models are written at a time: one when every model's data goes to the one data file
   * name the caller gave (which model gets it, and which is refused, must not depend on timing).
   */
  static int writers(RewriteOptions options, int jobs) {
    return options.write().dataFile() != null ? 1 : jobs;
  }

  /** Every model written on its own (own data file where it has one), committed one by one. */
  private static FolderRewriteReport eachOnItsOwn(
      Path inDir,
      Path target,
      List<Path> models,
      Map<Path, Integer> index,
      List<OnnxModel> read,
      RewriteOptions options,
      int jobs,
      Progress progress,
      List<Path> kept,
      long before) {
    // a --dim applies to the models that declare it (bad input only when none does)
    List<VerifyOptions> verify =
        options.verify() == null ? null : Verifier.perModel(options.verifyOptions(), models);
    List<RewriteReport> reports =
        Parallel.map(
            models,
            jobs,
            progress,
            model -> {
              RewriteOptions own =
                  verify == null
                      ? options
                      : options.withVerify(
                          options.verify().withDims(verify.get(index.get(model)).dims()));
              RewriteReport report =
                  RewriteJob.rewrite(
                      read.get(index.get(model)),
                      model,
                      target.resolve(model.getFileName().toString()),
                      own,
                      progress);
              kept.add(model);
              return report;
            });
    // the files written, each once: every model's file and its own data file (not parsed again)
    Set<String> written = new LinkedHashSet<>();
    reports.forEach(report -> written.addAll(report.written()));
    long after = written.stream().mapToLong(file -> FileOps.sizeOf(Path.of(file))).sum();
    return new FolderRewriteReport(
        inDir.toString(),
        target.toString(),
        false,
        reports,
        null,
        before,
        after,
        List.of(),
        List.of());
  }

  /** {@code failure} with the staging folder's path in its message replaced by the output's. */
  private static OnnxTieException named(OnnxTieException failure, Path staged, Path out) {
    String message = failure.getMessage();
    String named =
        message
            .replace(staged.toAbsolutePath().normalize().toString(), out.toString())
            .replace(staged.toString(), out.toString());
    if (named.equals(message)) {
      return failure;
    }
    if (failure instanceof VerificationFailedException mismatch) {
      return new VerificationFailedException(named, mismatch.verification());
    }
    return new OnnxTieException(failure.exitCode(), named, failure);
  }

  /** The files a rewrite wrote (models, their data files, the shared data file), normalized. */
  private static Set<Path> written(FolderRewriteReport report) {
    Set<Path> written = new HashSet<>();
    for (RewriteReport model : report.models()) {
      model.written().forEach(file -> written.add(Path.of(file).toAbsolutePath().normalize()));
    }
    if (report.sharedData() != null) {
      written.add(Path.of(report.sharedData()).toAbsolutePath().normalize());
    }
    return written;
  }

  /** Each model's position in {@code models} (a list scan per model is quadratic in the folder). */
  private static Map<Path, Integer> positions(List<Path> models) {
    Map<Path, Integer> index = new HashMap<>();
    for (int i = 0; i < models.size(); i++) {
      index.putIfAbsent(models.get(i), i);
    }
    return index;
  }

  /**
   * A new hidden folder beside the output folder (same file system, so the final rename is atomic),
   * owned through a lock this process holds, so that the next write beside it removes it once this
   * process is gone, killed or not. The folder that is to hold the output must exist, as for a
   * single-file output: nothing is created above the output. It is made with the umask's
   * permissions as {@code mkdir} would (drwxr-xr-x under 022), since it becomes the output folder.
   */
  private static OwnedFolder stagingFolderFor(Path outDir) {
    Path absolute = outDir.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw OnnxTieException.badInput(
          "output folder " + parent + " does not exist (to hold " + outDir + "); create it first");
    }
    try {
      return OwnedFolder.create(parent, STAGING_PREFIX, absolute.getFileName().toString());
    } catch (IOException e) {
      throw OnnxTieException.badInput(
          "cannot create output folder " + outDir + " (" + FileOps.reason(e) + ")", e);
    }
  }

  /** The report with the staging folder's paths replaced by the output folder's. */
  private static FolderRewriteReport relabel(
      FolderRewriteReport report, String staged, String out) {
    List<RewriteReport> models =
        report.models().stream()
            .map(
                model ->
                    new RewriteReport(
                        model.input(),
                        swap(model.output(), staged, out),
                        model.dryRun(),
                        model.result(),
                        model.bytesBefore(),
                        model.bytesAfter(),
                        model.written().stream().map(file -> swap(file, staged, out)).toList(),
                        model.dataFile(),
                        model.verification() == null
                            ? null
                            : model
                                .verification()
                                .withB(swap(model.verification().b(), staged, out))))
            .toList();
    return new FolderRewriteReport(
        report.input(),
        out,
        report.dryRun(),
        models,
        swap(report.sharedData(), staged, out),
        report.bytesBefore(),
        report.bytesAfter(),
        report.copied(),
        report.notes());
  }

  private static String swap(String path, String staged, String out) {
    if (path == null) {
      return null;
    }
    Path file = Path.of(path).toAbsolutePath().normalize();
    Path stagedPath = Path.of(staged).toAbsolutePath().normalize();
    return file.startsWith(stagedPath)
        ? Path.of(out).resolve(stagedPath.relativize(file).toString()).toString()
        : path;
  }
}
