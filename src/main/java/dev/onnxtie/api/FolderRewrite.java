package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.Durability;
import dev.onnxtie.model.FileOps;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.OwnedFolder;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.model.Staging;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.model.TestPoints;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.verify.Verifier;
import dev.onnxtie.verify.VerifyOptions;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

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
  /**
   * Files of at least this size are copied by {@code cp --reflink=auto} (shared blocks on btrfs,
   * XFS).
   */
  static final long REFLINK_MIN_BYTES = 1 << 20;

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
    Set<Path> inputFiles = inputFiles(models, jobs);
    long before = inputFiles.stream().mapToLong(FileOps::sizeOf).sum();
    if (options.dryRun()) {
      List<RewriteReport> reports =
          Parallel.map(
              models, jobs, progress, model -> OnnxTie.rewrite(model, model, options, progress));
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
              ? eachOnItsOwn(inDir, target, models, options, jobs, progress, kept, before)
              : shared(inDir, target, models, options, sharedData, jobs, progress, before);
      List<String> notes = new ArrayList<>(report.notes());
      progress.phase("copying the other files of " + inDir.getFileName());
      List<String> copied =
          FileOps.sameFile(inDir, outDir)
              ? List.of()
              : copyOthers(inDir, target, outDir, models, inputFiles, fresh, notes);
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

  /** Every model written on its own (own data file where it has one), committed one by one. */
  private static FolderRewriteReport eachOnItsOwn(
      Path inDir,
      Path target,
      List<Path> models,
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
                          options.verify().withDims(verify.get(models.indexOf(model)).dims()));
              RewriteReport report =
                  OnnxTie.rewrite(
                      model, target.resolve(model.getFileName().toString()), own, progress);
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

  /**
   * All models written against one external data file holding every distinct tensor once, committed
   * together.
   */
  private static FolderRewriteReport shared(
      Path inDir,
      Path target,
      List<Path> models,
      RewriteOptions options,
      String sharedData,
      int jobs,
      Progress progress,
      long before) {
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        progress.phase("reading " + model.getFileName());
        read.add(ModelIO.read(model));
      }
      // per model, before the write replaces anything: its file plus the data files only it reads
      // (a data
      // file several models read, such as a shared one, counts in the folder's totals only)
      long[] modelBefore = ownBytes(read);
      // the same plan check measures: Constant nodes another file also holds become initializers,
      // stored once
      List<java.util.Set<String>> constants =
          Plan.constantsSharedAcrossFiles(
              read, models.stream().map(Path::toString).toList(), options.minBytes());
      List<OnnxTie.Rewritten> rewritten =
          Parallel.map(
              read,
              jobs,
              progress,
              model -> {
                progress.phase("finding duplicates in " + model.source().getFileName());
                return OnnxTie.rewrite(
                    model, options, constants.get(read.indexOf(model)), progress);
              });
      progress.phase("writing " + models.size() + " models and " + sharedData);
      List<Path> outs =
          models.stream().map(m -> target.resolve(m.getFileName().toString())).toList();
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
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  /**
   * Copies every file of {@code inDir} that is not one of the models or their external data (nor
   * onnx-tie's own staging leftovers, nor the output itself) into {@code target}, sub-folders
   * included. Symbolic links are not followed (a link could reach any file of the machine into an
   * output folder meant for upload): they are skipped with a note, as are devices and pipes.
   *
   * @return the copied files, relative to the folder
   */
  private static List<String> copyOthers(
      Path inDir,
      Path target,
      Path outDir,
      List<Path> models,
      Set<Path> inputFiles,
      boolean fresh,
      List<String> notes) {
    Set<Path> skip = new LinkedHashSet<>(inputFiles);
    for (Path path : List.of(target, outDir)) {
      skip.add(path.toAbsolutePath().normalize());
    }
    models.forEach(model -> skip.add(model.toAbsolutePath().normalize()));
    Path from = inDir.toAbsolutePath().normalize();
    List<String> copied = new ArrayList<>();
    try {
      Files.walkFileTree(
          from,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes)
                throws IOException {
              if (!dir.equals(from) && (skip.contains(dir) || isOwnLeftover(dir))) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              Files.createDirectories(target.resolve(from.relativize(dir).toString()));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                throws IOException {
              String relative = from.relativize(file).toString();
              if (skip.contains(file) || isOwnLeftover(file)) {
                return FileVisitResult.CONTINUE;
              }
              if (attributes.isSymbolicLink()) {
                notes.add(
                    "not copied: "
                        + relative
                        + " is a symbolic link (links are not followed; copy its target yourself if the folder needs it)");
              } else if (!attributes.isRegularFile()) {
                notes.add("not copied: " + relative + " is not a regular file");
              } else {
                copyFile(file, target.resolve(relative), attributes.size(), fresh);
                copied.add(relative);
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw OnnxTieException.badInput(
          "cannot copy the other files of " + inDir + " (" + FileOps.reason(e) + ")", e);
    }
    Collections.sort(copied);
    return copied;
  }

  /** Staging folders, lock files and temporary files onnx-tie itself leaves in a folder. */
  private static boolean isOwnLeftover(Path path) {
    String name = path.getFileName().toString();
    return name.startsWith(ModelIO.TEMP_PREFIX) || name.startsWith(STAGING_PREFIX);
  }

  /**
   * Copies one file byte for byte, keeping its permissions and time stamps: large files by {@code
   * cp --reflink=auto} (a copy-on-write clone where the file system can, which Java cannot ask
   * for), the rest with {@link Files#copy}. Never a hard link: editing the copy must not change the
   * input. Into an existing folder, the copy is renamed over the old file, never half-written.
   */
  static void copyFile(Path from, Path to, long size, boolean fresh) throws IOException {
    Path temporary =
        fresh
            ? to
            : to.resolveSibling(
                ModelIO.TEMP_PREFIX
                    + "copy-"
                    + ProcessHandle.current().pid()
                    + "-"
                    + to.getFileName());
    try {
      if (!(size >= REFLINK_MIN_BYTES && reflink(from, temporary))) {
        Files.copy(
            from,
            temporary,
            StandardCopyOption.COPY_ATTRIBUTES,
            StandardCopyOption.REPLACE_EXISTING,
            LinkOption.NOFOLLOW_LINKS);
      }
      if (!fresh) {
        TestPoints.at("copied");
        Files.move(
            temporary, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      if (!fresh) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  private static boolean reflink(Path from, Path to) {
    if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
        || !Files.isExecutable(Path.of("/bin/cp"))) {
      return false;
    }
    try {
      Process cp =
          new ProcessBuilder(
                  "/bin/cp",
                  "--reflink=auto",
                  "--preserve=mode,timestamps",
                  "--",
                  from.toString(),
                  to.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!cp.waitFor(10, TimeUnit.MINUTES)) {
        cp.destroyForcibly();
        return false;
      }
      return cp.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnnxTieException(OnnxTieException.INTERNAL, "interrupted");
    }
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

  /** A model's file and the data files it reads, or why it was refused. */
  private record InputRead(List<Path> files, String refused) {}

  /**
   * The model files and the external data files they read, each once. Every model is read here,
   * before anything is written: when any is refused, all refused ones are named in one bad-input
   * error (not just the first) and nothing is written.
   */
  private static Set<Path> inputFiles(List<Path> models, int jobs) {
    // read jobs at a time (each model is read and validated here once more before its rewrite);
    // the files and the refusals are gathered in the models' order, as one by one
    List<InputRead> outcomes =
        Parallel.map(
            models,
            jobs,
            Progress.NONE,
            path -> {
              try (OnnxModel model = ModelIO.read(path)) {
                Path folder = path.toAbsolutePath().normalize().getParent();
                List<Path> files = new ArrayList<>();
                files.add(path.toAbsolutePath().normalize());
                ProtoGraphs.visit(
                    model.proto(),
                    (graphPath, depth, graph) -> {
                      for (TensorProto tensor : graph.getInitializerList()) {
                        if (Tensors.isExternal(tensor)) {
                          files.add(
                              folder
                                  .resolve(model.externalData().locate(tensor).location())
                                  .normalize());
                        }
                      }
                    });
                return new InputRead(files, null);
              } catch (OnnxTieException e) {
                if (e.exitCode() != OnnxTieException.BAD_INPUT) {
                  throw e;
                }
                return new InputRead(List.of(), path.getFileName() + " (" + e.getMessage() + ")");
              }
            });
    Set<Path> files = new LinkedHashSet<>();
    List<String> refused = new ArrayList<>();
    for (InputRead outcome : outcomes) {
      files.addAll(outcome.files());
      if (outcome.refused() != null) {
        refused.add(outcome.refused());
      }
    }
    if (!refused.isEmpty()) {
      throw OnnxTieException.badInput(
          refused.size()
              + " of "
              + models.size()
              + " models of "
              + models.get(0).getParent()
              + " refused, nothing was written: "
              + String.join("; ", refused));
    }
    return files;
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

  /**
   * Each model's bytes on disk: its file plus the external data files no other of these models
   * reads (a data file several of them read is left out of every one).
   */
  private static long[] ownBytes(List<OnnxModel> models) {
    List<Set<Path>> files = new ArrayList<>();
    java.util.Map<Path, Integer> readers = new java.util.HashMap<>();
    for (OnnxModel model : models) {
      Set<Path> own = new LinkedHashSet<>();
      Path source = model.source().toAbsolutePath().normalize();
      own.add(source);
      ProtoGraphs.visit(
          model.proto(),
          (path, depth, graph) -> {
            for (TensorProto tensor : graph.getInitializerList()) {
              if (Tensors.isExternal(tensor)) {
                own.add(
                    source
                        .getParent()
                        .resolve(model.externalData().locate(tensor).location())
                        .normalize());
              }
            }
          });
      own.forEach(file -> readers.merge(file, 1, Integer::sum));
      files.add(own);
    }
    long[] bytes = new long[models.size()];
    for (int i = 0; i < bytes.length; i++) {
      for (Path file : files.get(i)) {
        if (readers.get(file) == 1) {
          bytes[i] += FileOps.sizeOf(file);
        }
      }
    }
    return bytes;
  }
}
