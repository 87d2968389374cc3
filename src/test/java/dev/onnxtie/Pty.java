package dev.onnxtie;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command on a new pseudo-terminal (Python's {@code pty}, as a user's terminal), for the
 * tests of what the CLI shows on a terminal and of Ctrl-C.
 */
public final class Pty {
  /**
   * Runs argv[2:] on a new pseudo-terminal, prints what it wrote there and exits with its status;
   * when argv[1] is not empty, sends the command SIGINT (Ctrl-C) once the screen shows argv[1].
   */
  static final String SCRIPT =
      String.join(
          "\n",
          "import os, pty, signal, sys",
          "pid, fd = pty.fork()",
          "if pid == 0:",
          "    os.execvp(sys.argv[2], sys.argv[2:])",
          "mark = sys.argv[1].encode()",
          "out = b''",
          "sent = not mark",
          "while True:",
          "    try:",
          "        data = os.read(fd, 65536)",
          "    except OSError:",
          "        break",
          "    if not data:",
          "        break",
          "    out += data",
          "    if not sent and mark in out:",
          "        os.kill(pid, signal.SIGINT)",
          "        sent = True",
          "_, status = os.waitpid(pid, 0)",
          "sys.stdout.buffer.write(out)",
          "sys.exit(os.waitstatus_to_exitcode(status))");

  private Pty() {}

  /** The command line that runs {@code command} on a pseudo-terminal; the screen is its stdout. */
  public static List<String> command(List<String> command) {
    return interruptedAfter("", command);
  }

  /**
   * The command line that runs {@code command} on a pseudo-terminal and sends it SIGINT once the
   * screen shows {@code text}.
   */
  public static List<String> interruptedAfter(String text, List<String> command) {
    List<String> line = new ArrayList<>(List.of("/usr/bin/python3", "-c", SCRIPT, text));
    line.addAll(command);
    return line;
  }
}
