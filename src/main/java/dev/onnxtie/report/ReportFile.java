package dev.onnxtie.report;

import dev.onnxtie.OnnxTieException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a report page as models are written: to a new temporary file beside the target, forced to
 * disk and renamed into place, so that an error leaves the old file or none, never half a page.
 */
final class ReportFile {
  private ReportFile() {}

  /** Writes the page to {@code file} atomically: a temporary file in its folder, renamed. */
  static void write(String html, Path file) {
    Path folder = file.toAbsolutePath().getParent();
    Path temporary = null;
    try {
      if (Files.isDirectory(file)) {
        throw OnnxTieException.badInput(
            "--report " + file + " is a folder; give a file name such as report.html");
      }
      // a new file of a name no one else uses, with the permissions the umask gives (as the models
      // get)
      temporary =
          folder.resolve(
              ".onnx-tie-report-"
                  + ProcessHandle.current().pid()
                  + "-"
                  + System.nanoTime()
                  + ".tmp");
      try (FileChannel channel =
              FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream out = Channels.newOutputStream(channel)) {
        out.write(html.getBytes(StandardCharsets.UTF_8));
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(
            temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
      temporary = null;
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot write the report " + file + ": " + e.getMessage(), e);
    } finally {
      if (temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException ignored) {
          // the error above is the one to report
        }
      }
    }
  }
}
