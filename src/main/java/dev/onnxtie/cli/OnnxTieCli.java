package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command: {@code onnx-tie <command> ...}. */
@Command(
    name = "onnx-tie",
    mixinStandardHelpOptions = true,
    versionProvider = OnnxTieCli.Version.class,
    description = "Gives ONNX models back the weight tying their exporters lost.",
    subcommands = {InspectCommand.class, RewriteCommand.class, VerifyCommand.class, CheckCommand.class, InsertCommand.class,
        CompletionCommand.class, CommandLine.HelpCommand.class},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  ok", "  1  verification mismatch or check failed", "  2  bad input or usage", "  3  internal error",
        "", "Examples:", "  onnx-tie inspect model.onnx", "  onnx-tie rewrite model.onnx tied.onnx --verify",
        "  onnx-tie check exported/"})
public final class OnnxTieCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
      description = "no progress on stderr (progress is shown only when stderr is a terminal)")
  boolean quiet;

  /** Standard input, for models read from {@code -}. */
  java.io.InputStream stdin = System.in;
  /** Standard output as bytes, for models written to {@code -}; unbuffered and error-reporting. */
  java.io.OutputStream stdout = new java.io.FileOutputStream(java.io.FileDescriptor.out);

  /** Progress on stderr when it is a terminal and --quiet is not given; otherwise nothing. */
  dev.onnxtie.api.Progress progress() {
    if (quiet || System.console() == null) {
      return dev.onnxtie.api.Progress.NONE;
    }
    PrintWriter err = spec.commandLine().getErr();
    return (what, done, total) -> {
      synchronized (err) {
        err.print("\r[" + done + "/" + total + "] " + what + (done == total ? "\n" : ""));
        err.flush();
      }
    };
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command (inspect, rewrite, verify, check, insert)");
  }

  /** Entry point of the launcher. */
  public static void main(String... args) {
    PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    int code = run(out, err, args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs the CLI with the given streams and returns the exit code, without exiting: what tests call.
   */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return run(System.in, new java.io.FileOutputStream(java.io.FileDescriptor.out), out, err, args);
  }

  /**
   * Runs the CLI with explicit streams: {@code stdin}/{@code stdout} carry models read from or
   * written to {@code -}; {@code out}/{@code err} carry reports and errors.
   */
  public static int run(java.io.InputStream stdin, java.io.OutputStream stdout, PrintWriter out, PrintWriter err, String... args) {
    OnnxTieCli root = new OnnxTieCli();
    root.stdin = stdin;
    root.stdout = stdout;
    CommandLine commandLine = new CommandLine(root);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler((ex, arguments) -> {
      err.println("onnx-tie: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
      err.flush();
      return OnnxTieException.BAD_INPUT;
    });
    commandLine.setExecutionExceptionHandler((ex, cl, parsed) -> {
      if (ex instanceof OnnxTieException failure) {
        err.println("onnx-tie: " + failure.getMessage());
        err.flush();
        return failure.exitCode();
      }
      err.println("onnx-tie: internal error: " + ex + " (please report it with the model that caused it)");
      err.flush();
      return OnnxTieException.INTERNAL;
    });
    try {
      int code = commandLine.execute(args);
      out.flush();
      return code;
    } catch (InternalError e) {
      if (!String.valueOf(e.getMessage()).contains("unsafe memory access")) {
        throw e;
      }
      // the JVM's form of SIGBUS: a mapped model or data file shrank while it was being read
      err.println("onnx-tie: a model or data file changed size while being read; nothing was written");
      err.flush();
      return OnnxTieException.BAD_INPUT;
    } catch (StackOverflowError e) {
      err.println("onnx-tie: the model is nested too deeply to process");
      err.flush();
      return OnnxTieException.BAD_INPUT;
    } catch (OutOfMemoryError e) {
      err.println("onnx-tie: out of memory; give the JVM more with JAVA_OPTS=-Xmx...");
      err.flush();
      return OnnxTieException.INTERNAL;
    }
  }

  /** Reads the version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = OnnxTieCli.class.getPackage().getImplementationVersion();
      return new String[] {"onnx-tie " + (version == null ? "(development build)" : version)};
    }
  }
}
