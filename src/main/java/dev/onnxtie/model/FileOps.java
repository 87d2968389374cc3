package dev.onnxtie.model;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The file helpers the writers share (one copy each): removing a folder tree, telling whether two
 * paths name one folder, a file's size, an atomic rename, and the reason of a file-system error in
 * words.
 */
public final class FileOps {
  private FileOps() {}

  /**
   * Removes a folder and everything in it, sub-folders included (links are removed, never
   * followed); best effort. A writer thread may still add a file while the exit hook removes its
   * folder, so the walk is tried again while the folder is there (at most 20 times).
   */
  public static void deleteTree(Path root) {
    for (int attempt = 0;
        attempt < 20 && Files.exists(root, LinkOption.NOFOLLOW_LINKS);
        attempt++) {
      deleteTreeOnce(root);
    }
  }

  private static void deleteTreeOnce(Path root) {
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      // best effort: a leftover carries onnx-tie's prefix and is removed by a later write there
    }
  }

  /**
   * True when both paths exist and name one file or folder (through links, bind mounts or other
   * spellings); false when either is missing or cannot be told.
   */
  public static boolean sameFile(Path a, Path b) {
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  /** The size of a file in bytes; 0 when it cannot be read. */
  public static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Renames {@code from} over {@code to}, atomically where the file system can (it always can
   * inside one folder of a POSIX file system).
   */
  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The reason of a file-system error in words, naming the path the error names. */
  public static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file: " + e.getMessage();
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + e.getMessage();
    }
    if (e instanceof FileAlreadyExistsException) {
      return "already exists: " + e.getMessage();
    }
    if (e instanceof DirectoryNotEmptyException) {
      return "folder not empty: " + e.getMessage();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
