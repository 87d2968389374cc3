package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.FileOps;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.Staging;
import dev.onnxtie.model.TestPoints;
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
 * The other files of a folder rewrite: every file of the input folder that is not a model or its
 * external data (config.json, tokenizer files, sub-folders) copied byte for byte into the output.
 */
final class FolderCopy {
  /**
   * Files of at least this size are copied by {@code cp --reflink=auto} (shared blocks on btrfs,
   * XFS).
   */
  static final long REFLINK_MIN_BYTES = 1 << 20;

  private FolderCopy() {}

  /**
   * Copies every file of {@code inDir} that is not one of the models or their external data (nor
   * onnx-tie's own staging leftovers, nor the output itself) into {@code target}, sub-folders
   * included. Symbolic links are not followed (a link could reach any file of the machine into an
   * output folder meant for upload): they are skipped with a note, as are devices and pipes.
   *
   * <p>A file whose name one of the rewritten models or their data files has in the output (a stray
   * {@code model.onnx.data} the input model does not read, beside a rewrite that writes one) is not
   * copied over it, with a note.
   *
   * @param written the files the rewrite wrote into {@code target}
   * @return the copied files, relative to the folder
   */
  static List<String> copyOthers(
      Path inDir,
      Path target,
      Path outDir,
      List<Path> models,
      Set<Path> inputFiles,
      Set<Path> written,
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
              if (written.contains(target.resolve(relative).toAbsolutePath().normalize())) {
                notes.add(
                    "not copied: "
                        + relative
                        + " (a rewritten model or its data file has that name in the output)");
              } else if (attributes.isSymbolicLink()) {
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
    return name.startsWith(ModelIO.TEMP_PREFIX) || name.startsWith(Staging.FOLDER_PREFIX);
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
}
