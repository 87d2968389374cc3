package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.Progress;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The root command: {@code onnx-tie <command> ...}. The commands declare their options in code
 * ({@link Specs}), and a run builds only the command it calls.
 */
public final class OnnxTieCli implements Runnable {
  /** The subcommands by name, built only when needed: a run builds the one it calls. */
  private static final Map<String, Function<OnnxTieCli, Object>> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("inspect", root -> new InspectCommand(root).spec);
    COMMANDS.put("rewrite", root -> new RewriteCommand(root).spec);
    COMMANDS.put("verify", root -> new VerifyCommand(root).spec);
    COMMANDS.put("check", root -> new CheckCommand(root).spec);
    COMMANDS.put("insert", root -> new InsertCommand().spec);
    COMMANDS.put("report", root -> new ReportCommand(root).spec);
    COMMANDS.put("completion", root -> new CompletionCommand().spec);
    COMMANDS.put("help", root -> new CommandLine.HelpCommand());
  }

  final CommandSpec spec =
      Specs.command(
          "onnx-tie", this, "Gives ONNX models back the weight tying their exporters lost.");

  private final OptionSpec quiet =
      Specs.add(
          spec,
          OptionSpec.builder("-q", "--quiet")
              .type(boolean.class)
              .initialValue(false)
              .scopeType(CommandLine.ScopeType.INHERIT)
              .description(
                  "no progress on stderr (progress is shown only when stderr is a terminal)"));

  /** Standard input, for models read from {@code -}. */
  InputStream stdin = System.in;

  /** Standard output as bytes, for models written to {@code -}; unbuffered and error-reporting. */
  OutputStream stdout = new FileOutputStream(FileDescriptor.out);

  /** True when standard output is a terminal: binary model data is then refused. */
  boolean stdoutIsTerminal;

  /** The arguments of this run, for the command line an HTML report shows. */
  String[] arguments = {};

  private TerminalProgress terminal;

  OnnxTieCli() {
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie inspect model.onnx",
        "  onnx-tie rewrite model.onnx tied.onnx --verify",
        "  onnx-tie check exported/");
  }

  /** True when {@code -q}/{@code --quiet} was given (before or after the command's name). */
  boolean quiet() {
    return quiet.getValue();
  }

  /**
   * Progress on stderr when it (not stdout) is a terminal and --quiet is not given; otherwise
   * nothing.
   */
  Progress progress() {
    if (quiet() || !TerminalProgress.stderrIsTerminal()) {
      return Progress.NONE;
    }
    if (terminal == null) {
      terminal = TerminalProgress.forTerminal(spec.commandLine().getErr());
    }
    return terminal;
  }

  /** Clears the progress line for good: call before printing the report. */
  void endProgress() {
    if (terminal != null) {
      terminal.finish();
    }
  }

  /**
   * Ends the progress with one verdict line and the elapsed time (only where progress is shown).
   */
  void verdict(String text) {
    if (terminal != null) {
      terminal.verdict(text);
    }
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command (inspect, rewrite, verify, check, insert)");
  }

  /**
   * Tells picocli not to register its converters of java.sql and java.time types, which it looks up
   * by reflection on every start: that loads the java.sql module and initializes java.time's
   * formatters (about 20 ms), and no option here has such a type. For this process's own start
   * ({@link #main}, {@link ArchiveTraining}), not for applications that call {@link #run} in their
   * own JVM; a value already set is kept.
   */
  static void skipUnusedConverters() {
    if (System.getProperty("picocli.converters.excludes") == null) {
      System.setProperty("picocli.converters.excludes", "java\\.sql\\..*,java\\.time\\..*");
    }
  }

  /** Entry point of the launcher. */
  public static void main(String... args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      // the fast path: no command tree to build (a third of the start-up time)
      System.out.println(String.join(System.lineSeparator(), VersionInfo.lines()));
      return;
    }
    skipUnusedConverters();
    PrintWriter out =
        new PrintWriter(
            new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8),
            false);
    PrintWriter err =
        new PrintWriter(
            new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8),
            true);
    // Ctrl-C (SIGINT, SIGTERM, SIGHUP): the JVM runs its shutdown hooks before the run returns;
    // this
    // one ends the progress line and says so (the staging hooks remove what was half written)
    boolean[] returned = {false};
    Thread interruptedHook =
        new Thread(
            () -> {
              synchronized (returned) {
                if (!returned[0]) {
                  Failures.interrupted = true;
                  TerminalProgress.finishActive();
                  err.println("onnx-tie: interrupted");
                  err.flush();
                }
              }
            },
            "onnx-tie-interrupted");
    Runtime.getRuntime().addShutdownHook(interruptedHook);
    int code =
        run(System.in, new FileOutputStream(FileDescriptor.out), isTerminal(1), out, err, args);
    synchronized (returned) {
      returned[0] = true;
    }
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** True when file descriptor {@code fd} of this process is a terminal (Linux: /proc/self/fd). */
  static boolean isTerminal(int fd) {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
      return target.startsWith("/dev/pts/")
          || target.startsWith("/dev/tty")
          || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return fd == 1 && System.console() != null;
    }
  }

  /**
   * Runs the CLI with the given streams and returns the exit code, without exiting: what tests
   * call.
   */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return run(System.in, new FileOutputStream(FileDescriptor.out), out, err, args);
  }

  /**
   * Runs the CLI with explicit streams: {@code stdin}/{@code stdout} carry models read from or
   * written to {@code -}; {@code out}/{@code err} carry reports and errors.
   */
  public static int run(
      InputStream stdin, OutputStream stdout, PrintWriter out, PrintWriter err, String... args) {
    return run(stdin, stdout, false, out, err, args);
  }

  private static int run(
      InputStream stdin,
      OutputStream stdout,
      boolean stdoutIsTerminal,
      PrintWriter out,
      PrintWriter err,
      String... args) {
    OnnxTieCli root = new OnnxTieCli();
    root.stdin = stdin;
    root.stdout = stdout;
    root.stdoutIsTerminal = stdoutIsTerminal;
    root.arguments = args.clone();
    CommandLine commandLine = new CommandLine(root.spec);
    for (String name : commandsNeeded(args)) {
      commandLine.addSubcommand(name, COMMANDS.get(name).apply(root));
    }
    commandLine.setOut(out);
    commandLine.setErr(err);
    boolean json = Arrays.asList(args).contains("--json");
    commandLine.setParameterExceptionHandler(Failures.onBadArguments(out, err, json));
    commandLine.setExecutionExceptionHandler(Failures.onFailure(root, out, err, json));
    try {
      int code = commandLine.execute(args);
      root.endProgress();
      out.flush();
      return code;
    } catch (InternalError e) {
      if (!String.valueOf(e.getMessage()).contains("unsafe memory access")) {
        throw e;
      }
      // the JVM's form of SIGBUS: a mapped model or data file shrank while it was being read
      root.endProgress();
      Failures.fail(
          out,
          err,
          null,
          OnnxTieException.BAD_INPUT,
          "a model or data file changed size while being read; nothing was written");
      return OnnxTieException.BAD_INPUT;
    } catch (StackOverflowError e) {
      root.endProgress();
      Failures.fail(
          out, err, null, OnnxTieException.BAD_INPUT, "the model is nested too deeply to process");
      return OnnxTieException.BAD_INPUT;
    } catch (OutOfMemoryError e) {
      root.endProgress();
      Failures.fail(
          out,
          err,
          null,
          OnnxTieException.INTERNAL,
          "out of memory; give the JVM more with JAVA_OPTS=-Xmx...");
      return OnnxTieException.INTERNAL;
    }
  }

  /**
   * The subcommands a run needs: only the one it names (building all of them costs start-up time),
   * none for {@code --version}, all for help, completion and anything unknown (for suggestions).
   */
  static List<String> commandsNeeded(String... args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      return List.of();
    }
    for (String arg : args) {
      if (arg.startsWith("-")) {
        continue;
      }
      if (COMMANDS.containsKey(arg) && !arg.equals("help") && !arg.equals("completion")) {
        return List.of(arg);
      }
      break;
    }
    return List.copyOf(COMMANDS.keySet());
  }

  /** The version of this build (from the jar manifest), or "development build". */
  static String version() {
    String version = OnnxTieCli.class.getPackage().getImplementationVersion();
    return version == null ? "development build" : version;
  }
}
