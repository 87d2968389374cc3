package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.VerificationFailedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;

/**
 * How a run's failures reach people: one line on stderr with the exit code's meaning kept (and,
 * with {@code --json}, the failure envelope on stdout), file-system reasons in words and ONNX
 * Runtime's C++ source paths cut short; never a stack trace.
 */
final class Failures {
  private Failures() {}

  /**
   * Set once Ctrl-C's hook has said "interrupted": what fails after it (a write cut short) is not
   * reported.
   */
  static volatile boolean interrupted;

  /**
   * One line on stderr and, when {@code jsonCommand} is not null, the failure envelope on stdout.
   */
  static void fail(
      PrintWriter out, PrintWriter err, String jsonCommand, int exitCode, String message) {
    if (interrupted) {
      return;
    }
    err.println("onnx-tie: " + message);
    err.flush();
    if (jsonCommand != null) {
      out.println(Json.failure(jsonCommand, exitCode, message, null));
      out.flush();
    }
  }

  /**
   * Bad arguments: one line naming the problem and where help is, or the suggestion for a misspelt
   * command; exit 2.
   */
  static CommandLine.IParameterExceptionHandler onBadArguments(
      PrintWriter out, PrintWriter err, boolean json) {
    return (ex, arguments) -> {
      String command = ex.getCommandLine().getCommandName();
      if (ex instanceof CommandLine.UnmatchedArgumentException unmatched
          && command.equals("onnx-tie")
          && !unmatched.getSuggestions().isEmpty()
          && !unmatched.getUnmatched().isEmpty()
          && !unmatched.getUnmatched().get(0).startsWith("-")) {
        // a misspelt command: one line, the suggestion (picocli's "Unmatched arguments from
        // index 0" says less)
        List<String> suggestions =
            unmatched.getSuggestions().stream().map(name -> "onnx-tie " + name).toList();
        fail(
            out,
            err,
            null,
            OnnxTieException.BAD_INPUT,
            "unknown command '"
                + unmatched.getUnmatched().get(0)
                + "'. Did you mean: "
                + String.join(" or ", suggestions)
                + "?");
        return OnnxTieException.BAD_INPUT;
      }
      String message =
          ex.getMessage()
              + " (see '"
              + ex.getCommandLine().getCommandSpec().qualifiedName()
              + " --help')";
      fail(
          out,
          err,
          json && !command.equals("onnx-tie") ? command : null,
          OnnxTieException.BAD_INPUT,
          message);
      if (ex instanceof CommandLine.UnmatchedArgumentException unmatched
          && !unmatched.getSuggestions().isEmpty()) {
        CommandLine.UnmatchedArgumentException.printSuggestions(unmatched, err);
        err.flush();
      }
      return OnnxTieException.BAD_INPUT;
    };
  }

  /**
   * A command that threw: a mismatch (exit 1, the command already printed the comparison), an
   * {@link OnnxTieException} with its exit code, or anything else as an internal error (exit 3).
   */
  static CommandLine.IExecutionExceptionHandler onFailure(
      OnnxTieCli root, PrintWriter out, PrintWriter err, boolean json) {
    return (ex, cl, parsed) -> {
      root.endProgress();
      String command = json ? cl.getCommandName() : null;
      if (ex instanceof VerificationFailedException mismatch) {
        // the command already printed the comparison (and, with --json, the failure envelope)
        err.println("onnx-tie: " + message(mismatch));
        err.flush();
        return mismatch.exitCode();
      }
      if (ex instanceof OnnxTieException failure) {
        fail(out, err, command, failure.exitCode(), message(failure));
        return failure.exitCode();
      }
      fail(
          out,
          err,
          command,
          OnnxTieException.INTERNAL,
          "internal error: " + ex + " (please report it with the model that caused it)");
      return OnnxTieException.INTERNAL;
    };
  }

  /**
   * A failure's message for people: the reason of a file-system error in words (no such file,
   * permission denied, is a directory) instead of the path again, and ONNX Runtime's long C++
   * source paths cut to the file name.
   */
  static String message(OnnxTieException failure) {
    String message = String.valueOf(failure.getMessage());
    Throwable cause = failure.getCause();
    if (cause instanceof IOException io
        && io.getMessage() != null
        && message.endsWith(io.getMessage())) {
      message = message.substring(0, message.length() - io.getMessage().length()) + reason(io);
    }
    return shortenNativePaths(message);
  }

  /** The reason of a file-system error in a few words. */
  static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or folder";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NotDirectoryException) {
      return "not a folder";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "already exists";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason().toLowerCase(Locale.ROOT);
    }
    String text = String.valueOf(e.getMessage());
    int open = text.lastIndexOf(" (");
    return open >= 0 && text.endsWith(")")
        ? text.substring(open + 2, text.length() - 1).toLowerCase(Locale.ROOT)
        : text;
  }

  /**
   * {@code /onnxruntime_src/onnxruntime/core/session/inference_session.cc:123} becomes {@code
   * inference_session.cc:123}.
   */
  static String shortenNativePaths(String message) {
    return message.replaceAll("(?:/[\\w.+-]+)+/([\\w.+-]+\\.(?:cc|cpp|cu|h|hpp|c))\\b", "$1");
  }
}
